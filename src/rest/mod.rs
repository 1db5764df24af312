//! The REST API: one module per resource (DTOs, handlers), and the route table
//! that both serves them and is checked against `openapi.yaml`.

pub mod action_items;
pub mod audit;
pub mod calendar;
pub mod causes;
pub mod deliveries;
pub mod events;
pub mod extract;
pub mod health;
pub mod integrations;
pub mod people;
pub mod postmortems;
pub mod practice;
mod strict;
pub mod timeline;
pub mod trackers;
pub mod webhooks;

use std::time::Instant;

use actix_web::{
    Error, HttpMessage, HttpRequest, HttpResponse, Route,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method, header,
        header::{HeaderName, HeaderValue},
    },
    middleware::Next,
    web,
};
use serde::{Serialize, de::DeserializeOwned};
use tracing_actix_web::RequestId;

use crate::{
    error::{ApiError, ApiResult},
    services::{
        anonymity::{self, Redactor},
        postmortems::get_record,
        session::Session,
    },
    startup::AppState,
};

/// One served route: method, path (in OpenAPI's `{param}` syntax) and handler.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    handler: fn(Route) -> Route,
}

fn ep(method: Method, path: &'static str, handler: fn(Route) -> Route) -> Endpoint {
    Endpoint {
        method,
        path,
        handler,
    }
}

/// Every route hindsight serves. `tests/api/openapi.rs` checks this list against
/// `openapi.yaml` both ways.
pub fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    vec![
        // First: the busiest route, so the router tries one pattern for it, not forty.
        ep(M::POST, "/webhooks/{integration_id}", |r| {
            r.to(webhooks::receive)
        }),
        ep(M::GET, "/healthz", |r| r.to(health::healthz)),
        ep(M::GET, "/readyz", |r| r.to(health::readyz)),
        ep(M::GET, "/metrics", |r| r.to(health::metrics)),
        ep(M::GET, "/api/v1/people", |r| r.to(people::list)),
        ep(M::POST, "/api/v1/people", |r| r.to(people::create)),
        ep(M::GET, "/api/v1/people/{id}", |r| r.to(people::get)),
        ep(M::PATCH, "/api/v1/people/{id}", |r| r.to(people::update)),
        ep(M::POST, "/api/v1/people/{id}/calendar-token", |r| {
            r.to(calendar::issue_token)
        }),
        ep(M::DELETE, "/api/v1/people/{id}/calendar-token", |r| {
            r.to(calendar::revoke_token)
        }),
        ep(M::GET, "/api/v1/postmortems", |r| r.to(postmortems::list)),
        ep(M::POST, "/api/v1/postmortems", |r| {
            r.to(postmortems::create)
        }),
        ep(M::GET, "/api/v1/postmortems/{id}", |r| {
            r.to(postmortems::get)
        }),
        ep(M::PATCH, "/api/v1/postmortems/{id}", |r| {
            r.to(postmortems::update)
        }),
        ep(M::DELETE, "/api/v1/postmortems/{id}", |r| {
            r.to(postmortems::delete)
        }),
        ep(M::GET, "/api/v1/postmortems/{id}/review", |r| {
            r.to(practice::review_stored)
        }),
        ep(M::POST, "/api/v1/review", |r| r.to(practice::review_draft)),
        ep(M::GET, "/api/v1/postmortems/{id}/metrics", |r| {
            r.to(practice::metrics)
        }),
        ep(M::POST, "/api/v1/postmortems/{id}/publish", |r| {
            r.to(practice::publish)
        }),
        ep(M::GET, "/api/v1/postmortems/{id}/document", |r| {
            r.to(practice::document)
        }),
        ep(M::GET, "/api/v1/postmortems/{id}/participants", |r| {
            r.to(postmortems::list_participants)
        }),
        ep(M::POST, "/api/v1/postmortems/{id}/participants", |r| {
            r.to(postmortems::add_participant)
        }),
        ep(
            M::DELETE,
            "/api/v1/postmortems/{id}/participants/{person_id}",
            |r| r.to(postmortems::remove_participant),
        ),
        ep(M::GET, "/api/v1/postmortems/{id}/timeline", |r| {
            r.to(timeline::list)
        }),
        ep(M::POST, "/api/v1/postmortems/{id}/timeline", |r| {
            r.to(timeline::create)
        }),
        ep(M::POST, "/api/v1/postmortems/{id}/timeline/prefill", |r| {
            r.to(timeline::prefill)
        }),
        ep(
            M::PATCH,
            "/api/v1/postmortems/{id}/timeline/{entry_id}",
            |r| r.to(timeline::update),
        ),
        ep(
            M::DELETE,
            "/api/v1/postmortems/{id}/timeline/{entry_id}",
            |r| r.to(timeline::delete),
        ),
        ep(M::GET, "/api/v1/postmortems/{id}/causes", |r| {
            r.to(causes::list)
        }),
        ep(M::POST, "/api/v1/postmortems/{id}/causes", |r| {
            r.to(causes::create)
        }),
        ep(
            M::PATCH,
            "/api/v1/postmortems/{id}/causes/{cause_id}",
            |r| r.to(causes::update),
        ),
        ep(
            M::DELETE,
            "/api/v1/postmortems/{id}/causes/{cause_id}",
            |r| r.to(causes::delete),
        ),
        ep(M::GET, "/api/v1/postmortems/{id}/action-items", |r| {
            r.to(action_items::list_for_postmortem)
        }),
        ep(M::POST, "/api/v1/postmortems/{id}/action-items", |r| {
            r.to(action_items::create)
        }),
        ep(M::GET, "/api/v1/action-items", |r| r.to(action_items::list)),
        ep(M::GET, "/api/v1/action-items/calendar.ics", |r| {
            r.to(calendar::feed)
        }),
        ep(M::GET, "/api/v1/action-items/{id}", |r| {
            r.to(action_items::get)
        }),
        ep(M::PATCH, "/api/v1/action-items/{id}", |r| {
            r.to(action_items::update)
        }),
        ep(M::DELETE, "/api/v1/action-items/{id}", |r| {
            r.to(action_items::delete)
        }),
        ep(M::POST, "/api/v1/action-items/{id}/sync", |r| {
            r.to(action_items::sync)
        }),
        ep(M::GET, "/api/v1/trackers", |r| r.to(trackers::list)),
        ep(M::POST, "/api/v1/trackers", |r| r.to(trackers::create)),
        ep(M::GET, "/api/v1/trackers/{id}", |r| r.to(trackers::get)),
        ep(M::PATCH, "/api/v1/trackers/{id}", |r| {
            r.to(trackers::update)
        }),
        ep(M::DELETE, "/api/v1/trackers/{id}", |r| {
            r.to(trackers::delete)
        }),
        ep(M::GET, "/api/v1/integrations", |r| r.to(integrations::list)),
        ep(M::POST, "/api/v1/integrations", |r| {
            r.to(integrations::create)
        }),
        ep(M::GET, "/api/v1/integrations/{id}", |r| {
            r.to(integrations::get)
        }),
        ep(M::PATCH, "/api/v1/integrations/{id}", |r| {
            r.to(integrations::update)
        }),
        ep(M::DELETE, "/api/v1/integrations/{id}", |r| {
            r.to(integrations::delete)
        }),
        ep(M::POST, "/api/v1/integrations/{id}/rotate-secret", |r| {
            r.to(integrations::rotate_secret)
        }),
        ep(M::GET, "/api/v1/integrations/{id}/deliveries", |r| {
            r.to(deliveries::list)
        }),
        ep(
            M::GET,
            "/api/v1/integrations/{id}/deliveries/{delivery_id}",
            |r| r.to(deliveries::get),
        ),
        ep(M::POST, "/api/v1/integrations/{id}/replay", |r| {
            r.to(deliveries::replay)
        }),
        ep(M::POST, "/api/v1/integrations/{id}/preview", |r| {
            r.to(deliveries::preview)
        }),
        ep(M::GET, "/api/v1/events", |r| r.to(events::list)),
        ep(M::GET, "/api/v1/audit", |r| r.to(audit::list)),
        ep(M::GET, "/api/v1/postmortems/{id}/history", |r| {
            r.to(audit::history)
        }),
        ep(M::POST, "/graphql", |r| r.to(crate::graphql::execute)),
        ep(M::GET, "/graphql", |r| {
            r.to(crate::graphql::explore_or_subscribe)
        }),
    ]
}

/// Registers every endpoint, one resource per path so that a wrong method gets
/// a 405 problem rather than a bare response.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let endpoints = endpoints();
    let mut paths: Vec<&'static str> = endpoints.iter().map(|e| e.path).collect();
    paths.dedup();
    for path in paths {
        let methods: Vec<&str> = endpoints
            .iter()
            .filter(|e| e.path == path)
            .map(|e| e.method.as_str())
            .collect();
        let allow = methods.join(", ");
        let mut resource = web::resource(path).default_service(web::to(move || {
            let allow = allow.clone();
            async move { method_not_allowed(&allow) }
        }));
        for endpoint in endpoints.iter().filter(|e| e.path == path) {
            resource = resource.route((endpoint.handler)(
                web::route().method(endpoint.method.clone()),
            ));
        }
        cfg.service(resource);
    }
}

/// 405 with the methods the path does accept, as RFC 9110 asks.
fn method_not_allowed(allow: &str) -> HttpResponse {
    let mut response = problem_response(
        405,
        "Method not allowed",
        "method_not_allowed",
        "this path does not accept this method",
    );
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The answer for paths no route matches.
pub async fn route_not_found() -> HttpResponse {
    problem_response(
        404,
        "Not found",
        "route_not_found",
        "no route matches this path",
    )
}

fn problem_response(status: u16, title: &str, code: &str, detail: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status).unwrap_or_default();
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(serde_json::json!({
            "type": format!("https://hindsight.dev/problems/{code}"),
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
            "code": code,
        }))
}

/// A query string parsed into `T`; a value of the wrong type is a 422 naming it.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned> actix_web::FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let pairs = form_urlencoded::parse(req.query_string().as_bytes());
        if pairs
            .clone()
            .any(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return std::future::ready(Err(ApiError::validation(
                "query",
                "must not contain NUL characters",
            )));
        }
        let parsed = serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs))
            .map(QueryParams)
            .map_err(|e| {
                let field = e.path().to_string();
                let message = extract::without_values(&e.into_inner().to_string());
                let field = if field == "." {
                    "query".to_owned()
                } else {
                    field
                };
                ApiError::validation(field, message)
            });
        std::future::ready(parsed)
    }
}

/// How people appear to this reader in one post-mortem.
pub async fn redactor_for(
    s: &Session,
    postmortem_id: uuid::Uuid,
) -> ApiResult<std::sync::Arc<Redactor>> {
    let pm = get_record(s.db(), postmortem_id).await?;
    anonymity::redactor(s.db(), s.audience(), &pm).await
}

/// 200 with the resource's `ETag`.
pub fn ok_tagged(version: i32, body: impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, extract::etag(version)))
        .json(body)
}

/// 201 with `Location` and `ETag`.
pub fn created(location: String, version: i32, body: impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, extract::etag(version)))
        .json(body)
}

/// Counts and times every request by its route pattern (not its raw path, so
/// ids do not explode the label set), and echoes the request id to the client.
pub async fn observe_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let mut response = next.call(req).await?;
    if let Some(state) = state {
        let status = response.status().as_u16();
        state
            .metrics
            .observe(&method, &route, status, started.elapsed().as_secs_f64());
    }
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), id);
    }
    Ok(response)
}

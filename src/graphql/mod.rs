//! The GraphQL API at `/graphql`: one schema built at start-up, queries and
//! mutations split per domain and merged, DataLoaders per request, the same
//! auth, validation and error codes as REST.

mod action_items;
mod error;
mod loaders;
mod people;
mod postmortems;
mod stats;
mod timeline;
mod types;

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use async_graphql::{
    Context, Data, MergedObject, MergedSubscription, Schema, http::GraphiQLSource,
};
use async_graphql_actix_web::GraphQLSubscription;

use crate::{
    auth::{AuthUser, Role},
    config::GraphqlSettings,
    error::{ApiError, ApiResult},
    rest::extract::JsonBody,
    services::page::PageRequest,
    startup::AppState,
};
use error::GraphqlResult;
use loaders::Loaders;

#[derive(MergedObject, Default)]
pub struct Query(
    postmortems::PostmortemQuery,
    action_items::ActionItemQuery,
    people::PeopleQuery,
    stats::StatsQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    postmortems::PostmortemMutation,
    timeline::TimelineMutation,
    action_items::ActionItemMutation,
    people::ParticipantMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(timeline::TimelineSubscription);

pub type HindsightSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema once, with the abuse limits on: depth and complexity are
/// checked on the parsed query, before any resolver runs.
pub fn build_schema(settings: &GraphqlSettings) -> HindsightSchema {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(settings.max_depth)
    .limit_complexity(settings.max_complexity)
    .data(settings.clone());
    if settings.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The SDL `schema.graphql` holds; `hindsight graphql-schema` prints it.
pub fn sdl() -> String {
    build_schema(&GraphqlSettings::default()).sdl()
}

/// What every resolver knows about its request.
pub struct Caller {
    pub state: web::Data<AppState>,
    pub user: AuthUser,
    pub loaders: Loaders,
}

/// Items a nested list or connection returns when `first` is not given.
pub const DEFAULT_PAGE_SIZE: usize = 50;

/// The cost of a list: its page size times what one item costs.
fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let size = first.map_or(DEFAULT_PAGE_SIZE, |n| usize::try_from(n).unwrap_or(0));
    size.max(1).saturating_mul(child_complexity)
}

/// `expectedVersion` as the same precondition `If-Match` is over REST.
fn precondition(expected: Option<i32>) -> impl FnOnce(i32) -> ApiResult<()> {
    move |current| match expected {
        Some(version) if version != current => Err(ApiError::PreconditionFailed),
        _ => Ok(()),
    }
}

impl Caller {
    fn new(state: web::Data<AppState>, user: AuthUser) -> Self {
        let loaders = Loaders::new(&state.db);
        Self {
            state,
            user,
            loaders,
        }
    }

    pub fn get<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Caller> {
        ctx.data::<Caller>()
    }

    pub fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
        Ok(&Self::get(ctx)?.loaders)
    }

    pub fn read(&self) -> async_graphql::Result<()> {
        self.user.require(Role::Viewer).gql()
    }

    pub fn write(&self) -> async_graphql::Result<()> {
        self.user.can_write().gql()
    }

    pub fn admin(&self) -> async_graphql::Result<()> {
        self.user.can_admin().gql()
    }

    /// `first` within 1..=max page size (default 50).
    pub fn page_size(&self, first: Option<i32>) -> async_graphql::Result<usize> {
        let max = self.state.settings.graphql.max_page_size;
        match first {
            None => Ok(DEFAULT_PAGE_SIZE.min(max)),
            Some(n) if n >= 1 && n as usize <= max => Ok(n as usize),
            Some(_) => Err(ApiError::validation(
                "first",
                format!("must be between 1 and {max}"),
            ))
            .gql(),
        }
    }

    pub fn page_request(
        &self,
        first: Option<i32>,
        after: Option<&str>,
    ) -> async_graphql::Result<PageRequest> {
        let limit = self.page_size(first)? as u64;
        PageRequest::new(Some(limit), after)
            .map_err(|e| match e {
                ApiError::Validation(_) => {
                    ApiError::validation("after", "is not a cursor this server issued")
                }
                other => other,
            })
            .gql()
    }
}

/// `POST /graphql`: a query or mutation as JSON, with the same bearer token,
/// body limit and content-type rules as REST.
pub async fn execute(
    state: web::Data<AppState>,
    user: AuthUser,
    JsonBody(request): JsonBody<async_graphql::Request>,
) -> HttpResponse {
    let caller = Caller::new(state.clone(), user);
    let response = state.graphql.execute(request.data(caller)).await;
    HttpResponse::Ok().json(response)
}

/// `GET /graphql`: GraphiQL for a browser, or a `graphql-transport-ws`
/// WebSocket for subscriptions, authenticated by the `connection_init` payload.
pub async fn explore_or_subscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        let page = GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql")
            .title("hindsight GraphiQL")
            .finish();
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(page));
    }
    let schema = state.graphql.clone();
    GraphQLSubscription::new(schema)
        .on_connection_init(move |init| {
            let state = state.clone();
            async move {
                let user = state
                    .tokens
                    .authenticate(init_authorization(&init).as_deref())
                    .gql()?;
                let mut data = Data::default();
                data.insert(Caller::new(state, user));
                Ok(data)
            }
        })
        .start(&req, payload)
}

/// `{"Authorization": "Bearer ..."}` or `{"token": "..."}`.
fn init_authorization(payload: &serde_json::Value) -> Option<String> {
    let field = |name: &str| payload.get(name).and_then(|v| v.as_str());
    field("Authorization")
        .or_else(|| field("authorization"))
        .map(str::to_owned)
        .or_else(|| field("token").map(|t| format!("Bearer {t}")))
}

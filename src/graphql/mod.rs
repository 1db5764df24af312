//! The GraphQL API at `/graphql`: one schema built at start-up, queries and
//! mutations split per domain and merged, DataLoaders per request, the same
//! auth, validation and error codes as REST.

mod action_items;
mod cache;
mod error;
pub mod guard;
mod ingest;
mod loaders;
mod people;
mod plain;
mod postmortems;
mod practice;
mod stats;
mod timeline;
mod timestamp;
mod types;

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use actix_web::{HttpRequest, HttpResponse, ResponseError, http::header, web, web::Bytes};
use async_graphql::{
    Context, Data, MergedObject, MergedSubscription, OutputType, Schema,
    connection::{Connection, Edge},
    http::GraphiQLSource,
};
use async_graphql_actix_web::GraphQLSubscription;

use crate::{
    auth::AuthUser,
    config::GraphqlSettings,
    error::{ApiError, ApiResult},
    rest::extract::JsonBody,
    services::{
        anonymity::{self, Audience, Redactor},
        page::{Page, PageRequest},
        session::{Admin, Reader, Session, Writer},
    },
    startup::AppState,
};
use entity::postmortem;
use error::GraphqlResult;
use loaders::Loaders;
use uuid::Uuid;

#[derive(MergedObject, Default)]
pub struct Query(
    postmortems::PostmortemQuery,
    action_items::ActionItemQuery,
    people::PeopleQuery,
    stats::StatsQuery,
    ingest::IngestQuery,
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
    /// Who is asking, as the use cases take them.
    session: Session,
    pub loaders: Loaders,
    /// How people appear in each post-mortem to this caller, built once per request.
    redactors: Mutex<HashMap<Uuid, Arc<Redactor>>>,
    /// Set by resolvers whose answer changes without a commit (counts held in
    /// memory, the clock): such an answer is not kept.
    volatile: Arc<AtomicBool>,
}

/// Items a nested list or connection returns when `first` is not given.
pub const DEFAULT_PAGE_SIZE: usize = 50;

/// What a root list's own trip to the database costs on top of its items: a
/// request of many aliased `postmortems(first: 1)` costs its queries, not
/// only its fields. (Nested lists share one batched query per level, so they
/// pay none.)
pub const ROUND_TRIP_COST: usize = 100;

/// The cost of a list: its page size times what one item costs.
fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let size = first.map_or(DEFAULT_PAGE_SIZE, |n| usize::try_from(n).unwrap_or(0));
    size.max(1).saturating_mul(child_complexity)
}

/// A root list: its page, and its own query.
fn root_page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    page_cost(first, child_complexity).saturating_add(ROUND_TRIP_COST)
}

/// A page from a service as a Relay connection; `node` gives each item's
/// cursor and node. There is a previous page whenever `after` was given.
fn page_connection<T, N: OutputType>(
    page: Page<T>,
    after: Option<&str>,
    mut node: impl FnMut(T) -> (String, N),
) -> Connection<String, N> {
    let mut connection = Connection::new(after.is_some(), page.next_cursor.is_some());
    connection.edges.extend(page.items.into_iter().map(|item| {
        let (cursor, node) = node(item);
        Edge::new(cursor, node)
    }));
    connection
}

/// `expectedVersion` as the same precondition `If-Match` is over REST.
fn precondition(expected: Option<i32>) -> impl FnOnce(i32) -> ApiResult<()> {
    move |current| match expected {
        Some(version) if version != current => Err(ApiError::PreconditionFailed),
        _ => Ok(()),
    }
}

impl Caller {
    fn new(state: web::Data<AppState>, user: AuthUser, request_id: Option<String>) -> Self {
        let loaders = Loaders::new(&state.db);
        Self {
            session: Session::new(state.core.clone(), user, request_id),
            state,
            loaders,
            redactors: Mutex::default(),
            volatile: Arc::default(),
        }
    }

    /// This answer depends on more than the database: do not keep it.
    pub fn volatile(&self) {
        self.volatile.store(true, Ordering::Relaxed);
    }

    /// The same naming rules as REST: admins see names, editors unless the
    /// post-mortem is anonymized, viewers never.
    pub fn audience(&self) -> Audience {
        self.session.audience()
    }

    /// How people appear in `pm` to this caller: from the participants and
    /// action items loaders and the directory, so a page of post-mortems costs
    /// no extra query for it.
    pub async fn redactor(&self, pm: &postmortem::Model) -> async_graphql::Result<Arc<Redactor>> {
        if let Some(found) = self.cached_redactor(pm.id) {
            return Ok(found);
        }
        let (participants, action_items, directory) = futures_util::try_join!(
            self.loaders.participants.load_one(pm.id),
            self.loaders.action_items.load_one(pm.id),
            self.loaders.directory(),
        )?;
        let redactor = Arc::new(anonymity::build_redactor(
            self.audience(),
            pm,
            participants.as_deref().map_or(&[][..], Vec::as_slice),
            action_items.as_deref().map_or(&[][..], Vec::as_slice),
            &directory,
        ));
        if let Ok(mut cache) = self.redactors.lock() {
            cache.insert(pm.id, redactor.clone());
        }
        Ok(redactor)
    }

    fn cached_redactor(&self, id: Uuid) -> Option<Arc<Redactor>> {
        self.redactors.lock().ok()?.get(&id).cloned()
    }

    /// The redactor of the post-mortem with this id.
    pub async fn redactor_of(&self, postmortem_id: Uuid) -> async_graphql::Result<Arc<Redactor>> {
        if let Some(found) = self.cached_redactor(postmortem_id) {
            return Ok(found);
        }
        let view = self
            .loaders
            .postmortems
            .load_one(postmortem_id)
            .await?
            .ok_or(ApiError::NotFound("post-mortem"))
            .gql()?;
        self.redactor(&view.record).await
    }

    pub fn get<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Caller> {
        ctx.data::<Caller>()
    }

    pub fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
        Ok(&Self::get(ctx)?.loaders)
    }

    /// The caller as a use case that reads takes them.
    pub fn reader(&self) -> async_graphql::Result<Reader> {
        self.session.clone().reader().gql()
    }

    /// The caller as a use case that writes takes them: 403 for viewers.
    pub fn writer(&self) -> async_graphql::Result<Writer> {
        self.session.clone().writer().gql()
    }

    /// The caller as an admin's use case takes them: 403 for others.
    pub fn admin(&self) -> async_graphql::Result<Admin> {
        self.session.clone().admin().gql()
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

pub use cache::AnswerCache;

/// `POST /graphql`: a query or mutation as JSON, with the same bearer token,
/// body limit and content-type rules as REST. A query asked again while the
/// database has not changed gets the answer worked out before ([`cache`]).
pub async fn execute(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    JsonBody(mut request): JsonBody<async_graphql::Request>,
) -> HttpResponse {
    let limits = &state.settings.graphql;
    if request.query.len() > limits.max_query_bytes {
        return refused(guard::coded(
            format!(
                "the query is longer than {} bytes (HINDSIGHT_GRAPHQL_MAX_QUERY_BYTES)",
                limits.max_query_bytes
            ),
            "query_too_large",
        ));
    }
    // Measured on the parsed document, before the cache, SQL or a resolver;
    // execution reuses the parse. A query that does not parse is reported by
    // execution as usual.
    if let Ok(doc) = request.parsed_query() {
        let size = guard::measure(doc, limits.max_fields, limits.max_aliases);
        if size.fields > limits.max_fields || size.aliases > limits.max_aliases {
            return refused(guard::too_large(&size, limits));
        }
    }
    let answers = &state.graphql_answers;
    let key = answers.key(&user, &request);
    let mut lookup = match &key {
        Some(key) => answers.lookup(key, &state.db, &state.metrics).await,
        None => cache::Lookup::Unknown,
    };
    match lookup {
        cache::Lookup::Fresh(body) => return json(body),
        cache::Lookup::Wait(flight) => match cache::answer_of(flight).await {
            Some(body) => return json(body),
            // The request working it out gave up: work it out alone.
            None => lookup = cache::Lookup::Unknown,
        },
        _ => {}
    }
    let _admitted = match state.graphql_admission.admit(&user.sub) {
        Ok(admitted) => admitted,
        Err(busy) => return busy.error_response(),
    };
    let request_id = crate::rest::extract::request_id(&req);
    let caller = Caller::new(state.clone(), user, request_id);
    let volatile = caller.volatile.clone();
    let execution = state.graphql.execute(request.data(caller));
    let mut response = match tokio::time::timeout(limits.deadline, execution).await {
        Ok(response) => response,
        Err(_) => async_graphql::Response::from_errors(vec![guard::coded(
            format!(
                "the request took longer than {} s (HINDSIGHT_GRAPHQL_DEADLINE) and was stopped",
                limits.deadline.as_secs_f64()
            ),
            "deadline_exceeded",
        )]),
    };
    for error in &mut response.errors {
        code_limit_error(error);
    }
    let body = match serde_json::to_vec(&response) {
        Ok(body) => Bytes::from(body),
        Err(e) => return ApiError::Internal(e.into()).error_response(),
    };
    let keepable = response.errors.is_empty() && !volatile.load(Ordering::Relaxed);
    if let (Some(key), true) = (key, keepable) {
        match lookup {
            cache::Lookup::New => answers.remember(key),
            cache::Lookup::Stale(lead) => lead.finish(body.clone()),
            _ => {}
        }
    }
    json(body)
}

/// A request refused before it ran, as GraphQL errors are answered.
fn refused(error: async_graphql::ServerError) -> HttpResponse {
    let response = async_graphql::Response::from_errors(vec![error]);
    match serde_json::to_vec(&response) {
        Ok(body) => json(Bytes::from(body)),
        Err(e) => ApiError::Internal(e.into()).error_response(),
    }
}

fn json(body: Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}

/// async-graphql refuses over-limit queries with a message only; give them a
/// stable code like every other error.
fn code_limit_error(error: &mut async_graphql::ServerError) {
    let code = match error.message.as_str() {
        "Query is nested too deep." => "query_too_deep",
        "Query is too complex." => "query_too_complex",
        _ => return,
    };
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
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
                let claims = state
                    .tokens
                    .bearer_claims(init_authorization(&init).as_deref())
                    .await
                    .gql()?;
                let expires = TokenExpiry(claims.exp);
                let user = crate::auth::AuthUser {
                    sub: claims.sub,
                    role: claims.role,
                };
                let mut data = Data::default();
                data.insert(Caller::new(state, user, None));
                data.insert(expires);
                Ok(data)
            }
        })
        .start(&req, payload)
}

/// When the token a WebSocket authenticated with expires (unix seconds):
/// its subscriptions end then.
#[derive(Clone, Copy)]
pub struct TokenExpiry(pub u64);

impl TokenExpiry {
    /// A future that completes when the token expires.
    pub fn reached(self) -> tokio::time::Sleep {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        tokio::time::sleep(std::time::Duration::from_secs(self.0.saturating_sub(now)))
    }
}

/// `{"Authorization": "Bearer ..."}` or `{"token": "..."}`.
fn init_authorization(payload: &serde_json::Value) -> Option<String> {
    let field = |name: &str| payload.get(name).and_then(|v| v.as_str());
    field("Authorization")
        .or_else(|| field("authorization"))
        .map(str::to_owned)
        .or_else(|| field("token").map(|t| format!("Bearer {t}")))
}

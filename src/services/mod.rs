//! Use cases over the database, shared by REST and GraphQL. Every function takes
//! `&impl ConnectionTrait` so it runs inside or outside a transaction.

pub mod action_items;
pub mod anonymity;
pub mod audit;
pub mod batch_writer;
pub mod calendar;
pub mod causes;
pub mod deliveries;
pub mod delivery_stats;
pub mod dossier;
pub mod events;
pub mod integrations;
pub mod key_checks;
pub mod notify;
pub mod outbox;
pub mod page;
pub mod participants;
pub mod people;
pub mod postmortems;
pub mod prefill;
pub mod publishing;
pub mod session;
pub mod share;
pub mod stats;
pub mod sync;
pub mod timeline;
pub mod tracker_limits;
pub mod tracker_updates;
pub mod trackers;
pub mod webhooks;

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait,
    DatabaseBackend, DbErr, EntityTrait, IntoActiveModel, QueryFilter, SqliteTransactionMode,
    TransactionOptions, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, FieldError};

/// What the use cases need besides the caller, built once at start: the
/// database, the settings, the feed of new timeline entries, the one outbound
/// HTTP client (timeouts, no redirects), the one public URL (the base of
/// every link hindsight hands out: `HINDSIGHT_PUBLIC_URL`, or
/// `http://<bound address>`), the metrics, the integrations webhooks read and
/// the key of person handles. A use case that takes it performs its own
/// after-commit effects (the feed, the caches, the metrics, announcements),
/// so no entry point can forget them. Shared as an `Arc`; a
/// [`session::Session`] adds the caller.
pub struct Core {
    pub db: sea_orm::DatabaseConnection,
    pub settings: crate::config::Settings,
    pub timeline_feed: timeline::TimelineFeed,
    pub http: reqwest::Client,
    pub public_url: String,
    pub metrics: crate::telemetry::Metrics,
    /// Integrations as webhooks need them, read at most once a second each.
    pub integrations: integrations::IntegrationCache,
    /// Derived from the secret key once, not per request.
    pub handles: anonymity::HandleKey,
    /// Pre-fill settings and what open post-mortems name.
    pub prefill: prefill::Prefill,
    /// Delivery counts not yet added to the `integrations` table.
    pub deliveries: delivery_stats::DeliveryStats,
}

/// `column IN (ids)`. On PostgreSQL `column = ANY($1)` with the ids as one
/// array: a page of 100 post-mortems is one bind value, not 100, and the
/// statement keeps one plan whatever the page's length.
pub fn one_of<C: ColumnTrait>(db: &impl ConnectionTrait, column: C, ids: &[Uuid]) -> Condition {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
            let array = format!("{{{}}}", ids.join(","));
            let sql = format!(
                r#""{}"."{}" = ANY(CAST($1 AS uuid[]))"#,
                column.entity_name(),
                column.as_str()
            );
            Condition::all().add(Expr::cust_with_values(sql, [array]))
        }
        _ => Condition::all().add(column.is_in(ids.iter().copied())),
    }
}

/// Rows grouped under a key, keeping their order within each group.
pub fn group_by<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut map: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

/// Current time at the precision both databases keep (microseconds), so that
/// what a write returns equals what a later read returns.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Time-ordered ids: new rows sort after old ones, which keeps cursors cheap.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Starts a transaction that will write. On SQLite it takes the write lock at
/// `BEGIN` (IMMEDIATE): a deferred transaction that reads first and writes later
/// cannot wait for the lock and fails with "database is locked" under
/// concurrency. PostgreSQL ignores the mode.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Writes an update only if the row is still at `expected` version; a
/// concurrent writer that got there first turns this into a 412.
pub async fn update_versioned<A, C>(
    db: &C,
    model: A,
    version_column: <A::Entity as EntityTrait>::Column,
    expected: i32,
) -> ApiResult<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    C: ConnectionTrait,
{
    let update = <A::Entity as EntityTrait>::update(model)
        .validate()?
        .filter(version_column.eq(expected));
    match update.exec(db).await {
        Err(DbErr::RecordNotUpdated) => Err(ApiError::PreconditionFailed),
        other => Ok(other?),
    }
}

/// Collects field errors so a client learns about all of them at once.
#[derive(Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn check(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.add(field, message);
        }
    }

    /// Trims `text` and checks it is neither empty nor longer than `max` characters.
    pub fn text(&mut self, field: &str, text: &str, max: usize) -> String {
        let trimmed = text.trim();
        if trimmed.contains('\0') {
            self.add(field, "must not contain NUL characters");
        } else if trimmed.is_empty() {
            self.add(field, "must not be empty");
        } else if trimmed.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
        trimmed.to_owned()
    }

    /// Like [`Problems::text`] but empty is allowed (and becomes `None`).
    pub fn optional_text(&mut self, field: &str, text: Option<&str>, max: usize) -> Option<String> {
        let trimmed = text.map(str::trim).filter(|t| !t.is_empty())?;
        if trimmed.contains('\0') {
            self.add(field, "must not contain NUL characters");
        } else if trimmed.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
        Some(trimmed.to_owned())
    }

    /// Long prose (summaries, descriptions): may be empty, trimmed, bounded.
    pub fn prose(&mut self, field: &str, text: &str) -> String {
        self.optional_text(field, Some(text), 100_000)
            .unwrap_or_default()
    }

    /// An absolute http(s) URL; `None` for none (an empty string is not a URL).
    pub fn url(&mut self, field: &str, url: Option<&str>) -> Option<String> {
        if url.is_some_and(|u| u.trim().is_empty()) {
            self.add(field, "must be an absolute http(s) URL, or null for none");
            return None;
        }
        let url = self.optional_text(field, url, 2048)?;
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.contains(char::is_whitespace)
        {
            self.add(field, "must be an absolute http(s) URL");
        }
        Some(url)
    }

    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

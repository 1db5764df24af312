//! Answers to repeated queries, kept for as long as the database has not
//! changed. A dashboard refreshing every few seconds asks the same query over
//! and over, and between two commits its answer cannot differ, so it is
//! worked out once. Whether anything was committed is asked of the database
//! itself, so writes by another replica, a migration or a psql session count
//! as much as our own: on PostgreSQL the `data_versions` table, which a
//! trigger on every table whose answers are kept raises in each writing
//! transaction (migration 000008); on SQLite `PRAGMA data_version`, on a
//! connection kept for it, which changes with every commit by any other
//! connection. Answers showing anything else (webhook events, delivery counts
//! held in memory) are marked volatile by their resolvers and never kept.
//!
//! The version is read before the query runs, so an answer is never kept
//! under a version older than the data it was made from. A query is kept
//! from its second request on, so one-off queries never pay for the check.
//! Only queries are kept, per caller and per UTC day (`overdue` depends on
//! it), and only answers without errors. When the data changes under a
//! dashboard, the requests asking the same query at the same version wait for
//! the first one's answer instead of all asking the database at once.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use actix_web::web::Bytes;
use async_graphql::parser::{parse_query, types::OperationType};
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement,
    sqlx::{Connection, sqlite::SqliteConnection},
};
use tokio::sync::watch;

use crate::{
    auth::{AuthUser, Role},
    telemetry::Metrics,
};

/// Distinct queries remembered at most (answered or only seen once).
const MAX_SLOTS: usize = 4096;

/// What an answer depends on besides the data.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Key {
    subject: String,
    role: Role,
    day: NaiveDate,
    query: String,
    operation: Option<String>,
    variables: String,
}

impl Key {
    /// `None` for requests an answer cannot be kept for: uploads or
    /// extensions (persisted queries and the like).
    pub fn of(user: &AuthUser, request: &async_graphql::Request) -> Option<Self> {
        if !request.uploads.is_empty() || !request.extensions.is_empty() {
            return None;
        }
        Some(Self {
            subject: user.sub.clone(),
            role: user.role,
            day: Utc::now().date_naive(),
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
        })
    }

    /// Memory it takes, counted against the budget like the answers.
    fn size(&self) -> usize {
        self.subject.len()
            + self.query.len()
            + self.operation.as_ref().map_or(0, String::len)
            + self.variables.len()
    }

    /// Whether the operation it names is a query (not a mutation or subscription).
    fn is_query(&self) -> bool {
        let Ok(document) = parse_query(&self.query) else {
            return false;
        };
        document
            .operations
            .iter()
            .find(|(name, _)| match &self.operation {
                Some(wanted) => name.is_some_and(|n| n.as_str() == wanted),
                None => true,
            })
            .is_some_and(|(_, op)| op.node.ty == OperationType::Query)
    }
}

/// What is remembered of one query.
struct Slot {
    /// The answer and the database version it was made at.
    answer: Option<(String, Bytes)>,
    last_used: u64,
}

impl Slot {
    fn size(&self, key: &Key) -> usize {
        key.size()
            + self
                .answer
                .as_ref()
                .map_or(0, |(v, body)| v.len() + body.len())
    }
}

#[derive(Default)]
struct Slots {
    map: HashMap<Key, Slot>,
    bytes: usize,
    clock: u64,
    /// Answers being worked out, by the version they are worked out at:
    /// other requests for the same wait instead of asking the database too.
    flights: HashMap<Key, (String, watch::Receiver<Option<Bytes>>)>,
}

impl Slots {
    fn touch(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Drops the least recently used slots until `fits` holds.
    fn evict_until(&mut self, fits: impl Fn(&Self) -> bool) {
        while !fits(self) {
            let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, slot)| slot.last_used)
                .map(|(key, _)| key.clone())
            else {
                return;
            };
            if let Some(slot) = self.map.remove(&oldest) {
                self.bytes -= slot.size(&oldest);
            }
        }
    }
}

/// Where the database version is read.
enum Versions {
    /// The `data_versions` table, read on the application's pool.
    Postgres,
    /// `PRAGMA data_version` on a connection of its own (the value is only
    /// comparable on one connection); a new connection starts a new epoch.
    Sqlite {
        url: String,
        connection: tokio::sync::Mutex<Option<SqliteConnection>>,
        epoch: AtomicU64,
    },
    /// No way to tell (an in-memory SQLite database is private to each connection).
    Unknown,
}

pub struct AnswerCache {
    budget: usize,
    slots: Mutex<Slots>,
    versions: Versions,
}

/// What [`AnswerCache::lookup`] found.
pub enum Lookup<'a> {
    /// Never answered without errors: run it, and remember it if it is a query.
    New,
    /// Seen before: run it and hand the answer to [`Lead::finish`].
    Stale(Lead<'a>),
    /// Another request is working this answer out at the same version.
    Wait(watch::Receiver<Option<Bytes>>),
    /// The answer, still true.
    Fresh(Bytes),
    /// Seen before, but the version could not be read: run it, keep nothing.
    Unknown,
}

/// The request working out an answer others may be waiting for. Dropped
/// without [`Lead::finish`] (an error, a volatile answer, a client gone), it
/// lets them go and work it out themselves.
pub struct Lead<'a> {
    cache: &'a AnswerCache,
    key: Key,
    version: String,
    done: watch::Sender<Option<Bytes>>,
}

impl Lead<'_> {
    /// Keeps the answer and hands it to whoever waits.
    pub fn finish(self, body: Bytes) {
        self.cache
            .keep(self.key.clone(), self.version.clone(), body.clone());
        self.done.send_replace(Some(body));
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.cache.slots.lock()
            && slots
                .flights
                .get(&self.key)
                .is_some_and(|(version, _)| *version == self.version)
        {
            slots.flights.remove(&self.key);
        }
    }
}

/// The answer another request worked out, or `None` when it gave up.
pub async fn answer_of(mut flight: watch::Receiver<Option<Bytes>>) -> Option<Bytes> {
    flight
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|answer| answer.clone())
}

impl AnswerCache {
    pub fn new(budget: usize, database_url: &str) -> Self {
        let versions = if database_url.starts_with("postgres") {
            Versions::Postgres
        } else if database_url.contains(":memory:") || database_url.contains("mode=memory") {
            Versions::Unknown
        } else {
            Versions::Sqlite {
                url: database_url.to_owned(),
                connection: tokio::sync::Mutex::new(None),
                epoch: AtomicU64::new(0),
            }
        };
        Self {
            budget,
            slots: Mutex::default(),
            versions,
        }
    }

    fn enabled(&self) -> bool {
        self.budget > 0 && !matches!(self.versions, Versions::Unknown)
    }

    /// The key of a request worth looking up, when caching is on.
    pub fn key(&self, user: &AuthUser, request: &async_graphql::Request) -> Option<Key> {
        self.enabled().then(|| Key::of(user, request)).flatten()
    }

    pub async fn lookup<'a>(
        &'a self,
        key: &Key,
        db: &DatabaseConnection,
        metrics: &Metrics,
    ) -> Lookup<'a> {
        let seen = self.slots.lock().is_ok_and(|mut slots| {
            let now = slots.touch();
            slots
                .map
                .get_mut(key)
                .map(|slot| slot.last_used = now)
                .is_some()
        });
        if !seen {
            return Lookup::New;
        }
        let Some(version) = self.version(db, metrics).await else {
            return Lookup::Unknown;
        };
        let Ok(mut slots) = self.slots.lock() else {
            return Lookup::Unknown;
        };
        let kept = slots.map.get(key).and_then(|slot| slot.answer.as_ref());
        if let Some((at, body)) = kept
            && *at == version
        {
            metrics.answered_from_memory();
            return Lookup::Fresh(body.clone());
        }
        if let Some((at, flight)) = slots.flights.get(key)
            && *at == version
        {
            return Lookup::Wait(flight.clone());
        }
        let (done, flight) = watch::channel(None);
        slots.flights.insert(key.clone(), (version.clone(), flight));
        Lookup::Stale(Lead {
            cache: self,
            key: key.clone(),
            version,
            done,
        })
    }

    /// Remembers that a query was answered once, so its next request is kept.
    pub fn remember(&self, key: Key) {
        if !key.is_query() {
            return;
        }
        let slot = Slot {
            answer: None,
            last_used: 0,
        };
        self.put(key, slot);
    }

    /// Keeps an answer made at `version`.
    pub fn keep(&self, key: Key, version: String, body: Bytes) {
        let slot = Slot {
            answer: Some((version, body)),
            last_used: 0,
        };
        self.put(key, slot);
    }

    fn put(&self, key: Key, mut slot: Slot) {
        let size = slot.size(&key);
        // One query may take at most a quarter of the memory.
        if size > self.budget / 4 {
            return;
        }
        let Ok(mut slots) = self.slots.lock() else {
            return;
        };
        slot.last_used = slots.touch();
        if let Some(old) = slots.map.remove(&key) {
            slots.bytes -= old.size(&key);
        }
        slots.evict_until(|s| s.bytes + size <= self.budget && s.map.len() < MAX_SLOTS);
        slots.bytes += size;
        slots.map.insert(key, slot);
    }

    /// The database's version now; `None` when it cannot be read.
    async fn version(&self, db: &DatabaseConnection, metrics: &Metrics) -> Option<String> {
        match &self.versions {
            Versions::Postgres => {
                let row = db
                    .query_one_raw(Statement::from_string(
                        DatabaseBackend::Postgres,
                        "SELECT string_agg(version::text, '.' ORDER BY table_name) AS version \
                         FROM data_versions",
                    ))
                    .await
                    .inspect_err(|e| tracing::warn!(error = %e, "reading the database version"))
                    .ok()??;
                row.try_get::<String>("", "version").ok()
            }
            Versions::Sqlite {
                url,
                connection,
                epoch,
            } => {
                let mut connection = connection.lock().await;
                if connection.is_none() {
                    let opened = SqliteConnection::connect(url)
                        .await
                        .inspect_err(
                            |e| tracing::warn!(error = %e, "opening the version connection"),
                        )
                        .ok()?;
                    epoch.fetch_add(1, Ordering::Relaxed);
                    *connection = Some(opened);
                }
                metrics.count_statement();
                let version: Result<i64, _> = sea_orm::sqlx::query_scalar("PRAGMA data_version")
                    .fetch_one(connection.as_mut()?)
                    .await;
                match version {
                    Ok(v) => Some(format!("{}:{v}", epoch.load(Ordering::Relaxed))),
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the database version");
                        *connection = None;
                        None
                    }
                }
            }
            Versions::Unknown => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(query: &str) -> Key {
        Key {
            subject: "dashboard@example.com".into(),
            role: Role::Viewer,
            day: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            query: query.into(),
            operation: None,
            variables: "{}".into(),
        }
    }

    fn kept(cache: &AnswerCache) -> Vec<String> {
        let slots = cache.slots.lock().unwrap();
        let mut queries: Vec<String> = slots.map.keys().map(|k| k.query.clone()).collect();
        queries.sort();
        queries
    }

    #[test]
    fn least_recently_kept_answers_go_first_and_memory_stays_within_budget() {
        let cache = AnswerCache::new(4_000, "postgres://localhost/hindsight");
        for query in ["{ a }", "{ b }", "{ c }", "{ d }"] {
            cache.keep(key(query), "1".into(), Bytes::from(vec![b'x'; 900]));
        }
        assert_eq!(kept(&cache), ["{ a }", "{ b }", "{ c }", "{ d }"]);
        // Kept again, `a` is now the most recent; `b` goes when `e` comes.
        cache.keep(key("{ a }"), "2".into(), Bytes::from(vec![b'x'; 900]));
        cache.keep(key("{ e }"), "2".into(), Bytes::from(vec![b'x'; 900]));
        assert_eq!(kept(&cache), ["{ a }", "{ c }", "{ d }", "{ e }"]);
        let used = cache.slots.lock().unwrap().bytes;
        assert!(used <= 4_000, "{used} bytes");
        // An answer bigger than a quarter of the budget is not kept at all.
        cache.keep(key("{ f }"), "2".into(), Bytes::from(vec![b'x'; 1_001]));
        assert!(!kept(&cache).contains(&"{ f }".to_owned()));
    }

    #[test]
    fn only_queries_are_remembered() {
        let cache = AnswerCache::new(1 << 20, "postgres://localhost/hindsight");
        cache.remember(key("mutation { deletePostmortem(id: \"x\") }"));
        cache.remember(key(
            "subscription { timelineEntries(postmortemId: \"x\") { id } }",
        ));
        cache.remember(key("not graphql"));
        assert!(kept(&cache).is_empty());
        cache.remember(key("query Page { postmortems { edges { node { id } } } }"));
        cache.remember(key("{ people { edges { node { id } } } }"));
        assert_eq!(kept(&cache).len(), 2);
    }

    #[test]
    fn an_in_memory_sqlite_database_is_never_cached() {
        let user = AuthUser {
            sub: "a".into(),
            role: Role::Admin,
        };
        let request = async_graphql::Request::new("{ people { edges { node { id } } } }");
        assert!(
            AnswerCache::new(1 << 20, "sqlite::memory:")
                .key(&user, &request)
                .is_none()
        );
        assert!(
            AnswerCache::new(0, "postgres://h/db")
                .key(&user, &request)
                .is_none()
        );
        assert!(
            AnswerCache::new(1 << 20, "sqlite://data.db?mode=rwc")
                .key(&user, &request)
                .is_some()
        );
    }
}

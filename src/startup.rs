//! Building and running the application: database, state, HTTP server.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    App, HttpServer,
    dev::Server,
    http::header,
    middleware::{DefaultHeaders, from_fn},
    web,
};
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};
use tokio::{
    sync::Semaphore,
    task::{AbortHandle, JoinHandle},
};
use tracing_actix_web::TracingLogger;

use crate::{
    auth::TokenVerifier,
    config::{Settings, redact_url},
    error::ApiError,
    graphql::{self, HindsightSchema},
    outbound, rest,
    services::sync::SyncWorker,
    services::{
        Core,
        anonymity::HandleKey,
        batch_writer::BatchWriter,
        deliveries,
        delivery_stats::{self, DeliveryStats},
        integrations::IntegrationCache,
        key_checks,
        prefill::Prefill,
        timeline::TimelineFeed,
        tracker_limits::MutationTurns,
        webhooks,
    },
    telemetry::Metrics,
    trackers::MutationGate,
};

/// Shared by every request handler: the use cases' [`Core`] (reached through
/// `Deref`, so `state.db` is `state.core.db`) and what only the web layer needs.
pub struct AppState {
    pub core: Arc<Core>,
    pub tokens: TokenVerifier,
    /// Built once; every `/graphql` request runs on it.
    pub graphql: HindsightSchema,
    /// Answers to repeated GraphQL queries, until the database changes.
    pub graphql_answers: graphql::AnswerCache,
    /// How many GraphQL requests execute at once, overall and per caller.
    pub graphql_admission: graphql::guard::Admission,
    /// One per process: spaces out GitHub mutations per token across all
    /// trackers, taking each turn in the database so replicas share it.
    pub tracker_gate: MutationGate,
    /// Writes webhook deliveries in batches (PostgreSQL only).
    pub webhook_writer: Option<BatchWriter>,
    /// Webhooks being handled at once; beyond this, senders are told to retry
    /// (503) instead of queueing until they time out.
    pub webhook_slots: Semaphore,
}

impl std::ops::Deref for AppState {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

/// Webhooks handled at once before answering 503.
const WEBHOOK_SLOTS: usize = 512;
/// How often delivery counts are written to the database.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// How often old delivery keys are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// When the first prune runs after start.
const PRUNE_AFTER_START: Duration = Duration::from_secs(30);

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    sync_workers: Vec<JoinHandle<()>>,
}

/// Connects with settings that suit each backend: SQLite in WAL mode with a
/// busy timeout so readers and the single writer do not trip over each other.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_pooled(url, crate::config::DEFAULT_DATABASE_POOL).await
}

/// [`connect`] with at most `pool` PostgreSQL connections.
pub async fn connect_pooled(url: &str, pool: u32) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        // A ping on every acquire is a round trip per query; only connections
        // idle long enough to have been dropped by a proxy are checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        create_private(url);
        options.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        options.max_connections(pool);
    }
    Database::connect(options)
        .await
        .with_context(|| format!("connecting to {}", redact_url(url)))
}

/// Creates a SQLite database file readable by its owner only (SQLite gives its
/// `-wal` and `-shm` files the same mode), before SQLite would create it 0644.
fn create_private(url: &str) {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') || url.contains("mode=memory") {
        return;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    // Already there, or a missing directory and the like that SQLite reports
    // better when it opens the file: nothing to do here either way.
    let _ = options.open(path);
}

/// Names the PostgreSQL advisory lock that migrations run under.
const MIGRATION_LOCK: i64 = 0x6869_6e64_7369_6768; // "hindsigh"

/// Brings the schema up to date. On PostgreSQL, several replicas starting at
/// once on one database take a session advisory lock first: the first
/// migrates, the others wait for it and then find nothing left to do.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return up(db).await;
    }
    // A session lock belongs to one connection: hold one aside for it while
    // the migrations run on the others.
    let mut lock = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .context("taking a connection for the migration lock")?;
    let free: bool = sea_orm::sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .fetch_one(&mut *lock)
        .await
        .context("taking the migration lock")?;
    if !free {
        tracing::info!("another replica is migrating the database; waiting for it");
        sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *lock)
            .await
            .context("waiting for the migration lock")?;
    }
    let migrated = up(db).await;
    let unlocked = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *lock)
        .await;
    if unlocked.is_err() {
        // Closing the connection ends its session, and the lock with it.
        lock.close().await.ok();
    }
    migrated
}

async fn up(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("running database migrations")
}

impl Application {
    /// Connects, migrates and binds. With `bind` ending in `:0` the OS picks a
    /// port, which [`Application::port`] reports.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let mut db = connect_pooled(&settings.database_url, settings.database_pool).await?;
        migrate(&db).await?;
        // Before anything reads a stored secret or accepts a token.
        key_checks::verify(&db, &settings).await?;
        let metrics = Metrics::new();
        metrics.count_statements(&mut db);
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        let address = listener.local_addr()?;
        let port = address.port();
        delivery_stats::seed_metrics(&db, &metrics.webhooks)
            .await
            .map_err(|e| anyhow::anyhow!("reading integration counts: {e}"))?;
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"))
            .trim_end_matches('/')
            .to_owned();
        let webhook_writer = BatchWriter::start(&db);
        let timeline_feed = TimelineFeed::new(256);
        let http = outbound::client(&settings.outbound_allow)?;
        let core = Arc::new(Core {
            db,
            handles: HandleKey::derive(&settings.secret_key),
            prefill: Prefill::new(settings.ingest.clone(), timeline_feed.clone()),
            settings,
            timeline_feed: timeline_feed.clone(),
            http,
            public_url,
            metrics,
            integrations: IntegrationCache::default(),
            deliveries: DeliveryStats::default(),
        });
        let settings = &core.settings;
        let state = web::Data::new(AppState {
            graphql: graphql::build_schema(&settings.graphql),
            graphql_answers: graphql::AnswerCache::new(
                settings.graphql.cache_bytes,
                &settings.database_url,
            ),
            graphql_admission: graphql::guard::Admission::new(&settings.graphql),
            tracker_gate: MutationGate::shared(
                settings.sync.github_mutation_spacing,
                Arc::new(MutationTurns::new(
                    core.db.clone(),
                    settings.sync.tracker_timeout,
                )),
            ),
            webhook_writer,
            tokens: TokenVerifier::with_outbound(&settings.jwt, &core.http)?,
            core: core.clone(),
            webhook_slots: Semaphore::new(WEBHOOK_SLOTS),
        });
        let sync_workers = spawn_sync_workers(&state);
        let server = serve(listener, state.clone())?;
        tracing::info!(address = %state.settings.bind, port, "hindsight is listening");
        Ok(Self {
            port,
            server,
            state,
            sync_workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGTERM or SIGINT, then drains in-flight requests. The
    /// background work (delivery counts, pruning) runs alongside. The sync
    /// workers stop as soon as the signal comes: while actix drains, its
    /// worker runtimes (and the connections they opened) go away. An item
    /// they were syncing is taken up again after its lease.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = tokio::spawn(background(self.state.clone()));
        let sync_workers: Vec<AbortHandle> = self
            .sync_workers
            .iter()
            .map(JoinHandle::abort_handle)
            .collect();
        let stop_sync = tokio::spawn({
            let sync_workers = sync_workers.clone();
            async move {
                shutdown_signal().await;
                sync_workers.iter().for_each(AbortHandle::abort);
            }
        });
        let result = self.server.await;
        worker.abort();
        stop_sync.abort();
        sync_workers.iter().for_each(AbortHandle::abort);
        if let Err(err) = self.state.deliveries.flush(&self.state.db).await {
            tracing::warn!(error = %err, "writing delivery counts at shutdown failed");
        }
        result
    }
}

/// SIGINT or SIGTERM, the signals actix stops on.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        Ok(()) = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// Writes delivery counts every second and prunes old delivery keys hourly.
async fn background(state: web::Data<AppState>) {
    let mut flush = tokio::time::interval(FLUSH_EVERY);
    // The first prune waits a little: a process that was down a while catches
    // up soon after it starts, without racing start-up work (or a test's
    // statement count) for the database.
    let first_prune = tokio::time::Instant::now() + PRUNE_AFTER_START;
    let mut prune = tokio::time::interval_at(first_prune, PRUNE_EVERY);
    loop {
        tokio::select! {
            _ = flush.tick() => {
                if let Err(err) = state.deliveries.flush(&state.db).await {
                    tracing::warn!(error = %err, "writing delivery counts failed; will retry");
                }
            }
            _ = prune.tick() => {
                let ingest = &state.settings.ingest;
                match deliveries::prune_bodies(&state.db, ingest.body_retention).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(pruned = n, "dropped old webhook delivery bodies"),
                    Err(err) => tracing::warn!(error = %err, "pruning webhook bodies failed"),
                }
                match webhooks::prune_deliveries(&state.db, ingest.delivery_retention).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(pruned = n, "forgot old webhook delivery keys"),
                    Err(err) => tracing::warn!(error = %err, "pruning webhook deliveries failed"),
                }
            }
        }
    }
}

/// The outbox worker, and the reconcile when it has an interval. They live as
/// long as the runtime; a worker stopped mid-flight leaves its claims to expire.
/// The outbox worker and the reconcile; stopped once the server has drained,
/// so that shutting down logs no database errors from them.
fn spawn_sync_workers(state: &AppState) -> Vec<JoinHandle<()>> {
    let worker = || {
        SyncWorker::new(
            state.db.clone(),
            state.settings.clone(),
            state.tracker_gate.clone(),
            state.public_url.clone(),
            state.http.clone(),
        )
    };
    let mut workers = vec![tokio::spawn(worker().run())];
    if !state.settings.sync.reconcile_interval.is_zero() {
        workers.push(tokio::spawn(worker().reconcile_forever()));
    }
    workers
}

fn serve(listener: TcpListener, state: web::Data<AppState>) -> anyhow::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            // Answers are data, never to be sniffed into something else, and
            // (carrying secrets, tokens and names) never stored by a cache
            // unless a route says otherwise.
            .wrap(
                DefaultHeaders::new()
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::CACHE_CONTROL, "no-store")),
            )
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, _| ApiError::NotFound("resource").into()),
            )
            .wrap(from_fn(rest::observe_requests))
            .wrap(TracingLogger::default())
            .configure(rest::configure)
            .default_service(web::to(rest::route_not_found))
    })
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}

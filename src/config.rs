//! Settings: defaults, environment variables, validation. Secrets never printed.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{Context, bail};
use rand::RngCore;

/// Everything hindsight needs to start. Built from the environment by
/// [`Settings::from_env`]; tests build one directly so nothing global leaks
/// between them.
#[derive(Clone)]
pub struct Settings {
    /// `sqlite://...` (the embedded default) or `postgres://...`.
    pub database_url: String,
    /// Most PostgreSQL connections this process opens (`HINDSIGHT_DATABASE_POOL`):
    /// replicas times this, plus what else connects, must stay under the
    /// server's `max_connections`. SQLite keeps its own small pool.
    pub database_pool: u32,
    /// Listen address; port 0 picks a free one (tests).
    pub bind: String,
    /// Base of links written into trackers and notifications; `None` means
    /// `http://<bound address>`.
    pub public_url: Option<String>,
    pub jwt: JwtSettings,
    /// 32-byte key that encrypts stored tracker credentials and webhook secrets.
    pub secret_key: Secret,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Longest a client may take to send a request body (`HINDSIGHT_BODY_TIMEOUT`):
    /// a client that trickles bytes holds nothing longer.
    pub body_timeout: Duration,
    /// Emit logs as JSON lines (for log shippers) instead of human-readable text.
    pub log_json: bool,
    pub graphql: GraphqlSettings,
    pub practice: PracticeSettings,
    pub sync: SyncSettings,
    pub ingest: IngestSettings,
    /// Internal networks outbound requests may reach anyway
    /// (`HINDSIGHT_OUTBOUND_ALLOW`): a self-hosted Jira or GitLab on a private
    /// network. Empty by default, so a tracker URL cannot reach inside.
    pub outbound_allow: Vec<ipnet::IpNet>,
}

/// How post-mortems are shared. No `Debug`: webhook URLs carry their tokens.
#[derive(Clone)]
pub struct PracticeSettings {
    /// Show pseudonyms to everyone, admins included (a deployment policy).
    pub anonymize_all: bool,
    /// Slack-compatible incoming webhooks told about each publication.
    pub slack_webhook_urls: Vec<String>,
    /// First wait before retrying a failed announcement; doubles each attempt.
    pub notify_retry_base: std::time::Duration,
    /// Attempts per announcement before giving up (and logging it).
    pub notify_attempts: u32,
}

impl Default for PracticeSettings {
    fn default() -> Self {
        Self {
            anonymize_all: false,
            slack_webhook_urls: Vec::new(),
            notify_retry_base: std::time::Duration::from_secs(2),
            notify_attempts: 8,
        }
    }
}

/// Limits that keep one GraphQL request from costing the database more than a
/// dashboard needs. Checked on the parsed query, before any resolver runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlSettings {
    /// Deepest selection nesting accepted (`HINDSIGHT_GRAPHQL_MAX_DEPTH`).
    pub max_depth: usize,
    /// Highest cost accepted (`HINDSIGHT_GRAPHQL_MAX_COMPLEXITY`): each field
    /// costs 1, and a list costs its page size times what one item costs.
    pub max_complexity: usize,
    /// Largest `first` a connection or nested list accepts (`HINDSIGHT_GRAPHQL_MAX_PAGE_SIZE`).
    pub max_page_size: usize,
    /// Whether `__schema` / `__type` are answered (`HINDSIGHT_GRAPHQL_INTROSPECTION`).
    pub introspection: bool,
    /// Memory for answers to repeated queries, kept until the database
    /// changes (`HINDSIGHT_GRAPHQL_CACHE_BYTES`; 0 turns it off).
    pub cache_bytes: usize,
    /// Longest query text accepted, in bytes (`HINDSIGHT_GRAPHQL_MAX_QUERY_BYTES`):
    /// checked before parsing, which is the costly part of a huge query.
    pub max_query_bytes: usize,
    /// Most fields one request selects, fragments expanded (`HINDSIGHT_GRAPHQL_MAX_FIELDS`).
    pub max_fields: usize,
    /// Most aliased fields in one request (`HINDSIGHT_GRAPHQL_MAX_ALIASES`).
    pub max_aliases: usize,
    /// Requests executing at once, overall (`HINDSIGHT_GRAPHQL_MAX_CONCURRENT`).
    pub max_concurrent: usize,
    /// ... and per caller, by token subject (`HINDSIGHT_GRAPHQL_MAX_CONCURRENT_PER_CALLER`).
    pub max_concurrent_per_caller: usize,
    /// How long one request may execute (`HINDSIGHT_GRAPHQL_DEADLINE`).
    pub deadline: std::time::Duration,
    /// How long a subscription socket may wait before its `connection_init`
    /// (`HINDSIGHT_GRAPHQL_WS_INIT_TIMEOUT`); then it is closed with 4408.
    pub ws_init_timeout: std::time::Duration,
}

impl Default for GraphqlSettings {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 250_000,
            max_page_size: 100,
            introspection: true,
            cache_bytes: 64 << 20,
            max_query_bytes: 32 << 10,
            max_fields: 1_000,
            max_aliases: 50,
            max_concurrent: 32,
            max_concurrent_per_caller: 4,
            deadline: std::time::Duration::from_secs(10),
            ws_init_timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// How the outbox worker and the reconcile run. Tests shorten every interval.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    /// Pause between two outbox polls when nothing was due.
    pub poll_interval: Duration,
    /// Rows claimed per poll.
    pub batch_size: u64,
    /// Rows of one batch synced at the same time.
    pub concurrency: usize,
    /// Attempts before an item shows `failed`.
    pub max_attempts: i32,
    /// First retry delay; doubles per attempt (with full jitter) up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// How long a claim lasts: a worker that dies mid-flight loses its rows to
    /// another after this.
    pub lease: Duration,
    /// Whole-request timeout for tracker calls.
    pub tracker_timeout: Duration,
    /// Pause between two reconciles (re-reading synced issues); zero turns it off.
    pub reconcile_interval: Duration,
    /// Least time between the end of one GitHub mutation and the start of the
    /// next for the same token, whichever replica sends them: GitHub asks for
    /// one at a time and a second between them.
    pub github_mutation_spacing: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(1000),
            batch_size: 50,
            concurrency: 8,
            max_attempts: 8,
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(600),
            lease: Duration::from_secs(120),
            tracker_timeout: Duration::from_secs(10),
            reconcile_interval: Duration::from_secs(300),
            github_mutation_spacing: Duration::from_secs(1),
        }
    }
}

impl GraphqlSettings {
    fn from_env(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let defaults = Self::default();
        let number = |name: &str, default: usize| -> anyhow::Result<usize> {
            match var(name) {
                Some(v) => v
                    .trim()
                    .parse()
                    .with_context(|| format!("{name} must be a positive number")),
                None => Ok(default),
            }
        };
        let introspection = match var("HINDSIGHT_GRAPHQL_INTROSPECTION").as_deref() {
            None => defaults.introspection,
            Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(other) => {
                bail!("HINDSIGHT_GRAPHQL_INTROSPECTION must be true or false, got {other:?}")
            }
        };
        Ok(Self {
            max_depth: number("HINDSIGHT_GRAPHQL_MAX_DEPTH", defaults.max_depth)?,
            max_complexity: number("HINDSIGHT_GRAPHQL_MAX_COMPLEXITY", defaults.max_complexity)?,
            max_page_size: number("HINDSIGHT_GRAPHQL_MAX_PAGE_SIZE", defaults.max_page_size)?,
            introspection,
            cache_bytes: number("HINDSIGHT_GRAPHQL_CACHE_BYTES", defaults.cache_bytes)?,
            max_query_bytes: number(
                "HINDSIGHT_GRAPHQL_MAX_QUERY_BYTES",
                defaults.max_query_bytes,
            )?,
            max_fields: number("HINDSIGHT_GRAPHQL_MAX_FIELDS", defaults.max_fields)?,
            max_aliases: number("HINDSIGHT_GRAPHQL_MAX_ALIASES", defaults.max_aliases)?,
            max_concurrent: number("HINDSIGHT_GRAPHQL_MAX_CONCURRENT", defaults.max_concurrent)?
                .max(1),
            max_concurrent_per_caller: number(
                "HINDSIGHT_GRAPHQL_MAX_CONCURRENT_PER_CALLER",
                defaults.max_concurrent_per_caller,
            )?
            .max(1),
            deadline: match var("HINDSIGHT_GRAPHQL_DEADLINE") {
                Some(text) => {
                    crate::auth::parse_ttl(&text).context("HINDSIGHT_GRAPHQL_DEADLINE")?
                }
                None => defaults.deadline,
            },
            ws_init_timeout: match var("HINDSIGHT_GRAPHQL_WS_INIT_TIMEOUT") {
                Some(text) => {
                    crate::auth::parse_ttl(&text).context("HINDSIGHT_GRAPHQL_WS_INIT_TIMEOUT")?
                }
                None => defaults.ws_init_timeout,
            },
        })
    }
}

/// How webhooks are received and how their events reach timelines.
#[derive(Clone, Debug)]
pub struct IngestSettings {
    /// How long a rotated-out webhook secret keeps working, so senders can be
    /// switched over without dropping deliveries.
    pub rotation_grace: Duration,
    /// How long delivery keys are kept to recognise repeats. Senders retry for
    /// hours to days, so this must outlast their retries, and it outlasts the
    /// raw bodies.
    pub delivery_retention: Duration,
    /// How long raw delivery bodies are kept, to be listed and replayed.
    pub body_retention: Duration,
    /// How far before the impact started an event still belongs to the incident.
    pub margin_before: Duration,
    /// How far after the resolution (or now) an event still belongs to it.
    pub margin_after: Duration,
    /// How far before the first alert a deploy of an affected service is a suspect.
    pub deploy_lookback: Duration,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            rotation_grace: Duration::from_secs(24 * 3600),
            delivery_retention: Duration::from_secs(90 * 86_400),
            body_retention: Duration::from_secs(30 * 86_400),
            margin_before: Duration::from_secs(30 * 60),
            margin_after: Duration::from_secs(30 * 60),
            deploy_lookback: Duration::from_secs(24 * 3600),
        }
    }
}

impl SyncSettings {
    fn from_env(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut s = Self::default();
        let ms = |name: &str, into: &mut Duration| -> anyhow::Result<()> {
            if let Some(v) = var(name) {
                *into = Duration::from_millis(
                    v.parse()
                        .with_context(|| format!("{name} must be milliseconds"))?,
                );
            }
            Ok(())
        };
        ms("HINDSIGHT_SYNC_INTERVAL_MS", &mut s.poll_interval)?;
        ms("HINDSIGHT_SYNC_BACKOFF_BASE_MS", &mut s.backoff_base)?;
        ms("HINDSIGHT_SYNC_BACKOFF_CAP_MS", &mut s.backoff_cap)?;
        ms("HINDSIGHT_SYNC_LEASE_MS", &mut s.lease)?;
        ms("HINDSIGHT_TRACKER_TIMEOUT_MS", &mut s.tracker_timeout)?;
        ms("HINDSIGHT_RECONCILE_INTERVAL_MS", &mut s.reconcile_interval)?;
        ms(
            "HINDSIGHT_GITHUB_MUTATION_SPACING_MS",
            &mut s.github_mutation_spacing,
        )?;
        if let Some(v) = var("HINDSIGHT_SYNC_BATCH") {
            s.batch_size = v.parse().context("HINDSIGHT_SYNC_BATCH must be a number")?;
        }
        if let Some(v) = var("HINDSIGHT_SYNC_CONCURRENCY") {
            s.concurrency = v
                .parse()
                .context("HINDSIGHT_SYNC_CONCURRENCY must be a number")?;
        }
        if let Some(v) = var("HINDSIGHT_SYNC_MAX_ATTEMPTS") {
            s.max_attempts = v
                .parse()
                .context("HINDSIGHT_SYNC_MAX_ATTEMPTS must be a number")?;
        }
        Ok(s)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.batch_size == 0 || self.concurrency == 0 || self.max_attempts < 1 {
            bail!(
                "HINDSIGHT_SYNC_BATCH, HINDSIGHT_SYNC_CONCURRENCY and HINDSIGHT_SYNC_MAX_ATTEMPTS must be at least 1"
            );
        }
        if self.lease <= self.tracker_timeout {
            bail!("HINDSIGHT_SYNC_LEASE_MS must be longer than HINDSIGHT_TRACKER_TIMEOUT_MS");
        }
        Ok(())
    }
}

impl IngestSettings {
    fn from_env(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let defaults = Self::default();
        let duration = |name: &str, default: Duration| duration_var(&var, name, default);
        Ok(Self {
            rotation_grace: duration("HINDSIGHT_SECRET_ROTATION_GRACE", defaults.rotation_grace)?,
            delivery_retention: duration(
                "HINDSIGHT_DELIVERY_RETENTION",
                defaults.delivery_retention,
            )?,
            body_retention: duration("HINDSIGHT_DELIVERY_BODY_RETENTION", defaults.body_retention)?,
            margin_before: duration("HINDSIGHT_PREFILL_MARGIN_BEFORE", defaults.margin_before)?,
            margin_after: duration("HINDSIGHT_PREFILL_MARGIN_AFTER", defaults.margin_after)?,
            deploy_lookback: duration(
                "HINDSIGHT_PREFILL_DEPLOY_LOOKBACK",
                defaults.deploy_lookback,
            )?,
        })
    }
}

/// How bearer tokens are checked. The algorithm comes from here, never from the token.
#[derive(Clone)]
pub struct JwtSettings {
    pub key: JwtKey,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

#[derive(Clone)]
pub enum JwtKey {
    /// Shared HS256 secret: hindsight can also mint tokens with it.
    Hs256(Secret),
    /// An identity provider's public key (RS256 or ES256, read from the PEM).
    PublicKeyPem(String),
    /// An identity provider's JWKS (`HINDSIGHT_JWT_JWKS_URL`): keys by `kid`,
    /// for the algorithms `HINDSIGHT_JWT_ALGORITHMS` allows (RS256 unless set).
    Jwks {
        url: String,
        algorithms: Vec<jsonwebtoken::Algorithm>,
        /// The least time between two fetches (`HINDSIGHT_JWT_JWKS_REFETCH`, 5m).
        min_refetch: Duration,
    },
}

/// A byte string that never shows up in `Debug` output or logs.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(**redacted**)")
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("body_limit", &self.body_limit)
            .field("ingest", &self.ingest)
            .finish_non_exhaustive()
    }
}

/// Drops the password from a database URL so it can be logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://hindsight.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// PostgreSQL connections per process unless `HINDSIGHT_DATABASE_POOL` says otherwise.
pub const DEFAULT_DATABASE_POOL: u32 = 20;
/// A duration setting (`90s`, `15m`, `24h`, `7d`), or `default` when unset.
fn duration_var(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: Duration,
) -> anyhow::Result<Duration> {
    match var(name) {
        Some(text) => crate::auth::parse_ttl(&text).with_context(|| name.to_owned()),
        None => Ok(default),
    }
}

/// The least time between two fetches of a JWKS: rotations are rare, and a
/// token naming an unknown key must not make every request a fetch.
pub const DEFAULT_JWKS_REFETCH: Duration = Duration::from_secs(300);

/// How long a request body may take to arrive.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(5);

pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

impl Settings {
    /// Reads `HINDSIGHT_*` variables. Keys that are not set are generated once
    /// into the data directory (with a warning) so that a restart keeps tokens and
    /// stored secrets valid.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_vars(|name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// [`Settings::from_env`] over any lookup, so tests need not touch the
    /// process environment.
    pub fn from_vars(var: impl Fn(&str) -> Option<String> + Copy) -> anyhow::Result<Self> {
        let data_dir =
            PathBuf::from(var("HINDSIGHT_DATA_DIR").unwrap_or_else(|| ".hindsight".into()));
        let database_url =
            var("HINDSIGHT_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        let generate = KeyGenerator {
            data_dir: &data_dir,
            shared_database: database_url.starts_with("postgres"),
            allowed: flag(&var, "HINDSIGHT_ALLOW_GENERATED_KEYS")?,
        };

        let jwt_key = match (var("HINDSIGHT_JWT_PUBLIC_KEY"), var("HINDSIGHT_JWT_SECRET")) {
            _ if var("HINDSIGHT_JWT_JWKS_URL").is_some() => JwtKey::Jwks {
                url: var("HINDSIGHT_JWT_JWKS_URL").unwrap_or_default(),
                algorithms: crate::auth::parse_algorithms(
                    &var("HINDSIGHT_JWT_ALGORITHMS").unwrap_or_else(|| "RS256".into()),
                )
                .context("HINDSIGHT_JWT_ALGORITHMS")?,
                min_refetch: duration_var(
                    &var,
                    "HINDSIGHT_JWT_JWKS_REFETCH",
                    DEFAULT_JWKS_REFETCH,
                )?,
            },
            (Some(pem), _) => JwtKey::PublicKeyPem(read_pem(&pem)?),
            (None, Some(secret)) => JwtKey::Hs256(Secret::new(secret.into_bytes())),
            (None, None) => JwtKey::Hs256(generate.key("jwt_secret", "HINDSIGHT_JWT_SECRET")?),
        };
        let secret_key = match var("HINDSIGHT_SECRET_KEY") {
            Some(encoded) => Secret::new(decode_key(&encoded).context("HINDSIGHT_SECRET_KEY")?),
            None => generate.key("secret_key", "HINDSIGHT_SECRET_KEY")?,
        };
        let body_limit = match var("HINDSIGHT_BODY_LIMIT") {
            Some(v) => v
                .parse()
                .context("HINDSIGHT_BODY_LIMIT must be a number of bytes")?,
            None => DEFAULT_BODY_LIMIT,
        };

        let settings = Self {
            database_url,
            database_pool: match var("HINDSIGHT_DATABASE_POOL") {
                Some(v) => v
                    .trim()
                    .parse()
                    .context("HINDSIGHT_DATABASE_POOL must be a number of connections")?,
                None => DEFAULT_DATABASE_POOL,
            },
            bind: var("HINDSIGHT_BIND").unwrap_or_else(|| DEFAULT_BIND.into()),
            public_url: var("HINDSIGHT_PUBLIC_URL"),
            jwt: JwtSettings {
                key: jwt_key,
                issuer: var("HINDSIGHT_JWT_ISSUER"),
                audience: var("HINDSIGHT_JWT_AUDIENCE"),
            },
            secret_key,
            body_limit,
            body_timeout: duration_var(&var, "HINDSIGHT_BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT)?,
            log_json: var("HINDSIGHT_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")),
            graphql: GraphqlSettings::from_env(var)?,
            practice: PracticeSettings {
                anonymize_all: var("HINDSIGHT_ANONYMIZE_ALL")
                    .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes")),
                slack_webhook_urls: var("HINDSIGHT_SLACK_WEBHOOK_URL")
                    .map(|v| {
                        v.split(',')
                            .map(|u| u.trim().to_owned())
                            .filter(|u| !u.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
                ..PracticeSettings::default()
            },
            sync: SyncSettings::from_env(var)?,
            ingest: IngestSettings::from_env(var)?,
            outbound_allow: crate::outbound::parse_allow_list(
                &var("HINDSIGHT_OUTBOUND_ALLOW").unwrap_or_default(),
            )
            .context("HINDSIGHT_OUTBOUND_ALLOW")?,
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Refuses settings that would fail later in a confusing way.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !(self.database_url.starts_with("sqlite:") || self.database_url.starts_with("postgres"))
        {
            bail!("HINDSIGHT_DATABASE_URL must start with sqlite: or postgres://");
        }
        if self.database_pool < 2 {
            // The migration lock holds one while the migrations use another.
            bail!("HINDSIGHT_DATABASE_POOL must be at least 2");
        }
        if self.bind.parse::<SocketAddr>().is_err() && !self.bind.contains(':') {
            bail!("HINDSIGHT_BIND must be host:port, got {:?}", self.bind);
        }
        if self.secret_key.expose().len() != 32 {
            bail!("HINDSIGHT_SECRET_KEY must decode to 32 bytes (64 hex characters or base64)");
        }
        if let JwtKey::Hs256(secret) = &self.jwt.key
            && secret.expose().len() < 32
        {
            bail!("HINDSIGHT_JWT_SECRET must be at least 32 bytes long");
        }
        if let Some(position) = self
            .practice
            .slack_webhook_urls
            .iter()
            .position(|u| !u.starts_with("https://") && !u.starts_with("http://"))
        {
            // The URL is a secret: say which entry, never what it holds.
            bail!(
                "HINDSIGHT_SLACK_WEBHOOK_URL must hold http(s) URLs; entry {} is not one",
                position + 1
            );
        }
        if self.ingest.delivery_retention < Duration::from_secs(7 * 86_400) {
            bail!("HINDSIGHT_DELIVERY_RETENTION must be at least 7d: senders retry for days");
        }
        if self.ingest.delivery_retention < self.ingest.body_retention {
            bail!(
                "HINDSIGHT_DELIVERY_RETENTION must be at least HINDSIGHT_DELIVERY_BODY_RETENTION: \
                 a delivery's key must outlive its body, or a late retry of a pruned delivery \
                 would be taken for a new one"
            );
        }
        if self.body_limit < 1024 {
            bail!("HINDSIGHT_BODY_LIMIT must be at least 1024 bytes");
        }
        let g = &self.graphql;
        if g.max_depth == 0 || g.max_complexity == 0 || g.max_page_size == 0 {
            bail!(
                "HINDSIGHT_GRAPHQL_MAX_DEPTH, _MAX_COMPLEXITY and _MAX_PAGE_SIZE must be at least 1"
            );
        }
        self.sync.validate()
    }
}

/// Accepts the PEM itself or a path to a file holding it.
fn read_pem(value: &str) -> anyhow::Result<String> {
    if value.contains("-----BEGIN") {
        return Ok(value.replace("\\n", "\n"));
    }
    std::fs::read_to_string(value)
        .with_context(|| format!("reading HINDSIGHT_JWT_PUBLIC_KEY file {value}"))
}

fn decode_key(encoded: &str) -> anyhow::Result<Vec<u8>> {
    use base64::Engine as _;
    let encoded = encoded.trim();
    if encoded.len() == 64
        && let Ok(bytes) = hex::decode(encoded)
    {
        return Ok(bytes);
    }
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .context("expected 64 hex characters or base64")
}

/// A boolean setting: `true`/`1`/`yes` or `false`/`0`/`no`, false when unset.
fn flag(var: &impl Fn(&str) -> Option<String>, name: &str) -> anyhow::Result<bool> {
    match var(name).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(other) => bail!("{name} must be true or false, got {other:?}"),
    }
}

/// Generates the keys that are not set, where that is safe.
struct KeyGenerator<'a> {
    data_dir: &'a Path,
    /// PostgreSQL: several replicas may share the database, and each would
    /// generate a key of its own.
    shared_database: bool,
    /// `HINDSIGHT_ALLOW_GENERATED_KEYS`: the operator runs one replica and
    /// asks for a generated key anyway.
    allowed: bool,
}

impl KeyGenerator<'_> {
    fn key(&self, name: &str, variable: &str) -> anyhow::Result<Secret> {
        if self.shared_database && !self.allowed {
            bail!(
                "{variable} is not set. On PostgreSQL several replicas may share the database, \
                 and each would generate a key of its own and could not read what the others \
                 stored: set {variable} to the same value on every replica (`openssl rand -hex 32` \
                 makes one), or set HINDSIGHT_ALLOW_GENERATED_KEYS=true to generate one into \
                 HINDSIGHT_DATA_DIR for a single replica"
            );
        }
        generated_key(self.data_dir, name, variable)
    }
}

/// Loads a key from `<data_dir>/<name>`, creating it (owner-readable only) on
/// first use.
fn generated_key(data_dir: &Path, name: &str, variable: &str) -> anyhow::Result<Secret> {
    let path = data_dir.join(name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(Secret::new(
            decode_key(&existing).with_context(|| format!("reading {}", path.display()))?,
        ));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let mut bytes = vec![0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    write_private(&path, &hex::encode(&bytes))?;
    tracing::warn!(
        path = %path.display(),
        "{variable} is not set: generated a key into the data directory; set {variable} in production"
    );
    Ok(Secret::new(bytes))
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/hindsight"),
            "postgres://app:***@db:5432/hindsight"
        );
        assert_eq!(redact_url(DEFAULT_DATABASE_URL), DEFAULT_DATABASE_URL);
    }

    fn settings_from(vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_vars(|name: &str| vars.get(name).cloned())
    }

    fn scratch_dir() -> String {
        let dir = std::env::temp_dir().join(format!("hindsight-keys-{}", uuid::Uuid::new_v4()));
        dir.display().to_string()
    }

    const POSTGRES: &str = "postgres://app@db:5432/hindsight";
    const SECRET_KEY: &str = "0707070707070707070707070707070707070707070707070707070707070707";
    const JWT_SECRET: &str = "a-shared-secret-that-is-at-least-32-bytes";

    #[test]
    fn on_postgresql_a_missing_secret_key_is_refused_naming_what_to_set() {
        let dir = scratch_dir();
        let error = settings_from(&[
            ("HINDSIGHT_DATABASE_URL", POSTGRES),
            ("HINDSIGHT_DATA_DIR", &dir),
            ("HINDSIGHT_JWT_SECRET", JWT_SECRET),
        ])
        .expect_err("refused");
        let message = error.to_string();
        assert!(
            message.contains("HINDSIGHT_SECRET_KEY is not set"),
            "{message}"
        );
        assert!(
            message.contains("HINDSIGHT_ALLOW_GENERATED_KEYS=true"),
            "{message}"
        );
        assert!(!std::path::Path::new(&dir).exists(), "no key was generated");
    }

    #[test]
    fn on_postgresql_a_missing_jwt_secret_is_refused_too() {
        let error = settings_from(&[
            ("HINDSIGHT_DATABASE_URL", POSTGRES),
            ("HINDSIGHT_DATA_DIR", &scratch_dir()),
            ("HINDSIGHT_SECRET_KEY", SECRET_KEY),
        ])
        .expect_err("refused");
        assert!(
            error
                .to_string()
                .contains("HINDSIGHT_JWT_SECRET is not set"),
            "{error}"
        );
    }

    #[test]
    fn on_postgresql_generated_keys_are_used_when_asked_for() {
        let dir = scratch_dir();
        let settings = settings_from(&[
            ("HINDSIGHT_DATABASE_URL", POSTGRES),
            ("HINDSIGHT_DATA_DIR", &dir),
            ("HINDSIGHT_ALLOW_GENERATED_KEYS", "true"),
        ])
        .unwrap();
        assert_eq!(settings.secret_key.expose().len(), 32);
        assert!(std::path::Path::new(&dir).join("secret_key").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn on_sqlite_keys_are_still_generated_without_asking() {
        let dir = scratch_dir();
        let settings = settings_from(&[("HINDSIGHT_DATA_DIR", &dir)]).unwrap();
        assert_eq!(settings.database_url, DEFAULT_DATABASE_URL);
        assert!(std::path::Path::new(&dir).join("secret_key").exists());
        assert!(std::path::Path::new(&dir).join("jwt_secret").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn generated_keys_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("hindsight-key-{}", uuid::Uuid::new_v4()));
        let first = generated_key(&dir, "k", "X").unwrap();
        let second = generated_key(&dir, "k", "X").unwrap();
        assert_eq!(first.expose(), second.expose());
        assert_eq!(first.expose().len(), 32);
        std::fs::remove_dir_all(dir).unwrap();
    }
}

//! Logs (tracing, with the request id on every line) and Prometheus metrics.

use entity::DeliveryState;
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use sea_orm::Iterable;
use tracing_subscriber::{EnvFilter, fmt};

mod process;

/// Installs the global log subscriber. `RUST_LOG` overrides the default level.
pub fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // stderr, so that `hindsight token` prints nothing but the token on stdout.
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    // A second call (tests build many apps) finds a subscriber already set: fine.
    let _ = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.compact().try_init()
    };
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    integration_id: String,
    kind: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    integration_id: String,
    kind: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IntegrationLabels {
    integration_id: String,
    kind: String,
}

/// What became of a webhook delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Accepted,
    Duplicate,
    Rejected,
}

impl DeliveryOutcome {
    pub const ALL: [Self; 3] = [Self::Accepted, Self::Duplicate, Self::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Duplicate => "duplicate",
            Self::Rejected => "rejected",
        }
    }
}

/// Per-integration delivery counters and the time of the last delivery, so a
/// silent integration can be alerted on.
#[derive(Default)]
pub struct WebhookMetrics {
    deliveries: Family<DeliveryLabels, Counter>,
    /// Accepted deliveries by what became of them on arrival.
    states: Family<StateLabels, Counter>,
    /// Stored deliveries run again, by the state they ended in.
    replayed: Family<StateLabels, Counter>,
    last_received: Family<IntegrationLabels, Gauge>,
}

impl WebhookMetrics {
    fn labels(integration_id: uuid::Uuid, kind: &str) -> IntegrationLabels {
        IntegrationLabels {
            integration_id: integration_id.to_string(),
            kind: kind.to_owned(),
        }
    }

    pub fn count(&self, integration_id: uuid::Uuid, kind: &str, outcome: DeliveryOutcome, n: u64) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                integration_id: integration_id.to_string(),
                kind: kind.to_owned(),
                outcome: outcome.as_str(),
            })
            .inc_by(n);
    }

    fn state_labels(integration_id: uuid::Uuid, kind: &str, state: DeliveryState) -> StateLabels {
        StateLabels {
            integration_id: integration_id.to_string(),
            kind: kind.to_owned(),
            state: state.as_str(),
        }
    }

    /// An accepted delivery's state on arrival (processed, ignored, unparsed).
    pub fn count_state(
        &self,
        integration_id: uuid::Uuid,
        kind: &str,
        state: DeliveryState,
        n: u64,
    ) {
        self.states
            .get_or_create(&Self::state_labels(integration_id, kind, state))
            .inc_by(n);
    }

    /// A stored delivery run again, and the state it ended in.
    pub fn count_replayed(&self, integration_id: uuid::Uuid, kind: &str, state: DeliveryState) {
        self.replayed
            .get_or_create(&Self::state_labels(integration_id, kind, state))
            .inc();
    }

    pub fn received_at(&self, integration_id: uuid::Uuid, kind: &str, unix_seconds: i64) {
        let gauge = self
            .last_received
            .get_or_create(&Self::labels(integration_id, kind));
        gauge.set(gauge.get().max(unix_seconds));
    }

    /// Drops a deleted integration's series.
    pub fn forget(&self, integration_id: uuid::Uuid, kind: &str) {
        for outcome in DeliveryOutcome::ALL {
            self.deliveries.remove(&DeliveryLabels {
                integration_id: integration_id.to_string(),
                kind: kind.to_owned(),
                outcome: outcome.as_str(),
            });
        }
        for state in DeliveryState::iter() {
            let labels = Self::state_labels(integration_id, kind, state);
            self.states.remove(&labels);
            self.replayed.remove(&labels);
        }
        self.last_received
            .remove(&Self::labels(integration_id, kind));
    }
}

/// What a team alerts on, counted in the database at each scrape.
#[derive(Default)]
pub struct WorkGauges {
    /// Outbox rows waiting for (or in) a tracker call; parked rows are `failed`.
    pub outbox_backlog: Gauge,
    /// Action items whose last sync failed for good.
    pub sync_failed: Gauge,
    /// Open or in-progress action items past their due date.
    pub overdue: Gauge,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// The exposition formats `/metrics` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposition {
    /// Prometheus text format 0.0.4: what `text/plain` and most tools read.
    PrometheusText,
    /// OpenMetrics 1.0.0, for a scraper that asks for it.
    OpenMetrics,
}

impl Exposition {
    /// OpenMetrics when `Accept` prefers it to the text format (as Prometheus
    /// itself sends), the text format otherwise, and when nothing is said.
    pub fn negotiate(accept: Option<&str>) -> Self {
        let (mut open, mut text) = (0.0_f32, 0.0_f32);
        for range in accept.unwrap_or_default().split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            match media.as_str() {
                "application/openmetrics-text" => open = open.max(q),
                "text/plain" | "text/*" | "*/*" => text = text.max(q),
                _ => {}
            }
        }
        if open > 0.0 && open >= text {
            Self::OpenMetrics
        } else {
            Self::PrometheusText
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::PrometheusText => "text/plain; version=0.0.4; charset=utf-8",
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// The metrics one running app exposes on `/metrics`. One registry per app (not
/// a global) so that tests running several apps in one process stay apart.
pub struct Metrics {
    registry: Registry,
    pub work: WorkGauges,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    db_statements: Counter,
    graphql_from_memory: Counter,
    pub webhooks: WebhookMetrics,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms .. ~8 s
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0005, 2.0, 15,
    ))
}

impl Metrics {
    pub fn new() -> Self {
        let mut root = Registry::default();
        root.register_collector(Box::new(process::ProcessCollector));
        let registry = root.sub_registry_with_prefix("hindsight");
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register(
            "build_info",
            "The running hindsight's version; always 1",
            build,
        );
        let work = WorkGauges::default();
        registry.register(
            "outbox_backlog",
            "Action item changes waiting to reach their tracker (retrying ones included)",
            work.outbox_backlog.clone(),
        );
        registry.register(
            "action_items_sync_failed",
            "Action items whose sync to their tracker failed for good (sync_state failed)",
            work.sync_failed.clone(),
        );
        registry.register(
            "action_items_overdue",
            "Open or in-progress action items past their due date",
            work.overdue.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by route",
            latency.clone(),
        );
        let db_statements = Counter::default();
        registry.register(
            "db_statements",
            "SQL statements sent to the database",
            db_statements.clone(),
        );
        let graphql_from_memory = Counter::default();
        registry.register(
            "graphql_answers_from_memory",
            "GraphQL queries answered from memory, the database unchanged since",
            graphql_from_memory.clone(),
        );
        let webhooks = WebhookMetrics::default();
        registry.register(
            "webhook_deliveries",
            "Webhook deliveries by integration and outcome (accepted, duplicate, rejected)",
            webhooks.deliveries.clone(),
        );
        registry.register(
            "webhook_delivery_states",
            "Accepted webhook deliveries by integration and what became of them on arrival: \
             processed (events made), ignored (nothing for the timeline) or unparsed \
             (unreadable; listed with the reason, replayable)",
            webhooks.states.clone(),
        );
        registry.register(
            "webhook_replayed_deliveries",
            "Stored webhook deliveries run again, by integration and the state they ended in",
            webhooks.replayed.clone(),
        );
        registry.register(
            "webhook_last_received_timestamp_seconds",
            "Unix time of the last accepted webhook delivery, by integration",
            webhooks.last_received.clone(),
        );
        Self {
            registry: root,
            work,
            requests,
            latency,
            db_statements,
            graphql_from_memory,
            webhooks,
        }
    }

    /// Counts every statement the connection sends (sea-orm's metric callback),
    /// so `/metrics` and the tests can see how many queries a request costs.
    pub fn count_statements(&self, db: &mut sea_orm::DatabaseConnection) {
        let counter = self.db_statements.clone();
        db.set_metric_callback(move |_| {
            counter.inc();
        });
    }

    /// SQL statements sent since start-up.
    pub fn db_statements(&self) -> u64 {
        self.db_statements.get()
    }

    /// A statement sent on a connection of its own, outside the pool.
    pub fn count_statement(&self) {
        self.db_statements.inc();
    }

    pub fn answered_from_memory(&self) {
        self.graphql_from_memory.inc();
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.latency
            .get_or_create(&RouteLabels {
                method: method.clone(),
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// The exposition in `format`.
    pub fn render(&self, format: Exposition) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(match format {
            Exposition::OpenMetrics => out,
            Exposition::PrometheusText => prometheus_text(&out),
        })
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// OpenMetrics text as Prometheus text format 0.0.4, which prometheus-client
/// does not write: a counter family is named with its `_total` suffix (as its
/// samples are), `unknown` is `untyped`, and there are no `# UNIT` or `# EOF`
/// lines. Samples are the same in both.
fn prometheus_text(open_metrics: &str) -> String {
    let mut out = String::with_capacity(open_metrics.len());
    let mut help: Option<&str> = None;
    for line in open_metrics.lines() {
        if line.starts_with("# HELP ") {
            if let Some(pending) = help.replace(line) {
                out.push_str(pending);
                out.push('\n');
            }
            continue;
        }
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.rsplit_once(' ').unwrap_or((rest, "untyped"));
            let (name, kind) = match kind {
                "counter" => (format!("{name}_total"), kind),
                "unknown" => (name.to_owned(), "untyped"),
                _ => (name.to_owned(), kind),
            };
            if let Some(pending) = help.take() {
                let text = pending.splitn(4, ' ').nth(3).unwrap_or_default();
                out.push_str(&format!("# HELP {name} {text}\n"));
            }
            out.push_str(&format!("# TYPE {name} {kind}\n"));
            continue;
        }
        if let Some(pending) = help.take() {
            out.push_str(pending);
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_choose_the_format() {
        use Exposition::*;
        assert_eq!(Exposition::negotiate(None), PrometheusText);
        assert_eq!(Exposition::negotiate(Some("text/plain")), PrometheusText);
        assert_eq!(Exposition::negotiate(Some("*/*")), PrometheusText);
        assert_eq!(
            Exposition::negotiate(Some("application/openmetrics-text; version=1.0.0")),
            OpenMetrics
        );
        // What Prometheus 2.x sends.
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Exposition::negotiate(Some(prometheus)), OpenMetrics);
        assert_eq!(
            Exposition::negotiate(Some("text/plain;q=1, application/openmetrics-text;q=0.5")),
            PrometheusText
        );
    }

    #[test]
    fn counters_are_named_with_total_in_the_text_format() {
        let metrics = Metrics::new();
        metrics.observe("GET", "/healthz", 200, 0.001);
        let text = metrics.render(Exposition::PrometheusText).unwrap();
        assert!(
            text.contains("# HELP hindsight_http_requests_total HTTP requests answered"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE hindsight_http_requests_total counter\n"),
            "{text}"
        );
        assert!(
            !text.contains("# EOF") && !text.contains("# UNIT"),
            "{text}"
        );
        let open = metrics.render(Exposition::OpenMetrics).unwrap();
        assert!(
            open.contains("# TYPE hindsight_http_requests counter\n"),
            "{open}"
        );
        assert!(open.ends_with("# EOF\n"), "{open}");
    }
}

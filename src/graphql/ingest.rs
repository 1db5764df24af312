//! What monitoring tools send: the `integrations` that receive webhooks and
//! the `events` normalized from them, as `/api/v1/integrations` and
//! `/api/v1/events` show them.

use async_graphql::{
    Context, Enum, InputObject, Object, Result, SimpleObject, connection::Connection,
};
use chrono::{DateTime, Utc};
use entity::{event, integration};
use uuid::Uuid;

use super::{Caller, error::GraphqlResult, page_connection, root_page_cost, timestamp::Timestamp};
use crate::{
    services::{
        anonymity,
        events::{self, EventFilter as EventsFilter},
        integrations::{self, IntegrationConfig as StoredConfig},
        page::{encode_cursor, time_id_key},
    },
    views::Seen,
};

/// The tool an integration receives webhooks from; it decides how deliveries
/// are verified and read.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::IntegrationKind")]
pub enum IntegrationKind {
    /// PagerDuty V3 webhooks.
    Pagerduty,
    /// Prometheus Alertmanager's `webhook_config`.
    Alertmanager,
    /// Grafana alerting contact points.
    Grafana,
    /// Opsgenie alert webhooks.
    Opsgenie,
    /// Datadog monitor webhooks.
    Datadog,
    /// GitHub deployments and workflow runs (and issue changes for synced action items).
    Github,
    /// GitLab deployment hooks.
    Gitlab,
    /// Jira issue changes for synced action items.
    Jira,
    /// Sentry issue alerts.
    Sentry,
    /// Any tool that posts hindsight's own event format.
    Generic,
}

/// How an integration's deliveries are read.
#[derive(SimpleObject)]
pub struct IntegrationConfig {
    /// The label, tag or JSON pointer that names the service; null: the kind's default.
    pub service_field: Option<String>,
    /// Grafana: the header its contact point puts the signing timestamp in.
    pub grafana_timestamp_header: Option<String>,
}

pub struct Integration {
    record: integration::Model,
    webhook_url: String,
    previous_secret_valid_until: Option<DateTime<Utc>>,
}

impl Integration {
    fn new(public_url: &str, record: integration::Model, now: DateTime<Utc>) -> Self {
        Self {
            webhook_url: integrations::webhook_url(public_url, record.id),
            previous_secret_valid_until: integrations::previous_secret_valid_until(&record, now),
            record,
        }
    }
}

/// A monitoring tool that sends hindsight webhooks, with its delivery counts.
/// Its secret is never shown here: REST returns it once, when the integration
/// is created or its secret rotated.
#[Object]
impl Integration {
    /// The integration's id, also the last segment of its webhook URL.
    async fn id(&self) -> Uuid {
        self.record.id
    }
    /// The tool it receives webhooks from.
    async fn kind(&self) -> IntegrationKind {
        self.record.kind.into()
    }
    /// A name for people: "PagerDuty prod".
    async fn name(&self) -> &str {
        &self.record.name
    }
    /// Where the tool must send its deliveries.
    async fn webhook_url(&self) -> &str {
        &self.webhook_url
    }
    /// How its deliveries are read.
    async fn config(&self) -> IntegrationConfig {
        let config = StoredConfig::of(&self.record);
        IntegrationConfig {
            service_field: config.service_field,
            grafana_timestamp_header: config.grafana_timestamp_header,
        }
    }
    /// Deliveries verified and stored.
    async fn accepted_count(&self) -> i64 {
        self.record.accepted_count
    }
    /// Deliveries already received once, acknowledged without storing anything again.
    async fn duplicate_count(&self) -> i64 {
        self.record.duplicate_count
    }
    /// Deliveries refused: a wrong signature or token, or a body that could not be read.
    async fn rejected_count(&self) -> i64 {
        self.record.rejected_count
    }
    /// When the last accepted or duplicate delivery arrived; null before the first.
    async fn last_received_at(&self) -> Option<Timestamp> {
        self.record.last_received_at.map(Timestamp)
    }
    /// Until when the secret replaced by the last rotation is still accepted;
    /// null when it no longer is.
    async fn previous_secret_valid_until(&self) -> Option<Timestamp> {
        self.previous_secret_valid_until.map(Timestamp)
    }
    /// The version REST's `ETag` carries (`"v3"`).
    async fn version(&self) -> i32 {
        self.record.version
    }
    /// When it was registered.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.record.created_at)
    }
    /// When its name, configuration or secret last changed.
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.record.updated_at)
    }
}

pub struct Event(Seen<event::Model>);

/// An alert or deploy event normalized from a webhook delivery, in the
/// source's own time. Pre-fill copies the events that belong to an open
/// post-mortem into its timeline, with the same kind, title and source.
/// Events belong to no post-mortem: people in them are named to admins only.
#[Object]
impl Event {
    /// The event's id; pre-filled timeline entries point to it as `eventId`.
    async fn id(&self) -> Uuid {
        self.0.id()
    }
    /// The integration whose delivery brought it.
    async fn integration_id(&self) -> Uuid {
        self.0.integration_id()
    }
    /// When it happened, as the source reported it (see `timeSource`).
    async fn occurred_at(&self) -> Timestamp {
        Timestamp(self.0.occurred_at())
    }
    /// `SOURCE` when `occurredAt` is the body's own time; `ARRIVAL` when the
    /// body had none and it is when hindsight received it.
    async fn time_source(&self) -> TimeSourceValue {
        match self.0.time_source() {
            entity::TimeSource::Source => TimeSourceValue::Source,
            entity::TimeSource::Arrival => TimeSourceValue::Arrival,
        }
    }
    /// What happened, named as timeline entry kinds are: `alert.triggered`,
    /// `alert.acknowledged`, `alert.resolved`, `alert.escalated`,
    /// `alert.annotated`, `deploy.started`, `deploy.succeeded`, `deploy.failed`.
    async fn kind(&self) -> &str {
        self.0.kind()
    }
    /// The source's one-line summary, with people scrubbed for non-admins.
    async fn title(&self) -> String {
        self.0.title()
    }
    /// The service it is about, as the source names it.
    async fn service(&self) -> Option<String> {
        self.0.service()
    }
    /// One scale across sources: `critical`, `high`, `medium`, `low`, `info`.
    async fn severity(&self) -> Option<&str> {
        self.0.severity()
    }
    /// Link to the alert, incident or deployment at the source; null for
    /// non-admins when it names a person.
    async fn link(&self) -> Option<String> {
        self.0.link()
    }
    /// Who or what acted at the source, as the source names them: admins only.
    async fn actor(&self) -> Option<&str> {
        self.0.actor()
    }
    /// Ties the events of one incident or deploy together (PagerDuty incident
    /// id, Alertmanager group key, GitHub deployment id, ...); post-mortems
    /// name these as incident references.
    async fn correlation_key(&self) -> Option<String> {
        self.0.correlation_key()
    }
    /// The kind of integration that sent it: `pagerduty`, `github`, ...
    async fn source(&self) -> &str {
        self.0.source()
    }
    /// The source's id of what the event is about (incident, alert, deployment).
    async fn external_id(&self) -> Option<String> {
        self.0.external_id()
    }
    /// The source's own name for the event: `incident.triggered`, `deployment_status`, ...
    async fn raw_event_type(&self) -> &str {
        self.0.raw_event_type()
    }
    /// When hindsight received it.
    async fn received_at(&self) -> Timestamp {
        Timestamp(self.0.received_at())
    }
}

/// Where an event's time comes from.
#[derive(Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "TimeSource")]
pub enum TimeSourceValue {
    /// The body's own time.
    Source,
    /// The body had none: when hindsight received it.
    Arrival,
}

/// Which events to list. All filters combine, as on `GET /api/v1/events`.
#[derive(InputObject, Default)]
pub struct EventFilter {
    /// Events about this service, spelled as the source spells it.
    pub service: Option<String>,
    /// Events of this kind: `alert.triggered`, `deploy.succeeded`, ...
    pub kind: Option<String>,
    /// Events sent by this kind of integration: `pagerduty`, `github`, ...
    pub source: Option<String>,
    /// Events that happened at or after this...
    pub from: Option<Timestamp>,
    /// ... and before this.
    pub to: Option<Timestamp>,
}

/// The `integrations` and `events` queries.
#[derive(Default)]
pub struct IngestQuery;

#[Object]
impl IngestQuery {
    /// The integrations that receive webhooks, oldest first, as a Relay
    /// connection (admins, as over REST). Secrets are never shown.
    #[graphql(complexity = "root_page_cost(first, child_complexity)")]
    async fn integrations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Integration>> {
        let caller = Caller::get(ctx)?;
        let _s = caller.admin()?;
        // Delivery counts not yet written and the rotation window are not in
        // the database: an answer showing them cannot be kept.
        caller.volatile();
        let page = caller.page_request(first, after.as_deref())?;
        let state = &caller.state;
        let list = integrations::list_current(&state.db, &state.deliveries, &page)
            .await
            .gql()?;
        let now = Utc::now();
        Ok(page_connection(list, after.as_deref(), |record| {
            (
                encode_cursor(&record.id.to_string()),
                Integration::new(&state.public_url, record, now),
            )
        }))
    }

    /// Events from every integration, in the order they happened, as a Relay
    /// connection: pass `pageInfo.endCursor` as `after` for the next page.
    #[graphql(complexity = "root_page_cost(first, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Event>> {
        let caller = Caller::get(ctx)?;
        // Webhooks write events many times a second; the events table carries
        // no data version (so that deliveries do not invalidate every kept
        // dashboard answer), and an answer showing events is never kept.
        caller.volatile();
        let page = caller.page_request(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = EventsFilter {
            service: f.service,
            kind: f.kind,
            source: f.source,
            from: f.from.map(Into::into),
            to: f.to.map(Into::into),
        };
        let list = events::list(&caller.state.db, &filter, &page).await.gql()?;
        let redactor = anonymity::for_events(&caller.state.db, caller.audience())
            .await
            .gql()?;
        Ok(page_connection(list, after.as_deref(), |e| {
            let cursor = encode_cursor(&time_id_key(&e.occurred_at, &e.id));
            (cursor, Event(Seen::new(e, &redactor)))
        }))
    }
}

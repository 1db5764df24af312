//! Receiving a webhook: verify on the raw bytes, then keep the delivery
//! whatever it holds. What can be read becomes events in the same transaction
//! that stores the delivery, exactly once; what cannot is stored `unparsed`
//! with the reason, to be replayed (see [`super::deliveries`]).

use chrono::{DateTime, SubsecRound, Utc};
use entity::{DeliveryState, TimeSource, event, integration, webhook_delivery};
use sea_orm::{
    ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, TryInsertResult, prelude::*,
};
use sha2::{Digest, Sha256};

use super::{
    audit::Actor,
    batch_writer::{BatchWriter, Stored},
    begin_write,
    delivery_stats::DeliveryStats,
    integrations::{self, IntegrationCache, IntegrationConfig, source_kind},
    new_id, now,
    prefill::{self, Prefill},
    tracker_updates::{self, TrackerUpdate},
};
use crate::{
    config::Secret,
    error::{ApiError, ApiResult},
    ingest::{self, Headers, NormalizedEvent, SourceKind, VerifyConfig},
    telemetry::{DeliveryOutcome, WebhookMetrics},
};

/// Headers kept with a delivery: those that identify it, never credentials.
pub const STORED_HEADERS: &[&str] = &[
    "content-type",
    "user-agent",
    "x-webhook-id",
    "x-webhook-subscription",
    "x-github-event",
    "x-github-delivery",
    "x-github-hook-id",
    "x-gitlab-event",
    "x-gitlab-event-uuid",
    "x-gitlab-webhook-uuid",
    "webhook-id",
    "webhook-timestamp",
    "idempotency-key",
    "sentry-hook-resource",
    "sentry-hook-timestamp",
    "request-id",
    "x-atlassian-webhook-identifier",
];

/// Everything receiving a webhook needs from the running app.
pub struct Receiver<'a> {
    pub db: &'a DatabaseConnection,
    pub key: &'a Secret,
    pub prefill: &'a Prefill,
    pub stats: &'a DeliveryStats,
    pub integrations: &'a IntegrationCache,
    /// PostgreSQL's batch writer; `None` on SQLite.
    pub writer: Option<&'a BatchWriter>,
    pub metrics: &'a WebhookMetrics,
}

/// A request as it arrived: its headers and the raw bytes of its body.
pub struct WebhookRequest {
    pub headers: Headers,
    pub stored_headers: serde_json::Value,
    pub body: Vec<u8>,
    /// The request's id, for the audit entries of what the delivery changes.
    pub request_id: Option<String>,
}

/// What the sender is told.
#[derive(Debug)]
pub struct Receipt {
    /// The stored delivery; `None` for a repeat, which stores nothing.
    pub delivery_id: Option<Uuid>,
    pub event_ids: Vec<Uuid>,
    /// The delivery (or every event in it) had been received before; nothing changed.
    pub duplicate: bool,
    pub state: DeliveryState,
    /// Why a delivery holds nothing for the timeline (a ping, ...) or could
    /// not be read.
    pub reason: Option<String>,
}

/// A database that fails while a valid delivery is stored must make the sender
/// retry (503), never drop it (4xx).
fn retry_later(err: DbErr) -> ApiError {
    tracing::error!(error = %err, "storing a webhook delivery failed");
    ApiError::Unavailable("the delivery could not be stored; retry shortly")
}

impl Receiver<'_> {
    /// The integration a delivery is for: 404 when unknown, 503 (retry) when
    /// it cannot be read, so a sender never drops a delivery over our outage.
    pub async fn integration(&self, integration_id: Uuid) -> ApiResult<integration::Model> {
        self.integrations
            .get(self.db, integration_id)
            .await
            .map_err(|e| match e {
                ApiError::NotFound(what) => ApiError::NotFound(what),
                _ => ApiError::Unavailable("the delivery could not be checked; retry shortly"),
            })
    }

    /// Verifies and keeps a delivery to `record` (see [`Self::integration`]).
    pub async fn receive(
        &self,
        record: integration::Model,
        request: WebhookRequest,
    ) -> ApiResult<Receipt> {
        let at = now();
        if let Err(err) = self.verify(&record, &request, at) {
            self.stats
                .record(self.metrics, &record, DeliveryOutcome::Rejected, at);
            return Err(err);
        }
        let reading = read(
            source_kind(record.kind),
            &IntegrationConfig::of(&record),
            &request.headers,
            &request.body,
        );
        let tracker_update = tracker_update(&record, &request);
        // What a delivery changes (pre-filled timelines, tracker changes) is the integration's doing.
        let actor = Actor::system(format!("webhook:{}", record.id))
            .with_request_id(request.request_id.clone());
        let (receipt, events) = store(self.db, self.writer, &record, reading, request, at)
            .await
            .map_err(retry_later)?;
        let outcome = if receipt.duplicate {
            DeliveryOutcome::Duplicate
        } else {
            self.metrics
                .count_state(record.id, &record.kind.to_value(), receipt.state, 1);
            DeliveryOutcome::Accepted
        };
        self.stats.record(self.metrics, &record, outcome, at);
        if let Some(update) = tracker_update.filter(|_| !receipt.duplicate) {
            // Stored first: if applying fails, the reconcile re-reads the issue.
            match tracker_updates::apply(self.db, &update, &actor).await {
                Ok(applied) => {
                    tracing::debug!(?applied, issue = %update.issue_key, "tracker change")
                }
                Err(err) => tracing::warn!(error = %err, "applying a tracker change failed"),
            }
        }
        if !events.is_empty()
            && let Err(err) = prefill::after_events(self.db, &events, self.prefill, &actor).await
        {
            // The events are stored; the next pre-fill of the post-mortem picks them up.
            tracing::warn!(error = %err, "pre-filling timelines from new events failed");
        }
        Ok(receipt)
    }

    /// Verifies on the raw bytes, before anything reads them. After this the
    /// delivery is kept whatever its body holds.
    fn verify(
        &self,
        record: &integration::Model,
        request: &WebhookRequest,
        at: DateTime<Utc>,
    ) -> ApiResult<()> {
        let kind = source_kind(record.kind);
        let config = IntegrationConfig::of(record);
        let secrets = integrations::secrets_at(self.key, record, at)?;
        let secrets: Vec<&[u8]> = secrets.iter().map(Vec::as_slice).collect();
        let mut verify = VerifyConfig::new(&secrets, at);
        verify.grafana_timestamp_header = config.grafana_timestamp_header.as_deref();
        ingest::verify(kind, &request.headers, &request.body, &verify)
            .map_err(|e| ApiError::Unauthorized(e.to_string()))
    }
}

/// What reading a verified body gave: its events, or why it has none.
#[derive(Debug)]
pub struct Reading {
    pub state: DeliveryState,
    pub reason: Option<String>,
    /// The sender's id of the delivery, when the body could be read.
    pub delivery_id: Option<String>,
    pub events: Vec<NormalizedEvent>,
}

/// Reads a body with an integration's kind and configuration. Never fails: a
/// body that cannot be read is `unparsed`, with the reason.
pub fn read(
    kind: SourceKind,
    config: &IntegrationConfig,
    headers: &Headers,
    body: &[u8],
) -> Reading {
    match ingest::parse(kind, headers, body, &config.mapping()) {
        Ok(delivery) => Reading {
            state: if delivery.events.is_empty() {
                DeliveryState::Ignored
            } else {
                DeliveryState::Processed
            },
            reason: delivery.ignored_reason,
            delivery_id: delivery.delivery_id,
            events: delivery.events,
        },
        Err(err) => Reading {
            state: DeliveryState::Unparsed,
            reason: Some(err.to_string()),
            delivery_id: None,
            events: Vec::new(),
        },
    }
}

/// What a Jira or GitHub `issues` delivery changed on a tracker issue.
fn tracker_update(record: &integration::Model, request: &WebhookRequest) -> Option<TrackerUpdate> {
    let kind = source_kind(record.kind);
    match ingest::parse_tracker_update(kind, &request.headers, &request.body) {
        Ok(update) => update.as_ref().and_then(TrackerUpdate::from_webhook),
        Err(err) => {
            tracing::warn!(error = %err, "a tracker delivery could not be read as an issue change");
            None
        }
    }
}

/// The delivery's identity: the sender's id when it sends one, otherwise the
/// identities of the events in it, otherwise the body itself.
fn delivery_key(reading: &Reading, body: &[u8]) -> String {
    if let Some(id) = &reading.delivery_id {
        return format!("id:{id}");
    }
    let mut hash = Sha256::new();
    if reading.events.is_empty() {
        hash.update(body);
        return format!("body:{}", hex::encode(hash.finalize()));
    }
    let mut keys: Vec<&str> = reading
        .events
        .iter()
        .map(|e| e.dedupe_key.as_str())
        .collect();
    keys.sort_unstable();
    for key in keys {
        hash.update(key.as_bytes());
        hash.update(b"\n");
    }
    format!("events:{}", hex::encode(hash.finalize()))
}

/// An event's row. `at` is when its delivery arrived: the event's time when
/// the body gave none.
pub(super) fn event_row(
    record: &integration::Model,
    delivery_id: Uuid,
    event: NormalizedEvent,
    at: DateTime<Utc>,
) -> event::ActiveModel {
    let (occurred_at, time_source) = match event.occurred_at {
        Some(time) => (time, TimeSource::Source),
        None => (at, TimeSource::Arrival),
    };
    event::ActiveModel {
        id: Set(new_id()),
        integration_id: Set(record.id),
        delivery_id: Set(Some(delivery_id)),
        // Both databases keep microseconds; cut here so reads agree everywhere.
        occurred_at: Set(occurred_at.trunc_subsecs(6)),
        kind: Set(event.kind.as_str().to_owned()),
        title: Set(event.title),
        service: Set(event.service),
        severity: Set(event.severity.map(|s| s.as_str().to_owned())),
        link: Set(event.link),
        actor: Set(event.actor),
        correlation_key: Set(event.correlation_key),
        source: Set(source_kind(record.kind).as_str().to_owned()),
        dedupe_key: Set(event.dedupe_key),
        external_id: Set(event.external_id),
        raw_event_type: Set(event.raw_event_type),
        received_at: Set(at),
        time_source: Set(time_source),
    }
}

/// Inserts the delivery and its events, or nothing when the delivery key (or
/// every event's dedupe key) is already stored. Conflicts are `DO NOTHING`, so
/// concurrent copies wait for the first and then change nothing.
async fn store(
    db: &DatabaseConnection,
    writer: Option<&BatchWriter>,
    record: &integration::Model,
    reading: Reading,
    request: WebhookRequest,
    at: DateTime<Utc>,
) -> Result<(Receipt, Vec<event::Model>), DbErr> {
    let key = delivery_key(&reading, &request.body);
    let Reading {
        state,
        reason,
        events,
        ..
    } = reading;
    let delivery_id = new_id();
    let delivery_row = webhook_delivery::ActiveModel {
        id: Set(delivery_id),
        integration_id: Set(record.id),
        delivery_key: Set(key),
        body: Set(request.body),
        headers: Set(request.stored_headers),
        event_count: Set(i32::try_from(events.len()).unwrap_or(i32::MAX)),
        received_at: Set(at),
        state: Set(state),
        reason: Set(reason.clone()),
        body_pruned_at: Set(None),
    };
    let rows: Vec<event::ActiveModel> = events
        .into_iter()
        .map(|e| event_row(record, delivery_id, e, at))
        .collect();
    let stored = match writer {
        Some(writer) if !rows.is_empty() => writer.store(delivery_row, rows).await?,
        _ => store_in_transaction(db, delivery_row, rows).await?,
    };
    let Some(stored) = stored else {
        let receipt = Receipt {
            delivery_id: None,
            event_ids: Vec::new(),
            duplicate: true,
            state,
            reason,
        };
        return Ok((receipt, Vec::new()));
    };
    let receipt = Receipt {
        delivery_id: Some(delivery_id),
        event_ids: stored.iter().map(|e| e.id).collect(),
        duplicate: false,
        state,
        reason,
    };
    Ok((receipt, stored))
}

async fn store_in_transaction(
    db: &DatabaseConnection,
    delivery: webhook_delivery::ActiveModel,
    rows: Vec<event::ActiveModel>,
) -> Result<Stored, DbErr> {
    use event::Column as E;
    use webhook_delivery::Column as D;
    let txn = begin_write(db).await?;
    let inserted = webhook_delivery::Entity::insert(delivery)
        .on_conflict_do_nothing_on([D::IntegrationId, D::DeliveryKey])
        .exec_without_returning(&txn)
        .await?;
    if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        txn.rollback().await?;
        return Ok(None);
    }
    let had_events = !rows.is_empty();
    let stored = match event::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([E::IntegrationId, E::DedupeKey])
        .exec_with_returning_many(&txn)
        .await
    {
        Ok(TryInsertResult::Inserted(models)) => models,
        Ok(_) | Err(DbErr::RecordNotInserted) => Vec::new(),
        Err(err) => return Err(err),
    };
    if had_events && stored.is_empty() {
        // Every event was already known (a re-sent group): a repeat.
        txn.rollback().await?;
        return Ok(None);
    }
    txn.commit().await?;
    Ok(Some(stored))
}

/// Forgets delivery keys older than the retention; run in the background.
pub async fn prune_deliveries(
    db: &impl sea_orm::ConnectionTrait,
    retention: std::time::Duration,
) -> ApiResult<u64> {
    let retention = chrono::Duration::from_std(retention).map_err(anyhow::Error::from)?;
    let result = webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::ReceivedAt.lt(now() - retention))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

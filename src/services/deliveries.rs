//! Stored webhook deliveries: listed for admins with what became of each,
//! replayed through today's parsers and mapping rules, tried on a sample body
//! before a rule is saved, and their raw bodies dropped after the retention
//! (their keys stay longer, so a late retry is still known).

use super::session::Admin;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entity::{DeliveryState, event, integration, webhook_delivery};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, TryInsertResult, prelude::*, sea_query::Expr,
};
use serde::Serialize;

use super::{
    audit::{self, Action, Actor, Changes, Entry, Resource},
    begin_write,
    integrations::{self, IntegrationConfig, source_kind},
    now,
    page::{Page, PageRequest, before_time_id, time_id_key},
    prefill::{self, Prefill},
    webhooks::{self, Reading},
};
use crate::{
    error::{ApiError, ApiResult},
    ingest::{Headers, NormalizedEvent},
    telemetry::WebhookMetrics,
};

/// Which stored deliveries: by state and by when they arrived.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Any of these states; all when empty.
    pub states: Vec<DeliveryState>,
    /// Received at or after this.
    pub since: Option<DateTime<Utc>>,
    /// ... and before this.
    pub until: Option<DateTime<Utc>>,
}

impl DeliveryFilter {
    fn condition(&self, integration_id: Uuid) -> sea_orm::Condition {
        use webhook_delivery::Column as C;
        let mut condition = sea_orm::Condition::all().add(C::IntegrationId.eq(integration_id));
        if !self.states.is_empty() {
            condition = condition.add(C::State.is_in(self.states.iter().copied()));
        }
        if let Some(since) = self.since {
            condition = condition.add(C::ReceivedAt.gte(since));
        }
        if let Some(until) = self.until {
            condition = condition.add(C::ReceivedAt.lt(until));
        }
        condition
    }
}

/// A stored delivery without its body (lists stay small whatever was sent).
#[derive(Debug, Clone, FromQueryResult)]
pub struct DeliverySummary {
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    pub state: DeliveryState,
    pub reason: Option<String>,
    pub event_count: i32,
    pub headers: serde_json::Value,
    pub body_pruned_at: Option<DateTime<Utc>>,
    pub body_bytes: i64,
}

impl DeliverySummary {
    pub fn of(delivery: &webhook_delivery::Model) -> Self {
        Self {
            id: delivery.id,
            received_at: delivery.received_at,
            state: delivery.state,
            reason: delivery.reason.clone(),
            event_count: delivery.event_count,
            headers: delivery.headers.clone(),
            body_pruned_at: delivery.body_pruned_at,
            body_bytes: i64::try_from(delivery.body.len()).unwrap_or(i64::MAX),
        }
    }
}

/// A delivery with the events it made.
#[derive(Debug, Clone)]
pub struct DeliveryView<T> {
    pub delivery: T,
    pub event_ids: Vec<Uuid>,
}

/// The events each delivery made, oldest first.
async fn events_of(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> ApiResult<HashMap<Uuid, Vec<Uuid>>> {
    let rows: Vec<(Uuid, Option<Uuid>)> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .column(event::Column::DeliveryId)
        .filter(event::Column::DeliveryId.is_in(ids))
        .order_by_asc(event::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut made: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (id, delivery) in rows {
        if let Some(delivery) = delivery {
            made.entry(delivery).or_default().push(id);
        }
    }
    Ok(made)
}

/// Newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    integration_id: Uuid,
    filter: &DeliveryFilter,
    page: &PageRequest,
) -> ApiResult<Page<DeliveryView<DeliverySummary>>> {
    use webhook_delivery::Column as C;
    integrations::get(db, integration_id).await?;
    let mut query = webhook_delivery::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::ReceivedAt,
            C::State,
            C::Reason,
            C::EventCount,
            C::Headers,
            C::BodyPrunedAt,
        ])
        // Bytes of a blob on SQLite, of a bytea on PostgreSQL.
        .column_as(Expr::cust("CAST(length(body) AS BIGINT)"), "body_bytes")
        .filter(filter.condition(integration_id))
        .order_by_desc(C::ReceivedAt)
        .order_by_desc(C::Id);
    if let Some(before) = &page.after {
        query = query.filter(before_time_id(before, C::ReceivedAt, C::Id)?);
    }
    let rows = query
        .limit(page.fetch())
        .into_model::<DeliverySummary>()
        .all(db)
        .await?;
    let page = Page::from_rows(rows, page, |r| time_id_key(&r.received_at, &r.id));
    let mut made = events_of(db, page.items.iter().map(|d| d.id).collect()).await?;
    Ok(page.map(|delivery| DeliveryView {
        event_ids: made.remove(&delivery.id).unwrap_or_default(),
        delivery,
    }))
}

/// One delivery, with its raw body (empty once pruned).
pub async fn get(
    db: &impl ConnectionTrait,
    integration_id: Uuid,
    delivery_id: Uuid,
) -> ApiResult<DeliveryView<webhook_delivery::Model>> {
    let delivery = webhook_delivery::Entity::find_by_id(delivery_id)
        .filter(webhook_delivery::Column::IntegrationId.eq(integration_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("delivery"))?;
    let event_ids = events_of(db, vec![delivery.id])
        .await?
        .remove(&delivery.id)
        .unwrap_or_default();
    Ok(DeliveryView {
        delivery,
        event_ids,
    })
}

/// The headers a delivery was stored with (those that say what it is; never
/// credentials), as the parsers read them.
fn stored_headers(delivery: &webhook_delivery::Model) -> Headers {
    let pairs = delivery
        .headers
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())));
    Headers::new(pairs)
}

/// What a replay did.
#[derive(Debug, Default, Serialize)]
pub struct ReplayReport {
    /// Deliveries read again.
    pub replayed: u64,
    /// Deliveries matched whose body the retention had dropped: not replayable.
    pub skipped_pruned: u64,
    /// Events that did not exist before.
    pub events_created: u64,
    /// The replayed deliveries by the state they ended in.
    pub states: BTreeMap<&'static str, u64>,
}

/// Deliveries read per page and transaction.
const REPLAY_PAGE: u64 = 100;

/// `POST /api/v1/integrations/{id}/replay`: an admin's replay, through the
/// running app's pre-fill and metrics.
pub async fn replay(
    s: &Admin,
    integration_id: Uuid,
    filter: &DeliveryFilter,
) -> ApiResult<ReplayReport> {
    let core = s.core();
    let replayer = Replayer {
        db: &core.db,
        prefill: &core.prefill,
        metrics: &core.metrics.webhooks,
    };
    replayer.replay(integration_id, filter, s.actor()).await
}

/// Everything a replay needs from the running app (or the command line).
pub struct Replayer<'a> {
    pub db: &'a DatabaseConnection,
    pub prefill: &'a Prefill,
    pub metrics: &'a WebhookMetrics,
}

impl Replayer<'_> {
    /// Runs the stored deliveries that match through today's parsers and the
    /// integration's current mapping rules, oldest first. Idempotent: events
    /// are stored under their dedupe keys, so a second replay adds nothing.
    /// New events pre-fill timelines as new deliveries do. Tracker changes are
    /// not applied again (the reconcile reads trackers' current state).
    pub async fn replay(
        &self,
        integration_id: Uuid,
        filter: &DeliveryFilter,
        actor: &Actor,
    ) -> ApiResult<ReplayReport> {
        use webhook_delivery::Column as C;
        let record = integrations::get(self.db, integration_id).await?;
        let config = IntegrationConfig::of(&record);
        let mut report = ReplayReport::default();
        let mut created = Vec::new();
        let mut after: Option<(DateTime<Utc>, Uuid)> = None;
        loop {
            let mut query = webhook_delivery::Entity::find()
                .filter(filter.condition(integration_id))
                .order_by_asc(C::ReceivedAt)
                .order_by_asc(C::Id)
                .limit(REPLAY_PAGE);
            if let Some((at, id)) = after {
                query = query.filter(
                    sea_orm::Condition::any().add(C::ReceivedAt.gt(at)).add(
                        sea_orm::Condition::all()
                            .add(C::ReceivedAt.eq(at))
                            .add(C::Id.gt(id)),
                    ),
                );
            }
            let deliveries = query.all(self.db).await?;
            let Some(last) = deliveries.last() else {
                break;
            };
            after = Some((last.received_at, last.id));
            for delivery in deliveries {
                if delivery.body_pruned_at.is_some() {
                    report.skipped_pruned += 1;
                    continue;
                }
                let reading = webhooks::read(
                    source_kind(record.kind),
                    &config,
                    &stored_headers(&delivery),
                    &delivery.body,
                );
                let state = reading.state;
                let made = self.store_reading(&record, &delivery, reading).await?;
                report.replayed += 1;
                report.events_created += made.len() as u64;
                *report.states.entry(state.as_str()).or_default() += 1;
                self.metrics
                    .count_replayed(record.id, &record.kind.to_value(), state);
                created.extend(made);
            }
        }
        self.record(&record, filter, &report, actor).await?;
        if !created.is_empty()
            && let Err(err) = prefill::after_events(self.db, &created, self.prefill, actor).await
        {
            tracing::warn!(error = %err, "pre-filling timelines from replayed events failed");
        }
        Ok(report)
    }

    /// Stores a delivery's new reading: its new events (known ones are left
    /// as they are) and its state, in one transaction.
    async fn store_reading(
        &self,
        record: &integration::Model,
        delivery: &webhook_delivery::Model,
        reading: Reading,
    ) -> ApiResult<Vec<event::Model>> {
        use event::Column as E;
        let rows: Vec<event::ActiveModel> = reading
            .events
            .into_iter()
            .map(|e| webhooks::event_row(record, delivery.id, e, delivery.received_at))
            .collect();
        let txn = begin_write(self.db).await?;
        let made = if rows.is_empty() {
            Vec::new()
        } else {
            match event::Entity::insert_many(rows)
                .on_conflict_do_nothing_on([E::IntegrationId, E::DedupeKey])
                .exec_with_returning_many(&txn)
                .await
            {
                Ok(TryInsertResult::Inserted(models)) => models,
                Ok(_) | Err(DbErr::RecordNotInserted) => Vec::new(),
                Err(err) => return Err(err.into()),
            }
        };
        let event_count = event::Entity::find()
            .filter(E::DeliveryId.eq(delivery.id))
            .count(&txn)
            .await?;
        webhook_delivery::ActiveModel {
            id: Set(delivery.id),
            state: Set(reading.state),
            reason: Set(reading.reason),
            event_count: Set(i32::try_from(event_count).unwrap_or(i32::MAX)),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        txn.commit().await?;
        Ok(made)
    }

    /// Who replayed what, and what it gave.
    async fn record(
        &self,
        record: &integration::Model,
        filter: &DeliveryFilter,
        report: &ReplayReport,
        actor: &Actor,
    ) -> ApiResult<()> {
        let mut changes = Changes::default();
        let states: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
        changes.set("states", serde_json::Value::Null, states.into());
        changes.set(
            "since",
            serde_json::Value::Null,
            serde_json::to_value(filter.since).unwrap_or_default(),
        );
        changes.set(
            "until",
            serde_json::Value::Null,
            serde_json::to_value(filter.until).unwrap_or_default(),
        );
        changes.set("replayed", serde_json::Value::Null, report.replayed.into());
        changes.set(
            "events_created",
            serde_json::Value::Null,
            report.events_created.into(),
        );
        let txn = begin_write(self.db).await?;
        audit::record(
            &txn,
            actor,
            Entry::new(Action::Replay, Resource::Integration, record.id, changes),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// What a body would give with a configuration, storing nothing.
pub fn preview(
    record: &integration::Model,
    config: &IntegrationConfig,
    headers: &Headers,
    body: &[u8],
) -> Reading {
    webhooks::read(source_kind(record.kind), config, headers, body)
}

/// An event a preview would make, as the admin trying a rule sees it.
#[derive(Debug, Serialize)]
pub struct PreviewEvent {
    /// `null` when the body has no time: the event would take its arrival time.
    pub occurred_at: Option<DateTime<Utc>>,
    pub kind: &'static str,
    pub title: String,
    pub service: Option<String>,
    pub severity: Option<&'static str>,
    pub link: Option<String>,
    pub actor: Option<String>,
    pub correlation_key: Option<String>,
    pub dedupe_key: String,
    pub external_id: Option<String>,
    pub raw_event_type: String,
}

impl From<NormalizedEvent> for PreviewEvent {
    fn from(e: NormalizedEvent) -> Self {
        Self {
            occurred_at: e.occurred_at,
            kind: e.kind.as_str(),
            title: e.title,
            service: e.service,
            severity: e.severity.map(|s| s.as_str()),
            link: e.link,
            actor: e.actor,
            correlation_key: e.correlation_key,
            dedupe_key: e.dedupe_key,
            external_id: e.external_id,
            raw_event_type: e.raw_event_type,
        }
    }
}

/// Drops the raw bodies of deliveries older than `retention`; their keys and
/// states stay (until the delivery retention removes the rows).
pub async fn prune_bodies(
    db: &impl ConnectionTrait,
    retention: std::time::Duration,
) -> ApiResult<u64> {
    use webhook_delivery::Column as C;
    let retention = chrono::Duration::from_std(retention).map_err(anyhow::Error::from)?;
    let at = now();
    let result = webhook_delivery::Entity::update_many()
        .col_expr(C::Body, Expr::value(Vec::<u8>::new()))
        .col_expr(C::BodyPrunedAt, Expr::value(at))
        .filter(C::ReceivedAt.lt(at - retention))
        .filter(C::BodyPrunedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

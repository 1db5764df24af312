//! PostgreSQL: webhook deliveries that arrive together are written together.
//!
//! Each delivery would otherwise cost its own statement and commit (a WAL
//! flush). A few writer tasks take deliveries from their queues and store
//! whatever has gathered while they were busy (up to [`MAX_BATCH`]) in one
//! statement: a data-modifying CTE inserts the deliveries (`ON CONFLICT DO
//! NOTHING`) and then the events of the deliveries that went in (`ON CONFLICT
//! DO NOTHING` on their dedupe keys), atomically. Under light load a batch is
//! one delivery, so nothing waits for company.

use std::sync::atomic::{AtomicUsize, Ordering};

use entity::{event, webhook_delivery};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Statement, Value,
};
use tokio::sync::{mpsc, oneshot};

/// Deliveries stored per statement at most.
const MAX_BATCH: usize = 64;
/// Writer tasks, each holding at most one connection at a time.
const WRITERS: usize = 4;

/// The events a delivery stored, or `None` for a repeat (a known delivery
/// key, or only known events).
pub type Stored = Option<Vec<event::Model>>;

struct Job {
    delivery: webhook_delivery::ActiveModel,
    events: Vec<event::ActiveModel>,
    reply: oneshot::Sender<Result<Stored, String>>,
}

/// Hands deliveries to the writer tasks, round robin.
pub struct BatchWriter {
    queues: Vec<mpsc::Sender<Job>>,
    next: AtomicUsize,
}

impl BatchWriter {
    /// Starts the writers on PostgreSQL; `None` elsewhere (SQLite has one
    /// writer and no round trips, so there is nothing to gain).
    pub fn start(db: &DatabaseConnection) -> Option<Self> {
        if db.get_database_backend() != DbBackend::Postgres {
            return None;
        }
        let queues = (0..WRITERS)
            .map(|_| {
                let (tx, rx) = mpsc::channel(MAX_BATCH * 4);
                tokio::spawn(write_batches(db.clone(), rx));
                tx
            })
            .collect();
        Some(Self {
            queues,
            next: AtomicUsize::new(0),
        })
    }

    /// Stores one delivery and its (non-empty) events with whatever else is queued.
    pub async fn store(
        &self,
        delivery: webhook_delivery::ActiveModel,
        events: Vec<event::ActiveModel>,
    ) -> Result<Stored, DbErr> {
        let (reply, answer) = oneshot::channel();
        let queue = &self.queues[self.next.fetch_add(1, Ordering::Relaxed) % self.queues.len()];
        let job = Job {
            delivery,
            events,
            reply,
        };
        let gone = || DbErr::Custom("the webhook writer stopped".into());
        queue.send(job).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?.map_err(DbErr::Custom)
    }
}

async fn write_batches(db: DatabaseConnection, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let result = write(&db, &batch).await;
        for job in batch {
            let id = job.delivery.get(webhook_delivery::Column::Id).into_value();
            let answer = match &result {
                Ok(stored) => {
                    let mine: Vec<event::Model> = stored
                        .iter()
                        .filter(|e| e.delivery_id.map(Value::from) == id)
                        .cloned()
                        .collect();
                    Ok((!mine.is_empty()).then_some(mine))
                }
                Err(err) => Err(err.to_string()),
            };
            // The request may have gone (client hung up); its rows are stored anyway.
            let _ = job.reply.send(answer);
        }
    }
}

const DELIVERY_COLUMNS: [webhook_delivery::Column; 9] = [
    webhook_delivery::Column::Id,
    webhook_delivery::Column::IntegrationId,
    webhook_delivery::Column::DeliveryKey,
    webhook_delivery::Column::Body,
    webhook_delivery::Column::Headers,
    webhook_delivery::Column::EventCount,
    webhook_delivery::Column::ReceivedAt,
    webhook_delivery::Column::State,
    webhook_delivery::Column::Reason,
];

const EVENT_COLUMNS: [event::Column; 17] = [
    event::Column::Id,
    event::Column::IntegrationId,
    event::Column::DeliveryId,
    event::Column::OccurredAt,
    event::Column::Kind,
    event::Column::Title,
    event::Column::Service,
    event::Column::Severity,
    event::Column::Link,
    event::Column::Actor,
    event::Column::CorrelationKey,
    event::Column::Source,
    event::Column::DedupeKey,
    event::Column::ExternalId,
    event::Column::RawEventType,
    event::Column::ReceivedAt,
    event::Column::TimeSource,
];

/// Appends one `($n, ...)` tuple of these columns' values.
fn tuple<A: ActiveModelTrait>(
    row: &A,
    columns: &[<A::Entity as EntityTrait>::Column],
    values: &mut Vec<Value>,
) -> Result<String, DbErr> {
    let mut params = Vec::with_capacity(columns.len());
    for column in columns {
        let value = row
            .get(*column)
            .into_value()
            .ok_or_else(|| DbErr::Custom("a webhook row lacks a value".into()))?;
        values.push(value);
        params.push(format!("${}", values.len()));
    }
    Ok(format!("({})", params.join(", ")))
}

/// One statement for the whole batch. Rows go in key order, so two batches
/// that share keys take their locks in the same order and cannot deadlock.
async fn write(db: &DatabaseConnection, batch: &[Job]) -> Result<Vec<event::Model>, DbErr> {
    let key = |job: &&Job| {
        job.delivery
            .get(webhook_delivery::Column::DeliveryKey)
            .into_value()
            .map(|v| v.to_string())
    };
    let mut jobs: Vec<&Job> = batch.iter().collect();
    jobs.sort_by_key(key);
    let mut events: Vec<&event::ActiveModel> = jobs.iter().flat_map(|j| &j.events).collect();
    events.sort_by_key(|e| {
        e.get(event::Column::DedupeKey)
            .into_value()
            .map(|v| v.to_string())
    });
    let mut values = Vec::new();
    let deliveries = jobs
        .iter()
        .map(|job| tuple(&job.delivery, &DELIVERY_COLUMNS, &mut values))
        .collect::<Result<Vec<_>, _>>()?;
    let events = events
        .iter()
        .map(|row| tuple(*row, &EVENT_COLUMNS, &mut values))
        .collect::<Result<Vec<_>, _>>()?;
    let sql = format!(
        "WITH delivery AS (\
           INSERT INTO webhook_deliveries \
             (id, integration_id, delivery_key, body, headers, event_count, received_at, state, \
              reason) \
           VALUES {} \
           ON CONFLICT (integration_id, delivery_key) DO NOTHING RETURNING id) \
         INSERT INTO events (id, integration_id, delivery_id, occurred_at, kind, title, service, \
           severity, link, actor, correlation_key, source, dedupe_key, external_id, \
           raw_event_type, received_at, time_source) \
         SELECT e.* FROM (VALUES {}) AS e(id, integration_id, delivery_id, occurred_at, kind, \
           title, service, severity, link, actor, correlation_key, source, dedupe_key, \
           external_id, raw_event_type, received_at, time_source) \
         JOIN delivery ON delivery.id = e.delivery_id \
         ON CONFLICT (integration_id, dedupe_key) DO NOTHING RETURNING *",
        deliveries.join(", "),
        events.join(", ")
    );
    event::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .all(db)
        .await
}

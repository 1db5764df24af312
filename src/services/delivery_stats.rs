//! Per-integration delivery counts. Every delivery to one integration would
//! otherwise update the same row and queue on its lock, so counts gather in
//! memory and are added to the row in the background; reads add what is
//! still pending, and `/metrics` is seeded from the table at start.

use std::{collections::HashMap, sync::PoisonError};

use chrono::{DateTime, Utc};
use entity::integration;
use sea_orm::{
    ConnectionTrait, EntityTrait, QueryFilter,
    prelude::*,
    sea_query::{Expr, ExprTrait},
};
use tokio::sync::Mutex;

use crate::{
    error::ApiResult,
    telemetry::{DeliveryOutcome, WebhookMetrics},
};

#[derive(Debug, Default, Clone, Copy)]
struct Pending {
    accepted: i64,
    duplicate: i64,
    rejected: i64,
    last_received_at: Option<DateTime<Utc>>,
}

/// Counts not yet written to the `integrations` table.
#[derive(Default)]
pub struct DeliveryStats {
    /// New counts. A plain mutex held for a few instructions: recording a
    /// delivery never waits for a flush.
    pending: std::sync::Mutex<HashMap<Uuid, Pending>>,
    /// Counts being written (or left over from a failed write). Held across the
    /// write, and by reads, so a read never sees counts vanish or double.
    in_flight: Mutex<HashMap<Uuid, Pending>>,
}

fn merge(into: &mut HashMap<Uuid, Pending>, id: Uuid, p: &Pending) {
    let entry = into.entry(id).or_default();
    entry.accepted += p.accepted;
    entry.duplicate += p.duplicate;
    entry.rejected += p.rejected;
    entry.last_received_at = Ord::max(entry.last_received_at, p.last_received_at);
}

impl DeliveryStats {
    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one delivery, here and in the metrics.
    pub fn record(
        &self,
        metrics: &WebhookMetrics,
        record: &integration::Model,
        outcome: DeliveryOutcome,
        at: DateTime<Utc>,
    ) {
        let kind = record.kind.to_value();
        metrics.count(record.id, &kind, outcome, 1);
        let mut one = Pending::default();
        match outcome {
            DeliveryOutcome::Accepted => one.accepted = 1,
            DeliveryOutcome::Duplicate => one.duplicate = 1,
            DeliveryOutcome::Rejected => one.rejected = 1,
        }
        if outcome != DeliveryOutcome::Rejected {
            metrics.received_at(record.id, &kind, at.timestamp());
            one.last_received_at = Some(at);
        }
        merge(&mut self.pending(), record.id, &one);
    }

    /// Adds the counts not yet written to rows read from the table.
    pub async fn read<F, T>(&self, read: F) -> ApiResult<Vec<integration::Model>>
    where
        F: AsyncFnOnce() -> ApiResult<T>,
        T: IntoIterator<Item = integration::Model>,
    {
        let in_flight = self.in_flight.lock().await;
        let rows = read().await?;
        let mut unwritten = in_flight.clone();
        for (id, p) in self.pending().iter() {
            merge(&mut unwritten, *id, p);
        }
        Ok(rows
            .into_iter()
            .map(|mut row| {
                if let Some(p) = unwritten.get(&row.id) {
                    row.accepted_count += p.accepted;
                    row.duplicate_count += p.duplicate;
                    row.rejected_count += p.rejected;
                    row.last_received_at = Ord::max(row.last_received_at, p.last_received_at);
                }
                row
            })
            .collect())
    }

    /// Adds pending counts to the table (increments, so several replicas can
    /// share it). What fails to write stays for the next flush.
    pub async fn flush(&self, db: &impl ConnectionTrait) -> ApiResult<()> {
        use integration::Column as C;
        let mut in_flight = self.in_flight.lock().await;
        let taken = std::mem::take(&mut *self.pending());
        for (id, p) in &taken {
            merge(&mut in_flight, *id, p);
        }
        let ids: Vec<Uuid> = in_flight.keys().copied().collect();
        for id in ids {
            let Some(p) = in_flight.get(&id).copied() else {
                continue;
            };
            let mut update = integration::Entity::update_many()
                .col_expr(
                    C::AcceptedCount,
                    Expr::col(C::AcceptedCount).add(p.accepted),
                )
                .col_expr(
                    C::DuplicateCount,
                    Expr::col(C::DuplicateCount).add(p.duplicate),
                )
                .col_expr(
                    C::RejectedCount,
                    Expr::col(C::RejectedCount).add(p.rejected),
                );
            if let Some(at) = p.last_received_at {
                update = update.col_expr(C::LastReceivedAt, Expr::value(at));
            }
            update.filter(C::Id.eq(id)).exec(db).await?;
            in_flight.remove(&id);
        }
        Ok(())
    }
}

/// Starts the metrics from the counts the table holds.
pub async fn seed_metrics(db: &impl ConnectionTrait, metrics: &WebhookMetrics) -> ApiResult<()> {
    for row in integration::Entity::find().all(db).await? {
        let kind = row.kind.to_value();
        for (outcome, n) in [
            (DeliveryOutcome::Accepted, row.accepted_count),
            (DeliveryOutcome::Duplicate, row.duplicate_count),
            (DeliveryOutcome::Rejected, row.rejected_count),
        ] {
            metrics.count(row.id, &kind, outcome, n.try_into().unwrap_or(0));
        }
        if let Some(at) = row.last_received_at {
            metrics.received_at(row.id, &kind, at.timestamp());
        }
    }
    Ok(())
}

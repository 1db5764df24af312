//! Per-integration delivery counts. Every delivery to one integration would
//! otherwise update the same row and queue on its lock, so counts gather in
//! memory and are added to the row in the background; reads add what is
//! still pending, and `/metrics` is seeded from the table at start.

use std::collections::HashMap;

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
    pending: Mutex<HashMap<Uuid, Pending>>,
}

impl DeliveryStats {
    /// Counts one delivery, here and in the metrics.
    pub async fn record(
        &self,
        metrics: &WebhookMetrics,
        record: &integration::Model,
        outcome: DeliveryOutcome,
        at: DateTime<Utc>,
    ) {
        let kind = record.kind.to_value();
        metrics.count(record.id, &kind, outcome, 1);
        let mut pending = self.pending.lock().await;
        let entry = pending.entry(record.id).or_default();
        match outcome {
            DeliveryOutcome::Accepted => entry.accepted += 1,
            DeliveryOutcome::Duplicate => entry.duplicate += 1,
            DeliveryOutcome::Rejected => entry.rejected += 1,
        }
        if outcome != DeliveryOutcome::Rejected {
            metrics.received_at(record.id, &kind, at.timestamp());
            entry.last_received_at = Ord::max(entry.last_received_at, Some(at));
        }
    }

    /// Adds the pending counts to rows read from the table. The lock is held
    /// while reading, so a concurrent flush cannot make counts vanish or double.
    pub async fn read<F, T>(&self, read: F) -> ApiResult<Vec<integration::Model>>
    where
        F: AsyncFnOnce() -> ApiResult<T>,
        T: IntoIterator<Item = integration::Model>,
    {
        let pending = self.pending.lock().await;
        let rows = read().await?;
        Ok(rows
            .into_iter()
            .map(|mut row| {
                if let Some(p) = pending.get(&row.id) {
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
    /// share it). What fails to write stays pending for the next flush.
    pub async fn flush(&self, db: &impl ConnectionTrait) -> ApiResult<()> {
        use integration::Column as C;
        let mut pending = self.pending.lock().await;
        let ids: Vec<Uuid> = pending.keys().copied().collect();
        for id in ids {
            let Some(p) = pending.get(&id).copied() else {
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
            pending.remove(&id);
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

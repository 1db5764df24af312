//! What every replica shares about a tracker's limits, kept in the database so
//! that N replicas never send more than one would: the pause a rate limit asked
//! for (`Retry-After`, reset headers), and whose turn it is to send a GitHub
//! mutation for a token.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{mutation_turn, tracker_pause};
use futures_util::{FutureExt as _, future::BoxFuture};
use sea_orm::{
    ActiveValue::Set,
    Condition, DatabaseConnection, EntityTrait, QueryFilter,
    prelude::*,
    sea_query::{Alias, ExprTrait as _, OnConflict},
};

use super::now;
use crate::{error::ApiResult, trackers::MutationLedger};

/// Leaves the tracker be until `until`, in every replica. A pause already
/// reaching further stays as it is.
pub async fn pause(
    db: &impl ConnectionTrait,
    tracker_id: Uuid,
    until: DateTime<Utc>,
) -> ApiResult<()> {
    use tracker_pause::Column as C;
    let row = tracker_pause::ActiveModel {
        tracker_id: Set(tracker_id),
        paused_until: Set(until),
    };
    let excluded = Expr::col((Alias::new("excluded"), C::PausedUntil));
    let mut further = OnConflict::column(C::TrackerId);
    further
        .update_column(C::PausedUntil)
        .action_and_where(Expr::col((tracker_pause::Entity, C::PausedUntil)).lt(excluded));
    // Inserted, raised, or left alone because it already reaches further.
    tracker_pause::Entity::insert(row)
        .on_conflict(further)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Until when the tracker is paused, if it is now.
pub async fn paused_until(
    db: &impl ConnectionTrait,
    tracker_id: Uuid,
) -> ApiResult<Option<DateTime<Utc>>> {
    let pause = tracker_pause::Entity::find_by_id(tracker_id)
        .one(db)
        .await?;
    let at = now();
    Ok(pause.map(|p| p.paused_until).filter(|until| *until > at))
}

/// GitHub mutation turns taken in the `mutation_turns` table: a turn is a row
/// naming its holder with a lease, so a replica that dies mid-mutation loses
/// it after `hold`. Waiting replicas look again every [`MutationTurns::POLL`]
/// (only the one task per process at the head of its local queue does).
pub struct MutationTurns {
    db: DatabaseConnection,
    /// This process.
    holder: String,
    /// How long a turn lasts unless given back: longer than one request may take.
    hold: Duration,
    /// How long to wait for a turn before the sync gives up and retries later.
    patience: Duration,
}

impl MutationTurns {
    const POLL: Duration = Duration::from_millis(25);

    /// Turns for this process; `request_timeout` bounds one mutation.
    pub fn new(db: DatabaseConnection, request_timeout: Duration) -> Self {
        let hold = request_timeout * 2 + Duration::from_secs(1);
        Self {
            db,
            holder: format!("replica-{}", Uuid::new_v4().simple()),
            hold,
            patience: hold * 3,
        }
    }

    async fn try_take(&self, key: &str, spacing: Duration) -> Result<bool, DbErr> {
        use mutation_turn::Column as C;
        let at = now();
        let spaced = at - to_chrono(spacing);
        let taken = mutation_turn::Entity::update_many()
            .col_expr(C::Holder, Expr::value(self.holder.clone()))
            .col_expr(C::HeldUntil, Expr::value(at + to_chrono(self.hold)))
            .filter(C::GateKey.eq(key))
            .filter(
                Condition::any()
                    .add(C::Holder.is_null())
                    .add(C::HeldUntil.lt(at)),
            )
            .filter(
                Condition::any()
                    .add(C::LastEndedAt.is_null())
                    .add(C::LastEndedAt.lte(spaced)),
            )
            .exec(&self.db)
            .await?;
        Ok(taken.rows_affected == 1)
    }

    /// How long to sleep before trying again: until the spacing has passed
    /// when that is what stands in the way, otherwise one poll.
    async fn wait_for(&self, key: &str, spacing: Duration) -> Result<Duration, DbErr> {
        let row = mutation_turn::Entity::find_by_id(key.to_owned())
            .one(&self.db)
            .await?;
        let at = now();
        let held = row
            .as_ref()
            .is_some_and(|r| r.holder.is_some() && r.held_until.is_some_and(|u| u >= at));
        let spacing_left = row
            .and_then(|r| r.last_ended_at)
            .map(|ended| ended + to_chrono(spacing) - at)
            .and_then(|left| left.to_std().ok())
            .unwrap_or_default();
        Ok(if held {
            Self::POLL
        } else {
            spacing_left.clamp(Duration::from_millis(1), Self::POLL.max(spacing))
        })
    }

    async fn take(&self, key: &str, spacing: Duration) -> Result<(), String> {
        let give_up = tokio::time::Instant::now() + self.patience;
        let row = mutation_turn::ActiveModel {
            gate_key: Set(key.to_owned()),
            holder: Set(None),
            held_until: Set(None),
            last_ended_at: Set(None),
        };
        mutation_turn::Entity::insert(row)
            .on_conflict_do_nothing_on([mutation_turn::Column::GateKey])
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| e.to_string())?;
        loop {
            if self
                .try_take(key, spacing)
                .await
                .map_err(|e| e.to_string())?
            {
                return Ok(());
            }
            if tokio::time::Instant::now() >= give_up {
                return Err(format!(
                    "another replica held it for more than {:?}",
                    self.patience
                ));
            }
            let wait = self
                .wait_for(key, spacing)
                .await
                .map_err(|e| e.to_string())?;
            tokio::time::sleep(wait).await;
        }
    }

    async fn end(&self, key: &str) {
        use mutation_turn::Column as C;
        let ended = mutation_turn::Entity::update_many()
            .col_expr(C::Holder, Expr::value(Option::<String>::None))
            .col_expr(C::HeldUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(C::LastEndedAt, Expr::value(now()))
            .filter(C::GateKey.eq(key))
            .filter(C::Holder.eq(self.holder.clone()))
            .exec(&self.db)
            .await;
        if let Err(e) = ended {
            tracing::warn!(error = %e, "giving back GitHub's mutation turn failed; its lease will end it");
        }
    }
}

impl MutationLedger for MutationTurns {
    fn take_turn<'a>(
        &'a self,
        key: &'a str,
        spacing: Duration,
    ) -> BoxFuture<'a, Result<(), String>> {
        self.take(key, spacing).boxed()
    }

    fn end_turn<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()> {
        self.end(key).boxed()
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

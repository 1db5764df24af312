//! GitHub's one mutation at a time per token, spaced out, as GitHub asks of
//! integrations to stay clear of its secondary rate limits. In one process a
//! lock per token queues the mutations; with a [`MutationLedger`] the turn is
//! also taken in a store every replica shares (the database), so two replicas
//! never send more than one would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

use super::http::TrackerError;

/// Where the processes sharing a tracker take turns. Implemented over the
/// database by the sync use case; the clients only ask for a turn.
pub trait MutationLedger: Send + Sync {
    /// Waits until no mutation for `key` is in flight in any process and
    /// `spacing` has passed since the last one ended, then holds the turn.
    /// An error means the turn could not be had (the store is unreachable, or
    /// another holder kept it too long): the mutation is not sent.
    fn take_turn<'a>(
        &'a self,
        key: &'a str,
        spacing: Duration,
    ) -> BoxFuture<'a, Result<(), String>>;

    /// Gives the turn back and notes when the mutation ended.
    fn end_turn<'a>(&'a self, key: &'a str) -> BoxFuture<'a, ()>;
}

/// Serializes mutations per token with a minimum spacing between them. Clones
/// share state: keep one per process and hand it to every GitHub client.
#[derive(Clone)]
pub struct MutationGate {
    spacing: Duration,
    slots: Arc<Mutex<HashMap<String, Slot>>>,
    ledger: Option<Arc<dyn MutationLedger>>,
}

/// When the token's last mutation in this process ended; the lock is held
/// while one runs.
type Slot = Arc<tokio::sync::Mutex<Option<Instant>>>;

impl Default for MutationGate {
    /// One second between mutations, GitHub's own advice; this process only.
    fn default() -> Self {
        Self::new(Duration::from_secs(1))
    }
}

impl std::fmt::Debug for MutationGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MutationGate")
            .field("spacing", &self.spacing)
            .field("shared", &self.ledger.is_some())
            .finish()
    }
}

impl MutationGate {
    /// A gate for this process alone.
    pub fn new(spacing: Duration) -> Self {
        Self {
            spacing,
            slots: Arc::default(),
            ledger: None,
        }
    }

    /// A gate whose turns are also taken in `ledger`, shared by every replica.
    pub fn shared(spacing: Duration, ledger: Arc<dyn MutationLedger>) -> Self {
        Self {
            ledger: Some(ledger),
            ..Self::new(spacing)
        }
    }

    /// Waits until no other mutation runs for this token and `spacing` has
    /// passed since the last one ended, here and, with a ledger, in every
    /// replica. Call [`GatePass::leave`] once the mutation's answer is in.
    pub(super) async fn enter(&self, token: &str) -> Result<GatePass, TrackerError> {
        let key = gate_key(token);
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(slots.entry(key.clone()).or_default())
        };
        let guard = slot.lock_owned().await;
        if let Some(last) = *guard {
            tokio::time::sleep_until(last + self.spacing).await;
        }
        let mut pass = GatePass { guard, turn: None };
        if let Some(ledger) = &self.ledger {
            ledger
                .take_turn(&key, self.spacing)
                .await
                .map_err(|message| TrackerError::Retryable {
                    message: format!("waiting for GitHub's mutation turn: {message}"),
                    retry_after: None,
                })?;
            pass.turn = Some((Arc::clone(ledger), key));
        }
        Ok(pass)
    }
}

/// The token as the ledger names it: a digest, never the token itself.
fn gate_key(token: &str) -> String {
    format!("github:{}", hex::encode(Sha256::digest(token.as_bytes())))
}

/// A mutation's turn: this process's lock on the token, and the shared turn.
pub(super) struct GatePass {
    guard: OwnedMutexGuard<Option<Instant>>,
    turn: Option<(Arc<dyn MutationLedger>, String)>,
}

impl GatePass {
    /// Ends the turn: the next mutation for the token waits out the spacing
    /// from now.
    pub(super) async fn leave(mut self) {
        if let Some((ledger, key)) = self.turn.take() {
            ledger.end_turn(&key).await;
        }
    }
}

impl Drop for GatePass {
    fn drop(&mut self) {
        *self.guard = Some(Instant::now());
        // Dropped without `leave` (the sync was cancelled mid-flight): give the
        // shared turn back in the background rather than leave it to its lease.
        if let Some((ledger, key)) = self.turn.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move { ledger.end_turn(&key).await });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures_util::FutureExt as _;

    use super::*;

    /// A ledger in memory, standing in for the database two processes share.
    #[derive(Default)]
    struct Shared {
        guard: Mutex<Option<tokio::sync::OwnedMutexGuard<()>>>,
        ended: AtomicUsize,
    }

    struct Ledger(Arc<Shared>, Arc<tokio::sync::Mutex<()>>);

    impl MutationLedger for Ledger {
        fn take_turn<'a>(&'a self, _: &'a str, _: Duration) -> BoxFuture<'a, Result<(), String>> {
            async move {
                let guard = Arc::clone(&self.1).lock_owned().await;
                *self.0.guard.lock().unwrap_or_else(PoisonError::into_inner) = Some(guard);
                Ok(())
            }
            .boxed()
        }

        fn end_turn<'a>(&'a self, _: &'a str) -> BoxFuture<'a, ()> {
            async move {
                self.0.ended.fetch_add(1, Ordering::SeqCst);
                self.0
                    .guard
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
            }
            .boxed()
        }
    }

    #[tokio::test]
    async fn two_processes_sharing_a_ledger_never_mutate_at_once_and_a_cancelled_turn_ends() {
        let shared = Arc::new(Shared::default());
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        let gates: Vec<MutationGate> = (0..2)
            .map(|_| {
                let ledger = Ledger(Arc::clone(&shared), Arc::clone(&lock));
                MutationGate::shared(Duration::ZERO, Arc::new(ledger))
            })
            .collect();
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let gate = gates[i % 2].clone();
                let (inside, most) = (Arc::clone(&inside), Arc::clone(&most));
                tokio::spawn(async move {
                    let pass = gate.enter("ghp_same").await.unwrap();
                    most.fetch_max(inside.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(3)).await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                    pass.leave().await;
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);

        // A pass dropped without `leave` (a sync aborted mid-flight) still
        // gives the turn back, so the other process is not left waiting.
        drop(gates[0].enter("ghp_same").await.unwrap());
        let next = tokio::time::timeout(Duration::from_secs(1), gates[1].enter("ghp_same")).await;
        assert!(next.is_ok(), "the dropped turn was never given back");
        assert_eq!(shared.ended.load(Ordering::SeqCst), 7);
    }
}

//! The sync use case: the outbox worker claims due rows, decides what each
//! tracker issue must become (its action item's latest state), calls the
//! tracker's client and records the outcome; and the periodic reconcile that
//! re-reads synced issues to catch changes whose webhook never came. The
//! clients in `trackers/` only speak their vendor's API.

use std::time::Duration;

use entity::{JiraDialect, Priority as ItemPriority, SyncState, action_item, person, sync_outbox};
use futures_util::StreamExt as _;
use sea_orm::{DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, prelude::*};

use super::{
    action_items,
    audit::Actor,
    now,
    outbox::{self, SyncFailure},
    postmortems, tracker_limits,
    tracker_updates::{self, Snapshot, TrackerUpdate, tracker_status},
    trackers,
};
use crate::{
    config::Settings,
    error::{ApiError, ApiResult},
    trackers::{
        Assignee, ExternalIssue, IssueSpec, MutationGate, Priority, Tracker, TrackerError,
        TrackerKind, backoff,
    },
};

/// Synced items re-read per reconcile request.
const RECONCILE_BATCH: u64 = 100;

/// Who the audit log says changed an item when the reconcile brings a tracker's change back.
pub const RECONCILE: &str = "tracker-sync";

/// One worker per process; several processes may run against one database.
pub struct SyncWorker {
    db: DatabaseConnection,
    settings: Settings,
    gate: MutationGate,
    /// The application's one public URL, for the links written into issues.
    public_url: String,
    /// The one outbound client, which refuses internal addresses.
    http: reqwest::Client,
    /// Names this worker's claims.
    id: String,
}

/// Why one row could not be synced.
enum SyncError {
    Tracker(TrackerError),
    Internal(ApiError),
}

impl From<TrackerError> for SyncError {
    fn from(e: TrackerError) -> Self {
        Self::Tracker(e)
    }
}

impl From<ApiError> for SyncError {
    fn from(e: ApiError) -> Self {
        Self::Internal(e)
    }
}

impl SyncWorker {
    pub fn new(
        db: DatabaseConnection,
        settings: Settings,
        gate: MutationGate,
        public_url: String,
        http: reqwest::Client,
    ) -> Self {
        Self {
            db,
            settings,
            gate,
            public_url,
            http,
            id: format!("worker-{}", Uuid::new_v4().simple()),
        }
    }

    /// Polls the outbox until the process ends: waits the interval, then drains
    /// every due row before waiting again.
    pub async fn run(self) {
        loop {
            tokio::time::sleep(self.settings.sync.poll_interval).await;
            loop {
                match self.run_once().await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(error = ?e, "outbox poll failed");
                        break;
                    }
                }
            }
        }
    }

    /// Claims one batch of due rows and syncs them; returns how many it claimed.
    pub async fn run_once(&self) -> ApiResult<usize> {
        let sync = &self.settings.sync;
        let rows = outbox::claim(&self.db, &self.id, sync.lease, sync.batch_size).await?;
        let claimed = rows.len();
        futures_util::stream::iter(rows)
            .for_each_concurrent(sync.concurrency, |row| async move {
                if let Err(e) = self.process(&row).await {
                    tracing::error!(error = ?e, item = %row.action_item_id, "outbox row failed");
                }
            })
            .await;
        Ok(claimed)
    }

    async fn process(&self, row: &sync_outbox::Model) -> ApiResult<()> {
        let item = match action_items::get(&self.db, row.action_item_id).await {
            Ok(item) => item,
            Err(ApiError::NotFound(_)) => {
                return outbox::discard(&self.db, row.action_item_id).await;
            }
            Err(e) => return Err(e),
        };
        let Some(tracker_id) = item.tracker_id else {
            return outbox::discard(&self.db, item.id).await;
        };
        // A pause any replica recorded: this one leaves the tracker be too.
        if let Some(until) = tracker_limits::paused_until(&self.db, tracker_id).await? {
            return outbox::postpone(&self.db, row, until).await;
        }
        match self.sync(row, &item, tracker_id).await {
            Ok(synced) => outbox::succeeded(&self.db, row, synced).await,
            Err(SyncError::Internal(e)) => {
                let message = "internal error while syncing; see the server log";
                tracing::error!(error = ?e, item = %item.id, "sync failed");
                let next = now() + wait(row.attempts as u32, None, &self.settings);
                let failure = SyncFailure {
                    reason: message.to_owned(),
                    detail: message.to_owned(),
                };
                outbox::retry_later(&self.db, row, &failure, next).await
            }
            Err(SyncError::Tracker(e)) => self.record_failure(row, tracker_id, e).await,
        }
    }

    async fn record_failure(
        &self,
        row: &sync_outbox::Model,
        tracker_id: Uuid,
        error: TrackerError,
    ) -> ApiResult<()> {
        let failure = SyncFailure {
            reason: neutral_reason(&error),
            detail: error.to_string(),
        };
        let retryable = matches!(
            error,
            TrackerError::Retryable { .. } | TrackerError::Unknown { .. }
        );
        if !retryable {
            return outbox::failed(&self.db, row, &failure).await;
        }
        let attempts = row.attempts + 1;
        if attempts >= self.settings.sync.max_attempts {
            let gave_up = |text: &str| format!("gave up after {attempts} attempts: {text}");
            let failure = SyncFailure {
                reason: gave_up(&failure.reason),
                detail: gave_up(&failure.detail),
            };
            return outbox::failed(&self.db, row, &failure).await;
        }
        let delay = wait(row.attempts as u32, error.retry_after(), &self.settings);
        if let Some(asked) = error.retry_after() {
            tracker_limits::pause(&self.db, tracker_id, now() + to_chrono(asked)).await?;
        }
        tracing::info!(item = %row.action_item_id, attempts, ?delay, message = %failure.detail, "sync will retry");
        outbox::retry_later(&self.db, row, &failure, now() + to_chrono(delay)).await
    }

    fn client(&self, tracker: &entity::tracker::Model) -> Result<Tracker, SyncError> {
        let config =
            trackers::client_config(tracker, &self.settings.secret_key, &self.settings.sync)
                .map_err(|e| SyncError::Internal(e.into()))?;
        Ok(Tracker::new(&config, &self.gate, &self.http)?)
    }

    /// Brings the issue to the item's state: update it when the item has a key;
    /// otherwise create it, unless an earlier create may have landed, in which case
    /// its marker is looked for first.
    async fn sync(
        &self,
        row: &sync_outbox::Model,
        item: &action_item::Model,
        tracker_id: Uuid,
    ) -> Result<outbox::Synced, SyncError> {
        let tracker = trackers::get(&self.db, tracker_id).await?;
        let client = self.client(&tracker)?;
        let spec = self.spec(&client, &tracker, item).await?;
        let issue = match &item.external_key {
            Some(key) => {
                client.update_issue(key, &spec).await?;
                client.set_status(key, spec.status).await?;
                ExternalIssue {
                    key: key.clone(),
                    id: key.clone(),
                    url: item.external_url.clone().unwrap_or_default(),
                    status_category: spec.status,
                    status_name: None,
                    assignee: None,
                    due_date: spec.due_date,
                    updated_at: None,
                }
            }
            None => self.create(row, &client, &spec).await?,
        };
        let snapshot = Snapshot {
            status: Some(tracker_updates::as_reported(tracker.kind, spec.status)),
            assignee: spec
                .assignee
                .as_ref()
                .and_then(|a| identity(tracker.kind, a)),
            due_date: spec.due_date,
        };
        Ok(outbox::Synced {
            tracker_id,
            external_key: issue.key,
            external_url: issue.url,
            snapshot: snapshot.to_json(),
        })
    }

    async fn create(
        &self,
        row: &sync_outbox::Model,
        client: &Tracker,
        spec: &IssueSpec,
    ) -> Result<ExternalIssue, SyncError> {
        if row.create_started
            && let Some(found) = client.find_by_marker(spec.item_id).await?
        {
            tracing::info!(key = %found.key, item = %spec.item_id, "found the issue an earlier create made");
            client.update_issue(&found.key, spec).await?;
            client.set_status(&found.key, spec.status).await?;
            return Ok(found);
        }
        outbox::mark_create_started(&self.db, row).await?;
        let created = client.create_issue(spec).await?;
        if created.status_category != tracker_updates::as_reported(client.kind(), spec.status) {
            client.set_status(&created.key, spec.status).await?;
        }
        Ok(created)
    }

    async fn spec(
        &self,
        client: &Tracker,
        tracker: &entity::tracker::Model,
        item: &action_item::Model,
    ) -> Result<IssueSpec, SyncError> {
        let postmortem = postmortems::get_record(&self.db, item.postmortem_id).await?;
        let link = format!(
            "{}/api/v1/postmortems/{}",
            self.public_url.trim_end_matches('/'),
            postmortem.id
        );
        let mut description = item.description.trim().to_owned();
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&format!(
            "Action item from the post-mortem [{}]({link}).",
            postmortem.title
        ));
        let assignee = match item.owner_id {
            Some(owner) => Some(self.assignee(client, tracker, owner).await?),
            None => None,
        };
        Ok(IssueSpec {
            item_id: item.id,
            title: item.title.clone(),
            description_markdown: description,
            assignee,
            due_date: item.due_date,
            priority: item.priority.map(priority),
            labels: item
                .area
                .map(|a| vec![format!("{a:?}").to_lowercase()])
                .unwrap_or_default(),
            status: tracker_status(item.status),
        })
    }

    /// The owner as the tracker knows them. Jira Cloud owners without an account
    /// id are looked up by email (exactly one exact match) and the id is saved on
    /// the person; an owner who cannot be resolved fails the sync, naming them.
    async fn assignee(
        &self,
        client: &Tracker,
        tracker: &entity::tracker::Model,
        owner: Uuid,
    ) -> Result<Assignee, SyncError> {
        let mut person = crate::services::people::get(&self.db, owner).await?;
        let jira_cloud =
            tracker.kind == TrackerKind::Jira && tracker.jira_dialect == JiraDialect::Cloud;
        if jira_cloud && person.jira_account_id.is_none() {
            let account = client
                .find_assignable_user_by_email(&person.email)
                .await
                .map_err(|e| match e {
                    TrackerError::Owner(message) => TrackerError::Owner(format!(
                        "owner {} ({}) cannot be assigned in Jira: {message}",
                        person.display_name, person.email
                    )),
                    other => other,
                })?;
            person::Entity::update_many()
                .col_expr(person::Column::JiraAccountId, Expr::value(account.clone()))
                .col_expr(person::Column::Version, Expr::cust("version + 1"))
                .col_expr(person::Column::UpdatedAt, Expr::value(now()))
                .filter(person::Column::Id.eq(person.id))
                .filter(person::Column::JiraAccountId.is_null())
                .exec(&self.db)
                .await
                .map_err(ApiError::from)?;
            person.jira_account_id = Some(account);
        }
        Ok(Assignee {
            name: person.display_name,
            // Jira Data Center assigns by user name, kept in the same field.
            jira_username: person.jira_account_id.clone(),
            jira_account_id: person.jira_account_id,
            github_login: person.github_login,
            gitlab_user_id: person.gitlab_user_id,
            linear_user_id: person.linear_user_id,
        })
    }

    /// Re-reads every synced issue updated since it was last synced and applies
    /// what changed there; runs until the process ends.
    pub async fn reconcile_forever(self) {
        let interval = self.settings.sync.reconcile_interval;
        loop {
            tokio::time::sleep(interval).await;
            if let Err(e) = self.reconcile_once().await {
                tracing::error!(error = ?e, "reconcile failed");
            }
        }
    }

    /// One pass over every tracker's synced items; returns how many changed.
    pub async fn reconcile_once(&self) -> ApiResult<usize> {
        let mut changed = 0;
        for tracker in entity::tracker::Entity::find().all(&self.db).await? {
            let client = match self.client(&tracker) {
                Ok(client) => client,
                Err(_) => {
                    tracing::warn!(tracker = %tracker.id, "cannot build the client; reconcile skips it");
                    continue;
                }
            };
            if tracker_limits::paused_until(&self.db, tracker.id)
                .await?
                .is_some()
            {
                continue;
            }
            changed += self.reconcile_tracker(&tracker, &client).await?;
        }
        Ok(changed)
    }

    async fn reconcile_tracker(
        &self,
        tracker: &entity::tracker::Model,
        client: &Tracker,
    ) -> ApiResult<usize> {
        use action_item::Column as C;
        let mut changed = 0;
        let mut after: Option<Uuid> = None;
        loop {
            let mut query = action_item::Entity::find()
                .filter(C::TrackerId.eq(tracker.id))
                .filter(C::SyncState.eq(SyncState::Synced))
                .filter(C::ExternalKey.is_not_null())
                .order_by_asc(C::Id)
                .limit(RECONCILE_BATCH);
            if let Some(after) = after {
                query = query.filter(C::Id.gt(after));
            }
            let items = query.all(&self.db).await?;
            let Some(last) = items.last() else {
                return Ok(changed);
            };
            after = Some(last.id);
            let since = items
                .iter()
                .filter_map(|i| i.last_synced_at)
                .min()
                .unwrap_or_else(now)
                - chrono::Duration::minutes(1);
            let keys: Vec<String> = items
                .iter()
                .filter_map(|i| i.external_key.clone())
                .collect();
            let issues = match client.list_updated_since(since, &keys).await {
                Ok(issues) => issues,
                Err(e) => {
                    tracing::warn!(tracker = %tracker.id, error = %e, "reconcile could not list issues");
                    if let Some(asked) = e.retry_after() {
                        let until = now() + to_chrono(asked);
                        tracker_limits::pause(&self.db, tracker.id, until).await?;
                    }
                    return Ok(changed);
                }
            };
            for issue in issues {
                let update = TrackerUpdate {
                    kind: tracker.kind,
                    repo: tracker
                        .owner
                        .as_ref()
                        .zip(tracker.repo.as_ref())
                        .map(|(o, r)| format!("{o}/{r}")),
                    issue_key: issue.key,
                    status: Some(issue.status_category),
                    assignee: Some(issue.assignee),
                    due_date: Some(issue.due_date),
                    updated_at: issue.updated_at.unwrap_or_else(now),
                    changed_by: None,
                    deleted: false,
                };
                if let tracker_updates::Applied::Changed(_) =
                    tracker_updates::apply(&self.db, &update, &Actor::system(RECONCILE)).await?
                {
                    changed += 1;
                }
            }
        }
    }
}

/// A failure in hindsight's own words: what happened, never the tracker's text
/// (which can quote anyone), and the owner only as a reference that each
/// reader's view fills in as they may see them.
fn neutral_reason(error: &TrackerError) -> String {
    let owner = outbox::OWNER_REFERENCE;
    match error {
        TrackerError::Retryable { .. } => "the tracker is unavailable; retrying".to_owned(),
        TrackerError::Unknown { .. } => {
            "the tracker did not confirm the change; checking before trying again".to_owned()
        }
        TrackerError::Permanent { status, .. } => {
            format!("the tracker refused the change (HTTP {status}); an admin can see its answer")
        }
        TrackerError::Config(_) => {
            "the tracker's settings are unusable; an admin can see why".to_owned()
        }
        TrackerError::Setup(_) => {
            "the tracker's setup cannot express this change (a status or workflow); an admin can see why"
                .to_owned()
        }
        TrackerError::AddressRefused(_) => {
            "the tracker's address is not allowed: it is internal or reserved; an admin can see which"
                .to_owned()
        }
        TrackerError::Owner(_) => format!(
            "{owner} cannot be assigned in the tracker: their identity there is missing or matches no single user"
        ),
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn wait(attempts: u32, retry_after: Option<Duration>, settings: &Settings) -> Duration {
    backoff(
        attempts,
        retry_after,
        settings.sync.backoff_base,
        settings.sync.backoff_cap,
    )
}

fn priority(p: ItemPriority) -> Priority {
    match p {
        ItemPriority::Urgent => Priority::P1,
        ItemPriority::High => Priority::P2,
        ItemPriority::Medium => Priority::P3,
        ItemPriority::Low => Priority::P4,
    }
}

/// The id the tracker will report back for this assignee.
fn identity(kind: TrackerKind, a: &Assignee) -> Option<String> {
    match kind {
        TrackerKind::Jira => a.jira_account_id.clone(),
        TrackerKind::Github => a.github_login.clone(),
        TrackerKind::Gitlab => a.gitlab_user_id.clone(),
        TrackerKind::Linear => a.linear_user_id.clone(),
    }
}

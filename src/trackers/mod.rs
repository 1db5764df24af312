//! Outbound issue-tracker clients (Jira, GitHub, GitLab, Linear) behind one `Tracker` enum.
//!
//! The clients are plain HTTP: they never retry on their own. The outbox worker decides
//! when to try again from the [`TrackerError`] variant (and [`backoff`]), and looks for the
//! marker with [`Tracker::find_by_marker`] before repeating a create whose outcome is unknown.

mod adf;
mod gate;
mod github;
mod gitlab;
mod http;
mod jira;
mod limits;
mod linear;

#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use self::gate::{MutationGate, MutationLedger};
pub use self::github::GithubClient;
pub use self::gitlab::GitlabClient;
pub use self::http::{TrackerError, backoff};
pub use self::jira::JiraClient;
pub use self::linear::LinearClient;

pub use entity::{JiraDialect, TrackerKind};

/// The public API root used when a tracker is saved without a `base_url`. Jira has
/// none: every site has its own host.
pub fn default_base_url(kind: TrackerKind) -> Option<&'static str> {
    match kind {
        TrackerKind::Jira => None,
        TrackerKind::Github => Some("https://api.github.com"),
        TrackerKind::Gitlab => Some("https://gitlab.com"),
        TrackerKind::Linear => Some("https://api.linear.app"),
    }
}

/// Tracker credentials. `Debug` never prints the secret; the serde form is what
/// is stored, encrypted, in `trackers.credentials`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Credentials {
    /// Jira Cloud: account email and API token.
    Basic { email: String, api_token: String },
    /// GitHub, GitLab and Jira Data Center tokens; Linear API keys (sent without a `Bearer`
    /// prefix when they are personal keys, `lin_api_...`).
    Bearer { token: String },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { email, .. } => f
                .debug_struct("Basic")
                .field("email", email)
                .field("api_token", &"<redacted>")
                .finish(),
            Self::Bearer { .. } => f
                .debug_struct("Bearer")
                .field("token", &"<redacted>")
                .finish(),
        }
    }
}

/// Everything a client needs to reach one tracker project.
#[derive(Debug, Clone)]
pub struct TrackerConfig {
    pub kind: TrackerKind,
    /// Jira site (`https://acme.atlassian.net`); GitHub, GitLab or Linear API root. Empty means
    /// the public default of the kind.
    pub base_url: String,
    /// Jira project key, e.g. `OPS`.
    pub project_key: Option<String>,
    /// Jira issue type name; `Task` when unset.
    pub issue_type: Option<String>,
    pub jira_dialect: JiraDialect,
    /// GitHub repository owner and name.
    pub owner: Option<String>,
    pub repo: Option<String>,
    /// GitHub Projects v2 node id and the id of its date field: GitHub issues have no due
    /// date of their own, so when both are set the due date also goes into that project field.
    pub github_project_id: Option<String>,
    pub github_due_field_id: Option<String>,
    /// GitLab project id or full path (`group/project`).
    pub project_id: Option<String>,
    /// Linear team id.
    pub team_id: Option<String>,
    pub credentials: Credentials,
    /// Only for a local test target: otherwise `base_url` must be https.
    pub allow_insecure_http: bool,
    /// Whole-request timeout (connecting included); a create that runs past it ends as [`TrackerError::Unknown`].
    pub request_timeout: Duration,
}

impl TrackerConfig {
    /// A config with a 10 s timeout and every optional field unset.
    pub fn new(kind: TrackerKind, base_url: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            kind,
            base_url: base_url.into(),
            project_key: None,
            issue_type: None,
            jira_dialect: JiraDialect::Cloud,
            owner: None,
            repo: None,
            github_project_id: None,
            github_due_field_id: None,
            project_id: None,
            team_id: None,
            credentials,
            allow_insecure_http: false,
            request_timeout: Duration::from_secs(10),
        }
    }

    fn base_url_or_default(&self) -> Result<&str, TrackerError> {
        if !self.base_url.trim().is_empty() {
            return Ok(self.base_url.trim());
        }
        default_base_url(self.kind)
            .ok_or_else(|| TrackerError::Config("base_url is required for Jira".into()))
    }

    fn required<'a>(&self, value: &'a Option<String>, name: &str) -> Result<&'a str, TrackerError> {
        match value.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(TrackerError::Config(format!(
                "{name} is required for a {:?} tracker",
                self.kind
            ))),
        }
    }
}

/// An action item's status in hindsight's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    InProgress,
    Done,
    WontDo,
}

/// Action item priority; P1 is the most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

impl Priority {
    /// Accepts `P1`..`P4` and `critical`, `high`, `medium`, `low` in any case.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "p1" | "critical" => Some(Self::P1),
            "p2" | "high" => Some(Self::P2),
            "p3" | "medium" => Some(Self::P3),
            "p4" | "low" => Some(Self::P4),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::P1 => "P1",
            Self::P2 => "P2",
            Self::P3 => "P3",
            Self::P4 => "P4",
        }
    }
}

/// The owner's identities; each tracker uses its own and reports a missing one as
/// [`TrackerError::Owner`] naming `name`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignee {
    /// Display name, only used to name the owner in error messages.
    pub name: String,
    pub jira_account_id: Option<String>,
    /// Jira Data Center user name.
    pub jira_username: Option<String>,
    pub github_login: Option<String>,
    pub gitlab_user_id: Option<String>,
    pub linear_user_id: Option<String>,
}

impl Assignee {
    fn identity<'a>(
        &self,
        value: &'a Option<String>,
        field: &str,
    ) -> Result<&'a str, TrackerError> {
        match value.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(TrackerError::Owner(format!(
                "owner {} has no {field}: set it on the person before syncing",
                self.name
            ))),
        }
    }
}

/// What an action item should look like in the tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueSpec {
    /// The hindsight action item id: the marker that finds the issue again.
    pub item_id: Uuid,
    pub title: String,
    /// Markdown, including the link back to hindsight.
    pub description_markdown: String,
    pub assignee: Option<Assignee>,
    pub due_date: Option<NaiveDate>,
    pub priority: Option<Priority>,
    pub labels: Vec<String>,
    pub status: Status,
}

impl IssueSpec {
    /// The label every created issue carries (`hindsight-<uuid without hyphens>`).
    pub fn marker_label(&self) -> String {
        marker_label(self.item_id)
    }

    /// The spec's labels made acceptable by `clean`, then the shared and the marker label,
    /// each once.
    fn labels_with_markers(&self, clean: impl Fn(&str) -> String) -> Vec<String> {
        let mut labels: Vec<String> = Vec::new();
        let all = self.labels.iter().map(|l| clean(l));
        for label in all.chain([SHARED_LABEL.to_owned(), self.marker_label()]) {
            if !label.is_empty() && !labels.contains(&label) {
                labels.push(label);
            }
        }
        labels
    }
}

fn marker_label(item_id: Uuid) -> String {
    format!("hindsight-{}", item_id.simple())
}

/// The label shared by every issue hindsight created, used by the reconcile listing.
const SHARED_LABEL: &str = "hindsight";

/// An issue as the tracker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIssue {
    /// Jira key, GitHub number, GitLab iid or Linear identifier: what the other methods take.
    pub key: String,
    /// The tracker's internal id.
    pub id: String,
    /// Link for people.
    pub url: String,
    /// The tracker's status mapped onto hindsight's statuses.
    pub status_category: Status,
    /// The tracker's own status name ("Shipped"), when it reported one.
    pub status_name: Option<String>,
    /// The tracker's user id: Jira account id (user name on Data Center), GitHub login,
    /// GitLab user id, Linear user id.
    pub assignee: Option<String>,
    pub due_date: Option<NaiveDate>,
    /// `None` only for an issue built from a create response that carries no timestamp.
    pub updated_at: Option<DateTime<Utc>>,
}

/// One configured tracker: the outbox worker holds this and calls the same methods whatever
/// the kind.
pub enum Tracker {
    Jira(JiraClient),
    Github(GithubClient),
    Gitlab(GitlabClient),
    Linear(LinearClient),
}

macro_rules! each_client {
    ($tracker:expr, $client:ident => $call:expr) => {
        match $tracker {
            Tracker::Jira($client) => $call,
            Tracker::Github($client) => $call,
            Tracker::Gitlab($client) => $call,
            Tracker::Linear($client) => $call,
        }
    };
}

impl Tracker {
    /// Builds the client for `config.kind`. `gate` serializes GitHub mutations per token: pass
    /// the same gate (one per process) to every tracker. Requests go through `http`, the
    /// process's one [outbound client](crate::outbound::client).
    pub fn new(
        config: &TrackerConfig,
        gate: &MutationGate,
        http: &reqwest::Client,
    ) -> Result<Self, TrackerError> {
        Ok(match config.kind {
            TrackerKind::Jira => Self::Jira(JiraClient::new(config, http)?),
            TrackerKind::Github => Self::Github(GithubClient::new(config, gate.clone(), http)?),
            TrackerKind::Gitlab => Self::Gitlab(GitlabClient::new(config, http)?),
            TrackerKind::Linear => Self::Linear(LinearClient::new(config, http)?),
        })
    }

    pub fn kind(&self) -> TrackerKind {
        match self {
            Self::Jira(_) => TrackerKind::Jira,
            Self::Github(_) => TrackerKind::Github,
            Self::Gitlab(_) => TrackerKind::Gitlab,
            Self::Linear(_) => TrackerKind::Linear,
        }
    }

    /// Creates the issue with its marker. A status other than `Open` is applied afterwards on
    /// a best-effort basis: compare the returned `status_category` with the spec and call
    /// [`Tracker::set_status`] again if they differ. Never repeat a create after
    /// [`TrackerError::Unknown`] without [`Tracker::find_by_marker`] first.
    /// Creates the issue, then moves it into the item's status where the
    /// tracker cannot create it there. The issue exists once created: a failed
    /// move is logged and left to the next sync, never an error (the caller
    /// would create the issue again).
    pub async fn create_issue(&self, spec: &IssueSpec) -> Result<ExternalIssue, TrackerError> {
        let spec = &*spec.within_title_limit(limits::title_limit(self.kind()));
        let mut issue = each_client!(self, c => c.create_issue(spec).await)?;
        if issue.status_category != spec.status {
            match self.set_status(&issue.key, spec.status).await {
                Ok(()) => issue.status_category = spec.status,
                Err(e) => {
                    tracing::warn!(key = %issue.key, error = %e, "created issue kept its initial status")
                }
            }
        }
        Ok(issue)
    }

    /// Writes title, body, assignee, due date and priority (not status, not labels).
    pub async fn update_issue(&self, key: &str, spec: &IssueSpec) -> Result<(), TrackerError> {
        let spec = &*spec.within_title_limit(limits::title_limit(self.kind()));
        each_client!(self, c => c.update_issue(key, spec).await)
    }

    /// Moves the issue to the status; a no-op when it is already there.
    pub async fn set_status(&self, key: &str, status: Status) -> Result<(), TrackerError> {
        each_client!(self, c => c.set_status(key, status).await)
    }

    /// The issue created for this action item, if any (the oldest if there are several).
    pub async fn find_by_marker(
        &self,
        item_id: Uuid,
    ) -> Result<Option<ExternalIssue>, TrackerError> {
        each_client!(self, c => c.find_by_marker(item_id).await)
    }

    pub async fn get_issue(&self, key: &str) -> Result<ExternalIssue, TrackerError> {
        each_client!(self, c => c.get_issue(key).await)
    }

    /// Issues updated at or after `since`, for the periodic reconcile. With `keys`, only
    /// those issues; without, every issue hindsight created in the project.
    pub async fn list_updated_since(
        &self,
        since: DateTime<Utc>,
        keys: &[String],
    ) -> Result<Vec<ExternalIssue>, TrackerError> {
        each_client!(self, c => c.list_updated_since(since, keys).await)
    }

    /// The tracker user id for an owner's email, when exactly one assignable user matches;
    /// otherwise [`TrackerError::Owner`] naming the email.
    pub async fn find_assignable_user_by_email(&self, email: &str) -> Result<String, TrackerError> {
        each_client!(self, c => c.find_assignable_user_by_email(email).await)
    }
}

/// Case-insensitive email equality, ignoring surrounding space.
fn same_email(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Picks the single user that an email lookup identifies. `candidates` are (id, visible
/// email) pairs; a hidden email only counts when it is the lookup's sole result.
fn unique_user_for_email(
    email: &str,
    candidates: Vec<(String, Option<String>)>,
    tracker: &str,
) -> Result<String, TrackerError> {
    let total = candidates.len();
    let mut exact: Vec<String> = Vec::new();
    let mut hidden: Vec<String> = Vec::new();
    for (id, visible) in candidates {
        match visible.as_deref().map(str::trim) {
            Some(e) if !e.is_empty() => {
                if same_email(e, email) {
                    exact.push(id);
                }
            }
            _ => hidden.push(id),
        }
    }
    match (exact.len(), hidden.len()) {
        (1, _) => Ok(exact.remove(0)),
        (0, 1) if total == 1 => Ok(hidden.remove(0)),
        (0, _) => Err(TrackerError::Owner(format!(
            "no assignable {tracker} user matches owner {email} ({total} candidates): \
             add them to the project or set their {tracker} identity by hand"
        ))),
        (n, _) => Err(TrackerError::Owner(format!(
            "{n} {tracker} users match owner {email}: set their {tracker} identity by hand"
        ))),
    }
}

/// The lines that GitHub and GitLab add under the description: due date and priority where
/// the tracker has no field for them, then the hidden marker.
fn body_with_marker(spec: &IssueSpec, due_line: bool, priority_line: bool) -> String {
    let mut body = spec.description_markdown.trim_end().to_owned();
    let mut facts = Vec::new();
    if let (true, Some(due)) = (due_line, spec.due_date) {
        facts.push(format!("Due: {}", due.format("%Y-%m-%d")));
    }
    if let (true, Some(priority)) = (priority_line, spec.priority) {
        facts.push(format!("Priority: {}", priority.label()));
    }
    if !facts.is_empty() {
        body.push_str("\n\n");
        body.push_str(&facts.join("\n"));
    }
    body.push_str(&format!("\n\n<!-- hindsight:item={} -->", spec.item_id));
    body
}

/// Reads back the `Due: YYYY-MM-DD` line written by [`body_with_marker`].
fn due_from_body(body: &str) -> Option<NaiveDate> {
    body.lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("Due:"))
        .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
}

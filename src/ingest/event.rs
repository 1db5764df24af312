//! The normalized shapes every source is mapped into.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::SourceKind;

/// A name that is not one of an enum's known values.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown {what} `{name}`")]
pub struct UnknownName {
    what: &'static str,
    name: String,
}

impl UnknownName {
    pub(super) fn new(what: &'static str, name: &str) -> Self {
        UnknownName {
            what,
            name: name.to_owned(),
        }
    }
}

/// What one delivery brought: its id (when the source sends one) and the
/// events in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The source's id of this delivery, stable across its retries; when
    /// `None`, dedupe on each event's `dedupe_key` (or a hash of the body).
    pub delivery_id: Option<String>,
    pub events: Vec<NormalizedEvent>,
    /// Why a valid delivery gave no events (a ping, an unrelated event type).
    pub ignored_reason: Option<String>,
}

impl Delivery {
    pub(super) fn with_events(delivery_id: Option<&str>, events: Vec<NormalizedEvent>) -> Self {
        let ignored_reason = events
            .is_empty()
            .then(|| "the delivery holds no events".to_owned());
        Delivery {
            delivery_id: delivery_id.map(str::to_owned),
            events,
            ignored_reason,
        }
    }

    pub(super) fn ignored(delivery_id: Option<&str>, reason: impl Into<String>) -> Self {
        Delivery {
            delivery_id: delivery_id.map(str::to_owned),
            events: Vec::new(),
            ignored_reason: Some(reason.into()),
        }
    }
}

/// One alert or deploy event, in the source's own time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormalizedEvent {
    /// When it happened, as the body says; `None` when the body says nothing
    /// of it, and the event then takes its arrival time, marked as such.
    pub occurred_at: Option<DateTime<Utc>>,
    pub kind: EventKind,
    pub title: String,
    pub service: Option<String>,
    pub severity: Option<Severity>,
    pub link: Option<String>,
    pub actor: Option<String>,
    /// Ties events of one incident or deploy together (PagerDuty incident id,
    /// Alertmanager group key, GitHub deployment id, ...).
    pub correlation_key: Option<String>,
    /// Identity of this event, for exactly-once storage when the delivery has
    /// no id: the same event sent twice gives the same key.
    pub dedupe_key: String,
    /// The source's id of the thing the event is about (incident, alert, deployment).
    pub external_id: Option<String>,
    /// The source's own name for the event (`incident.triggered`, `deployment_status`, ...).
    pub raw_event_type: String,
}

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == s)
                    .ok_or_else(|| UnknownName::new($what, s))
            }
        }
    };
}

named_enum!(
    /// What happened, named as timeline entry kinds are.
    EventKind, "event kind" {
        AlertTriggered => "alert.triggered",
        AlertAcknowledged => "alert.acknowledged",
        AlertResolved => "alert.resolved",
        AlertEscalated => "alert.escalated",
        AlertAnnotated => "alert.annotated",
        DeployStarted => "deploy.started",
        DeploySucceeded => "deploy.succeeded",
        DeployFailed => "deploy.failed",
    }
);

named_enum!(
    /// Severity on one scale across sources.
    Severity, "severity" {
        Critical => "critical",
        High => "high",
        Medium => "medium",
        Low => "low",
        Info => "info",
    }
);

impl Severity {
    /// Maps the words and levels sources use: `P1`..`P5`, `SEV-1`..`SEV-5`,
    /// `critical`/`error`/`warning`/`info` and their kin. Case and punctuation
    /// are ignored; unknown words give `None`.
    pub fn from_label(label: &str) -> Option<Severity> {
        let word: String = label
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let severity = match word.as_str() {
            "critical" | "crit" | "fatal" | "emergency" | "emerg" | "disaster" | "p0" | "p1"
            | "sev0" | "sev1" => Severity::Critical,
            "high" | "error" | "err" | "major" | "urgent" | "p2" | "sev2" => Severity::High,
            "medium" | "moderate" | "average" | "normal" | "warning" | "warn" | "p3" | "sev3" => {
                Severity::Medium
            }
            "low" | "minor" | "p4" | "sev4" => Severity::Low,
            "info" | "informational" | "information" | "notice" | "debug" | "ok" | "success"
            | "p5" | "sev5" => Severity::Info,
            _ => return None,
        };
        Some(severity)
    }
}

named_enum!(
    /// An issue's state mapped onto action item statuses.
    TrackerStatus, "tracker status" {
        Open => "open",
        InProgress => "in_progress",
        Done => "done",
        WontDo => "wont_do",
    }
);

/// A change to an issue in a tracker, as a tracker webhook reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerUpdate {
    pub source: SourceKind,
    /// The source's id of this delivery (Jira `X-Atlassian-Webhook-Identifier`,
    /// GitHub `X-GitHub-Delivery`).
    pub delivery_id: Option<String>,
    /// Jira `webhookEvent` (`jira:issue_updated`); GitHub `action` (`closed`).
    pub action: String,
    /// Jira issue key (`TEST-1`); GitHub `owner/repo#number`.
    pub issue_key: String,
    /// GitHub issue number.
    pub issue_number: Option<u64>,
    /// GitHub repository `full_name`.
    pub repository: Option<String>,
    /// Where a person opens the issue.
    pub url: Option<String>,
    /// The source's own state: Jira status category key (`new`,
    /// `indeterminate`, `done`), GitHub `state` (`open`, `closed`).
    pub state: Option<String>,
    /// GitHub `state_reason` (`completed`, `not_planned`, `reopened`).
    pub state_reason: Option<String>,
    /// `state` mapped onto action item statuses; `None` when the payload
    /// does not say (older Jira payloads have no status category).
    pub status: Option<TrackerStatus>,
    /// Jira assignee `accountId`; GitHub assignee logins.
    pub assignees: Vec<String>,
    /// Jira `duedate`; GitHub issues have none.
    pub due_date: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
    /// Who made the change: Jira `user.accountId`, GitHub `sender.login`.
    /// Compare with our own identity to avoid echoing our writes.
    pub changed_by: Option<String>,
    /// Fields this change touched, when the source says (Jira changelog
    /// items, GitHub `changes` keys, or the field an action implies).
    pub changed_fields: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kinds_use_timeline_names() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>().unwrap(), *kind);
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(EventKind::AlertTriggered.to_string(), "alert.triggered");
        assert!("alert.fired".parse::<EventKind>().is_err());
    }

    #[test]
    fn severities_from_every_scale_land_on_one_scale() {
        let cases = [
            ("P1", Severity::Critical),
            ("SEV-1", Severity::Critical),
            ("critical", Severity::Critical),
            ("p2", Severity::High),
            ("error", Severity::High),
            ("Warning", Severity::Medium),
            ("SEV 3", Severity::Medium),
            ("P4", Severity::Low),
            ("low", Severity::Low),
            ("info", Severity::Info),
            ("P5", Severity::Info),
        ];
        for (label, expected) in cases {
            assert_eq!(Severity::from_label(label), Some(expected), "{label}");
        }
        assert_eq!(Severity::from_label("purple"), None);
    }

    #[test]
    fn tracker_statuses_match_action_item_statuses() {
        let names: Vec<&str> = TrackerStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["open", "in_progress", "done", "wont_do"]);
    }
}

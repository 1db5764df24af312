//! The draft a review reads: every field optional so a half-written post-mortem parses.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A post-mortem as submitted for review, stored or not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub author_id: Option<String>,
    pub impact_started_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub mitigated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub timeline: Vec<DraftTimelineEntry>,
    pub causes: Vec<DraftCause>,
    pub action_items: Vec<DraftActionItem>,
    pub participants: Vec<DraftParticipant>,
    /// People known to the post-mortem, so that blame by name can be recognised.
    pub people: Vec<DraftPerson>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftTimelineEntry {
    pub occurred_at: Option<DateTime<Utc>>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftCause {
    /// `prevention`, `detection` or `mitigation`.
    pub area: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftActionItem {
    pub title: Option<String>,
    pub description: Option<String>,
    pub area: Option<String>,
    pub owner_id: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftParticipant {
    pub person_id: Option<String>,
    /// `author`, `reviewer` or `participant`.
    pub role: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftPerson {
    pub id: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub github_login: Option<String>,
}

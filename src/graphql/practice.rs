//! What the practice computes of a post-mortem, as GraphQL types: the phase
//! metrics and the review (the same `Dossier` functions REST answers with).

use async_graphql::{Enum, SimpleObject};

use crate::{domain::review, services::dossier};

/// A stretch of the incident between two phase markers.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::phases::Phase")]
pub enum Phase {
    Detect,
    Acknowledge,
    Mitigate,
    Resolve,
}

/// Counts per cause area.
#[derive(SimpleObject)]
pub struct AreaCounts {
    pub prevention: u32,
    pub detection: u32,
    pub mitigation: u32,
    /// Action items not tied to an area.
    pub unassigned: u32,
}

impl From<dossier::AreaCounts> for AreaCounts {
    fn from(c: dossier::AreaCounts) -> Self {
        Self {
            prevention: c.prevention,
            detection: c.detection,
            mitigation: c.mitigation,
            unassigned: c.unassigned,
        }
    }
}

/// Phase durations in seconds (null when a marker is missing or out of
/// order), the phase to focus on, and where causes and action items fall.
#[derive(SimpleObject)]
pub struct Metrics {
    /// impactStartedAt -> detectedAt.
    pub time_to_detect: Option<i64>,
    /// detectedAt -> acknowledgedAt.
    pub time_to_acknowledge: Option<i64>,
    /// acknowledgedAt (or detectedAt, when nobody acknowledged) -> mitigatedAt.
    pub time_to_mitigate: Option<i64>,
    /// mitigatedAt -> resolvedAt: users were fine, the lasting fix was still to come.
    pub time_to_resolve: Option<i64>,
    /// The phase that took longest; the earlier one on a tie.
    pub longest_phase: Option<Phase>,
    /// Where the follow-up work should go, in plain words.
    pub focus: Option<String>,
    pub causes_by_area: AreaCounts,
    pub action_items_by_area: AreaCounts,
}

impl From<dossier::Metrics> for Metrics {
    fn from(m: dossier::Metrics) -> Self {
        let p = m.phases;
        Self {
            time_to_detect: p.time_to_detect,
            time_to_acknowledge: p.time_to_acknowledge,
            time_to_mitigate: p.time_to_mitigate,
            time_to_resolve: p.time_to_resolve,
            longest_phase: p.longest_phase.map(Into::into),
            focus: p.focus,
            causes_by_area: m.causes_by_area.into(),
            action_items_by_area: m.action_items_by_area.into(),
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::review::FindingCode")]
pub enum FindingCode {
    TryHarderActionItem,
    BlameLanguage,
    MissingCauseArea,
    SingleCauseArea,
    ActionItemMissingOwner,
    ActionItemMissingDueDate,
    NoReviewer,
    MissingSummary,
    EmptyTimeline,
    PhaseOrder,
}

/// ERROR blocks publishing; WARNING is worth fixing; INFO is advice.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::review::Severity")]
pub enum FindingSeverity {
    Error,
    Warning,
    Info,
}

/// One problem the review found.
#[derive(SimpleObject)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: FindingSeverity,
    /// A JSON pointer into the document: `/action_items/2/title`, `/summary`.
    pub path: String,
    pub message: String,
    pub suggestion: Option<String>,
}

/// What the practice's review says of a post-mortem.
#[derive(SimpleObject)]
pub struct Review {
    /// True when no finding is an error.
    pub ready_to_publish: bool,
    pub findings: Vec<Finding>,
}

impl From<review::Review> for Review {
    fn from(r: review::Review) -> Self {
        Self {
            ready_to_publish: r.ready_to_publish,
            findings: r
                .findings
                .into_iter()
                .map(|f| Finding {
                    code: f.code.into(),
                    severity: f.severity.into(),
                    path: f.path,
                    message: f.message,
                    suggestion: f.suggestion,
                })
                .collect(),
        }
    }
}

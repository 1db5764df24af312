//! What a review reports: findings with a code, a severity and where they point.

use serde::Serialize;

/// How much a finding matters.
///
/// `Error` blocks publishing: it breaks a rule of the practice (blame, an exhortation
/// posing as an action item, an item nobody owns or dates, a cause area left empty, no
/// second reader, no summary, impossible phase times). `Warning` is worth fixing but does
/// not block: a single cause in an area, an empty timeline in an early draft. `Info` is
/// for advice only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// The stable codes of the API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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

impl FindingCode {
    /// The severity this code always carries; see [`Severity`] for the reasoning.
    pub fn severity(self) -> Severity {
        match self {
            FindingCode::SingleCauseArea | FindingCode::EmptyTimeline => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// One problem found in a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    /// A JSON pointer into the draft: `/action_items/2/title`, `/summary`.
    pub path: String,
    /// What is wrong and why it matters.
    pub message: String,
    /// What would be better.
    pub suggestion: Option<String>,
}

impl Finding {
    pub fn new(code: FindingCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            code,
            severity: code.severity(),
            path: path.into(),
            message: message.into(),
            suggestion: None,
        }
    }

    pub fn suggest(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }
}

/// The outcome of a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// True when no finding is an error.
    pub ready_to_publish: bool,
    pub findings: Vec<Finding>,
}

impl Review {
    pub fn from_findings(findings: Vec<Finding>) -> Self {
        Review {
            ready_to_publish: findings.iter().all(|f| f.severity != Severity::Error),
            findings,
        }
    }
}

//! The review engine: checks a draft post-mortem against the practice rules.

pub mod blame;
pub mod draft;
pub mod finding;
mod language;
mod structure;
mod suggestions;
pub mod try_harder;

pub use blame::{BlameHit, BlameKind, blames_person};
pub use draft::{
    Draft, DraftActionItem, DraftCause, DraftParticipant, DraftPerson, DraftTimelineEntry,
};
pub use finding::{Finding, FindingCode, Review, Severity};
pub use try_harder::{ActionVerdict, classify_action_item, is_try_harder};

/// Reviews a draft: every finding, in a stable order (shape first, then narrative), and
/// whether it may be published (no finding is an error).
pub fn review(draft: &Draft) -> Review {
    let mut findings = Vec::new();
    structure::summary(draft, &mut findings);
    structure::timeline(draft, &mut findings);
    structure::phase_order(draft, &mut findings);
    structure::causes(draft, &mut findings);
    structure::commitments(draft, &mut findings);
    structure::reviewer(draft, &mut findings);
    language::try_harder(draft, &mut findings);
    language::blame(draft, &mut findings);
    Review::from_findings(findings)
}

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

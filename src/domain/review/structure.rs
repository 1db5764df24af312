//! Checks of the draft's shape: summary, timeline, causes, owners, dates, reviewer, phases.

use std::collections::HashMap;

use super::super::cause_area::CauseArea;
use super::super::phases::PhaseTimes;
use super::draft::{Draft, DraftParticipant};
use super::finding::{Finding, FindingCode};

fn is_blank(value: Option<&String>) -> bool {
    value.is_none_or(|v| v.trim().is_empty())
}

pub fn summary(draft: &Draft, findings: &mut Vec<Finding>) {
    if is_blank(draft.summary.as_ref()) {
        findings.push(
            Finding::new(
                FindingCode::MissingSummary,
                "/summary",
                "The post-mortem has no summary: most readers read only the summary, so \
                 without one the lessons do not travel.",
            )
            .suggest("Write a few sentences: what users saw, for how long, why, and what changes."),
        );
    }
}

pub fn timeline(draft: &Draft, findings: &mut Vec<Finding>) {
    if draft.timeline.is_empty() {
        findings.push(
            Finding::new(
                FindingCode::EmptyTimeline,
                "/timeline",
                "The timeline is empty: it is where the time went, and so where to focus.",
            )
            .suggest(
                "Pre-fill it from alert and deploy events, then add when the incident was \
                 detected, acknowledged and mitigated.",
            ),
        );
    }
}

/// `missing_cause_area` for each area without a cause, `single_cause_area` for each with
/// one: no incident has a single cause.
pub fn causes(draft: &Draft, findings: &mut Vec<Finding>) {
    let mut counts: HashMap<CauseArea, usize> = HashMap::new();
    for cause in &draft.causes {
        if let Some(area) = cause.area.as_deref().and_then(CauseArea::parse) {
            *counts.entry(area).or_default() += 1;
        }
    }
    for area in CauseArea::ALL {
        let name = area.as_str();
        let question = area.question();
        match counts.get(&area).copied().unwrap_or(0) {
            0 => findings.push(
                Finding::new(
                    FindingCode::MissingCauseArea,
                    "/causes",
                    format!(
                        "No {name} cause: every incident has causes in prevention, detection \
                         and mitigation, and an empty area is a question nobody asked."
                    ),
                )
                .suggest(format!("Add {name} causes: {question}")),
            ),
            1 => findings.push(
                Finding::new(
                    FindingCode::SingleCauseArea,
                    "/causes",
                    format!(
                        "Only one {name} cause: no incident has a single cause, and stopping \
                         at the first one hides the others."
                    ),
                )
                .suggest(format!("Look for another {name} cause: {question}")),
            ),
            _ => {}
        }
    }
}

/// Owner and due date for every item, except those decided against (`wont_do`).
pub fn commitments(draft: &Draft, findings: &mut Vec<Finding>) {
    for (i, item) in draft.action_items.iter().enumerate() {
        if item.status.as_deref().map(str::trim) == Some("wont_do") {
            continue;
        }
        if is_blank(item.owner_id.as_ref()) {
            findings.push(
                Finding::new(
                    FindingCode::ActionItemMissingOwner,
                    format!("/action_items/{i}/owner_id"),
                    "The action item has no owner: an item everyone owns is an item nobody \
                     does.",
                )
                .suggest("Assign one person who will see it through, even if others help."),
            );
        }
        if item.due_date.is_none() {
            findings.push(
                Finding::new(
                    FindingCode::ActionItemMissingDueDate,
                    format!("/action_items/{i}/due_date"),
                    "The action item has no due date: without one it is a wish, not a \
                     commitment.",
                )
                .suggest("Set a due date the owner agrees to; it can move, visibly."),
            );
        }
    }
}

/// Someone other than the author: a participant with the reviewer role (who is not the
/// author), or any participant whose person differs from the author.
fn is_other_reader(participant: &DraftParticipant, author: Option<&str>) -> bool {
    let person = participant.person_id.as_deref().map(str::trim);
    let is_author = person.is_some() && person == author;
    let role = participant.role.as_deref().map(str::trim);
    if role == Some("reviewer") {
        return !is_author;
    }
    person.is_some_and(|p| !p.is_empty()) && !is_author && role != Some("author")
}

pub fn reviewer(draft: &Draft, findings: &mut Vec<Finding>) {
    let author = draft.author_id.as_deref().map(str::trim);
    if !draft
        .participants
        .iter()
        .any(|p| is_other_reader(p, author))
    {
        findings.push(
            Finding::new(
                FindingCode::NoReviewer,
                "/participants",
                "Nobody but the author takes part: a second reader catches blame, gaps and \
                 action items that only ask people to try harder.",
            )
            .suggest("Invite at least one other person as a reviewer."),
        );
    }
}

pub fn phase_order(draft: &Draft, findings: &mut Vec<Finding>) {
    let times = PhaseTimes {
        impact_started_at: draft.impact_started_at,
        detected_at: draft.detected_at,
        acknowledged_at: draft.acknowledged_at,
        mitigated_at: draft.mitigated_at,
        resolved_at: draft.resolved_at,
    };
    for violation in times.out_of_order() {
        let field = violation.milestone.field();
        let earlier = violation.earlier.field();
        findings.push(
            Finding::new(
                FindingCode::PhaseOrder,
                format!("/{field}"),
                format!(
                    "{field} ({}) is before {earlier} ({}): the phase metrics would be \
                     negative and the focus wrong.",
                    violation.at.to_rfc3339(),
                    violation.earlier_at.to_rfc3339()
                ),
            )
            .suggest(
                "Phases run impact started, detected, acknowledged, mitigated, resolved; \
                 correct whichever timestamp is wrong.",
            ),
        );
    }
}

//! The review engine, end to end over drafts.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::json;

use super::*;

fn person(id: &str, name: &str, login: &str) -> DraftPerson {
    DraftPerson {
        id: Some(id.into()),
        display_name: Some(name.into()),
        email: Some(format!("{login}@example.com")),
        github_login: Some(login.into()),
    }
}

fn cause(area: &str, description: &str) -> DraftCause {
    DraftCause {
        area: Some(area.into()),
        description: Some(description.into()),
    }
}

fn item(title: &str, area: &str) -> DraftActionItem {
    DraftActionItem {
        title: Some(title.into()),
        description: None,
        area: Some(area.into()),
        owner_id: Some("p2".into()),
        due_date: NaiveDate::from_ymd_opt(2025, 4, 1),
        status: Some("open".into()),
    }
}

/// A draft that follows every rule.
fn good_draft() -> Draft {
    let at = |h: u32, m: u32| Some(Utc.with_ymd_and_hms(2025, 3, 1, h, m, 0).unwrap());
    Draft {
        title: Some("Checkout errors after config deploy".into()),
        summary: Some("For 40 minutes 12% of checkouts failed after a pool change.".into()),
        author_id: Some("p1".into()),
        impact_started_at: at(14, 2),
        detected_at: at(14, 20),
        acknowledged_at: at(14, 22),
        mitigated_at: at(14, 42),
        resolved_at: at(16, 0),
        timeline: vec![DraftTimelineEntry {
            occurred_at: at(14, 2),
            kind: Some("deploy.succeeded".into()),
            title: Some("Alice deployed config 1.4".into()),
            description: None,
        }],
        causes: vec![
            cause(
                "prevention",
                "The pool limit was not validated against the DB limit",
            ),
            cause("prevention", "Config changes skip the canary stage"),
            cause(
                "detection",
                "Alerts fire on errors only, not on lack of success",
            ),
            cause("detection", "No synthetic checkout check"),
            cause("mitigation", "Rollback of config needs a full deploy"),
            cause("mitigation", "The runbook pointed at a retired dashboard"),
        ],
        action_items: vec![
            item(
                "Add an alert on zero successful checkouts for 5 minutes",
                "detection",
            ),
            item(
                "Validate pool size against the database limit in CI",
                "prevention",
            ),
        ],
        participants: vec![
            DraftParticipant {
                person_id: Some("p1".into()),
                role: Some("author".into()),
            },
            DraftParticipant {
                person_id: Some("p2".into()),
                role: Some("reviewer".into()),
            },
        ],
        people: vec![
            person("p1", "Alice Smith", "asmith"),
            person("p2", "Bob Jones", "bjones"),
        ],
    }
}

fn codes(review: &Review) -> Vec<(FindingCode, String)> {
    review
        .findings
        .iter()
        .map(|f| (f.code, f.path.clone()))
        .collect()
}

#[test]
fn a_draft_that_follows_the_practice_is_ready_with_no_findings() {
    let review = review(&good_draft());
    assert_eq!(codes(&review), vec![]);
    assert!(review.ready_to_publish);
}

#[test]
fn an_empty_draft_parses_and_lists_every_missing_piece() {
    let draft: Draft = serde_json::from_value(json!({})).unwrap();
    let review = review(&draft);
    assert!(!review.ready_to_publish);
    let found: Vec<FindingCode> = review.findings.iter().map(|f| f.code).collect();
    assert_eq!(
        found,
        vec![
            FindingCode::MissingSummary,
            FindingCode::EmptyTimeline,
            FindingCode::MissingCauseArea,
            FindingCode::MissingCauseArea,
            FindingCode::MissingCauseArea,
            FindingCode::NoReviewer,
        ]
    );
}

#[test]
fn a_partial_draft_parses_with_defaults() {
    let draft: Draft = serde_json::from_value(json!({
        "summary": "Checkout failed",
        "action_items": [{"title": "Be more careful"}],
        "detected_at": "2025-03-01T14:20:00Z"
    }))
    .unwrap();
    assert_eq!(draft.action_items[0].owner_id, None);
    assert!(draft.detected_at.is_some());
}

#[test]
fn a_try_harder_item_is_an_error_with_a_suggestion_for_its_area() {
    let mut draft = good_draft();
    draft.action_items[0] = item(
        "Watch the dashboards more closely after deploys",
        "detection",
    );
    let review = review(&draft);
    assert!(!review.ready_to_publish);
    let finding = &review.findings[0];
    assert_eq!(finding.code, FindingCode::TryHarderActionItem);
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.path, "/action_items/0/title");
    let suggestion = finding.suggestion.as_deref().unwrap();
    assert!(
        suggestion.contains("alert on lack of success"),
        "{suggestion}"
    );
}

#[test]
fn an_exhorting_description_under_a_vague_title_is_flagged_on_the_description() {
    let mut draft = good_draft();
    draft.action_items[1].title = Some("Certificates".into());
    draft.action_items[1].description = Some("Everyone must remember to renew them".into());
    assert_eq!(
        codes(&review(&draft)),
        vec![(
            FindingCode::TryHarderActionItem,
            "/action_items/1/description".to_string()
        )]
    );
}

#[test]
fn blame_in_any_narrative_field_points_at_that_field() {
    let mut draft = good_draft();
    draft.summary = Some("Bob forgot to renew the certificate.".into());
    draft.timeline[0].description = Some("Human error during the deploy".into());
    draft.causes[1].description = Some("Alice should have known the limit".into());
    let review = review(&draft);
    assert_eq!(
        codes(&review),
        vec![
            (FindingCode::BlameLanguage, "/summary".to_string()),
            (
                FindingCode::BlameLanguage,
                "/timeline/0/description".to_string()
            ),
            (
                FindingCode::BlameLanguage,
                "/causes/1/description".to_string()
            ),
        ]
    );
    assert!(review.findings[0].message.contains("Bob Jones"));
}

#[test]
fn areas_with_no_cause_or_one_cause_are_reported_per_area() {
    let mut draft = good_draft();
    draft
        .causes
        .retain(|c| c.area.as_deref() != Some("mitigation"));
    draft.causes.remove(0);
    let review = review(&draft);
    let found: Vec<(FindingCode, Severity)> = review
        .findings
        .iter()
        .map(|f| (f.code, f.severity))
        .collect();
    assert_eq!(
        found,
        vec![
            (FindingCode::SingleCauseArea, Severity::Warning),
            (FindingCode::MissingCauseArea, Severity::Error),
        ]
    );
    assert!(review.findings[1].message.contains("mitigation"));
}

#[test]
fn items_without_owner_or_due_date_are_errors_unless_decided_against() {
    let mut draft = good_draft();
    draft.action_items[0].owner_id = Some("  ".into());
    draft.action_items[1].due_date = None;
    draft.action_items.push(DraftActionItem {
        title: Some("Rewrite the pool in Rust".into()),
        status: Some("wont_do".into()),
        ..DraftActionItem::default()
    });
    assert_eq!(
        codes(&review(&draft)),
        vec![
            (
                FindingCode::ActionItemMissingOwner,
                "/action_items/0/owner_id".to_string()
            ),
            (
                FindingCode::ActionItemMissingDueDate,
                "/action_items/1/due_date".to_string()
            ),
        ]
    );
}

#[test]
fn the_author_alone_is_not_a_reviewer_but_any_other_person_is() {
    let mut draft = good_draft();
    draft.participants.truncate(1);
    assert_eq!(
        codes(&review(&draft)),
        vec![(FindingCode::NoReviewer, "/participants".to_string())]
    );
    draft.participants.push(DraftParticipant {
        person_id: Some("p1".into()),
        role: Some("reviewer".into()),
    });
    assert!(
        !review(&draft).ready_to_publish,
        "the author reviewing counts for nothing"
    );
    draft.participants.push(DraftParticipant {
        person_id: Some("p3".into()),
        role: Some("participant".into()),
    });
    assert!(review(&draft).ready_to_publish);
}

#[test]
fn detection_before_impact_is_a_phase_order_error_on_detected_at() {
    let mut draft = good_draft();
    draft.detected_at = Some(Utc.with_ymd_and_hms(2025, 3, 1, 13, 0, 0).unwrap());
    let review = review(&draft);
    assert_eq!(
        codes(&review),
        vec![(FindingCode::PhaseOrder, "/detected_at".to_string())]
    );
    assert!(review.findings[0].message.contains("impact_started_at"));
}

#[test]
fn a_review_serializes_to_the_contract_shape() {
    let mut draft = good_draft();
    draft.summary = None;
    let json = serde_json::to_value(review(&draft)).unwrap();
    assert_eq!(json["ready_to_publish"], false);
    let finding = &json["findings"][0];
    assert_eq!(finding["code"], "missing_summary");
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["path"], "/summary");
    assert!(finding["message"].is_string());
    assert!(finding["suggestion"].is_string());
}

//! Jira webhooks, which carry issue changes for action item sync rather than
//! timeline events.

use chrono::NaiveDate;
use serde_json::Value;

use super::auth::{self, VerifyConfig, VerifyError};
use super::json::{self, ParseError};
use super::{Delivery, Headers, SourceKind, TrackerStatus, TrackerUpdate};

/// `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>` (`method=signature`)
/// when the webhook has a secret. Jira webhooks may be registered without
/// one, so with no secrets configured any delivery is accepted.
pub(super) fn verify(
    headers: &Headers,
    body: &[u8],
    cfg: &VerifyConfig,
) -> Result<(), VerifyError> {
    if cfg.secrets.is_empty() {
        return Ok(());
    }
    let value = headers.get("x-hub-signature").ok_or(VerifyError::Missing)?;
    let (method, signature) = value.split_once('=').ok_or(VerifyError::Mismatch)?;
    if !method.trim().eq_ignore_ascii_case("sha256") {
        return Err(VerifyError::Mismatch);
    }
    auth::check_hex_signatures([signature], cfg.secrets, &[body])
}

fn delivery_id(headers: &Headers) -> Option<&str> {
    headers.get("x-atlassian-webhook-identifier")
}

const ISSUE_UPDATED: &str = "jira:issue_updated";
const ISSUE_DELETED: &str = "jira:issue_deleted";

/// Jira deliveries hold no alert or deploy events: issue changes and
/// deletions are tracker updates (see [`tracker_update`]); every other event
/// (issue created, comments, worklogs, sprints, versions, projects, users...)
/// says nothing hindsight keeps.
pub(super) fn parse(headers: &Headers, body: &[u8]) -> Result<Delivery, ParseError> {
    let doc = json::parse_object(body)?;
    let reason = match json::str_at(&doc, "/webhookEvent") {
        Some(ISSUE_UPDATED) => {
            "Jira issue changes are tracker updates, not timeline events".to_owned()
        }
        Some(ISSUE_DELETED) => {
            "a deleted Jira issue unlinks the action item synced to it; it is not a timeline event"
                .to_owned()
        }
        Some(other) => format!("Jira `{other}` events carry nothing for action items or timelines"),
        None => "the Jira delivery names no `webhookEvent`".to_owned(),
    };
    Ok(Delivery::ignored(delivery_id(headers), reason))
}

/// A `jira:issue_updated` or `jira:issue_deleted` delivery as a tracker
/// update; `None` for other webhook events.
pub(super) fn tracker_update(
    headers: &Headers,
    body: &[u8],
) -> Result<Option<TrackerUpdate>, ParseError> {
    let doc = json::parse_object(body)?;
    let event = json::req_str(&doc, "/webhookEvent")?;
    if event == ISSUE_DELETED {
        return deleted(headers, &doc).map(Some);
    }
    if event != ISSUE_UPDATED {
        return Ok(None);
    }
    let state = json::str_at(&doc, "/issue/fields/status/statusCategory/key");
    let issue_key = json::req_str(&doc, "/issue/key")?;
    let updated_at = json::time_at(&doc, "/issue/fields/updated")
        .map_or_else(|| json::req_time(&doc, "/timestamp"), Ok)?;
    Ok(Some(TrackerUpdate {
        source: SourceKind::Jira,
        delivery_id: delivery_id(headers).map(str::to_owned),
        action: event.to_owned(),
        issue_key: issue_key.to_owned(),
        issue_number: None,
        repository: None,
        url: browse_url(&doc, issue_key),
        state: state.map(str::to_owned),
        state_reason: None,
        status: state.and_then(status),
        assignees: json::str_at(&doc, "/issue/fields/assignee/accountId")
            .map(str::to_owned)
            .into_iter()
            .collect(),
        due_date: due_date(&doc)?,
        updated_at,
        changed_by: json::str_at(&doc, "/user/accountId").map(str::to_owned),
        changed_fields: changed_fields(&doc),
    }))
}

/// A deleted issue: nothing of its fields applies any more, and the change
/// happened when the webhook fired, not when the issue was last edited.
fn deleted(headers: &Headers, doc: &Value) -> Result<TrackerUpdate, ParseError> {
    let issue_key = json::req_str(doc, "/issue/key")?;
    let deleted_at = json::time_at(doc, "/timestamp")
        .map_or_else(|| json::req_time(doc, "/issue/fields/updated"), Ok)?;
    Ok(TrackerUpdate {
        source: SourceKind::Jira,
        delivery_id: delivery_id(headers).map(str::to_owned),
        action: ISSUE_DELETED.to_owned(),
        issue_key: issue_key.to_owned(),
        issue_number: None,
        repository: None,
        url: browse_url(doc, issue_key),
        state: None,
        state_reason: None,
        status: None,
        assignees: Vec::new(),
        due_date: None,
        updated_at: deleted_at,
        changed_by: json::str_at(doc, "/user/accountId").map(str::to_owned),
        changed_fields: Vec::new(),
    })
}

fn status(category: &str) -> Option<TrackerStatus> {
    match category {
        "new" => Some(TrackerStatus::Open),
        "indeterminate" => Some(TrackerStatus::InProgress),
        "done" => Some(TrackerStatus::Done),
        _ => None,
    }
}

fn due_date(doc: &Value) -> Result<Option<NaiveDate>, ParseError> {
    json::str_at(doc, "/issue/fields/duedate")
        .map(|text| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| json::missing("/issue/fields/duedate"))
        })
        .transpose()
}

/// `https://site/rest/api/2/issue/10000` -> `https://site/browse/TEST-1`.
fn browse_url(doc: &Value, key: &str) -> Option<String> {
    let api = json::str_at(doc, "/issue/self")?;
    let (site, _) = api.split_once("/rest/api/")?;
    Some(format!("{site}/browse/{key}"))
}

fn changed_fields(doc: &Value) -> Vec<String> {
    doc.pointer("/changelog/items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| json::str_at(item, "/field").map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, headers, hmac_hex, now};
    use super::*;

    #[test]
    fn status_fixture_moves_the_item_in_progress() {
        let delivered = headers(&[(
            "X-Atlassian-Webhook-Identifier",
            "7e8f1d2c-0a11-4c3b-9d7e-5f6a2b1c0d9e",
        )]);
        let update = tracker_update(&delivered, fixture!("jira/issue_updated.status.json"))
            .unwrap()
            .unwrap();
        assert_eq!(update.source, SourceKind::Jira);
        assert_eq!(
            update.delivery_id.as_deref(),
            Some("7e8f1d2c-0a11-4c3b-9d7e-5f6a2b1c0d9e")
        );
        assert_eq!(update.action, "jira:issue_updated");
        assert_eq!(update.issue_key, "TEST-1");
        assert_eq!(
            update.url.as_deref(),
            Some("https://zulipp.atlassian.net/browse/TEST-1")
        );
        assert_eq!(update.state.as_deref(), Some("indeterminate"));
        assert_eq!(update.status, Some(TrackerStatus::InProgress));
        assert!(update.assignees.is_empty());
        assert_eq!(update.due_date, None);
        assert_eq!(update.updated_at, at("2017-01-30T17:32:14.716Z"));
        assert_eq!(
            update.changed_by.as_deref(),
            Some("99:b8d8a054-2e12-4839-bd5f-5f2b7c5f5e3a")
        );
        assert_eq!(update.changed_fields, ["status"]);
    }

    #[test]
    fn assignee_fixture_reports_the_new_assignee() {
        let update = tracker_update(&headers(&[]), fixture!("jira/issue_updated.assignee.json"))
            .unwrap()
            .unwrap();
        assert_eq!(update.issue_key, "BUG-15");
        assert_eq!(
            update.url.as_deref(),
            Some("http://lfranchi.com:8080/browse/BUG-15")
        );
        // An older payload: no status category, so no status to apply.
        assert_eq!(update.state, None);
        assert_eq!(update.status, None);
        assert_eq!(
            update.assignees,
            ["99:27935d01-92a7-4687-8272-a9b8d3b2ae2e"]
        );
        assert_eq!(update.updated_at, at("2013-03-27T16:57:45.287Z"));
        assert_eq!(
            update.changed_by.as_deref(),
            Some("99:27935d01-92a7-4687-8272-a9b8d3b2ae2e")
        );
        assert_eq!(update.changed_fields, ["assignee"]);
    }

    #[test]
    fn due_date_changes_are_read_as_dates() {
        let body = br#"{"webhookEvent": "jira:issue_updated", "timestamp": 1780000000000,
            "user": {"accountId": "5b10a2844c20165700ede21g"},
            "changelog": {"items": [{"field": "duedate", "fieldId": "duedate", "to": "2026-06-05"}]},
            "issue": {"key": "OPS-7", "fields": {"duedate": "2026-06-05",
                "status": {"statusCategory": {"key": "done"}}}}}"#;
        let update = tracker_update(&headers(&[]), body).unwrap().unwrap();
        assert_eq!(update.due_date, NaiveDate::from_ymd_opt(2026, 6, 5));
        assert_eq!(update.status, Some(TrackerStatus::Done));
        assert_eq!(update.updated_at, at("2026-05-28T20:26:40Z"));
        assert_eq!(update.changed_fields, ["duedate"]);
    }

    #[test]
    fn other_jira_events_are_not_updates_and_are_ignored_by_name() {
        let created = br#"{"webhookEvent": "jira:issue_created", "issue": {"key": "OPS-8"}}"#;
        assert_eq!(tracker_update(&headers(&[]), created), Ok(None));
        let delivery = parse(&headers(&[]), fixture!("jira/issue_updated.status.json")).unwrap();
        assert!(delivery.events.is_empty());
        assert_eq!(
            delivery.ignored_reason.as_deref(),
            Some("Jira issue changes are tracker updates, not timeline events")
        );
        for event in [
            "jira:issue_created",
            "comment_created",
            "worklog_deleted",
            "sprint_started",
            "jira:version_released",
            "project_created",
            "user_created",
        ] {
            let body = format!(r#"{{"webhookEvent": "{event}", "timestamp": 1565964144825}}"#);
            let delivery = parse(&headers(&[]), body.as_bytes()).unwrap();
            assert!(delivery.events.is_empty());
            assert_eq!(
                delivery.ignored_reason,
                Some(format!(
                    "Jira `{event}` events carry nothing for action items or timelines"
                ))
            );
        }
        let unnamed = parse(&headers(&[]), b"{}").unwrap();
        assert_eq!(
            unnamed.ignored_reason.as_deref(),
            Some("the Jira delivery names no `webhookEvent`")
        );
    }

    #[test]
    fn a_deleted_issue_is_a_tracker_update_dated_when_jira_deleted_it() {
        let body = include_bytes!("../../tests/fixtures/vendors/jira/issue_deleted.json");
        let update = tracker_update(&headers(&[]), body).unwrap().unwrap();
        assert_eq!(update.action, "jira:issue_deleted");
        assert_eq!(update.issue_key, "BUG-15");
        // The webhook's timestamp, not the issue's last edit (17:05:34).
        assert_eq!(update.updated_at, at("2013-03-27T17:06:09.102Z"));
        // Nothing of the deleted issue's fields is to be applied.
        assert_eq!(update.status, None);
        assert!(update.assignees.is_empty());
        assert_eq!(update.due_date, None);
        assert_eq!(
            update.changed_by.as_deref(),
            Some("99:27935d01-92a7-4687-8272-a9b8d3b2ae2e")
        );
        let delivery = parse(&headers(&[]), body).unwrap();
        assert!(delivery.events.is_empty());
        assert!(
            delivery
                .ignored_reason
                .unwrap()
                .contains("unlinks the action item")
        );
    }

    #[test]
    fn jira_signature_is_checked_when_a_secret_is_set() {
        let body = fixture!("jira/issue_updated.status.json");
        let secrets: &[&[u8]] = &[b"jira-secret"];
        let cfg = VerifyConfig::new(secrets, now());
        let signature = format!("sha256={}", hmac_hex(b"jira-secret", &[body]));
        assert_eq!(
            verify(
                &headers(&[("X-Hub-Signature", signature.as_str())]),
                body,
                &cfg
            ),
            Ok(())
        );
        let sha1 = headers(&[("X-Hub-Signature", "sha1=0123")]);
        assert_eq!(verify(&sha1, body, &cfg), Err(VerifyError::Mismatch));
        assert_eq!(verify(&headers(&[]), body, &cfg), Err(VerifyError::Missing));
        assert_eq!(
            verify(&headers(&[]), body, &VerifyConfig::new(&[], now())),
            Ok(())
        );
    }
}

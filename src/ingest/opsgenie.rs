//! Opsgenie's outgoing Webhook integration: one alert action per delivery,
//! each action in its own shape (Escalate carries `escalation*` fields and a
//! bare `alert.alertId`; a Create may come without `createdAt`). Opsgenie
//! sends no delivery id, so dedupe relies on each event's key.

use serde_json::Value;

use super::json::{self, ParseError};
use super::{Delivery, EventKind, FieldMapping, NormalizedEvent, Severity};

/// Actions that only relabel an alert and say nothing of the incident's course.
const RELABELLING: [&str; 6] = [
    "AddTags",
    "RemoveTags",
    "AddDetails",
    "RemoveDetails",
    "UpdateDescription",
    "UpdateMessage",
];

pub(super) fn parse(body: &[u8], mapping: &FieldMapping) -> Result<Delivery, ParseError> {
    let doc = json::parse_object(body)?;
    let action = json::req_str(&doc, "/action")?;
    if RELABELLING.contains(&action) {
        return Ok(Delivery::ignored(
            None,
            format!("Opsgenie `{action}` changes an alert's labels, not its state"),
        ));
    }
    let alert_id = json::req_str(&doc, "/alert/alertId")?;
    let kind = match action {
        "Create" => EventKind::AlertTriggered,
        "Acknowledge" => EventKind::AlertAcknowledged,
        "Close" => EventKind::AlertResolved,
        "Escalate" | "EscalateNext" => EventKind::AlertEscalated,
        _ => EventKind::AlertAnnotated,
    };
    // createdAt is in milliseconds, updatedAt in nanoseconds: the update
    // time is when this action happened; creation is its own time.
    let time_fields: &[&str] = if action == "Create" {
        &["/alert/createdAt", "/alert/insertedAt", "/alert/updatedAt"]
    } else {
        &["/alert/updatedAt"]
    };
    let stamped = time_fields
        .iter()
        .find_map(|field| json::time_at(&doc, field).map(|time| (time, *field)));
    let occurred_at = stamped.map(|(time, _)| time);
    let stamp = match stamped {
        Some((_, field)) => json::id_at(&doc, field).unwrap_or_default(),
        None => escalation_stamp(&doc).unwrap_or_else(|| json::body_digest(body)),
    };
    let event = NormalizedEvent {
        occurred_at,
        kind,
        title: title(&doc, action, alert_id),
        service: service(&doc, mapping),
        severity: severity(&doc),
        link: None,
        actor: json::str_at(&doc, "/alert/username").map(str::to_owned),
        correlation_key: Some(alert_id.to_owned()),
        dedupe_key: format!("{alert_id}:{action}:{stamp}"),
        external_id: Some(alert_id.to_owned()),
        raw_event_type: action.to_owned(),
    };
    Ok(Delivery::with_events(None, vec![event]))
}

/// An Escalate has no time: its escalation, step and repeat identify it.
fn escalation_stamp(doc: &Value) -> Option<String> {
    let escalation = json::str_at(doc, "/escalationId")?;
    let field = |pointer| json::id_at(doc, pointer).unwrap_or_default();
    Some(format!(
        "{escalation}:{}:{}:{}",
        field("/escalationNotify/id"),
        field("/escalationTime"),
        field("/repeatCount")
    ))
}

/// The alert's message, else its alias or short id (Escalate sends none).
fn title(doc: &Value, action: &str, alert_id: &str) -> String {
    let alert = |field: &str| json::str_at(doc, &format!("/alert/{field}"));
    let subject = alert("message")
        .or_else(|| alert("alias"))
        .map(str::to_owned)
        .or_else(|| alert("tinyId").map(|tiny| format!("alert #{tiny}")))
        .unwrap_or_else(|| format!("alert {alert_id}"));
    let with = |label: &str, detail: Option<&str>| match detail {
        Some(detail) => format!("{label} {detail}: {subject}"),
        None => format!("{label}: {subject}"),
    };
    match action {
        "Create" | "Acknowledge" | "Close" => subject,
        "Escalate" | "EscalateNext" => {
            let to = json::str_at(doc, "/escalationNotify/name");
            let policy = json::str_at(doc, "/escalationName");
            match (to, policy) {
                (Some(to), Some(policy)) => format!("Escalated to {to} by {policy}: {subject}"),
                (Some(to), None) => format!("Escalated to {to}: {subject}"),
                (None, _) => with("Escalated", policy),
            }
        }
        "AddNote" => match alert("note") {
            Some(note) => format!("Note on {subject}: {note}"),
            None => format!("Note on {subject}"),
        },
        "UnAcknowledge" => format!("Unacknowledged: {subject}"),
        "AssignOwnership" => with("Owner set to", alert("owner")),
        "TakeOwnership" => with("Ownership taken by", alert("username")),
        "AddRecipient" => with("Recipient added:", alert("recipient")),
        "AddTeam" => with("Team added:", alert("team")),
        "AddResponder" => with("Responder added:", alert("responder")),
        "Delete" => format!("Deleted: {subject}"),
        other => format!("{other}: {subject}"),
    }
}

/// Priority comes as `"P3"` or, in some deliveries, as the bare number `3`.
fn severity(doc: &Value) -> Option<Severity> {
    match doc.pointer("/alert/priority")? {
        Value::Number(n) => Severity::from_label(&format!("P{n}")),
        Value::String(s) => Severity::from_label(s),
        _ => None,
    }
}

/// `alert.details[<field>]`, then a `<field>:<value>` tag; by default the
/// field is `service`, with the alert's `entity` as the last resort.
fn service(doc: &Value, mapping: &FieldMapping) -> Option<String> {
    let field = mapping.service_field.as_deref().unwrap_or("service");
    let from_details = doc
        .pointer("/alert/details")
        .and_then(|details| json::str_at(details, &format!("/{field}")));
    let prefix = format!("{field}:");
    let from_tags = || {
        doc.pointer("/alert/tags")?
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .find_map(|tag| tag.strip_prefix(&prefix))
            .map(str::trim)
            .filter(|value| !value.is_empty())
    };
    let from_entity = || {
        mapping
            .service_field
            .is_none()
            .then(|| json::str_at(doc, "/alert/entity"))
            .flatten()
    };
    from_details
        .or_else(from_tags)
        .or_else(from_entity)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, default_mapping, only_event, service_mapping, vendor_fixture};
    use super::*;

    fn event_of(body: &[u8]) -> NormalizedEvent {
        only_event(parse(body, &default_mapping()).unwrap())
    }

    #[test]
    fn escalate_without_message_or_time_escalates_with_a_stable_key() {
        let body = vendor_fixture!("opsgenie/escalate.json");
        let event = event_of(body);
        assert_eq!(event.kind, EventKind::AlertEscalated);
        assert_eq!(event.occurred_at, None);
        assert_eq!(
            event.title,
            "Escalated to test@ifountain.com by test_esc: alert 7ba97e3a-d328-4b5e-8f9a-39e945a3869a"
        );
        assert_eq!(
            event.correlation_key.as_deref(),
            Some("7ba97e3a-d328-4b5e-8f9a-39e945a3869a")
        );
        assert_eq!(
            event.dedupe_key,
            "7ba97e3a-d328-4b5e-8f9a-39e945a3869a:Escalate:\
             51859f57-7fad-467b-ad79-59acbc69cb6a:64818849-71d6-40ce-87c6-ed5e588702fd:0:0"
        );
        assert_eq!(event.actor, None);
    }

    #[test]
    fn a_create_without_created_at_takes_its_insert_or_update_time() {
        let inserted = br#"{"action": "Create", "alert": {"alertId": "a1", "message": "disk full",
            "insertedAt": 1502709956288000110, "updatedAt": 1502709999000000000}}"#;
        assert_eq!(
            event_of(inserted).occurred_at,
            Some(at("2017-08-14T11:25:56.288000110Z"))
        );
        let bare = br#"{"action": "Create", "alert": {"alertId": "a1", "message": "disk full"}}"#;
        let event = event_of(bare);
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(event.occurred_at, None);
        assert_eq!(event.dedupe_key, event_of(bare).dedupe_key);
    }

    #[test]
    fn every_action_in_the_catalog_maps_to_a_kind_with_its_own_title() {
        let cases: [(&[u8], EventKind, &str, &str); 9] = [
            (
                vendor_fixture!("opsgenie/docs.create.json"),
                EventKind::AlertTriggered,
                "test alert",
                "2015-01-05T10:03:11.104Z",
            ),
            (
                vendor_fixture!("opsgenie/unacknowledge.json"),
                EventKind::AlertAnnotated,
                "Unacknowledged: test alert",
                "2015-01-05T10:03:44.764002246Z",
            ),
            (
                vendor_fixture!("opsgenie/addnote.json"),
                EventKind::AlertAnnotated,
                "Note on test alert: note to test alert",
                "2015-01-05T10:04:35.002000962Z",
            ),
            (
                vendor_fixture!("opsgenie/assignownership.json"),
                EventKind::AlertAnnotated,
                "Owner set to user2@ifountain.com: test alert",
                "2015-01-05T10:06:14.669001603Z",
            ),
            (
                vendor_fixture!("opsgenie/takeownership.json"),
                EventKind::AlertAnnotated,
                "Ownership taken by test@test.com: message test",
                "2016-08-05T07:51:17.928000335Z",
            ),
            (
                vendor_fixture!("opsgenie/addrecipient.json"),
                EventKind::AlertAnnotated,
                "Recipient added: team2_escalation: test alert",
                "2015-01-05T10:04:34.617001925Z",
            ),
            (
                vendor_fixture!("opsgenie/addteam.json"),
                EventKind::AlertAnnotated,
                "Team added: team2: test alert",
                "2015-01-05T10:04:16.147001924Z",
            ),
            (
                vendor_fixture!("opsgenie/delete.json"),
                EventKind::AlertAnnotated,
                "Deleted: test alert",
                "2015-01-05T10:06:14.669001603Z",
            ),
            (
                vendor_fixture!("opsgenie/customaction.json"),
                EventKind::AlertAnnotated,
                "TestAction: test alert",
                "2015-01-05T10:04:35.002000962Z",
            ),
        ];
        for (body, kind, title, time) in cases {
            let event = event_of(body);
            assert_eq!((event.kind, event.title.as_str()), (kind, title));
            assert_eq!(event.occurred_at, Some(at(time)), "{title}");
        }
    }

    #[test]
    fn tag_changes_are_answered_with_a_reason() {
        for (body, action) in [
            (vendor_fixture!("opsgenie/addtags.json"), "AddTags"),
            (vendor_fixture!("opsgenie/removetags.json"), "RemoveTags"),
        ] {
            let delivery = parse(body, &default_mapping()).unwrap();
            assert!(delivery.events.is_empty());
            assert_eq!(
                delivery.ignored_reason,
                Some(format!(
                    "Opsgenie `{action}` changes an alert's labels, not its state"
                ))
            );
        }
    }

    #[test]
    fn create_fixture_triggers_an_alert_with_numeric_priority() {
        let event =
            only_event(parse(fixture!("opsgenie/create.json"), &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(event.occurred_at, Some(at("2017-08-14T11:25:56.288Z")));
        assert_eq!(event.title, "another alert");
        assert_eq!(event.service.as_deref(), Some("Server"));
        assert_eq!(event.severity, Some(Severity::Medium));
        assert_eq!(event.actor.as_deref(), Some("test@example.com"));
        assert_eq!(
            event.correlation_key.as_deref(),
            Some("ec03dad6-62c8-4c94-b38b-d88f398e900f")
        );
        assert_eq!(
            event.dedupe_key,
            "ec03dad6-62c8-4c94-b38b-d88f398e900f:Create:1502709956288"
        );
    }

    #[test]
    fn acknowledge_fixture_acknowledges_at_the_update_time() {
        let event =
            only_event(parse(fixture!("opsgenie/acknowledge.json"), &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertAcknowledged);
        assert_eq!(
            event.occurred_at,
            Some(at("2015-01-05T10:03:44.764002246Z"))
        );
        assert_eq!(event.title, "test alert");
        assert_eq!(event.service, None);
        assert_eq!(event.severity, None);
        assert_eq!(event.actor.as_deref(), Some("fili@ifountain.com"));
        assert_eq!(
            event.correlation_key.as_deref(),
            Some("052652ac-5d1c-464a-812a-7dd18bbfba8c")
        );
        assert_eq!(
            event.dedupe_key,
            "052652ac-5d1c-464a-812a-7dd18bbfba8c:Acknowledge:1420452224764002246"
        );
    }

    #[test]
    fn close_fixture_resolves_the_same_alert() {
        let event = only_event(parse(fixture!("opsgenie/close.json"), &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertResolved);
        assert_eq!(
            event.occurred_at,
            Some(at("2015-01-05T10:06:14.669001603Z"))
        );
        assert_eq!(event.title, "test alert");
        assert_eq!(event.service, None);
        assert_eq!(event.severity, None);
        assert_eq!(
            event.correlation_key.as_deref(),
            Some("052652ac-5d1c-464a-812a-7dd18bbfba8c")
        );
        assert_eq!(
            event.dedupe_key,
            "052652ac-5d1c-464a-812a-7dd18bbfba8c:Close:1420452374669001603"
        );
    }

    #[test]
    fn service_comes_from_details_or_tags_when_mapped() {
        let body = br#"{"action": "AddNote", "alert": {"alertId": "a1", "message": "disk full",
            "note": "cleaning /var/log", "createdAt": 1502709956288, "updatedAt": 1502709999000000000,
            "tags": ["team:storage", "service:ledger"], "details": {"component": "ledger-db"}}}"#;
        let by_tag = only_event(parse(body, &default_mapping()).unwrap());
        assert_eq!(by_tag.kind, EventKind::AlertAnnotated);
        assert_eq!(by_tag.title, "Note on disk full: cleaning /var/log");
        assert_eq!(by_tag.service.as_deref(), Some("ledger"));
        let by_detail = only_event(parse(body, &service_mapping("component")).unwrap());
        assert_eq!(by_detail.service.as_deref(), Some("ledger-db"));
        let by_team = only_event(parse(body, &service_mapping("team")).unwrap());
        assert_eq!(by_team.service.as_deref(), Some("storage"));
    }

    #[test]
    fn a_body_without_an_alert_names_what_is_missing() {
        let err = parse(br#"{"action": "Create"}"#, &default_mapping()).unwrap_err();
        assert_eq!(err, json::missing("/alert/alertId"));
    }
}

//! Opsgenie's outgoing Webhook integration: one alert action per delivery.
//! Opsgenie sends no delivery id, so dedupe relies on each event's key.

use serde_json::Value;

use super::json::{self, ParseError};
use super::{Delivery, EventKind, FieldMapping, NormalizedEvent, Severity};

pub(super) fn parse(body: &[u8], mapping: &FieldMapping) -> Result<Delivery, ParseError> {
    let doc = json::parse_object(body)?;
    let action = json::req_str(&doc, "/action")?;
    let alert_id = json::req_str(&doc, "/alert/alertId")?;
    let message = json::req_str(&doc, "/alert/message")?;
    let kind = match action {
        "Create" => EventKind::AlertTriggered,
        "Acknowledge" => EventKind::AlertAcknowledged,
        "Close" => EventKind::AlertResolved,
        "Escalate" | "EscalateNext" => EventKind::AlertEscalated,
        _ => EventKind::AlertAnnotated,
    };
    // createdAt is in milliseconds, updatedAt in nanoseconds: the update
    // time is when this action happened, except for the creation itself.
    let (occurred_at, stamp) = if action == "Create" {
        (
            json::req_time(&doc, "/alert/createdAt")?,
            "/alert/createdAt",
        )
    } else if let Some(updated) = json::time_at(&doc, "/alert/updatedAt") {
        (updated, "/alert/updatedAt")
    } else {
        (
            json::req_time(&doc, "/alert/createdAt")?,
            "/alert/createdAt",
        )
    };
    let stamp = json::id_at(&doc, stamp).unwrap_or_default();
    let title = match (kind, action) {
        (EventKind::AlertAnnotated, "AddNote") => match json::str_at(&doc, "/alert/note") {
            Some(note) => format!("Note on {message}: {note}"),
            None => format!("Note on {message}"),
        },
        (EventKind::AlertAnnotated, other) => format!("{other}: {message}"),
        _ => message.to_owned(),
    };
    let event = NormalizedEvent {
        occurred_at: Some(occurred_at),
        kind,
        title,
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
    use super::super::testing::{at, default_mapping, only_event, service_mapping};
    use super::*;

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

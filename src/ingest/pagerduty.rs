//! PagerDuty V3 webhooks: `{"event": {...}}`, one event per delivery. Every
//! `incident.*` type becomes an event; `service.*` and other resources are
//! answered with the reason they are not.
//!
//! Events API v2 bodies (`routing_key`, `event_action`) are what tools send
//! *to* PagerDuty, not what PagerDuty sends; they are refused with a message
//! that says so.

use serde_json::Value;

use super::auth::{self, VerifyConfig, VerifyError};
use super::json::{self, ParseError};
use super::{Delivery, EventKind, FieldMapping, Headers, NormalizedEvent, Severity};

/// `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]`: PagerDuty signs with every
/// secret the subscription has, so any one matching is enough.
pub(super) fn verify(
    headers: &Headers,
    body: &[u8],
    cfg: &VerifyConfig,
) -> Result<(), VerifyError> {
    let header = headers
        .get("x-pagerduty-signature")
        .ok_or(VerifyError::Missing)?;
    let signatures = header
        .split(',')
        .filter_map(|part| part.trim().strip_prefix("v1="));
    auth::check_hex_signatures(signatures, cfg.secrets, &[body])
}

pub(super) fn parse(
    headers: &Headers,
    body: &[u8],
    mapping: &FieldMapping,
) -> Result<Delivery, ParseError> {
    let doc = json::parse_object(body)?;
    let delivery_id = headers.get("x-webhook-id");
    if doc.get("event").is_none()
        && (doc.get("routing_key").is_some() || doc.get("event_action").is_some())
    {
        return Err(ParseError::WrongShape(
            "this is a PagerDuty Events API v2 body, which tools send to PagerDuty; \
             hindsight takes PagerDuty's V3 webhooks (subscribe one to this URL)"
                .to_owned(),
        ));
    }
    let event_type = json::req_str(&doc, "/event/event_type")?;
    if event_type == "pagey.ping" {
        return Ok(Delivery::ignored(delivery_id, "PagerDuty test ping"));
    }
    let Some(kind) = event_kind(event_type) else {
        return Ok(Delivery::ignored(
            delivery_id,
            format!("PagerDuty `{event_type}` events are not incident events"),
        ));
    };
    let incident = incident_id(&doc);
    let event = NormalizedEvent {
        occurred_at: json::time_at(&doc, "/event/occurred_at"),
        kind,
        title: title(&doc, event_type),
        service: json::service_at(&doc, mapping, "/event/data/service/summary"),
        severity: severity(&doc),
        link: json::str_at(&doc, "/event/data/html_url")
            .filter(|_| is_incident(&doc))
            .or_else(|| json::str_at(&doc, "/event/data/incident/html_url"))
            .map(str::to_owned),
        actor: json::str_at(&doc, "/event/agent/summary").map(str::to_owned),
        correlation_key: incident.map(str::to_owned),
        dedupe_key: match json::id_at(&doc, "/event/id") {
            Some(id) => id,
            None => format!("{event_type}:{}", json::body_digest(body)),
        },
        external_id: incident
            .or_else(|| json::str_at(&doc, "/event/data/id"))
            .map(str::to_owned),
        raw_event_type: event_type.to_owned(),
    };
    Ok(Delivery::with_events(delivery_id, vec![event]))
}

/// Incident state changes map to their alert kinds; handing the incident to
/// other responders (escalated, delegated to another policy, reassigned to
/// another user) is an escalation; every other incident event (notes,
/// priority, responders, status updates, workflows, custom fields...) is an
/// annotation. `service.*` and anything else are not about an incident.
fn event_kind(event_type: &str) -> Option<EventKind> {
    let kind = match event_type.strip_prefix("incident.")? {
        "triggered" | "reopened" => EventKind::AlertTriggered,
        "acknowledged" => EventKind::AlertAcknowledged,
        "resolved" => EventKind::AlertResolved,
        "escalated" | "delegated" | "reassigned" => EventKind::AlertEscalated,
        _ => EventKind::AlertAnnotated,
    };
    Some(kind)
}

/// Incident events carry the incident as `data`; the others (notes, status
/// updates, responders, workflows, ...) carry a reference to it as
/// `data.incident`.
fn is_incident(doc: &Value) -> bool {
    json::str_at(doc, "/event/data/type") == Some("incident")
}

fn incident_id(doc: &Value) -> Option<&str> {
    if is_incident(doc) {
        json::str_at(doc, "/event/data/id")
    } else {
        json::str_at(doc, "/event/data/incident/id")
    }
}

fn title(doc: &Value, event_type: &str) -> String {
    let data = |field: &str| json::str_at(doc, &format!("/event/data/{field}"));
    let incident = if is_incident(doc) {
        data("title")
    } else {
        data("incident/summary")
    }
    .unwrap_or("PagerDuty incident");
    let with = |label: &str, detail: Option<&str>| match detail {
        Some(detail) => format!("{label} {detail}: {incident}"),
        None => format!("{label}: {incident}"),
    };
    match event_type {
        "incident.triggered"
        | "incident.acknowledged"
        | "incident.resolved"
        | "incident.escalated" => incident.to_owned(),
        "incident.annotated" => match data("content") {
            Some(note) => format!("Note on {incident}: {note}"),
            None => format!("Note on {incident}"),
        },
        "incident.status_update_published" => match data("message") {
            Some(message) => format!("Status update on {incident}: {message}"),
            None => format!("Status update on {incident}"),
        },
        "incident.priority_updated" => match data("priority/summary") {
            Some(priority) => format!("Priority set to {priority}: {incident}"),
            None => format!("Priority cleared: {incident}"),
        },
        "incident.reassigned" => with("Reassigned to", assignees(doc).as_deref()),
        "incident.delegated" => with("Delegated to", data("escalation_policy/summary")),
        "incident.responder.added" => with("Responder requested:", data("user/summary")),
        "incident.responder.replied" => with("Responder replied:", data("user/summary")),
        "incident.conference_bridge.updated" => {
            with("Conference bridge set to", data("conference_url"))
        }
        "incident.workflow.started" | "incident.workflow.completed" => {
            let verb = event_type.rsplit('.').next().unwrap_or("ran");
            match data("incident_workflow/summary") {
                Some(workflow) => format!("Workflow {workflow} {verb}: {incident}"),
                None => format!("Workflow {verb}: {incident}"),
            }
        }
        other => format!(
            "{}: {incident}",
            sentence_case(other.trim_start_matches("incident."))
        ),
    }
}

/// "Ana, Ben": who an incident is assigned to now.
fn assignees(doc: &Value) -> Option<String> {
    let names: Vec<&str> = doc
        .pointer("/event/data/assignees")?
        .as_array()?
        .iter()
        .filter_map(|assignee| json::str_at(assignee, "/summary"))
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// "responder.added" -> "Responder added".
fn sentence_case(event: &str) -> String {
    let words = event.replace(['.', '_'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// The incident's priority (P1..P5) when set, else its urgency.
fn severity(doc: &Value) -> Option<Severity> {
    json::str_at(doc, "/event/data/priority/summary")
        .and_then(Severity::from_label)
        .or_else(|| json::str_at(doc, "/event/data/urgency").and_then(Severity::from_label))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{
        at, default_mapping, headers, hmac_hex, now, only_event, vendor_fixture,
    };
    use super::*;

    #[test]
    fn reassigned_incident_is_an_escalation_naming_the_new_assignee() {
        let event = parse_fixture(vendor_fixture!("pagerduty/v3.incident.reassigned.json"));
        assert_eq!(event.kind, EventKind::AlertEscalated);
        assert_eq!(event.occurred_at, Some(at("2021-06-04T10:17:54.838Z")));
        assert_eq!(event.title, "Reassigned to Test User: Test Incident");
        assert_eq!(event.correlation_key.as_deref(), Some("PIQUG8X"));
        assert_eq!(event.service.as_deref(), Some("pig208"));
        assert_eq!(event.severity, Some(Severity::High));
    }

    #[test]
    fn delegated_and_reopened_incidents_escalate_and_trigger() {
        let delegated = parse_fixture(vendor_fixture!("pagerduty/v3.incident.delegated.json"));
        assert_eq!(delegated.kind, EventKind::AlertEscalated);
        assert_eq!(
            delegated.title,
            "Delegated to APIs-ep: Critical: Checkout API High Latency"
        );
        assert_eq!(delegated.severity, Some(Severity::Critical));
        let reopened = parse_fixture(vendor_fixture!("pagerduty/v3.incident.reopened.json"));
        assert_eq!(reopened.kind, EventKind::AlertTriggered);
        assert_eq!(reopened.occurred_at, Some(at("2026-04-01T02:15:02.274Z")));
        assert_eq!(reopened.title, "Reopened: Test Incident 2");
        assert_eq!(reopened.severity, Some(Severity::Medium));
    }

    #[test]
    fn responder_conference_and_workflow_events_annotate_their_incident() {
        let cases = [
            (
                vendor_fixture!("pagerduty/v3.incident.responder.added.json"),
                "Responder requested: Harsh Santwani: Critical: Checkout API High Latency",
            ),
            (
                vendor_fixture!("pagerduty/v3.incident.responder.replied.json"),
                "Responder replied: Harsh Santwani: Critical: Checkout API High Latency",
            ),
            (
                vendor_fixture!("pagerduty/v3.incident.conference_bridge.updated.json"),
                "Conference bridge set to https://example.com/123-456-789: \
                 Critical: Checkout API High Latency",
            ),
            (
                vendor_fixture!("pagerduty/v3.incident.workflow.started.json"),
                "Workflow Incident WorkFlow started: Critical: Checkout API High Latency",
            ),
            (
                vendor_fixture!("pagerduty/v3.incident.workflow.completed.json"),
                "Workflow Incident WorkFlow completed: Critical: Checkout API High Latency",
            ),
        ];
        for (body, title) in cases {
            let event = parse_fixture(body);
            assert_eq!(event.kind, EventKind::AlertAnnotated, "{title}");
            assert_eq!(event.title, title);
            assert_eq!(event.correlation_key.as_deref(), Some("Q3B15VLMF3ASBD"));
            assert_eq!(
                event.link.as_deref(),
                Some("https://harsh0303.pagerduty.com/incidents/Q3B15VLMF3ASBD")
            );
        }
    }

    #[test]
    fn service_events_are_answered_with_a_reason() {
        for (body, event_type) in [
            (
                vendor_fixture!("pagerduty/v3.service.created.json"),
                "service.created",
            ),
            (
                vendor_fixture!("pagerduty/docs.service.updated.json"),
                "service.updated",
            ),
            (
                vendor_fixture!("pagerduty/v3.service.deleted.json"),
                "service.deleted",
            ),
        ] {
            let delivery = parse(&headers(&[]), body, &default_mapping()).unwrap();
            assert!(delivery.events.is_empty());
            assert_eq!(
                delivery.ignored_reason,
                Some(format!(
                    "PagerDuty `{event_type}` events are not incident events"
                ))
            );
        }
    }

    #[test]
    fn an_incident_event_of_an_unknown_data_type_still_annotates() {
        let body =
            br#"{"event": {"id": "01X", "event_type": "incident.custom_field_values.updated",
            "resource_type": "incident", "occurred_at": "2023-05-01T10:00:00+0000",
            "data": {"type": "incident_field_values",
                "incident": {"id": "PGR0VU2", "summary": "A little bump in the road"}}}}"#;
        let event = parse_fixture(body);
        assert_eq!(event.kind, EventKind::AlertAnnotated);
        assert_eq!(event.occurred_at, Some(at("2023-05-01T10:00:00Z")));
        assert_eq!(
            event.title,
            "Custom field values updated: A little bump in the road"
        );
        assert_eq!(event.correlation_key.as_deref(), Some("PGR0VU2"));
        let bare = br#"{"event": {"event_type": "incident.something_new", "data": {}}}"#;
        let event = parse_fixture(bare);
        assert_eq!(event.occurred_at, None);
        assert_eq!(event.title, "Something new: PagerDuty incident");
        assert_eq!(event.correlation_key, None);
        assert_eq!(event.dedupe_key, parse_fixture(bare).dedupe_key);
    }

    fn parse_fixture(body: &[u8]) -> NormalizedEvent {
        let with_id = headers(&[("X-Webhook-Id", "6ef2a3c2-0000-4000-8000-1c5b4fd3c6a1")]);
        let delivery = parse(&with_id, body, &default_mapping()).unwrap();
        assert_eq!(
            delivery.delivery_id.as_deref(),
            Some("6ef2a3c2-0000-4000-8000-1c5b4fd3c6a1")
        );
        only_event(delivery)
    }

    #[test]
    fn triggered_fixture_opens_the_incident_with_high_urgency() {
        let event = parse_fixture(fixture!("pagerduty/v3.incident.triggered.json"));
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(event.occurred_at, Some(at("2021-06-04T13:35:29.781Z")));
        assert_eq!(event.title, "Test Incident 3");
        assert_eq!(event.service.as_deref(), Some("pig208"));
        assert_eq!(event.severity, Some(Severity::High));
        assert_eq!(event.correlation_key.as_deref(), Some("PFQZPSY"));
        assert_eq!(event.dedupe_key, "01BZYIL05THJDFF2Y08X9SVMTU");
        assert_eq!(event.actor.as_deref(), Some("PIG 208"));
        assert_eq!(
            event.link.as_deref(),
            Some("https://pig208.pagerduty.com/incidents/PFQZPSY")
        );
        assert_eq!(event.raw_event_type, "incident.triggered");
    }

    #[test]
    fn acknowledged_fixture_acknowledges_its_incident() {
        let event = parse_fixture(fixture!("pagerduty/v3.incident.acknowledged.json"));
        assert_eq!(event.kind, EventKind::AlertAcknowledged);
        assert_eq!(event.occurred_at, Some(at("2021-06-04T13:55:30.394Z")));
        assert_eq!(event.title, "Test Incident");
        assert_eq!(event.service.as_deref(), Some("pig208"));
        assert_eq!(event.severity, Some(Severity::High));
        assert_eq!(event.correlation_key.as_deref(), Some("PQ1K5C8"));
        assert_eq!(event.dedupe_key, "01BZYK8N47N5JG55J1EEEHPEJI");
    }

    #[test]
    fn resolved_fixture_resolves_its_incident() {
        let event = parse_fixture(fixture!("pagerduty/v3.incident.resolved.json"));
        assert_eq!(event.kind, EventKind::AlertResolved);
        assert_eq!(event.occurred_at, Some(at("2021-06-04T13:16:53.816Z")));
        assert_eq!(event.title, "Test Incident");
        assert_eq!(event.service.as_deref(), Some("pig208"));
        assert_eq!(event.severity, Some(Severity::High));
        assert_eq!(event.correlation_key.as_deref(), Some("PCPZE64"));
        assert_eq!(event.dedupe_key, "01BZYH1JJY09P9LEIST8HG2PMN");
    }

    #[test]
    fn escalated_fixture_takes_severity_from_its_priority() {
        let event = parse_fixture(fixture!("pagerduty/v3.incident.escalated.json"));
        assert_eq!(event.kind, EventKind::AlertEscalated);
        assert_eq!(event.occurred_at, Some(at("2026-04-01T02:08:04.642Z")));
        assert_eq!(event.title, "Critical: Checkout API High Latency");
        assert_eq!(event.service.as_deref(), Some("Default Service"));
        assert_eq!(event.severity, Some(Severity::Critical));
        assert_eq!(event.correlation_key.as_deref(), Some("Q3B15VLMF3ASBD"));
        assert_eq!(event.dedupe_key, "01GI0JWUU28G8XE5M6IIT4BZ39");
        assert_eq!(event.actor.as_deref(), Some("Harsh Santwani"));
    }

    #[test]
    fn annotated_fixture_is_a_note_on_the_incident() {
        let event = parse_fixture(fixture!("pagerduty/v3.incident.annotated.json"));
        assert_eq!(event.kind, EventKind::AlertAnnotated);
        assert_eq!(event.occurred_at, Some(at("2026-04-01T02:18:59.674Z")));
        assert_eq!(
            event.title,
            "Note on Critical: Checkout API High Latency: \
             Running KILL on long-running queries from the reporting-service."
        );
        assert_eq!(event.service, None);
        assert_eq!(event.severity, None);
        assert_eq!(event.correlation_key.as_deref(), Some("Q3B15VLMF3ASBD"));
        assert_eq!(event.dedupe_key, "01GI0KTE33V5QXBVIJDEVJFUNE");
        assert_eq!(
            event.link.as_deref(),
            Some("https://harsh0303.pagerduty.com/incidents/Q3B15VLMF3ASBD")
        );
    }

    #[test]
    fn priority_updated_fixture_is_an_annotation_naming_the_priority() {
        let event = parse_fixture(fixture!("pagerduty/v3.incident.priority_updated.json"));
        assert_eq!(event.kind, EventKind::AlertAnnotated);
        assert_eq!(event.occurred_at, Some(at("2026-04-01T02:15:36.315Z")));
        assert_eq!(
            event.title,
            "Priority set to P2: Critical: Checkout API High Latency"
        );
        assert_eq!(event.service.as_deref(), Some("Default Service"));
        assert_eq!(event.severity, Some(Severity::High));
        assert_eq!(event.correlation_key.as_deref(), Some("Q3B15VLMF3ASBD"));
        assert_eq!(event.dedupe_key, "01GI0KJAEAC3CFEOFSC8BIJF3O");
    }

    #[test]
    fn status_update_fixture_is_an_annotation_with_the_message() {
        let event = parse_fixture(fixture!(
            "pagerduty/v3.incident.status_update_published.json"
        ));
        assert_eq!(event.kind, EventKind::AlertAnnotated);
        assert_eq!(event.occurred_at, Some(at("2026-04-01T02:17:41.211Z")));
        assert!(event.title.starts_with(
            "Status update on Critical: Checkout API High Latency: Investigating a P1 incident"
        ));
        assert_eq!(event.correlation_key.as_deref(), Some("Q3B15VLMF3ASBD"));
        assert_eq!(event.service, None);
        assert_eq!(event.severity, None);
        assert_eq!(event.dedupe_key, "01GI0KPHX6I892N2PFKDLH25XK");
    }

    #[test]
    fn ping_fixture_is_acknowledged_with_no_events() {
        let delivery = parse(
            &headers(&[]),
            fixture!("pagerduty/v3.pagey.ping.json"),
            &default_mapping(),
        )
        .unwrap();
        assert!(delivery.events.is_empty());
        assert_eq!(
            delivery.ignored_reason.as_deref(),
            Some("PagerDuty test ping")
        );
    }

    fn assert_refused_as_events_api_v2(body: &[u8]) {
        let err = parse(&headers(&[]), body, &default_mapping()).unwrap_err();
        assert!(matches!(err, ParseError::WrongShape(_)));
        assert!(err.to_string().contains("Events API v2"), "{err}");
    }

    #[test]
    fn events_v2_trigger_fixture_is_refused_as_sent_to_pagerduty_not_by_it() {
        assert_refused_as_events_api_v2(fixture!("pagerduty/events-v2.trigger.json"));
    }

    #[test]
    fn events_v2_resolve_fixture_is_refused_as_sent_to_pagerduty_not_by_it() {
        assert_refused_as_events_api_v2(fixture!("pagerduty/events-v2.resolve.json"));
    }

    #[test]
    fn events_v2_change_fixture_is_refused_as_sent_to_pagerduty_not_by_it() {
        assert_refused_as_events_api_v2(fixture!("pagerduty/events-v2.change.json"));
    }

    #[test]
    fn other_incident_events_map_sensibly() {
        let kinds = [
            ("incident.unacknowledged", EventKind::AlertAnnotated),
            ("incident.reopened", EventKind::AlertTriggered),
            ("incident.delegated", EventKind::AlertEscalated),
            ("incident.reassigned", EventKind::AlertEscalated),
            ("incident.responder.added", EventKind::AlertAnnotated),
            ("incident.responder.replied", EventKind::AlertAnnotated),
            (
                "incident.conference_bridge.updated",
                EventKind::AlertAnnotated,
            ),
            (
                "incident.custom_field_values.updated",
                EventKind::AlertAnnotated,
            ),
            ("incident.workflow.started", EventKind::AlertAnnotated),
            ("incident.workflow.completed", EventKind::AlertAnnotated),
            ("incident.service_updated", EventKind::AlertAnnotated),
        ];
        for (event_type, kind) in kinds {
            assert_eq!(event_kind(event_type), Some(kind), "{event_type}");
        }
        for not_incident in ["service.created", "service.updated", "service.deleted"] {
            assert_eq!(event_kind(not_incident), None, "{not_incident}");
        }
        assert_eq!(sentence_case("responder.added"), "Responder added");
    }

    #[test]
    fn only_the_first_few_signatures_are_tried() {
        let body = fixture!("pagerduty/v3.incident.triggered.json");
        let wrong = format!("v1={}", "0".repeat(64));
        let mut listed = vec![wrong; auth::MAX_SIGNATURES];
        listed.push(format!("v1={}", hmac_hex(b"secret", &[body])));
        let header = listed.join(",");
        let stuffed = headers(&[("X-PagerDuty-Signature", header.as_str())]);
        let secrets: &[&[u8]] = &[b"secret"];
        let cfg = VerifyConfig::new(secrets, now());
        assert_eq!(verify(&stuffed, body, &cfg), Err(VerifyError::Mismatch));
    }

    #[test]
    fn a_signature_from_either_secret_is_accepted_during_rotation() {
        let body = fixture!("pagerduty/v3.incident.triggered.json");
        let header = format!(
            "v1={},v1={}",
            hmac_hex(b"old-secret", &[body]),
            hmac_hex(b"new-secret", &[body])
        );
        let signed = headers(&[("X-PagerDuty-Signature", header.as_str())]);
        for secrets in [
            &[b"new-secret".as_slice()][..],
            &[b"old-secret".as_slice()],
            &[b"new-secret", b"old-secret"],
        ] {
            assert_eq!(
                verify(&signed, body, &VerifyConfig::new(secrets, now())),
                Ok(())
            );
        }
        let other: &[&[u8]] = &[b"someone-else"];
        assert_eq!(
            verify(&signed, body, &VerifyConfig::new(other, now())),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn missing_or_malformed_signatures_are_rejected() {
        let body = fixture!("pagerduty/v3.incident.triggered.json");
        let secrets: &[&[u8]] = &[b"secret"];
        let cfg = VerifyConfig::new(secrets, now());
        assert_eq!(verify(&headers(&[]), body, &cfg), Err(VerifyError::Missing));
        let garbage = headers(&[("X-PagerDuty-Signature", "v1=not-hex")]);
        assert_eq!(verify(&garbage, body, &cfg), Err(VerifyError::Mismatch));
    }
}

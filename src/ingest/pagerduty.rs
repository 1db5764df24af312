//! PagerDuty V3 webhooks: `{"event": {...}}`, one event per delivery.
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
    let event = NormalizedEvent {
        occurred_at: Some(json::req_time(&doc, "/event/occurred_at")?),
        kind,
        title: title(&doc, event_type)?,
        service: json::service_at(&doc, mapping, "/event/data/service/summary"),
        severity: severity(&doc),
        link: json::str_at(&doc, "/event/data/html_url")
            .or_else(|| json::str_at(&doc, "/event/data/incident/html_url"))
            .map(str::to_owned),
        actor: json::str_at(&doc, "/event/agent/summary").map(str::to_owned),
        correlation_key: Some(incident_id(&doc)?.to_owned()),
        dedupe_key: json::req_str(&doc, "/event/id")?.to_owned(),
        external_id: json::str_at(&doc, "/event/data/id").map(str::to_owned),
        raw_event_type: event_type.to_owned(),
    };
    Ok(Delivery::with_events(delivery_id, vec![event]))
}

/// Incident state changes map to their alert kinds; every other incident
/// event (notes, priority, responders, status updates...) is an annotation.
fn event_kind(event_type: &str) -> Option<EventKind> {
    let kind = match event_type.strip_prefix("incident.")? {
        "triggered" | "reopened" => EventKind::AlertTriggered,
        "acknowledged" => EventKind::AlertAcknowledged,
        "resolved" => EventKind::AlertResolved,
        "escalated" | "delegated" => EventKind::AlertEscalated,
        _ => EventKind::AlertAnnotated,
    };
    Some(kind)
}

/// Incident events carry the incident as `data`; note and status-update
/// events carry a reference to it as `data.incident`.
fn is_incident(doc: &Value) -> bool {
    json::str_at(doc, "/event/data/type") == Some("incident")
}

fn incident_id(doc: &Value) -> Result<&str, ParseError> {
    if is_incident(doc) {
        json::req_str(doc, "/event/data/id")
    } else {
        json::req_str(doc, "/event/data/incident/id")
    }
}

fn title(doc: &Value, event_type: &str) -> Result<String, ParseError> {
    let incident = if is_incident(doc) {
        json::req_str(doc, "/event/data/title")?
    } else {
        json::req_str(doc, "/event/data/incident/summary")?
    };
    let title = match event_type {
        "incident.triggered"
        | "incident.acknowledged"
        | "incident.resolved"
        | "incident.escalated" => incident.to_owned(),
        "incident.annotated" => match json::str_at(doc, "/event/data/content") {
            Some(note) => format!("Note on {incident}: {note}"),
            None => format!("Note on {incident}"),
        },
        "incident.status_update_published" => match json::str_at(doc, "/event/data/message") {
            Some(message) => format!("Status update on {incident}: {message}"),
            None => format!("Status update on {incident}"),
        },
        "incident.priority_updated" => match json::str_at(doc, "/event/data/priority/summary") {
            Some(priority) => format!("Priority set to {priority}: {incident}"),
            None => format!("Priority cleared: {incident}"),
        },
        other => format!(
            "{}: {incident}",
            sentence_case(other.trim_start_matches("incident."))
        ),
    };
    Ok(title)
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
    use super::super::testing::{at, default_mapping, headers, hmac_hex, now, only_event};
    use super::*;

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
            ("incident.reassigned", EventKind::AlertAnnotated),
            ("incident.responder.added", EventKind::AlertAnnotated),
        ];
        for (event_type, kind) in kinds {
            assert_eq!(event_kind(event_type), Some(kind), "{event_type}");
        }
        assert_eq!(event_kind("service.updated"), None);
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

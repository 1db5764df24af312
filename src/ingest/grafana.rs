//! Grafana's webhook contact point, in each shape Grafana has sent:
//!
//! - unified alerting (Grafana 8+, `version` "1"): the Alertmanager shape
//!   plus `dashboardURL`, `panelURL`, `values` and `valueString`;
//! - legacy dashboard alerting (Grafana 4 to 10): one rule per body with
//!   `ruleName`, `ruleId`, `state`, `evalMatches` and no time of its own
//!   (its `tags` stand for labels: severity and service);
//! - a custom payload template: read when it still holds one of the shapes
//!   above (a top-level array of them, or of alerts); anything else is for
//!   the integration's mapping rules.

use serde_json::{Map, Value, json};

use super::alertmanager;
use super::auth::{self, VerifyConfig, VerifyError};
use super::json::{self, ParseError};
use super::{Delivery, EventKind, FieldMapping, Headers, NormalizedEvent, Severity};

/// Where a unified alert links to, best first.
const LINKS: [&str; 3] = ["/panelURL", "/dashboardURL", "/generatorURL"];

const SIGNATURE_HEADER: &str = "x-grafana-alerting-signature";

/// With an HMAC configured, Grafana signs the body (or `{timestamp}:{body}`
/// when the contact point names a timestamp header). Without one, the
/// contact point's `Authorization` header carries the secret.
pub(super) fn verify(
    headers: &Headers,
    body: &[u8],
    cfg: &VerifyConfig,
) -> Result<(), VerifyError> {
    let Some(signature) = headers.get(SIGNATURE_HEADER) else {
        return auth::check_authorization(headers, cfg.secrets);
    };
    match cfg.grafana_timestamp_header {
        Some(name) => {
            let timestamp = headers.get(name).ok_or(VerifyError::Missing)?;
            let signed: [&[u8]; 3] = [timestamp.as_bytes(), b":", body];
            auth::check_hex_signatures([signature], cfg.secrets, &signed)?;
            auth::check_window(timestamp, cfg)
        }
        None => auth::check_hex_signatures([signature], cfg.secrets, &[body]),
    }
}

pub(super) fn parse(body: &[u8], mapping: &FieldMapping) -> Result<Delivery, ParseError> {
    let doc: Value =
        serde_json::from_slice(body).map_err(|err| ParseError::NotJson(err.to_string()))?;
    match &doc {
        Value::Object(fields) if fields.contains_key("alerts") => unified(&doc, mapping),
        Value::Object(fields) if is_legacy(fields) => legacy(&doc, body, mapping),
        Value::Array(items) => custom_array(items, body, mapping),
        _ => Err(custom_payload()),
    }
}

fn unified(doc: &Value, mapping: &FieldMapping) -> Result<Delivery, ParseError> {
    let events = alertmanager::alert_events(doc, mapping, &LINKS)?;
    Ok(Delivery::with_events(None, events))
}

/// A template that sent a list: of whole bodies, or of alerts.
fn custom_array(
    items: &[Value],
    body: &[u8],
    mapping: &FieldMapping,
) -> Result<Delivery, ParseError> {
    if items.is_empty() {
        return Ok(Delivery::ignored(
            None,
            "the Grafana payload is an empty list",
        ));
    }
    let all = |test: fn(&Map<String, Value>) -> bool| {
        items.iter().all(|item| item.as_object().is_some_and(test))
    };
    if all(|item| item.contains_key("alerts")) {
        let mut events = Vec::new();
        for item in items {
            events.extend(alertmanager::alert_events(item, mapping, &LINKS)?);
        }
        return Ok(Delivery::with_events(None, events));
    }
    if all(|item| item.contains_key("labels") && item.contains_key("status")) {
        let group = json!({ "alerts": items });
        return unified(&group, mapping);
    }
    if all(is_legacy) && items.len() == 1 {
        return legacy(&items[0], body, mapping);
    }
    Err(custom_payload())
}

fn custom_payload() -> ParseError {
    ParseError::WrongShape(
        "this Grafana payload comes from a custom template that is neither the unified \
         (`alerts`) nor the legacy (`ruleName`, `state`) shape; add a mapping rule to read it"
            .to_owned(),
    )
}

fn is_legacy(fields: &Map<String, Value>) -> bool {
    fields.contains_key("state")
        && ["ruleName", "ruleId", "evalMatches", "ruleUrl"]
            .iter()
            .any(|key| fields.contains_key(*key))
}

/// Legacy alerting: `alerting` triggers, `no_data` triggers at medium, `ok`
/// resolves; `paused` and `pending` change nothing on a timeline. The body
/// has no time, so the event takes its arrival time, and its key is the
/// body's digest (a retry is the same body).
fn legacy(doc: &Value, body: &[u8], mapping: &FieldMapping) -> Result<Delivery, ParseError> {
    let state = json::req_str(doc, "/state")?;
    let kind = match state {
        "alerting" | "no_data" => EventKind::AlertTriggered,
        "ok" => EventKind::AlertResolved,
        other => {
            return Ok(Delivery::ignored(
                None,
                format!("Grafana legacy alert state `{other}` is not an alert change"),
            ));
        }
    };
    let empty = Map::new();
    let tags = doc.get("tags").and_then(Value::as_object).unwrap_or(&empty);
    let rule = json::str_at(doc, "/ruleName")
        .or_else(|| json::str_at(doc, "/title"))
        .unwrap_or("Grafana alert");
    let rule_key = match json::id_at(doc, "/ruleId") {
        Some(id) => format!(
            "rule:{}:{id}",
            json::id_at(doc, "/orgId").unwrap_or_default()
        ),
        None => format!("rule:{rule}"),
    };
    let severity = alertmanager::label(tags, "severity")
        .and_then(Severity::from_label)
        .or((state == "no_data").then_some(Severity::Medium));
    let event = NormalizedEvent {
        occurred_at: None,
        kind,
        title: match json::str_at(doc, "/message") {
            Some(message) if state != "ok" => format!("{rule}: {message}"),
            _ => rule.to_owned(),
        },
        service: alertmanager::service(tags, mapping),
        severity,
        link: json::str_at(doc, "/ruleUrl").map(str::to_owned),
        actor: None,
        correlation_key: Some(rule_key.clone()),
        dedupe_key: format!("{rule_key}:{state}:{}", json::body_digest(body)),
        external_id: Some(rule_key),
        raw_event_type: format!("legacy.{state}"),
    };
    Ok(Delivery::with_events(None, vec![event]))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{
        at, default_mapping, headers, hmac_hex, now, only_event, service_mapping, vendor_fixture,
    };
    use super::super::{SourceKind, verify as verify_kind};
    use super::*;

    #[test]
    fn legacy_alerting_body_triggers_without_a_time_of_its_own() {
        let body = vendor_fixture!("grafana/legacy.alerting.json");
        let event = only_event(parse(body, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(event.occurred_at, None);
        assert_eq!(
            event.title,
            "Test rule: Someone is testing the alert notification within grafana."
        );
        assert_eq!(event.link.as_deref(), Some("http://localhost:3000/"));
        assert_eq!(event.correlation_key.as_deref(), Some("rule:0:0"));
        assert_eq!(event.raw_event_type, "legacy.alerting");
        let retried = only_event(parse(body, &default_mapping()).unwrap());
        assert_eq!(retried.dedupe_key, event.dedupe_key);
    }

    #[test]
    fn legacy_ok_body_resolves_the_same_rule() {
        let ok = only_event(
            parse(
                vendor_fixture!("grafana/legacy.ok.json"),
                &default_mapping(),
            )
            .unwrap(),
        );
        let alerting = only_event(
            parse(
                vendor_fixture!("grafana/legacy.alerting.json"),
                &default_mapping(),
            )
            .unwrap(),
        );
        assert_eq!(ok.kind, EventKind::AlertResolved);
        assert_eq!(ok.title, "Test rule");
        assert_eq!(ok.correlation_key, alerting.correlation_key);
        assert_ne!(ok.dedupe_key, alerting.dedupe_key);
    }

    #[test]
    fn legacy_states_map_to_kinds_or_are_ignored() {
        let state = |state: &str| {
            let body = format!(
                r#"{{"ruleId": 3, "orgId": 1, "ruleName": "Disk", "state": "{state}",
                    "tags": {{"severity": "critical", "service": "ledger"}}}}"#
            );
            parse(body.as_bytes(), &service_mapping("service")).unwrap()
        };
        let no_data = only_event(state("no_data"));
        assert_eq!(no_data.kind, EventKind::AlertTriggered);
        assert_eq!(no_data.severity, Some(Severity::Critical));
        assert_eq!(no_data.service.as_deref(), Some("ledger"));
        assert_eq!(no_data.correlation_key.as_deref(), Some("rule:1:3"));
        for quiet in ["paused", "pending"] {
            let delivery = state(quiet);
            assert!(delivery.events.is_empty(), "{quiet}");
            assert_eq!(
                delivery.ignored_reason,
                Some(format!(
                    "Grafana legacy alert state `{quiet}` is not an alert change"
                ))
            );
        }
        let untagged = br#"{"ruleName": "Quiet", "state": "no_data", "evalMatches": []}"#;
        let event = only_event(parse(untagged, &default_mapping()).unwrap());
        assert_eq!(event.severity, Some(Severity::Medium));
        assert_eq!(event.correlation_key.as_deref(), Some("rule:Quiet"));
    }

    #[test]
    fn unified_body_with_state_and_title_is_still_read_as_unified() {
        let body = vendor_fixture!("grafana/unified.v9.mixed.json");
        let delivery = parse(body, &default_mapping()).unwrap();
        let kinds: Vec<EventKind> = delivery.events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::AlertResolved,
                EventKind::AlertResolved,
                EventKind::AlertTriggered
            ]
        );
        assert_eq!(
            delivery.events[0].occurred_at,
            Some(at("2022-06-17T01:08:28.652747827Z"))
        );
        assert_eq!(delivery.events[0].service.as_deref(), Some("rabbitmq"));
    }

    #[test]
    fn custom_arrays_of_bodies_or_alerts_are_read_and_other_shapes_are_left_to_mapping() {
        let alerts = br#"[{"status": "firing", "labels": {"alertname": "CPU"},
            "startsAt": "2024-03-01T02:09:00+01:00", "values": {"B": 0.93},
            "valueString": "[ var='B' value=0.93 ]"}]"#;
        let event = only_event(parse(alerts, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(event.occurred_at, Some(at("2024-03-01T01:09:00Z")));
        let bodies = br#"[{"status": "resolved", "alerts": [{"status": "resolved",
            "labels": {"alertname": "CPU"}, "endsAt": "2024-03-01T03:00:00Z"}]}]"#;
        let event = only_event(parse(bodies, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertResolved);
        let empty = parse(b"[]", &default_mapping()).unwrap();
        assert!(empty.events.is_empty() && empty.ignored_reason.is_some());
        for custom in [
            br#"[{"text": "CPU high"}]"#.as_slice(),
            br#"{"text": "CPU high"}"#,
            b"7",
        ] {
            let err = parse(custom, &default_mapping()).unwrap_err();
            assert!(err.to_string().contains("mapping rule"), "{err}");
        }
    }

    const SECRET: &[u8] = b"grafana-secret";

    #[test]
    fn v11_firing_fixture_links_to_the_panel() {
        let event = only_event(
            parse(
                fixture!("grafana/firing.v11-values.json"),
                &default_mapping(),
            )
            .unwrap(),
        );
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(event.occurred_at, Some(at("2024-03-01T02:09:00Z")));
        assert_eq!(event.title, "Memory (copy): High memory usage");
        assert_eq!(event.service, None);
        assert_eq!(event.severity, None);
        assert_eq!(
            event.correlation_key.as_deref(),
            Some("{}/{debug=\"true\"}:{alertname=\"Memory (copy)\", grafana_folder=\"device\"}")
        );
        assert_eq!(
            event.dedupe_key,
            "e6349a25f5ef0e9e:firing:2024-03-01T02:09:00Z"
        );
        assert_eq!(
            event.link.as_deref(),
            Some(
                "https://play.grafana.org/d/ece9fb32-7f71-4be9-bd94-2f23608ae5b9?orgId=1&viewPanel=2"
            )
        );
    }

    #[test]
    fn v9_resolved_fixture_resolves_at_ends_at_and_falls_back_to_the_rule_link() {
        let event =
            only_event(parse(fixture!("grafana/resolved.v9.json"), &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertResolved);
        assert_eq!(
            event.occurred_at,
            Some(at("2022-06-17T00:51:24.067337833Z"))
        );
        assert_eq!(
            event.title,
            "Test alert: This is a summary field, failure on <no value>"
        );
        assert_eq!(event.service, None);
        assert_eq!(event.severity, None);
        assert_eq!(
            event.correlation_key.as_deref(),
            Some("{}/{test=\"true\"}:{}")
        );
        assert_eq!(
            event.dedupe_key,
            "d8a21484c9c25a60:resolved:2022-06-17T00:51:24.067337833Z"
        );
        assert_eq!(
            event.link.as_deref(),
            Some("https://grafana.example.com/alerting/grafana/zTjxv_C7k/view")
        );
    }

    #[test]
    fn docs_example_fixture_gives_one_event_per_alert() {
        let delivery = parse(
            fixture!("grafana/firing.docs-example.json"),
            &default_mapping(),
        )
        .unwrap();
        let summary: Vec<(EventKind, String, String)> = delivery
            .events
            .iter()
            .map(|e| (e.kind, e.title.clone(), e.occurred_at.unwrap().to_rfc3339()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    EventKind::AlertTriggered,
                    "High memory usage: This alert was triggered for zone us-1".to_owned(),
                    "2021-10-12T07:51:03.157076+00:00".to_owned()
                ),
                (
                    EventKind::AlertTriggered,
                    "High CPU usage: This alert was triggered for zone eu-1".to_owned(),
                    "2021-10-12T07:56:03.157076+00:00".to_owned()
                ),
            ]
        );
        assert_eq!(
            delivery.events[0].dedupe_key,
            "c6eadffa33fcdf37:firing:2021-10-12T09:51:03.157076+02:00"
        );
        assert_eq!(delivery.events[1].correlation_key.as_deref(), Some("{}:{}"));
        for event in &delivery.events {
            assert_eq!(event.service, None);
            assert_eq!(event.severity, None);
        }
        assert_eq!(
            delivery.events[1].link.as_deref(),
            Some("https://play.grafana.org/alerting/d1rdpdv7k/edit")
        );
    }

    #[test]
    fn body_signature_is_checked_without_a_timestamp_header() {
        let body = fixture!("grafana/resolved.v9.json");
        let signature = hmac_hex(SECRET, &[body]);
        let secrets: &[&[u8]] = &[SECRET];
        let cfg = VerifyConfig::new(secrets, now());
        let good = headers(&[("X-Grafana-Alerting-Signature", signature.as_str())]);
        assert_eq!(verify_kind(SourceKind::Grafana, &good, body, &cfg), Ok(()));
        let tampered = [body, b" "].concat();
        assert_eq!(
            verify_kind(SourceKind::Grafana, &good, &tampered, &cfg),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn timestamped_signature_covers_the_timestamp_and_must_be_recent() {
        let body = fixture!("grafana/firing.v11-values.json");
        let secrets: &[&[u8]] = &[SECRET];
        let cfg = VerifyConfig {
            grafana_timestamp_header: Some("X-Grafana-Alerting-Signature-Timestamp"),
            ..VerifyConfig::new(secrets, now())
        };
        let signed = |ts: i64| {
            let ts = ts.to_string();
            let signature = hmac_hex(SECRET, &[ts.as_bytes(), b":", body]);
            headers(&[
                ("X-Grafana-Alerting-Signature", signature.as_str()),
                ("X-Grafana-Alerting-Signature-Timestamp", ts.as_str()),
            ])
        };
        assert_eq!(verify(&signed(now().timestamp() - 60), body, &cfg), Ok(()));
        assert_eq!(
            verify(&signed(now().timestamp() - 3600), body, &cfg),
            Err(VerifyError::Expired)
        );
        let body_only = hmac_hex(SECRET, &[body]);
        let unstamped = headers(&[("X-Grafana-Alerting-Signature", body_only.as_str())]);
        assert_eq!(verify(&unstamped, body, &cfg), Err(VerifyError::Missing));
    }

    #[test]
    fn without_a_signature_the_bearer_token_is_checked() {
        let secrets: &[&[u8]] = &[SECRET];
        let cfg = VerifyConfig::new(secrets, now());
        let body = fixture!("grafana/resolved.v9.json");
        let bearer = headers(&[("Authorization", "Bearer grafana-secret")]);
        assert_eq!(verify(&bearer, body, &cfg), Ok(()));
        assert_eq!(verify(&headers(&[]), body, &cfg), Err(VerifyError::Missing));
    }
}

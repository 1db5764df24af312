//! Prometheus Alertmanager `webhook_config` deliveries (version 4). Grafana's
//! webhook contact point sends the same shape, so [`alert_events`] serves both.
//!
//! One event per alert in `alerts[]`: firing at `startsAt`, resolved at
//! `endsAt`. A firing alert's `endsAt` is Alertmanager's guess at expiry and
//! moves with every re-notification, so it is never used for firing alerts.
//! Older versions send no per-alert `status` (the group's then holds for
//! every alert) and no `fingerprint` (computed from the labels as
//! Alertmanager does); `endsAt` of Go's zero time means unset.

use serde_json::{Map, Value};

use super::json::{self, ParseError};
use super::{Delivery, EventKind, FieldMapping, NormalizedEvent, Severity};

/// Labels tried in order for the service when no mapping names one.
const DEFAULT_SERVICE_LABELS: [&str; 4] = ["service", "job", "app", "namespace"];

pub(super) fn parse(body: &[u8], mapping: &FieldMapping) -> Result<Delivery, ParseError> {
    let doc = json::parse_object(body)?;
    let events = alert_events(&doc, mapping, &["/generatorURL"])?;
    Ok(Delivery::with_events(None, events))
}

/// Maps every alert of an Alertmanager-shaped body; `link_pointers` are tried
/// in order on each alert for its link.
pub(super) fn alert_events(
    doc: &Value,
    mapping: &FieldMapping,
    link_pointers: &[&str],
) -> Result<Vec<NormalizedEvent>, ParseError> {
    let alerts = doc
        .get("alerts")
        .and_then(Value::as_array)
        .ok_or_else(|| json::missing("/alerts"))?;
    let group = Group {
        key: json::id_at(doc, "/groupKey"),
        status: json::str_at(doc, "/status"),
    };
    alerts
        .iter()
        .enumerate()
        .map(|(index, alert)| alert_event(alert, index, &group, mapping, link_pointers))
        .collect()
}

/// What the group says for all its alerts.
struct Group<'a> {
    key: Option<String>,
    status: Option<&'a str>,
}

fn alert_event(
    alert: &Value,
    index: usize,
    group: &Group<'_>,
    mapping: &FieldMapping,
    link_pointers: &[&str],
) -> Result<NormalizedEvent, ParseError> {
    let empty = Map::new();
    let labels = alert
        .get("labels")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let status = json::str_at(alert, "/status")
        .or(group.status)
        .ok_or_else(|| json::missing(&format!("/alerts/{index}/status")))?;
    let (kind, time_field) = match status {
        "firing" => (EventKind::AlertTriggered, "/startsAt"),
        "resolved" => (EventKind::AlertResolved, "/endsAt"),
        _ => return Err(json::missing(&format!("/alerts/{index}/status"))),
    };
    let occurred_at = json::time_at(alert, time_field);
    // The sent text keeps keys stable whatever the offset; a resolved alert
    // with no end is keyed by the start of the episode it ends.
    let stamp = match (occurred_at, json::str_at(alert, time_field)) {
        (Some(_), Some(text)) => text.to_owned(),
        _ => format!("since:{}", json::str_at(alert, "/startsAt").unwrap_or("")),
    };
    let fingerprint = json::str_at(alert, "/fingerprint")
        .map(str::to_owned)
        .unwrap_or_else(|| fingerprint(labels));
    Ok(NormalizedEvent {
        occurred_at,
        kind,
        title: title(labels, alert),
        service: service(labels, mapping),
        severity: label(labels, "severity")
            .or_else(|| label(labels, "priority"))
            .and_then(Severity::from_label),
        link: link_pointers
            .iter()
            .find_map(|pointer| json::str_at(alert, pointer))
            .map(str::to_owned),
        actor: None,
        correlation_key: group.key.clone(),
        dedupe_key: format!("{fingerprint}:{status}:{stamp}"),
        external_id: Some(fingerprint),
        raw_event_type: status.to_owned(),
    })
}

pub(super) fn label<'a>(labels: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    labels
        .get(name)
        .and_then(Value::as_str)
        .filter(|value| !value.trim().is_empty())
}

pub(super) fn service(labels: &Map<String, Value>, mapping: &FieldMapping) -> Option<String> {
    let found = match mapping.service_field.as_deref() {
        Some(name) => label(labels, name),
        None => DEFAULT_SERVICE_LABELS
            .iter()
            .find_map(|name| label(labels, name)),
    };
    found.map(str::to_owned)
}

/// "alertname: summary", from whichever of them the alert has.
fn title(labels: &Map<String, Value>, alert: &Value) -> String {
    let name = label(labels, "alertname");
    let summary = ["summary", "message", "description"]
        .iter()
        .find_map(|field| json::str_at(alert, &format!("/annotations/{field}")));
    match (name, summary) {
        (Some(name), Some(summary)) if name != summary => format!("{name}: {summary}"),
        (Some(name), _) => name.to_owned(),
        (None, Some(summary)) => summary.to_owned(),
        (None, None) => "Alert".to_owned(),
    }
}

/// Alertmanager's own fingerprint of a label set (FNV-1a 64 over the sorted
/// names and values, each followed by 0xff), for payloads older than the
/// `fingerprint` field: the same alert gets the same key either way.
fn fingerprint(labels: &Map<String, Value>) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut names: Vec<&String> = labels.keys().collect();
    names.sort();
    let mut hash = OFFSET;
    for name in names {
        let value = labels.get(name).and_then(Value::as_str).unwrap_or_default();
        for part in [name.as_bytes(), &[0xff], value.as_bytes(), &[0xff]] {
            for byte in part {
                hash = (hash ^ u64::from(*byte)).wrapping_mul(PRIME);
            }
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, default_mapping, only_event, service_mapping};
    use super::*;

    const FIRE_GROUP: &str = "{}:{alertname=\"Fire\"}";

    #[test]
    fn firing_fixture_without_fingerprint_maps_to_a_triggered_alert() {
        let delivery = parse(fixture!("alertmanager/firing.json"), &default_mapping()).unwrap();
        assert_eq!(delivery.delivery_id, None);
        let event = only_event(delivery);
        assert_eq!(event.kind, EventKind::AlertTriggered);
        // startsAt, not the non-zero endsAt a firing alert carries.
        assert_eq!(
            event.occurred_at,
            Some(at("2018-11-04T21:43:58.283995108Z"))
        );
        assert_eq!(event.title, "Fire: Something is on fire");
        assert_eq!(event.service, None);
        assert_eq!(event.severity, Some(Severity::Critical));
        assert_eq!(event.correlation_key.as_deref(), Some(FIRE_GROUP));
        // The fingerprint Alertmanager itself computes for these labels.
        assert_eq!(event.external_id.as_deref(), Some("88cbf0084cf27726"));
        assert_eq!(
            event.dedupe_key,
            "88cbf0084cf27726:firing:2018-11-04T22:43:58.283995108+01:00"
        );
        assert_eq!(
            event.link.as_deref(),
            Some("http://localhost:9090/graph?g0.expr=vector%28666%29&g0.tab=1")
        );
    }

    #[test]
    fn resolved_fixture_maps_to_a_resolved_alert_at_ends_at() {
        let event =
            only_event(parse(fixture!("alertmanager/resolved.json"), &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertResolved);
        assert_eq!(
            event.occurred_at,
            Some(at("2018-11-04T21:48:13.283995108Z"))
        );
        assert_eq!(event.service, None);
        assert_eq!(event.title, "Fire: Something is on fire");
        assert_eq!(event.severity, Some(Severity::Critical));
        assert_eq!(event.correlation_key.as_deref(), Some(FIRE_GROUP));
        // Same alert as the firing fixture: same fingerprint, different key.
        assert_eq!(
            event.dedupe_key,
            "88cbf0084cf27726:resolved:2018-11-04T22:48:13.283995108+01:00"
        );
    }

    #[test]
    fn two_alert_fixture_gives_two_events_with_their_own_fingerprints() {
        let delivery = parse(
            fixture!("alertmanager/firing.two-alerts.json"),
            &default_mapping(),
        )
        .unwrap();
        assert_eq!(delivery.events.len(), 2);
        let keys: Vec<&str> = delivery
            .events
            .iter()
            .map(|e| e.dedupe_key.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "a1bc48475b20e73d:firing:2020-02-06T00:17:58.432911368Z",
                "c2ea85182f28cbd9:firing:2020-02-06T00:17:58.432911368Z"
            ]
        );
        for event in &delivery.events {
            assert_eq!(event.kind, EventKind::AlertTriggered);
            assert_eq!(
                event.occurred_at,
                Some(at("2020-02-06T00:17:58.432911368Z"))
            );
            assert_eq!(
                event.title,
                "High CPU Temperature: High CPU core temperature"
            );
            assert_eq!(event.severity, Some(Severity::Critical));
            assert_eq!(event.service, None);
            assert_eq!(event.correlation_key.as_deref(), Some("{}/{}:{}"));
        }
        let by_host = parse(
            fixture!("alertmanager/firing.two-alerts.json"),
            &service_mapping("host"),
        )
        .unwrap();
        assert_eq!(by_host.events[0].service.as_deref(), Some("andromeda"));
    }

    #[test]
    fn kubernetes_fixture_takes_the_job_label_as_service_by_default() {
        let body = fixture!("alertmanager/resolved.k8s-with-fingerprint.json");
        let event = only_event(parse(body, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertResolved);
        assert_eq!(event.occurred_at, Some(at("2022-07-29T11:17:27.3Z")));
        assert_eq!(
            event.title,
            "Deployment: Kubernetes Deployment Replicas Mismatch"
        );
        assert_eq!(event.service.as_deref(), Some("eric-pm-kube-state-metrics"));
        assert_eq!(event.severity, Some(Severity::Medium));
        assert_eq!(
            event.correlation_key.as_deref(),
            Some("{}:{alertname=\"Deployment\"}")
        );
        assert_eq!(
            event.dedupe_key,
            "fbab788ec4c1018b:resolved:2022-07-29T11:17:27.3Z"
        );
        // The sent fingerprint is the one we would have computed.
        let labels = serde_json::from_slice::<Value>(body).unwrap()["alerts"][0]["labels"].clone();
        assert_eq!(fingerprint(labels.as_object().unwrap()), "fbab788ec4c1018b");

        let by_deployment = parse(body, &service_mapping("deployment")).unwrap();
        assert_eq!(
            by_deployment.events[0].service.as_deref(),
            Some("eric-log-transformer")
        );
    }

    #[test]
    fn a_body_without_alerts_or_any_status_is_named_in_the_error() {
        let no_alerts = parse(br#"{"status": "firing"}"#, &default_mapping()).unwrap_err();
        assert_eq!(no_alerts, json::missing("/alerts"));
        let no_status = br#"{"alerts": [{"labels": {}, "startsAt": "2020-02-06T00:17:58Z"}]}"#;
        assert_eq!(
            parse(no_status, &default_mapping()).unwrap_err(),
            json::missing("/alerts/0/status")
        );
    }

    /// Alertmanager before per-alert statuses (the shape of 0.18's bodies
    /// quoted in prometheus/alertmanager#1423): the group's status holds.
    const OLD_GROUP: &[u8] = br#"{"receiver": "telegram", "status": "firing", "version": "4",
        "groupKey": "{}:{alertname=\"HardwareError_ServiceDown\"}",
        "alerts": [{"labels": {"alertname": "HardwareError_ServiceDown", "job": "prometheus",
            "severity": "emergency"},
          "annotations": {"summary": "Service apis.service of instance 127.0.0.1:9099 down"},
          "startsAt": "2019-07-26T06:54:59.752369975Z", "endsAt": "0001-01-01T00:00:00Z"}]}"#;

    #[test]
    fn alerts_without_their_own_status_take_the_groups() {
        let event = only_event(parse(OLD_GROUP, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(
            event.occurred_at,
            Some(at("2019-07-26T06:54:59.752369975Z"))
        );
        assert_eq!(event.service.as_deref(), Some("prometheus"));
        assert_eq!(event.severity, Some(Severity::Critical));
        let resolved = String::from_utf8(OLD_GROUP.to_vec()).unwrap().replacen(
            "\"firing\"",
            "\"resolved\"",
            1,
        );
        let event = only_event(parse(resolved.as_bytes(), &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertResolved);
    }

    #[test]
    fn a_resolved_alert_with_an_unset_end_has_no_time_and_a_key_of_its_episode() {
        let body = br#"{"status": "resolved", "alerts": [{"status": "resolved",
            "labels": {"alertname": "Fire"}, "startsAt": "2020-02-06T00:17:58Z",
            "endsAt": "0001-01-01T00:00:00Z"}]}"#;
        let event = only_event(parse(body, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertResolved);
        assert_eq!(event.occurred_at, None);
        let again = only_event(parse(body, &default_mapping()).unwrap());
        assert_eq!(event.dedupe_key, again.dedupe_key);
        assert!(
            event
                .dedupe_key
                .ends_with(":resolved:since:2020-02-06T00:17:58Z")
        );
    }

    #[test]
    fn times_with_offsets_are_read_in_utc_and_a_missing_start_is_no_time() {
        // Alertmanager 0.8 as quoted in alerta/alerta#374: a local offset.
        let body = br#"{"status": "firing", "alerts": [
            {"status": "firing", "labels": {"alertname": "thing_dead"},
             "startsAt": "2017-08-03T15:17:37.804-04:00", "endsAt": "0001-01-01T00:00:00Z"},
            {"status": "firing", "labels": {"alertname": "thing_dead", "n": "2"}}]}"#;
        let delivery = parse(body, &default_mapping()).unwrap();
        assert_eq!(
            delivery.events[0].occurred_at,
            Some(at("2017-08-03T19:17:37.804Z"))
        );
        assert_eq!(delivery.events[1].occurred_at, None);
        assert_eq!(delivery.events[0].correlation_key, None);
    }

    #[test]
    fn a_numeric_group_key_is_kept_as_text() {
        let body = br#"{"status": "firing", "groupKey": 666, "alerts": [{"status": "firing",
            "labels": {"alertname": "x"}, "startsAt": "2019-03-14T17:05:37.903Z"}]}"#;
        let event = only_event(parse(body, &default_mapping()).unwrap());
        assert_eq!(event.correlation_key.as_deref(), Some("666"));
    }

    #[test]
    fn a_delivery_with_no_alerts_says_so() {
        let delivery = parse(br#"{"status": "firing", "alerts": []}"#, &default_mapping()).unwrap();
        assert!(delivery.events.is_empty());
        assert_eq!(
            delivery.ignored_reason.as_deref(),
            Some("the delivery holds no events")
        );
    }

    #[test]
    fn truncated_and_non_json_bodies_are_parse_errors() {
        let body = fixture!("alertmanager/firing.json");
        let truncated = &body[..body.len() / 2];
        assert!(matches!(
            parse(truncated, &default_mapping()),
            Err(ParseError::NotJson(_))
        ));
        assert!(matches!(
            parse(b"alert=Fire", &default_mapping()),
            Err(ParseError::NotJson(_))
        ));
    }
}

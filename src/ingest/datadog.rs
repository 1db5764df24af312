//! Datadog's Webhooks integration. The body is whatever the webhook's payload
//! template renders; this reads Datadog's default template (`title`, `date`,
//! `id`, `body`, ...) plus the fields a custom template would add from
//! Datadog's variables: `alert_transition` ($ALERT_TRANSITION), `alert_type`
//! ($ALERT_TYPE), `priority` ($PRIORITY), `alert_cycle_key`
//! ($ALERT_CYCLE_KEY), `aggregate` ($AGGREG_KEY), `alert_id` ($ALERT_ID),
//! `alert_title` ($ALERT_TITLE), `tags` ($TAGS), `link` ($LINK). A custom
//! template that names a transition is read; one that does not is left to
//! the integration's mapping rules (answered with the reason, not an error).

use serde_json::Value;

use super::json::{self, ParseError};
use super::{Delivery, EventKind, FieldMapping, NormalizedEvent, Severity};

pub(super) fn parse(body: &[u8], mapping: &FieldMapping) -> Result<Delivery, ParseError> {
    let doc = json::parse_object(body)?;
    let raw_title = ["/title", "/alert_title", "/event_title"]
        .iter()
        .find_map(|pointer| json::str_at(&doc, pointer))
        .unwrap_or("");
    let (prefixes, title) = split_title(raw_title);
    let transition = json::str_at(&doc, "/alert_transition").or_else(|| {
        prefixes
            .iter()
            .copied()
            .find(|p| transition_kind(p).is_some())
    });
    let Some(transition) = transition else {
        return Ok(Delivery::ignored(
            None,
            "the Datadog notification names no alert transition",
        ));
    };
    let Some(kind) = transition_kind(transition) else {
        return Ok(Delivery::ignored(
            None,
            format!("Datadog transition `{transition}` is not an alert change"),
        ));
    };
    let id = json::id_at(&doc, "/id");
    // $DATE is when the event happened; $LAST_UPDATED when it last changed.
    let occurred_at = json::time_at(&doc, "/date").or_else(|| json::time_at(&doc, "/last_updated"));
    let link = json::str_at(&doc, "/link")
        .map(str::to_owned)
        .or_else(|| json::str_at(&doc, "/body").and_then(first_link));
    let correlation_key = ["/alert_cycle_key", "/aggregate"]
        .iter()
        .find_map(|pointer| json::str_at(&doc, pointer).map(str::to_owned))
        .or_else(|| json::id_at(&doc, "/alert_id"))
        .or_else(|| link.as_deref().and_then(monitor_id));
    let event = NormalizedEvent {
        occurred_at,
        kind,
        title: if title.is_empty() {
            format!("Datadog monitor {transition}")
        } else {
            title.to_owned()
        },
        service: service(&doc, mapping),
        severity: severity(&doc, &prefixes, transition),
        link,
        actor: None,
        correlation_key,
        dedupe_key: id
            .clone()
            .unwrap_or_else(|| format!("body:{}", json::body_digest(body))),
        external_id: id,
        raw_event_type: json::str_at(&doc, "/event_type")
            .unwrap_or("datadog")
            .to_owned(),
    };
    Ok(Delivery::with_events(None, vec![event]))
}

/// "[P1] [Triggered on {host:a}] [TEST] CPU high" -> (["P1", "Triggered on
/// {host:a}"], "[TEST] CPU high"): leading priority and transition tags only.
fn split_title(title: &str) -> (Vec<&str>, &str) {
    let mut prefixes = Vec::new();
    let mut rest = title.trim();
    while let Some(inner) = rest.strip_prefix('[') {
        let Some((tag, after)) = inner.split_once(']') else {
            break;
        };
        if transition_kind(tag).is_none() && !is_priority(tag) {
            break;
        }
        prefixes.push(tag);
        rest = after.trim_start();
    }
    (prefixes, rest)
}

fn is_priority(tag: &str) -> bool {
    matches!(tag.as_bytes(), [b'P', b'1'..=b'5'])
}

/// Datadog's transitions, as in titles ("Triggered on {host:a}") and in
/// $ALERT_TRANSITION ("Triggered", "Recovered", "Warn", "No Data", ...).
fn transition_kind(transition: &str) -> Option<EventKind> {
    let word = transition.split(" on ").next().unwrap_or(transition).trim();
    match word.to_ascii_lowercase().as_str() {
        "triggered" | "re-triggered" | "renotify" | "warn" | "re-warn" | "warning" | "no data"
        | "re-no data" => Some(EventKind::AlertTriggered),
        "recovered" | "warn recovered" | "no data recovered" => Some(EventKind::AlertResolved),
        _ => None,
    }
}

/// $PRIORITY or a `[P1]` title tag, then $ALERT_TYPE, then the transition.
fn severity(doc: &Value, prefixes: &[&str], transition: &str) -> Option<Severity> {
    let priority = json::str_at(doc, "/priority")
        .or_else(|| prefixes.iter().copied().find(|p| is_priority(p)));
    if let Some(severity) = priority.and_then(Severity::from_label) {
        return Some(severity);
    }
    if let Some(alert_type) = json::str_at(doc, "/alert_type") {
        return Severity::from_label(alert_type);
    }
    let lower = transition.to_ascii_lowercase();
    if lower.contains("recovered") {
        None
    } else if lower.contains("warn") || lower.contains("no data") {
        Some(Severity::Medium)
    } else {
        Some(Severity::High)
    }
}

/// The value of tag `<field>` in `tags` (a "$TAGS" string or a list), else a
/// top-level field of that name; `service` by default.
fn service(doc: &Value, mapping: &FieldMapping) -> Option<String> {
    let field = mapping.service_field.as_deref().unwrap_or("service");
    let prefix = format!("{field}:");
    let tags: Vec<&str> = match doc.get("tags") {
        Some(Value::String(list)) => list.split(',').collect(),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    tags.iter()
        .find_map(|tag| tag.trim().strip_prefix(&prefix))
        .filter(|value| !value.is_empty())
        .or_else(|| json::str_at(doc, &format!("/{field}")))
        .map(str::to_owned)
}

/// The first Markdown link target in the message body.
fn first_link(body: &str) -> Option<String> {
    let start = body.find("](http")? + 2;
    let end = body[start..].find(')')? + start;
    Some(body[start..end].to_owned())
}

/// "https://app.datadoghq.com/monitors#18692904?" -> "18692904".
fn monitor_id(link: &str) -> Option<String> {
    let (_, rest) = link.split_once("/monitors")?;
    let rest = rest.strip_prefix('#').or_else(|| rest.strip_prefix('/'))?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, default_mapping, only_event, service_mapping};
    use super::*;

    #[test]
    fn default_payload_fixture_is_a_triggered_monitor() {
        let event = only_event(
            parse(
                fixture!("datadog/default-payload.triggered.json"),
                &default_mapping(),
            )
            .unwrap(),
        );
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(event.occurred_at, Some(at("2020-06-03T20:43:05Z")));
        assert_eq!(event.title, "[TEST] Host Cluster Alert");
        assert_eq!(event.service, None);
        assert_eq!(event.severity, Some(Severity::High));
        assert_eq!(
            event.link.as_deref(),
            Some("https://app.datadoghq.com/monitors#18692904?")
        );
        assert_eq!(event.correlation_key.as_deref(), Some("18692904"));
        assert_eq!(event.dedupe_key, "5485379890863845239");
        assert_eq!(event.raw_event_type, "service_check");
    }

    #[test]
    fn custom_template_fields_take_precedence() {
        let body = br#"{"id": "7", "title": "[P2] [Recovered on {host:web-1}] Latency high",
            "date": "1591216985000", "alert_transition": "Recovered", "alert_type": "success",
            "alert_cycle_key": "cycle-42", "tags": "env:prod,service:checkout", "priority": "P2",
            "link": "https://app.datadoghq.com/event/event?id=7"}"#;
        let event = only_event(parse(body, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertResolved);
        assert_eq!(event.title, "Latency high");
        assert_eq!(event.service.as_deref(), Some("checkout"));
        assert_eq!(event.severity, Some(Severity::High));
        assert_eq!(event.correlation_key.as_deref(), Some("cycle-42"));
        let by_env = only_event(parse(body, &service_mapping("env")).unwrap());
        assert_eq!(by_env.service.as_deref(), Some("prod"));
    }

    #[test]
    fn a_custom_template_with_only_a_transition_and_an_epoch_is_read() {
        let body = br#"{"alert_transition": "Triggered", "alert_title": "[P1] Checkout 5xx",
            "alert_id": 18692904, "date": 1591216985.5, "tags": ["service:checkout"]}"#;
        let event = only_event(parse(body, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(event.title, "Checkout 5xx");
        assert_eq!(event.occurred_at, Some(at("2020-06-03T20:43:05.500Z")));
        assert_eq!(event.severity, Some(Severity::Critical));
        assert_eq!(event.service.as_deref(), Some("checkout"));
        assert_eq!(event.correlation_key.as_deref(), Some("18692904"));
        assert_eq!(event.external_id, None);
        let again = only_event(parse(body, &default_mapping()).unwrap());
        assert_eq!(again.dedupe_key, event.dedupe_key);
        let bare = br#"{"alert_transition": "Recovered"}"#;
        let event = only_event(parse(bare, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::AlertResolved);
        assert_eq!(event.occurred_at, None);
        assert_eq!(event.title, "Datadog monitor Recovered");
    }

    #[test]
    fn a_custom_template_with_nothing_to_read_is_left_to_mapping_rules() {
        let body = br#"{"text": "CPU is high on web-1", "when": "now"}"#;
        let delivery = parse(body, &default_mapping()).unwrap();
        assert!(delivery.events.is_empty());
        assert_eq!(
            delivery.ignored_reason.as_deref(),
            Some("the Datadog notification names no alert transition")
        );
    }

    #[test]
    fn notifications_without_a_transition_are_ignored() {
        let body = br#"{"id": "8", "title": "Weekly digest", "date": "1591216985000"}"#;
        let delivery = parse(body, &default_mapping()).unwrap();
        assert!(delivery.events.is_empty());
        assert!(delivery.ignored_reason.is_some());
    }

    #[test]
    fn warn_titles_are_medium_triggers() {
        let (prefixes, title) = split_title("[Warn on {host:db}] Disk 85%");
        assert_eq!(
            (prefixes.as_slice(), title),
            (["Warn on {host:db}"].as_slice(), "Disk 85%")
        );
        assert_eq!(
            severity(&Value::Null, &prefixes, prefixes[0]),
            Some(Severity::Medium)
        );
    }
}

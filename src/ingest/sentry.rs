//! Sentry integration-platform webhooks, by `Sentry-Hook-Resource` (or, when
//! a proxy dropped the header, by what `data` holds):
//!
//! - `issue`: created and unresolved trigger, resolved resolves, assigned
//!   acknowledges, ignored and archived annotate;
//! - `event_alert`: an issue alert rule fired on an event (`data.event`,
//!   `data.triggered_rule`): a trigger at the event's time;
//! - `metric_alert`: critical and warning trigger at `date_detected`,
//!   resolved resolves at `date_closed`;
//! - `error`: a new error event (`data.error`) triggers at its time.
//!
//! Times are the body's own; `Sentry-Hook-Timestamp` is when the hook was
//! sent, so it is never the event's time, and keys never depend on it.
//! Without a service mapping the service is the project's slug: the issue's
//! `project.slug`, the slug in an event's API `url`, a metric alert's first
//! `projects` entry.

use serde_json::Value;

use super::auth::{self, VerifyConfig, VerifyError};
use super::json::{self, ParseError};
use super::{Delivery, EventKind, FieldMapping, Headers, NormalizedEvent, Severity};

/// `Sentry-Hook-Signature: <hex HMAC-SHA256 of the body>` with the
/// integration's client secret.
pub(super) fn verify(
    headers: &Headers,
    body: &[u8],
    cfg: &VerifyConfig,
) -> Result<(), VerifyError> {
    let signature = headers
        .get("sentry-hook-signature")
        .ok_or(VerifyError::Missing)?;
    auth::check_hex_signatures([signature], cfg.secrets, &[body])
}

/// An event, or the reason a valid body holds none.
type Mapped = Result<NormalizedEvent, String>;

pub(super) fn parse(
    headers: &Headers,
    body: &[u8],
    mapping: &FieldMapping,
) -> Result<Delivery, ParseError> {
    let delivery_id = headers.get("request-id");
    let doc = json::parse_object(body)?;
    let resource = headers
        .get("sentry-hook-resource")
        .map(str::trim)
        .or_else(|| resource_of(&doc))
        .unwrap_or("issue");
    let mapped = match resource {
        "issue" => issue(&doc, mapping)?,
        "event_alert" => event_alert(&doc, mapping)?,
        "metric_alert" => metric_alert(&doc, mapping)?,
        "error" => error(&doc, mapping)?,
        other => Err(format!("Sentry `{other}` webhooks are not alert events")),
    };
    Ok(match mapped {
        Ok(event) => Delivery::with_events(delivery_id, vec![event]),
        Err(reason) => Delivery::ignored(delivery_id, reason),
    })
}

fn resource_of(doc: &Value) -> Option<&'static str> {
    let data = doc.get("data")?;
    [
        ("issue", "issue"),
        ("metric_alert", "metric_alert"),
        ("error", "error"),
        ("event", "event_alert"),
    ]
    .into_iter()
    .find_map(|(field, resource)| data.get(field).map(|_| resource))
}

fn issue(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let action = json::req_str(doc, "/action")?;
    let kind = match action {
        "created" | "unresolved" => EventKind::AlertTriggered,
        "resolved" => EventKind::AlertResolved,
        "assigned" => EventKind::AlertAcknowledged,
        "archived" | "ignored" => EventKind::AlertAnnotated,
        other => return Ok(Err(format!("Sentry issue action `{other}`"))),
    };
    let issue_id = json::req_id(doc, "/data/issue/id")?;
    // The body says when the issue was first and last seen: a new issue
    // at its first event, any later change at its last one.
    let time_field = if action == "created" {
        "/data/issue/firstSeen"
    } else {
        "/data/issue/lastSeen"
    };
    let occurred_at = json::time_at(doc, time_field);
    let stamp = occurred_at.map_or_else(String::new, |t| t.timestamp_millis().to_string());
    let assignee = (action == "assigned")
        .then(|| {
            ["/data/assignee", "/data/issue/assignedTo"]
                .iter()
                .find_map(|pointer| {
                    let id = json::id_at(doc, &format!("{pointer}/id"))?;
                    let kind = json::str_at(doc, &format!("{pointer}/type")).unwrap_or("user");
                    Some(format!(":{kind}:{id}"))
                })
        })
        .flatten()
        .unwrap_or_default();
    let title = json::req_str(doc, "/data/issue/title")?;
    Ok(Ok(NormalizedEvent {
        occurred_at,
        kind,
        title: match kind {
            EventKind::AlertAnnotated => format!("Issue {action}: {title}"),
            _ => title.to_owned(),
        },
        service: json::service_at(doc, mapping, "/data/issue/project/slug"),
        severity: json::str_at(doc, "/data/issue/level").and_then(Severity::from_label),
        link: json::str_at(doc, "/data/issue/permalink")
            .or_else(|| json::str_at(doc, "/data/issue/web_url"))
            .map(str::to_owned),
        actor: user_actor(doc),
        correlation_key: Some(issue_id.clone()),
        dedupe_key: format!("issue:{issue_id}:{action}:{stamp}{assignee}"),
        external_id: json::str_at(doc, "/data/issue/shortId").map(str::to_owned),
        raw_event_type: format!("issue.{action}"),
    }))
}

/// An issue alert rule fired on `data.event`.
fn event_alert(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let action = json::str_at(doc, "/action").unwrap_or("triggered");
    if action != "triggered" {
        return Ok(Err(format!("Sentry event alert action `{action}`")));
    }
    let rule = json::str_at(doc, "/data/triggered_rule")
        .or_else(|| json::str_at(doc, "/data/issue_alert/title"));
    let mut event = sentry_event(doc, "/data/event", mapping)?;
    if let Some(rule) = rule {
        event.title = format!("{rule}: {}", event.title);
    }
    event.dedupe_key = format!("event_alert:{}:{}", event.dedupe_key, rule.unwrap_or(""));
    event.raw_event_type = "event_alert.triggered".to_owned();
    Ok(Ok(event))
}

/// A new error event, `data.error`.
fn error(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let action = json::str_at(doc, "/action").unwrap_or("created");
    if action != "created" {
        return Ok(Err(format!("Sentry error action `{action}`")));
    }
    let mut event = sentry_event(doc, "/data/error", mapping)?;
    event.dedupe_key = format!("error:{}", event.dedupe_key);
    event.raw_event_type = "error.created".to_owned();
    Ok(Ok(event))
}

/// The trigger an error event makes, shared by event alerts and errors:
/// at the event's own time, tied to its issue. The key is the event's id.
fn sentry_event(
    doc: &Value,
    at: &str,
    mapping: &FieldMapping,
) -> Result<NormalizedEvent, ParseError> {
    let field = |name: &str| format!("{at}/{name}");
    let event = doc.pointer(at).ok_or_else(|| json::missing(at))?;
    let event_id = json::req_id(doc, &field("event_id"))?;
    let title = json::str_at(event, "/title")
        .or_else(|| json::str_at(event, "/message"))
        .or_else(|| json::str_at(event, "/culprit"))
        .unwrap_or("Sentry event");
    let service = match mapping.service_field {
        // The mapping names a pointer into the whole body.
        Some(_) => json::service_at(doc, mapping, at),
        // Events name their project by number only; its slug is in the API url.
        None => json::str_at(event, "/url").and_then(project_slug),
    };
    Ok(NormalizedEvent {
        occurred_at: json::time_at(event, "/datetime")
            .or_else(|| json::time_at(event, "/timestamp")),
        kind: EventKind::AlertTriggered,
        title: title.to_owned(),
        service,
        severity: json::str_at(event, "/level").and_then(Severity::from_label),
        link: json::str_at(event, "/web_url").map(str::to_owned),
        actor: None,
        correlation_key: json::id_at(event, "/issue_id"),
        dedupe_key: event_id.clone(),
        external_id: Some(event_id),
        raw_event_type: String::new(),
    })
}

/// ".../api/0/projects/test-org/front-end/events/<id>/" -> "front-end".
fn project_slug(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("/projects/")?;
    let mut parts = rest.split('/');
    let _organization = parts.next()?;
    parts
        .next()
        .filter(|slug| !slug.is_empty())
        .map(str::to_owned)
}

/// A metric alert's incident: critical and warning trigger when it was
/// detected, resolved resolves when it closed (no time when still unset).
fn metric_alert(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let action = json::req_str(doc, "/action")?;
    let (kind, severity, time_fields): (_, _, &[&str]) = match action {
        "critical" => (
            EventKind::AlertTriggered,
            Some(Severity::Critical),
            &["/date_detected", "/date_started", "/date_created"],
        ),
        "warning" => (
            EventKind::AlertTriggered,
            Some(Severity::Medium),
            &["/date_detected", "/date_started", "/date_created"],
        ),
        "resolved" => (EventKind::AlertResolved, None, &["/date_closed"]),
        other => return Ok(Err(format!("Sentry metric alert action `{other}`"))),
    };
    let incident = doc
        .pointer("/data/metric_alert")
        .ok_or_else(|| json::missing("/data/metric_alert"))?;
    let incident_id = json::req_id(doc, "/data/metric_alert/id")?;
    let stamped = time_fields.iter().find_map(|field| {
        json::time_at(incident, field).map(|time| (time, json::str_at(incident, field)))
    });
    let title = json::str_at(doc, "/data/description_title")
        .or_else(|| json::str_at(incident, "/alert_rule/name"))
        .or_else(|| json::str_at(incident, "/title"))
        .unwrap_or("Sentry metric alert");
    Ok(Ok(NormalizedEvent {
        occurred_at: stamped.map(|(time, _)| time),
        kind,
        title: title.to_owned(),
        service: json::service_at(doc, mapping, "/data/metric_alert/projects/0"),
        severity,
        link: json::str_at(doc, "/data/web_url").map(str::to_owned),
        actor: user_actor(doc),
        correlation_key: Some(format!("metric_alert:{incident_id}")),
        dedupe_key: format!(
            "metric_alert:{incident_id}:{action}:{}",
            stamped.and_then(|(_, text)| text).unwrap_or("")
        ),
        external_id: json::id_at(incident, "/identifier").or(Some(incident_id)),
        raw_event_type: format!("metric_alert.{action}"),
    }))
}

/// The person who acted, when a person did (not Sentry itself).
fn user_actor(doc: &Value) -> Option<String> {
    (json::str_at(doc, "/actor/type") == Some("user"))
        .then(|| json::str_at(doc, "/actor/name"))
        .flatten()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{
        at, default_mapping, headers, hmac_hex, now, only_event, vendor_fixture,
    };
    use super::*;

    #[test]
    fn created_issue_fixture_triggers_at_first_seen() {
        let event = only_event(
            parse(
                &headers(&[]),
                fixture!("sentry/issue.created.json"),
                &default_mapping(),
            )
            .unwrap(),
        );
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(event.occurred_at, Some(at("2020-04-28T13:56:05.903736Z")));
        assert_eq!(event.title, "Exception: Custom exception!");
        assert_eq!(event.service.as_deref(), Some("zulip-integration-testing"));
        assert_eq!(event.severity, Some(Severity::High));
        assert_eq!(event.actor, None);
        assert_eq!(event.correlation_key.as_deref(), Some("1635244907"));
        assert_eq!(event.dedupe_key, "issue:1635244907:created:1588082165903");
        assert_eq!(
            event.external_id.as_deref(),
            Some("ZULIP-INTEGRATION-TESTING-2")
        );
    }

    #[test]
    fn resolved_issue_fixture_resolves_at_last_seen_whatever_the_hook_timestamp() {
        let hooked = headers(&[
            ("Sentry-Hook-Resource", "issue"),
            ("Sentry-Hook-Timestamp", "1588226400"),
            ("Request-ID", "4d8b3c1e-2f7a-4b6e-9a1d-0c5e7f9b2a31"),
        ]);
        let body = fixture!("sentry/issue.resolved.json");
        let delivery = parse(&hooked, body, &default_mapping()).unwrap();
        assert_eq!(
            delivery.delivery_id.as_deref(),
            Some("4d8b3c1e-2f7a-4b6e-9a1d-0c5e7f9b2a31")
        );
        let event = only_event(delivery);
        assert_eq!(event.kind, EventKind::AlertResolved);
        assert_eq!(event.occurred_at, Some(at("2020-04-30T05:54:15.092476Z")));
        assert_eq!(
            event.title,
            "Exception: program has entered an invalid state."
        );
        assert_eq!(event.service.as_deref(), Some("zulip-integration-testing"));
        assert_eq!(event.severity, Some(Severity::High));
        assert_eq!(event.actor.as_deref(), Some("Hemanth V. Alluri"));
        assert_eq!(event.correlation_key.as_deref(), Some("1638821441"));
        assert_eq!(event.dedupe_key, "issue:1638821441:resolved:1588226055092");
        // A retry is sent later: the event and its key stay the same.
        let retried = headers(&[("Sentry-Hook-Timestamp", "1588230000")]);
        let again = only_event(parse(&retried, body, &default_mapping()).unwrap());
        assert_eq!(again, event);
    }

    fn parse_as(resource: &str, body: &[u8]) -> Delivery {
        parse(
            &headers(&[("Sentry-Hook-Resource", resource)]),
            body,
            &default_mapping(),
        )
        .unwrap()
    }

    #[test]
    fn ignored_and_assigned_issues_annotate_and_acknowledge() {
        let ignored = only_event(parse_as(
            "issue",
            vendor_fixture!("sentry/issue.ignored.json"),
        ));
        assert_eq!(ignored.kind, EventKind::AlertAnnotated);
        assert_eq!(
            ignored.title,
            "Issue ignored: Exception: program has entered an invalid state."
        );
        assert_eq!(ignored.occurred_at, Some(at("2020-04-30T05:54:15.092476Z")));
        let assigned = only_event(parse_as(
            "issue",
            vendor_fixture!("sentry/issue.assigned.team.json"),
        ));
        assert_eq!(assigned.kind, EventKind::AlertAcknowledged);
        assert_eq!(
            assigned.dedupe_key,
            "issue:1638821441:assigned:1588226055092:team:473371"
        );
        let archived =
            br#"{"action": "archived", "data": {"issue": {"id": "9", "title": "Boom"}}}"#;
        let event = only_event(parse_as("issue", archived));
        assert_eq!(
            (event.kind, event.occurred_at),
            (EventKind::AlertAnnotated, None)
        );
        let odd = parse_as(
            "issue",
            br#"{"action": "snoozed", "data": {"issue": {"id": "9"}}}"#,
        );
        assert_eq!(
            odd.ignored_reason.as_deref(),
            Some("Sentry issue action `snoozed`")
        );
    }

    #[test]
    fn event_alert_triggers_at_the_events_own_time_naming_its_rule() {
        let body = vendor_fixture!("sentry/event_alert.triggered.docs.json");
        let event = only_event(parse_as("event_alert", body));
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(event.occurred_at, Some(at("2019-08-19T21:06:17.677Z")));
        assert_eq!(
            event.title,
            "Very Important Alert Rule!: ReferenceError: heck is not defined"
        );
        assert_eq!(event.service.as_deref(), Some("front-end"));
        assert_eq!(event.severity, Some(Severity::High));
        assert_eq!(event.correlation_key.as_deref(), Some("1117540176"));
        assert_eq!(
            event.dedupe_key,
            "event_alert:e4874d664c3540c1a32eab185f12c5ab:Very Important Alert Rule!"
        );
        assert_eq!(
            event.link.as_deref(),
            Some(
                "https://sentry.io/organizations/test-org/issues/1117540176/events/e4874d664c3540c1a32eab185f12c5ab/"
            )
        );
        // Without the header the body says what it is.
        assert_eq!(
            only_event(parse(&headers(&[]), body, &default_mapping()).unwrap()),
            event
        );
    }

    #[test]
    fn error_created_triggers_at_its_time() {
        let event = only_event(parse_as(
            "error",
            vendor_fixture!("sentry/error.created.docs.json"),
        ));
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(event.occurred_at, Some(at("2019-08-19T20:58:37.391Z")));
        assert_eq!(event.title, "ReferenceError: blooopy is not defined");
        assert_eq!(event.correlation_key.as_deref(), Some("1170820242"));
        assert_eq!(event.dedupe_key, "error:bb78c1407cea4519aa397afc059c793d");
        assert_eq!(event.raw_event_type, "error.created");
    }

    #[test]
    fn metric_alerts_trigger_when_detected_and_resolve_when_closed() {
        let body = vendor_fixture!("sentry/metric_alert.resolved.docs.json");
        let resolved = only_event(parse_as("metric_alert", body));
        assert_eq!(resolved.kind, EventKind::AlertResolved);
        // date_closed is null in the example: no time of its own.
        assert_eq!(resolved.occurred_at, None);
        assert_eq!(resolved.title, "Resolved: Too many errors");
        assert_eq!(resolved.service.as_deref(), Some("bar"));
        assert_eq!(resolved.correlation_key.as_deref(), Some("metric_alert:4"));
        assert_eq!(resolved.dedupe_key, "metric_alert:4:resolved:");
        let text = String::from_utf8(body.to_vec()).unwrap();
        for (action, severity) in [
            ("critical", Severity::Critical),
            ("warning", Severity::Medium),
        ] {
            let fired = text.replacen("\"resolved\"", &format!("\"{action}\""), 1);
            let event = only_event(parse_as("metric_alert", fired.as_bytes()));
            assert_eq!(event.kind, EventKind::AlertTriggered);
            assert_eq!(event.severity, Some(severity));
            assert_eq!(event.occurred_at, Some(at("2020-09-13T12:26:40Z")));
        }
        let closed = text.replace(
            "\"date_closed\": null",
            "\"date_closed\": \"2020-09-13T13:00:00.000000Z\"",
        );
        let event = only_event(parse_as("metric_alert", closed.as_bytes()));
        assert_eq!(event.occurred_at, Some(at("2020-09-13T13:00:00Z")));
    }

    #[test]
    fn other_sentry_resources_are_answered_with_a_reason() {
        let delivery = parse_as("installation", br#"{"action": "created", "data": {}}"#);
        assert!(delivery.events.is_empty());
        assert_eq!(
            delivery.ignored_reason.as_deref(),
            Some("Sentry `installation` webhooks are not alert events")
        );
    }

    #[test]
    fn sentry_signature_covers_the_body() {
        let body = fixture!("sentry/issue.created.json");
        let secrets: &[&[u8]] = &[b"client-secret"];
        let cfg = VerifyConfig::new(secrets, now());
        let signature = hmac_hex(b"client-secret", &[body]);
        assert_eq!(
            verify(
                &headers(&[("Sentry-Hook-Signature", signature.as_str())]),
                body,
                &cfg
            ),
            Ok(())
        );
        let wrong = hmac_hex(b"other", &[body]);
        assert_eq!(
            verify(
                &headers(&[("Sentry-Hook-Signature", wrong.as_str())]),
                body,
                &cfg
            ),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(verify(&headers(&[]), body, &cfg), Err(VerifyError::Missing));
    }
}

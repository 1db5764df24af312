//! Sentry integration-platform webhooks for issues (`Sentry-Hook-Resource:
//! issue`): a new issue triggers, a resolved one resolves.

use chrono::DateTime;

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

pub(super) fn parse(
    headers: &Headers,
    body: &[u8],
    mapping: &FieldMapping,
) -> Result<Delivery, ParseError> {
    let delivery_id = headers.get("request-id");
    let doc = json::parse_object(body)?;
    let resource = headers.get("sentry-hook-resource").unwrap_or("issue");
    if resource != "issue" {
        return Ok(Delivery::ignored(
            delivery_id,
            format!("Sentry `{resource}` webhooks are not handled"),
        ));
    }
    let action = json::req_str(&doc, "/action")?;
    let kind = match action {
        "created" | "unresolved" => EventKind::AlertTriggered,
        "resolved" => EventKind::AlertResolved,
        "assigned" => EventKind::AlertAcknowledged,
        "archived" | "ignored" => EventKind::AlertAnnotated,
        other => {
            return Ok(Delivery::ignored(
                delivery_id,
                format!("Sentry issue action `{other}`"),
            ));
        }
    };
    let issue_id = json::req_id(&doc, "/data/issue/id")?;
    // The hook's own timestamp says when the action happened; without it the
    // issue's first (new issue) or last (anything else) event time is closest.
    let fallback = if action == "created" {
        "/data/issue/firstSeen"
    } else {
        "/data/issue/lastSeen"
    };
    let occurred_at = match headers
        .get("sentry-hook-timestamp")
        .and_then(|ts| ts.trim().parse().ok())
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
    {
        Some(time) => time,
        None => json::req_time(&doc, fallback)?,
    };
    let title = json::req_str(&doc, "/data/issue/title")?;
    let event = NormalizedEvent {
        occurred_at: Some(occurred_at),
        kind,
        title: match kind {
            EventKind::AlertAnnotated => format!("Issue {action}: {title}"),
            _ => title.to_owned(),
        },
        service: json::service_at(&doc, mapping, "/data/issue/project/slug"),
        severity: json::str_at(&doc, "/data/issue/level").and_then(Severity::from_label),
        link: json::str_at(&doc, "/data/issue/permalink").map(str::to_owned),
        actor: (json::str_at(&doc, "/actor/type") == Some("user"))
            .then(|| json::str_at(&doc, "/actor/name"))
            .flatten()
            .map(str::to_owned),
        correlation_key: Some(issue_id.clone()),
        dedupe_key: format!(
            "issue:{issue_id}:{action}:{}",
            occurred_at.timestamp_millis()
        ),
        external_id: json::str_at(&doc, "/data/issue/shortId").map(str::to_owned),
        raw_event_type: format!("issue.{action}"),
    };
    Ok(Delivery::with_events(delivery_id, vec![event]))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, default_mapping, headers, hmac_hex, now, only_event};
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
    fn resolved_issue_fixture_resolves_at_the_hook_timestamp() {
        let hooked = headers(&[
            ("Sentry-Hook-Resource", "issue"),
            ("Sentry-Hook-Timestamp", "1588226400"),
            ("Request-ID", "4d8b3c1e-2f7a-4b6e-9a1d-0c5e7f9b2a31"),
        ]);
        let delivery = parse(
            &hooked,
            fixture!("sentry/issue.resolved.json"),
            &default_mapping(),
        )
        .unwrap();
        assert_eq!(
            delivery.delivery_id.as_deref(),
            Some("4d8b3c1e-2f7a-4b6e-9a1d-0c5e7f9b2a31")
        );
        let event = only_event(delivery);
        assert_eq!(event.kind, EventKind::AlertResolved);
        assert_eq!(event.occurred_at, Some(at("2020-04-30T06:00:00Z")));
        assert_eq!(
            event.title,
            "Exception: program has entered an invalid state."
        );
        assert_eq!(event.service.as_deref(), Some("zulip-integration-testing"));
        assert_eq!(event.severity, Some(Severity::High));
        assert_eq!(event.actor.as_deref(), Some("Hemanth V. Alluri"));
        assert_eq!(event.correlation_key.as_deref(), Some("1638821441"));
        assert_eq!(event.dedupe_key, "issue:1638821441:resolved:1588226400000");

        let unstamped = parse(
            &headers(&[]),
            fixture!("sentry/issue.resolved.json"),
            &default_mapping(),
        )
        .unwrap();
        assert_eq!(
            unstamped.events[0].occurred_at,
            Some(at("2020-04-30T05:54:15.092476Z"))
        );
    }

    #[test]
    fn other_sentry_resources_are_ignored() {
        let alert = headers(&[("Sentry-Hook-Resource", "event_alert")]);
        let delivery = parse(&alert, br#"{"action": "triggered"}"#, &default_mapping()).unwrap();
        assert!(delivery.events.is_empty());
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

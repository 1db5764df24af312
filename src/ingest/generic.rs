//! hindsight's own webhook shape, for tools with no native integration
//! (Argo CD notifications, CI scripts). Documented in `docs/generic-webhook.md`.
//!
//! A body is one event object or `{"events": [...]}`; each event has
//! `occurred_at` (RFC 3339), `kind` (an [`EventKind`] name) and `title`, and
//! may have `id`, `service`, `severity`, `link`, `actor`, `correlation_key`.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::auth::{self, VerifyConfig, VerifyError};
use super::json::{self, ParseError};
use super::{Delivery, EventKind, FieldMapping, Headers, NormalizedEvent, Severity};

/// `X-Hindsight-Signature: sha256=<hex HMAC-SHA256 of the body>`, or, for
/// senders that cannot sign (Argo CD), `Authorization: Bearer <secret>`.
pub(super) fn verify(
    headers: &Headers,
    body: &[u8],
    cfg: &VerifyConfig,
) -> Result<(), VerifyError> {
    match headers.get("x-hindsight-signature") {
        Some(signature) => auth::check_prefixed_hex(Some(signature), "sha256=", cfg.secrets, body),
        None => auth::check_authorization(headers, cfg.secrets),
    }
}

pub(super) fn parse(
    headers: &Headers,
    body: &[u8],
    mapping: &FieldMapping,
) -> Result<Delivery, ParseError> {
    let doc = json::parse_object(body)?;
    let events = match doc.get("events") {
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(index, event)| parse_event(event, &format!("/events/{index}"), mapping))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(json::missing("/events")),
        None => vec![parse_event(&doc, "", mapping)?],
    };
    Ok(Delivery::with_events(
        headers.get("idempotency-key"),
        events,
    ))
}

fn parse_event(
    event: &Value,
    at: &str,
    mapping: &FieldMapping,
) -> Result<NormalizedEvent, ParseError> {
    let field = |name: &str| json::str_at(event, &format!("/{name}"));
    let required = |name: &str| field(name).ok_or_else(|| json::missing(&format!("{at}/{name}")));
    let kind_name = required("kind")?;
    let kind: EventKind = kind_name.parse().map_err(|_| {
        let known: Vec<&str> = EventKind::ALL.iter().map(|kind| kind.as_str()).collect();
        ParseError::WrongShape(format!(
            "`{at}/kind` is `{kind_name}`, not one of {}",
            known.join(", ")
        ))
    })?;
    let occurred_text = required("occurred_at")?;
    let occurred_at = json::parse_time(occurred_text).ok_or_else(|| {
        ParseError::WrongShape(format!("`{at}/occurred_at` is not an RFC 3339 timestamp"))
    })?;
    let severity = field("severity")
        .map(|label| {
            Severity::from_label(label).ok_or_else(|| {
                ParseError::WrongShape(format!("`{at}/severity` `{label}` is not a known severity"))
            })
        })
        .transpose()?;
    let title = required("title")?;
    let service = json::service_at(event, mapping, "/service");
    let correlation_key = field("correlation_key");
    let id = field("id");
    let dedupe_key = match id {
        Some(id) => id.to_owned(),
        None => content_key(&[
            kind_name,
            occurred_text,
            title,
            service.as_deref().unwrap_or(""),
            correlation_key.unwrap_or(""),
        ]),
    };
    Ok(NormalizedEvent {
        occurred_at: Some(occurred_at),
        kind,
        title: title.to_owned(),
        service,
        severity,
        link: field("link").map(str::to_owned),
        actor: field("actor").map(str::to_owned),
        correlation_key: correlation_key.map(str::to_owned),
        dedupe_key,
        external_id: id.map(str::to_owned),
        raw_event_type: kind_name.to_owned(),
    })
}

/// For events sent without an `id`: the same event content, the same key.
fn content_key(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, default_mapping, headers, hmac_hex, now, only_event};
    use super::*;

    const ARGO_SUCCEEDED: &[u8] = br#"{
        "id": "argocd:checkout:4f2a9c1:2026-05-01T11:58:02Z:succeeded",
        "occurred_at": "2026-05-01T11:59:40Z",
        "kind": "deploy.succeeded",
        "title": "Argo CD synced checkout to 4f2a9c1",
        "service": "checkout",
        "link": "https://argocd.example.com/applications/checkout",
        "actor": "",
        "correlation_key": "argocd:checkout:2026-05-01T11:58:02Z"
    }"#;

    #[test]
    fn a_single_event_body_maps_field_for_field() {
        let delivery = parse(
            &headers(&[("Idempotency-Key", "d-1")]),
            ARGO_SUCCEEDED,
            &default_mapping(),
        )
        .unwrap();
        assert_eq!(delivery.delivery_id.as_deref(), Some("d-1"));
        let event = only_event(delivery);
        assert_eq!(event.kind, EventKind::DeploySucceeded);
        assert_eq!(event.occurred_at, Some(at("2026-05-01T11:59:40Z")));
        assert_eq!(event.title, "Argo CD synced checkout to 4f2a9c1");
        assert_eq!(event.service.as_deref(), Some("checkout"));
        assert_eq!(event.severity, None);
        // Argo CD renders an empty username for automated syncs.
        assert_eq!(event.actor, None);
        assert_eq!(
            event.correlation_key.as_deref(),
            Some("argocd:checkout:2026-05-01T11:58:02Z")
        );
        assert_eq!(
            event.dedupe_key,
            "argocd:checkout:4f2a9c1:2026-05-01T11:58:02Z:succeeded"
        );
    }

    #[test]
    fn an_events_list_gives_one_event_each_and_ids_default_to_a_content_hash() {
        let body = br#"{"events": [
            {"occurred_at": "2026-05-01T10:00:00Z", "kind": "alert.triggered", "title": "Queue backlog", "severity": "SEV-2"},
            {"occurred_at": "2026-05-01T10:20:00+02:00", "kind": "alert.resolved", "title": "Queue backlog"}
        ]}"#;
        let delivery = parse(&headers(&[]), body, &default_mapping()).unwrap();
        assert_eq!(delivery.events.len(), 2);
        assert_eq!(delivery.events[0].severity, Some(Severity::High));
        assert_eq!(
            delivery.events[1].occurred_at,
            Some(at("2026-05-01T08:20:00Z"))
        );
        assert!(delivery.events[0].dedupe_key.starts_with("sha256:"));
        let again = parse(&headers(&[]), body, &default_mapping()).unwrap();
        assert_eq!(again.events[0].dedupe_key, delivery.events[0].dedupe_key);
        assert_ne!(delivery.events[0].dedupe_key, delivery.events[1].dedupe_key);
    }

    #[test]
    fn an_unknown_kind_is_refused_with_the_known_ones() {
        let body =
            br#"{"occurred_at": "2026-05-01T10:00:00Z", "kind": "deploy.done", "title": "x"}"#;
        let err = parse(&headers(&[]), body, &default_mapping()).unwrap_err();
        assert!(
            err.to_string()
                .contains("`/kind` is `deploy.done`, not one of alert.triggered"),
            "{err}"
        );
    }

    #[test]
    fn missing_fields_are_named_by_their_pointer() {
        let body = br#"{"events": [{"kind": "deploy.started", "title": "x"}]}"#;
        let err = parse(&headers(&[]), body, &default_mapping()).unwrap_err();
        assert_eq!(err, json::missing("/events/0/occurred_at"));
        let bad_time = br#"{"kind": "deploy.started", "title": "x", "occurred_at": "yesterday"}"#;
        assert!(parse(&headers(&[]), bad_time, &default_mapping()).is_err());
    }

    #[test]
    fn signed_and_bearer_deliveries_verify() {
        let secrets: &[&[u8]] = &[b"generic-secret"];
        let cfg = VerifyConfig::new(secrets, now());
        let signature = format!("sha256={}", hmac_hex(b"generic-secret", &[ARGO_SUCCEEDED]));
        let signed = headers(&[("X-Hindsight-Signature", signature.as_str())]);
        assert_eq!(verify(&signed, ARGO_SUCCEEDED, &cfg), Ok(()));
        assert_eq!(verify(&signed, b"{}", &cfg), Err(VerifyError::Mismatch));
        let bearer = headers(&[("Authorization", "Bearer generic-secret")]);
        assert_eq!(verify(&bearer, ARGO_SUCCEEDED, &cfg), Ok(()));
        assert_eq!(
            verify(&headers(&[]), ARGO_SUCCEEDED, &cfg),
            Err(VerifyError::Missing)
        );
    }
}

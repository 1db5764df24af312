//! GitLab webhooks: `Deployment Hook` events become deploy events.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::auth::{self, VerifyConfig, VerifyError};
use super::json::{self, ParseError};
use super::{Delivery, EventKind, FieldMapping, Headers, NormalizedEvent, deploy_title};

/// Either GitLab's signed scheme (Standard Webhooks: `webhook-id`,
/// `webhook-timestamp`, `webhook-signature: v1,<base64>`), or the plain
/// `X-Gitlab-Token` secret token.
pub(super) fn verify(
    headers: &Headers,
    body: &[u8],
    cfg: &VerifyConfig,
) -> Result<(), VerifyError> {
    if let Some(signatures) = headers.get("webhook-signature") {
        return verify_signed(headers, signatures, body, cfg);
    }
    let token = headers.get("x-gitlab-token").ok_or(VerifyError::Missing)?;
    if auth::token_matches(cfg.secrets, token.as_bytes()) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// HMAC-SHA256 over `{id}.{timestamp}.{body}`; the header may list several
/// space-separated signatures. The timestamp must be inside the window.
fn verify_signed(
    headers: &Headers,
    signatures: &str,
    body: &[u8],
    cfg: &VerifyConfig,
) -> Result<(), VerifyError> {
    let id = headers.get("webhook-id").ok_or(VerifyError::Missing)?;
    let timestamp = headers
        .get("webhook-timestamp")
        .ok_or(VerifyError::Missing)?;
    let keys: Vec<Vec<u8>> = cfg
        .secrets
        .iter()
        .map(|secret| signing_key(secret))
        .collect();
    let keys: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    let signed: [&[u8]; 5] = [id.as_bytes(), b".", timestamp.as_bytes(), b".", body];
    let mut seen = false;
    let mut matched = false;
    for encoded in signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .take(auth::MAX_SIGNATURES)
    {
        seen = true;
        if let Ok(tag) = STANDARD.decode(encoded)
            && auth::hmac_matches(&keys, &signed, &tag)
        {
            matched = true;
            break;
        }
    }
    match (seen, matched) {
        (false, _) => Err(VerifyError::Missing),
        (true, false) => Err(VerifyError::Mismatch),
        (true, true) => auth::check_window(timestamp, cfg),
    }
}

/// Standard Webhooks secrets come as `whsec_<base64 key>`; anything else is
/// used as the key bytes themselves.
fn signing_key(secret: &[u8]) -> Vec<u8> {
    if let Some(encoded) = secret.strip_prefix(b"whsec_")
        && let Ok(key) = STANDARD.decode(encoded)
    {
        return key;
    }
    secret.to_vec()
}

pub(super) fn parse(
    headers: &Headers,
    body: &[u8],
    mapping: &FieldMapping,
) -> Result<Delivery, ParseError> {
    // Idempotency-Key is the one GitLab keeps across retries of a delivery.
    let delivery_id = ["idempotency-key", "webhook-id", "x-gitlab-event-uuid"]
        .iter()
        .find_map(|name| headers.get(name));
    let doc = json::parse_object(body)?;
    let object_kind = json::req_str(&doc, "/object_kind")?;
    if object_kind != "deployment" {
        return Ok(Delivery::ignored(
            delivery_id,
            format!("GitLab `{object_kind}` events carry no deploys"),
        ));
    }
    let status = json::req_str(&doc, "/status")?;
    let kind = match status {
        "running" => EventKind::DeployStarted,
        "success" => EventKind::DeploySucceeded,
        "failed" | "canceled" => EventKind::DeployFailed,
        other => {
            return Ok(Delivery::ignored(
                delivery_id,
                format!("deployment status `{other}`"),
            ));
        }
    };
    let deployment_id = json::req_id(&doc, "/deployment_id")?;
    let reference = json::req_str(&doc, "/ref")?;
    let event = NormalizedEvent {
        occurred_at: Some(json::req_time(&doc, "/status_changed_at")?),
        kind,
        title: deploy_title(
            reference,
            json::str_at(&doc, "/short_sha"),
            json::req_str(&doc, "/environment")?,
            json::str_at(&doc, "/commit_title"),
        ),
        service: json::service_at(&doc, mapping, "/project/name"),
        severity: None,
        link: json::str_at(&doc, "/deployable_url")
            .or_else(|| json::str_at(&doc, "/commit_url"))
            .map(str::to_owned),
        actor: json::str_at(&doc, "/user/username").map(str::to_owned),
        correlation_key: Some(deployment_id.clone()),
        dedupe_key: format!("deployment:{deployment_id}:{status}"),
        external_id: Some(deployment_id),
        raw_event_type: format!("deployment.{status}"),
    };
    Ok(Delivery::with_events(delivery_id, vec![event]))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, default_mapping, headers, hmac_sha256, now, only_event};
    use super::*;

    #[test]
    fn success_fixture_is_a_succeeded_deploy_of_the_project() {
        let with_key = headers(&[("Idempotency-Key", "f3c2c1d0-5b1e-4c55-9c5a-1e0d8c1e2b3a")]);
        let delivery = parse(
            &with_key,
            fixture!("gitlab/deployment.success.json"),
            &default_mapping(),
        )
        .unwrap();
        assert_eq!(
            delivery.delivery_id.as_deref(),
            Some("f3c2c1d0-5b1e-4c55-9c5a-1e0d8c1e2b3a")
        );
        let event = only_event(delivery);
        assert_eq!(event.kind, EventKind::DeploySucceeded);
        assert_eq!(event.occurred_at, Some(at("2025-05-02T11:55:16Z")));
        assert_eq!(
            event.title,
            "Deploy master@5879366 to production: Update .gitlab-ci.yml file"
        );
        assert_eq!(event.service.as_deref(), Some("test"));
        assert_eq!(event.actor.as_deref(), Some("theofficialvedantjoshi"));
        assert_eq!(event.correlation_key.as_deref(), Some("988572802"));
        assert_eq!(event.severity, None);
        assert_eq!(event.dedupe_key, "deployment:988572802:success");
        assert_eq!(
            event.link.as_deref(),
            Some("https://gitlab.com/vedant8600317/test/-/jobs/9905389091")
        );
    }

    #[test]
    fn failed_fixture_is_a_failed_deploy() {
        let event = only_event(
            parse(
                &headers(&[]),
                fixture!("gitlab/deployment.failed.json"),
                &default_mapping(),
            )
            .unwrap(),
        );
        assert_eq!(event.kind, EventKind::DeployFailed);
        assert_eq!(event.occurred_at, Some(at("2025-05-02T12:30:19Z")));
        assert_eq!(
            event.title,
            "Deploy master@846d8de to production: Update .gitlab-ci.yml file"
        );
        assert_eq!(event.service.as_deref(), Some("test"));
        assert_eq!(event.correlation_key.as_deref(), Some("988604916"));
        assert_eq!(event.severity, None);
        assert_eq!(event.actor.as_deref(), Some("theofficialvedantjoshi"));
        assert_eq!(event.dedupe_key, "deployment:988604916:failed");
    }

    #[test]
    fn non_deployment_events_are_ignored() {
        let delivery = parse(
            &headers(&[]),
            br#"{"object_kind": "push"}"#,
            &default_mapping(),
        )
        .unwrap();
        assert_eq!(
            delivery.ignored_reason.as_deref(),
            Some("GitLab `push` events carry no deploys")
        );
    }

    #[test]
    fn secret_token_is_compared_with_every_secret() {
        let body = fixture!("gitlab/deployment.success.json");
        let secrets: &[&[u8]] = &[b"current", b"previous"];
        let cfg = VerifyConfig::new(secrets, now());
        assert_eq!(
            verify(&headers(&[("X-Gitlab-Token", "previous")]), body, &cfg),
            Ok(())
        );
        assert_eq!(
            verify(&headers(&[("X-Gitlab-Token", "guess")]), body, &cfg),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(verify(&headers(&[]), body, &cfg), Err(VerifyError::Missing));
    }

    fn signed_headers(key: &[u8], timestamp: i64, body: &[u8]) -> Headers {
        let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
        let ts = timestamp.to_string();
        let tag = hmac_sha256(key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
        let signature = format!(
            "v1,bm90IGEgcmVhbCBzaWduYXR1cmU= v1,{}",
            STANDARD.encode(tag)
        );
        headers(&[
            ("webhook-id", id),
            ("webhook-timestamp", ts.as_str()),
            ("webhook-signature", signature.as_str()),
        ])
    }

    #[test]
    fn signed_delivery_within_the_window_verifies_with_a_raw_or_whsec_secret() {
        let body = fixture!("gitlab/deployment.success.json");
        let signed = signed_headers(b"raw-secret-bytes", now().timestamp() - 30, body);
        let raw: &[&[u8]] = &[b"raw-secret-bytes"];
        assert_eq!(
            verify(&signed, body, &VerifyConfig::new(raw, now())),
            Ok(())
        );
        let whsec = format!("whsec_{}", STANDARD.encode("raw-secret-bytes"));
        let encoded: &[&[u8]] = &[whsec.as_bytes()];
        assert_eq!(
            verify(&signed, body, &VerifyConfig::new(encoded, now())),
            Ok(())
        );
        let parsed = parse(&signed, body, &default_mapping()).unwrap();
        assert_eq!(
            parsed.delivery_id.as_deref(),
            Some("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
        );
    }

    #[test]
    fn signed_delivery_outside_the_window_is_expired() {
        let body = fixture!("gitlab/deployment.success.json");
        let secrets: &[&[u8]] = &[b"raw-secret-bytes"];
        let cfg = VerifyConfig::new(secrets, now());
        let old = signed_headers(b"raw-secret-bytes", now().timestamp() - 600, body);
        assert_eq!(verify(&old, body, &cfg), Err(VerifyError::Expired));
        let future = signed_headers(b"raw-secret-bytes", now().timestamp() + 600, body);
        assert_eq!(verify(&future, body, &cfg), Err(VerifyError::Expired));
    }

    #[test]
    fn signed_delivery_with_a_wrong_key_or_body_is_a_mismatch() {
        let body = fixture!("gitlab/deployment.success.json");
        let secrets: &[&[u8]] = &[b"raw-secret-bytes"];
        let cfg = VerifyConfig::new(secrets, now());
        let forged = signed_headers(b"another-key", now().timestamp(), body);
        assert_eq!(verify(&forged, body, &cfg), Err(VerifyError::Mismatch));
        let genuine = signed_headers(b"raw-secret-bytes", now().timestamp(), body);
        assert_eq!(verify(&genuine, b"{}", &cfg), Err(VerifyError::Mismatch));
    }
}

//! Grafana unified-alerting webhook contact point (version 1): the
//! Alertmanager shape plus `dashboardURL` and `panelURL`.

use super::alertmanager;
use super::auth::{self, VerifyConfig, VerifyError};
use super::json::{self, ParseError};
use super::{Delivery, FieldMapping, Headers};

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
    let doc = json::parse_object(body)?;
    let links = ["/panelURL", "/dashboardURL", "/generatorURL"];
    let events = alertmanager::alert_events(&doc, mapping, &links)?;
    Ok(Delivery::with_events(None, events))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, default_mapping, headers, hmac_hex, now, only_event};
    use super::super::{EventKind, SourceKind, verify as verify_kind};
    use super::*;

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

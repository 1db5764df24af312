//! Inbound webhooks: verify a delivery against its integration's secrets, then
//! turn its body into normalized alert and deploy events (or, for trackers, an
//! issue update).
//!
//! Everything here is pure: no I/O and no clock (the caller passes `now`), so
//! the HTTP handler decides about size limits, storage and status codes.
//!
//! The service of an event comes from [`FieldMapping::service_field`]; with
//! `None` each source uses its own default:
//!
//! | source | `service_field` means | default |
//! |---|---|---|
//! | alertmanager, grafana | a label name | labels `service`, `job`, `app`, `namespace` (first present) |
//! | datadog | a tag key in `tags` (`service:api`), then a top-level field | tag `service` |
//! | opsgenie | a key of `alert.details`, then a tag `key:value` | `details.service`, tag `service:…`, then `alert.entity` |
//! | pagerduty | a JSON pointer into the body | `/event/data/service/summary` |
//! | github | a JSON pointer into the body | `/repository/name` |
//! | gitlab | a JSON pointer into the body | `/project/name` |
//! | sentry | a JSON pointer into the body | `/data/issue/project/slug` |
//! | generic | a JSON pointer into each event object | `/service` |
//!
//! A bare name given for a pointer source is read as `/<name>`.

/// A webhook fixture's bytes, by its path under `shared/fixtures/webhooks/`.
#[cfg(test)]
macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!("../../../shared/fixtures/webhooks/", $path)).as_slice()
    };
}

mod alertmanager;
mod auth;
mod datadog;
mod event;
mod generic;
mod github;
mod gitlab;
mod grafana;
mod jira;
mod json;
mod mapping;
mod opsgenie;
mod pagerduty;
#[cfg(test)]
mod proptests;
mod sentry;
#[cfg(test)]
mod testing;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use auth::{VerifyConfig, VerifyError};
pub use event::{
    Delivery, EventKind, NormalizedEvent, Severity, TrackerStatus, TrackerUpdate, UnknownName,
};
pub use json::ParseError;
pub use mapping::MappingRules;

/// The tools hindsight accepts webhooks from; the integration's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Pagerduty,
    Alertmanager,
    Grafana,
    Opsgenie,
    Datadog,
    Github,
    Gitlab,
    Jira,
    Sentry,
    Generic,
}

impl SourceKind {
    pub const ALL: [SourceKind; 10] = [
        SourceKind::Pagerduty,
        SourceKind::Alertmanager,
        SourceKind::Grafana,
        SourceKind::Opsgenie,
        SourceKind::Datadog,
        SourceKind::Github,
        SourceKind::Gitlab,
        SourceKind::Jira,
        SourceKind::Sentry,
        SourceKind::Generic,
    ];

    /// Kinds whose senders let users write the body themselves (custom
    /// payload templates): a body their parser finds nothing in may still be
    /// read by mapping rules.
    fn has_custom_templates(self) -> bool {
        matches!(
            self,
            SourceKind::Generic | SourceKind::Datadog | SourceKind::Grafana
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Pagerduty => "pagerduty",
            SourceKind::Alertmanager => "alertmanager",
            SourceKind::Grafana => "grafana",
            SourceKind::Opsgenie => "opsgenie",
            SourceKind::Datadog => "datadog",
            SourceKind::Github => "github",
            SourceKind::Gitlab => "gitlab",
            SourceKind::Jira => "jira",
            SourceKind::Sentry => "sentry",
            SourceKind::Generic => "generic",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownName::new("source kind", s))
    }
}

/// Request headers, looked up case-insensitively. When a name repeats, the
/// first value wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(BTreeMap<String, String>);

impl Headers {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut map = BTreeMap::new();
        for (name, value) in pairs {
            map.entry(name.to_ascii_lowercase()).or_insert(value);
        }
        Headers(map)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

/// Per-integration choices of where fields live: the service name (see the
/// module doc for what the field means per source and the defaults), and
/// mapping rules for any field (see [`MappingRules`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMapping {
    pub service_field: Option<String>,
    pub rules: Option<MappingRules>,
}

/// Checks that a delivery really comes from the integration: an HMAC over the
/// raw body or a shared token, compared in constant time against every secret
/// in `cfg.secrets` (current first, then the previous one during rotation).
///
/// With no secrets configured every kind is rejected, except Jira, whose
/// webhooks may be registered without a secret.
pub fn verify(
    kind: SourceKind,
    headers: &Headers,
    body: &[u8],
    cfg: &VerifyConfig,
) -> Result<(), VerifyError> {
    match kind {
        SourceKind::Pagerduty => pagerduty::verify(headers, body, cfg),
        SourceKind::Alertmanager | SourceKind::Opsgenie | SourceKind::Datadog => {
            auth::check_authorization(headers, cfg.secrets)
        }
        SourceKind::Grafana => grafana::verify(headers, body, cfg),
        SourceKind::Github => github::verify(headers, body, cfg),
        SourceKind::Gitlab => gitlab::verify(headers, body, cfg),
        SourceKind::Jira => jira::verify(headers, body, cfg),
        SourceKind::Sentry => sentry::verify(headers, body, cfg),
        SourceKind::Generic => generic::verify(headers, body, cfg),
    }
}

/// Turns a verified body into normalized events. A body that is valid but
/// carries nothing for the timeline (a ping, an unrelated event type) gives a
/// [`Delivery`] with no events and an `ignored_reason`.
///
/// With mapping rules, what the kind's parser reads is overridden field by
/// field; a body the parser cannot read is read by the rules alone. A body
/// that neither reads is an error that says why both failed.
pub fn parse(
    kind: SourceKind,
    headers: &Headers,
    body: &[u8],
    mapping: &FieldMapping,
) -> Result<Delivery, ParseError> {
    let parsed = parse_with_kind(kind, headers, body, mapping);
    let Some(rules) = &mapping.rules else {
        return parsed;
    };
    let doc: serde_json::Value =
        serde_json::from_slice(body).map_err(|err| ParseError::NotJson(err.to_string()))?;
    match parsed {
        Ok(mut delivery) if !delivery.events.is_empty() || !kind.has_custom_templates() => {
            rules.override_events(&mut delivery.events, &doc)?;
            Ok(delivery)
        }
        // A custom template the parser found nothing in: the rules say where it is.
        Ok(ignored) => match rules.events(&doc) {
            Ok(events) => Ok(Delivery::with_events(
                ignored.delivery_id.as_deref(),
                events,
            )),
            Err(_) => Ok(ignored),
        },
        Err(by_kind) => match rules.events(&doc) {
            Ok(events) => Ok(Delivery::with_events(None, events)),
            Err(by_rules) => Err(ParseError::WrongShape(format!(
                "{kind} cannot read it ({by_kind}), nor can the mapping rules ({by_rules})"
            ))),
        },
    }
}

fn parse_with_kind(
    kind: SourceKind,
    headers: &Headers,
    body: &[u8],
    mapping: &FieldMapping,
) -> Result<Delivery, ParseError> {
    match kind {
        SourceKind::Pagerduty => pagerduty::parse(headers, body, mapping),
        SourceKind::Alertmanager => alertmanager::parse(body, mapping),
        SourceKind::Grafana => grafana::parse(body, mapping),
        SourceKind::Opsgenie => opsgenie::parse(body, mapping),
        SourceKind::Datadog => datadog::parse(body, mapping),
        SourceKind::Github => github::parse(headers, body, mapping),
        SourceKind::Gitlab => gitlab::parse(headers, body, mapping),
        SourceKind::Jira => jira::parse(headers, body),
        SourceKind::Sentry => sentry::parse(headers, body, mapping),
        SourceKind::Generic => generic::parse(headers, body, mapping),
    }
}

/// Reads an issue change from a tracker webhook (Jira `jira:issue_updated`,
/// GitHub `issues`). `Ok(None)` for any other event or source kind.
pub fn parse_tracker_update(
    kind: SourceKind,
    headers: &Headers,
    body: &[u8],
) -> Result<Option<TrackerUpdate>, ParseError> {
    match kind {
        SourceKind::Jira => jira::tracker_update(headers, body),
        SourceKind::Github => github::tracker_update(headers, body),
        _ => Ok(None),
    }
}

/// What one source event maps to: a timeline event, or why it gives none.
enum Mapped {
    Event(Box<NormalizedEvent>),
    Ignored(String),
}

impl Mapped {
    fn into_delivery(self, delivery_id: Option<&str>) -> Delivery {
        match self {
            Mapped::Event(event) => Delivery::with_events(delivery_id, vec![*event]),
            Mapped::Ignored(reason) => Delivery::ignored(delivery_id, reason),
        }
    }
}

/// "Deploy master@f95f852 to production: <note>", shared by the deploy sources.
fn deploy_title(
    reference: &str,
    sha: Option<&str>,
    environment: &str,
    note: Option<&str>,
) -> String {
    let short_sha = sha.map(|sha| sha.get(..7).unwrap_or(sha));
    let target = match short_sha {
        Some(sha) => format!("{reference}@{sha}"),
        None => reference.to_owned(),
    };
    match note {
        Some(note) => format!("Deploy {target} to {environment}: {note}"),
        None => format!("Deploy {target} to {environment}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_kinds_round_trip_through_their_names() {
        for kind in SourceKind::ALL {
            assert_eq!(kind.as_str().parse::<SourceKind>().unwrap(), kind);
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        let err = "nagios".parse::<SourceKind>().unwrap_err();
        assert_eq!(err.to_string(), "unknown source kind `nagios`");
    }

    #[test]
    fn header_lookup_ignores_case_and_keeps_the_first_value() {
        let headers = Headers::new([
            ("X-GitHub-Event".to_owned(), "ping".to_owned()),
            ("x-github-event".to_owned(), "push".to_owned()),
        ]);
        assert_eq!(headers.get("X-GITHUB-EVENT"), Some("ping"));
        assert_eq!(headers.get("x-github-delivery"), None);
    }

    #[test]
    fn kinds_that_carry_no_tracker_updates_give_none() {
        let body = fixture!("alertmanager/firing.json");
        let update = parse_tracker_update(SourceKind::Alertmanager, &Headers::default(), body);
        assert_eq!(update, Ok(None));
    }

    /// One representative fixture per source, with headers that select it.
    fn representative_bodies() -> [(SourceKind, &'static [u8]); 10] {
        [
            (SourceKind::Pagerduty, fixture!("pagerduty/v3.incident.triggered.json")),
            (SourceKind::Alertmanager, fixture!("alertmanager/firing.json")),
            (SourceKind::Grafana, fixture!("grafana/resolved.v9.json")),
            (SourceKind::Opsgenie, fixture!("opsgenie/create.json")),
            (SourceKind::Datadog, fixture!("datadog/default-payload.triggered.json")),
            (SourceKind::Github, fixture!("github/deployment.json")),
            (SourceKind::Gitlab, fixture!("gitlab/deployment.success.json")),
            (SourceKind::Jira, fixture!("jira/issue_updated.status.json")),
            (SourceKind::Sentry, fixture!("sentry/issue.created.json")),
            (SourceKind::Generic, br#"{"occurred_at": "2026-05-01T10:00:00Z", "kind": "deploy.started", "title": "Deploy"}"#),
        ]
    }

    #[test]
    fn every_source_parses_its_fixture_through_the_dispatcher() {
        let headers = testing::headers(&[("X-GitHub-Event", "deployment")]);
        for (kind, body) in representative_bodies() {
            let delivery = parse(kind, &headers, body, &FieldMapping::default());
            assert!(delivery.is_ok(), "{kind}: {delivery:?}");
        }
    }

    #[test]
    fn truncated_and_non_json_bodies_are_parse_errors_for_every_source() {
        let headers = testing::headers(&[("X-GitHub-Event", "deployment")]);
        for (kind, body) in representative_bodies() {
            let truncated = &body[..body.len() / 2];
            for bad in [truncated, b"<html>502 Bad Gateway</html>".as_slice(), b""] {
                let result = parse(kind, &headers, bad, &FieldMapping::default());
                assert!(
                    matches!(result, Err(ParseError::NotJson(_))),
                    "{kind}: {result:?}"
                );
            }
        }
        let issues = testing::headers(&[("X-GitHub-Event", "issues")]);
        for kind in [SourceKind::Jira, SourceKind::Github] {
            let result = parse_tracker_update(kind, &issues, b"{\"action\": \"clo");
            assert!(
                matches!(result, Err(ParseError::NotJson(_))),
                "{kind}: {result:?}"
            );
        }
    }

    #[test]
    fn every_source_rejects_unsigned_and_wrongly_signed_deliveries() {
        let secrets: &[&[u8]] = &[b"the-secret"];
        let cfg = VerifyConfig::new(secrets, testing::now());
        let wrong_hex = "0".repeat(64);
        let wrong_sha256 = format!("sha256={wrong_hex}");
        let wrong_v1 = format!("v1={wrong_hex}");
        let forged = testing::headers(&[
            ("Authorization", "Bearer not-the-secret"),
            ("X-PagerDuty-Signature", wrong_v1.as_str()),
            ("X-Hub-Signature-256", wrong_sha256.as_str()),
            ("X-Hub-Signature", wrong_sha256.as_str()),
            ("X-Gitlab-Token", "not-the-secret"),
            ("X-Grafana-Alerting-Signature", wrong_hex.as_str()),
            ("Sentry-Hook-Signature", wrong_hex.as_str()),
            ("X-Hindsight-Signature", wrong_sha256.as_str()),
        ]);
        for (kind, body) in representative_bodies() {
            let unsigned = verify(kind, &Headers::default(), body, &cfg);
            assert_eq!(unsigned, Err(VerifyError::Missing), "{kind}");
            assert_eq!(
                verify(kind, &forged, body, &cfg),
                Err(VerifyError::Mismatch),
                "{kind}"
            );
        }
    }

    #[test]
    fn verify_errors_are_plain_sentences_for_the_sender() {
        assert_eq!(
            VerifyError::Missing.to_string(),
            "the request carries no signature or token"
        );
        assert_eq!(
            VerifyError::Mismatch.to_string(),
            "the signature or token does not match"
        );
        assert_eq!(
            VerifyError::Expired.to_string(),
            "the signature's timestamp is outside the allowed window"
        );
    }

    fn title_rules() -> FieldMapping {
        FieldMapping {
            rules: Some(serde_json::from_value(serde_json::json!({"title": "msg"})).unwrap()),
            ..FieldMapping::default()
        }
    }

    #[test]
    fn rules_read_a_custom_template_its_parser_finds_nothing_in() {
        // A Datadog custom payload that names no transition.
        let body = br#"{"msg": "Queue depth above 10k", "host": "worker-3"}"#;
        let plain = parse(
            SourceKind::Datadog,
            &Headers::default(),
            body,
            &FieldMapping::default(),
        );
        assert!(plain.unwrap().events.is_empty());
        let mapped = parse(
            SourceKind::Datadog,
            &Headers::default(),
            body,
            &title_rules(),
        )
        .unwrap();
        assert_eq!(mapped.events.len(), 1);
        assert_eq!(mapped.events[0].title, "Queue depth above 10k");
        assert_eq!(mapped.events[0].occurred_at, None);
    }

    #[test]
    fn rules_do_not_turn_what_a_tool_sends_about_other_things_into_events() {
        let push = br#"{"msg": "x", "ref": "refs/heads/main"}"#;
        let headers = testing::headers(&[("X-GitHub-Event", "push")]);
        let delivery = parse(SourceKind::Github, &headers, push, &title_rules()).unwrap();
        assert!(delivery.events.is_empty());
        assert!(delivery.ignored_reason.is_some());
    }

    #[test]
    fn deploy_titles_shorten_the_commit() {
        let title = deploy_title("main", Some("0123456789abcdef"), "prod", Some("hotfix"));
        assert_eq!(title, "Deploy main@0123456 to prod: hotfix");
        assert_eq!(
            deploy_title("v1.2", None, "staging", None),
            "Deploy v1.2 to staging"
        );
    }
}

//! GitLab webhooks: deployments, deploy jobs, pipelines, releases and
//! feature flags become deploy events; incidents (Issue Hooks of type
//! incident) become alert events. Every other hook is answered as ignored,
//! with the reason.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::auth::{self, VerifyConfig, VerifyError};
use super::json::{self, ParseError};
use serde_json::Value;

use super::{
    Delivery, EventKind, FieldMapping, Headers, Mapped, NormalizedEvent, Severity, deploy_title,
};

const SERVICE_POINTER: &str = "/project/name";

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
    // Group hooks (members, projects, subgroups) have no `object_kind`.
    let Some(object_kind) = json::str_at(&doc, "/object_kind") else {
        let event = headers
            .get("x-gitlab-event")
            .or_else(|| json::str_at(&doc, "/event_name"))
            .unwrap_or("unnamed");
        return Ok(Delivery::ignored(
            delivery_id,
            format!("GitLab `{event}` events carry no deploys or incidents"),
        ));
    };
    let mapped = match object_kind {
        "deployment" => deployment(&doc, mapping)?,
        "build" => job(&doc, mapping)?,
        "pipeline" => pipeline(&doc, mapping)?,
        "release" => release(&doc, mapping)?,
        "feature_flag" => feature_flag(&doc, mapping, delivery_id)?,
        "issue" | "work_item" => incident(&doc, mapping)?,
        other => Mapped::Ignored(format!(
            "GitLab `{other}` events carry no deploys or incidents"
        )),
    };
    Ok(mapped.into_delivery(delivery_id))
}

fn ignored(reason: String) -> Result<Mapped, ParseError> {
    Ok(Mapped::Ignored(reason))
}

/// The project's page, for links to its jobs and pipelines.
fn project_url(doc: &Value) -> Option<&str> {
    json::str_at(doc, "/project/web_url").or_else(|| json::str_at(doc, "/repository/homepage"))
}

fn username(doc: &Value) -> Option<String> {
    json::str_at(doc, "/user/username")
        .or_else(|| json::str_at(doc, "/user/name"))
        .map(str::to_owned)
}

fn deployment(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let status = json::req_str(doc, "/status")?;
    let kind = match status {
        "running" => EventKind::DeployStarted,
        "success" => EventKind::DeploySucceeded,
        "failed" | "canceled" => EventKind::DeployFailed,
        other => return ignored(format!("deployment status `{other}`")),
    };
    let deployment_id = json::req_id(doc, "/deployment_id")?;
    // GitLab's own documented example has no `ref`: the commit names the deploy.
    let reference = json::str_at(doc, "/ref");
    let short_sha = json::str_at(doc, "/short_sha");
    let fallback = format!("deployment {deployment_id}");
    let event = NormalizedEvent {
        occurred_at: json::time_at(doc, "/status_changed_at"),
        kind,
        title: deploy_title(
            reference.or(short_sha).unwrap_or(&fallback),
            reference.and(short_sha),
            json::req_str(doc, "/environment")?,
            json::str_at(doc, "/commit_title"),
        ),
        service: json::service_at(doc, mapping, SERVICE_POINTER),
        severity: None,
        link: json::str_at(doc, "/deployable_url")
            .or_else(|| json::str_at(doc, "/commit_url"))
            .map(str::to_owned),
        actor: username(doc),
        correlation_key: Some(deployment_id.clone()),
        dedupe_key: format!("deployment:{deployment_id}:{status}"),
        external_id: Some(deployment_id),
        raw_event_type: format!("deployment.{status}"),
    };
    Ok(Mapped::Event(Box::new(event)))
}

/// A Job Hook (`object_kind` `build`) for a job that deploys: one whose
/// environment it starts. Other jobs (tests, builds, stopping or only
/// preparing an environment) deploy nothing.
fn job(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let name = json::str_at(doc, "/build_name").unwrap_or("job");
    let Some(environment) = json::str_at(doc, "/environment/name") else {
        return ignored(format!("job `{name}` deploys to no environment"));
    };
    let action = json::str_at(doc, "/environment/action").unwrap_or("start");
    if action != "start" {
        return ignored(format!(
            "job `{name}` does not deploy: it does `{action}` on {environment}"
        ));
    }
    let status = json::req_str(doc, "/build_status")?;
    let (kind, time_pointer) = match status {
        "running" => (EventKind::DeployStarted, "/build_started_at"),
        "success" => (EventKind::DeploySucceeded, "/build_finished_at"),
        "failed" | "canceled" => (EventKind::DeployFailed, "/build_finished_at"),
        other => return ignored(format!("deploy job `{name}` is `{other}`")),
    };
    let id = json::req_id(doc, "/build_id")?;
    let event = NormalizedEvent {
        occurred_at: json::time_at(doc, time_pointer)
            .or_else(|| json::time_at(doc, "/build_created_at")),
        kind,
        title: deploy_title(
            json::req_str(doc, "/ref")?,
            json::str_at(doc, "/sha"),
            environment,
            Some(name),
        ),
        service: json::service_at(doc, mapping, SERVICE_POINTER),
        severity: None,
        link: project_url(doc).map(|project| format!("{project}/-/jobs/{id}")),
        actor: username(doc),
        correlation_key: Some(id.clone()),
        dedupe_key: format!("job:{id}:{status}"),
        external_id: Some(id),
        raw_event_type: format!("build.{status}"),
    };
    Ok(Mapped::Event(Box::new(event)))
}

/// A pipeline run, read as GitHub's workflow runs are: started while it
/// runs, then succeeded or failed. Waiting states are not deploy steps.
fn pipeline(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let status = json::req_str(doc, "/object_attributes/status")?;
    let (kind, time_pointer) = match status {
        "running" => (EventKind::DeployStarted, "/object_attributes/created_at"),
        "success" => (EventKind::DeploySucceeded, "/object_attributes/finished_at"),
        "failed" | "canceled" => (EventKind::DeployFailed, "/object_attributes/finished_at"),
        other => return ignored(format!("pipeline status `{other}`")),
    };
    let id = json::req_id(doc, "/object_attributes/id")?;
    let name = json::str_at(doc, "/object_attributes/name").unwrap_or("Pipeline");
    let mut title = format!("{name} #{id}");
    if let Some(reference) = json::str_at(doc, "/object_attributes/ref") {
        title = format!("{title} on {reference}");
    }
    let event = NormalizedEvent {
        occurred_at: json::time_at(doc, time_pointer)
            .or_else(|| json::time_at(doc, "/object_attributes/created_at")),
        kind,
        title,
        service: json::service_at(doc, mapping, SERVICE_POINTER),
        severity: None,
        link: json::str_at(doc, "/object_attributes/url")
            .map(str::to_owned)
            .or_else(|| project_url(doc).map(|project| format!("{project}/-/pipelines/{id}"))),
        actor: username(doc),
        correlation_key: Some(id.clone()),
        dedupe_key: format!("pipeline:{id}:{status}"),
        external_id: Some(id),
        raw_event_type: format!("pipeline.{status}"),
    };
    Ok(Mapped::Event(Box::new(event)))
}

/// A created release is a change its users now get, complete when it is
/// released: a succeeded deploy, as GitHub's published releases are.
/// Updating or deleting one changes nothing users get.
fn release(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let action = json::str_at(doc, "/action").unwrap_or("create");
    if action != "create" {
        return ignored(format!(
            "release action `{action}`: only creating a release is a change users get"
        ));
    }
    let id = json::req_id(doc, "/id")?;
    let tag = json::req_str(doc, "/tag")?;
    let title = match json::str_at(doc, "/name").filter(|name| *name != tag) {
        Some(name) => format!("Release {tag} published: {name}"),
        None => format!("Release {tag} published"),
    };
    let event = NormalizedEvent {
        occurred_at: json::time_at(doc, "/released_at")
            .or_else(|| json::time_at(doc, "/created_at")),
        kind: EventKind::DeploySucceeded,
        title,
        service: json::service_at(doc, mapping, SERVICE_POINTER),
        severity: None,
        link: json::str_at(doc, "/url").map(str::to_owned),
        actor: username(doc),
        correlation_key: Some(format!("release:{id}")),
        dedupe_key: format!("release:{id}:{action}"),
        external_id: Some(id),
        raw_event_type: format!("release.{action}"),
    };
    Ok(Mapped::Event(Box::new(event)))
}

/// Turning a feature flag on or off changes what users get at once, as a
/// finished deploy does. The body says nothing of when, so the event takes
/// its arrival time; the delivery id (kept across GitLab's retries) tells a
/// later toggle to the same state from a retry.
fn feature_flag(
    doc: &Value,
    mapping: &FieldMapping,
    delivery_id: Option<&str>,
) -> Result<Mapped, ParseError> {
    let id = json::req_id(doc, "/object_attributes/id")?;
    let name = json::req_str(doc, "/object_attributes/name")?;
    let active = doc
        .pointer("/object_attributes/active")
        .and_then(Value::as_bool)
        .ok_or_else(|| json::missing("/object_attributes/active"))?;
    let state = if active { "on" } else { "off" };
    let dedupe_key = match delivery_id {
        Some(delivery) => format!("feature_flag:{id}:{state}:{delivery}"),
        None => format!("feature_flag:{id}:{state}"),
    };
    let event = NormalizedEvent {
        occurred_at: None,
        kind: EventKind::DeploySucceeded,
        title: format!("Feature flag `{name}` turned {state}"),
        service: json::service_at(doc, mapping, SERVICE_POINTER),
        severity: None,
        link: project_url(doc).map(|project| format!("{project}/-/feature_flags")),
        actor: username(doc),
        correlation_key: Some(format!("feature_flag:{id}")),
        dedupe_key,
        external_id: Some(id),
        raw_event_type: format!("feature_flag.{state}"),
    };
    Ok(Mapped::Event(Box::new(event)))
}

/// An Issue Hook (or work item hook) about an incident: opened or reopened
/// is an alert triggered, closed is resolved, and an update that moves its
/// escalation status is acknowledged or resolved. Other issue types are
/// plain issues, not incidents.
fn incident(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let issue_type = json::str_at(doc, "/object_attributes/type")
        .or_else(|| json::str_at(doc, "/object_attributes/issue_type"))
        .unwrap_or("Issue");
    if !issue_type.eq_ignore_ascii_case("incident") {
        return ignored(format!(
            "GitLab `{issue_type}` work items are not incidents"
        ));
    }
    let action = json::str_at(doc, "/object_attributes/action").unwrap_or("update");
    let escalation = json::str_at(doc, "/changes/escalation_status/current");
    let (kind, time_pointer) = match (action, escalation) {
        ("open", _) => (EventKind::AlertTriggered, "/object_attributes/created_at"),
        ("reopen", _) => (EventKind::AlertTriggered, "/object_attributes/updated_at"),
        ("close", _) => (EventKind::AlertResolved, "/object_attributes/closed_at"),
        ("update", Some("acknowledged")) => (
            EventKind::AlertAcknowledged,
            "/object_attributes/updated_at",
        ),
        ("update", Some("resolved")) => (EventKind::AlertResolved, "/object_attributes/updated_at"),
        ("update", Some("triggered")) => {
            (EventKind::AlertTriggered, "/object_attributes/updated_at")
        }
        _ => {
            return ignored(format!(
                "incident `{action}` changes neither its state nor its escalation"
            ));
        }
    };
    let id = json::req_id(doc, "/object_attributes/id")?;
    let occurred_at = json::time_at(doc, time_pointer)
        .or_else(|| json::time_at(doc, "/object_attributes/updated_at"));
    let number = json::id_at(doc, "/object_attributes/iid").unwrap_or_else(|| id.clone());
    let title = json::str_at(doc, "/object_attributes/title").unwrap_or("untitled");
    let at = occurred_at.map_or_else(|| "undated".to_owned(), |at| at.to_rfc3339());
    let event = NormalizedEvent {
        occurred_at,
        kind,
        title: format!("Incident #{number}: {title}"),
        service: json::service_at(doc, mapping, SERVICE_POINTER),
        severity: json::str_at(doc, "/object_attributes/severity").and_then(Severity::from_label),
        link: json::str_at(doc, "/object_attributes/url").map(str::to_owned),
        actor: username(doc),
        correlation_key: Some(format!("incident:{id}")),
        dedupe_key: format!("incident:{id}:{}:{at}", kind.as_str()),
        external_id: Some(id),
        raw_event_type: format!("incident.{action}"),
    };
    Ok(Mapped::Event(Box::new(event)))
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
    fn events_that_are_neither_deploys_nor_incidents_are_ignored_by_name() {
        let delivery = parse(
            &headers(&[]),
            br#"{"object_kind": "push"}"#,
            &default_mapping(),
        )
        .unwrap();
        assert_eq!(
            delivery.ignored_reason.as_deref(),
            Some("GitLab `push` events carry no deploys or incidents")
        );
        // Group hooks name themselves only in the header and `event_name`.
        let member = parse(
            &headers(&[("X-Gitlab-Event", "Member Hook")]),
            br#"{"event_name": "user_add_to_group", "group_id": 100}"#,
            &default_mapping(),
        )
        .unwrap();
        assert_eq!(
            member.ignored_reason.as_deref(),
            Some("GitLab `Member Hook` events carry no deploys or incidents")
        );
    }

    fn parse_value(body: &Value) -> Delivery {
        let bytes = serde_json::to_vec(body).unwrap();
        parse(&headers(&[]), &bytes, &default_mapping()).unwrap()
    }

    #[test]
    fn gitlabs_documented_deployment_without_a_ref_is_named_by_its_commit() {
        let body =
            include_bytes!("../../tests/fixtures/vendors/gitlab/deployment.docs-example.json");
        let event = only_event(parse(&headers(&[]), body, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::DeploySucceeded);
        assert_eq!(event.occurred_at, Some(at("2021-04-28T19:50:00Z")));
        assert_eq!(event.title, "Deploy 279484c0 to staging: Add new file");
        assert_eq!(event.service.as_deref(), Some("test-deployment-webhooks"));
        assert_eq!(event.dedupe_key, "deployment:15:success");
        let blocked = serde_json::json!({"object_kind": "deployment", "status": "blocked",
            "deployment_id": 15, "environment": "production"});
        assert_eq!(
            parse_value(&blocked).ignored_reason.as_deref(),
            Some("deployment status `blocked`")
        );
    }

    /// A Job Hook body as GitLab documents it, for a job with an environment.
    fn job(status: &str, environment: Value) -> Value {
        serde_json::json!({
            "object_kind": "build", "ref": "main", "sha": "2293ada6b400935a1378653304eaf6221e0fdb8f",
            "build_id": 1977, "build_name": "deploy-prod", "build_status": status,
            "build_created_at": "2021-02-23T02:41:37.886Z",
            "build_started_at": "2021-02-23 02:42:00 UTC", "build_finished_at": "2021-02-23 02:45:10 UTC",
            "user": {"username": "root"},
            "project": {"name": "Gitlab Test", "web_url": "http://example.com/gitlab-org/gitlab-test"},
            "environment": environment
        })
    }

    #[test]
    fn deploy_jobs_map_their_status_and_other_jobs_are_ignored() {
        let production = serde_json::json!({"name": "production", "action": "start"});
        for (status, kind, time) in [
            ("running", EventKind::DeployStarted, "2021-02-23T02:42:00Z"),
            (
                "success",
                EventKind::DeploySucceeded,
                "2021-02-23T02:45:10Z",
            ),
            ("failed", EventKind::DeployFailed, "2021-02-23T02:45:10Z"),
            ("canceled", EventKind::DeployFailed, "2021-02-23T02:45:10Z"),
        ] {
            let event = only_event(parse_value(&job(status, production.clone())));
            assert_eq!(event.kind, kind, "{status}");
            assert_eq!(event.occurred_at, Some(at(time)), "{status}");
            assert_eq!(
                event.title,
                "Deploy main@2293ada to production: deploy-prod"
            );
            assert_eq!(
                event.link.as_deref(),
                Some("http://example.com/gitlab-org/gitlab-test/-/jobs/1977")
            );
            assert_eq!(event.dedupe_key, format!("job:1977:{status}"));
        }
        let reasons = [
            (
                job("created", production),
                "deploy job `deploy-prod` is `created`",
            ),
            (
                job("success", Value::Null),
                "job `deploy-prod` deploys to no environment",
            ),
            (
                job(
                    "success",
                    serde_json::json!({"name": "review/x", "action": "stop"}),
                ),
                "job `deploy-prod` does not deploy: it does `stop` on review/x",
            ),
        ];
        for (body, reason) in reasons {
            assert_eq!(parse_value(&body).ignored_reason.as_deref(), Some(reason));
        }
    }

    #[test]
    fn pipeline_statuses_map_to_deploy_steps_and_waiting_ones_are_ignored() {
        let pipeline = |status: &str| {
            serde_json::json!({"object_kind": "pipeline", "object_attributes": {
                "id": 31, "ref": "master", "status": status,
                "created_at": "2016-08-12 15:23:28 UTC", "finished_at": "2016-08-12 15:26:29 UTC"},
                "project": {"name": "Gitlab Test", "web_url": "http://example.com/gitlab-org/gitlab-test"}})
        };
        for (status, kind, time) in [
            ("running", EventKind::DeployStarted, "2016-08-12T15:23:28Z"),
            (
                "success",
                EventKind::DeploySucceeded,
                "2016-08-12T15:26:29Z",
            ),
            ("failed", EventKind::DeployFailed, "2016-08-12T15:26:29Z"),
            ("canceled", EventKind::DeployFailed, "2016-08-12T15:26:29Z"),
        ] {
            let event = only_event(parse_value(&pipeline(status)));
            assert_eq!(event.kind, kind, "{status}");
            assert_eq!(event.occurred_at, Some(at(time)), "{status}");
            assert_eq!(event.title, "Pipeline #31 on master");
            assert_eq!(event.dedupe_key, format!("pipeline:31:{status}"));
        }
        for status in ["pending", "created", "manual", "skipped"] {
            let delivery = parse_value(&pipeline(status));
            assert_eq!(
                delivery.ignored_reason,
                Some(format!("pipeline status `{status}`"))
            );
        }
    }

    fn incident(action: &str, changes: Value) -> Value {
        serde_json::json!({"object_kind": "issue", "user": {"username": "sathwikshetty33"},
            "project": {"name": "mVc"},
            "object_attributes": {"id": 191205280, "iid": 6, "title": "Checkout down",
                "type": "Incident", "severity": "critical", "action": action,
                "url": "https://gitlab.com/g/mVc/-/issues/6",
                "created_at": "2026-05-28T06:09:06.964Z", "updated_at": "2026-05-28T06:10:42.876Z",
                "closed_at": "2026-05-28T06:11:46.057Z"},
            "changes": changes})
    }

    #[test]
    fn incident_actions_and_escalations_map_to_alert_steps_with_severity() {
        let escalation = |to: &str| serde_json::json!({"escalation_status": {"previous": "triggered", "current": to}});
        for (body, kind, time) in [
            (
                incident("open", Value::Null),
                EventKind::AlertTriggered,
                "2026-05-28T06:09:06.964Z",
            ),
            (
                incident("reopen", Value::Null),
                EventKind::AlertTriggered,
                "2026-05-28T06:10:42.876Z",
            ),
            (
                incident("close", Value::Null),
                EventKind::AlertResolved,
                "2026-05-28T06:11:46.057Z",
            ),
            (
                incident("update", escalation("acknowledged")),
                EventKind::AlertAcknowledged,
                "2026-05-28T06:10:42.876Z",
            ),
            (
                incident("update", escalation("resolved")),
                EventKind::AlertResolved,
                "2026-05-28T06:10:42.876Z",
            ),
        ] {
            let event = only_event(parse_value(&body));
            assert_eq!(event.kind, kind);
            assert_eq!(event.occurred_at, Some(at(time)), "{kind}");
            assert_eq!(event.severity, Some(Severity::Critical));
            assert_eq!(event.title, "Incident #6: Checkout down");
            assert_eq!(event.correlation_key.as_deref(), Some("incident:191205280"));
        }
        let retitled = incident(
            "update",
            serde_json::json!({"title": {"previous": "a", "current": "b"}}),
        );
        assert_eq!(
            parse_value(&retitled).ignored_reason.as_deref(),
            Some("incident `update` changes neither its state nor its escalation")
        );
        let mut issue = incident("open", Value::Null);
        issue["object_attributes"]["type"] = "Task".into();
        assert_eq!(
            parse_value(&issue).ignored_reason.as_deref(),
            Some("GitLab `Task` work items are not incidents")
        );
    }

    #[test]
    fn feature_flag_toggles_are_undated_deploys_told_apart_by_their_delivery() {
        let body =
            include_bytes!("../../tests/fixtures/vendors/gitlab/feature_flag_hook.activated.json");
        let keyed = headers(&[("Idempotency-Key", "b2eecd3a-3ac9-489b-81d6-462ec4881ea5")]);
        let event = only_event(parse(&keyed, body, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::DeploySucceeded);
        assert_eq!(event.occurred_at, None);
        assert_eq!(event.title, "Feature flag `sample-feature-flag` turned on");
        assert_eq!(
            event.dedupe_key,
            "feature_flag:2073324:on:b2eecd3a-3ac9-489b-81d6-462ec4881ea5"
        );
        let unkeyed = only_event(parse(&headers(&[]), body, &default_mapping()).unwrap());
        assert_eq!(unkeyed.dedupe_key, "feature_flag:2073324:on");
    }

    #[test]
    fn only_creating_a_release_is_a_deploy() {
        let release = |action: &str| {
            serde_json::json!({"object_kind": "release", "id": 1, "tag": "v1.1", "name": "v1.1",
                "action": action, "created_at": "2020-11-02 12:55:12 UTC",
                "released_at": "2020-11-03 09:00:00 UTC", "project": {"name": "release-webhook-example"}})
        };
        let event = only_event(parse_value(&release("create")));
        assert_eq!(event.kind, EventKind::DeploySucceeded);
        assert_eq!(event.occurred_at, Some(at("2020-11-03T09:00:00Z")));
        assert_eq!(event.title, "Release v1.1 published");
        for action in ["update", "delete"] {
            assert_eq!(
                parse_value(&release(action)).ignored_reason,
                Some(format!(
                    "release action `{action}`: only creating a release is a change users get"
                ))
            );
        }
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

//! GitHub repository webhooks: deploys from `deployment`, `deployment_status`,
//! `workflow_run`, deploy jobs of `workflow_job` and published `release`s;
//! issue changes from `issues` (tracker updates). Every other event is
//! answered as ignored, with the reason.

use serde_json::Value;

use super::auth::{self, VerifyConfig, VerifyError};
use super::json::{self, ParseError};
use super::{
    Delivery, EventKind, FieldMapping, Headers, Mapped, NormalizedEvent, SourceKind, TrackerStatus,
    TrackerUpdate, deploy_title,
};

const SERVICE_POINTER: &str = "/repository/name";

/// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
pub(super) fn verify(
    headers: &Headers,
    body: &[u8],
    cfg: &VerifyConfig,
) -> Result<(), VerifyError> {
    auth::check_prefixed_hex(
        headers.get("x-hub-signature-256"),
        "sha256=",
        cfg.secrets,
        body,
    )
}

fn event_name(headers: &Headers) -> Result<&str, ParseError> {
    headers
        .get("x-github-event")
        .ok_or_else(|| json::missing_header("X-GitHub-Event"))
}

pub(super) fn parse(
    headers: &Headers,
    body: &[u8],
    mapping: &FieldMapping,
) -> Result<Delivery, ParseError> {
    let event = event_name(headers)?;
    let delivery_id = headers.get("x-github-delivery");
    let doc = json::parse_object(body)?;
    let mapped = match event {
        "ping" => Mapped::Ignored("GitHub ping".to_owned()),
        "issues" => Mapped::Ignored(
            "GitHub issues events are tracker updates, not timeline events".to_owned(),
        ),
        // Actions reports a deploying job as a check run too, next to its
        // `workflow_job` and `deployment_status`: mapping it would show the
        // deploy twice. Other check runs are CI results, not deploys.
        "check_run" => Mapped::Ignored(
            "GitHub check runs are CI results; deploys come from `deployment_status` and `workflow_job`"
                .to_owned(),
        ),
        "deployment" => deployment(&doc, mapping)?,
        "deployment_status" => deployment_status(&doc, mapping)?,
        "workflow_run" => workflow_run(&doc, mapping)?,
        "workflow_job" => workflow_job(&doc, mapping)?,
        "release" => release(&doc, mapping)?,
        other => Mapped::Ignored(format!("GitHub `{other}` events carry no deploys")),
    };
    Ok(mapped.into_delivery(delivery_id))
}

fn commit_link(doc: &Value, sha: &str) -> Option<String> {
    json::str_at(doc, "/repository/html_url").map(|repo| format!("{repo}/commit/{sha}"))
}

fn deployment(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let id = json::req_id(doc, "/deployment/id")?;
    let sha = json::req_str(doc, "/deployment/sha")?;
    let event = NormalizedEvent {
        occurred_at: json::time_at(doc, "/deployment/created_at"),
        kind: EventKind::DeployStarted,
        title: deploy_title(
            json::str_at(doc, "/deployment/ref").unwrap_or(sha),
            Some(sha),
            json::req_str(doc, "/deployment/environment")?,
            json::str_at(doc, "/deployment/description"),
        ),
        service: json::service_at(doc, mapping, SERVICE_POINTER),
        severity: None,
        link: commit_link(doc, sha),
        actor: json::str_at(doc, "/deployment/creator/login")
            .or_else(|| json::str_at(doc, "/sender/login"))
            .map(str::to_owned),
        correlation_key: Some(id.clone()),
        dedupe_key: format!("deployment:{id}"),
        external_id: Some(id),
        raw_event_type: "deployment".to_owned(),
    };
    Ok(Mapped::Event(Box::new(event)))
}

fn deployment_status(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let state = json::req_str(doc, "/deployment_status/state")?;
    let kind = match state {
        "success" => EventKind::DeploySucceeded,
        "failure" | "error" => EventKind::DeployFailed,
        "pending" | "queued" | "in_progress" => EventKind::DeployStarted,
        "inactive" => {
            return Ok(Mapped::Ignored(
                "deployment status `inactive`: a later deploy to the environment replaced this one"
                    .to_owned(),
            ));
        }
        other => {
            return Ok(Mapped::Ignored(format!(
                "deployment status `{other}` is not a deploy step"
            )));
        }
    };
    let deployment_id = json::req_id(doc, "/deployment/id")?;
    let status_id = json::req_id(doc, "/deployment_status/id")?;
    let sha = json::req_str(doc, "/deployment/sha")?;
    let link = [
        "/deployment_status/target_url",
        "/deployment_status/log_url",
        "/deployment_status/environment_url",
    ]
    .iter()
    .find_map(|pointer| json::str_at(doc, pointer))
    .map(str::to_owned)
    .or_else(|| commit_link(doc, sha));
    let event = NormalizedEvent {
        occurred_at: json::time_at(doc, "/deployment_status/created_at")
            .or_else(|| json::time_at(doc, "/deployment_status/updated_at")),
        kind,
        title: deploy_title(
            json::str_at(doc, "/deployment/ref").unwrap_or(sha),
            Some(sha),
            json::str_at(doc, "/deployment_status/environment")
                .map_or_else(|| json::req_str(doc, "/deployment/environment"), Ok)?,
            json::str_at(doc, "/deployment_status/description"),
        ),
        service: json::service_at(doc, mapping, SERVICE_POINTER),
        severity: None,
        link,
        actor: json::str_at(doc, "/deployment_status/creator/login")
            .or_else(|| json::str_at(doc, "/sender/login"))
            .map(str::to_owned),
        correlation_key: Some(deployment_id.clone()),
        dedupe_key: format!("deployment_status:{status_id}"),
        external_id: Some(deployment_id),
        raw_event_type: format!("deployment_status.{state}"),
    };
    Ok(Mapped::Event(Box::new(event)))
}

fn workflow_run(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let action = json::req_str(doc, "/action")?;
    let (kind, time_pointer) = match action {
        "requested" => (EventKind::DeployStarted, "/workflow_run/created_at"),
        "in_progress" => (EventKind::DeployStarted, "/workflow_run/run_started_at"),
        "completed" => match json::str_at(doc, "/workflow_run/conclusion") {
            Some("success") => (EventKind::DeploySucceeded, "/workflow_run/updated_at"),
            Some("failure" | "timed_out" | "startup_failure" | "cancelled") => {
                (EventKind::DeployFailed, "/workflow_run/updated_at")
            }
            other => {
                let conclusion = other.unwrap_or("none");
                return Ok(Mapped::Ignored(format!(
                    "workflow run concluded `{conclusion}`"
                )));
            }
        },
        other => return Ok(Mapped::Ignored(format!("workflow run action `{other}`"))),
    };
    let id = json::req_id(doc, "/workflow_run/id")?;
    let attempt = json::id_at(doc, "/workflow_run/run_attempt").unwrap_or_else(|| "1".to_owned());
    let name = ["/workflow_run/name", "/workflow/name", "/workflow_run/path"]
        .iter()
        .find_map(|pointer| json::str_at(doc, pointer))
        .unwrap_or("workflow");
    let mut title = name.to_owned();
    if let Some(number) = json::id_at(doc, "/workflow_run/run_number") {
        title = format!("{title} #{number}");
    }
    if let Some(branch) = json::str_at(doc, "/workflow_run/head_branch") {
        title = format!("{title} on {branch}");
    }
    if let Some(what) = json::str_at(doc, "/workflow_run/display_title") {
        title = format!("{title}: {what}");
    }
    let event = NormalizedEvent {
        occurred_at: json::time_at(doc, time_pointer)
            .or_else(|| json::time_at(doc, "/workflow_run/created_at")),
        kind,
        title,
        service: json::service_at(doc, mapping, SERVICE_POINTER),
        severity: None,
        link: json::str_at(doc, "/workflow_run/html_url").map(str::to_owned),
        actor: [
            "/workflow_run/triggering_actor/login",
            "/workflow_run/actor/login",
            "/sender/login",
        ]
        .iter()
        .find_map(|pointer| json::str_at(doc, pointer))
        .map(str::to_owned),
        correlation_key: Some(id.clone()),
        dedupe_key: format!("workflow_run:{id}:{attempt}:{action}"),
        external_id: Some(id),
        raw_event_type: format!("workflow_run.{action}"),
    };
    Ok(Mapped::Event(Box::new(event)))
}

/// A job of a workflow run, when it deploys to an environment (GitHub then
/// sends the deployment it made with it). Jobs that deploy nothing are CI.
fn workflow_job(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let action = json::req_str(doc, "/action")?;
    let job = json::str_at(doc, "/workflow_job/name").unwrap_or("job");
    let Some(environment) = json::str_at(doc, "/deployment/environment") else {
        return Ok(Mapped::Ignored(format!(
            "workflow job `{job}` deploys to no environment"
        )));
    };
    let (kind, time_pointer) = match action {
        "queued" | "waiting" => (EventKind::DeployStarted, "/workflow_job/created_at"),
        "in_progress" => (EventKind::DeployStarted, "/workflow_job/started_at"),
        "completed" => match json::str_at(doc, "/workflow_job/conclusion") {
            Some("success") => (EventKind::DeploySucceeded, "/workflow_job/completed_at"),
            Some("failure" | "timed_out" | "cancelled" | "startup_failure") => {
                (EventKind::DeployFailed, "/workflow_job/completed_at")
            }
            other => {
                let conclusion = other.unwrap_or("none");
                return Ok(Mapped::Ignored(format!(
                    "deploy job `{job}` concluded `{conclusion}`"
                )));
            }
        },
        other => return Ok(Mapped::Ignored(format!("workflow job action `{other}`"))),
    };
    let id = json::req_id(doc, "/workflow_job/id")?;
    let attempt = json::id_at(doc, "/workflow_job/run_attempt").unwrap_or_else(|| "1".to_owned());
    let sha = json::str_at(doc, "/workflow_job/head_sha");
    let reference = json::str_at(doc, "/workflow_job/head_branch")
        .or_else(|| json::str_at(doc, "/deployment/ref"))
        .or(sha)
        .unwrap_or("a commit");
    let event = NormalizedEvent {
        occurred_at: json::time_at(doc, time_pointer)
            .or_else(|| json::time_at(doc, "/workflow_job/started_at")),
        kind,
        title: deploy_title(reference, sha, environment, Some(job)),
        service: json::service_at(doc, mapping, SERVICE_POINTER),
        severity: None,
        link: json::str_at(doc, "/workflow_job/html_url").map(str::to_owned),
        actor: json::str_at(doc, "/sender/login").map(str::to_owned),
        // The deployment ties the job to the deployment's own statuses.
        correlation_key: json::id_at(doc, "/deployment/id").or_else(|| Some(id.clone())),
        dedupe_key: format!("workflow_job:{id}:{attempt}:{action}"),
        external_id: Some(id),
        raw_event_type: format!("workflow_job.{action}"),
    };
    Ok(Mapped::Event(Box::new(event)))
}

/// A published release is a change its users now get, finished when it is
/// published: the timeline shows it as a succeeded deploy (there is no later
/// outcome to wait for, so not `deploy.started`; `alert.annotated` belongs to
/// alerts). Creating a draft, editing or deleting one changes nothing users
/// get; `prereleased` and `released` come with the `published` of the same
/// release (a pre-release made a full release later was published already).
fn release(doc: &Value, mapping: &FieldMapping) -> Result<Mapped, ParseError> {
    let action = json::req_str(doc, "/action")?;
    if action != "published" {
        return Ok(Mapped::Ignored(format!(
            "release action `{action}`: only publishing a release is a change users get"
        )));
    }
    let id = json::req_id(doc, "/release/id")?;
    let tag = json::req_str(doc, "/release/tag_name")?;
    let what = match doc.pointer("/release/prerelease").and_then(Value::as_bool) {
        Some(true) => "Pre-release",
        _ => "Release",
    };
    let title = match json::str_at(doc, "/release/name").filter(|name| *name != tag) {
        Some(name) => format!("{what} {tag} published: {name}"),
        None => format!("{what} {tag} published"),
    };
    let event = NormalizedEvent {
        occurred_at: json::time_at(doc, "/release/published_at")
            .or_else(|| json::time_at(doc, "/release/created_at")),
        kind: EventKind::DeploySucceeded,
        title,
        service: json::service_at(doc, mapping, SERVICE_POINTER),
        severity: None,
        link: json::str_at(doc, "/release/html_url").map(str::to_owned),
        actor: json::str_at(doc, "/release/author/login")
            .or_else(|| json::str_at(doc, "/sender/login"))
            .map(str::to_owned),
        correlation_key: Some(format!("release:{id}")),
        dedupe_key: format!("release:{id}:published"),
        external_id: Some(id),
        raw_event_type: "release.published".to_owned(),
    };
    Ok(Mapped::Event(Box::new(event)))
}

/// An `issues` event as a tracker update; `None` for other events.
pub(super) fn tracker_update(
    headers: &Headers,
    body: &[u8],
) -> Result<Option<TrackerUpdate>, ParseError> {
    if event_name(headers)? != "issues" {
        return Ok(None);
    }
    let doc = json::parse_object(body)?;
    let action = json::req_str(&doc, "/action")?;
    let repository = json::req_str(&doc, "/repository/full_name")?;
    let number = doc
        .pointer("/issue/number")
        .and_then(Value::as_u64)
        .ok_or_else(|| json::missing("/issue/number"))?;
    let state = json::req_str(&doc, "/issue/state")?;
    let state_reason = json::str_at(&doc, "/issue/state_reason");
    let assignees = doc
        .pointer("/issue/assignees")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|user| json::str_at(user, "/login").map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(TrackerUpdate {
        source: SourceKind::Github,
        delivery_id: headers.get("x-github-delivery").map(str::to_owned),
        action: action.to_owned(),
        issue_key: format!("{repository}#{number}"),
        issue_number: Some(number),
        repository: Some(repository.to_owned()),
        url: json::str_at(&doc, "/issue/html_url").map(str::to_owned),
        state: Some(state.to_owned()),
        state_reason: state_reason.map(str::to_owned),
        status: status(state, state_reason),
        assignees,
        due_date: None,
        updated_at: json::req_time(&doc, "/issue/updated_at")?,
        changed_by: json::str_at(&doc, "/sender/login").map(str::to_owned),
        changed_fields: changed_fields(&doc, action),
    }))
}

fn status(state: &str, reason: Option<&str>) -> Option<TrackerStatus> {
    match (state, reason) {
        ("open", _) => Some(TrackerStatus::Open),
        ("closed", Some("not_planned" | "duplicate")) => Some(TrackerStatus::WontDo),
        ("closed", _) => Some(TrackerStatus::Done),
        _ => None,
    }
}

fn changed_fields(doc: &Value, action: &str) -> Vec<String> {
    let fields: Vec<&str> = match action {
        "closed" | "reopened" => vec!["status"],
        "assigned" | "unassigned" => vec!["assignee"],
        "edited" => doc
            .get("changes")
            .and_then(Value::as_object)
            .map(|changes| changes.keys().map(String::as_str).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    fields.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, default_mapping, headers, now, only_event, service_mapping};
    use super::*;

    fn with_event(name: &str) -> Headers {
        headers(&[
            ("X-GitHub-Event", name),
            ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ])
    }

    #[test]
    fn deployment_fixture_starts_a_deploy_of_the_repository() {
        let delivery = parse(
            &with_event("deployment"),
            fixture!("github/deployment.json"),
            &default_mapping(),
        )
        .unwrap();
        assert_eq!(
            delivery.delivery_id.as_deref(),
            Some("72d3162e-cc78-11e3-81ab-4c9367dc0958")
        );
        let event = only_event(delivery);
        assert_eq!(event.kind, EventKind::DeployStarted);
        assert_eq!(event.occurred_at, Some(at("2019-05-15T15:20:53Z")));
        assert_eq!(event.title, "Deploy master@f95f852 to production");
        assert_eq!(event.service.as_deref(), Some("Hello-World"));
        assert_eq!(event.severity, None);
        assert_eq!(event.actor.as_deref(), Some("Codertocat"));
        assert_eq!(event.correlation_key.as_deref(), Some("145988746"));
        assert_eq!(event.dedupe_key, "deployment:145988746");
        assert_eq!(
            event.link.as_deref(),
            Some(
                "https://github.com/Codertocat/Hello-World/commit/f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
            )
        );
    }

    #[test]
    fn deployment_status_fixture_marks_the_deploy_succeeded() {
        let body = fixture!("github/deployment_status.json");
        let event =
            only_event(parse(&with_event("deployment_status"), body, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::DeploySucceeded);
        assert_eq!(event.occurred_at, Some(at("2019-05-15T15:20:55Z")));
        assert_eq!(event.title, "Deploy master@f95f852 to production");
        assert_eq!(event.service.as_deref(), Some("Hello-World"));
        assert_eq!(event.correlation_key.as_deref(), Some("145988746"));
        assert_eq!(event.severity, None);
        assert_eq!(event.actor.as_deref(), Some("Codertocat"));
        assert_eq!(event.dedupe_key, "deployment_status:209916254");
        assert_eq!(event.raw_event_type, "deployment_status.success");

        let by_full_name = parse(
            &with_event("deployment_status"),
            body,
            &service_mapping("/repository/full_name"),
        )
        .unwrap();
        assert_eq!(
            by_full_name.events[0].service.as_deref(),
            Some("Codertocat/Hello-World")
        );
    }

    #[test]
    fn deployment_states_map_to_deploy_steps() {
        let body = String::from_utf8(fixture!("github/deployment_status.json").to_vec()).unwrap();
        for (state, kind) in [
            ("failure", EventKind::DeployFailed),
            ("error", EventKind::DeployFailed),
            ("in_progress", EventKind::DeployStarted),
            ("queued", EventKind::DeployStarted),
            ("pending", EventKind::DeployStarted),
            ("success", EventKind::DeploySucceeded),
        ] {
            let changed = body.replacen(
                "\"state\": \"success\"",
                &format!("\"state\": \"{state}\""),
                1,
            );
            let delivery = parse(
                &with_event("deployment_status"),
                changed.as_bytes(),
                &default_mapping(),
            )
            .unwrap();
            assert_eq!(only_event(delivery).kind, kind, "{state}");
        }
        let inactive = body.replacen("\"state\": \"success\"", "\"state\": \"inactive\"", 1);
        let delivery = parse(
            &with_event("deployment_status"),
            inactive.as_bytes(),
            &default_mapping(),
        )
        .unwrap();
        assert!(delivery.events.is_empty());
        assert_eq!(
            delivery.ignored_reason.as_deref(),
            Some(
                "deployment status `inactive`: a later deploy to the environment replaced this one"
            )
        );
    }

    /// A `workflow_job` body of the shape GitHub sends for a job with an
    /// `environment`: the job, and the deployment it made.
    fn deploy_job(action: &str, conclusion: Option<&str>) -> Value {
        serde_json::json!({
            "action": action,
            "workflow_job": {
                "id": 12877621891_u64, "run_attempt": 2, "name": "deploy",
                "head_branch": "main", "head_sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
                "conclusion": conclusion,
                "html_url": "https://github.com/acme/shop/actions/runs/1/job/12877621891",
                "created_at": "2023-04-19T21:12:12Z", "started_at": "2023-04-19T21:13:00Z",
                "completed_at": "2023-04-19T21:15:30Z"
            },
            "deployment": {"id": 875096709, "environment": "production"},
            "repository": {"name": "shop"},
            "sender": {"login": "lineville"}
        })
    }

    fn parse_value(event: &str, body: &Value) -> Delivery {
        let bytes = serde_json::to_vec(body).unwrap();
        parse(&with_event(event), &bytes, &default_mapping()).unwrap()
    }

    #[test]
    fn deploy_jobs_map_their_action_and_conclusion_to_deploy_steps_at_the_jobs_own_time() {
        for (action, conclusion, kind, time) in [
            (
                "queued",
                None,
                EventKind::DeployStarted,
                "2023-04-19T21:12:12Z",
            ),
            (
                "waiting",
                None,
                EventKind::DeployStarted,
                "2023-04-19T21:12:12Z",
            ),
            (
                "in_progress",
                None,
                EventKind::DeployStarted,
                "2023-04-19T21:13:00Z",
            ),
            (
                "completed",
                Some("success"),
                EventKind::DeploySucceeded,
                "2023-04-19T21:15:30Z",
            ),
            (
                "completed",
                Some("failure"),
                EventKind::DeployFailed,
                "2023-04-19T21:15:30Z",
            ),
            (
                "completed",
                Some("cancelled"),
                EventKind::DeployFailed,
                "2023-04-19T21:15:30Z",
            ),
            (
                "completed",
                Some("timed_out"),
                EventKind::DeployFailed,
                "2023-04-19T21:15:30Z",
            ),
        ] {
            let event = only_event(parse_value("workflow_job", &deploy_job(action, conclusion)));
            assert_eq!(event.kind, kind, "{action} {conclusion:?}");
            assert_eq!(event.occurred_at, Some(at(time)), "{action}");
            assert_eq!(event.title, "Deploy main@f95f852 to production: deploy");
            assert_eq!(event.correlation_key.as_deref(), Some("875096709"));
            assert_eq!(
                event.dedupe_key,
                format!("workflow_job:12877621891:2:{action}")
            );
            assert_eq!(event.service.as_deref(), Some("shop"));
        }
        let skipped = parse_value("workflow_job", &deploy_job("completed", Some("skipped")));
        assert_eq!(
            skipped.ignored_reason.as_deref(),
            Some("deploy job `deploy` concluded `skipped`")
        );
        let mut ci_job = deploy_job("completed", Some("success"));
        ci_job.as_object_mut().unwrap().remove("deployment");
        let ci = parse_value("workflow_job", &ci_job);
        assert_eq!(
            ci.ignored_reason.as_deref(),
            Some("workflow job `deploy` deploys to no environment")
        );
    }

    fn release_body(action: &str, prerelease: bool) -> Value {
        serde_json::json!({
            "action": action,
            "release": {
                "id": 17372790, "tag_name": "v2.1.0", "name": "Spring cleaning",
                "prerelease": prerelease, "html_url": "https://github.com/acme/shop/releases/tag/v2.1.0",
                "created_at": "2019-05-15T15:19:25Z", "published_at": "2019-05-15T15:20:53Z",
                "author": {"login": "Codertocat"}
            },
            "repository": {"name": "shop"}
        })
    }

    #[test]
    fn only_publishing_a_release_is_a_deploy_and_it_happens_when_published() {
        let event = only_event(parse_value("release", &release_body("published", false)));
        assert_eq!(event.kind, EventKind::DeploySucceeded);
        assert_eq!(event.occurred_at, Some(at("2019-05-15T15:20:53Z")));
        assert_eq!(event.title, "Release v2.1.0 published: Spring cleaning");
        assert_eq!(event.dedupe_key, "release:17372790:published");
        let pre = only_event(parse_value("release", &release_body("published", true)));
        assert_eq!(pre.title, "Pre-release v2.1.0 published: Spring cleaning");
        for action in [
            "created",
            "edited",
            "deleted",
            "prereleased",
            "released",
            "unpublished",
        ] {
            let delivery = parse_value("release", &release_body(action, false));
            assert!(delivery.events.is_empty(), "{action}");
            assert_eq!(
                delivery.ignored_reason,
                Some(format!(
                    "release action `{action}`: only publishing a release is a change users get"
                ))
            );
        }
    }

    #[test]
    fn check_runs_and_unknown_events_are_ignored_with_a_reason() {
        let check_run = parse_value("check_run", &serde_json::json!({"action": "completed"}));
        assert!(check_run.ignored_reason.unwrap().contains("CI results"));
        let star = parse_value("star", &serde_json::json!({"action": "created"}));
        assert_eq!(
            star.ignored_reason.as_deref(),
            Some("GitHub `star` events carry no deploys")
        );
    }

    #[test]
    fn completed_workflow_run_fixture_is_a_successful_deploy() {
        let body = fixture!("github/workflow_run.completed.json");
        let event =
            only_event(parse(&with_event("workflow_run"), body, &default_mapping()).unwrap());
        assert_eq!(event.kind, EventKind::DeploySucceeded);
        assert_eq!(event.occurred_at, Some(at("2020-10-05T16:33:49Z")));
        assert_eq!(
            event.title,
            "test #163 on master: ci(action): update actions/setup-node digest to 8c91899"
        );
        assert_eq!(event.service.as_deref(), Some("octo-repo"));
        assert_eq!(event.severity, None);
        assert_eq!(event.actor.as_deref(), Some("Codertocat"));
        assert_eq!(event.correlation_key.as_deref(), Some("289782451"));
        assert_eq!(event.dedupe_key, "workflow_run:289782451:1:completed");
        assert_eq!(
            event.link.as_deref(),
            Some("https://github.com/octo-org/octo-repo/actions/runs/289782451")
        );
    }

    #[test]
    fn ping_and_issue_events_give_no_timeline_events() {
        let ping = parse(
            &with_event("ping"),
            br#"{"zen": "Keep it logically awesome.", "hook_id": 1}"#,
            &default_mapping(),
        )
        .unwrap();
        assert_eq!(ping.ignored_reason.as_deref(), Some("GitHub ping"));
        let issues = parse(
            &with_event("issues"),
            fixture!("github/issues.opened.json"),
            &default_mapping(),
        )
        .unwrap();
        assert!(issues.events.is_empty());
        let missing = parse(&headers(&[]), b"{}", &default_mapping()).unwrap_err();
        assert_eq!(missing, json::missing_header("X-GitHub-Event"));
    }

    fn update(body: &[u8]) -> TrackerUpdate {
        tracker_update(&with_event("issues"), body)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn opened_issue_fixture_is_an_open_assigned_issue() {
        let update = update(fixture!("github/issues.opened.json"));
        assert_eq!(update.action, "opened");
        assert_eq!(update.issue_key, "Codertocat/Hello-World#1");
        assert_eq!(update.issue_number, Some(1));
        assert_eq!(update.repository.as_deref(), Some("Codertocat/Hello-World"));
        assert_eq!(
            update.url.as_deref(),
            Some("https://github.com/Codertocat/Hello-World/issues/1")
        );
        assert_eq!(update.status, Some(TrackerStatus::Open));
        assert_eq!(update.assignees, ["Codertocat"]);
        assert_eq!(update.updated_at, at("2019-05-15T15:20:18Z"));
        assert_eq!(update.changed_by.as_deref(), Some("Codertocat"));
        assert_eq!(
            update.delivery_id.as_deref(),
            Some("72d3162e-cc78-11e3-81ab-4c9367dc0958")
        );
    }

    #[test]
    fn closed_issue_fixture_is_done() {
        let update = update(fixture!("github/issues.closed.json"));
        assert_eq!(update.action, "closed");
        assert_eq!(update.issue_key, "Pritesh-30/test-repo#8");
        assert_eq!(update.state.as_deref(), Some("closed"));
        assert_eq!(update.state_reason.as_deref(), Some("completed"));
        assert_eq!(update.status, Some(TrackerStatus::Done));
        assert!(update.assignees.is_empty());
        assert_eq!(update.updated_at, at("2026-01-31T08:11:37Z"));
        assert_eq!(update.changed_by.as_deref(), Some("Pritesh-30"));
        assert_eq!(update.changed_fields, ["status"]);
    }

    #[test]
    fn reopened_issue_fixture_is_open_again() {
        let update = update(fixture!("github/issues.reopened.json"));
        assert_eq!(update.action, "reopened");
        assert_eq!(update.status, Some(TrackerStatus::Open));
        assert_eq!(update.updated_at, at("2021-10-11T16:40:56Z"));
        assert_eq!(update.changed_fields, ["status"]);
    }

    #[test]
    fn edited_issue_fixture_reports_no_changed_fields_for_empty_changes() {
        let update = update(fixture!("github/issues.edited.json"));
        assert_eq!(update.action, "edited");
        assert_eq!(update.status, Some(TrackerStatus::Open));
        assert!(update.changed_fields.is_empty());
    }

    #[test]
    fn assigned_issue_fixture_names_the_assignee() {
        let update = update(fixture!("github/issues.assigned.json"));
        assert_eq!(update.action, "assigned");
        assert_eq!(update.assignees, ["Codertocat"]);
        assert_eq!(update.changed_fields, ["assignee"]);
    }

    #[test]
    fn issues_closed_as_not_planned_are_wont_do() {
        assert_eq!(
            status("closed", Some("not_planned")),
            Some(TrackerStatus::WontDo)
        );
        assert_eq!(status("closed", None), Some(TrackerStatus::Done));
    }

    #[test]
    fn non_issue_events_are_not_tracker_updates() {
        let body = fixture!("github/deployment.json");
        assert_eq!(tracker_update(&with_event("deployment"), body), Ok(None));
    }

    #[test]
    fn githubs_documented_test_vector_verifies() {
        let secrets: &[&[u8]] = &[b"It's a Secret to Everybody"];
        let signed = headers(&[(
            "X-Hub-Signature-256",
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        )]);
        let cfg = VerifyConfig::new(secrets, now());
        assert_eq!(verify(&signed, b"Hello, World!", &cfg), Ok(()));
        assert_eq!(
            verify(&signed, b"Hello, World?", &cfg),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&headers(&[]), b"Hello, World!", &cfg),
            Err(VerifyError::Missing)
        );
        let sha1 = headers(&[(
            "X-Hub-Signature-256",
            "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59",
        )]);
        assert_eq!(
            verify(&sha1, b"Hello, World!", &cfg),
            Err(VerifyError::Mismatch)
        );
    }
}

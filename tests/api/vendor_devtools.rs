//! The vendors' own catalog examples, under `tests/fixtures/vendors/` with
//! their sources in each directory's `SOURCES.md`: GitHub's from the npm
//! package `@octokit/webhooks-examples`, GitLab's and Jira's from their docs
//! and real captures. Each is sent unchanged, signed, with the headers its
//! sender uses, through `POST /webhooks/{id}`: it is accepted, and gives the
//! events of the kinds and at the times its body says, or is ignored with a
//! reason. The expectations below were read off the bodies.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{DateTime, SubsecRound, Utc};
use entity::sync_outbox;
use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::helpers::{Hook, TestApp, id, signed, spawn_app};
use crate::tracker_sync::{
    created_issue, jira_server, jira_tracker, mount_create, owned_item, settled,
};

/// What delivering an example must give.
enum Outcome {
    /// These events in `/api/v1/events`, oldest first: the kind, and the time
    /// the body gives (`None`: it gives none, so the event is dated on arrival).
    Events(&'static [(&'static str, Option<&'static str>)]),
    /// No event, and a receipt whose `ignored_reason` says this.
    Ignored(&'static str),
}
use Outcome::{Events, Ignored};

/// One example file (`<vendor>/<name>`), and the event header its sender
/// sets (`X-GitHub-Event`, `X-Gitlab-Event`; Jira names the event in the body).
struct Case {
    file: &'static str,
    event: Option<&'static str>,
    outcome: Outcome,
}

const VENDORS: [&str; 3] = ["github", "gitlab", "jira"];

fn vendor_dir(vendor: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/vendors")
        .join(vendor)
}

fn example(file: &str) -> Vec<u8> {
    let (vendor, name) = file.split_once('/').unwrap();
    std::fs::read(vendor_dir(vendor).join(name)).unwrap_or_else(|e| panic!("reading {file}: {e}"))
}

fn vendor_of(case: &Case) -> &'static str {
    case.file.split_once('/').unwrap().0
}

/// Delivers the example to `hook` (an integration of its vendor), as its sender would.
async fn deliver(app: &TestApp, hook: &Hook, case: &Case) -> Value {
    let vendor = vendor_of(case);
    let body = example(case.file);
    let mut headers = signed(vendor, &hook.secret, &body);
    if let Some(event) = case.event {
        let name = match vendor {
            "github" => "X-GitHub-Event",
            _ => "X-Gitlab-Event",
        };
        headers.push((name, event.to_owned()));
    }
    app.deliver_ok(hook, &headers, &body).await
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

async fn check(case: Case) {
    let app = spawn_app().await;
    let hook = app.integration(vendor_of(&case)).await;
    let before = Utc::now().trunc_subsecs(6);
    let receipt = deliver(&app, &hook, &case).await;
    let after = Utc::now();
    let file = case.file;
    assert_eq!(receipt["duplicate"], false, "{file}: {receipt}");
    let vendor = vendor_of(&case);
    let events = app.events(&format!("source={vendor}")).await;
    match case.outcome {
        Events(expected) => {
            assert_eq!(receipt["ignored_reason"], Value::Null, "{file}: {receipt}");
            let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
            let want: Vec<&str> = expected.iter().map(|(kind, _)| *kind).collect();
            assert_eq!(kinds, want, "{file}");
            for (event, (_, at)) in events.iter().zip(expected) {
                assert!(
                    !event["title"].as_str().unwrap().is_empty(),
                    "{file}: {event}"
                );
                match at {
                    Some(at) => {
                        assert_eq!(event["occurred_at"], *at, "{file}: {event}");
                        assert_eq!(event["time_source"], "source", "{file}: {event}");
                    }
                    None => {
                        let arrived = time(&event["occurred_at"]);
                        assert!(before <= arrived && arrived <= after, "{file}: {event}");
                        assert_eq!(event["time_source"], "arrival", "{file}: {event}");
                    }
                }
            }
        }
        Ignored(reason) => {
            assert_eq!(events, Vec::<Value>::new(), "{file}");
            assert_eq!(receipt["event_ids"], json!([]), "{file}");
            let said = receipt["ignored_reason"].as_str().unwrap_or_default();
            assert!(
                said.contains(reason),
                "{file}: {said:?} does not say {reason:?}"
            );
        }
    }
}

/// The cases, and one test per case named after its file.
macro_rules! cases {
    ($($name:ident: $file:literal, $event:expr => $outcome:expr;)*) => {
        const CASES: &[Case] = &[$(Case { file: $file, event: $event, outcome: $outcome }),*];

        $(
            #[tokio::test]
            async fn $name() {
                check(Case { file: $file, event: $event, outcome: $outcome }).await;
            }
        )*
    };
}

cases! {
    github_check_run_completed_1: "github/check_run.completed.1.json", Some("check_run") => Ignored("check runs are CI results");
    github_check_run_completed_2: "github/check_run.completed.2.json", Some("check_run") => Ignored("check runs are CI results");
    github_check_run_completed_3: "github/check_run.completed.3.json", Some("check_run") => Ignored("check runs are CI results");
    github_check_run_created_0: "github/check_run.created.0.json", Some("check_run") => Ignored("check runs are CI results");
    github_check_run_created_4: "github/check_run.created.4.json", Some("check_run") => Ignored("check runs are CI results");
    github_check_run_created_5: "github/check_run.created.5.json", Some("check_run") => Ignored("check runs are CI results");
    github_check_run_requested_action_6: "github/check_run.requested_action.6.json", Some("check_run") => Ignored("check runs are CI results");
    github_check_run_rerequested_7: "github/check_run.rerequested.7.json", Some("check_run") => Ignored("check runs are CI results");
    github_check_run_rerequested_8: "github/check_run.rerequested.8.json", Some("check_run") => Ignored("check runs are CI results");
    github_deployment_created_0: "github/deployment.created.0.json", Some("deployment") => Events(&[("deploy.started", Some("2019-05-15T15:20:53Z"))]);
    github_deployment_created_1: "github/deployment.created.1.json", Some("deployment") => Events(&[("deploy.started", Some("2022-01-03T01:28:30Z"))]);
    github_deployment_created_2: "github/deployment.created.2.json", Some("deployment") => Events(&[("deploy.started", Some("2019-05-15T15:20:53Z"))]);
    github_deployment_created_3: "github/deployment.created.3.json", Some("deployment") => Events(&[("deploy.started", Some("2019-05-15T15:20:53Z"))]);
    github_deployment_status_created_0: "github/deployment_status.created.0.json", Some("deployment_status") => Events(&[("deploy.succeeded", Some("2019-05-15T15:20:55Z"))]);
    github_deployment_status_created_1: "github/deployment_status.created.1.json", Some("deployment_status") => Events(&[("deploy.started", Some("2022-01-03T01:28:40Z"))]);
    github_deployment_status_created_2: "github/deployment_status.created.2.json", Some("deployment_status") => Events(&[("deploy.succeeded", Some("2019-05-15T15:20:55Z"))]);
    github_deployment_status_created_3: "github/deployment_status.created.3.json", Some("deployment_status") => Events(&[("deploy.succeeded", Some("2019-05-15T15:20:55Z"))]);
    github_issues_assigned_1: "github/issues.assigned.1.json", Some("issues") => Ignored("tracker updates");
    github_issues_assigned_2: "github/issues.assigned.2.json", Some("issues") => Ignored("tracker updates");
    github_issues_assigned_3: "github/issues.assigned.3.json", Some("issues") => Ignored("tracker updates");
    github_issues_deleted_4: "github/issues.deleted.4.json", Some("issues") => Ignored("tracker updates");
    github_issues_demilestoned_5: "github/issues.demilestoned.5.json", Some("issues") => Ignored("tracker updates");
    github_issues_demilestoned_6: "github/issues.demilestoned.6.json", Some("issues") => Ignored("tracker updates");
    github_issues_edited_0: "github/issues.edited.0.json", Some("issues") => Ignored("tracker updates");
    github_issues_edited_7: "github/issues.edited.7.json", Some("issues") => Ignored("tracker updates");
    github_issues_edited_8: "github/issues.edited.8.json", Some("issues") => Ignored("tracker updates");
    github_issues_labeled_10: "github/issues.labeled.10.json", Some("issues") => Ignored("tracker updates");
    github_issues_labeled_9: "github/issues.labeled.9.json", Some("issues") => Ignored("tracker updates");
    github_issues_locked_11: "github/issues.locked.11.json", Some("issues") => Ignored("tracker updates");
    github_issues_locked_12: "github/issues.locked.12.json", Some("issues") => Ignored("tracker updates");
    github_issues_milestoned_13: "github/issues.milestoned.13.json", Some("issues") => Ignored("tracker updates");
    github_issues_milestoned_14: "github/issues.milestoned.14.json", Some("issues") => Ignored("tracker updates");
    github_issues_opened_15: "github/issues.opened.15.json", Some("issues") => Ignored("tracker updates");
    github_issues_opened_16: "github/issues.opened.16.json", Some("issues") => Ignored("tracker updates");
    github_issues_opened_17: "github/issues.opened.17.json", Some("issues") => Ignored("tracker updates");
    github_issues_opened_18: "github/issues.opened.18.json", Some("issues") => Ignored("tracker updates");
    github_issues_pinned_19: "github/issues.pinned.19.json", Some("issues") => Ignored("tracker updates");
    github_issues_reopened_20: "github/issues.reopened.20.json", Some("issues") => Ignored("tracker updates");
    github_issues_transferred_21: "github/issues.transferred.21.json", Some("issues") => Ignored("tracker updates");
    github_issues_unassigned_22: "github/issues.unassigned.22.json", Some("issues") => Ignored("tracker updates");
    github_issues_unassigned_23: "github/issues.unassigned.23.json", Some("issues") => Ignored("tracker updates");
    github_issues_unlabeled_24: "github/issues.unlabeled.24.json", Some("issues") => Ignored("tracker updates");
    github_issues_unlabeled_25: "github/issues.unlabeled.25.json", Some("issues") => Ignored("tracker updates");
    github_issues_unlocked_26: "github/issues.unlocked.26.json", Some("issues") => Ignored("tracker updates");
    github_issues_unlocked_27: "github/issues.unlocked.27.json", Some("issues") => Ignored("tracker updates");
    github_issues_unpinned_28: "github/issues.unpinned.28.json", Some("issues") => Ignored("tracker updates");
    github_ping_0: "github/ping.0.json", Some("ping") => Ignored("GitHub ping");
    github_ping_1: "github/ping.1.json", Some("ping") => Ignored("GitHub ping");
    github_ping_2: "github/ping.2.json", Some("ping") => Ignored("GitHub ping");
    github_ping_3: "github/ping.3.json", Some("ping") => Ignored("GitHub ping");
    github_release_created_1: "github/release.created.1.json", Some("release") => Ignored("only publishing a release");
    github_release_created_2: "github/release.created.2.json", Some("release") => Ignored("only publishing a release");
    github_release_created_3: "github/release.created.3.json", Some("release") => Ignored("only publishing a release");
    github_release_deleted_4: "github/release.deleted.4.json", Some("release") => Ignored("only publishing a release");
    github_release_deleted_5: "github/release.deleted.5.json", Some("release") => Ignored("only publishing a release");
    github_release_edited_6: "github/release.edited.6.json", Some("release") => Ignored("only publishing a release");
    github_release_edited_7: "github/release.edited.7.json", Some("release") => Ignored("only publishing a release");
    github_release_prereleased_8: "github/release.prereleased.8.json", Some("release") => Ignored("only publishing a release");
    github_release_prereleased_9: "github/release.prereleased.9.json", Some("release") => Ignored("only publishing a release");
    github_release_published_0: "github/release.published.0.json", Some("release") => Events(&[("deploy.succeeded", Some("2019-05-15T15:20:53Z"))]);
    github_release_published_10: "github/release.published.10.json", Some("release") => Events(&[("deploy.succeeded", Some("2019-05-15T15:20:53Z"))]);
    github_release_published_11: "github/release.published.11.json", Some("release") => Events(&[("deploy.succeeded", Some("2019-05-15T15:20:53Z"))]);
    github_release_released_12: "github/release.released.12.json", Some("release") => Ignored("only publishing a release");
    github_workflow_job_completed_1: "github/workflow_job.completed.1.json", Some("workflow_job") => Ignored("deploys to no environment");
    github_workflow_job_completed_2: "github/workflow_job.completed.2.json", Some("workflow_job") => Ignored("deploys to no environment");
    github_workflow_job_in_progress_0: "github/workflow_job.in_progress.0.json", Some("workflow_job") => Ignored("deploys to no environment");
    github_workflow_job_in_progress_3: "github/workflow_job.in_progress.3.json", Some("workflow_job") => Ignored("deploys to no environment");
    github_workflow_job_in_progress_4: "github/workflow_job.in_progress.4.json", Some("workflow_job") => Ignored("deploys to no environment");
    github_workflow_job_queued_5: "github/workflow_job.queued.5.json", Some("workflow_job") => Ignored("deploys to no environment");
    github_workflow_job_queued_6: "github/workflow_job.queued.6.json", Some("workflow_job") => Events(&[("deploy.started", Some("2023-04-19T21:12:12Z"))]);
    github_workflow_job_waiting_7: "github/workflow_job.waiting.7.json", Some("workflow_job") => Ignored("deploys to no environment");
    github_workflow_run_completed_0: "github/workflow_run.completed.0.json", Some("workflow_run") => Ignored("workflow run concluded `none`");
    github_workflow_run_completed_1: "github/workflow_run.completed.1.json", Some("workflow_run") => Events(&[("deploy.succeeded", Some("2020-10-05T16:33:49Z"))]);
    github_workflow_run_completed_2: "github/workflow_run.completed.2.json", Some("workflow_run") => Events(&[("deploy.succeeded", Some("2020-10-05T16:33:49Z"))]);
    github_workflow_run_requested_3: "github/workflow_run.requested.3.json", Some("workflow_run") => Events(&[("deploy.started", Some("2020-10-05T16:33:24Z"))]);
    github_workflow_run_requested_4: "github/workflow_run.requested.4.json", Some("workflow_run") => Events(&[("deploy.started", Some("2020-10-05T16:33:24Z"))]);
    gitlab_deployment_docs_example: "gitlab/deployment.docs-example.json", Some("Deployment Hook") => Events(&[("deploy.succeeded", Some("2021-04-28T19:50:00Z"))]);
    gitlab_deployment_hook_running: "gitlab/deployment_hook.running.json", Some("Deployment Hook") => Events(&[("deploy.started", Some("2025-05-02T11:54:46Z"))]);
    gitlab_deployment_hook_canceled: "gitlab/deployment_hook.canceled.json", Some("Deployment Hook") => Events(&[("deploy.failed", Some("2025-05-02T12:36:52Z"))]);
    gitlab_deployment_hook_blocked: "gitlab/deployment_hook.blocked.json", Some("Deployment Hook") => Ignored("deployment status `blocked`");
    gitlab_feature_flag_docs_example: "gitlab/feature_flag.docs-example.json", Some("Feature Flag Hook") => Events(&[("deploy.succeeded", None)]);
    gitlab_feature_flag_hook_activated: "gitlab/feature_flag_hook.activated.json", Some("Feature Flag Hook") => Events(&[("deploy.succeeded", None)]);
    gitlab_issue_docs_example: "gitlab/issue.docs-example.json", Some("Issue Hook") => Ignored("`Issue` work items are not incidents");
    gitlab_issue_hook_incident_created: "gitlab/issue_hook.incident_created.json", Some("Issue Hook") => Events(&[("alert.triggered", Some("2026-05-28T05:04:31.155Z"))]);
    gitlab_issue_hook_incident_closed: "gitlab/issue_hook.incident_closed.json", Some("Issue Hook") => Events(&[("alert.resolved", Some("2026-05-28T06:11:46.057Z"))]);
    gitlab_job_hook_build_succeeded: "gitlab/job_hook.build_succeeded.json", Some("Job Hook") => Ignored("job `job_name` deploys to no environment");
    gitlab_pipeline_hook_succeeded: "gitlab/pipeline_hook.succeeded.json", Some("Pipeline Hook") => Events(&[("deploy.succeeded", Some("2016-09-28T20:22:34Z"))]);
    gitlab_release_hook_create: "gitlab/release_hook.create.json", Some("Release Hook") => Events(&[("deploy.succeeded", Some("2020-11-02T12:55:12Z"))]);
    jira_issue_deleted_of_no_synced_item: "jira/issue_deleted.json", None => Ignored("a deleted Jira issue unlinks the action item");
    jira_worklog_created: "jira/worklog_created.json", None => Ignored("Jira `worklog_created` events carry nothing");
    jira_comment_deleted: "jira/comment_deleted.json", None => Ignored("Jira `comment_deleted` events carry nothing");
}

fn files_on_disk() -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    for vendor in VENDORS {
        for entry in std::fs::read_dir(vendor_dir(vendor)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name != "SOURCES.md" {
                files.insert(format!("{vendor}/{name}"));
            }
        }
    }
    files
}

#[test]
fn every_vendor_example_on_disk_has_an_expectation_and_a_recorded_source() {
    let expected: BTreeSet<String> = CASES.iter().map(|c| c.file.to_owned()).collect();
    let on_disk = files_on_disk();
    let unchecked: Vec<&String> = on_disk.difference(&expected).collect();
    assert!(
        unchecked.is_empty(),
        "examples with no expectation: {unchecked:?}"
    );
    let gone: Vec<&String> = expected.difference(&on_disk).collect();
    assert!(
        gone.is_empty(),
        "expectations for missing examples: {gone:?}"
    );
    for vendor in VENDORS {
        let sources = std::fs::read_to_string(vendor_dir(vendor).join("SOURCES.md")).unwrap();
        for file in on_disk
            .iter()
            .filter_map(|f| f.strip_prefix(&format!("{vendor}/")))
        {
            assert!(
                sources.contains(&format!("`{file}`")),
                "{vendor}/SOURCES.md does not record {file}"
            );
        }
    }
}

#[tokio::test]
async fn a_retried_delivery_without_an_id_gives_the_same_events_and_changes_nothing() {
    let app = spawn_app().await;
    let hook = app.integration("gitlab").await;
    for case in CASES
        .iter()
        .filter(|c| vendor_of(c) == "gitlab" && matches!(c.outcome, Events(_)))
    {
        let first = deliver(&app, &hook, case).await;
        assert_eq!(first["duplicate"], false, "{}: {first}", case.file);
    }
    let stored = app.events("source=gitlab").await;
    // GitLab's secret-token deliveries here carry no delivery id: the events'
    // own keys, not their arrival, must tell a retry from a new event.
    for case in CASES
        .iter()
        .filter(|c| vendor_of(c) == "gitlab" && matches!(c.outcome, Events(_)))
    {
        let again = deliver(&app, &hook, case).await;
        assert_eq!(again["duplicate"], true, "{}: {again}", case.file);
    }
    assert_eq!(app.events("source=gitlab").await, stored);
}

#[tokio::test]
async fn a_deleted_jira_issue_unlinks_its_action_item_and_says_why() {
    let app = spawn_app().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("BUG-15")).await;
    jira_tracker(&app, &jira).await;
    let item = settled(&app, &owned_item(&app, json!({})).await).await;
    assert_eq!(item["external_key"], "BUG-15");
    assert_eq!(item["sync_state"], "synced");

    let hook = app.integration("jira").await;
    let body = example("jira/issue_deleted.json");
    let receipt = app
        .deliver_ok(&hook, &signed("jira", &hook.secret, &body), &body)
        .await;
    assert_eq!(receipt["event_ids"], json!([]));

    let path = format!("/api/v1/action-items/{}", id(&item));
    let after = app.get_json_as_admin(&path).await;
    for field in ["tracker_id", "external_key", "external_url"] {
        assert_eq!(after[field], Value::Null, "{field}: {after}");
    }
    assert_eq!(after["sync_state"], "not_synced");
    // The work is still to do: what the item says stays as it was.
    for field in ["title", "status", "owner_id", "due_date", "priority"] {
        assert_eq!(after[field], item[field], "{field}");
    }
    let why = after["last_sync_error"].as_str().unwrap_or_default();
    assert!(
        why.starts_with("the Jira issue BUG-15 was deleted in Jira"),
        "{why:?}"
    );
    // The reason names no one, so readers who may not see names are told it too.
    assert_eq!(app.get_json(&path).await["last_sync_error"], why);

    // Nobody asked for a new issue: editing the item queues nothing for Jira.
    let edited = app
        .patch(
            &path,
            &json!({"title": "Page on a drop in checkout success"}),
        )
        .await;
    assert_eq!(edited.status(), reqwest::StatusCode::OK);
    let item_id: uuid::Uuid = id(&item).parse().unwrap();
    let queued = sync_outbox::Entity::find()
        .filter(sync_outbox::Column::ActionItemId.eq(item_id))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(queued, 0);
    assert_eq!(app.get_json(&path).await["sync_state"], "not_synced");

    // Jira retrying the same delivery changes nothing more.
    let again = app
        .deliver_ok(&hook, &signed("jira", &hook.secret, &body), &body)
        .await;
    assert_eq!(again["duplicate"], true);
}

/// A GitHub tracker for `full_name` (`owner/repo`) whose API answers the
/// creation of an issue with issue `number`; the mock must live while it is used.
async fn github_repo(app: &TestApp, full_name: &str, number: u64) -> MockServer {
    let server = MockServer::start().await;
    let (owner, repo) = full_name.split_once('/').unwrap();
    let issue = json!({
        "id": 444500041, "node_id": "MDU6SXNzdWU0NDQ1MDAwNDE=", "number": number,
        "html_url": format!("https://github.com/{full_name}/issues/{number}"),
        "state": "open", "state_reason": null, "assignees": [], "assignee": null, "body": "",
        "updated_at": "2021-10-11T16:00:00Z"
    });
    Mock::given(method("POST"))
        .and(path(format!("/repos/{full_name}/issues")))
        .respond_with(ResponseTemplate::new(201).set_body_json(issue))
        .mount(&server)
        .await;
    let tracker = json!({"kind": "github", "name": repo, "base_url": server.uri(), "owner": owner,
        "repo": repo, "token": "ghp_test", "allow_insecure_http": true, "is_default": true});
    app.create("/api/v1/trackers", tracker).await;
    server
}

#[tokio::test]
async fn a_deleted_github_issue_unlinks_its_action_item_instead_of_closing_it() {
    let app = spawn_app().await;
    let _github = github_repo(&app, "Codertocat/Hello-World", 1).await;
    // Unowned: the owner's GitHub login does not matter here.
    let item = settled(&app, &owned_item(&app, json!({"owner_id": null})).await).await;
    assert_eq!(item["external_key"], "1", "{item}");

    // GitHub's own example: the deleted issue reads `closed`.
    let hook = app.integration("github").await;
    let body = example("github/issues.deleted.4.json");
    let mut headers = signed("github", &hook.secret, &body);
    headers.push(("X-GitHub-Event", "issues".to_owned()));
    app.deliver_ok(&hook, &headers, &body).await;

    let after = app
        .get_json_as_admin(&format!("/api/v1/action-items/{}", id(&item)))
        .await;
    assert_eq!(after["status"], "open", "a deleted issue is not work done");
    assert_eq!(after["completed_at"], Value::Null);
    assert_eq!(after["tracker_id"], Value::Null);
    assert_eq!(after["external_key"], Value::Null);
    assert_eq!(after["sync_state"], "not_synced");
    let why = after["last_sync_error"].as_str().unwrap_or_default();
    assert!(
        why.starts_with("the GitHub issue Codertocat/Hello-World#1 was deleted in GitHub"),
        "{why:?}"
    );
}

//! Tracker changes arriving by webhook (`POST /webhooks/{id}` of a `jira` or
//! `github` integration) reach the action item, using the real payloads.

use chrono::{DateTime, Utc};
use entity::action_item;
use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, EntityTrait as _};
use serde_json::{Value, json};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

use crate::{
    helpers::{TestApp, fixture, id, signed, spawn_app},
    tracker_sync::{created_issue, jira_server, jira_tracker, mount_create, owned_item, settled},
};

/// The item as it was before the tracker change the fixture reports: real
/// payloads are old, and changes older than the item's last edit are ignored.
async fn last_changed_at(app: &TestApp, item: &Value, at: &str) {
    let id: uuid::Uuid = id(item).parse().unwrap();
    let row = action_item::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: action_item::ActiveModel = row.into();
    row.updated_at = Set(at.parse::<DateTime<Utc>>().unwrap());
    row.update(&app.state.db).await.unwrap();
}

async fn status_of(app: &TestApp, item: &Value) -> Value {
    app.get_json(&format!("/api/v1/action-items/{}", id(item)))
        .await["status"]
        .clone()
}

#[tokio::test]
async fn a_jira_issue_updated_webhook_moves_the_item_to_the_issues_status_category() {
    let app = spawn_app().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("TEST-1")).await;
    jira_tracker(&app, &jira).await;
    let item = settled(&app, &owned_item(&app, json!({})).await).await;
    assert_eq!(item["external_key"], "TEST-1");
    last_changed_at(&app, &item, "2017-01-01T00:00:00Z").await;

    let hook = app.integration("jira").await;
    let body = fixture("jira/issue_updated.status.json");
    let receipt = app
        .deliver_ok(&hook, &signed("jira", &hook.secret, &body), &body)
        .await;
    assert_eq!(receipt["duplicate"], false);
    assert_eq!(
        status_of(&app, &item).await,
        "in_progress",
        "status category 'indeterminate'"
    );

    // A repeat delivery changes nothing more, even after a local edit.
    app.patch(
        &format!("/api/v1/action-items/{}", id(&item)),
        &json!({"status": "open"}),
    )
    .await;
    last_changed_at(&app, &item, "2017-01-01T00:00:00Z").await;
    let headers = signed("jira", &hook.secret, &body);
    let receipt = app.deliver_ok(&hook, &headers, &body).await;
    assert_eq!(receipt["duplicate"], true);
    assert_eq!(status_of(&app, &item).await, "open");
}

#[tokio::test]
async fn a_jira_webhook_closing_the_issue_marks_the_item_done() {
    let app = spawn_app().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("OPS-7")).await;
    jira_tracker(&app, &jira).await;
    let item = settled(&app, &owned_item(&app, json!({})).await).await;
    let hook = app.integration("jira").await;
    // A workflow whose done status is called "Shipped": its category says done.
    let now = Utc::now();
    let body = serde_json::to_vec(&json!({
        "timestamp": now.timestamp_millis(),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {"accountId": "acc-alice", "displayName": "Alice Smith"},
        "issue": {"id": "10001", "key": "OPS-7", "fields": {
            "summary": "Alert when checkout success rate drops",
            "status": {"name": "Shipped", "statusCategory": {"id": 3, "key": "done", "name": "Done"}},
            "assignee": {"accountId": "acc-alice"},
            "duedate": "2026-12-15",
            "updated": now.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
        }},
        "changelog": {"items": [{"field": "status", "fromString": "In Progress", "toString": "Shipped"}]}
    }))
    .unwrap();
    app.deliver_ok(&hook, &signed("jira", &hook.secret, &body), &body)
        .await;
    let after = app
        .get_json(&format!("/api/v1/action-items/{}", id(&item)))
        .await;
    assert_eq!(after["status"], "done");
    assert!(after["completed_at"].is_string());
}

#[tokio::test]
async fn a_github_issues_closed_webhook_marks_the_item_done() {
    let app = spawn_app().await;
    let github = wiremock::MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/Pritesh-30/test-repo/issues"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": 1008, "node_id": "I_kw8", "number": 8,
            "html_url": "https://github.com/Pritesh-30/test-repo/issues/8", "state": "open",
            "state_reason": null, "assignees": [], "assignee": null, "body": "",
            "updated_at": "2026-01-30T10:00:00Z"
        })))
        .mount(&github)
        .await;
    app.create(
        "/api/v1/trackers",
        json!({"kind": "github", "name": "test-repo", "base_url": github.uri(), "owner": "Pritesh-30",
               "repo": "test-repo", "token": "ghp_test", "allow_insecure_http": true, "is_default": true}),
    )
    .await;
    let pm = app.simple_postmortem().await;
    let created = app
        .create(
            &format!("/api/v1/postmortems/{}/action-items", id(&pm)),
            json!({"title": "Add a synthetic check for the login page"}),
        )
        .await;
    let item = settled(&app, &created).await;
    assert_eq!(item["external_key"], "8");
    last_changed_at(&app, &item, "2026-01-30T00:00:00Z").await;

    let hook = app.integration("github").await;
    let body = fixture("github/issues.closed.json");
    let mut headers = signed("github", &hook.secret, &body);
    headers.push(("X-GitHub-Event", "issues".to_owned()));
    app.deliver_ok(&hook, &headers, &body).await;
    assert_eq!(status_of(&app, &item).await, "done", "closed as completed");
}

#[tokio::test]
async fn a_tracker_webhook_about_an_unknown_issue_is_acknowledged_and_changes_nothing() {
    let app = spawn_app().await;
    let hook = app.integration("jira").await;
    let body = fixture("jira/issue_updated.assignee.json");
    let receipt = app
        .deliver_ok(&hook, &signed("jira", &hook.secret, &body), &body)
        .await;
    assert_eq!(receipt["event_ids"], json!([]));
    assert_eq!(
        app.get_json("/api/v1/action-items").await["items"],
        json!([])
    );
}

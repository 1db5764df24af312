//! Outbound requests cannot reach inside: tracker URLs that are, or resolve to,
//! internal addresses are refused in every spelling unless the allow-list
//! names them, and a stored token never follows `base_url` to a new host.

use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
use serde_json::{Value, json};
use wiremock::MockServer;

use hindsight::auth::Role;

use crate::{
    helpers::{TestApp, assert_problem, error_fields, id, spawn_app, spawn_app_with},
    tracker_sync::{created_issue, jira_server, mount_create, received, settled},
};

/// An app whose outbound client may reach no internal address at all.
async fn app_without_allow_list() -> TestApp {
    spawn_app_with(|s| s.outbound_allow.clear()).await
}

fn jira_at(base_url: &str) -> Value {
    json!({"kind": "jira", "name": "Ops", "base_url": base_url, "project_key": "OPS",
           "email": "bot@acme.com", "api_token": "t", "allow_insecure_http": true,
           "api_user": "acc-bot", "is_default": true})
}

/// Every spelling of an internal address as a URL; `{port}` is the mock's.
const INTERNAL_LITERALS: [&str; 15] = [
    "https://127.0.0.1:{port}",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]",
    "https://10.0.0.1",
    "https://2130706433",
    "https://0177.0.0.1",
    "https://127.1",
    "https://0x7f.0.0.1",
    "https://[::ffff:127.0.0.1]",
    "https://[::ffff:7f00:1]",
    "https://100.64.0.1",
    "https://[fc00::1]",
    "https://[fe80::1]",
    "https://0.0.0.0",
    "https://192.168.0.10",
];

/// An action item without an owner, synced to the default tracker.
async fn item(app: &TestApp) -> Value {
    let pm = app.simple_postmortem().await;
    let path = format!("/api/v1/postmortems/{}/action-items", id(&pm));
    app.create(&path, json!({"title": "Alert on checkout errors"}))
        .await
}

/// The fields a 422 names, and its first message.
async fn refused(response: reqwest::Response) -> (Vec<String>, String) {
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let said = problem["errors"][0]["message"].as_str().unwrap().to_owned();
    (error_fields(&problem), said)
}

/// Makes a Jira tracker at `base_url` the default, then an item, and waits
/// for its sync to end.
async fn sync_through(app: &TestApp, base_url: &str) -> Value {
    app.create("/api/v1/trackers", jira_at(base_url)).await;
    let item = item(app).await;
    settled(app, &item).await
}

async fn jira_requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

#[tokio::test]
async fn a_tracker_at_an_internal_ip_in_any_spelling_is_refused_naming_base_url() {
    let app = app_without_allow_list().await;
    let jira = jira_server().await;
    let port = jira.address().port();
    let https = INTERNAL_LITERALS.map(|u| u.replace("{port}", &port.to_string()));
    let http = https.clone().map(|u| u.replacen("https://", "http://", 1));

    for base_url in https.iter().chain(&http) {
        let response = app.post("/api/v1/trackers", &jira_at(base_url)).await;
        let (fields, said) = refused(response).await;
        assert_eq!(fields, ["base_url"], "{base_url}: {said}");
        assert!(said.contains("not allowed"), "{base_url}: {said}");
    }
    let listed = app.get_json_as(Role::Admin, "/api/v1/trackers").await;
    assert_eq!(listed["items"], json!([]), "nothing was saved");
    assert_eq!(jira_requests(&jira).await, 0);
}

#[tokio::test]
async fn a_tracker_named_after_loopback_syncs_to_nothing_and_viewers_see_a_neutral_reason() {
    let app = app_without_allow_list().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("OPS-1")).await;
    let port = jira.address().port();

    // `localhost.` would be the same, but not every resolver answers for it.
    let failed = sync_through(&app, &format!("http://localhost:{port}")).await;

    assert_eq!(failed["sync_state"], "failed", "{failed}");
    let detail = failed["last_sync_error"].as_str().unwrap();
    assert!(
        detail.contains("localhost resolves to") && detail.contains("not allowed"),
        "{detail}"
    );
    let neutral =
        "the tracker's address is not allowed: it is internal or reserved; an admin can see which";
    let seen = app
        .get_json(&format!("/api/v1/action-items/{}", id(&failed)))
        .await;
    assert_eq!(seen["last_sync_error"], neutral);
    let query = format!(
        r#"{{ actionItem(id: "{}") {{ lastSyncError }} }}"#,
        id(&failed)
    );
    let data = app.graphql_data(Role::Viewer, &query, json!({})).await;
    assert_eq!(data["actionItem"]["lastSyncError"], neutral);
    assert_eq!(jira_requests(&jira).await, 0, "nothing reached the mock");
}

#[tokio::test]
async fn a_tracker_saved_at_an_internal_ip_before_the_rule_is_refused_when_it_syncs() {
    let app = app_without_allow_list().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("OPS-1")).await;
    let port = jira.address().port();
    let tracker = app
        .create("/api/v1/trackers", jira_at("https://jira.example.com"))
        .await;
    let model = hindsight::services::trackers::get(&app.state.db, id(&tracker).parse().unwrap())
        .await
        .unwrap();
    let mut row = model.into_active_model();
    row.base_url = Set(format!("http://2130706433:{port}"));
    row.update(&app.state.db).await.unwrap();

    let item = item(&app).await;
    let failed = settled(&app, &item).await;

    assert_eq!(failed["sync_state"], "failed", "{failed}");
    let detail = failed["last_sync_error"].as_str().unwrap();
    assert!(
        detail.contains("127.0.0.1 is an internal or reserved address"),
        "{detail}"
    );
    assert_eq!(jira_requests(&jira).await, 0);
}

#[tokio::test]
async fn every_spelling_of_an_allow_listed_address_reaches_the_tracker() {
    let app = spawn_app().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("OPS-1")).await;
    let port = jira.address().port();

    for host in [
        "127.0.0.1",
        "2130706433",
        "0177.0.0.1",
        "127.1",
        "0x7f.0.0.1",
        "[::ffff:127.0.0.1]",
        "localhost",
    ] {
        let before = received(&jira, "POST", "/rest/api/3/issue").await.len();
        let synced = sync_through(&app, &format!("http://{host}:{port}")).await;

        assert_eq!(synced["sync_state"], "synced", "{host}: {synced}");
        let after = received(&jira, "POST", "/rest/api/3/issue").await.len();
        assert_eq!(after, before + 1, "{host}");
    }
}

/// A PATCH of a tracker as it was created (version 1).
async fn patch_tracker(app: &TestApp, tracker: &Value, body: Value) -> reqwest::Response {
    app.request(
        Method::PATCH,
        &format!("/api/v1/trackers/{}", id(tracker)),
        Role::Admin,
    )
    .header("If-Match", "\"v1\"")
    .json(&body)
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn moving_a_tracker_to_another_host_requires_its_credentials_again() {
    let app = spawn_app().await;
    let jira = app
        .create("/api/v1/trackers", jira_at("https://acme.atlassian.net"))
        .await;
    let gitlab = app
        .create(
            "/api/v1/trackers",
            json!({"kind": "gitlab", "name": "API", "project_id": "acme/api", "token": "glpat-old"}),
        )
        .await;

    for (tracker, field, moved) in [
        (&jira, "api_token", "https://evil.example.com"),
        (&jira, "api_token", "https://acme.atlassian.net:8443"),
        (&jira, "api_token", "http://acme.atlassian.net"),
        (&gitlab, "token", "https://gitlab.evil.example"),
    ] {
        let response = patch_tracker(&app, tracker, json!({"base_url": moved})).await;
        let (fields, said) = refused(response).await;
        assert_eq!(fields, [field], "{moved}: {said}");
        assert!(said.contains("give the credentials again"), "{said}");
    }

    let same_host = patch_tracker(
        &app,
        &jira,
        json!({"base_url": "https://acme.atlassian.net/"}),
    )
    .await;
    assert_eq!(same_host.status(), StatusCode::OK);
    let with_token = patch_tracker(
        &app,
        &gitlab,
        json!({"base_url": "https://gitlab.acme.example", "token": "glpat-new"}),
    )
    .await;
    assert_eq!(with_token.status(), StatusCode::OK);
    let moved: Value = with_token.json().await.unwrap();
    assert_eq!(moved["base_url"], "https://gitlab.acme.example");
}

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::{TestApp, assert_problem, error_fields, id, spawn_app};
use hindsight::auth::Role;

async fn admin_get(app: &TestApp, path: &str) -> serde_json::Value {
    let response = app
        .request(Method::GET, path, Role::Admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn tracker_credentials_are_write_only_and_encrypted_at_rest() {
    let app = spawn_app().await;
    let tracker = app
        .create(
            "/api/v1/trackers",
            json!({"kind": "jira", "name": "Ops", "base_url": "https://acme.atlassian.net",
                   "project_key": "OPS", "email": "bot@acme.com", "api_token": "sekrit-token-123"}),
        )
        .await;
    assert_eq!(tracker["kind"], "jira");
    assert_eq!(tracker["jira_dialect"], "cloud");
    let shown = admin_get(&app, &format!("/api/v1/trackers/{}", id(&tracker))).await;
    let listed = admin_get(&app, "/api/v1/trackers").await.to_string();
    for text in [tracker.to_string(), shown.to_string(), listed] {
        assert!(
            !text.contains("sekrit-token-123") && !text.contains("api_token"),
            "{text}"
        );
    }
    let db = &app.state.db;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT credentials FROM trackers",
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: String = row.try_get("", "credentials").unwrap();
    assert!(!stored.contains("sekrit") && !stored.contains("bot@acme.com"));
}

#[tokio::test]
async fn only_admins_manage_trackers() {
    let app = spawn_app().await;
    for role in [Role::Viewer, Role::Editor] {
        let response = app
            .request(Method::GET, "/api/v1/trackers", role)
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
}

#[tokio::test]
async fn a_tracker_url_must_be_https_unless_marked_as_a_local_test_target() {
    let app = spawn_app().await;
    let body = json!({"kind": "github", "name": "Web", "base_url": "http://github.internal",
                      "owner": "acme", "repo": "web", "token": "ghp_x"});
    let problem = assert_problem(
        app.post("/api/v1/trackers", &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["base_url"]);
    let mut local = body.clone();
    local["allow_insecure_http"] = json!(true);
    app.create("/api/v1/trackers", local).await;

    let missing = json!({"kind": "jira", "name": "Ops", "base_url": "https://acme.atlassian.net"});
    let problem = assert_problem(
        app.post("/api/v1/trackers", &missing).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["project_key", "token"]);
}

#[tokio::test]
async fn one_tracker_at_a_time_is_the_default_and_new_items_go_to_it() {
    let app = spawn_app().await;
    let github = |name: &str| {
        json!({"kind": "github", "name": name, "owner": "acme", "repo": name,
               "token": "ghp_x", "is_default": true})
    };
    let first = app.create("/api/v1/trackers", github("web")).await;
    let second = app.create("/api/v1/trackers", github("api")).await;
    let first = admin_get(&app, &format!("/api/v1/trackers/{}", id(&first))).await;
    assert_eq!(first["is_default"], false);
    assert_eq!(second["is_default"], true);
    assert_eq!(second["base_url"], "https://api.github.com");

    let pm = app.simple_postmortem().await;
    let item = app
        .create(
            &format!("/api/v1/postmortems/{}/action-items", id(&pm)),
            json!({"title": "Add a lint rule against unbounded queries"}),
        )
        .await;
    assert_eq!(item["tracker_id"], second["id"]);
    assert_eq!(item["sync_state"], "pending");

    let response = app
        .delete(&format!("/api/v1/trackers/{}", id(&second)))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let item = app
        .get_json(&format!("/api/v1/action-items/{}", id(&item)))
        .await;
    assert!(item["tracker_id"].is_null());
    assert_eq!(item["sync_state"], "not_synced");
}

#[tokio::test]
async fn a_tracker_patch_replaces_credentials_and_honours_if_match() {
    let app = spawn_app().await;
    let tracker = app
        .create(
            "/api/v1/trackers",
            json!({"kind": "gitlab", "name": "API", "project_id": "acme/api", "token": "glpat-old"}),
        )
        .await;
    let path = format!("/api/v1/trackers/{}", id(&tracker));
    let stale = app
        .request(Method::PATCH, &path, Role::Admin)
        .header("If-Match", "\"v7\"")
        .json(&json!({"name": "API (self-managed)"}))
        .send()
        .await
        .unwrap();
    assert_problem(
        stale,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;

    let response = app
        .request(Method::PATCH, &path, Role::Admin)
        .header("If-Match", "\"v1\"")
        .json(
            &json!({"name": "API (self-managed)", "base_url": "https://gitlab.acme.internal",
                      "token": "glpat-new"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let patched: serde_json::Value = response.json().await.unwrap();
    assert_eq!(patched["name"], "API (self-managed)");
    assert_eq!(patched["base_url"], "https://gitlab.acme.internal");
    let settings = &app.state.settings;
    let model = hindsight::services::trackers::get(&app.state.db, id(&tracker).parse().unwrap())
        .await
        .unwrap();
    let config =
        hindsight::services::trackers::client_config(&model, &settings.secret_key, &settings.sync)
            .unwrap();
    assert_eq!(
        config.credentials,
        hindsight::trackers::Credentials::Bearer {
            token: "glpat-new".into()
        }
    );
}

#[tokio::test]
async fn an_item_taken_off_its_tracker_stops_syncing() {
    let app = spawn_app().await;
    let tracker = app
        .create(
            "/api/v1/trackers",
            json!({"kind": "linear", "name": "Platform", "team_id": "team-1",
                   "token": "lin_api_x", "base_url": "http://127.0.0.1:9", "allow_insecure_http": true}),
        )
        .await;
    let pm = app.simple_postmortem().await;
    let item = app
        .create(
            &format!("/api/v1/postmortems/{}/action-items", id(&pm)),
            json!({"title": "Add a drill for failover", "tracker_id": id(&tracker)}),
        )
        .await;
    assert_eq!(item["tracker_id"], tracker["id"]);
    let response = app
        .patch(
            &format!("/api/v1/action-items/{}", id(&item)),
            &json!({"tracker_id": null}),
        )
        .await;
    let patched: serde_json::Value = response.json().await.unwrap();
    assert_eq!(patched["sync_state"], "not_synced");
    assert!(patched["tracker_id"].is_null());

    let unknown = app
        .patch(
            &format!("/api/v1/action-items/{}", id(&item)),
            &json!({"tracker_id": "01936b2e-7f00-7a3c-9d2e-5b8f4c1a2e01"}),
        )
        .await;
    let problem = assert_problem(
        unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["tracker_id"]);
}

//! `/api/v1/integrations`: admins register monitoring tools and get a webhook
//! URL and a secret shown once, stored only encrypted.

use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::{assert_problem, error_fields, id, spawn_app, spawn_app_with};

#[tokio::test]
async fn an_admin_gets_a_webhook_url_and_a_secret_shown_only_once() {
    let app = spawn_app().await;
    let created = app
        .create(
            "/api/v1/integrations",
            json!({"kind": "pagerduty", "name": "PagerDuty prod"}),
        )
        .await;
    let path = format!("/api/v1/integrations/{}", id(&created));
    assert_eq!(
        created["webhook_url"],
        format!("{}/webhooks/{}", app.address, id(&created))
    );
    let secret = created["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    assert_eq!(created["accepted_count"], 0);
    assert!(created["last_received_at"].is_null());

    let read = app.get_json_as_admin(&path).await;
    assert!(read.get("secret").is_none(), "{read}");
    assert_eq!(read["name"], "PagerDuty prod");
    let list = app.get_json_as_admin("/api/v1/integrations").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0].get("secret").is_none());
}

#[tokio::test]
async fn secrets_are_stored_encrypted_never_in_plain_text() {
    let app = spawn_app().await;
    let hook = app.integration("github").await;
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT secret_encrypted, previous_secret_encrypted FROM integrations",
        ))
        .await
        .unwrap();
    let stored: String = rows[0].try_get("", "secret_encrypted").unwrap();
    assert!(!stored.contains(&hook.secret));
    assert!(!stored.is_empty());
}

#[tokio::test]
async fn the_webhook_url_uses_the_public_url_when_one_is_set() {
    let app =
        spawn_app_with(|s| s.public_url = Some("https://hindsight.example.com/".into())).await;
    let created = app
        .create(
            "/api/v1/integrations",
            json!({"kind": "alertmanager", "name": "am"}),
        )
        .await;
    assert_eq!(
        created["webhook_url"],
        format!("https://hindsight.example.com/webhooks/{}", id(&created))
    );
}

#[tokio::test]
async fn only_admins_manage_integrations() {
    let app = spawn_app().await;
    for role in [Role::Viewer, Role::Editor] {
        let response = app
            .request(Method::POST, "/api/v1/integrations", role)
            .json(&json!({"kind": "generic", "name": "ci"}))
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = app
            .request(Method::GET, "/api/v1/integrations", role)
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
}

#[tokio::test]
async fn integrations_validate_kind_name_and_chosen_secret() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/integrations",
            &json!({"kind": "nagios", "name": "x"}),
        )
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["kind"]);
    let response = app
        .post(
            "/api/v1/integrations",
            &json!({"kind": "gitlab", "name": " ", "secret": "short"}),
        )
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["name", "secret"]);
}

#[tokio::test]
async fn a_tool_generated_secret_can_be_given_and_is_echoed_once() {
    let app = spawn_app().await;
    let created = app
        .create(
            "/api/v1/integrations",
            json!({"kind": "pagerduty", "name": "pd", "secret": "pagerduty-generated-secret-123"}),
        )
        .await;
    assert_eq!(created["secret"], "pagerduty-generated-secret-123");
}

#[tokio::test]
async fn integrations_are_renamed_with_if_match_and_deleted() {
    let app = spawn_app().await;
    let hook = app.integration("alertmanager").await;
    let path = format!("/api/v1/integrations/{}", hook.id);
    let response = app
        .request(Method::PATCH, &path, Role::Admin)
        .header("If-Match", "\"v1\"")
        .json(&json!({"name": "Alertmanager prod", "config": {"service_field": "app"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"v2\"");
    let updated: serde_json::Value = response.json().await.unwrap();
    assert_eq!(updated["config"]["service_field"], "app");
    let stale = app
        .request(Method::PATCH, &path, Role::Admin)
        .header("If-Match", "\"v1\"")
        .json(&json!({"name": "again"}))
        .send()
        .await
        .unwrap();
    assert_problem(
        stale,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;

    assert_eq!(app.delete(&path).await.status(), StatusCode::NO_CONTENT);
    let response = app
        .request(Method::GET, &path, Role::Admin)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    let body = br#"{"alerts": []}"#;
    let webhook = app.deliver(&hook, &[], body).await;
    assert_problem(webhook, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn the_service_field_chooses_which_label_names_the_service() {
    let app = spawn_app().await;
    let hook = app
        .integration_with(
            json!({"kind": "alertmanager", "name": "am", "config": {"service_field": "alertname"}}),
        )
        .await;
    let body = crate::helpers::fixture("alertmanager/firing.json");
    let headers = crate::helpers::signed("alertmanager", &hook.secret, &body);
    app.deliver_ok(&hook, &headers, &body).await;
    let events = app.events("service=Fire").await;
    assert_eq!(events.len(), 1);
}

#[tokio::test]
async fn rotating_returns_a_new_secret_once() {
    let app = spawn_app().await;
    let hook = app.integration("generic").await;
    let rotated = app
        .create_ok(
            &format!("/api/v1/integrations/{}/rotate-secret", hook.id),
            json!({"grace_seconds": 3600}),
        )
        .await;
    let secret = rotated["secret"].as_str().unwrap();
    assert_ne!(secret, hook.secret);
    assert!(rotated["previous_secret_valid_until"].is_string());
    let read = app
        .get_json_as_admin(&format!("/api/v1/integrations/{}", hook.id))
        .await;
    assert!(read.get("secret").is_none());
}

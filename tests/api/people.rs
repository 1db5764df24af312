use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_problem, error_fields, id, spawn_app};

#[tokio::test]
async fn an_admin_records_a_person_with_tracker_identities() {
    let app = spawn_app().await;
    let person = app
        .create(
            "/api/v1/people",
            json!({
                "display_name": "Alice Smith", "email": "Alice@Example.com", "team": "frontend",
                "role_title": "Senior engineer", "joined_on": "2026-11-17",
                "jira_account_id": "5b10ac8d82e05b22cc7d4ef5", "github_login": "@asmith",
            }),
        )
        .await;
    assert_eq!(
        person["email"], "alice@example.com",
        "emails are compared case-insensitively"
    );
    assert_eq!(person["github_login"], "asmith");
    assert_eq!(person["joined_on"], "2026-11-17");
    let fetched = app
        .get_json_as(Role::Editor, &format!("/api/v1/people/{}", id(&person)))
        .await;
    assert_eq!(fetched, person);
}

#[tokio::test]
async fn a_second_person_with_the_same_email_is_a_409() {
    let app = spawn_app().await;
    app.person("Alice Smith").await;
    let response = app
        .post(
            "/api/v1/people",
            &json!({"display_name": "Other Alice", "email": "alice.smith@example.com"}),
        )
        .await;
    assert_problem(response, StatusCode::CONFLICT, "email_taken").await;
}

#[tokio::test]
async fn invalid_people_are_422_naming_each_field() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/people",
            &json!({"display_name": "  ", "email": "not-an-email"}),
        )
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["display_name", "email"]);
    let response = app
        .post(
            "/api/v1/people",
            &json!({"display_name": "Bob", "email": "bob@example.com", "joined_on": "17/11/2026"}),
        )
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["joined_on"]);
}

#[tokio::test]
async fn viewers_cannot_read_the_directory_of_names() {
    let app = spawn_app().await;
    let person = app.person("Alice Smith").await;
    for path in [
        "/api/v1/people".to_owned(),
        format!("/api/v1/people/{}", id(&person)),
    ] {
        assert_problem(app.get(&path).await, StatusCode::FORBIDDEN, "forbidden").await;
    }
}

#[tokio::test]
async fn only_admins_manage_people() {
    let app = spawn_app().await;
    let response = app
        .request(Method::POST, "/api/v1/people", Role::Editor)
        .json(&json!({"display_name": "Bob", "email": "bob@example.com"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn patch_changes_given_fields_clears_nulls_and_keeps_the_rest() {
    let app = spawn_app().await;
    let person = app
        .create(
            "/api/v1/people",
            json!({"display_name": "Bob", "email": "bob@example.com", "team": "payments"}),
        )
        .await;
    let path = format!("/api/v1/people/{}", id(&person));
    let response = app
        .request(Method::PATCH, &path, Role::Admin)
        .json(&json!({"team": null, "github_login": "bobj"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let patched: serde_json::Value = response.json().await.unwrap();
    assert_eq!(patched["team"], serde_json::Value::Null);
    assert_eq!(patched["github_login"], "bobj");
    assert_eq!(patched["display_name"], "Bob");
}

#[tokio::test]
async fn people_list_pages_by_cursor_and_filters_by_team() {
    let app = spawn_app().await;
    for i in 0..5 {
        let team = if i % 2 == 0 { "sre" } else { "web" };
        app.create("/api/v1/people", json!({"display_name": format!("P{i}"), "email": format!("p{i}@example.com"), "team": team}))
            .await;
    }
    let first = app
        .get_json_as(Role::Editor, "/api/v1/people?limit=2")
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_json_as(
            Role::Editor,
            &format!("/api/v1/people?limit=2&cursor={cursor}"),
        )
        .await;
    let third = app
        .get_json_as(
            Role::Editor,
            &format!(
                "/api/v1/people?limit=2&cursor={}",
                second["next_cursor"].as_str().unwrap()
            ),
        )
        .await;
    let names: Vec<_> = [&first, &second, &third]
        .iter()
        .flat_map(|p| {
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["display_name"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(names, ["P0", "P1", "P2", "P3", "P4"]);
    assert!(third["next_cursor"].is_null());
    let sre = app
        .get_json_as(Role::Editor, "/api/v1/people?team=sre")
        .await;
    assert_eq!(sre["items"].as_array().unwrap().len(), 3);
}

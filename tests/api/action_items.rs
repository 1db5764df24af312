use chrono::{Days, Utc};
use hindsight::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, error_fields, id, spawn_app};

fn titles(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn item(app: &TestApp, pm: &Value, body: Value) -> Value {
    app.create(
        &format!("/api/v1/postmortems/{}/action-items", id(pm)),
        body,
    )
    .await
}

#[tokio::test]
async fn an_action_item_has_one_owner_a_due_date_and_its_causes_area() {
    let app = spawn_app().await;
    let owner = app.person("Alice Smith").await;
    let pm = app.simple_postmortem().await;
    let cause = app
        .create(
            &format!("/api/v1/postmortems/{}/causes", id(&pm)),
            json!({"area": "detection", "description": "No success-rate alert"}),
        )
        .await;
    let created = item(
        &app,
        &pm,
        json!({"title": "Alert when checkout success rate drops below 95%", "cause_id": id(&cause),
               "owner_id": id(&owner), "due_date": "2026-12-15", "priority": "high"}),
    )
    .await;
    assert_eq!(created["area"], "detection");
    assert_eq!(created["status"], "open");
    assert_eq!(created["sync_state"], "not_synced");
    assert_eq!(created["due_date"], "2026-12-15");
    assert_eq!(created["postmortem_id"], pm["id"]);
    let fetched = app
        .get_json_as(
            hindsight::auth::Role::Admin,
            &format!("/api/v1/action-items/{}", id(&created)),
        )
        .await;
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn an_action_item_with_an_unknown_owner_bad_date_or_foreign_cause_is_422() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let other = app.simple_postmortem().await;
    let foreign_cause = app
        .create(
            &format!("/api/v1/postmortems/{}/causes", id(&other)),
            json!({"area": "prevention", "description": "x"}),
        )
        .await;
    let path = format!("/api/v1/postmortems/{}/action-items", id(&pm));
    let cases = [
        (
            json!({"title": "t", "owner_id": uuid::Uuid::new_v4()}),
            "owner_id",
        ),
        (json!({"title": "t", "due_date": "15/12/2026"}), "due_date"),
        (json!({"title": "t", "due_date": "2026-02-30"}), "due_date"),
        (json!({"title": "t", "status": "finished"}), "status"),
        (
            json!({"title": "t", "cause_id": id(&foreign_cause)}),
            "cause_id",
        ),
    ];
    for (body, field) in cases {
        let problem = assert_problem(
            app.post(&path, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(error_fields(&problem), [field], "{body}");
    }
    assert_eq!(app.get_json(&path).await["items"], json!([]));
}

#[tokio::test]
async fn action_items_filter_by_owner_status_overdue_and_due_before() {
    let app = spawn_app().await;
    let alice = app.person("Alice Smith").await;
    let bob = app.person("Bob Jones").await;
    let pm = app.simple_postmortem().await;
    let today = Utc::now().date_naive();
    let past = today.checked_sub_days(Days::new(3)).unwrap().to_string();
    let future = today.checked_add_days(Days::new(30)).unwrap().to_string();
    item(
        &app,
        &pm,
        json!({"title": "late", "owner_id": id(&alice), "due_date": past}),
    )
    .await;
    item(&app, &pm, json!({"title": "late but done", "owner_id": id(&alice), "due_date": past, "status": "done"})).await;
    item(&app, &pm, json!({"title": "upcoming", "owner_id": id(&bob), "due_date": future, "status": "in_progress"})).await;
    item(&app, &pm, json!({"title": "undated", "owner_id": id(&bob)})).await;

    assert_eq!(
        titles(&app.get_json("/api/v1/action-items?overdue=true").await),
        ["late"]
    );
    let by_bob = format!("/api/v1/action-items?owner_id={}", id(&bob));
    assert_eq!(
        titles(&app.get_json_as(Role::Admin, &by_bob).await),
        ["upcoming", "undated"]
    );
    // A viewer sees owners only as pseudonyms: filtering by a person's id
    // would tell whose items they are.
    assert!(titles(&app.get_json(&by_bob).await).is_empty());
    assert_eq!(
        titles(&app.get_json("/api/v1/action-items?status=done").await),
        ["late but done"]
    );
    assert_eq!(
        titles(
            &app.get_json(&format!("/api/v1/action-items?due_before={today}"))
                .await
        ),
        ["late", "late but done"]
    );
    assert_eq!(
        titles(
            &app.get_json_as(
                Role::Admin,
                &format!("/api/v1/action-items?owner_id={}&overdue=false", id(&alice))
            )
            .await
        ),
        ["late but done"]
    );
    let bad = app.get("/api/v1/action-items?due_before=soon").await;
    let problem = assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(error_fields(&problem), ["due_before"]);
}

#[tokio::test]
async fn closing_an_action_item_records_when_and_reopening_clears_it() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let created = item(
        &app,
        &pm,
        json!({"title": "Add a lint rule for unbounded queries"}),
    )
    .await;
    let path = format!("/api/v1/action-items/{}", id(&created));
    let done: Value = app
        .patch(&path, &json!({"status": "done"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], "done");
    assert!(done["completed_at"].is_string());
    let reopened: Value = app
        .patch(&path, &json!({"status": "open", "due_date": null}))
        .await
        .json()
        .await
        .unwrap();
    assert!(reopened["completed_at"].is_null());
    assert!(reopened["due_date"].is_null());
    assert_eq!(app.delete(&path).await.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
}

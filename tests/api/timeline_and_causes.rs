use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_problem, error_fields, id, spawn_app};

#[tokio::test]
async fn timeline_entries_come_back_in_the_order_they_happened_across_pages() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let path = format!("/api/v1/postmortems/{}/timeline", id(&pm));
    // Written out of order, two at the same instant.
    for (at, title) in [
        ("2026-11-20T10:30:00Z", "rollback"),
        ("2026-11-20T10:00:00Z", "deploy 1.4"),
        ("2026-11-20T10:12:00Z", "alert fired"),
        ("2026-11-20T10:12:00Z", "page sent"),
        ("2026-11-20T09:55:00Z", "config change"),
    ] {
        let entry = app
            .create(
                &path,
                json!({"occurred_at": at, "kind": "note", "title": title}),
            )
            .await;
        assert_eq!(entry["source"], "manual");
    }
    let mut titles = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=2&cursor={c}"),
            None => format!("{path}?limit=2"),
        };
        let page = app.get_json(&url).await;
        titles.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["title"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        titles,
        [
            "config change",
            "deploy 1.4",
            "alert fired",
            "page sent",
            "rollback"
        ]
    );
}

#[tokio::test]
async fn timeline_entries_validate_kind_link_and_time() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let path = format!("/api/v1/postmortems/{}/timeline", id(&pm));
    let response = app
        .post(&path, &json!({"occurred_at": "yesterday", "kind": "Deploy Failed!", "title": "x", "link": "javascript:alert(1)"}))
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        ["occurred_at"],
        "types are checked first"
    );
    let response = app
        .post(&path, &json!({"occurred_at": "2026-11-20T10:00:00Z", "kind": "Deploy Failed!", "title": "", "link": "javascript:alert(1)"}))
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["kind", "title", "link"]);
}

#[tokio::test]
async fn a_timeline_entry_is_edited_with_if_match_and_deleted() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let path = format!("/api/v1/postmortems/{}/timeline", id(&pm));
    let response = app
        .post(
            &path,
            &json!({"occurred_at": "2026-11-20T10:00:00Z", "kind": "note", "title": "draft"}),
        )
        .await;
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let entry: Value = response.json().await.unwrap();
    let entry_path = format!("{path}/{}", id(&entry));
    let response = app
        .request(Method::PATCH, &entry_path, Role::Editor)
        .header("if-match", &etag)
        .json(&json!({"kind": "detected", "title": "Support noticed failed payments", "link": "https://status.example.com/1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let stale = app
        .request(Method::PATCH, &entry_path, Role::Editor)
        .header("if-match", &etag)
        .json(&json!({"title": "older edit"}))
        .send()
        .await
        .unwrap();
    assert_problem(
        stale,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    let list = app.get_json(&path).await;
    assert_eq!(list["items"][0]["kind"], "detected");
    assert_eq!(list["items"][0]["title"], "Support noticed failed payments");
    assert_eq!(
        app.delete(&entry_path).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get_json(&path).await["items"], json!([]));
    let other_pm = app.simple_postmortem().await;
    let wrong_parent = format!(
        "/api/v1/postmortems/{}/timeline/{}",
        id(&other_pm),
        id(&entry)
    );
    assert_problem(
        app.patch(&wrong_parent, &json!({"title": "x"})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn causes_are_recorded_by_area_filtered_and_edited() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let path = format!("/api/v1/postmortems/{}/causes", id(&pm));
    for (area, text) in [
        ("prevention", "The migration locked the orders table"),
        ("detection", "No alert on checkout success rate"),
        ("detection", "Dashboards showed averages only"),
        ("mitigation", "Rollback needed a manual database step"),
    ] {
        app.create(&path, json!({"area": area, "description": text}))
            .await;
    }
    let detection = app.get_json(&format!("{path}?area=detection")).await;
    assert_eq!(detection["items"].as_array().unwrap().len(), 2);
    let bad = app
        .post(&path, &json!({"area": "luck", "description": "x"}))
        .await;
    let problem = assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(error_fields(&problem), ["area"]);
    let cause = &detection["items"][0];
    let cause_path = format!("{path}/{}", id(cause));
    let patched = app.patch(&cause_path, &json!({"area": "mitigation"})).await;
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(
        app.get_json(&format!("{path}?area=detection")).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.delete(&cause_path).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get_json(&path).await["items"].as_array().unwrap().len(),
        3
    );
}

#[tokio::test]
async fn children_of_a_missing_post_mortem_are_404() {
    let app = spawn_app().await;
    let missing = uuid::Uuid::new_v4();
    for sub in ["timeline", "causes", "action-items", "participants"] {
        let response = app
            .get(&format!("/api/v1/postmortems/{missing}/{sub}"))
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    let response = app
        .post(
            &format!("/api/v1/postmortems/{missing}/causes"),
            &json!({"area": "prevention", "description": "x"}),
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
}

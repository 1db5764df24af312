use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_problem, error_fields, id, spawn_app};

#[tokio::test]
async fn a_post_mortem_is_recorded_with_its_window_services_and_author() {
    let app = spawn_app().await;
    let author = app.person("Alice Smith").await;
    let response = app
        .post(
            "/api/v1/postmortems",
            &json!({
                "title": "Checkout returned 500s", "summary": "Card payments failed for 40 minutes.",
                "severity": "sev2", "services": ["checkout", "payments", "checkout"],
                "impact_started_at": "2026-11-20T10:00:00Z", "detected_at": "2026-11-20T10:12:00Z",
                "acknowledged_at": "2026-11-20T10:15:00+00:00", "mitigated_at": "2026-11-20T10:40:00Z",
                "resolved_at": "2026-11-20T11:00:00Z", "author_id": id(&author),
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let pm: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/postmortems/{}", id(&pm)));
    assert_eq!(pm["status"], "draft");
    assert_eq!(
        pm["services"],
        json!(["checkout", "payments"]),
        "duplicates dropped, order kept"
    );
    assert_eq!(pm["acknowledged_at"], "2026-11-20T10:15:00Z");
    assert_eq!(pm["anonymized"], true);
    assert!(pm["published_at"].is_null());

    let fetched = app
        .request(Method::GET, &location, Role::Admin)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(fetched.json::<Value>().await.unwrap(), pm);

    let participants = app
        .get_json_as(Role::Admin, &format!("{location}/participants"))
        .await;
    assert_eq!(
        participants["items"],
        json!([{"person_id": id(&author), "name": "Alice Smith", "role": "author", "added_at": participants["items"][0]["added_at"]}])
    );
}

#[tokio::test]
async fn impossible_phase_times_and_unknown_values_are_422_per_field() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/postmortems",
            &json!({"title": "x", "impact_started_at": "2026-11-20T10:00:00Z", "resolved_at": "2026-11-20T09:00:00Z"}),
        )
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["resolved_at"]);

    let response = app
        .post(
            "/api/v1/postmortems",
            &json!({"title": "x", "severity": "catastrophic"}),
        )
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["severity"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("sev1"),
        "{problem}"
    );

    let response = app
        .post(
            "/api/v1/postmortems",
            &json!({"title": "x", "author_id": uuid::Uuid::new_v4()}),
        )
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["author_id"]);

    let response = app
        .post(
            "/api/v1/postmortems",
            &json!({"title": "x", "colour": "red"}),
        )
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["colour"]);

    let response = app
        .post(
            "/api/v1/postmortems",
            &json!({"title": "x", "status": "published"}),
        )
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["status"]);

    let list = app.get_json("/api/v1/postmortems").await;
    assert_eq!(list["items"], json!([]), "nothing invalid was stored");
}

#[tokio::test]
async fn a_stale_patch_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let response = app
        .post("/api/v1/postmortems", &json!({"title": "First title"}))
        .await;
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let pm: Value = response.json().await.unwrap();
    let path = format!("/api/v1/postmortems/{}", id(&pm));

    let first = app
        .request(Method::PATCH, &path, Role::Editor)
        .header("if-match", &etag)
        .json(&json!({"title": "Alice's title"}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let new_etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);

    let second = app
        .request(Method::PATCH, &path, Role::Editor)
        .header("if-match", &etag)
        .json(&json!({"title": "Bob's title"}))
        .send()
        .await
        .unwrap();
    assert_problem(
        second,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    assert_eq!(app.get_json(&path).await["title"], "Alice's title");
}

#[tokio::test]
async fn concurrent_patches_with_the_same_etag_let_exactly_one_win() {
    let app = spawn_app().await;
    let response = app
        .post("/api/v1/postmortems", &json!({"title": "Original"}))
        .await;
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let pm: Value = response.json().await.unwrap();
    let path = format!("/api/v1/postmortems/{}", id(&pm));
    let attempts = (0..8).map(|i| {
        app.request(Method::PATCH, &path, Role::Editor)
            .header("if-match", &etag)
            .json(&json!({"title": format!("Edit {i}")}))
            .send()
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().status())
        .collect();
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let stale = statuses
        .iter()
        .filter(|s| **s == StatusCode::PRECONDITION_FAILED)
        .count();
    assert_eq!((ok, stale), (1, 7), "{statuses:?}");
}

#[tokio::test]
async fn patch_clears_fields_with_null_and_replaces_services() {
    let app = spawn_app().await;
    let pm = app
        .postmortem(json!({"title": "t", "severity": "sev1", "services": ["a", "b"], "detected_at": "2026-11-20T10:00:00Z"}))
        .await;
    let path = format!("/api/v1/postmortems/{}", id(&pm));
    let response = app
        .patch(
            &path,
            &json!({"severity": null, "services": ["c"], "status": "in_review"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let patched: Value = response.json().await.unwrap();
    assert!(patched["severity"].is_null());
    assert_eq!(patched["services"], json!(["c"]));
    assert_eq!(patched["status"], "in_review");
    assert_eq!(
        patched["detected_at"], "2026-11-20T10:00:00Z",
        "untouched fields stay"
    );
    let response = app
        .patch(&path, &json!({"resolved_at": "2026-11-20T09:00:00Z"}))
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        ["resolved_at"],
        "checked against the stored detected_at"
    );
}

#[tokio::test]
async fn lists_filter_by_status_service_severity_and_time_range_and_page() {
    let app = spawn_app().await;
    let specs = [
        ("A", "sev1", "checkout", "2026-10-01T00:00:00Z"),
        ("B", "sev2", "search", "2026-10-15T00:00:00Z"),
        ("C", "sev1", "search", "2026-11-01T00:00:00Z"),
        ("D", "sev3", "checkout", "2026-11-10T00:00:00Z"),
    ];
    for (title, severity, service, started) in specs {
        app.postmortem(json!({"title": title, "severity": severity, "services": [service], "impact_started_at": started}))
            .await;
    }
    let titles = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        titles(&app.get_json("/api/v1/postmortems").await),
        ["D", "C", "B", "A"],
        "newest first"
    );
    assert_eq!(
        titles(&app.get_json("/api/v1/postmortems?service=search").await),
        ["C", "B"]
    );
    assert_eq!(
        titles(&app.get_json("/api/v1/postmortems?severity=sev1").await),
        ["C", "A"]
    );
    assert_eq!(
        titles(
            &app.get_json("/api/v1/postmortems?from=2026-10-10T00:00:00Z&to=2026-11-05T00:00:00Z")
                .await
        ),
        ["C", "B"]
    );
    assert_eq!(
        titles(&app.get_json("/api/v1/postmortems?status=published").await),
        Vec::<String>::new()
    );
    let first = app.get_json("/api/v1/postmortems?limit=3").await;
    assert_eq!(titles(&first), ["D", "C", "B"]);
    let rest = app
        .get_json(&format!(
            "/api/v1/postmortems?limit=3&cursor={}",
            first["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(titles(&rest), ["A"]);
    assert!(rest["next_cursor"].is_null());

    let bad = app.get("/api/v1/postmortems?severity=huge").await;
    let problem = assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(error_fields(&problem), ["severity"]);
    let bad = app.get("/api/v1/postmortems?limit=0").await;
    assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let bad = app.get("/api/v1/postmortems?cursor=garbage!").await;
    assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test]
async fn participants_add_reviewers_refuse_duplicates_and_remove() {
    let app = spawn_app().await;
    let author = app.person("Alice Smith").await;
    let reviewer = app.person("Bob Jones").await;
    let pm = app
        .postmortem(json!({"title": "t", "author_id": id(&author)}))
        .await;
    let path = format!("/api/v1/postmortems/{}/participants", id(&pm));
    let added = app
        .create(
            &path,
            json!({"person_id": id(&reviewer), "role": "reviewer"}),
        )
        .await;
    assert_eq!(added["role"], "reviewer");
    let again = app
        .post(
            &path,
            &json!({"person_id": id(&reviewer), "role": "participant"}),
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "already_participant").await;
    let unknown = app
        .post(&path, &json!({"person_id": uuid::Uuid::new_v4()}))
        .await;
    let problem = assert_problem(
        unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["person_id"]);
    assert_eq!(
        app.get_json(&path).await["items"].as_array().unwrap().len(),
        2
    );
    let removed = app.delete(&format!("{path}/{}", id(&reviewer))).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_json(&path).await["items"].as_array().unwrap().len(),
        1
    );
    let missing = app.delete(&format!("{path}/{}", id(&reviewer))).await;
    assert_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn deleting_a_post_mortem_removes_everything_under_it() {
    let app = spawn_app().await;
    let owner = app.person("Alice Smith").await;
    let pm = app.simple_postmortem().await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    app.create(
        &format!("{base}/timeline"),
        json!({"occurred_at": "2026-11-20T10:00:00Z", "kind": "note", "title": "t"}),
    )
    .await;
    let cause = app
        .create(
            &format!("{base}/causes"),
            json!({"area": "detection", "description": "No alert"}),
        )
        .await;
    let item = app
        .create(
            &format!("{base}/action-items"),
            json!({"title": "Add an alert", "cause_id": id(&cause), "owner_id": id(&owner)}),
        )
        .await;
    assert_eq!(app.delete(&base).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/action-items/{}", id(&item)))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{base}/timeline")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_json_as(Role::Admin, &format!("/api/v1/people/{}", id(&owner)))
            .await["id"],
        owner["id"],
        "people stay"
    );
}

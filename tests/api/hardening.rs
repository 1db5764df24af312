//! The small things an attacker (or an auditor) checks first: headers on every
//! answer, private database files, bounded inputs.

use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_problem, error_fields, spawn_app};

#[tokio::test]
async fn every_answer_is_nosniff_and_not_stored_by_caches() {
    let app = spawn_app().await;
    let created = app
        .request(Method::POST, "/api/v1/integrations", Role::Admin)
        .json(&json!({"kind": "generic", "name": "ci"}))
        .send()
        .await
        .unwrap();
    let not_found = app.get("/api/v1/postmortems/not-an-id").await;
    let unauthenticated = app
        .client
        .get(format!("{}/api/v1/postmortems", app.address))
        .send()
        .await
        .unwrap();
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    for (what, response) in [
        ("a new integration's secret", created),
        ("a 404", not_found),
        ("a 401", unauthenticated),
        ("metrics", metrics),
    ] {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["cache-control"], "no-store", "{what}");
    }
}

#[tokio::test]
async fn a_rotation_grace_longer_than_30_days_is_refused() {
    let app = spawn_app().await;
    let hook = app.integration("generic").await;
    let rotate = |grace: u64| {
        app.request(
            Method::POST,
            &format!("/api/v1/integrations/{}/rotate-secret", hook.id),
            Role::Admin,
        )
        .json(&json!({"grace_seconds": grace}))
        .send()
    };
    let problem = assert_problem(
        rotate(4_294_967_295).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["grace_seconds"]);
    assert_eq!(rotate(86_400).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn a_huge_text_filter_is_a_validation_error_not_a_500() {
    let app = spawn_app().await;
    // Over SQLite's LIKE pattern limit (50,000 bytes), within the body limit.
    let huge = "x".repeat(60_000);
    let data = app
        .graphql(
            Role::Viewer,
            "query($t: String) { postmortems(filter: {text: $t}) { edges { node { id } } } }",
            json!({"t": huge}),
        )
        .await;
    assert_eq!(
        data["errors"][0]["extensions"]["code"],
        "validation_failed",
        "{}",
        &data.to_string()[..300.min(data.to_string().len())]
    );
    let ok = app
        .graphql_data(
            Role::Viewer,
            "query($t: String) { postmortems(filter: {text: $t}) { edges { node { id } } } }",
            json!({"t": "checkout"}),
        )
        .await;
    assert!(ok["postmortems"]["edges"].is_array());
}

#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_database_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let app = spawn_app().await;
    let Some(path) = app.settings.database_url.strip_prefix("sqlite://") else {
        return; // PostgreSQL: the server's files are its own business.
    };
    let path = path.split('?').next().unwrap();
    app.simple_postmortem().await; // a write, so the WAL exists
    for file in [path.to_owned(), format!("{path}-wal")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{file} is {mode:o}");
    }
}

#[test]
fn a_malformed_slack_url_is_refused_without_printing_it() {
    let mut settings = crate::helpers::test_settings("sqlite::memory:".into());
    settings.practice.slack_webhook_urls = vec![
        "https://hooks.slack.com/services/T0/B0/fine".into(),
        "hooks.slack.com/services/T0/B0/s3cr3t".into(),
    ];
    let err = settings.validate().unwrap_err().to_string();
    assert!(err.contains("entry 2"), "{err}");
    assert!(!err.contains("s3cr3t"), "the secret path is printed: {err}");
}

use reqwest::StatusCode;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn health_and_readiness_answer_without_a_token() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.headers().contains_key("x-request-id"));
    }
}

#[tokio::test]
async fn readiness_fails_with_503_while_the_database_is_unreachable() {
    let app = spawn_app().await;
    app.state.db.close_by_ref().await.unwrap();
    let response = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    let liveness = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(
        liveness.status(),
        StatusCode::OK,
        "the process itself is still alive"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_status() {
    let app = spawn_app().await;
    app.get("/api/v1/postmortems").await;
    app.get(&format!("/api/v1/postmortems/{}", uuid::Uuid::new_v4()))
        .await;
    let body = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains(r#"hindsight_http_requests_total{method="GET",route="/api/v1/postmortems",status="200"} 1"#),
        "{body}"
    );
    assert!(
        body.contains(r#"hindsight_http_requests_total{method="GET",route="/api/v1/postmortems/{id}",status="404"} 1"#),
        "{body}"
    );
    assert!(body.contains("hindsight_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn unknown_routes_and_methods_get_problem_bodies() {
    let app = spawn_app().await;
    assert_problem(
        app.get("/api/v1/nothing-here").await,
        StatusCode::NOT_FOUND,
        "route_not_found",
    )
    .await;
    let put = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/postmortems",
            hindsight::auth::Role::Admin,
        )
        .send()
        .await
        .unwrap();
    assert_problem(put, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

use reqwest::StatusCode;

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::helpers::{TestDb, assert_problem, spawn_app};

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

/// The real binary: SIGTERM drains, stops the sync worker and the rest, and
/// exits 0 without logging an error on the way out.
#[tokio::test]
async fn serve_stops_cleanly_on_sigterm() {
    let (_db, url) = TestDb::create().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data_dir = std::env::temp_dir().join(format!("hindsight-serve-{}", uuid::Uuid::new_v4()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_hindsight"))
        .arg("serve")
        .env("HINDSIGHT_DATABASE_URL", &url)
        .env("HINDSIGHT_DATA_DIR", &data_dir)
        // One replica: on PostgreSQL its keys may be generated only when asked.
        .env("HINDSIGHT_ALLOW_GENERATED_KEYS", "true")
        .env("HINDSIGHT_BIND", format!("127.0.0.1:{port}"))
        // The outbox worker polls all through the drain.
        .env("HINDSIGHT_SYNC_INTERVAL_MS", "5")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let ready = format!("http://127.0.0.1:{port}/readyz");
    let started = Instant::now();
    while !client
        .get(&ready)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(started.elapsed() < Duration::from_secs(20), "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Connections opened while serving, on actix's worker runtimes.
    for _ in 0..20 {
        assert!(
            client
                .get(&ready)
                .send()
                .await
                .unwrap()
                .status()
                .is_success()
        );
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let stopped = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(stopped.elapsed() < Duration::from_secs(40), "still running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    let _ = std::fs::remove_dir_all(&data_dir);
    assert!(status.success(), "{status:?}: {log}");
    assert!(!log.contains("ERROR"), "{log}");
}

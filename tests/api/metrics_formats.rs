//! `/metrics` as Prometheus and its tools read it: the text format by
//! default, OpenMetrics when asked, checked with `promtool`.

use chrono::{Duration, Utc};
use entity::{SyncOperation, SyncState, action_item, sync_outbox};
use reqwest::{StatusCode, header};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{TestApp, id, spawn_app},
    tools,
};

async fn scrape(app: &TestApp, accept: Option<&str>) -> (String, String) {
    let mut request = app.client.get(format!("{}/metrics", app.address));
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    (content_type, response.text().await.unwrap())
}

fn sample(body: &str, name: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// Two overdue items (one of them failed to sync, one waiting in the outbox),
/// one due in the future, one overdue but done.
async fn work(app: &TestApp) {
    let pm = app.simple_postmortem().await;
    let items = format!("/api/v1/postmortems/{}/action-items", id(&pm));
    let late = app
        .create(
            &items,
            json!({"title": "Add a lint rule", "due_date": "2020-01-10"}),
        )
        .await;
    let failed = app
        .create(
            &items,
            json!({"title": "Add an alert", "due_date": "2020-02-01", "status": "in_progress"}),
        )
        .await;
    app.create(
        &items,
        json!({"title": "Run a drill", "due_date": "2999-01-01"}),
    )
    .await;
    let done = app
        .create(
            &items,
            json!({"title": "Write a test", "due_date": "2020-01-01"}),
        )
        .await;
    app.patch(
        &format!("/api/v1/action-items/{}", id(&done)),
        &json!({"status": "done"}),
    )
    .await;
    let row = |item: &Value| item["id"].as_str().unwrap().parse::<Uuid>().unwrap();
    let model = action_item::Entity::find_by_id(row(&failed))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut model: action_item::ActiveModel = model.into();
    model.sync_state = Set(SyncState::Failed);
    model.update(&app.state.db).await.unwrap();
    // Waiting for its next attempt, tomorrow: the worker leaves it be.
    sync_outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        action_item_id: Set(row(&late)),
        operation: Set(SyncOperation::Create),
        seq: Set(1),
        attempts: Set(1),
        create_started: Set(false),
        next_attempt_at: Set(Some(Utc::now() + Duration::days(1))),
        claimed_by: Set(None),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(&app.state.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn metrics_speak_the_prometheus_text_format_unless_openmetrics_is_asked_for() {
    let app = spawn_app().await;
    app.get("/api/v1/postmortems").await;
    for accept in [
        None,
        Some("text/plain"),
        Some("text/plain;version=0.0.4;q=1,*/*;q=0.1"),
    ] {
        let (content_type, body) = scrape(&app, accept).await;
        assert_eq!(
            content_type, "text/plain; version=0.0.4; charset=utf-8",
            "{accept:?}"
        );
        assert!(
            body.contains("# TYPE hindsight_http_requests_total counter\n"),
            "{body}"
        );
        assert!(!body.contains("# EOF"), "{body}");
    }
    // Prometheus' own Accept header.
    let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let (content_type, body) = scrape(&app, Some(prometheus)).await;
    assert_eq!(
        content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(
        body.contains("# TYPE hindsight_http_requests counter\n"),
        "{body}"
    );
    assert!(body.ends_with("# EOF\n"), "{body}");
}

#[tokio::test]
async fn metrics_carry_build_info_process_figures_and_the_work_a_team_alerts_on() {
    let app = spawn_app().await;
    let (_, before) = scrape(&app, None).await;
    assert_eq!(sample(&before, "hindsight_action_items_overdue"), Some(0.0));
    work(&app).await;
    let (_, body) = scrape(&app, None).await;
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        sample(
            &body,
            &format!("hindsight_build_info{{version=\"{version}\"}}")
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(&body, "hindsight_action_items_overdue"),
        Some(2.0),
        "{body}"
    );
    assert_eq!(
        sample(&body, "hindsight_action_items_sync_failed"),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(&body, "hindsight_outbox_backlog"),
        Some(1.0),
        "{body}"
    );
    assert!(
        sample(&body, "process_resident_memory_bytes").is_some_and(|v| v > 1e6),
        "{body}"
    );
    assert!(
        sample(&body, "process_cpu_seconds_total").is_some_and(|v| v > 0.0),
        "{body}"
    );
    let started = sample(&body, "process_start_time_seconds").unwrap();
    let now = Utc::now().timestamp() as f64;
    assert!(
        started <= now + 1.0 && started > now - 86_400.0 * 30.0,
        "{started}"
    );
    assert!(
        sample(&body, "process_open_fds").is_some_and(|v| v >= 3.0),
        "{body}"
    );
}

#[tokio::test]
async fn promtool_finds_nothing_to_fix_in_the_default_exposition() {
    if !tools::available("promtool", &["--version"]) {
        return;
    }
    let app = spawn_app().await;
    work(&app).await;
    app.get("/api/v1/postmortems").await;
    let hook = app.integration("pagerduty").await;
    app.deliver(&hook, &[], b"{}").await;
    // promtool 2.42 reads the text format only: OpenMetrics fails it with
    // `no help text` on every counter, which is why the text format is the default.
    for accept in [None, Some("text/plain"), Some("*/*")] {
        let (_, body) = scrape(&app, accept).await;
        let output = tools::run("promtool", &["check", "metrics"], body.as_bytes());
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.success() && said.trim().is_empty(),
            "{accept:?}: {said}\n{body}"
        );
    }
}

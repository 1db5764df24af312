//! Timeline pre-fill: events that belong to a post-mortem join its timeline
//! once, in order, and fill its empty phase timestamps.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Hook, TestApp, fixture, id, signed, spawn_app};

/// Sends events through a generic integration.
async fn send(app: &TestApp, hook: &Hook, events: Value) {
    let body = json!({ "events": events }).to_string();
    let headers = signed("generic", &hook.secret, body.as_bytes());
    app.deliver_ok(hook, &headers, body.as_bytes()).await;
}

fn ev(at: &str, kind: &str, service: &str, title: &str) -> Value {
    json!({"occurred_at": at, "kind": kind, "service": service, "title": title})
}

/// A checkout incident: a deploy, then alerts, plus noise that must stay out.
async fn incident_events(app: &TestApp) -> Hook {
    let hook = app.integration("generic").await;
    send(
        app,
        &hook,
        json!([
            ev(
                "2026-11-20T08:00:00Z",
                "deploy.succeeded",
                "checkout",
                "Deploy checkout 2.14"
            ),
            ev(
                "2026-11-20T10:05:00Z",
                "alert.triggered",
                "checkout",
                "Checkout 5xx above 5%"
            ),
            ev(
                "2026-11-20T10:09:00Z",
                "alert.acknowledged",
                "checkout",
                "Checkout 5xx acknowledged"
            ),
            ev(
                "2026-11-20T10:45:00Z",
                "alert.resolved",
                "checkout",
                "Checkout 5xx resolved"
            ),
            ev(
                "2026-11-20T10:20:00Z",
                "alert.triggered",
                "search",
                "Search is slow"
            ),
            ev(
                "2026-11-19T10:00:00Z",
                "alert.triggered",
                "checkout",
                "Yesterday's alert"
            ),
            ev(
                "2026-11-18T10:00:00Z",
                "deploy.succeeded",
                "checkout",
                "An old deploy"
            ),
        ]),
    )
    .await;
    hook
}

async fn timeline(app: &TestApp, pm: &Value) -> Vec<Value> {
    let page = app
        .get_json(&format!(
            "/api/v1/postmortems/{}/timeline?limit=200",
            id(pm)
        ))
        .await;
    page["items"].as_array().unwrap().clone()
}

fn titles(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect()
}

async fn checkout_postmortem(app: &TestApp) -> Value {
    app.postmortem(json!({
        "title": "Checkout returned 500s",
        "services": ["checkout"],
        "impact_started_at": "2026-11-20T10:00:00Z"
    }))
    .await
}

async fn prefill(app: &TestApp, pm: &Value) -> Vec<Value> {
    let response = app
        .post(
            &format!("/api/v1/postmortems/{}/timeline/prefill", id(pm)),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["added"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_postmortem_created_after_its_events_arrived_gets_them_in_order() {
    let app = spawn_app().await;
    incident_events(&app).await;
    let pm = checkout_postmortem(&app).await;
    let entries = timeline(&app, &pm).await;
    assert_eq!(
        titles(&entries),
        [
            "Deploy checkout 2.14",
            "Checkout 5xx above 5%",
            "Checkout 5xx acknowledged",
            "Checkout 5xx resolved"
        ]
    );
    assert!(
        entries
            .iter()
            .all(|e| e["source"] == "generic" && e["event_id"].is_string())
    );
    let deploy = &entries[0];
    assert_eq!(deploy["kind"], "deploy.succeeded");
    assert!(
        deploy["description"]
            .as_str()
            .unwrap()
            .contains("deploy before first alert"),
        "{deploy}"
    );
}

#[tokio::test]
async fn empty_phase_timestamps_are_filled_from_the_alerts() {
    let app = spawn_app().await;
    incident_events(&app).await;
    let pm = checkout_postmortem(&app).await;
    assert_eq!(pm["detected_at"], "2026-11-20T10:05:00Z");
    assert_eq!(pm["acknowledged_at"], "2026-11-20T10:09:00Z");
    assert_eq!(pm["resolved_at"], "2026-11-20T10:45:00Z");
    let read = app.get(&format!("/api/v1/postmortems/{}", id(&pm))).await;
    assert_eq!(
        read.headers()["etag"],
        "\"v2\"",
        "filling bumps the version"
    );
}

#[tokio::test]
async fn phase_timestamps_already_set_are_kept() {
    let app = spawn_app().await;
    incident_events(&app).await;
    let pm = app
        .postmortem(json!({
            "title": "Checkout returned 500s",
            "services": ["checkout"],
            "impact_started_at": "2026-11-20T10:00:00Z",
            "detected_at": "2026-11-20T10:01:00Z"
        }))
        .await;
    assert_eq!(pm["detected_at"], "2026-11-20T10:01:00Z");
    assert_eq!(pm["acknowledged_at"], "2026-11-20T10:09:00Z");
}

#[tokio::test]
async fn a_second_prefill_adds_nothing() {
    let app = spawn_app().await;
    incident_events(&app).await;
    let pm = checkout_postmortem(&app).await;
    assert!(prefill(&app, &pm).await.is_empty());
    assert_eq!(timeline(&app, &pm).await.len(), 4);
}

#[tokio::test]
async fn a_deleted_prefilled_entry_stays_deleted_and_manual_entries_are_untouched() {
    let app = spawn_app().await;
    incident_events(&app).await;
    let pm = checkout_postmortem(&app).await;
    let manual = app
        .create(
            &format!("/api/v1/postmortems/{}/timeline", id(&pm)),
            json!({"occurred_at": "2026-11-20T10:30:00Z", "kind": "note", "title": "Rolled back"}),
        )
        .await;
    let entries = timeline(&app, &pm).await;
    let deploy = entries
        .iter()
        .find(|e| e["kind"] == "deploy.succeeded")
        .unwrap();
    let path = format!("/api/v1/postmortems/{}/timeline/{}", id(&pm), id(deploy));
    assert_eq!(app.delete(&path).await.status(), StatusCode::NO_CONTENT);
    assert!(prefill(&app, &pm).await.is_empty());
    let after = timeline(&app, &pm).await;
    assert!(!titles(&after).contains(&"Deploy checkout 2.14"));
    assert_eq!(after.len(), 4);
    let kept = after.iter().find(|e| e["id"] == manual["id"]).unwrap();
    assert_eq!(kept["source"], "manual");
}

#[tokio::test]
async fn events_join_by_incident_reference_without_services_or_window() {
    let app = spawn_app().await;
    let hook = app.integration("pagerduty").await;
    for file in [
        "pagerduty/v3.incident.escalated.json",
        "pagerduty/v3.incident.annotated.json",
        "pagerduty/v3.incident.triggered.json",
    ] {
        let body = fixture(file);
        app.deliver_ok(&hook, &signed("pagerduty", &hook.secret, &body), &body)
            .await;
    }
    let pm = app
        .postmortem(json!({"title": "Checkout API latency", "incident_refs": ["Q3B15VLMF3ASBD"]}))
        .await;
    assert_eq!(pm["incident_refs"], json!(["Q3B15VLMF3ASBD"]));
    let entries = timeline(&app, &pm).await;
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["alert.escalated", "alert.annotated"]);
    assert!(entries.iter().all(|e| e["source"] == "pagerduty"));
}

#[tokio::test]
async fn new_events_for_an_open_postmortem_appear_as_they_arrive() {
    let app = spawn_app().await;
    let pm = checkout_postmortem(&app).await;
    assert!(timeline(&app, &pm).await.is_empty());
    let hook = app.integration("generic").await;
    send(
        &app,
        &hook,
        json!([ev(
            "2026-11-20T10:05:00Z",
            "alert.triggered",
            "checkout",
            "Checkout 5xx"
        )]),
    )
    .await;
    assert_eq!(titles(&timeline(&app, &pm).await), ["Checkout 5xx"]);
    let read = app
        .get_json(&format!("/api/v1/postmortems/{}", id(&pm)))
        .await;
    assert_eq!(read["detected_at"], "2026-11-20T10:05:00Z");
}

#[tokio::test]
async fn widening_the_window_pulls_in_earlier_events() {
    let app = spawn_app().await;
    incident_events(&app).await;
    let pm = app
        .postmortem(json!({
            "title": "Checkout returned 500s",
            "services": ["checkout"],
            "impact_started_at": "2026-11-20T10:00:00Z",
            "resolved_at": "2026-11-20T10:50:00Z"
        }))
        .await;
    assert!(!titles(&timeline(&app, &pm).await).contains(&"Yesterday's alert"));
    let response = app
        .patch(
            &format!("/api/v1/postmortems/{}", id(&pm)),
            &json!({"impact_started_at": "2026-11-19T09:50:00Z"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let entries = timeline(&app, &pm).await;
    assert_eq!(
        titles(&entries)[..2],
        ["An old deploy", "Yesterday's alert"]
    );
}

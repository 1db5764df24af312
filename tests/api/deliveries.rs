//! Every verified delivery is kept and listed with what became of it; mapping
//! rules read custom bodies; replay turns stored deliveries into events once;
//! bodies go after their retention while their keys still dedupe.

use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Hook, TestApp, assert_problem, error_fields, id, signed, spawn_app};

/// A Datadog webhook whose payload is a custom template, as the Datadog docs
/// show building one: `$ALERT_TITLE`, `$ALERT_TRANSITION`, `$PRIORITY`,
/// `$DATE` (epoch milliseconds), `$LINK`, `$ALERT_CYCLE_KEY`.
const DATADOG_CUSTOM: &str = r#"{"alert": "[Triggered] Checkout p99 above 2s", "transition": "Triggered", "priority": "P1", "date": 1795687200000, "link": "https://app.datadoghq.com/monitors/4711", "tags": "service:checkout,env:prod", "cycle": "c-17"}"#;

/// Rules for that template.
fn datadog_rules() -> Value {
    json!({
        "occurred_at": "date",
        "kind": {"path": "transition", "values": {
            "Triggered": "alert.triggered", "Re-Triggered": "alert.triggered",
            "Recovered": "alert.resolved", "Warn": "alert.triggered"}},
        "title": "alert",
        "service": "split(tags, ',')[?starts_with(@, 'service:')] | [0] | split(@, ':')[1]",
        "severity": "priority",
        "link": "link",
        "correlation_key": "cycle"
    })
}

async fn save_datadog_rules(app: &TestApp, hook: &Hook) {
    let response = app
        .request(
            Method::PATCH,
            &format!("/api/v1/integrations/{}", hook.id),
            Role::Admin,
        )
        .json(&json!({"config": {"rules": datadog_rules()}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn deliver(app: &TestApp, hook: &Hook, kind: &str, body: &[u8]) -> Value {
    let headers = signed(kind, &hook.secret, body);
    app.deliver_ok(hook, &headers, body).await
}

async fn deliveries(app: &TestApp, hook: &Hook, query: &str) -> Value {
    app.get_json_as(
        Role::Admin,
        &format!("/api/v1/integrations/{}/deliveries?{query}", hook.id),
    )
    .await
}

async fn post_admin(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.request(Method::POST, path, Role::Admin)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn replay(app: &TestApp, hook: &Hook, body: Value) -> Value {
    let response = post_admin(
        app,
        &format!("/api/v1/integrations/{}/replay", hook.id),
        body,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn every_verified_delivery_is_kept_and_listed_with_its_state_and_reason() {
    let app = spawn_app().await;
    let hook = app.integration("generic").await;
    let good = br#"{"occurred_at": "2026-11-20T10:05:00Z", "kind": "alert.triggered", "title": "Checkout 5xx"}"#;
    let processed = deliver(&app, &hook, "generic", good).await;
    assert_eq!(processed["state"], "processed");
    let custom = deliver(&app, &hook, "generic", DATADOG_CUSTOM.as_bytes()).await;
    assert_eq!(custom["state"], "unparsed", "{custom}");
    assert_eq!(custom["event_ids"], json!([]));
    let binary = [0xff_u8, 0xfe, 0x00, 0x01];
    let not_json = deliver(&app, &hook, "generic", &binary).await;
    assert_eq!(not_json["state"], "unparsed");

    let all = deliveries(&app, &hook, "").await;
    let items = all["items"].as_array().unwrap();
    let states: Vec<&str> = items.iter().map(|d| d["state"].as_str().unwrap()).collect();
    assert_eq!(
        states,
        ["unparsed", "unparsed", "processed"],
        "newest first"
    );
    assert_eq!(items[2]["event_ids"], processed["event_ids"]);
    assert_eq!(items[2]["event_count"], 1);
    assert_eq!(items[1]["body_bytes"], DATADOG_CUSTOM.len());
    assert!(
        items[1]["reason"].as_str().unwrap().contains("`/kind`"),
        "the reason says what the generic kind expected: {}",
        items[1]
    );
    for item in items {
        let headers = item["headers"].as_object().unwrap();
        assert!(headers.contains_key("content-type"), "{item}");
        assert!(
            headers
                .keys()
                .all(|h| !h.contains("signature") && h != "authorization"),
            "credentials are never stored: {item}"
        );
    }
    let unparsed = deliveries(&app, &hook, "state=unparsed").await;
    assert_eq!(unparsed["items"].as_array().unwrap().len(), 2);
    let both = deliveries(&app, &hook, "state=processed,unparsed&limit=1").await;
    assert_eq!(both["items"].as_array().unwrap().len(), 1);
    let mut seen = vec![both["items"][0]["id"].clone()];
    let mut cursor = both["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let page = deliveries(&app, &hook, &format!("limit=1&cursor={c}")).await;
        seen.push(page["items"][0]["id"].clone());
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    let ids: Vec<Value> = items.iter().map(|d| d["id"].clone()).collect();
    assert_eq!(seen, ids, "cursor pages walk the same list");
    let later = deliveries(&app, &hook, "since=2999-01-01T00:00:00Z").await;
    assert_eq!(later["items"], json!([]));

    let path = format!("/api/v1/integrations/{}/deliveries", hook.id);
    let text = app
        .get_json_as(Role::Admin, &format!("{path}/{}", id(&items[1])))
        .await;
    assert_eq!(text["body"], DATADOG_CUSTOM);
    assert_eq!(text["body_encoding"], "utf-8");
    let raw = app
        .get_json_as(Role::Admin, &format!("{path}/{}", id(&items[0])))
        .await;
    assert_eq!(raw["body"], "//4AAQ==");
    assert_eq!(raw["body_encoding"], "base64");

    for role in [Role::Viewer, Role::Editor] {
        let response = app.request(Method::GET, &path, role).send().await.unwrap();
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let bad = app
        .request(Method::GET, &format!("{path}?state=lost"), Role::Admin)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(error_fields(&problem), ["state"]);
    let other = app.integration("generic").await;
    let response = app
        .request(
            Method::GET,
            &format!(
                "/api/v1/integrations/{}/deliveries/{}",
                other.id,
                id(&items[0])
            ),
            Role::Admin,
        )
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;

    let metrics = app.metrics_text().await;
    let line = |state: &str| {
        metrics
            .lines()
            .find(|l| {
                l.starts_with("hindsight_webhook_delivery_states_total")
                    && l.contains(&hook.id)
                    && l.contains(&format!("state=\"{state}\""))
            })
            .map(|l| l.rsplit(' ').next().unwrap().to_owned())
    };
    assert_eq!(line("unparsed").as_deref(), Some("2"), "{metrics}");
    assert_eq!(line("processed").as_deref(), Some("1"));
}

#[tokio::test]
async fn a_mapping_rule_tried_then_saved_and_a_replay_turn_unparsed_deliveries_into_events_once() {
    let app = spawn_app().await;
    let hook = app.integration("generic").await;
    let pm = app
        .postmortem(json!({
            "title": "Checkout slow",
            "services": ["checkout"],
            "impact_started_at": "2026-11-26T09:30:00Z"
        }))
        .await;
    let first = deliver(&app, &hook, "generic", DATADOG_CUSTOM.as_bytes()).await;
    assert_eq!(first["state"], "unparsed");

    // Tried on a sample: the events it would make, and nothing stored.
    let preview_path = format!("/api/v1/integrations/{}/preview", hook.id);
    let sample: Value = serde_json::from_str(DATADOG_CUSTOM).unwrap();
    let response = post_admin(
        &app,
        &preview_path,
        json!({"body": sample, "config": {"rules": datadog_rules()}}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let preview: Value = response.json().await.unwrap();
    assert_eq!(preview["state"], "processed", "{preview}");
    let event = &preview["events"][0];
    assert_eq!(event["occurred_at"], "2026-11-26T10:00:00Z");
    assert_eq!(event["kind"], "alert.triggered");
    assert_eq!(event["title"], "[Triggered] Checkout p99 above 2s");
    assert_eq!(event["service"], "checkout");
    assert_eq!(event["severity"], "critical");
    assert_eq!(event["correlation_key"], "c-17");
    // Without the rules (the saved configuration has none) it would not read.
    let response = post_admin(&app, &preview_path, json!({"body": sample})).await;
    let without: Value = response.json().await.unwrap();
    assert_eq!(without["state"], "unparsed");
    assert_eq!(without["events"], json!([]));
    assert!(app.events("").await.is_empty(), "a preview stores nothing");

    // A rule that does not compile is named.
    let response = post_admin(
        &app,
        &preview_path,
        json!({"body": sample, "config": {"rules": {"title": "join("}}}),
    )
    .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["config.rules.title"]);
    let response = post_admin(&app, &preview_path, json!({"body": {}, "raw_body": "x"})).await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    save_datadog_rules(&app, &hook).await;

    let report = replay(&app, &hook, json!({})).await;
    assert_eq!(report["replayed"], 1, "{report}");
    assert_eq!(report["events_created"], 1);
    assert_eq!(report["states"], json!({"processed": 1}));
    let events = app.events("").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["occurred_at"], "2026-11-26T10:00:00Z");
    assert_eq!(events[0]["time_source"], "source");
    assert_eq!(events[0]["service"], "checkout");
    let listed = deliveries(&app, &hook, "").await;
    assert_eq!(listed["items"][0]["state"], "processed");
    assert_eq!(listed["items"][0]["event_ids"], json!([events[0]["id"]]));
    // Replayed events reach timelines like new ones.
    let timeline = app
        .get_json(&format!("/api/v1/postmortems/{}/timeline", id(&pm)))
        .await;
    let titles: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["[Triggered] Checkout p99 above 2s"]);

    // Twice adds nothing, whatever states are asked for.
    let again = replay(&app, &hook, json!({"states": ["processed", "unparsed"]})).await;
    assert_eq!(again["replayed"], 1);
    assert_eq!(again["events_created"], 0);
    assert_eq!(app.events("").await.len(), 1);
    // The sender's retry of the same body is still a repeat.
    let retry = deliver(&app, &hook, "generic", DATADOG_CUSTOM.as_bytes()).await;
    assert_eq!(retry["duplicate"], true, "{retry}");
    // A new delivery of the template is read at once.
    let recovered = DATADOG_CUSTOM
        .replace("Triggered", "Recovered")
        .replace("1795687200000", "1795689000000");
    let now_read = deliver(&app, &hook, "generic", recovered.as_bytes()).await;
    assert_eq!(now_read["state"], "processed", "{now_read}");
    assert_eq!(app.events("kind=alert.resolved").await.len(), 1);

    let audit = app
        .get_json_as(Role::Admin, "/api/v1/audit?resource=integration")
        .await;
    let replays = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "replay")
        .count();
    assert_eq!(replays, 2);
    let metrics = app.metrics_text().await;
    assert!(
        metrics.lines().any(
            |l| l.starts_with("hindsight_webhook_replayed_deliveries_total")
                && l.contains(&hook.id)
                && l.contains("state=\"processed\"")
                && l.ends_with(" 2")
        ),
        "{metrics}"
    );
    for role in [Role::Viewer, Role::Editor] {
        let response = app
            .request(
                Method::POST,
                &format!("/api/v1/integrations/{}/replay", hook.id),
                role,
            )
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
}

#[tokio::test]
async fn an_event_whose_body_has_no_time_takes_its_arrival_and_says_so() {
    let app = spawn_app().await;
    let hook = app
        .integration_with(json!({
            "kind": "generic",
            "name": "rules only",
            "config": {"rules": {"events": "alerts", "title": "summary"}}
        }))
        .await;
    let body =
        br#"{"alerts": [{"summary": "Disk full on db-1"}, {"summary": "Disk full on db-2"}]}"#;
    let receipt = deliver(&app, &hook, "generic", body).await;
    assert_eq!(receipt["event_ids"].as_array().unwrap().len(), 2);
    let events = app.events("").await;
    for event in &events {
        assert_eq!(event["time_source"], "arrival", "{event}");
        assert_eq!(event["occurred_at"], event["received_at"]);
    }
    // A retry is the same events, though the arrival differs.
    let retry = deliver(&app, &hook, "generic", body).await;
    assert_eq!(retry["duplicate"], true);
    let data = app
        .graphql_data(
            Role::Viewer,
            "{ events(first: 5) { edges { node { timeSource } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["events"]["edges"][0]["node"]["timeSource"], "ARRIVAL");
}

#[tokio::test]
async fn bodies_past_their_retention_go_but_their_keys_still_recognise_a_retry() {
    let app = spawn_app().await;
    let hook = app.integration("generic").await;
    let body = DATADOG_CUSTOM.as_bytes();
    deliver(&app, &hook, "generic", body).await;
    let pruned =
        hindsight::services::deliveries::prune_bodies(&app.state.db, std::time::Duration::ZERO)
            .await
            .unwrap();
    assert_eq!(pruned, 1);
    let listed = deliveries(&app, &hook, "").await;
    let item = &listed["items"][0];
    assert!(item["body_pruned_at"].is_string(), "{item}");
    assert_eq!(item["body_bytes"], 0);
    assert_eq!(item["state"], "unparsed", "its state and reason stay");
    let retry = deliver(&app, &hook, "generic", body).await;
    assert_eq!(retry["duplicate"], true);
    let report = replay(&app, &hook, json!({})).await;
    assert_eq!(report["replayed"], 0);
    assert_eq!(report["skipped_pruned"], 1);
}

#[tokio::test]
async fn the_replay_command_does_what_the_replay_route_does() {
    let app = spawn_app().await;
    let hook = app
        .integration_with(json!({"kind": "generic", "name": "custom"}))
        .await;
    deliver(&app, &hook, "generic", DATADOG_CUSTOM.as_bytes()).await;
    save_datadog_rules(&app, &hook).await;
    let data_dir = std::env::temp_dir().join(format!("hindsight-cli-{}", uuid::Uuid::new_v4()));
    // The command runs off the test's runtime, so the server (on that runtime)
    // goes on: blocking it could freeze it inside a write transaction.
    let url = app.settings.database_url.clone();
    let integration = hook.id.clone();
    let dir = data_dir.clone();
    let run = move || {
        let (url, integration, dir) = (url.clone(), integration.clone(), dir.clone());
        async move {
            let output = tokio::task::spawn_blocking(move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_hindsight"))
                    .args([
                        "replay",
                        "--integration",
                        &integration,
                        "--state",
                        "unparsed,ignored",
                    ])
                    .env("HINDSIGHT_DATABASE_URL", &url)
                    .env(
                        "HINDSIGHT_JWT_SECRET",
                        std::str::from_utf8(crate::helpers::JWT_SECRET).unwrap(),
                    )
                    .env("HINDSIGHT_SECRET_KEY", hex_key())
                    .env("HINDSIGHT_DATA_DIR", &dir)
                    .output()
                    .unwrap()
            })
            .await
            .unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            serde_json::from_slice::<Value>(&output.stdout).unwrap()
        }
    };
    let report = run().await;
    assert_eq!(report["replayed"], 1, "{report}");
    assert_eq!(report["events_created"], 1);
    let events = app.events("").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["service"], "checkout");
    // Nothing left to replay in those states: it is processed now.
    let again = run().await;
    assert_eq!(again["replayed"], 0, "{again}");
    std::fs::remove_dir_all(&data_dir).ok();
    assert_eq!(app.events("").await.len(), 1);
}

/// The test app's secret key (32 bytes of 7), as `HINDSIGHT_SECRET_KEY` takes it.
fn hex_key() -> String {
    "07".repeat(32)
}

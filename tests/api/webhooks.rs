//! `POST /webhooks/{integration_id}`: verification, responses, exactly-once
//! storage and the per-integration counters.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Hook, TestApp, assert_problem, fixture, hmac_hex, id, signed, spawn_app, spawn_app_with,
};

const TRIGGERED: &str = "pagerduty/v3.incident.triggered.json";

async fn integration_json(app: &TestApp, hook: &Hook) -> Value {
    app.get_json_as_admin(&format!("/api/v1/integrations/{}", hook.id))
        .await
}

#[tokio::test]
async fn webhook_with_bad_or_missing_signature_is_rejected_and_stores_nothing() {
    let app = spawn_app().await;
    let hook = app.integration("pagerduty").await;
    let body = fixture(TRIGGERED);
    let forged = signed("pagerduty", "not-the-secret-at-all", &body);
    let response = app.deliver(&hook, &forged, &body).await;
    let problem = assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(problem["detail"], "the signature or token does not match");
    let response = app.deliver(&hook, &[], &body).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(app.events("").await.is_empty());
    let integration = integration_json(&app, &hook).await;
    assert_eq!(integration["rejected_count"], 2);
    assert_eq!(integration["accepted_count"], 0);
    assert!(integration["last_received_at"].is_null());
}

#[tokio::test]
async fn githubs_documented_test_vector_verifies() {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
    let app = spawn_app().await;
    let hook = app
        .integration_with(
            json!({"kind": "github", "name": "gh", "secret": "It's a Secret to Everybody"}),
        )
        .await;
    let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    let headers = [
        ("X-Hub-Signature-256", signature.to_owned()),
        ("X-GitHub-Event", "push".to_owned()),
    ];
    // The signature holds, so the delivery is kept, though its body is not JSON.
    let receipt = app.deliver_ok(&hook, &headers, b"Hello, World!").await;
    assert_eq!(receipt["state"], "unparsed", "{receipt}");
    assert!(
        receipt["reason"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    let wrong = [
        ("X-Hub-Signature-256", signature.replace("757", "758")),
        ("X-GitHub-Event", "push".to_owned()),
    ];
    let response = app.deliver(&hook, &wrong, b"Hello, World!").await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn github_ping_is_acknowledged_with_no_events() {
    let app = spawn_app().await;
    let hook = app.integration("github").await;
    let body = br#"{"zen": "Keep it logically awesome.", "hook_id": 1}"#;
    let mut headers = signed("github", &hook.secret, body);
    headers.push(("X-GitHub-Event", "ping".to_owned()));
    let receipt = app.deliver_ok(&hook, &headers, body).await;
    assert_eq!(receipt["event_ids"], json!([]));
    assert_eq!(receipt["ignored_reason"], "GitHub ping");
}

#[tokio::test]
async fn pagerduty_delivery_signed_by_both_secrets_during_rotation_is_accepted() {
    let app = spawn_app().await;
    let hook = app.integration("pagerduty").await;
    let rotated = app
        .create_ok(
            &format!("/api/v1/integrations/{}/rotate-secret", hook.id),
            json!({}),
        )
        .await;
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, hook.secret);
    let body = fixture(TRIGGERED);
    // PagerDuty signs with every secret of the subscription, comma-separated.
    let header = format!(
        "v1={},v1={}",
        hmac_hex(b"some-other-subscription-secret", &[&body]),
        hmac_hex(new_secret.as_bytes(), &[&body])
    );
    let receipt = app
        .deliver_ok(&hook, &[("X-PagerDuty-Signature", header)], &body)
        .await;
    assert_eq!(receipt["event_ids"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_old_secret_works_during_the_grace_period_and_not_after() {
    let app = spawn_app().await;
    let during = app.integration("alertmanager").await;
    let after = app.integration("alertmanager").await;
    let path = |hook: &Hook| format!("/api/v1/integrations/{}/rotate-secret", hook.id);
    let rotated = app.create_ok(&path(&during), Value::Null).await;
    let until = rotated["previous_secret_valid_until"].as_str().unwrap();
    let until: chrono::DateTime<chrono::Utc> = until.parse().unwrap();
    let hours = (until - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!(
        (23.9..=24.0).contains(&hours),
        "default grace is 24 h: {hours}"
    );
    app.create_ok(&path(&after), json!({"grace_seconds": 0}))
        .await;

    let first = fixture("alertmanager/firing.json");
    let second = fixture("alertmanager/resolved.json");
    for body in [&first, &second] {
        let old = signed("alertmanager", &during.secret, body);
        app.deliver_ok(&during, &old, body).await;
    }
    let old = signed("alertmanager", &after.secret, &first);
    let response = app.deliver(&after, &old, &first).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn rotation_grace_comes_from_the_configuration() {
    let app = spawn_app_with(|s| s.ingest.rotation_grace = std::time::Duration::ZERO).await;
    let hook = app.integration("datadog").await;
    app.create_ok(
        &format!("/api/v1/integrations/{}/rotate-secret", hook.id),
        Value::Null,
    )
    .await;
    let body = fixture("datadog/default-payload.triggered.json");
    let old = signed("datadog", &hook.secret, &body);
    let response = app.deliver(&hook, &old, &body).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

fn gitlab_signed(
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    vec![
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", format!("v1,{signature}")),
        ("X-Gitlab-Event", "Deployment Hook".to_owned()),
    ]
}

#[tokio::test]
async fn gitlab_signed_deliveries_are_accepted_fresh_and_refused_when_replayed_later() {
    let app = spawn_app().await;
    let hook = app.integration("gitlab").await;
    let body = fixture("gitlab/deployment.success.json");
    let now = chrono::Utc::now().timestamp();
    let fresh = gitlab_signed(&hook.secret, "msg_fresh", now, &body);
    let receipt = app.deliver_ok(&hook, &fresh, &body).await;
    assert_eq!(receipt["event_ids"].as_array().unwrap().len(), 1);
    // A captured delivery replayed ten minutes later: the signature is right, the window is not.
    let replayed = gitlab_signed(&hook.secret, "msg_old", now - 600, &body);
    let response = app.deliver(&hook, &replayed, &body).await;
    let problem = assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(
        problem["detail"],
        "the signature's timestamp is outside the allowed window"
    );
}

#[tokio::test]
async fn grafana_hmac_with_a_timestamp_header_is_verified() {
    let app = spawn_app().await;
    let hook = app
        .integration_with(json!({
            "kind": "grafana", "name": "grafana",
            "config": {"grafana_timestamp_header": "X-Grafana-Alerting-Signature-Timestamp"}
        }))
        .await;
    let body = fixture("grafana/resolved.v9.json");
    let ts = chrono::Utc::now().timestamp().to_string();
    let signature = hmac_hex(hook.secret.as_bytes(), &[ts.as_bytes(), b":", &body]);
    let headers = [
        ("X-Grafana-Alerting-Signature", signature.clone()),
        ("X-Grafana-Alerting-Signature-Timestamp", ts),
    ];
    app.deliver_ok(&hook, &headers, &body).await;
    let stale = [
        ("X-Grafana-Alerting-Signature", signature),
        ("X-Grafana-Alerting-Signature-Timestamp", "1000".to_owned()),
    ];
    let response = app.deliver(&hook, &stale, &body).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn alertmanager_may_authenticate_with_basic_auth() {
    let app = spawn_app().await;
    let hook = app.integration("alertmanager").await;
    let body = fixture("alertmanager/firing.two-alerts.json");
    let basic = STANDARD.encode(format!("alertmanager:{}", hook.secret));
    let receipt = app
        .deliver_ok(&hook, &[("Authorization", format!("Basic {basic}"))], &body)
        .await;
    assert_eq!(receipt["event_ids"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn truncated_and_non_json_bodies_are_kept_unparsed_with_the_reason() {
    let app = spawn_app().await;
    let hook = app.integration("pagerduty").await;
    let body = fixture(TRIGGERED);
    let truncated = &body[..body.len() / 2];
    for bad in [truncated, b"<html>502 Bad Gateway</html>".as_slice()] {
        let headers = signed("pagerduty", &hook.secret, bad);
        let receipt = app.deliver_ok(&hook, &headers, bad).await;
        assert_eq!(receipt["state"], "unparsed", "{receipt}");
        assert_eq!(receipt["duplicate"], false);
        assert!(
            receipt["reason"]
                .as_str()
                .unwrap()
                .starts_with("the body is not valid JSON"),
            "{receipt}"
        );
        // The sender's retry of the same bytes is recognised.
        let again = app.deliver_ok(&hook, &headers, bad).await;
        assert_eq!(again["duplicate"], true, "{again}");
    }
    assert!(app.events("").await.is_empty());
    let integration = integration_json(&app, &hook).await;
    assert_eq!(integration["rejected_count"], 0);
    assert_eq!(integration["accepted_count"], 2);
    assert_eq!(integration["duplicate_count"], 2);
}

#[tokio::test]
async fn events_api_v2_bodies_are_kept_with_an_explanation() {
    let app = spawn_app().await;
    let hook = app.integration("pagerduty").await;
    for file in [
        "pagerduty/events-v2.trigger.json",
        "pagerduty/events-v2.resolve.json",
        "pagerduty/events-v2.change.json",
    ] {
        let body = fixture(file);
        let headers = signed("pagerduty", &hook.secret, &body);
        let receipt = app.deliver_ok(&hook, &headers, &body).await;
        assert_ne!(receipt["state"], "processed", "{file}: {receipt}");
        assert!(
            receipt["reason"]
                .as_str()
                .unwrap()
                .contains("Events API v2"),
            "{file}: {receipt}"
        );
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app().await;
    let hook = app.integration("generic").await;
    let body = vec![b' '; app.settings.body_limit + 1];
    let headers = signed("generic", &hook.secret, &body);
    let response = app.deliver(&hook, &headers, &body).await;
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn an_unknown_integration_is_404() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/webhooks/{}", app.address, uuid::Uuid::new_v4()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn a_repeated_delivery_is_acknowledged_and_changes_nothing() {
    let app = spawn_app().await;
    let hook = app.integration("pagerduty").await;
    let body = fixture(TRIGGERED);
    let headers = signed("pagerduty", &hook.secret, &body);
    let first = app.deliver_ok(&hook, &headers, &body).await;
    assert_eq!(first["duplicate"], false);
    let again = app.deliver_ok(&hook, &headers, &body).await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["event_ids"], json!([]));
    assert_eq!(app.events("").await.len(), 1);
    let integration = integration_json(&app, &hook).await;
    assert_eq!(integration["accepted_count"], 1);
    assert_eq!(integration["duplicate_count"], 1);
    assert!(integration["last_received_at"].is_string());
}

#[tokio::test]
async fn alertmanager_repeats_without_a_delivery_id_are_recognised_by_content() {
    let app = spawn_app().await;
    let hook = app.integration("alertmanager").await;
    let body = fixture("alertmanager/firing.two-alerts.json");
    let headers = signed("alertmanager", &hook.secret, &body);
    app.deliver_ok(&hook, &headers, &body).await;
    // Alertmanager re-notifies the same group on repeat_interval.
    let again = app.deliver_ok(&hook, &headers, &body).await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(app.events("").await.len(), 2);
}

#[tokio::test]
async fn fifty_concurrent_copies_of_one_delivery_store_one_event() {
    let app = spawn_app().await;
    let hook = app.integration("pagerduty").await;
    let body = fixture(TRIGGERED);
    let headers = signed("pagerduty", &hook.secret, &body);
    let copies = (0..50).map(|_| app.deliver(&hook, &headers, &body));
    let responses = futures_util::future::join_all(copies).await;
    let mut fresh = 0;
    for response in responses {
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let receipt: Value = response.json().await.unwrap();
        if receipt["duplicate"] == false {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1, "exactly one copy is stored");
    assert_eq!(app.events("").await.len(), 1);
    let integration = integration_json(&app, &hook).await;
    assert_eq!(integration["accepted_count"], 1);
    assert_eq!(integration["duplicate_count"], 49);
}

#[tokio::test]
async fn generic_events_with_an_idempotency_key_are_stored_once() {
    let app = spawn_app().await;
    let hook = app.integration("generic").await;
    let body = json!({"events": [
        {"occurred_at": "2026-11-20T09:58:00Z", "kind": "deploy.succeeded", "title": "Deploy orders 2.14",
         "service": "orders", "actor": "argocd", "link": "https://argo.example.com/app/orders"},
        {"occurred_at": "2026-11-20T10:02:00Z", "kind": "alert.triggered", "title": "Checkout 5xx", "service": "checkout", "severity": "P1"}
    ]})
    .to_string();
    let mut headers = signed("generic", &hook.secret, body.as_bytes());
    headers.push(("Idempotency-Key", "argo-orders-2.14".to_owned()));
    app.deliver_ok(&hook, &headers, body.as_bytes()).await;
    let again = app.deliver_ok(&hook, &headers, body.as_bytes()).await;
    assert_eq!(again["duplicate"], true);
    let events = app.events("service=checkout").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["severity"], "critical");
    let deploys = app.events("kind=deploy.succeeded&source=generic").await;
    assert_eq!(deploys[0]["actor"], "argocd");
}

#[tokio::test]
async fn a_valid_delivery_while_the_database_is_down_is_503_so_the_sender_retries() {
    let app = spawn_app().await;
    let hook = app.integration("pagerduty").await;
    let body = fixture(TRIGGERED);
    let headers = signed("pagerduty", &hook.secret, &body);
    app.state.db.close_by_ref().await.unwrap();
    let response = app.deliver(&hook, &headers, &body).await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
}

#[tokio::test]
async fn events_list_filters_and_pages_in_time_order() {
    let app = spawn_app().await;
    app.deliver_incident_and_deploy().await;

    let all = app.events("").await;
    let times: Vec<&str> = all
        .iter()
        .map(|e| e["occurred_at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    assert_eq!(all.len(), 4);
    assert_eq!(app.events("source=github").await.len(), 1);
    assert_eq!(
        app.events("service=pig208&kind=alert.resolved").await.len(),
        1
    );
    let window = app
        .events("from=2021-06-04T13:30:00Z&to=2021-06-04T14:00:00Z")
        .await;
    assert_eq!(window.len(), 2);
    let first = app.get_json("/api/v1/events?limit=3").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = app
        .get_json(&format!("/api/v1/events?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
}

#[tokio::test]
async fn metrics_count_deliveries_per_integration_and_survive_a_restart() {
    let app = spawn_app().await;
    let hook = app.integration("pagerduty").await;
    let body = fixture(TRIGGERED);
    let headers = signed("pagerduty", &hook.secret, &body);
    app.deliver_ok(&hook, &headers, &body).await;
    app.deliver_ok(&hook, &headers, &body).await;
    app.deliver(&hook, &[], &body).await;
    let expect = |text: &str| {
        for outcome in ["accepted", "duplicate", "rejected"] {
            let line = format!(
                "hindsight_webhook_deliveries_total{{integration_id=\"{}\",kind=\"pagerduty\",outcome=\"{outcome}\"}} 1",
                hook.id
            );
            assert!(text.contains(&line), "{line} missing from\n{text}");
        }
        let gauge = format!(
            "hindsight_webhook_last_received_timestamp_seconds{{integration_id=\"{}\",kind=\"pagerduty\"}} ",
            hook.id
        );
        assert!(text.contains(&gauge), "{gauge} missing");
    };
    expect(&app.metrics_text().await);
    // Counts reach the table in the background; a new process starts from them.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let url = app.settings.database_url.clone();
    let restarted = spawn_app_with(|s| s.database_url = url).await;
    expect(&restarted.metrics_text().await);
    let created = app
        .get_json_as_admin(&format!("/api/v1/integrations/{}", hook.id))
        .await;
    assert_eq!(id(&created), hook.id);
}

#[tokio::test]
async fn every_kind_refuses_a_delivery_signed_with_another_secret() {
    let app = spawn_app().await;
    let cases = [
        ("pagerduty", TRIGGERED, None),
        ("alertmanager", "alertmanager/firing.json", None),
        ("grafana", "grafana/resolved.v9.json", None),
        ("opsgenie", "opsgenie/create.json", None),
        ("datadog", "datadog/default-payload.triggered.json", None),
        (
            "github",
            "github/deployment.json",
            Some(("X-GitHub-Event", "deployment")),
        ),
        ("gitlab", "gitlab/deployment.success.json", None),
        ("jira", "jira/issue_updated.status.json", None),
        ("sentry", "sentry/issue.created.json", None),
    ];
    for (kind, file, extra) in cases {
        let hook = app.integration(kind).await;
        let body = fixture(file);
        let mut headers = signed(kind, "a-secret-this-integration-never-had", &body);
        headers.extend(extra.map(|(k, v)| (k, v.to_owned())));
        let response = app.deliver(&hook, &headers, &body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{kind}");
        let mut right = signed(kind, &hook.secret, &body);
        right.extend(extra.map(|(k, v)| (k, v.to_owned())));
        app.deliver_ok(&hook, &right, &body).await;
    }
    let generic = app.integration("generic").await;
    let body =
        br#"{"occurred_at": "2026-11-20T10:00:00Z", "kind": "deploy.started", "title": "Deploy"}"#;
    let forged = signed("generic", "a-secret-this-integration-never-had", body);
    let response = app.deliver(&generic, &forged, body).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(app.events("source=generic").await.is_empty());
}

#[tokio::test]
async fn pruned_delivery_keys_still_leave_events_stored_once() {
    let app = spawn_app().await;
    let hook = app.integration("pagerduty").await;
    let body = fixture(TRIGGERED);
    let headers = signed("pagerduty", &hook.secret, &body);
    app.deliver_ok(&hook, &headers, &body).await;
    let young = hindsight::services::webhooks::prune_deliveries(
        &app.state.db,
        app.state.settings.ingest.delivery_retention,
    )
    .await
    .unwrap();
    assert_eq!(young, 0, "a delivery inside the retention is kept");
    let pruned =
        hindsight::services::webhooks::prune_deliveries(&app.state.db, std::time::Duration::ZERO)
            .await
            .unwrap();
    assert_eq!(pruned, 1);
    // A retry after its key was forgotten: the event's own identity still holds.
    let again = app.deliver_ok(&hook, &headers, &body).await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(app.events("").await.len(), 1);
}

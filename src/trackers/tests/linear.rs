use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::super::{MutationGate, Status, Tracker, TrackerError, TrackerKind};
use super::{bodies, config, loopback, spec};

fn linear(server: &MockServer) -> Tracker {
    Tracker::new(
        &config(TrackerKind::Linear, server),
        &MutationGate::default(),
        &loopback(),
    )
    .unwrap()
}

fn issue(state_type: &str, state_name: &str) -> Value {
    json!({
        "id": "12345678-9abc-4def-8123-456789abcdef",
        "identifier": "ENG-42",
        "url": "https://linear.app/acme/issue/ENG-42/alert-when-checkout-success-rate-drops",
        "updatedAt": "2025-06-02T09:30:00.000Z",
        "dueDate": "2025-07-01",
        "assignee": { "id": "user-ada" },
        "state": { "name": state_name, "type": state_type }
    })
}

async fn graphql_mock(server: &MockServer, contains: &str, response: Value) {
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_string_contains(contains))
        .respond_with(ResponseTemplate::new(200).set_body_json(response))
        .mount(server)
        .await;
}

#[tokio::test]
async fn creating_an_issue_uses_the_action_item_id_as_the_linear_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(header("authorization", "lin_api_test"))
        .and(body_string_contains("issueCreate"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "issueCreate": { "success": true, "issue": issue("unstarted", "Todo") } }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let created = linear(&server).create_issue(&spec()).await.unwrap();

    assert_eq!(created.key, "ENG-42");
    assert_eq!(created.status_category, Status::Open);
    let input = &bodies(&server, "POST", "/graphql").await[0]["variables"]["input"];
    assert_eq!(input["id"], "12345678-9abc-4def-8123-456789abcdef");
    assert_eq!(input["teamId"], "team-1");
    assert_eq!(input["assigneeId"], "user-ada");
    assert_eq!(input["dueDate"], "2025-07-01");
    assert_eq!(input["priority"], 2);
}

#[tokio::test]
async fn find_by_marker_asks_for_the_id_and_answers_none_when_the_create_never_landed() {
    let server = MockServer::start().await;
    graphql_mock(
        &server,
        "issues(filter",
        json!({ "data": { "issues": { "nodes": [] } } }),
    )
    .await;

    let found = linear(&server)
        .find_by_marker(spec().item_id)
        .await
        .unwrap();

    assert!(found.is_none());
    let call = &bodies(&server, "POST", "/graphql").await[0];
    assert_eq!(
        call["variables"]["id"],
        "12345678-9abc-4def-8123-456789abcdef"
    );
}

#[tokio::test]
async fn done_moves_the_issue_to_the_teams_first_completed_state() {
    let server = MockServer::start().await;
    graphql_mock(
        &server,
        "issue(id:",
        json!({ "data": { "issue": issue("started", "In Progress") } }),
    )
    .await;
    graphql_mock(
        &server,
        "states",
        json!({ "data": { "team": { "states": { "nodes": [
            { "id": "st-cancel", "name": "Canceled", "type": "canceled", "position": 4 },
            { "id": "st-shipped", "name": "Shipped", "type": "completed", "position": 3 },
            { "id": "st-verified", "name": "Verified", "type": "completed", "position": 5 },
            { "id": "st-todo", "name": "Todo", "type": "unstarted", "position": 1 }
        ] } } } }),
    )
    .await;
    graphql_mock(
        &server,
        "issueUpdate",
        json!({ "data": { "issueUpdate": { "success": true } } }),
    )
    .await;

    linear(&server)
        .set_status("ENG-42", Status::Done)
        .await
        .unwrap();

    let calls = bodies(&server, "POST", "/graphql").await;
    let update = calls
        .iter()
        .find(|c| c["query"].as_str().unwrap().contains("issueUpdate"))
        .unwrap();
    assert_eq!(
        update["variables"],
        json!({ "id": "ENG-42", "input": { "stateId": "st-shipped" } })
    );
}

#[tokio::test]
async fn a_linear_validation_error_is_permanent_with_its_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errors": [{
                "message": "Argument Validation Error",
                "path": ["issueCreate"],
                "extensions": {
                    "code": "INVALID_INPUT",
                    "type": "invalid input",
                    "userError": true,
                    "userPresentableMessage": "assigneeId must be a UUID."
                }
            }],
            "data": null
        })))
        .mount(&server)
        .await;

    let error = linear(&server).create_issue(&spec()).await.unwrap_err();

    assert_eq!(
        error,
        TrackerError::Permanent {
            status: 400,
            message: "assigneeId must be a UUID.".into()
        }
    );
}

#[tokio::test]
async fn a_linear_rate_limit_waits_until_the_requests_reset() {
    let server = MockServer::start().await;
    let reset = (Utc::now() + chrono::Duration::seconds(30))
        .timestamp_millis()
        .to_string();
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("X-RateLimit-Requests-Limit", "1500")
                .insert_header("X-RateLimit-Requests-Remaining", "0")
                .insert_header("X-RateLimit-Requests-Reset", reset.as_str())
                .set_body_json(json!({
                    "errors": [{
                        "message": "Rate limit exceeded",
                        "extensions": { "code": "RATELIMITED", "userPresentableMessage": "Too many requests." }
                    }]
                })),
        )
        .mount(&server)
        .await;

    let error = linear(&server).get_issue("ENG-42").await.unwrap_err();

    let wait = error.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(20) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
}

#[tokio::test]
async fn a_long_title_goes_to_linear_cut_to_255_characters_on_one_line() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_string_contains("issueCreate"))
        .respond_with(|req: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let title = body["variables"]["input"]["title"]
                .as_str()
                .unwrap_or_default();
            if super::refused(title, 255, false) {
                return ResponseTemplate::new(400).set_body_json(json!({
                    "errors": [{ "message": "Argument Validation Error",
                        "extensions": { "code": "INVALID_INPUT" } }]
                }));
            }
            ResponseTemplate::new(200).set_body_json(json!({
                "data": { "issueCreate": { "success": true, "issue": issue("unstarted", "Todo") } }
            }))
        })
        .mount(&server)
        .await;
    let mut spec = spec();
    spec.title = super::long_title();

    linear(&server).create_issue(&spec).await.unwrap();

    let input = &bodies(&server, "POST", "/graphql").await[0]["variables"]["input"];
    assert_eq!(input["title"], super::long_title_within(255));
    assert!(
        input["description"]
            .as_str()
            .unwrap()
            .starts_with(&super::full_title_line()),
        "{input}"
    );
}

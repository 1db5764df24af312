use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::super::{MutationGate, Status, Tracker, TrackerError, TrackerKind};
use super::{bodies, config, loopback, requests, spec};

fn gitlab(server: &MockServer) -> Tracker {
    Tracker::new(
        &config(TrackerKind::Gitlab, server),
        &MutationGate::default(),
        &loopback(),
    )
    .unwrap()
}

fn issue(iid: u64, state: &str, labels: &[&str]) -> Value {
    json!({
        "id": 76_000 + iid,
        "iid": iid,
        "project_id": 42,
        "title": "Alert when checkout success rate drops",
        "description": "Add an alert on lack of success.",
        "state": state,
        "created_at": "2025-06-01T10:00:00.000Z",
        "updated_at": "2025-06-02T09:30:00.000Z",
        "closed_at": null,
        "labels": labels,
        "assignees": [{ "id": 7, "username": "ada", "name": "Ada Lovelace", "state": "active" }],
        "assignee": { "id": 7, "username": "ada", "name": "Ada Lovelace", "state": "active" },
        "due_date": "2025-07-01",
        "web_url": format!("https://gitlab.example.com/acme/web/-/issues/{iid}"),
        "confidential": false
    })
}

#[tokio::test]
async fn creating_an_issue_sends_assignee_ids_due_date_and_marker_labels() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v4/projects/42/issues"))
        .and(header("authorization", "Bearer glpat-test"))
        .respond_with(ResponseTemplate::new(201).set_body_json(issue(12, "opened", &["hindsight"])))
        .expect(1)
        .mount(&server)
        .await;

    let created = gitlab(&server).create_issue(&spec()).await.unwrap();

    assert_eq!(created.key, "12");
    assert_eq!(created.assignee.as_deref(), Some("7"));
    assert_eq!(
        created.due_date,
        chrono::NaiveDate::from_ymd_opt(2025, 7, 1)
    );
    let body = &bodies(&server, "POST", "/api/v4/projects/42/issues").await[0];
    assert_eq!(body["assignee_ids"], json!([7]));
    assert_eq!(body["due_date"], "2025-07-01");
    assert_eq!(
        body["labels"],
        "detection,hindsight,hindsight-123456789abc4def8123456789abcdef"
    );
    let description = body["description"].as_str().unwrap();
    assert!(description.ends_with("<!-- hindsight:item=12345678-9abc-4def-8123-456789abcdef -->"));
    assert!(description.contains("Priority: P2"));
}

#[tokio::test]
async fn a_project_path_is_sent_as_one_encoded_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v4/projects/acme%2Fweb/issues/12"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue(12, "opened", &[])))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = config(TrackerKind::Gitlab, &server);
    config.project_id = Some("acme/web".into());
    let tracker = Tracker::new(&config, &MutationGate::default(), &loopback()).unwrap();

    let issue = tracker.get_issue("12").await.unwrap();

    assert_eq!(issue.url, "https://gitlab.example.com/acme/web/-/issues/12");
}

#[tokio::test]
async fn wont_do_closes_with_a_label_and_reads_back_as_wont_do() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v4/projects/42/issues/12"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue(12, "opened", &["hindsight"])))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v4/projects/42/issues/12"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue(
            12,
            "closed",
            &["hindsight", "wont-do"],
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v4/projects/42/issues/12"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue(
            12,
            "closed",
            &["hindsight", "wont-do"],
        )))
        .mount(&server)
        .await;
    let tracker = gitlab(&server);

    tracker.set_status("12", Status::WontDo).await.unwrap();
    let after = tracker.get_issue("12").await.unwrap();

    let body = &bodies(&server, "PUT", "/api/v4/projects/42/issues/12").await[0];
    assert_eq!(
        body,
        &json!({ "state_event": "close", "add_labels": "wont-do" })
    );
    assert_eq!(after.status_category, Status::WontDo);
}

#[tokio::test]
async fn gitlab_validation_errors_are_permanent_with_the_field_messages() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v4/projects/42/issues"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "message": { "assignee_ids": ["is invalid"], "due_date": ["is not a valid date"] }
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v4/projects/42/issues/99"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({ "message": "404 Not found" })),
        )
        .mount(&server)
        .await;
    let tracker = gitlab(&server);

    let create = tracker.create_issue(&spec()).await.unwrap_err();
    let missing = tracker.get_issue("99").await.unwrap_err();

    assert_eq!(
        create,
        TrackerError::Permanent {
            status: 400,
            message: "assignee_ids: is invalid; due_date: is not a valid date".into()
        }
    );
    assert_eq!(
        missing,
        TrackerError::Permanent {
            status: 404,
            message: "404 Not found".into()
        }
    );
}

#[tokio::test]
async fn a_gitlab_rate_limit_waits_until_ratelimit_reset() {
    let server = MockServer::start().await;
    let reset = (Utc::now() + chrono::Duration::seconds(50))
        .timestamp()
        .to_string();
    Mock::given(method("POST"))
        .and(path("/api/v4/projects/42/issues"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("RateLimit-Limit", "600")
                .insert_header("RateLimit-Remaining", "0")
                .insert_header("RateLimit-Reset", reset.as_str())
                .set_body_raw("Retry later", "text/plain"),
        )
        .mount(&server)
        .await;

    let error = gitlab(&server).create_issue(&spec()).await.unwrap_err();

    let wait = error.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(30) && wait <= Duration::from_secs(50),
        "{wait:?}"
    );
    assert!(error.to_string().contains("Retry later"), "{error}");
}

#[tokio::test]
async fn find_by_marker_lists_by_label_in_every_state() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v4/projects/42/issues"))
        .and(query_param(
            "labels",
            "hindsight-123456789abc4def8123456789abcdef",
        ))
        .and(query_param("state", "all"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([issue(12, "closed", &[])])))
        .mount(&server)
        .await;

    let found = gitlab(&server)
        .find_by_marker(spec().item_id)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(found.key, "12");
    assert_eq!(found.status_category, Status::Done);
    assert_eq!(
        requests(&server, "GET", "/api/v4/projects/42/issues")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_long_title_goes_to_gitlab_cut_to_255_characters_on_one_line() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v4/projects/42/issues"))
        .respond_with(|req: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            if super::refused(body["title"].as_str().unwrap_or_default(), 255, false) {
                // GitLab's answer to a title over Issuable::TITLE_LENGTH_MAX.
                return ResponseTemplate::new(400).set_body_json(json!({
                    "message": { "title": ["is too long (maximum is 255 characters)"] }
                }));
            }
            ResponseTemplate::new(201).set_body_json(issue(12, "opened", &["hindsight"]))
        })
        .mount(&server)
        .await;
    let mut spec = spec();
    spec.title = super::long_title();

    gitlab(&server).create_issue(&spec).await.unwrap();

    let body = &bodies(&server, "POST", "/api/v4/projects/42/issues").await[0];
    assert_eq!(body["title"], super::long_title_within(255));
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .starts_with(&super::full_title_line()),
        "{body}"
    );
}

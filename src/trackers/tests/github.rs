use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::super::{MutationGate, Status, Tracker, TrackerError, TrackerKind};
use super::github_schema::assert_github_body;
use super::{bodies, config, loopback, requests, spec};

fn github(server: &MockServer) -> Tracker {
    Tracker::new(
        &config(TrackerKind::Github, server),
        &MutationGate::new(Duration::from_millis(5)),
        &loopback(),
    )
    .unwrap()
}

fn issue(number: u64, state: &str, state_reason: Option<&str>) -> Value {
    json!({
        "id": 1_000_000 + number,
        "node_id": format!("I_kwDOA{number}"),
        "url": format!("https://api.github.com/repos/acme/web/issues/{number}"),
        "repository_url": "https://api.github.com/repos/acme/web",
        "html_url": format!("https://github.com/acme/web/issues/{number}"),
        "number": number,
        "state": state,
        "state_reason": state_reason,
        "title": "Alert when checkout success rate drops",
        "body": "Add an alert on lack of success.\n\nDue: 2025-07-01\nPriority: P2\n\n<!-- hindsight:item=12345678-9abc-4def-8123-456789abcdef -->",
        "user": { "login": "hindsight-bot", "id": 9, "type": "Bot" },
        "labels": [{ "id": 208045946, "name": "hindsight", "default": false }],
        "assignee": { "login": "ada", "id": 1, "type": "User" },
        "assignees": [{ "login": "ada", "id": 1, "type": "User" }],
        "locked": false,
        "comments": 0,
        "closed_at": null,
        "created_at": "2025-06-01T10:00:00Z",
        "updated_at": "2025-06-02T09:30:00Z",
        "author_association": "NONE"
    })
}

#[tokio::test]
async fn creating_an_issue_sends_owner_labels_due_line_and_hidden_marker_with_githubs_headers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/web/issues"))
        .and(header("accept", "application/vnd.github+json"))
        .and(header("x-github-api-version", "2022-11-28"))
        .and(header(
            "user-agent",
            concat!("hindsight/", env!("CARGO_PKG_VERSION")),
        ))
        .and(header("authorization", "Bearer ghp_test"))
        .respond_with(ResponseTemplate::new(201).set_body_json(issue(1347, "open", None)))
        .expect(1)
        .mount(&server)
        .await;

    let created = github(&server).create_issue(&spec()).await.unwrap();

    assert_eq!(created.key, "1347");
    assert_eq!(created.url, "https://github.com/acme/web/issues/1347");
    assert_eq!(created.assignee.as_deref(), Some("ada"));
    assert_eq!(
        created.due_date,
        chrono::NaiveDate::from_ymd_opt(2025, 7, 1)
    );
    let body = &bodies(&server, "POST", "/repos/acme/web/issues").await[0];
    assert_eq!(body["assignees"], json!(["ada"]));
    assert_eq!(
        body["labels"],
        json!([
            "detection",
            "hindsight",
            "hindsight-123456789abc4def8123456789abcdef"
        ])
    );
    let text = body["body"].as_str().unwrap();
    assert!(
        text.contains("[the post-mortem](https://hindsight.example.com/pm/1)"),
        "{text}"
    );
    assert!(text.contains("\nDue: 2025-07-01\n"), "{text}");
    assert!(
        text.ends_with("<!-- hindsight:item=12345678-9abc-4def-8123-456789abcdef -->"),
        "{text}"
    );
}

#[tokio::test]
async fn a_configured_project_gets_the_issue_and_its_due_date_field() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/web/issues"))
        .respond_with(ResponseTemplate::new(201).set_body_json(issue(1347, "open", None)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_partial_json(
            json!({ "variables": { "project": "PVT_kwDOB", "content": "I_kwDOA1347" } }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "addProjectV2ItemById": { "item": { "id": "PVTI_lADOB" } } }
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_partial_json(json!({ "variables": { "item": "PVTI_lADOB", "field": "PVTF_due", "date": "2025-07-01" } })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "updateProjectV2ItemFieldValue": { "projectV2Item": { "id": "PVTI_lADOB" } } }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = config(TrackerKind::Github, &server);
    config.github_project_id = Some("PVT_kwDOB".into());
    config.github_due_field_id = Some("PVTF_due".into());
    let tracker = Tracker::new(
        &config,
        &MutationGate::new(Duration::from_millis(5)),
        &loopback(),
    )
    .unwrap();

    tracker.create_issue(&spec()).await.unwrap();

    let calls = bodies(&server, "POST", "/graphql").await;
    assert!(
        calls[0]["query"]
            .as_str()
            .unwrap()
            .contains("addProjectV2ItemById")
    );
    assert!(
        calls[1]["query"]
            .as_str()
            .unwrap()
            .contains("updateProjectV2ItemFieldValue")
    );
}

#[tokio::test]
async fn wont_do_closes_the_issue_as_not_planned() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/web/issues/1347"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue(1347, "open", None)))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/web/issues/1347"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue(
            1347,
            "closed",
            Some("not_planned"),
        )))
        .expect(1)
        .mount(&server)
        .await;

    github(&server)
        .set_status("1347", Status::WontDo)
        .await
        .unwrap();

    let body = &bodies(&server, "PATCH", "/repos/acme/web/issues/1347").await[0];
    assert_eq!(
        body,
        &json!({ "state": "closed", "state_reason": "not_planned" })
    );
}

#[tokio::test]
async fn a_closed_issue_reads_back_as_done_or_wont_do_by_its_reason() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/web/issues/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue(
            1,
            "closed",
            Some("completed"),
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/web/issues/2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue(
            2,
            "closed",
            Some("not_planned"),
        )))
        .mount(&server)
        .await;
    let tracker = github(&server);

    assert_eq!(
        tracker.get_issue("1").await.unwrap().status_category,
        Status::Done
    );
    assert_eq!(
        tracker.get_issue("#2").await.unwrap().status_category,
        Status::WontDo
    );
}

#[tokio::test]
async fn an_unknown_assignee_is_permanent_with_githubs_validation_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/web/issues"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation Failed",
            "errors": [{ "value": "ada", "resource": "Issue", "field": "assignees", "code": "invalid" }],
            "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
            "status": "422"
        })))
        .mount(&server)
        .await;

    let error = github(&server).create_issue(&spec()).await.unwrap_err();

    assert_eq!(
        error,
        TrackerError::Permanent {
            status: 422,
            message: "Validation Failed; assignees: invalid (ada)".into()
        }
    );
}

#[tokio::test]
async fn a_secondary_rate_limit_without_headers_waits_a_minute() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/web/issues/1347"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
        })))
        .mount(&server)
        .await;

    let error = github(&server)
        .update_issue("1347", &spec())
        .await
        .unwrap_err();

    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(60)));
}

#[tokio::test]
async fn an_exhausted_primary_rate_limit_waits_until_the_reset_time() {
    let server = MockServer::start().await;
    let reset = (Utc::now() + chrono::Duration::seconds(120))
        .timestamp()
        .to_string();
    Mock::given(method("POST"))
        .and(path("/repos/acme/web/issues"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-used", "5000")
                .insert_header("x-ratelimit-reset", reset.as_str())
                .set_body_json(json!({
                    "message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                })),
        )
        .mount(&server)
        .await;

    let error = github(&server).create_issue(&spec()).await.unwrap_err();

    let wait = error.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );
}

#[tokio::test]
async fn a_retry_after_header_on_429_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/web/issues"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "42")
                .insert_header("x-ratelimit-remaining", "4000")
                .insert_header("x-ratelimit-reset", "1"),
        )
        .mount(&server)
        .await;

    let error = github(&server).create_issue(&spec()).await.unwrap_err();

    assert_eq!(error.retry_after(), Some(Duration::from_secs(42)));
}

#[tokio::test]
async fn a_plain_permission_403_is_permanent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/web/issues"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "4999")
                .insert_header("x-ratelimit-reset", "1893456000")
                .set_body_json(json!({
                    "message": "Resource not accessible by personal access token",
                    "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
                    "status": "403"
                })),
        )
        .mount(&server)
        .await;

    let error = github(&server).create_issue(&spec()).await.unwrap_err();

    assert_eq!(
        error,
        TrackerError::Permanent {
            status: 403,
            message: "Resource not accessible by personal access token".into()
        }
    );
}

#[tokio::test]
async fn a_create_that_times_out_is_unknown_and_the_marker_label_lists_the_issue() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/web/issues"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(issue(1347, "open", None))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let mut pull = issue(1348, "open", None);
    pull["pull_request"] = json!({ "url": "https://api.github.com/repos/acme/web/pulls/1348" });
    Mock::given(method("GET"))
        .and(path("/repos/acme/web/issues"))
        .and(query_param(
            "labels",
            "hindsight-123456789abc4def8123456789abcdef",
        ))
        .and(query_param("state", "all"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([pull, issue(1347, "open", None)])),
        )
        .mount(&server)
        .await;
    let mut config = config(TrackerKind::Github, &server);
    config.request_timeout = Duration::from_millis(300);
    let tracker = Tracker::new(
        &config,
        &MutationGate::new(Duration::from_millis(5)),
        &loopback(),
    )
    .unwrap();

    let error = tracker.create_issue(&spec()).await.unwrap_err();
    let found = tracker.find_by_marker(spec().item_id).await.unwrap();

    assert!(matches!(error, TrackerError::Unknown { .. }), "{error:?}");
    assert_eq!(found.map(|i| i.key).as_deref(), Some("1347"));
    assert!(requests(&server, "GET", "/search/issues").await.is_empty());
}

#[tokio::test]
async fn reconcile_lists_hindsight_issues_since_a_time_across_pages() {
    let server = MockServer::start().await;
    let next = format!(
        "<{}/repos/acme/web/issues?state=all&labels=hindsight&page=2>; rel=\"next\", <{}/repos/acme/web/issues?page=2>; rel=\"last\"",
        server.uri(),
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/repos/acme/web/issues"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([issue(
            2,
            "closed",
            Some("completed")
        )])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/web/issues"))
        .and(query_param("since", "2025-06-01T00:00:00Z"))
        .and(query_param("labels", "hindsight"))
        .and(query_param("state", "all"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", next.as_str())
                .set_body_json(json!([issue(1, "open", None)])),
        )
        .mount(&server)
        .await;
    let since = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();

    let issues = github(&server)
        .list_updated_since(since, &[])
        .await
        .unwrap();

    let keys: Vec<_> = issues
        .iter()
        .map(|i| (i.key.as_str(), i.status_category))
        .collect();
    assert_eq!(keys, [("1", Status::Open), ("2", Status::Done)]);
}

#[tokio::test]
async fn mutations_for_one_token_run_one_at_a_time_with_spacing() {
    let gate = MutationGate::new(Duration::from_millis(30));
    let inside = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let started = tokio::time::Instant::now();
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let (gate, inside, most) = (gate.clone(), Arc::clone(&inside), Arc::clone(&most));
            tokio::spawn(async move {
                let _pass = gate.enter("ghp_same").await.unwrap();
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
            })
        })
        .collect();
    let other_token = gate.enter("ghp_other");
    let _other = tokio::time::timeout(Duration::from_millis(20), other_token)
        .await
        .unwrap();
    for task in tasks {
        task.await.unwrap();
    }

    assert_eq!(most.load(Ordering::SeqCst), 1);
    assert!(
        started.elapsed() >= Duration::from_millis(60),
        "two gaps of 30 ms between three mutations"
    );
}

#[tokio::test]
async fn an_issue_number_that_is_not_a_number_is_refused_before_sending() {
    let server = MockServer::start().await;

    let error = github(&server)
        .get_issue("../../../user")
        .await
        .unwrap_err();

    assert!(matches!(error, TrackerError::Config(_)), "{error:?}");
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn every_issue_body_sent_to_github_validates_against_githubs_openapi_description() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/web/issues"))
        .respond_with(ResponseTemplate::new(201).set_body_json(issue(5, "open", None)))
        .mount(&server)
        .await;
    let states = [
        ("closed", Some("completed")),
        ("open", None),
        ("closed", Some("not_planned")),
    ];
    for (state, reason) in states {
        // Each status change reads the issue first: answer with the state before it.
        let before = if state == "open" {
            ("closed", Some("completed"))
        } else {
            ("open", None)
        };
        Mock::given(method("GET"))
            .and(path("/repos/acme/web/issues/5"))
            .respond_with(ResponseTemplate::new(200).set_body_json(issue(5, before.0, before.1)))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("PATCH"))
            .and(path("/repos/acme/web/issues/5"))
            .respond_with(ResponseTemplate::new(200).set_body_json(issue(5, state, reason)))
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/web/issues/5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue(5, "open", None)))
        .mount(&server)
        .await;
    let github = Tracker::new(
        &config(TrackerKind::Github, &server),
        &MutationGate::new(Duration::ZERO),
        &loopback(),
    )
    .unwrap();

    github.create_issue(&spec()).await.unwrap();
    github.update_issue("5", &spec()).await.unwrap();
    for status in [Status::Done, Status::Open, Status::WontDo] {
        github.set_status("5", status).await.unwrap();
    }

    let created = bodies(&server, "POST", "/repos/acme/web/issues").await;
    assert_github_body("/repos/{owner}/{repo}/issues", "post", &created[0]);
    let edits = bodies(&server, "PATCH", "/repos/acme/web/issues/5").await;
    assert_eq!(edits.len(), 4, "{edits:#?}");
    for edit in &edits {
        assert_github_body("/repos/{owner}/{repo}/issues/{issue_number}", "patch", edit);
    }
    assert_eq!(edits[3]["state_reason"], "not_planned");
}

#[tokio::test]
async fn a_long_title_goes_to_github_cut_to_256_characters_on_one_line() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/web/issues"))
        .respond_with(|req: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            if super::refused(body["title"].as_str().unwrap_or_default(), 256, false) {
                // GitHub's answer to a title over its limit.
                return ResponseTemplate::new(422).set_body_json(json!({
                    "message": "Validation Failed",
                    "errors": [{ "resource": "Issue", "code": "custom", "field": "title",
                        "message": "title is too long (maximum is 256 characters)" }],
                    "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
                    "status": "422"
                }));
            }
            ResponseTemplate::new(201).set_body_json(issue(1347, "open", None))
        })
        .mount(&server)
        .await;
    let mut spec = spec();
    spec.title = super::long_title();

    github(&server).create_issue(&spec).await.unwrap();

    let body = &bodies(&server, "POST", "/repos/acme/web/issues").await[0];
    assert_eq!(body["title"], super::long_title_within(256));
    assert!(
        body["body"]
            .as_str()
            .unwrap()
            .starts_with(&super::full_title_line()),
        "{body}"
    );
}

use std::time::Duration;

use chrono::{TimeZone, Utc};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::super::http::{flatten_message, header_wait};
use super::super::{
    Credentials, MutationGate, Tracker, TrackerConfig, TrackerError, TrackerKind, backoff,
};
use super::{config, loopback, requests, spec};

#[test]
fn backoff_grows_within_the_cap_and_never_undercuts_retry_after() {
    let base = Duration::from_millis(500);
    let cap = Duration::from_secs(30);
    for attempt in 0..40 {
        let wait = backoff(attempt, None, base, cap);
        assert!(
            wait <= cap.min(base * 2u32.saturating_pow(attempt.min(20))),
            "{attempt}: {wait:?}"
        );
        let asked = Duration::from_secs(90);
        assert!(backoff(attempt, Some(asked), base, cap) >= asked);
    }
}

#[test]
fn a_plain_http_base_url_is_refused_unless_allowed_for_a_local_test_target() {
    let credentials = Credentials::Bearer { token: "t".into() };
    let mut config = TrackerConfig::new(TrackerKind::Github, "http://api.github.com", credentials);
    config.owner = Some("acme".into());
    config.repo = Some("web".into());

    let refused = Tracker::new(&config, &MutationGate::default(), &loopback()).err();
    config.allow_insecure_http = true;
    let allowed = Tracker::new(&config, &MutationGate::default(), &loopback());
    config.base_url = "ftp://api.github.com".into();
    let ftp = Tracker::new(&config, &MutationGate::default(), &loopback()).err();
    config.base_url = "https://user:pass@api.github.com".into();
    let with_credentials = Tracker::new(&config, &MutationGate::default(), &loopback()).err();

    assert!(
        matches!(&refused, Some(TrackerError::Config(m)) if m.contains("https")),
        "{refused:?}"
    );
    assert!(allowed.is_ok());
    assert!(matches!(ftp, Some(TrackerError::Config(_))));
    assert!(matches!(with_credentials, Some(TrackerError::Config(_))));
}

#[test]
fn an_empty_base_url_means_the_public_api_except_for_jira() {
    let mut config = TrackerConfig::new(
        TrackerKind::Github,
        "",
        Credentials::Bearer { token: "t".into() },
    );
    config.owner = Some("acme".into());
    config.repo = Some("web".into());
    assert!(Tracker::new(&config, &MutationGate::default(), &loopback()).is_ok());

    config.kind = TrackerKind::Jira;
    config.project_key = Some("OPS".into());
    assert!(matches!(
        Tracker::new(&config, &MutationGate::default(), &loopback()),
        Err(TrackerError::Config(_))
    ));
}

#[test]
fn credentials_are_not_printed_in_debug_output() {
    let config = TrackerConfig::new(
        TrackerKind::Jira,
        "https://acme.atlassian.net",
        Credentials::Basic {
            email: "bot@example.com".into(),
            api_token: "s3cr3t-token".into(),
        },
    );

    let printed = format!("{config:?}");

    assert!(!printed.contains("s3cr3t-token"));
    assert!(printed.contains("bot@example.com"));
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-1"))
        .respond_with(ResponseTemplate::new(301).insert_header(
            "location",
            format!("{}/rest/api/3/issue/OPS-1", elsewhere.uri()).as_str(),
        ))
        .mount(&server)
        .await;
    let tracker = Tracker::new(
        &config(TrackerKind::Jira, &server),
        &MutationGate::default(),
        &loopback(),
    )
    .unwrap();

    let error = tracker.get_issue("OPS-1").await.unwrap_err();

    assert!(
        matches!(&error, TrackerError::Permanent { status: 301, message } if message.contains("redirect")),
        "{error:?}"
    );
    assert!(
        elsewhere
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn a_key_cannot_escape_its_path_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "errorMessages": ["Issue does not exist or you do not have permission to see it."],
            "errors": {}
        })))
        .mount(&server)
        .await;
    let tracker = Tracker::new(
        &config(TrackerKind::Jira, &server),
        &MutationGate::default(),
        &loopback(),
    )
    .unwrap();

    let error = tracker.get_issue("../../../admin?x=1#y").await.unwrap_err();

    assert!(
        matches!(error, TrackerError::Permanent { status: 404, .. }),
        "{error:?}"
    );
    let sent = requests(
        &server,
        "GET",
        "/rest/api/3/issue/..%2F..%2F..%2Fadmin%3Fx=1%23y",
    )
    .await;
    assert_eq!(sent.len(), 1, "{:?}", server.received_requests().await);
    assert_eq!(
        sent[0].url.query(),
        Some("fields=summary%2Cstatus%2Cassignee%2Cduedate%2Cupdated%2Cresolution")
    );
}

#[tokio::test]
async fn a_tracker_that_cannot_be_reached_is_retryable_even_for_a_create() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let credentials = Credentials::Bearer { token: "t".into() };
    let mut config = TrackerConfig::new(
        TrackerKind::Jira,
        format!("http://127.0.0.1:{closed_port}"),
        credentials,
    );
    config.allow_insecure_http = true;
    config.project_key = Some("OPS".into());
    let tracker = Tracker::new(&config, &MutationGate::default(), &loopback()).unwrap();

    let error = tracker.create_issue(&spec()).await.unwrap_err();

    assert!(error.is_retryable(), "{error:?}");
}

#[test]
fn rate_limit_headers_are_read_in_each_trackers_format() {
    let now = Utc.with_ymd_and_hms(2025, 1, 2, 10, 0, 0).unwrap();
    let wait = |pairs: &[(&'static str, &str)]| {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        header_wait(&headers, now)
    };

    assert_eq!(wait(&[("retry-after", "5")]), Some(Duration::from_secs(5)));
    assert_eq!(
        wait(&[("retry-after", "Thu, 02 Jan 2025 10:01:00 GMT")]),
        Some(Duration::from_secs(60))
    );
    assert_eq!(
        wait(&[("x-ratelimit-reset", "2025-01-02T10:15Z")]),
        Some(Duration::from_secs(900))
    );
    assert_eq!(
        wait(&[("x-ratelimit-reset", "2025-01-02T10:00:30.000Z")]),
        Some(Duration::from_secs(30))
    );
    let github_reset = (now.timestamp() + 90).to_string();
    assert_eq!(
        wait(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &github_reset)
        ]),
        Some(Duration::from_secs(90))
    );
    assert_eq!(
        wait(&[
            ("x-ratelimit-remaining", "12"),
            ("x-ratelimit-reset", &github_reset)
        ]),
        None
    );
    assert_eq!(
        wait(&[("ratelimit-reset", &github_reset)]),
        Some(Duration::from_secs(90))
    );
    assert_eq!(
        wait(&[("x-ratelimit-reset", "2024-01-01T00:00Z")]),
        Some(Duration::ZERO)
    );
}

#[test]
fn error_bodies_flatten_into_one_readable_line() {
    let jira = json!({ "errorMessages": ["Field 'priority' is required"], "errors": { "duedate": "Invalid date" } });
    let graphql = json!({ "errors": [{ "message": "Could not resolve to a node with the global id of 'x'", "type": "NOT_FOUND" }] });
    let gitlab = json!({ "error": "title is missing" });

    assert_eq!(
        flatten_message(&jira).as_deref(),
        Some("Field 'priority' is required; duedate: Invalid date")
    );
    assert_eq!(
        flatten_message(&graphql).as_deref(),
        Some("Could not resolve to a node with the global id of 'x'")
    );
    assert_eq!(
        flatten_message(&gitlab).as_deref(),
        Some("title is missing")
    );
    assert_eq!(
        flatten_message(&json!({ "errorMessages": [], "errors": {} })),
        None
    );
}

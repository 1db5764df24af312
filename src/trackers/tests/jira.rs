use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::super::{JiraDialect, MutationGate, Status, Tracker, TrackerError, TrackerKind};
use super::schema::{assert_query, assert_request_body};
use super::{bodies, config, loopback, requests, spec};

fn jira(server: &MockServer) -> Tracker {
    let config = config(TrackerKind::Jira, server);
    Tracker::new(&config, &MutationGate::default(), &loopback()).unwrap()
}

fn issue_bean(key: &str, category: &str, status: &str, resolution: Option<&str>) -> Value {
    json!({
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": "10042",
        "key": key,
        "self": format!("https://acme.atlassian.net/rest/api/3/issue/10042"),
        "fields": {
            "summary": "Alert when checkout success rate drops",
            "status": {
                "name": status,
                "id": "10001",
                "statusCategory": { "id": 3, "key": category, "name": status, "colorName": "green" }
            },
            "assignee": { "accountId": "5b10a2844c20165700ede21g", "displayName": "Ada Lovelace", "active": true },
            "duedate": "2025-07-01",
            "updated": "2025-06-02T09:30:00.000+0000",
            "resolution": resolution.map(|name| json!({ "id": "10001", "name": name })),
        }
    })
}

fn transition(id: &str, name: &str, to: &str, category: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "hasScreen": false,
        "isGlobal": true,
        "isInitial": false,
        "isAvailable": true,
        "isConditional": false,
        "isLooped": false,
        "to": {
            "self": "https://acme.atlassian.net/rest/api/3/status/10002",
            "name": to,
            "id": "10002",
            "statusCategory": { "id": 3, "key": category, "colorName": "green", "name": to }
        },
        "fields": {}
    })
}

#[tokio::test]
async fn creating_an_issue_sends_owner_due_date_priority_and_marker_in_the_shape_jira_accepts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .and(header(
            "authorization",
            "Basic Ym90QGV4YW1wbGUuY29tOmppcmEtdG9rZW4=",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "10042",
            "key": "OPS-24",
            "self": "https://acme.atlassian.net/rest/api/3/issue/10042"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let issue = jira(&server).create_issue(&spec()).await.unwrap();

    assert_eq!(issue.key, "OPS-24");
    assert_eq!(issue.id, "10042");
    assert_eq!(issue.url, format!("{}/browse/OPS-24", server.uri()));
    let body = &bodies(&server, "POST", "/rest/api/3/issue").await[0];
    assert_request_body("/rest/api/3/issue", "post", body);
    let fields = &body["fields"];
    assert_eq!(fields["project"], json!({ "key": "OPS" }));
    assert_eq!(fields["issuetype"], json!({ "name": "Task" }));
    assert_eq!(fields["summary"], "Alert when checkout success rate drops");
    assert_eq!(
        fields["assignee"],
        json!({ "accountId": "5b10a2844c20165700ede21g" })
    );
    assert_eq!(fields["duedate"], "2025-07-01");
    assert_eq!(fields["priority"], json!({ "name": "High" }));
    assert_eq!(
        fields["labels"],
        json!([
            "detection",
            "hindsight",
            "hindsight-123456789abc4def8123456789abcdef"
        ])
    );
    let description = &fields["description"];
    assert_eq!(description["type"], "doc");
    assert_eq!(description["version"], 1);
    let link = &description["content"][1]["content"][1];
    assert_eq!(link["text"], "the post-mortem");
    assert_eq!(
        link["marks"][0]["attrs"]["href"],
        "https://hindsight.example.com/pm/1"
    );
    let last = description["content"].as_array().unwrap().last().unwrap();
    assert_eq!(
        last["content"][0]["text"],
        "hindsight:12345678-9abc-4def-8123-456789abcdef"
    );
}

#[tokio::test]
async fn editing_an_issue_writes_fields_and_clears_a_removed_due_date_and_owner() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/rest/api/3/issue/OPS-24"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let mut item = spec();
    item.due_date = None;
    item.assignee = None;
    item.title = "Alert on lack of checkout success".into();

    jira(&server).update_issue("OPS-24", &item).await.unwrap();

    let body = &bodies(&server, "PUT", "/rest/api/3/issue/OPS-24").await[0];
    assert_request_body("/rest/api/3/issue/{issueIdOrKey}", "put", body);
    assert_eq!(
        body["fields"]["summary"],
        "Alert on lack of checkout success"
    );
    assert_eq!(body["fields"]["duedate"], Value::Null);
    assert_eq!(body["fields"]["assignee"], Value::Null);
    assert!(
        body["fields"].get("labels").is_none(),
        "edits leave labels alone"
    );
}

#[tokio::test]
async fn done_takes_the_transition_into_the_done_category_even_when_it_is_called_shipped() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-24"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue_bean(
            "OPS-24",
            "indeterminate",
            "Building",
            None,
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-24/transitions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "expand": "transitions",
            "transitions": [
                transition("11", "Back to backlog", "Backlog", "new"),
                transition("41", "Declined", "Declined", "done"),
                transition("31", "Shipped", "Live", "done"),
            ]
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/OPS-24/transitions"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    jira(&server)
        .set_status("OPS-24", Status::Done)
        .await
        .unwrap();

    let body = &bodies(&server, "POST", "/rest/api/3/issue/OPS-24/transitions").await[0];
    assert_eq!(body, &json!({ "transition": { "id": "31" } }));
    assert_request_body("/rest/api/3/issue/{issueIdOrKey}/transitions", "post", body);
    let listing = &requests(&server, "GET", "/rest/api/3/issue/OPS-24/transitions").await[0];
    assert_query(
        "/rest/api/3/issue/{issueIdOrKey}/transitions",
        "get",
        &listing.url,
    );
}

#[tokio::test]
async fn wont_do_prefers_a_declined_transition_and_otherwise_sets_a_wont_do_resolution() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-7"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(issue_bean("OPS-7", "new", "To Do", None)),
        )
        .mount(&server)
        .await;
    let mut done = transition("31", "Done", "Done", "done");
    done["fields"] = json!({
        "resolution": {
            "required": false,
            "name": "Resolution",
            "key": "resolution",
            "operations": ["set"],
            "schema": { "type": "resolution", "system": "resolution" },
            "allowedValues": [
                { "id": "10000", "name": "Done" },
                { "id": "10001", "name": "Won't Do" }
            ]
        }
    });
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-7/transitions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "transitions": [done] })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/OPS-7/transitions"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;

    jira(&server)
        .set_status("OPS-7", Status::WontDo)
        .await
        .unwrap();

    let body = &bodies(&server, "POST", "/rest/api/3/issue/OPS-7/transitions").await[0];
    assert_eq!(
        body,
        &json!({ "transition": { "id": "31" }, "fields": { "resolution": { "name": "Won't Do" } } })
    );
    assert_request_body("/rest/api/3/issue/{issueIdOrKey}/transitions", "post", body);
}

#[tokio::test]
async fn a_workflow_without_a_way_to_done_is_reported_with_the_transitions_it_offers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-7"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(issue_bean("OPS-7", "new", "To Do", None)),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-7/transitions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "transitions": [transition("21", "Start", "Doing", "indeterminate")]
        })))
        .mount(&server)
        .await;

    let error = jira(&server)
        .set_status("OPS-7", Status::Done)
        .await
        .unwrap_err();

    let TrackerError::Setup(message) = error else {
        panic!("expected Setup, got {error:?}")
    };
    assert!(
        message.contains("To Do") && message.contains("Start"),
        "{message}"
    );
}

#[tokio::test]
async fn an_issue_already_done_is_not_transitioned_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue_bean(
            "OPS-9",
            "done",
            "Shipped",
            Some("Done"),
        )))
        .mount(&server)
        .await;

    jira(&server)
        .set_status("OPS-9", Status::Done)
        .await
        .unwrap();

    assert!(
        requests(&server, "GET", "/rest/api/3/issue/OPS-9/transitions")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_rate_limited_create_is_retryable_after_the_retry_after_seconds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "17")
                .insert_header("X-RateLimit-Limit", "100")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", "2099-01-01T00:00Z")
                .set_body_raw("Rate limit exceeded", "text/plain"),
        )
        .mount(&server)
        .await;

    let error = jira(&server).create_issue(&spec()).await.unwrap_err();

    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(17)));
}

#[tokio::test]
async fn a_rate_limit_with_only_a_reset_timestamp_waits_until_that_time() {
    let server = MockServer::start().await;
    let reset = (Utc::now() + chrono::Duration::minutes(10))
        .format("%Y-%m-%dT%H:%MZ")
        .to_string();
    Mock::given(method("PUT"))
        .and(path("/rest/api/3/issue/OPS-24"))
        .respond_with(ResponseTemplate::new(429).insert_header("X-RateLimit-Reset", reset.as_str()))
        .mount(&server)
        .await;

    let error = jira(&server)
        .update_issue("OPS-24", &spec())
        .await
        .unwrap_err();

    let wait = error.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(8 * 60) && wait <= Duration::from_secs(10 * 60),
        "{wait:?}"
    );
}

#[tokio::test]
async fn a_server_error_is_unknown_on_create_and_retryable_on_edit() {
    let server = MockServer::start().await;
    let body = json!({ "errorMessages": ["Internal server error"], "errors": {} });
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(ResponseTemplate::new(500).set_body_json(&body))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/rest/api/3/issue/OPS-24"))
        .respond_with(ResponseTemplate::new(503).set_body_json(&body))
        .mount(&server)
        .await;
    let tracker = jira(&server);

    let create = tracker.create_issue(&spec()).await.unwrap_err();
    let edit = tracker.update_issue("OPS-24", &spec()).await.unwrap_err();

    assert!(matches!(create, TrackerError::Unknown { .. }), "{create:?}");
    assert!(edit.is_retryable(), "{edit:?}");
    assert!(edit.to_string().contains("Internal server error"), "{edit}");
}

#[tokio::test]
async fn a_create_that_times_out_is_unknown_and_its_marker_finds_the_issue() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({ "id": "10042", "key": "OPS-24", "self": "x" }))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/search/jql"))
        .and(body_partial_json(json!({
            "jql": "labels = \"hindsight-123456789abc4def8123456789abcdef\" ORDER BY created ASC"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "isLast": true,
            "issues": [issue_bean("OPS-24", "new", "To Do", None)]
        })))
        .mount(&server)
        .await;
    let mut config = config(TrackerKind::Jira, &server);
    config.request_timeout = Duration::from_millis(300);
    let tracker = Tracker::new(&config, &MutationGate::default(), &loopback()).unwrap();

    let error = tracker.create_issue(&spec()).await.unwrap_err();
    let found = tracker
        .find_by_marker(spec().item_id)
        .await
        .unwrap()
        .unwrap();

    assert!(matches!(error, TrackerError::Unknown { .. }), "{error:?}");
    assert_eq!(found.key, "OPS-24");
    assert_eq!(found.status_category, Status::Open);
    assert_eq!(found.assignee.as_deref(), Some("5b10a2844c20165700ede21g"));
    assert_eq!(found.due_date, chrono::NaiveDate::from_ymd_opt(2025, 7, 1));
    assert_eq!(
        found.updated_at,
        Some(Utc.with_ymd_and_hms(2025, 6, 2, 9, 30, 0).unwrap())
    );
    let search = &bodies(&server, "POST", "/rest/api/3/search/jql").await[0];
    assert_request_body("/rest/api/3/search/jql", "post", search);
}

#[tokio::test]
async fn an_owner_jira_will_not_assign_is_permanent_with_jiras_own_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errorMessages": [],
            "errors": { "assignee": "User '5b10a2844c20165700ede21g' cannot be assigned issues." }
        })))
        .mount(&server)
        .await;

    let error = jira(&server).create_issue(&spec()).await.unwrap_err();

    assert_eq!(
        error,
        TrackerError::Permanent {
            status: 400,
            message: "assignee: User '5b10a2844c20165700ede21g' cannot be assigned issues.".into()
        }
    );
}

#[tokio::test]
async fn an_owner_without_a_jira_account_is_named_before_anything_is_sent() {
    let server = MockServer::start().await;
    let mut item = spec();
    if let Some(owner) = item.assignee.as_mut() {
        owner.jira_account_id = None;
    }

    let error = jira(&server).create_issue(&item).await.unwrap_err();

    assert!(
        matches!(&error, TrackerError::Owner(m) if m.contains("Ada Lovelace")),
        "{error:?}"
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

fn user(account_id: &str, name: &str, email: Option<&str>) -> Value {
    let mut user = json!({
        "self": format!("https://acme.atlassian.net/rest/api/3/user?accountId={account_id}"),
        "accountId": account_id,
        "accountType": "atlassian",
        "displayName": name,
        "active": true,
        "timeZone": "Europe/London",
    });
    if let Some(email) = email {
        user["emailAddress"] = json!(email);
    }
    user
}

#[tokio::test]
async fn an_owner_is_found_by_the_exact_email_among_assignable_users() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/user/assignable/search"))
        .and(query_param("project", "OPS"))
        .and(query_param("query", "ada@example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            user("acc-1", "Ada Lovelace (old)", Some("ada@example.com.au")),
            user("acc-2", "Ada Lovelace", Some("Ada@Example.com")),
        ])))
        .mount(&server)
        .await;

    let account = jira(&server)
        .find_assignable_user_by_email("ada@example.com")
        .await
        .unwrap();

    assert_eq!(account, "acc-2");
    let lookup = &requests(&server, "GET", "/rest/api/3/user/assignable/search").await[0];
    assert_query("/rest/api/3/user/assignable/search", "get", &lookup.url);
}

#[tokio::test]
async fn a_hidden_email_counts_only_when_it_is_the_single_result() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/user/assignable/search"))
        .and(query_param("query", "ada@example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([user(
            "acc-2",
            "Ada Lovelace",
            None
        )])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/user/assignable/search"))
        .and(query_param("query", "sam@example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            user("acc-3", "Sam A", None),
            user("acc-4", "Sam B", None),
        ])))
        .mount(&server)
        .await;
    let tracker = jira(&server);

    let ada = tracker
        .find_assignable_user_by_email("ada@example.com")
        .await
        .unwrap();
    let sam = tracker
        .find_assignable_user_by_email("sam@example.com")
        .await
        .unwrap_err();

    assert_eq!(ada, "acc-2");
    assert!(
        matches!(&sam, TrackerError::Owner(m) if m.contains("sam@example.com")),
        "{sam:?}"
    );
}

#[tokio::test]
async fn reconcile_asks_for_the_keys_and_keeps_only_issues_updated_since() {
    let server = MockServer::start().await;
    let mut old = issue_bean("OPS-2", "new", "To Do", None);
    old["fields"]["updated"] = json!("2020-01-01T00:00:00.000+0000");
    Mock::given(method("POST"))
        .and(path("/rest/api/3/search/jql"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "isLast": true,
            "issues": [issue_bean("OPS-24", "done", "Shipped", Some("Won't Do")), old]
        })))
        .mount(&server)
        .await;
    let since = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();

    let issues = jira(&server)
        .list_updated_since(since, &["OPS-24".into(), "OPS-2".into()])
        .await
        .unwrap();

    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].status_category, Status::WontDo);
    assert_eq!(issues[0].status_name.as_deref(), Some("Shipped"));
    let search = &bodies(&server, "POST", "/rest/api/3/search/jql").await[0];
    assert_request_body("/rest/api/3/search/jql", "post", search);
    let jql = search["jql"].as_str().unwrap();
    assert!(
        jql.starts_with("key in (\"OPS-24\", \"OPS-2\") AND updated >= \"-"),
        "{jql}"
    );
}

#[tokio::test]
async fn data_center_uses_rest_v2_plain_text_and_user_names() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/2/issue"))
        .and(header("authorization", "Bearer dc-pat"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "10042", "key": "OPS-24", "self": "https://jira.example.com/rest/api/2/issue/10042"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = config(TrackerKind::Jira, &server);
    config.jira_dialect = JiraDialect::DataCenter;
    config.credentials = super::super::Credentials::Bearer {
        token: "dc-pat".into(),
    };
    let tracker = Tracker::new(&config, &MutationGate::default(), &loopback()).unwrap();

    tracker.create_issue(&spec()).await.unwrap();

    let body = &bodies(&server, "POST", "/rest/api/2/issue").await[0];
    assert_eq!(body["fields"]["assignee"], json!({ "name": "ada" }));
    let description = body["fields"]["description"].as_str().unwrap();
    assert!(description.starts_with("Add an alert on lack of success."));
    assert!(description.ends_with("hindsight:12345678-9abc-4def-8123-456789abcdef"));
}

#[tokio::test]
async fn reconcile_drops_a_key_jira_no_longer_knows_and_asks_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/search/jql"))
        .and(body_partial_json(json!({ "jql": "key in (\"OPS-24\", \"OPS-9\") AND updated >= \"-1m\" ORDER BY updated ASC" })))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errorMessages": ["An issue with key 'OPS-9' does not exist for field 'key'."],
            "errors": {}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/search/jql"))
        .and(body_partial_json(
            json!({ "jql": "key in (\"OPS-24\") AND updated >= \"-1m\" ORDER BY updated ASC" }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "isLast": true,
            "issues": [issue_bean("OPS-24", "new", "To Do", None)]
        })))
        .mount(&server)
        .await;

    let issues = jira(&server)
        .list_updated_since(Utc::now(), &["OPS-24".into(), "OPS-9".into()])
        .await
        .unwrap();

    assert_eq!(issues.len(), 0, "OPS-24 was last updated before `since`");
    assert_eq!(
        requests(&server, "POST", "/rest/api/3/search/jql")
            .await
            .len(),
        2
    );
}

/// Jira Cloud's answer to a summary over 255 characters or with a line break.
fn summary_refused() -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({
        "errorMessages": [],
        "errors": { "summary": "Summary must be less than 255 characters." }
    }))
}

#[tokio::test]
async fn a_long_title_on_two_lines_goes_to_jira_as_one_line_of_255_with_the_whole_title_in_the_description()
 {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(|req: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let summary = body["fields"]["summary"].as_str().unwrap_or_default();
            if super::refused(summary, 255, true) {
                return summary_refused();
            }
            ResponseTemplate::new(201).set_body_json(json!({
                "id": "10042", "key": "OPS-24",
                "self": "https://acme.atlassian.net/rest/api/3/issue/10042"
            }))
        })
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/rest/api/3/issue/OPS-24"))
        .respond_with(|req: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let summary = body["fields"]["summary"].as_str().unwrap_or_default();
            if super::refused(summary, 255, true) {
                return summary_refused();
            }
            ResponseTemplate::new(204)
        })
        .mount(&server)
        .await;
    let mut spec = spec();
    spec.title = super::long_title();

    let tracker = jira(&server);
    let issue = tracker.create_issue(&spec).await.unwrap();
    tracker.update_issue(&issue.key, &spec).await.unwrap();

    for body in bodies(&server, "POST", "/rest/api/3/issue")
        .await
        .iter()
        .chain(&bodies(&server, "PUT", "/rest/api/3/issue/OPS-24").await)
    {
        let summary = body["fields"]["summary"].as_str().unwrap();
        assert_eq!(summary, super::long_title_within(255));
        assert_eq!(summary.chars().count(), 255);
        let first = &body["fields"]["description"]["content"][0]["content"][0]["text"];
        assert_eq!(first, super::full_title_line().as_str(), "{body}");
    }
    assert_request_body(
        "/rest/api/3/issue",
        "post",
        &bodies(&server, "POST", "/rest/api/3/issue").await[0],
    );
}

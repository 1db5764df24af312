//! Action items out to trackers, against mock servers that answer like Jira and
//! GitHub, including their errors, rate limits and slow answers.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{method, path, path_regex},
};

use hindsight::auth::Role;

use crate::{
    github_schema::assert_github_body,
    helpers::{TestApp, id, spawn_app},
    jira_schema::{assert_query, assert_request_body},
};

pub fn jira_issue(key: &str, category: &str, status: &str, updated: &str) -> Value {
    json!({
        "id": "10001", "key": key,
        "self": format!("https://acme.atlassian.net/rest/api/3/issue/{key}"),
        "fields": {
            "summary": "Alert when checkout success rate drops",
            "status": {"name": status, "id": "3", "statusCategory": {"id": 3, "key": category, "name": status}},
            "assignee": {"accountId": "acc-alice", "displayName": "Alice Smith", "active": true},
            "duedate": "2026-12-15",
            "updated": updated,
            "resolution": null
        }
    })
}

/// A Jira Cloud site that creates OPS-1, finds nothing by marker and knows Alice.
pub async fn jira_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/search/jql"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"issues": [], "isLast": true})),
        )
        .with_priority(10)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/user/assignable/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"accountId": "acc-alice", "accountType": "atlassian", "displayName": "Alice Smith",
             "emailAddress": "alice.smith@example.com", "active": true}
        ])))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

pub fn created_issue(key: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({
        "id": "10001", "key": key, "self": format!("https://acme.atlassian.net/rest/api/3/issue/{key}")
    }))
}

pub async fn mount_create(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(response)
        .with_priority(10)
        .mount(server)
        .await;
}

pub async fn jira_tracker(app: &TestApp, server: &MockServer) -> Value {
    app.create(
        "/api/v1/trackers",
        json!({"kind": "jira", "name": "Ops", "base_url": server.uri(), "project_key": "OPS",
               "email": "bot@acme.com", "api_token": "t", "allow_insecure_http": true,
               "api_user": "acc-bot", "is_default": true}),
    )
    .await
}

/// A post-mortem with one action item owned by Alice, due 2026-12-15.
pub async fn owned_item(app: &TestApp, extra: Value) -> Value {
    let alice = app.person("Alice Smith").await;
    let pm = app.simple_postmortem().await;
    let mut body = json!({"title": "Alert when checkout success rate drops", "owner_id": id(&alice),
                          "due_date": "2026-12-15", "priority": "high"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.create(
        &format!("/api/v1/postmortems/{}/action-items", id(&pm)),
        body,
    )
    .await
}

/// Polls the item until the worker has finished with it (synced or failed).
pub async fn settled(app: &TestApp, item: &Value) -> Value {
    for _ in 0..400 {
        let now = app
            .get_json_as(Role::Admin, &format!("/api/v1/action-items/{}", id(item)))
            .await;
        if now["sync_state"] == "synced" || now["sync_state"] == "failed" {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the item never settled");
}

pub async fn received(server: &MockServer, verb: &str, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == p)
        .collect()
}

fn body(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

#[tokio::test]
async fn an_owned_item_with_a_due_date_becomes_a_jira_issue_assigned_to_its_owner() {
    let app = spawn_app().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("OPS-1")).await;
    jira_tracker(&app, &jira).await;
    let item = owned_item(&app, json!({})).await;
    assert_eq!(item["sync_state"], "pending");

    let item = settled(&app, &item).await;
    assert_eq!(item["sync_state"], "synced", "{item}");
    assert_eq!(item["external_key"], "OPS-1");
    assert_eq!(item["external_url"], format!("{}/browse/OPS-1", jira.uri()));
    assert!(item["last_sync_error"].is_null());

    let creates = received(&jira, "POST", "/rest/api/3/issue").await;
    assert_eq!(creates.len(), 1);
    let sent = body(&creates[0]);
    assert_request_body("/rest/api/3/issue", "post", &sent);
    assert_eq!(sent["fields"]["assignee"]["accountId"], "acc-alice");
    assert_eq!(sent["fields"]["duedate"], "2026-12-15");
    assert_eq!(sent["fields"]["priority"]["name"], "High");
    let labels = sent["fields"]["labels"].as_array().unwrap();
    assert!(labels.contains(&json!("hindsight")));
    let marker = format!("hindsight-{}", id(&item).replace('-', ""));
    assert!(labels.contains(&json!(marker)));
    assert!(
        sent["fields"]["description"]
            .to_string()
            .contains("/api/v1/postmortems/")
    );

    let lookup = received(&jira, "GET", "/rest/api/3/user/assignable/search").await;
    assert_query("/rest/api/3/user/assignable/search", "get", &lookup[0].url);
    let alice = app
        .get_json_as(
            hindsight::auth::Role::Admin,
            &format!("/api/v1/people/{}", item["owner_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        alice["jira_account_id"], "acc-alice",
        "the lookup is saved on the person"
    );
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_and_the_issue_created_once() {
    let app = spawn_app().await;
    let jira = jira_server().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"errorMessages": ["Rate limit exceeded."], "errors": {}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&jira)
        .await;
    mount_create(&jira, created_issue("OPS-2")).await;
    jira_tracker(&app, &jira).await;
    let item = owned_item(&app, json!({})).await;

    let item = settled(&app, &item).await;
    assert_eq!(item["sync_state"], "synced", "{item}");
    assert_eq!(item["external_key"], "OPS-2");
    let creates = received(&jira, "POST", "/rest/api/3/issue").await;
    assert_eq!(creates.len(), 2, "one refused, one created");
}

#[tokio::test]
async fn a_500_on_create_is_retried_after_a_marker_search_and_makes_one_issue() {
    let app = spawn_app().await;
    let jira = jira_server().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .respond_with(ResponseTemplate::new(500).set_body_string("Internal server error"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&jira)
        .await;
    mount_create(&jira, created_issue("OPS-3")).await;
    jira_tracker(&app, &jira).await;
    let item = owned_item(&app, json!({})).await;

    let item = settled(&app, &item).await;
    assert_eq!(item["sync_state"], "synced", "{item}");
    assert_eq!(item["external_key"], "OPS-3");
    assert_eq!(received(&jira, "POST", "/rest/api/3/issue").await.len(), 2);
    let searches = received(&jira, "POST", "/rest/api/3/search/jql").await;
    assert_eq!(
        searches.len(),
        1,
        "the marker is looked for before creating again"
    );
    assert_request_body("/rest/api/3/search/jql", "post", &body(&searches[0]));
}

#[tokio::test]
async fn a_create_that_times_out_is_found_by_its_marker_and_never_sent_twice() {
    let app = spawn_app().await;
    let jira = jira_server().await;
    // Jira creates the issue but answers after our timeout.
    mount_create(
        &jira,
        created_issue("OPS-7").set_delay(Duration::from_millis(1500)),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/search/jql"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issues": [jira_issue("OPS-7", "new", "To Do", "2026-11-24T10:00:00.000+0000")],
            "isLast": true
        })))
        .with_priority(1)
        .mount(&jira)
        .await;
    Mock::given(method("PUT"))
        .and(path("/rest/api/3/issue/OPS-7"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&jira)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jira_issue(
            "OPS-7",
            "new",
            "To Do",
            "2026-11-24T10:00:00.000+0000",
        )))
        .mount(&jira)
        .await;
    jira_tracker(&app, &jira).await;
    let item = owned_item(&app, json!({})).await;

    let item = settled(&app, &item).await;
    assert_eq!(item["sync_state"], "synced", "{item}");
    assert_eq!(item["external_key"], "OPS-7");
    assert_eq!(received(&jira, "POST", "/rest/api/3/issue").await.len(), 1);
}

#[tokio::test]
async fn an_unassignable_owner_fails_the_sync_at_once_with_jiras_own_message() {
    let app = spawn_app().await;
    let jira = jira_server().await;
    mount_create(
        &jira,
        ResponseTemplate::new(400).set_body_json(json!({
            "errorMessages": [],
            "errors": {"assignee": "User 'acc-alice' cannot be assigned issues."}
        })),
    )
    .await;
    jira_tracker(&app, &jira).await;
    let item = owned_item(&app, json!({})).await;

    let item = settled(&app, &item).await;
    assert_eq!(item["sync_state"], "failed");
    let error = item["last_sync_error"].as_str().unwrap();
    assert!(
        error.contains("User 'acc-alice' cannot be assigned issues."),
        "{error}"
    );
    assert_eq!(
        received(&jira, "POST", "/rest/api/3/issue").await.len(),
        1,
        "not retried"
    );
}

#[tokio::test]
async fn an_owner_jira_does_not_know_fails_the_sync_naming_them_and_a_manual_sync_retries() {
    let app = spawn_app().await;
    let jira = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/user/assignable/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&jira)
        .await;
    jira_tracker(&app, &jira).await;
    let item = owned_item(&app, json!({})).await;

    let failed = settled(&app, &item).await;
    assert_eq!(failed["sync_state"], "failed");
    let error = failed["last_sync_error"].as_str().unwrap();
    assert!(
        error.contains("Alice Smith") && error.contains("alice.smith@example.com"),
        "{error}"
    );
    // A viewer is told why in hindsight's words, with the owner's pseudonym.
    let seen = app
        .get_json(&format!("/api/v1/action-items/{}", id(&item)))
        .await;
    let reason = seen["last_sync_error"].as_str().unwrap();
    assert!(
        reason.contains("Engineer") && reason.contains("cannot be assigned in the tracker"),
        "{reason}"
    );
    assert!(!reason.to_lowercase().contains("alice"), "{reason}");
    assert!(
        received(&jira, "POST", "/rest/api/3/issue")
            .await
            .is_empty()
    );

    let response = app
        .post(
            &format!("/api/v1/action-items/{}/sync", id(&item)),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);
    let queued: Value = response.json().await.unwrap();
    assert_eq!(queued["sync_state"], "pending");
    assert_eq!(settled(&app, &item).await["sync_state"], "failed");
    let lookups = received(&jira, "GET", "/rest/api/3/user/assignable/search").await;
    assert_eq!(lookups.len(), 2, "the manual sync tried again");
}

#[tokio::test]
async fn done_takes_the_jira_transition_into_the_done_category_even_when_it_is_called_shipped() {
    let app = spawn_app().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("OPS-9")).await;
    Mock::given(method("PUT"))
        .and(path("/rest/api/3/issue/OPS-9"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&jira)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jira_issue(
            "OPS-9",
            "indeterminate",
            "In Review",
            "2026-11-24T10:00:00.000+0000",
        )))
        .mount(&jira)
        .await;
    let to = |id: &str, name: &str, category: &str| {
        json!({"id": id, "name": name, "isAvailable": true, "hasScreen": false, "fields": {},
               "to": {"name": name, "id": "1", "statusCategory": {"id": 3, "key": category, "name": name}}})
    };
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-9/transitions"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"transitions": [
                to("11", "Back to backlog", "new"),
                to("21", "Done-ish review", "indeterminate"),
                to("31", "Shipped", "done"),
            ]})),
        )
        .mount(&jira)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/OPS-9/transitions"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&jira)
        .await;
    jira_tracker(&app, &jira).await;
    let item = owned_item(&app, json!({})).await;
    assert_eq!(settled(&app, &item).await["sync_state"], "synced");

    let response = app
        .patch(
            &format!("/api/v1/action-items/{}", id(&item)),
            &json!({"status": "done", "title": "Alert on checkout success rate"}),
        )
        .await;
    let patched: Value = response.json().await.unwrap();
    assert_eq!(patched["sync_state"], "pending");
    let item = settled(&app, &item).await;
    assert_eq!(item["sync_state"], "synced", "{item}");

    let edits = received(&jira, "PUT", "/rest/api/3/issue/OPS-9").await;
    assert_eq!(edits.len(), 1);
    assert_request_body("/rest/api/3/issue/{issueIdOrKey}", "put", &body(&edits[0]));
    assert_eq!(
        body(&edits[0])["fields"]["summary"],
        "Alert on checkout success rate"
    );
    let moves = received(&jira, "POST", "/rest/api/3/issue/OPS-9/transitions").await;
    assert_eq!(moves.len(), 1);
    assert_request_body(
        "/rest/api/3/issue/{issueIdOrKey}/transitions",
        "post",
        &body(&moves[0]),
    );
    assert_eq!(body(&moves[0])["transition"]["id"], "31");
}

fn github_issue(number: u64, state: &str, reason: Option<&str>) -> Value {
    json!({
        "id": 1000 + number, "node_id": format!("I_kw{number}"), "number": number,
        "html_url": format!("https://github.com/acme/web/issues/{number}"),
        "state": state, "state_reason": reason, "title": "Alert when checkout success rate drops",
        "body": "Due: 2026-12-15", "assignee": {"login": "alice"}, "assignees": [{"login": "alice"}],
        "labels": [{"name": "hindsight"}], "updated_at": "2026-11-24T10:00:00Z"
    })
}

#[tokio::test]
async fn a_github_issue_gets_the_owner_and_due_date_and_wont_do_closes_it_as_not_planned() {
    let app = spawn_app().await;
    let github = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/web/issues"))
        .respond_with(ResponseTemplate::new(201).set_body_json(github_issue(12, "open", None)))
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/web/issues/12"))
        .respond_with(ResponseTemplate::new(200).set_body_json(github_issue(12, "open", None)))
        .mount(&github)
        .await;
    Mock::given(method("PATCH"))
        .and(path_regex("^/repos/acme/web/issues/12$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(github_issue(
            12,
            "closed",
            Some("not_planned"),
        )))
        .mount(&github)
        .await;
    let tracker = app
        .create(
            "/api/v1/trackers",
            json!({"kind": "github", "name": "Web", "base_url": github.uri(), "owner": "acme",
                   "repo": "web", "token": "ghp_test", "allow_insecure_http": true}),
        )
        .await;
    let alice = app
        .create(
            "/api/v1/people",
            json!({"display_name": "Alice Smith", "email": "alice@example.com", "github_login": "alice"}),
        )
        .await;
    let pm = app.simple_postmortem().await;
    let item = app
        .create(
            &format!("/api/v1/postmortems/{}/action-items", id(&pm)),
            json!({"title": "Add a feature flag for the new checkout", "owner_id": id(&alice),
                   "due_date": "2026-12-15", "tracker_id": id(&tracker)}),
        )
        .await;
    let synced = settled(&app, &item).await;
    assert_eq!(synced["sync_state"], "synced", "{synced}");
    assert_eq!(synced["external_key"], "12");
    assert_eq!(
        synced["external_url"],
        "https://github.com/acme/web/issues/12"
    );
    let creates = received(&github, "POST", "/repos/acme/web/issues").await;
    let sent = body(&creates[0]);
    assert_github_body("/repos/{owner}/{repo}/issues", "post", &sent);
    assert_eq!(sent["assignees"], json!(["alice"]));
    assert!(sent["body"].as_str().unwrap().contains("Due: 2026-12-15"));

    app.patch(
        &format!("/api/v1/action-items/{}", id(&item)),
        &json!({"status": "wont_do"}),
    )
    .await;
    assert_eq!(settled(&app, &item).await["sync_state"], "synced");
    let patches = received(&github, "PATCH", "/repos/acme/web/issues/12").await;
    for p in &patches {
        assert_github_body(
            "/repos/{owner}/{repo}/issues/{issue_number}",
            "patch",
            &body(p),
        );
    }
    let close = patches
        .iter()
        .map(body)
        .find(|b| b["state"] == "closed")
        .expect("a close");
    assert_eq!(close["state_reason"], "not_planned");
}

#[tokio::test]
async fn a_tracker_that_keeps_failing_leaves_the_item_failed_after_the_configured_attempts() {
    let app = crate::helpers::spawn_app_with(|s| s.sync.max_attempts = 3).await;
    let jira = jira_server().await;
    mount_create(
        &jira,
        ResponseTemplate::new(503).set_body_json(json!({"errorMessages": ["Service unavailable"]})),
    )
    .await;
    jira_tracker(&app, &jira).await;
    let item = owned_item(&app, json!({})).await;

    let item = settled(&app, &item).await;
    assert_eq!(item["sync_state"], "failed");
    let error = item["last_sync_error"].as_str().unwrap();
    assert!(
        error.contains("gave up after 3 attempts") && error.contains("Service unavailable"),
        "{error}"
    );
    assert_eq!(received(&jira, "POST", "/rest/api/3/issue").await.len(), 3);
}

//! The practice engine through HTTP: review, anonymized views, metrics,
//! publishing with announcements, calendar feeds.

use std::time::Duration;

use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use crate::helpers::{TestApp, assert_problem, id, spawn_app, spawn_app_with};

/// People with names, emails and handles that must not leak to viewers.
pub(crate) async fn cast(app: &TestApp) -> (Value, Value) {
    let alice = app
        .create(
            "/api/v1/people",
            json!({"display_name": "Alice Smith", "email": "alice.smith@example.com", "github_login": "asmith",
                   "team": "payments", "joined_on": "2026-11-17"}),
        )
        .await;
    let bob = app
        .create(
            "/api/v1/people",
            json!({"display_name": "Bob Jones", "email": "bob.jones@example.com", "team": "sre"}),
        )
        .await;
    (alice, bob)
}

fn codes(review: &Value) -> Vec<(String, String)> {
    review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_stored_review_reports_each_finding_with_where_and_why() {
    let app = spawn_app().await;
    let (alice, _) = cast(&app).await;
    let pm = app
        .postmortem(json!({
            "title": "Orders lost", "author_id": id(&alice),
            "impact_started_at": "2026-11-20T10:00:00Z", "detected_at": "2026-11-20T10:30:00Z",
            "acknowledged_at": "2026-11-20T10:10:00Z",
        }))
        .await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    app.create(&format!("{base}/causes"), json!({"area": "prevention", "description": "Alice Smith carelessly ran the migration by hand"}))
        .await;
    app.create(
        &format!("{base}/action-items"),
        json!({"title": "Be more careful when running migrations"}),
    )
    .await;

    let review = app
        .get_json_as(Role::Admin, &format!("{base}/review"))
        .await;
    assert_eq!(review["ready_to_publish"], false);
    let found = codes(&review);
    for (code, path) in [
        ("missing_summary", "/summary"),
        ("empty_timeline", "/timeline"),
        ("phase_order", "/acknowledged_at"),
        ("single_cause_area", "/causes"),
        ("missing_cause_area", "/causes"),
        ("action_item_missing_owner", "/action_items/0/owner_id"),
        ("action_item_missing_due_date", "/action_items/0/due_date"),
        ("no_reviewer", "/participants"),
        ("try_harder_action_item", "/action_items/0/title"),
        ("blame_language", "/causes/0/description"),
    ] {
        assert!(
            found.contains(&(code.to_owned(), path.to_owned())),
            "{code} at {path} missing from {found:?}"
        );
    }
    let missing_areas = found
        .iter()
        .filter(|(c, _)| c == "missing_cause_area")
        .count();
    assert_eq!(missing_areas, 2, "detection and mitigation");
    for finding in review["findings"].as_array().unwrap() {
        assert!(["error", "warning", "info"].contains(&finding["severity"].as_str().unwrap()));
        assert!(!finding["message"].as_str().unwrap().is_empty());
    }
    let try_harder = review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "try_harder_action_item")
        .unwrap();
    assert!(
        try_harder["suggestion"].as_str().unwrap().len() > 20,
        "{try_harder}"
    );
}

#[tokio::test]
async fn a_draft_is_reviewed_without_storing_anything() {
    let app = spawn_app().await;
    let draft = json!({
        "title": "Search was slow", "summary": "Search latency rose for an hour after a cache change.",
        "timeline": [{"occurred_at": "2026-11-20T10:00:00Z", "kind": "deploy.succeeded", "title": "Cache TTL lowered"}],
        "causes": [
            {"area": "prevention", "description": "TTL changes are not load tested"},
            {"area": "prevention", "description": "No canary for config changes"},
            {"area": "detection", "description": "Latency alert only on p50"},
            {"area": "detection", "description": "No synthetic search checks"},
            {"area": "mitigation", "description": "Rollback of config took a redeploy"},
            {"area": "mitigation", "description": "Runbook did not cover the cache"},
        ],
        "action_items": [
            {"title": "Add a p99 latency alert on search", "owner_id": "p1", "due_date": "2026-12-01"},
            {"title": "Always double-check config values before merging", "owner_id": "p1", "due_date": "2026-12-01"},
        ],
        "author_id": "p1",
        "participants": [{"person_id": "p1", "role": "author"}, {"person_id": "p2", "role": "reviewer"}],
    });
    let response = app
        .request(Method::POST, "/api/v1/review", Role::Viewer)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let review: Value = response.json().await.unwrap();
    assert_eq!(
        codes(&review),
        [(
            "try_harder_action_item".to_owned(),
            "/action_items/1/title".to_owned()
        )]
    );
    assert_eq!(review["ready_to_publish"], false);
    assert_eq!(
        app.get_json("/api/v1/postmortems").await["items"],
        json!([])
    );
    let malformed = app
        .request(Method::POST, "/api/v1/review", Role::Viewer)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_problem(malformed, StatusCode::BAD_REQUEST, "malformed_request").await;
}

fn blame_finding<'r>(review: &'r Value, path: &str) -> &'r Value {
    review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "blame_language" && f["path"] == path)
        .unwrap_or_else(|| panic!("no blame_language at {path}: {review}"))
}

#[tokio::test]
async fn blame_of_people_outside_the_directory_is_flagged_with_the_sentence_rewritten() {
    let app = spawn_app().await;
    let draft = json!({
        "title": "Disk full", "summary": "The disk filled up and writes failed for two hours.",
        "causes": [
            {"area": "detection", "description": "Okafor failed to notice the disk alert for two hours"},
            {"area": "prevention", "description": "It was entirely Priya's fault"},
            {"area": "mitigation", "description": "Okafor followed the runbook, which was out of date"},
            {"area": "detection", "description": "The alert failed to fire on the replica"},
        ],
    });
    let review = app
        .request(Method::POST, "/api/v1/review", Role::Viewer)
        .json(&draft)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let noticed = blame_finding(&review, "/causes/0/description");
    assert!(
        noticed["suggestion"]
            .as_str()
            .unwrap()
            .contains("\"The disk alert went unnoticed\""),
        "{noticed}"
    );
    let fault = blame_finding(&review, "/causes/1/description");
    assert!(
        fault["message"].as_str().unwrap().contains("fault"),
        "{fault}"
    );
    let blamed: Vec<(String, String)> = codes(&review)
        .into_iter()
        .filter(|(code, _)| code == "blame_language")
        .collect();
    assert_eq!(
        blamed.len(),
        2,
        "neutral and system sentences stay unflagged: {blamed:?}"
    );
}

#[tokio::test]
async fn a_viewer_reads_blame_of_a_directory_person_without_their_name() {
    let app = spawn_app().await;
    let (alice, _) = cast(&app).await;
    let pm = app
        .postmortem(json!({"title": "Orders lost", "author_id": id(&alice), "anonymized": true}))
        .await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    app.create(
        &format!("{base}/causes"),
        json!({"area": "prevention", "description": "Alice Smith didn't follow the runbook"}),
    )
    .await;
    let admin = app
        .get_json_as(Role::Admin, &format!("{base}/review"))
        .await;
    let viewer = app
        .get_json_as(Role::Viewer, &format!("{base}/review"))
        .await;
    let seen = blame_finding(&viewer, "/causes/0/description");
    assert!(
        seen["suggestion"]
            .as_str()
            .unwrap()
            .contains("\"The runbook was not followed\""),
        "{seen}"
    );
    let shown = seen.to_string().to_lowercase();
    for name in ["alice", "smith", "asmith"] {
        assert!(!shown.contains(name), "{name} shown to a viewer: {seen}");
    }
    let admin_sees = blame_finding(&admin, "/causes/0/description").to_string();
    assert!(admin_sees.contains("Alice Smith"), "{admin_sees}");
}

/// A post-mortem that mentions its people everywhere a name can hide.
pub(crate) async fn named_postmortem(app: &TestApp, alice: &Value, bob: &Value) -> String {
    let pm = app
        .postmortem(json!({
            "title": "Checkout outage handled by Alice Smith",
            "summary": "alice.smith@example.com rolled back; @asmith paged Bob.",
            "services": ["checkout"], "author_id": id(alice),
            "impact_started_at": "2026-11-20T10:00:00Z", "detected_at": "2026-11-20T10:12:00Z",
            "mitigated_at": "2026-11-20T10:40:00Z", "resolved_at": "2026-11-20T11:00:00Z",
        }))
        .await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    app.create(
        &format!("{base}/participants"),
        json!({"person_id": id(bob), "role": "reviewer"}),
    )
    .await;
    app.create(&format!("{base}/timeline"), json!({"occurred_at": "2026-11-20T10:12:00Z", "kind": "detected", "title": "Bob Jones saw the error spike"}))
        .await;
    let cause = app
        .create(
            &format!("{base}/causes"),
            json!({"area": "detection", "description": "Alerting did not page Alice"}),
        )
        .await;
    app.create(
        &format!("{base}/action-items"),
        json!({"title": "Page on checkout success rate (asked by asmith)", "owner_id": id(bob), "due_date": "2026-12-15", "cause_id": id(&cause)}),
    )
    .await;
    base
}

async fn everything_as(app: &TestApp, role: Role, base: &str) -> String {
    let mut all = String::new();
    for path in [
        "",
        "/timeline",
        "/causes",
        "/action-items",
        "/participants",
        "/review",
    ] {
        all.push_str(
            &app.get_json_as(role, &format!("{base}{path}"))
                .await
                .to_string(),
        );
    }
    all.push_str(
        &app.get_json_as(role, "/api/v1/action-items")
            .await
            .to_string(),
    );
    all.push_str(
        &app.get_json_as(role, "/api/v1/postmortems")
            .await
            .to_string(),
    );
    let document = app
        .request(
            Method::GET,
            &format!("{base}/document?format=markdown"),
            role,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(document.status(), StatusCode::OK);
    assert!(
        document.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    all.push_str(&document.text().await.unwrap());
    all
}

pub(crate) const LEAKS: [&str; 7] = [
    "Alice",
    "Smith",
    "alice.smith@example.com",
    "asmith",
    "Bob",
    "Jones",
    "bob.jones@example.com",
];

#[tokio::test]
async fn a_viewer_sees_pseudonyms_everywhere_while_an_admin_sees_names() {
    let app = spawn_app().await;
    let (alice, bob) = cast(&app).await;
    let base = named_postmortem(&app, &alice, &bob).await;

    let viewer = everything_as(&app, Role::Viewer, &base).await;
    for leak in LEAKS {
        assert!(!viewer.contains(leak), "a viewer sees {leak:?} in {viewer}");
    }
    assert!(
        viewer.contains("Engineer A, payments, joined 3 days before"),
        "{viewer}"
    );
    assert!(viewer.contains("Engineer B"), "{viewer}");

    let admin = everything_as(&app, Role::Admin, &base).await;
    for name in [
        "Alice Smith",
        "alice.smith@example.com",
        "asmith",
        "Bob Jones",
    ] {
        assert!(admin.contains(name), "an admin should see {name:?}");
    }

    // Editors see names only once the post-mortem is no longer anonymized.
    let editor = everything_as(&app, Role::Editor, &base).await;
    assert!(!editor.contains("Alice Smith"));
    app.deanonymize(&base).await;
    let editor = everything_as(&app, Role::Editor, &base).await;
    assert!(editor.contains("Alice Smith"));
    let viewer = everything_as(&app, Role::Viewer, &base).await;
    assert!(!viewer.contains("Alice Smith"), "viewers never see names");
}

#[tokio::test]
async fn a_deployment_can_anonymize_for_everyone() {
    let app = spawn_app_with(|s| s.practice.anonymize_all = true).await;
    let (alice, bob) = cast(&app).await;
    let base = named_postmortem(&app, &alice, &bob).await;
    let admin = everything_as(&app, Role::Admin, &base).await;
    for leak in LEAKS {
        assert!(
            !admin.contains(leak),
            "{leak:?} shown despite HINDSIGHT_ANONYMIZE_ALL"
        );
    }
}

#[tokio::test]
async fn metrics_name_the_longest_phase_and_count_causes_and_items_per_area() {
    let app = spawn_app().await;
    let pm = app
        .postmortem(json!({
            "title": "Slow detection",
            "impact_started_at": "2026-11-19T10:00:00Z", "detected_at": "2026-11-20T10:00:00Z",
            "acknowledged_at": "2026-11-20T10:04:00Z", "mitigated_at": "2026-11-20T10:28:00Z",
            "resolved_at": "2026-11-20T12:00:00Z",
        }))
        .await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    for area in ["detection", "detection", "prevention"] {
        app.create(
            &format!("{base}/causes"),
            json!({"area": area, "description": "x"}),
        )
        .await;
    }
    app.create(
        &format!("{base}/action-items"),
        json!({"title": "Alert on missing orders", "area": "detection"}),
    )
    .await;
    let metrics = app.get_json(&format!("{base}/metrics")).await;
    assert_eq!(metrics["time_to_detect"], 86_400);
    assert_eq!(metrics["time_to_acknowledge"], 240);
    assert_eq!(metrics["time_to_mitigate"], 1_440);
    assert_eq!(metrics["time_to_resolve"], 5_520);
    assert_eq!(metrics["longest_phase"], "detect");
    let focus = metrics["focus"].as_str().unwrap();
    assert!(
        focus.contains("detect") && focus.contains("lack of success"),
        "{focus}"
    );
    assert_eq!(
        metrics["causes_by_area"],
        json!({"prevention": 1, "detection": 2, "mitigation": 0, "unassigned": 0})
    );
    assert_eq!(metrics["action_items_by_area"]["detection"], 1);
}

/// A post-mortem that passes review once `fix` has run.
async fn reviewable(app: &TestApp) -> (String, Value, Value) {
    let (alice, bob) = cast(app).await;
    let pm = app
        .postmortem(json!({
            "title": "Checkout outage", "summary": "Card payments failed for 40 minutes after a migration.",
            "services": ["checkout"], "author_id": id(&alice), "status": "in_review",
            "impact_started_at": "2026-11-20T10:00:00Z", "detected_at": "2026-11-20T10:12:00Z",
            "acknowledged_at": "2026-11-20T10:15:00Z", "mitigated_at": "2026-11-20T10:40:00Z",
            "resolved_at": "2026-11-20T11:00:00Z",
        }))
        .await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    app.create(&format!("{base}/timeline"), json!({"occurred_at": "2026-11-20T10:12:00Z", "kind": "detected", "title": "Error rate alert"}))
        .await;
    for (area, text) in [
        ("prevention", "Migration locked the orders table"),
        ("prevention", "No lock-time check in CI"),
        ("detection", "No success-rate alert"),
        ("detection", "Dashboards showed averages only"),
        ("mitigation", "Rollback needed a manual step"),
        ("mitigation", "Runbook was out of date"),
    ] {
        app.create(
            &format!("{base}/causes"),
            json!({"area": area, "description": text}),
        )
        .await;
    }
    app.create(
        &format!("{base}/action-items"),
        json!({"title": "Add a CI check that rejects migrations taking table locks", "owner_id": id(&bob), "due_date": "2026-12-15"}),
    )
    .await;
    (base, alice, bob)
}

#[tokio::test]
async fn publishing_is_refused_while_errors_remain_and_accepted_once_fixed() {
    let app = spawn_app().await;
    let (base, _, bob) = reviewable(&app).await;
    let refused = app
        .request(Method::POST, &format!("{base}/publish"), Role::Editor)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(refused, StatusCode::CONFLICT, "review_blocked").await;
    let blocking: Vec<&str> = problem["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(blocking, ["no_reviewer"]);
    assert_eq!(app.get_json(&base).await["status"], "in_review");

    app.create(
        &format!("{base}/participants"),
        json!({"person_id": id(&bob), "role": "reviewer"}),
    )
    .await;
    let accepted = app
        .request(Method::POST, &format!("{base}/publish"), Role::Editor)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
    let published: Value = accepted.json().await.unwrap();
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string());
    let again = app
        .request(Method::POST, &format!("{base}/publish"), Role::Editor)
        .send()
        .await
        .unwrap();
    assert_problem(again, StatusCode::CONFLICT, "already_published").await;
}

#[tokio::test]
async fn drafts_cannot_be_published_and_only_admins_may_override_with_a_reason() {
    let app = spawn_app().await;
    let draft = app.postmortem(json!({"title": "Draft"})).await;
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/postmortems/{}/publish", id(&draft)),
            Role::Editor,
        )
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::CONFLICT, "not_in_review").await;

    let (base, _, _) = reviewable(&app).await;
    let body = json!({"override_reason": "Regulator deadline; reviewer signs off on Monday"});
    let editor = app
        .request(Method::POST, &format!("{base}/publish"), Role::Editor)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(editor, StatusCode::FORBIDDEN, "forbidden").await;
    let admin = app
        .request(Method::POST, &format!("{base}/publish"), Role::Admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), StatusCode::OK);
    let id_ = base.rsplit('/').next().unwrap();
    let pm = hindsight::services::postmortems::get_record(&app.state.db, id_.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        pm.publish_override_reason.as_deref(),
        Some("Regulator deadline; reviewer signs off on Monday")
    );
    assert_eq!(pm.published_by.as_deref(), Some("tester@example.com"));
}

#[tokio::test]
async fn publishing_announces_to_slack_and_retries_a_failing_webhook() {
    let slack = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/services/T000/B000/XXXX"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .mount(&slack)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/services/T000/B000/XXXX"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&slack)
        .await;
    let url = format!("{}/services/T000/B000/XXXX", slack.uri());
    let app = spawn_app_with(move |s| {
        s.practice.slack_webhook_urls = vec![url];
        s.practice.notify_retry_base = Duration::from_millis(20);
    })
    .await;
    let (base, _, bob) = reviewable(&app).await;
    app.create(
        &format!("{base}/participants"),
        json!({"person_id": id(&bob), "role": "reviewer"}),
    )
    .await;
    let response = app
        .request(Method::POST, &format!("{base}/publish"), Role::Editor)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "publishing does not wait for Slack"
    );

    let mut received = Vec::new();
    for _ in 0..100 {
        received = slack.received_requests().await.unwrap();
        if received.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        received.len(),
        3,
        "two failures, then delivered, then nothing more"
    );
    let message: Value = serde_json::from_slice(&received[2].body).unwrap();
    let text = message["text"].as_str().unwrap();
    assert!(
        text.contains("Checkout outage") && text.contains("Card payments failed"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{base}/document?format=markdown")),
        "{text}"
    );
    assert!(
        !text.contains("Alice") && !text.contains("Bob"),
        "anonymized by default: {text}"
    );
}

#[tokio::test]
async fn the_calendar_feed_is_valid_icalendar_and_expands_recurring_checks() {
    let app = spawn_app().await;
    let (alice, bob) = cast(&app).await;
    let pm = app.simple_postmortem().await;
    let items = format!("/api/v1/postmortems/{}/action-items", id(&pm));
    app.create(&items, json!({"title": "Rotate the TLS certificates", "owner_id": id(&alice), "due_date": "2026-12-15", "recurrence": "FREQ=MONTHLY;INTERVAL=3;COUNT=4"}))
        .await;
    app.create(&items, json!({"title": "Add a checkout success-rate alert", "owner_id": id(&alice), "due_date": "2026-12-01"})).await;
    app.create(
        &items,
        json!({"title": "Bob's item", "owner_id": id(&bob), "due_date": "2026-12-02"}),
    )
    .await;
    let bad = app
        .post(
            &items,
            &json!({"title": "x", "due_date": "2026-12-01", "recurrence": "FREQ=HOURLY"}),
        )
        .await;
    assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let token: Value = app
        .create(
            &format!("/api/v1/people/{}/calendar-token", id(&alice)),
            json!({}),
        )
        .await;
    let feed_url = token["feed_url"].as_str().unwrap();
    let path = &feed_url[feed_url.find("/api/").unwrap()..];
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let body = response.text().await.unwrap();

    let calendar: icalendar::Calendar = body.parse().unwrap();
    let events: Vec<&icalendar::Event> = calendar
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .collect();
    assert_eq!(events.len(), 2, "Alice's two items, not Bob's");
    use icalendar::Component as _;
    let recurring = events
        .iter()
        .find(|e| e.property_value("RRULE").is_some())
        .unwrap();
    let rule = format!(
        "DTSTART;VALUE=DATE:20261215\nRRULE:{}",
        recurring.property_value("RRULE").unwrap()
    );
    let set: rrule::RRuleSet = rule.parse().unwrap();
    let dates: Vec<String> = set
        .all(10)
        .dates
        .iter()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect();
    assert_eq!(
        dates,
        ["2026-12-15", "2027-03-15", "2027-06-15", "2027-09-15"]
    );

    let revoke = app
        .delete(&format!("/api/v1/people/{}/calendar-token", id(&alice)))
        .await;
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    let revoked = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    assert_problem(revoked, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

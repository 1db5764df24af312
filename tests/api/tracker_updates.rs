//! Changes coming back from trackers, the reconcile, and workers that race or die.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hindsight::{
    services::sync::SyncWorker,
    services::{
        outbox,
        tracker_updates::{self, Applied, TrackerUpdate},
    },
    trackers::{MutationGate, Status, TrackerKind},
};
use serde_json::{Value, json};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

use crate::{
    helpers::{TestApp, id, spawn_app, spawn_app_with},
    tracker_sync::{
        created_issue, jira_issue, jira_server, jira_tracker, mount_create, owned_item, received,
        settled,
    },
};

fn jira_change(key: &str, status: Status, at: DateTime<Utc>, by: &str) -> TrackerUpdate {
    TrackerUpdate {
        kind: TrackerKind::Jira,
        repo: None,
        issue_key: key.into(),
        status: Some(status),
        assignee: None,
        due_date: None,
        updated_at: at,
        changed_by: Some(by.into()),
        deleted: false,
    }
}

async fn item(app: &TestApp, item: &Value) -> Value {
    app.get_json(&format!("/api/v1/action-items/{}", id(item)))
        .await
}

/// An app with a Jira tracker and one item synced to it as OPS-1.
async fn synced_jira_item() -> (TestApp, wiremock::MockServer, Value) {
    let app = spawn_app().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("OPS-1")).await;
    jira_tracker(&app, &jira).await;
    let created = owned_item(&app, json!({})).await;
    let synced = settled(&app, &created).await;
    assert_eq!(synced["sync_state"], "synced");
    (app, jira, synced)
}

#[tokio::test]
async fn a_jira_change_closing_the_issue_marks_the_item_done_without_echoing_it_back() {
    let (app, jira, synced) = synced_jira_item().await;
    let change = jira_change("OPS-1", Status::Done, Utc::now(), "acc-alice");
    let applied = tracker_updates::apply(&app.state.db, &change, &sync())
        .await
        .unwrap();
    assert!(matches!(applied, Applied::Changed(_)), "{applied:?}");

    let now = item(&app, &synced).await;
    assert_eq!(now["status"], "done");
    assert!(now["completed_at"].is_string());
    assert_eq!(now["sync_state"], "synced", "nothing queued back out");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        received(&jira, "PUT", "/rest/api/3/issue/OPS-1")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn our_own_writes_and_stale_deliveries_change_nothing() {
    let (app, _jira, synced) = synced_jira_item().await;
    let db = &app.state.db;
    let by_us = jira_change("OPS-1", Status::Done, Utc::now(), "acc-bot");
    assert_eq!(
        tracker_updates::apply(db, &by_us, &sync()).await.unwrap(),
        Applied::Echo
    );
    let what_we_wrote = jira_change("OPS-1", Status::Open, Utc::now(), "acc-alice");
    assert_eq!(
        tracker_updates::apply(db, &what_we_wrote, &sync())
            .await
            .unwrap(),
        Applied::Echo
    );
    let old = jira_change(
        "OPS-1",
        Status::Done,
        Utc::now() - chrono::Duration::hours(1),
        "acc-alice",
    );
    assert_eq!(
        tracker_updates::apply(db, &old, &sync()).await.unwrap(),
        Applied::Stale
    );
    let unknown = jira_change("OPS-404", Status::Done, Utc::now(), "acc-alice");
    assert_eq!(
        tracker_updates::apply(db, &unknown, &sync()).await.unwrap(),
        Applied::UnknownIssue
    );
    assert_eq!(item(&app, &synced).await["status"], "open");
}

#[tokio::test]
async fn a_github_issue_closed_as_not_planned_marks_the_item_wont_do() {
    let app = spawn_app().await;
    let github = wiremock::MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/web/issues"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": 1042, "node_id": "I_kw42", "number": 42,
            "html_url": "https://github.com/acme/web/issues/42", "state": "open",
            "state_reason": null, "assignees": [], "assignee": null, "body": "",
            "updated_at": "2026-11-24T10:00:00Z"
        })))
        .mount(&github)
        .await;
    app.create(
        "/api/v1/trackers",
        json!({"kind": "github", "name": "Web", "base_url": github.uri(), "owner": "acme",
               "repo": "web", "token": "ghp_test", "allow_insecure_http": true, "is_default": true}),
    )
    .await;
    let pm = app.simple_postmortem().await;
    let created = app
        .create(
            &format!("/api/v1/postmortems/{}/action-items", id(&pm)),
            json!({"title": "Run a failover drill every quarter", "status": "in_progress"}),
        )
        .await;
    assert_eq!(settled(&app, &created).await["external_key"], "42");

    // GitHub has no "in progress": an open issue does not reopen the item.
    let still_open = TrackerUpdate {
        kind: TrackerKind::Github,
        repo: Some("acme/web".into()),
        issue_key: "42".into(),
        status: Some(Status::Open),
        assignee: None,
        due_date: None,
        updated_at: Utc::now(),
        changed_by: Some("bob".into()),
        deleted: false,
    };
    assert_eq!(
        tracker_updates::apply(&app.state.db, &still_open, &sync())
            .await
            .unwrap(),
        Applied::Echo
    );
    assert_eq!(item(&app, &created).await["status"], "in_progress");

    let closed = TrackerUpdate {
        kind: TrackerKind::Github,
        repo: Some("Acme/Web".into()),
        issue_key: "42".into(),
        status: Some(Status::WontDo),
        assignee: None,
        due_date: None,
        updated_at: Utc::now(),
        changed_by: Some("bob".into()),
        deleted: false,
    };
    let applied = tracker_updates::apply(&app.state.db, &closed, &sync())
        .await
        .unwrap();
    assert!(matches!(applied, Applied::Changed(_)));
    assert_eq!(item(&app, &created).await["status"], "wont_do");

    let other_repo = TrackerUpdate {
        repo: Some("acme/api".into()),
        ..closed
    };
    assert_eq!(
        tracker_updates::apply(&app.state.db, &other_repo, &sync())
            .await
            .unwrap(),
        Applied::UnknownIssue
    );
}

#[tokio::test]
async fn the_reconcile_catches_a_change_whose_webhook_never_came() {
    let (app, jira, synced) = synced_jira_item().await;
    let updated = (Utc::now() + chrono::Duration::seconds(1))
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string();
    Mock::given(method("POST"))
        .and(path("/rest/api/3/search/jql"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issues": [jira_issue("OPS-1", "done", "Shipped", &updated)], "isLast": true
        })))
        .with_priority(1)
        .mount(&jira)
        .await;
    let worker = SyncWorker::new(
        app.state.db.clone(),
        app.settings.clone(),
        MutationGate::default(),
        app.state.public_url.clone(),
        app.state.http.clone(),
    );
    assert_eq!(worker.reconcile_once().await.unwrap(), 1);
    assert_eq!(item(&app, &synced).await["status"], "done");
    assert_eq!(
        worker.reconcile_once().await.unwrap(),
        0,
        "a second pass changes nothing"
    );
}

/// An app whose own worker sleeps, so that the test drives workers by hand.
async fn app_without_worker() -> TestApp {
    spawn_app_with(|s| s.sync.poll_interval = Duration::from_secs(3600)).await
}

#[tokio::test]
async fn two_workers_racing_never_send_the_same_change_twice() {
    let app = app_without_worker().await;
    let jira = jira_server().await;
    mount_create(
        &jira,
        created_issue("OPS-5").set_delay(Duration::from_millis(50)),
    )
    .await;
    jira_tracker(&app, &jira).await;
    let pm = app.simple_postmortem().await;
    let mut items = Vec::new();
    for n in 0..12 {
        items.push(
            app.create(
                &format!("/api/v1/postmortems/{}/action-items", id(&pm)),
                json!({"title": format!("Add a test fixture for case {n}")}),
            )
            .await,
        );
    }
    let worker = || {
        let mut settings = app.settings.clone();
        settings.sync.batch_size = 5;
        SyncWorker::new(
            app.state.db.clone(),
            settings,
            MutationGate::default(),
            app.state.public_url.clone(),
            app.state.http.clone(),
        )
    };
    let (a, b) = (worker(), worker());
    let drain = |w: SyncWorker| async move { while w.run_once().await.unwrap() > 0 {} };
    tokio::join!(drain(a), drain(b));

    assert_eq!(received(&jira, "POST", "/rest/api/3/issue").await.len(), 12);
    for created in &items {
        assert_eq!(item(&app, created).await["sync_state"], "synced");
    }
}

#[tokio::test]
async fn a_worker_killed_mid_flight_leaves_its_rows_to_another_once_the_lease_runs_out() {
    let app = app_without_worker().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("OPS-6")).await;
    jira_tracker(&app, &jira).await;
    let created = owned_item(&app, json!({})).await;

    // The first worker claims the row and dies before it calls Jira.
    let lease = Duration::from_millis(300);
    let claimed = outbox::claim(&app.state.db, "dead-worker", lease, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let survivor = SyncWorker::new(
        app.state.db.clone(),
        app.settings.clone(),
        MutationGate::default(),
        app.state.public_url.clone(),
        app.state.http.clone(),
    );
    assert_eq!(
        survivor.run_once().await.unwrap(),
        0,
        "the lease still holds"
    );

    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    assert_eq!(survivor.run_once().await.unwrap(), 1);
    let now = item(&app, &created).await;
    assert_eq!(now["sync_state"], "synced");
    assert_eq!(now["external_key"], "OPS-6");
    assert_eq!(received(&jira, "POST", "/rest/api/3/issue").await.len(), 1);
}

#[tokio::test]
async fn changes_made_while_a_sync_waits_coalesce_and_the_last_write_wins() {
    let app = app_without_worker().await;
    let jira = jira_server().await;
    mount_create(&jira, created_issue("OPS-8")).await;
    jira_tracker(&app, &jira).await;
    let created = owned_item(&app, json!({})).await;
    for title in [
        "Alert on checkout errors",
        "Alert on lack of successful checkouts",
    ] {
        app.patch(
            &format!("/api/v1/action-items/{}", id(&created)),
            &json!({ "title": title }),
        )
        .await;
    }
    let worker = SyncWorker::new(
        app.state.db.clone(),
        app.settings.clone(),
        MutationGate::default(),
        app.state.public_url.clone(),
        app.state.http.clone(),
    );
    assert_eq!(worker.run_once().await.unwrap(), 1, "one row for the item");
    assert_eq!(worker.run_once().await.unwrap(), 0);

    let creates = received(&jira, "POST", "/rest/api/3/issue").await;
    assert_eq!(creates.len(), 1);
    let sent: Value = serde_json::from_slice(&creates[0].body).unwrap();
    assert_eq!(
        sent["fields"]["summary"],
        "Alert on lack of successful checkouts"
    );
    assert_eq!(item(&app, &created).await["sync_state"], "synced");
}

/// Who the audit log says applied a tracker's change in these tests.
fn sync() -> hindsight::services::audit::Actor {
    hindsight::services::audit::Actor::system("tracker-sync")
}

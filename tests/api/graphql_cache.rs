//! A query asked again is answered from memory for as long as the database
//! has not changed, whoever changed it; never across callers, never for
//! mutations or answers with errors.

use std::time::Duration;

use entity::postmortem;
use hindsight::{auth::Role, config::Settings};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, id, spawn_app_with};

const QUERY: &str = "query($id: UUID!) { postmortem(id: $id) {
    title timeline { title } actionItems { title owner { displayName } } } }";

/// No background worker touching the database while statements are counted.
async fn quiet_app(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(|s| {
        s.sync.poll_interval = Duration::from_secs(3600);
        configure(s);
    })
    .await
}

/// The answer and the SQL statements it cost.
async fn ask(app: &TestApp, role: Role, query: &str, variables: &Value) -> (u64, Value) {
    let before = app.state.metrics.db_statements();
    let body = app.graphql(role, query, variables.clone()).await;
    (app.state.metrics.db_statements() - before, body)
}

async fn from_memory(app: &TestApp) -> u64 {
    let text = app.metrics_text().await;
    let line = text
        .lines()
        .find(|l| l.starts_with("hindsight_graphql_answers_from_memory_total "))
        .expect("the counter is exposed");
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

async fn incident(app: &TestApp, anonymized: bool) -> Value {
    let alice = app.person("Alice Smith").await;
    let pm = app
        .postmortem(json!({
            "title": "Checkout returned 500s", "author_id": id(&alice),
            "anonymized": anonymized,
        }))
        .await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    app.create(
        &format!("{base}/timeline"),
        json!({"occurred_at": "2026-11-20T10:12:00Z", "kind": "detected", "title": "Alice Smith paged"}),
    )
    .await;
    app.create(
        &format!("{base}/action-items"),
        json!({"title": "Alert on checkout success rate", "owner_id": id(&alice)}),
    )
    .await;
    pm
}

#[tokio::test]
async fn a_repeated_query_is_answered_from_memory_until_anything_is_written() {
    let app = quiet_app(|_| {}).await;
    let pm = incident(&app, false).await;
    let vars = json!({"id": pm["id"]});

    let (first, answer) = ask(&app, Role::Editor, QUERY, &vars).await;
    assert!(answer.get("errors").is_none(), "{answer}");
    assert_eq!(
        answer["data"]["postmortem"]["title"],
        "Checkout returned 500s"
    );
    let (second, again) = ask(&app, Role::Editor, QUERY, &vars).await;
    assert_eq!(again, answer);
    assert_eq!(
        second,
        first + 1,
        "the second request reads the version too"
    );
    let (third, kept) = ask(&app, Role::Editor, QUERY, &vars).await;
    assert_eq!(kept, answer);
    assert_eq!(third, 1, "from memory: only the version is read");
    assert_eq!(from_memory(&app).await, 1);

    // A write through the API shows at once.
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    let response = app
        .patch(&base, &json!({"title": "Checkout returned 502s"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (cost, changed) = ask(&app, Role::Editor, QUERY, &vars).await;
    assert_eq!(
        changed["data"]["postmortem"]["title"],
        "Checkout returned 502s"
    );
    assert!(cost > 1, "worked out again after a write");

    // So does a change to a child row.
    app.create(
        &format!("{base}/timeline"),
        json!({"occurred_at": "2026-11-20T10:20:00Z", "kind": "note", "title": "Rolled back"}),
    )
    .await;
    let (_, changed) = ask(&app, Role::Editor, QUERY, &vars).await;
    let timeline = changed["data"]["postmortem"]["timeline"]
        .as_array()
        .unwrap();
    assert_eq!(timeline.len(), 2);

    // And a write this process never saw: another replica, or psql.
    let (_, _) = ask(&app, Role::Editor, QUERY, &vars).await;
    let (cost, _) = ask(&app, Role::Editor, QUERY, &vars).await;
    assert_eq!(cost, 1, "kept again");
    let elsewhere = hindsight::startup::connect(&app.settings.database_url)
        .await
        .unwrap();
    postmortem::Entity::update_many()
        .col_expr(postmortem::Column::Title, Expr::value("Written elsewhere"))
        .filter(postmortem::Column::Id.eq(Uuid::parse_str(id(&pm)).unwrap()))
        .exec(&elsewhere)
        .await
        .unwrap();
    let (cost, changed) = ask(&app, Role::Editor, QUERY, &vars).await;
    assert_eq!(changed["data"]["postmortem"]["title"], "Written elsewhere");
    assert!(cost > 1);
}

#[tokio::test]
async fn answers_are_kept_per_caller_and_never_for_mutations_or_failures() {
    let app = quiet_app(|_| {}).await;
    let pm = incident(&app, true).await;
    let vars = json!({"id": pm["id"]});
    for _ in 0..3 {
        ask(&app, Role::Viewer, QUERY, &vars).await;
    }
    let (cost, viewer) = ask(&app, Role::Viewer, QUERY, &vars).await;
    assert_eq!(cost, 1);
    let owner = &viewer["data"]["postmortem"]["actionItems"][0]["owner"]["displayName"];
    assert!(owner.as_str().unwrap().starts_with("Engineer A"), "{owner}");
    assert_eq!(
        viewer["data"]["postmortem"]["timeline"][0]["title"],
        "Engineer A paged"
    );
    // An admin asking the same gets names, not the viewer's answer.
    let (cost, admin) = ask(&app, Role::Admin, QUERY, &vars).await;
    assert!(cost > 1);
    assert_eq!(
        admin["data"]["postmortem"]["actionItems"][0]["owner"]["displayName"],
        "Alice Smith"
    );

    // Every mutation runs.
    let create = r#"mutation { createPostmortem(input: {title: "Search was slow"}) { id } }"#;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (_, created) = ask(&app, Role::Editor, create, &json!({})).await;
        ids.push(created["data"]["createPostmortem"]["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "{ids:?}");

    // A refused query is never remembered: it never costs a version read.
    let refused = "{ postmortems(first: 1000) { edges { node { id } } } }";
    for _ in 0..3 {
        let (cost, body) = ask(&app, Role::Viewer, refused, &json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "validation_failed");
        assert_eq!(cost, 0);
    }
}

#[tokio::test]
async fn with_no_memory_for_answers_every_request_reads_the_database() {
    let app = quiet_app(|s| s.graphql.cache_bytes = 0).await;
    let pm = incident(&app, false).await;
    let vars = json!({"id": pm["id"]});
    let (first, _) = ask(&app, Role::Editor, QUERY, &vars).await;
    ask(&app, Role::Editor, QUERY, &vars).await;
    let (third, _) = ask(&app, Role::Editor, QUERY, &vars).await;
    assert_eq!(first, third);
    assert!(third > 1);
}

#[tokio::test]
async fn integrations_and_events_which_webhooks_write_are_always_worked_out() {
    let app = quiet_app(|_| {}).await;
    app.integration("pagerduty").await;
    let integrations = "{ integrations { edges { node { name acceptedCount } } } }";
    let events = "{ events(first: 10) { edges { node { title } } } }";
    for _ in 0..3 {
        let data = app.graphql_data(Role::Admin, integrations, json!({})).await;
        assert_eq!(
            data["integrations"]["edges"][0]["node"]["name"],
            "pagerduty hook"
        );
        let data = app.graphql_data(Role::Admin, events, json!({})).await;
        assert_eq!(data["events"]["edges"], json!([]));
    }
    assert_eq!(from_memory(&app).await, 0);
}

#[tokio::test]
async fn requests_arriving_together_after_a_change_share_one_answer() {
    let app = quiet_app(|_| {}).await;
    let pm = incident(&app, false).await;
    let vars = json!({"id": pm["id"]});
    let (worked_out, _) = ask(&app, Role::Editor, QUERY, &vars).await;
    ask(&app, Role::Editor, QUERY, &vars).await;
    let response = app
        .patch(
            &format!("/api/v1/postmortems/{}", id(&pm)),
            &json!({"title": "Checkout returned 502s"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let before = app.state.metrics.db_statements();
    let answers = futures_util::future::join_all(
        (0..8).map(|_| app.graphql(Role::Editor, QUERY, vars.clone())),
    )
    .await;
    let spent = app.state.metrics.db_statements() - before;
    for answer in &answers {
        assert_eq!(
            answer["data"]["postmortem"]["title"],
            "Checkout returned 502s"
        );
    }
    assert_eq!(
        spent,
        8 + worked_out,
        "eight version reads and the answer worked out once"
    );
}

//! What a GraphQL query may cost: a fixed number of SQL statements per page
//! whatever its size, depth and complexity limits checked before anything
//! runs, page sizes, introspection, and the exported schema.

use hindsight::{
    auth::{AuthUser, Role},
    services::{action_items, causes, people, postmortems, session::Session, timeline},
};
use serde_json::{Value, json};

use std::time::Duration;

use hindsight::config::Settings;

use crate::helpers::{TestApp, spawn_app_with};

/// An app whose tracker sync worker stays asleep, so that every statement
/// counted is the query's.
async fn quiet_app(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(|s| {
        s.sync.poll_interval = Duration::from_secs(3600);
        configure(s);
    })
    .await
}

/// `count` post-mortems, each with two timeline entries, two causes and two
/// owned action items, written straight through the service layer (fast).
async fn seed(app: &TestApp, count: usize) {
    let user = AuthUser {
        sub: "test-seed".to_owned(),
        role: Role::Admin,
    };
    let s = &Session::new(app.state.core.clone(), user, None)
        .admin()
        .unwrap();
    let owner = people::create(
        s,
        serde_json::from_value(
            json!({"display_name": "Olu Owner", "email": "olu@example.com", "team": "sre"}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    for n in 0..count {
        let pm = postmortems::create(
            s,
            serde_json::from_value(json!({"title": format!("Incident {n}"), "services": ["checkout"], "author_id": owner.id}))
                .unwrap(),
        )
        .await
        .unwrap();
        let id = pm.record.id;
        for minute in [10, 20] {
            timeline::add_entry(
                s,
                id,
                serde_json::from_value(json!({"occurred_at": format!("2026-11-20T10:{minute}:00Z"), "kind": "note", "title": "step"}))
                    .unwrap(),
            )
            .await
            .unwrap();
        }
        for area in ["detection", "prevention"] {
            causes::create(
                s,
                id,
                serde_json::from_value(json!({"area": area, "description": "why"})).unwrap(),
            )
            .await
            .unwrap();
        }
        for title in ["Add an alert", "Add a lint"] {
            action_items::create(
                s,
                id,
                serde_json::from_value(
                    json!({"title": title, "owner_id": owner.id, "due_date": "2026-12-01"}),
                )
                .unwrap(),
            )
            .await
            .unwrap();
        }
    }
}

const PAGE: &str = r#"
query($first: Int) {
  postmortems(first: $first) {
    edges { node {
      title services
      author { displayName }
      timeline(first: 20) { title }
      causesByArea { detection { description } prevention { description } }
      actionItems(first: 20) { title externalUrl owner { displayName team } }
      participants { role person { displayName } }
    } }
  }
}"#;

/// Statements the app sends while answering one query.
async fn statements_for(app: &TestApp, query: &str, variables: Value) -> (u64, Value) {
    let before = app.state.metrics.db_statements();
    let body = app.graphql(Role::Admin, query, variables).await;
    (app.state.metrics.db_statements() - before, body)
}

#[tokio::test]
async fn a_page_of_100_postmortems_costs_as_many_statements_as_a_page_of_10() {
    let app = quiet_app(|_| {}).await;
    seed(&app, 100).await;
    let (ten, body) = statements_for(&app, PAGE, json!({"first": 10})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let edges = body["data"]["postmortems"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 10);
    assert_eq!(edges[0]["node"]["actionItems"][1]["owner"]["team"], "sre");
    assert_eq!(edges[0]["node"]["timeline"].as_array().unwrap().len(), 2);

    let (hundred, body) = statements_for(&app, PAGE, json!({"first": 100})).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["postmortems"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        100
    );
    assert_eq!(ten, hundred, "statements must not grow with the page");
    assert!(hundred <= 8, "{hundred} statements for one dashboard page");
}

#[tokio::test]
async fn an_over_deep_query_is_refused_before_any_resolver_runs() {
    let app = quiet_app(|s| s.graphql.max_depth = 6).await;
    seed(&app, 1).await;
    let deep = "{ actionItems { edges { node { postmortem { actionItems { postmortem { actionItems { title } } } } } } } }";
    let (statements, body) = statements_for(&app, deep, json!({})).await;
    assert_eq!(statements, 0, "nothing touched the database");
    assert_eq!(body["data"], Value::Null);
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("nested too deep"), "{message}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "query_too_deep");

    let (_, shallow) = statements_for(
        &app,
        "{ actionItems { edges { node { postmortem { title } } } } }",
        json!({}),
    )
    .await;
    assert!(shallow.get("errors").is_none(), "{shallow}");
}

#[tokio::test]
async fn an_over_complex_query_is_refused_and_lists_cost_their_page_size() {
    let app = quiet_app(|s| s.graphql.max_complexity = 5_000).await;
    seed(&app, 1).await;
    // 100 post-mortems x 100 timeline entries x 2 fields is far over 5,000.
    let costly =
        "{ postmortems(first: 100) { edges { node { timeline(first: 100) { id title } } } } }";
    let (statements, body) = statements_for(&app, costly, json!({})).await;
    assert_eq!(statements, 0, "nothing touched the database");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("too complex"), "{message}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "query_too_complex");
    // The same shape with small pages fits.
    let cheap =
        "{ postmortems(first: 10) { edges { node { timeline(first: 10) { id title } } } } }";
    let (_, body) = statements_for(&app, cheap, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn pages_larger_than_the_maximum_are_a_validation_error() {
    let app = quiet_app(|_| {}).await;
    let body = app
        .graphql(
            Role::Viewer,
            "{ postmortems(first: 101) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "validation_failed");
    assert_eq!(
        body["errors"][0]["extensions"]["errors"][0]["field"],
        "first"
    );
    let cursor = app
        .graphql(
            Role::Viewer,
            r#"{ postmortems(after: "not-a-cursor!") { edges { node { id } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        cursor["errors"][0]["extensions"]["errors"][0]["field"],
        "after"
    );
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let query = "{ __schema { queryType { name } } }";
    let open = quiet_app(|_| {}).await;
    let data = open.graphql_data(Role::Viewer, query, json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");

    let closed = quiet_app(|s| s.graphql.introspection = false).await;
    let body = closed.graphql(Role::Viewer, query, json!({})).await;
    assert_eq!(body["data"]["__schema"], Value::Null, "{body}");
}

#[test]
fn schema_graphql_matches_the_schema_the_server_serves() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap();
    assert!(
        committed == hindsight::graphql::sdl(),
        "schema.graphql is stale: run `cargo run -q -- graphql-schema > schema.graphql`"
    );
}

#[tokio::test]
async fn sixteen_thousand_aliased_root_fields_are_refused_before_any_sql() {
    let app = quiet_app(|s| s.body_limit = 2 << 20).await;
    seed(&app, 1).await;
    let aliases: String = (0..16_000)
        .map(|n| format!("p{n}: postmortems(first: 1) {{ edges {{ node {{ id }} }} }} "))
        .collect();
    let query = format!("{{ {aliases} }}");
    assert!(query.len() > 850_000, "the attack is {} bytes", query.len());
    let started = std::time::Instant::now();
    let (statements, body) = statements_for(&app, &query, json!({})).await;
    let took = started.elapsed();
    assert_eq!(statements, 0, "nothing touched the database");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "query_too_large",
        "{body}"
    );
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("bytes"),
        "refused by its length, before the costly parse: {body}"
    );
    // A debug build on a busy machine: still far from the seconds it took.
    assert!(took < Duration::from_secs(3), "refused after {took:?}");

    // Allowed that long, 2,000 aliases are still refused by their count.
    let app = quiet_app(|s| {
        s.body_limit = 2 << 20;
        s.graphql.max_query_bytes = 1 << 20;
    })
    .await;
    let aliases: String = (0..2_000)
        .map(|n| format!("p{n}: postmortems(first: 1) {{ edges {{ node {{ id }} }} }} "))
        .collect();
    let (statements, body) = statements_for(&app, &format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(statements, 0, "nothing touched the database");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "query_too_large",
        "{body}"
    );
}

#[tokio::test]
async fn fields_are_counted_with_fragments_expanded_and_every_list_costs_its_query() {
    let app = quiet_app(|s| s.graphql.max_fields = 40).await;
    seed(&app, 1).await;
    let spread = |n: usize| {
        let uses: String = (0..n).map(|_| "...F ").collect();
        format!(
            "{{ postmortems(first: 1) {{ edges {{ node {{ {uses} }} }} }} }} \
             fragment F on PostMortem {{ id title summary }}"
        )
    };
    // 3 fields + 3 per spread: 12 spreads are 39 fields, 13 are 42.
    let (_, fits) = statements_for(&app, &spread(12), json!({})).await;
    assert!(fits.get("errors").is_none(), "{fits}");
    let (statements, over) = statements_for(&app, &spread(13), json!({})).await;
    assert_eq!(statements, 0);
    assert_eq!(over["errors"][0]["extensions"]["code"], "query_too_large");

    // Aliases are capped on their own, and each list pays its round trip:
    // 40 one-item pages cost more than one page of 40.
    let app = quiet_app(|s| s.graphql.max_complexity = 3_000).await;
    let many: String = (0..40)
        .map(|n| format!("p{n}: postmortems(first: 1) {{ edges {{ node {{ id }} }} }} "))
        .collect();
    let (_, body) = statements_for(&app, &format!("{{ {many} }}"), json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "query_too_complex",
        "{body}"
    );
    let one = "{ postmortems(first: 40) { edges { node { id } } } }";
    let (_, body) = statements_for(&app, one, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let app = quiet_app(|s| s.graphql.max_aliases = 3).await;
    let (_, body) = statements_for(
        &app,
        "{ a: __typename b: __typename c: __typename d: __typename }",
        json!({}),
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "query_too_large");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("aliases"),
        "{body}"
    );
}

#[tokio::test]
async fn a_request_past_its_deadline_is_stopped_with_a_code() {
    // A millisecond: far less than 30 post-mortems with every part take to
    // read and render in a debug build.
    let app = quiet_app(|s| s.graphql.deadline = Duration::from_millis(1)).await;
    seed(&app, 30).await;
    let (_, body) = statements_for(&app, PAGE, json!({"first": 100})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "deadline_exceeded",
        "{body}"
    );
}

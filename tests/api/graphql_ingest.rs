//! `integrations` and `events` over GraphQL: the same data, filters, roles and
//! pages as `/api/v1/integrations` and `/api/v1/events`, and never a secret.

use chrono::{DateTime, Utc};
use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture, signed, spawn_app};

const EVENTS: &str = r#"
query Events($filter: EventFilter, $first: Int, $after: String) {
  events(filter: $filter, first: $first, after: $after) {
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node {
      id integrationId occurredAt kind title service severity link actor
      correlationKey source externalId rawEventType receivedAt timeSource
    } }
  }
}"#;

const INTEGRATIONS: &str = r#"
query Integrations($first: Int, $after: String) {
  integrations(first: $first, after: $after) {
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node {
      id kind name webhookUrl config { serviceField grafanaTimestampHeader }
      acceptedCount duplicateCount rejectedCount lastReceivedAt
      previousSecretValidUntil version createdAt updatedAt
    } }
  }
}"#;

/// The nodes of a connection.
fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// The nodes of `field` read in two pages of `first`, passing the first
/// page's `endCursor` as `after`; the second page must be the last.
async fn two_pages(
    app: &TestApp,
    role: Role,
    query: &str,
    field: &str,
    first: usize,
) -> Vec<Value> {
    let page_one = app.graphql_data(role, query, json!({"first": first})).await;
    let info = &page_one[field]["pageInfo"];
    assert_eq!(
        (&info["hasNextPage"], &info["hasPreviousPage"]),
        (&json!(true), &json!(false))
    );
    let variables = json!({"first": first, "after": info["endCursor"]});
    let page_two = app.graphql_data(role, query, variables).await;
    let info = &page_two[field]["pageInfo"];
    assert_eq!(
        (&info["hasNextPage"], &info["hasPreviousPage"]),
        (&json!(false), &json!(true))
    );
    let mut nodes_read = nodes(&page_one[field]);
    assert_eq!(nodes_read.len(), first);
    nodes_read.extend(nodes(&page_two[field]));
    nodes_read
}

fn ids(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["id"].as_str().unwrap()).collect()
}

async fn graphql_events(app: &TestApp, filter: Value) -> Vec<Value> {
    let data = app
        .graphql_data(Role::Admin, EVENTS, json!({"filter": filter, "first": 100}))
        .await;
    nodes(&data["events"])
}

/// `due_date` -> `dueDate`.
fn camel(field: &str) -> String {
    let mut parts = field.split('_');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// Asserts that a GraphQL object says what a REST one says: every REST field,
/// named the GraphQL way, with the same value (timestamps as the same instant).
fn assert_same(rest: &Value, graphql: &Value) {
    let Value::Object(fields) = rest else {
        let instant = |v: &Value| v.as_str()?.parse::<DateTime<Utc>>().ok();
        match (instant(rest), instant(graphql)) {
            (Some(a), Some(b)) => assert_eq!(a, b),
            _ => assert_eq!(rest, graphql),
        }
        return;
    };
    for (name, value) in fields {
        let name = camel(name);
        let Some(found) = graphql.get(&name) else {
            panic!("GraphQL has no `{name}` in {graphql}");
        };
        assert_same(value, found);
    }
}

#[tokio::test]
async fn events_over_graphql_are_what_rest_lists_for_the_same_deliveries() {
    let app = spawn_app().await;
    app.deliver_incident_and_deploy().await;
    let rest = app.events("").await;
    let graphql = graphql_events(&app, json!(null)).await;
    assert_eq!(rest.len(), 4);
    assert_eq!(ids(&graphql), ids(&rest), "the same events, in time order");
    for (rest, graphql) in rest.iter().zip(&graphql) {
        let mut rest = rest.clone();
        let time_source = rest["time_source"].as_str().unwrap().to_uppercase();
        rest["time_source"] = json!(time_source);
        assert_same(&rest, graphql);
    }
    let triggered = graphql.iter().find(|e| e["kind"] == "alert.triggered");
    let triggered = triggered.unwrap();
    assert_eq!(triggered["title"], "Test Incident 3");
    assert_eq!(triggered["source"], "pagerduty");
    assert_eq!(triggered["correlationKey"], "PFQZPSY");
    assert_eq!(triggered["actor"], "PIG 208", "admins see who acted");
    let viewer = app
        .graphql_data(Role::Viewer, EVENTS, json!({"filter": null, "first": 100}))
        .await;
    let rest_viewer = app.get_json("/api/v1/events?limit=100").await;
    for (graphql, rest) in nodes(&viewer["events"])
        .iter()
        .zip(rest_viewer["items"].as_array().unwrap())
    {
        assert!(
            graphql["actor"].is_null(),
            "an actor can name anyone: {graphql}"
        );
        assert!(rest["actor"].is_null(), "nor over REST: {rest}");
        assert_eq!(graphql["title"], rest["title"]);
    }
}

#[tokio::test]
async fn events_filter_by_service_kind_source_and_time_as_rest_does() {
    let app = spawn_app().await;
    app.deliver_incident_and_deploy().await;
    for (rest_query, filter, expected) in [
        ("source=github", json!({"source": "github"}), 1),
        (
            "service=pig208&kind=alert.resolved",
            json!({"service": "pig208", "kind": "alert.resolved"}),
            1,
        ),
        (
            "from=2021-06-04T13:30:00Z&to=2021-06-04T14:00:00Z",
            json!({"from": "2021-06-04T13:30:00Z", "to": "2021-06-04T14:00:00Z"}),
            2,
        ),
        (
            "service=nothing-here",
            json!({"service": "nothing-here"}),
            0,
        ),
    ] {
        let rest = app.events(rest_query).await;
        let graphql = graphql_events(&app, filter.clone()).await;
        assert_eq!(graphql.len(), expected, "{filter}");
        assert_eq!(ids(&graphql), ids(&rest), "{filter}");
    }
}

#[tokio::test]
async fn events_page_on_with_the_end_cursor_as_after() {
    let app = spawn_app().await;
    app.deliver_incident_and_deploy().await;
    let everything = app.events("").await;
    let paged = two_pages(&app, Role::Viewer, EVENTS, "events", 3).await;
    assert_eq!(
        ids(&paged),
        ids(&everything),
        "every event once, in time order"
    );
}

#[tokio::test]
async fn integrations_over_graphql_are_what_rest_lists_with_their_counts() {
    let app = spawn_app().await;
    let (pagerduty, _github) = app.deliver_incident_and_deploy().await;
    app.create(
        "/api/v1/integrations",
        json!({"kind": "alertmanager", "name": "Alertmanager", "config": {"service_field": "job"}}),
    )
    .await;
    // A repeat and a forgery, counted apart from the three accepted.
    let body = fixture("pagerduty/v3.incident.triggered.json");
    let headers = signed("pagerduty", &pagerduty.secret, &body);
    let repeat = app.deliver_ok(&pagerduty, &headers, &body).await;
    assert_eq!(repeat["duplicate"], true);
    let forged = signed("pagerduty", "not-the-secret-at-all", &body);
    let response = app.deliver(&pagerduty, &forged, &body).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let rest = app.get_json_as_admin("/api/v1/integrations").await;
    let rest = rest["items"].as_array().unwrap();
    let data = app.graphql_data(Role::Admin, INTEGRATIONS, json!({})).await;
    let graphql = nodes(&data["integrations"]);
    assert_eq!(ids(&graphql), ids(rest), "oldest first");
    for (rest, graphql) in rest.iter().zip(&graphql) {
        let mut rest = rest.clone();
        let kind = rest["kind"].as_str().unwrap().to_uppercase();
        rest["kind"] = json!(kind);
        assert_same(&rest, graphql);
        assert_eq!(graphql["version"], 1);
    }
    let counts = &graphql[0];
    assert_eq!(counts["kind"], "PAGERDUTY");
    assert_eq!(
        (
            &counts["acceptedCount"],
            &counts["duplicateCount"],
            &counts["rejectedCount"]
        ),
        (&json!(3), &json!(1), &json!(1))
    );
    assert!(counts["lastReceivedAt"].is_string());
    assert_eq!(
        counts["webhookUrl"],
        format!("{}/webhooks/{}", app.address, pagerduty.id)
    );
    assert_eq!(graphql[2]["config"]["serviceField"], "job");
    assert!(graphql[2]["lastReceivedAt"].is_null());
}

#[tokio::test]
async fn integrations_never_show_a_secret_even_after_a_rotation() {
    let app = spawn_app().await;
    let hook = app.integration("generic").await;
    let rotated = app
        .create_ok(
            &format!("/api/v1/integrations/{}/rotate-secret", hook.id),
            json!(null),
        )
        .await;
    let new_secret = rotated["secret"].as_str().unwrap();
    let answer = app.graphql(Role::Admin, INTEGRATIONS, json!({})).await;
    let text = answer.to_string();
    assert!(!text.contains(&hook.secret) && !text.contains(new_secret));
    let node = &nodes(&answer["data"]["integrations"])[0];
    assert!(
        node["previousSecretValidUntil"].is_string(),
        "the old secret's grace is shown, not the secret: {node}"
    );
    let asked = app
        .graphql(
            Role::Admin,
            "{ integrations { edges { node { secret } } } }",
            json!({}),
        )
        .await;
    assert!(asked["data"].is_null(), "{asked}");
    assert!(
        asked["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Unknown field \"secret\""),
        "{asked}"
    );
}

#[tokio::test]
async fn integrations_page_on_with_the_end_cursor_as_after() {
    let app = spawn_app().await;
    for kind in ["pagerduty", "grafana", "datadog"] {
        app.integration(kind).await;
    }
    let paged = two_pages(&app, Role::Admin, INTEGRATIONS, "integrations", 2).await;
    let names: Vec<&str> = paged.iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["pagerduty hook", "grafana hook", "datadog hook"]);
}

#[tokio::test]
async fn integrations_are_for_admins_and_events_for_every_reader_as_over_rest() {
    let app = spawn_app().await;
    app.deliver_incident_and_deploy().await;
    for role in [Role::Viewer, Role::Editor] {
        let rest = app
            .request(Method::GET, "/api/v1/integrations", role)
            .send()
            .await
            .unwrap();
        assert_eq!(rest.status(), StatusCode::FORBIDDEN);
        let answer = app.graphql(role, INTEGRATIONS, json!({})).await;
        assert!(answer["data"].is_null(), "{answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "forbidden");
        assert_eq!(answer["errors"][0]["path"], json!(["integrations"]));
    }
    for role in [Role::Viewer, Role::Editor, Role::Admin] {
        let data = app.graphql_data(role, EVENTS, json!({})).await;
        assert_eq!(nodes(&data["events"]).len(), 4, "{role:?}");
    }
    let anonymous = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({"query": EVENTS}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

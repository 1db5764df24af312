//! `/graphql`: queries with everything nested, pagination, filters, mutations
//! through the same validation as REST, and the same auth.

use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, id, spawn_app};

const DASHBOARD: &str = r#"
query Dashboard($first: Int, $after: String, $filter: PostMortemFilter) {
  postmortems(first: $first, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id title summary status severity services version
      impactStartedAt detectedAt
      author { displayName }
      timeline { kind title source }
      causesByArea { prevention { description } detection { description } mitigation { description } }
      actionItems { title dueDate status syncState externalUrl overdue owner { displayName team } }
      participants { role person { displayName } }
      metrics { timeToDetect longestPhase causesByArea { detection prevention } }
      review { readyToPublish findings { code severity path } }
    } }
  }
}"#;

async fn recorded_incident(app: &TestApp) -> Value {
    let alice = app.person("Alice Smith").await;
    let bob = app
        .create(
            "/api/v1/people",
            json!({"display_name": "Bob Jones", "email": "bob@example.com", "team": "sre"}),
        )
        .await;
    let pm = app
        .postmortem(json!({
            "title": "Checkout returned 500s",
            "summary": "A migration locked the orders table.",
            "severity": "sev2", "services": ["checkout", "payments"],
            "impact_started_at": "2026-11-20T10:00:00Z", "detected_at": "2026-11-20T10:12:00Z",
            "author_id": id(&alice), "anonymized": false,
        }))
        .await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    app.create(
        &format!("{base}/participants"),
        json!({"person_id": id(&bob), "role": "reviewer"}),
    )
    .await;
    for (at, kind, title) in [
        (
            "2026-11-20T10:12:00Z",
            "detected",
            "Support reported failed payments",
        ),
        (
            "2026-11-20T09:58:00Z",
            "deploy.succeeded",
            "Deployed orders 2.14",
        ),
    ] {
        app.create(
            &format!("{base}/timeline"),
            json!({"occurred_at": at, "kind": kind, "title": title}),
        )
        .await;
    }
    for (area, description) in [
        ("detection", "No alert on checkout success rate"),
        ("prevention", "Migrations are not checked for locks"),
    ] {
        app.create(
            &format!("{base}/causes"),
            json!({"area": area, "description": description}),
        )
        .await;
    }
    app.create(
        &format!("{base}/action-items"),
        json!({"title": "Alert on checkout success rate", "owner_id": id(&bob), "due_date": "2020-01-15"}),
    )
    .await;
    pm
}

#[tokio::test]
async fn one_query_returns_a_page_of_postmortems_with_everything_nested() {
    let app = spawn_app().await;
    let pm = recorded_incident(&app).await;
    let data = app
        .graphql_data(Role::Admin, DASHBOARD, json!({"first": 10}))
        .await;
    let node = &data["postmortems"]["edges"][0]["node"];
    assert_eq!(node["id"], pm["id"]);
    assert_eq!(node["status"], "DRAFT");
    assert_eq!(node["severity"], "SEV2");
    assert_eq!(node["services"], json!(["checkout", "payments"]));
    assert_eq!(node["author"]["displayName"], "Alice Smith");
    let timeline: Vec<&str> = node["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        timeline,
        ["Deployed orders 2.14", "Support reported failed payments"],
        "in the order things happened"
    );
    assert_eq!(node["timeline"][0]["source"], "manual");
    assert_eq!(
        node["causesByArea"]["detection"][0]["description"],
        "No alert on checkout success rate"
    );
    assert_eq!(node["causesByArea"]["mitigation"], json!([]));
    let item = &node["actionItems"][0];
    assert_eq!(item["owner"]["displayName"], "Bob Jones");
    assert_eq!(item["owner"]["team"], "sre");
    assert_eq!(item["dueDate"], "2020-01-15");
    assert_eq!(item["status"], "OPEN");
    assert_eq!(item["syncState"], "NOT_SYNCED");
    assert_eq!(item["overdue"], true);
    let roles: Vec<&str> = node["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["AUTHOR", "REVIEWER"]);
    assert_eq!(node["metrics"]["timeToDetect"], 720);
    assert_eq!(node["metrics"]["longestPhase"], "DETECT");
    assert_eq!(node["metrics"]["causesByArea"]["detection"], 1);
    // The same review REST gives.
    let rest = app
        .get_json(&format!("/api/v1/postmortems/{}/review", id(&pm)))
        .await;
    assert_eq!(node["review"]["readyToPublish"], rest["ready_to_publish"]);
    let codes: Vec<String> = node["review"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_lowercase())
        .collect();
    let rest_codes: Vec<&str> = rest["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, rest_codes);
    assert!(codes.contains(&"missing_cause_area".to_owned()));

    let one = app
        .graphql_data(
            Role::Viewer,
            "query($id: UUID!) { postmortem(id: $id) { title version } }",
            json!({"id": pm["id"]}),
        )
        .await;
    assert_eq!(one["postmortem"]["title"], "Checkout returned 500s");
    let missing = app
        .graphql_data(
            Role::Viewer,
            "query($id: UUID!) { postmortem(id: $id) { title } }",
            json!({"id": "0193a0c0-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_eq!(missing["postmortem"], Value::Null);
}

/// Lists of plain objects are answered without a resolver per field; asking a
/// field twice sends a list through the ordinary resolvers. Both must give the
/// same answer, aliases, fragments and `__typename` included, for every role.
#[tokio::test]
async fn nested_lists_answer_aliases_fragments_and_typename_like_the_ordinary_resolvers() {
    let app = spawn_app().await;
    let pm = recorded_incident(&app).await;
    let query = |twice: &str| {
        format!(
            r#"query($id: UUID!) {{ postmortem(id: $id) {{
              timeline {{ __typename what: title ...Entry ... on TimelineEntry {{ occurredAt }}
                          link @include(if: true) service @skip(if: true) {twice} }}
              actionItems {{ __typename title overdue owner {{ __typename displayName ...Who }} {twice} }}
              participants {{ name role person {{ displayName email }} {twice} }}
              causesByArea {{ detection {{ area description {twice} }} }}
            }} }}
            fragment Entry on TimelineEntry {{ kind source description }}
            fragment Who on Person {{ team email joinedOn }}"#
        )
    };
    for role in [Role::Viewer, Role::Editor, Role::Admin] {
        let vars = json!({"id": pm["id"]});
        let plain = app.graphql_data(role, &query(""), vars.clone()).await;
        let ordinary = app
            .graphql_data(role, &query("__typename __typename"), vars)
            .await;
        let strip = |mut v: Value| {
            let node = &mut v["postmortem"];
            for list in ["timeline", "actionItems", "participants"] {
                for item in node[list].as_array_mut().unwrap() {
                    item.as_object_mut().unwrap().remove("__typename");
                }
            }
            for cause in node["causesByArea"]["detection"].as_array_mut().unwrap() {
                cause.as_object_mut().unwrap().remove("__typename");
            }
            v
        };
        assert_eq!(strip(plain.clone()), strip(ordinary), "{role:?}");
        let node = &plain["postmortem"];
        let entry = &node["timeline"][0];
        assert_eq!(entry["__typename"], "TimelineEntry");
        assert_eq!(entry["what"], "Deployed orders 2.14");
        assert_eq!(entry["kind"], "deploy.succeeded");
        assert_eq!(entry["link"], Value::Null, "asked and included");
        assert!(entry.get("service").is_none(), "skipped");
        assert!(
            entry["occurredAt"]
                .as_str()
                .unwrap()
                .starts_with("2026-11-20T09:58:00")
        );
        let owner = &node["actionItems"][0]["owner"];
        assert_eq!(owner["__typename"], "Person");
        assert_eq!(owner["team"], "sre");
        if role == Role::Viewer {
            assert!(
                owner["displayName"]
                    .as_str()
                    .unwrap()
                    .starts_with("Engineer ")
            );
            assert_eq!(owner["email"], Value::Null);
        } else {
            assert_eq!(owner["displayName"], "Bob Jones");
            assert_eq!(owner["email"], "bob@example.com");
        }
        assert_eq!(node["causesByArea"]["detection"][0]["area"], "DETECTION");
    }
}

#[tokio::test]
async fn postmortems_page_newest_first_across_pages_with_first_and_after() {
    let app = spawn_app().await;
    for n in 1..=5 {
        app.postmortem(json!({"title": format!("Incident {n}")}))
            .await;
    }
    let mut titles = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let data = app
            .graphql_data(Role::Viewer, DASHBOARD, json!({"first": 2, "after": after}))
            .await;
        let connection = &data["postmortems"];
        pages += 1;
        for edge in connection["edges"].as_array().unwrap() {
            titles.push(edge["node"]["title"].as_str().unwrap().to_owned());
        }
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 3);
    assert_eq!(
        titles,
        [
            "Incident 5",
            "Incident 4",
            "Incident 3",
            "Incident 2",
            "Incident 1"
        ]
    );
}

#[tokio::test]
async fn postmortems_filter_by_text_in_title_or_summary_ignoring_case_and_by_fields() {
    let app = spawn_app().await;
    for (title, summary, severity, service, status) in [
        (
            "Checkout 500s",
            "orders table LOCKED",
            "sev2",
            "checkout",
            "draft",
        ),
        ("Login slow", "Redis evictions", "sev3", "auth", "in_review"),
        (
            "Search down",
            "100% of queries failed",
            "sev1",
            "search",
            "draft",
        ),
    ] {
        app.postmortem(json!({"title": title, "summary": summary, "severity": severity, "services": [service], "status": status}))
            .await;
    }
    let titles = |data: Value| -> Vec<String> {
        data["postmortems"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let query =
        "query($f: PostMortemFilter) { postmortems(filter: $f) { edges { node { title } } } }";
    for (filter, expected) in [
        (json!({"text": "locked"}), vec!["Checkout 500s"]),
        (json!({"text": "LOGIN"}), vec!["Login slow"]),
        (json!({"text": "100%"}), vec!["Search down"]),
        (json!({"text": "0%"}), vec!["Search down"]),
        (json!({"text": "_"}), vec![]),
        (json!({"severity": "SEV3"}), vec!["Login slow"]),
        (json!({"service": "checkout"}), vec!["Checkout 500s"]),
        (
            json!({"status": "DRAFT", "text": "s"}),
            vec!["Search down", "Checkout 500s"],
        ),
    ] {
        let data = app
            .graphql_data(Role::Viewer, query, json!({"f": filter}))
            .await;
        assert_eq!(titles(data), expected, "filter {filter}");
    }
}

#[tokio::test]
async fn action_items_filter_by_owner_team_status_overdue_due_date_and_sync_state() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let ann = app.person_in_team("Ann", "sre").await;
    let ben = app.person_in_team("Ben", "web").await;
    let path = format!("/api/v1/postmortems/{}/action-items", id(&pm));
    for (title, owner, due, status) in [
        ("late", &ann, "2020-01-01", "open"),
        ("future", &ann, "2999-01-01", "in_progress"),
        ("finished", &ben, "2020-01-01", "done"),
        ("web late", &ben, "2021-06-01", "open"),
    ] {
        app.create(
            &path,
            json!({"title": title, "owner_id": id(owner), "due_date": due, "status": status}),
        )
        .await;
    }
    let query = "query($f: ActionItemsFilter, $first: Int, $after: String) { actionItems(filter: $f, first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { title postmortem { title } owner { displayName } } } } }";
    let titles = |data: &Value| -> Vec<String> {
        data["actionItems"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
            .collect()
    };
    for (filter, expected) in [
        (json!({"team": "sre"}), vec!["late", "future"]),
        (json!({"overdue": true}), vec!["late", "web late"]),
        (json!({"overdue": true, "team": "web"}), vec!["web late"]),
        (json!({"status": "DONE"}), vec!["finished"]),
        (json!({"dueBefore": "2021-01-01"}), vec!["late", "finished"]),
        (
            json!({"syncState": "NOT_SYNCED", "team": "sre"}),
            vec!["late", "future"],
        ),
        (json!({"syncState": "SYNCED"}), vec![]),
    ] {
        let data = app
            .graphql_data(Role::Viewer, query, json!({"f": filter}))
            .await;
        assert_eq!(titles(&data), expected, "filter {filter}");
    }
    // Owners by id for those who see names; a viewer would learn whose items they are.
    let by_ben = json!({"f": {"ownerId": id(&ben)}});
    let data = app.graphql_data(Role::Admin, query, by_ben.clone()).await;
    assert_eq!(titles(&data), ["finished", "web late"]);
    let data = app.graphql_data(Role::Viewer, query, by_ben).await;
    assert!(titles(&data).is_empty(), "{data}");
    let first = app
        .graphql_data(Role::Viewer, query, json!({"first": 3}))
        .await;
    assert_eq!(titles(&first), ["late", "future", "finished"]);
    assert_eq!(
        first["actionItems"]["edges"][0]["node"]["postmortem"]["title"],
        "Checkout returned 500s"
    );
    let after = first["actionItems"]["pageInfo"]["endCursor"].clone();
    let second = app
        .graphql_data(Role::Viewer, query, json!({"first": 3, "after": after}))
        .await;
    assert_eq!(titles(&second), ["web late"]);
    assert_eq!(second["actionItems"]["pageInfo"]["hasNextPage"], false);
}

fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

#[tokio::test]
async fn mutations_write_through_the_same_validation_and_error_codes_as_rest() {
    let app = spawn_app().await;
    let created = app
        .graphql_data(
            Role::Editor,
            r#"mutation { createPostmortem(input: {title: "Queue backlog", services: ["jobs"], severity: SEV3}) { id title services version status } }"#,
            json!({}),
        )
        .await;
    let pm = &created["createPostmortem"];
    assert_eq!(pm["version"], 1);
    // REST sees what GraphQL wrote.
    let rest = app
        .get_json(&format!(
            "/api/v1/postmortems/{}",
            pm["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest["title"], "Queue backlog");

    let invalid = app
        .graphql(
            Role::Editor,
            r#"mutation { createPostmortem(input: {title: "  ", impactStartedAt: "2026-11-20T10:00:00Z", resolvedAt: "2026-11-20T09:00:00Z"}) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&invalid), "validation_failed");
    let fields: Vec<&str> = invalid["errors"][0]["extensions"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"title"), "{invalid}");
    assert!(fields.contains(&"resolvedAt"), "{invalid}");

    let entry = app
        .graphql(
            Role::Editor,
            r#"mutation($id: UUID!) { addTimelineEntry(postmortemId: $id, input: {occurredAt: "2026-11-20T10:00:00Z", kind: "Deploy Failed!", title: "x"}) { id } }"#,
            json!({"id": pm["id"]}),
        )
        .await;
    assert_eq!(error_code(&entry), "validation_failed");
    assert_eq!(
        entry["errors"][0]["extensions"]["errors"][0]["field"],
        "kind"
    );

    let cause = app
        .graphql_data(
            Role::Editor,
            r#"mutation($id: UUID!) { addCause(postmortemId: $id, input: {area: DETECTION, description: "No alert on queue depth"}) { id area } }"#,
            json!({"id": pm["id"]}),
        )
        .await;
    let item = app
        .graphql_data(
            Role::Editor,
            r#"mutation($id: UUID!, $cause: UUID!) { addActionItem(postmortemId: $id, input: {title: "Alert on queue depth", causeId: $cause, dueDate: "2026-12-01"}) { id area version } }"#,
            json!({"id": pm["id"], "cause": cause["addCause"]["id"]}),
        )
        .await;
    assert_eq!(item["addActionItem"]["area"], "DETECTION");
    let item_id = item["addActionItem"]["id"].clone();

    let update = r#"mutation($id: UUID!, $v: Int) { updateActionItem(id: $id, input: {status: DONE, dueDate: null}, expectedVersion: $v) { status dueDate version completedAt } }"#;
    let done = app
        .graphql_data(Role::Editor, update, json!({"id": item_id, "v": 1}))
        .await;
    assert_eq!(done["updateActionItem"]["status"], "DONE");
    assert_eq!(done["updateActionItem"]["dueDate"], Value::Null);
    assert!(done["updateActionItem"]["completedAt"].is_string());
    let stale = app
        .graphql(Role::Editor, update, json!({"id": item_id, "v": 1}))
        .await;
    assert_eq!(error_code(&stale), "precondition_failed");

    let missing = app
        .graphql(
            Role::Editor,
            r#"mutation { addCause(postmortemId: "0193a0c0-0000-7000-8000-000000000000", input: {area: PREVENTION, description: "x"}) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&missing), "not_found");
}

#[tokio::test]
async fn participants_are_added_and_removed_and_duplicates_conflict() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let bob = app.person("Bob Jones").await;
    let add = r#"mutation($pm: UUID!, $p: UUID!) { addParticipant(postmortemId: $pm, personId: $p, role: REVIEWER) { role person { displayName } } }"#;
    let vars = json!({"pm": pm["id"], "p": bob["id"]});
    let added = app.graphql_data(Role::Editor, add, vars.clone()).await;
    assert_eq!(added["addParticipant"]["role"], "REVIEWER");
    let again = app.graphql(Role::Editor, add, vars.clone()).await;
    assert_eq!(error_code(&again), "already_participant");
    let removed = app
        .graphql_data(
            Role::Editor,
            "mutation($pm: UUID!, $p: UUID!) { removeParticipant(postmortemId: $pm, personId: $p) }",
            vars,
        )
        .await;
    assert_eq!(removed["removeParticipant"], true);
}

#[tokio::test]
async fn viewers_cannot_mutate_and_callers_without_a_token_are_unauthorized() {
    let app = spawn_app().await;
    let body = app
        .graphql(
            Role::Viewer,
            r#"mutation { createPostmortem(input: {title: "x"}) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "forbidden");
    assert_eq!(body["data"], Value::Null);
    let listed = app.get_json("/api/v1/postmortems").await;
    assert_eq!(listed["items"], json!([]), "nothing was written");

    let deleted = app
        .graphql(
            Role::Editor,
            r#"mutation { deletePostmortem(id: "0193a0c0-0000-7000-8000-000000000000") }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&deleted), "forbidden", "deleting needs admin");

    let anonymous = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({"query": "{ people { edges { node { id } } } }"}))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn graphiql_is_served_to_a_browser_and_bodies_over_the_limit_are_refused() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().contains("graphiql"));

    let huge = "x".repeat(app.settings.body_limit + 1);
    let response = app
        .request(Method::POST, "/graphql", Role::Viewer)
        .json(&json!({"query": huge}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

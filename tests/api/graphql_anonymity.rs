//! People in GraphQL follow the post-mortem's anonymization exactly as in REST.

use hindsight::auth::Role;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, spawn_app},
    practice::{LEAKS, cast, named_postmortem},
};

const EVERYTHING: &str = r#"
query($id: UUID!) {
  postmortem(id: $id) {
    title summary authorName
    author { displayName email githubLogin joinedOn team }
    timeline { title description }
    causes { description }
    actionItems { title description ownerName owner { displayName email } }
    participants { name role person { displayName email } }
    review { findings { message suggestion } }
  }
  actionItems { edges { node { title ownerName owner { displayName } postmortem { title } } } }
}"#;

async fn everything_as(app: &TestApp, role: Role, base: &str) -> Value {
    let id = base.rsplit('/').next().unwrap();
    app.graphql_data(role, EVERYTHING, json!({"id": id})).await
}

#[tokio::test]
async fn a_viewer_sees_the_same_pseudonyms_as_over_rest_and_an_admin_sees_names() {
    let app = spawn_app().await;
    let (alice, bob) = cast(&app).await;
    let base = named_postmortem(&app, &alice, &bob).await;

    let viewer = everything_as(&app, Role::Viewer, &base).await;
    let text = viewer.to_string();
    for leak in LEAKS {
        assert!(!text.contains(leak), "a viewer sees {leak:?} in {text}");
    }
    let pm = &viewer["postmortem"];
    assert_eq!(
        pm["author"]["displayName"],
        "Engineer A, payments, joined 3 days before"
    );
    assert_eq!(pm["author"]["email"], Value::Null);

    // Word for word what REST shows the same reader.
    let rest = app.get_json(&base).await;
    assert_eq!(pm["title"], rest["title"]);
    assert_eq!(pm["summary"], rest["summary"]);
    assert_eq!(pm["authorName"], rest["author_name"]);
    let rest_timeline = app.get_json(&format!("{base}/timeline")).await;
    assert_eq!(
        pm["timeline"][0]["title"],
        rest_timeline["items"][0]["title"]
    );
    let rest_items = app.get_json(&format!("{base}/action-items")).await;
    assert_eq!(
        pm["actionItems"][0]["title"],
        rest_items["items"][0]["title"]
    );
    assert_eq!(
        pm["actionItems"][0]["ownerName"],
        rest_items["items"][0]["owner_name"]
    );
    let rest_participants = app.get_json(&format!("{base}/participants")).await;
    let names: Vec<&Value> = pm["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    let rest_names: Vec<&Value> = rest_participants["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    assert_eq!(names.len(), 2);
    for name in rest_names {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }

    let admin = everything_as(&app, Role::Admin, &base).await.to_string();
    for name in [
        "Alice Smith",
        "alice.smith@example.com",
        "asmith",
        "Bob Jones",
    ] {
        assert!(admin.contains(name), "an admin should see {name:?}");
    }

    let editor = everything_as(&app, Role::Editor, &base).await.to_string();
    assert!(!editor.contains("Alice Smith"), "anonymized by default");
    app.deanonymize(&base).await;
    let editor = everything_as(&app, Role::Editor, &base).await.to_string();
    assert!(editor.contains("Alice Smith"));
    let viewer = everything_as(&app, Role::Viewer, &base).await.to_string();
    assert!(!viewer.contains("Alice Smith"), "viewers never see names");
}

#[tokio::test]
async fn the_people_directory_is_for_editors_and_admins_only() {
    let app = spawn_app().await;
    cast(&app).await;
    let query = "{ people { edges { node { displayName email } } } }";
    let body = app.graphql(Role::Viewer, query, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "forbidden");
    let data = app.graphql_data(Role::Editor, query, json!({})).await;
    assert_eq!(data["people"]["edges"].as_array().unwrap().len(), 2);
}

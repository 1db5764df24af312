//! Readers who may not see names get people's ids as per-post-mortem handles:
//! they open nothing in the directory and do not link pseudonyms across
//! post-mortems.

use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, id, spawn_app},
    practice::{cast, named_postmortem},
};

/// Every person id a reader sees in one post-mortem: author, participants, owners.
async fn ids_seen(app: &TestApp, role: Role, base: &str) -> Vec<String> {
    let pm = app.get_json_as(role, base).await;
    let participants = app.get_json_as(role, &format!("{base}/participants")).await;
    let items = app.get_json_as(role, &format!("{base}/action-items")).await;
    let mut ids = vec![pm["author_id"].as_str().unwrap().to_owned()];
    for p in participants["items"].as_array().unwrap() {
        ids.push(p["person_id"].as_str().unwrap().to_owned());
    }
    for i in items["items"].as_array().unwrap() {
        ids.push(i["owner_id"].as_str().unwrap().to_owned());
    }
    ids
}

async fn status_as(app: &TestApp, role: Role, path: &str) -> StatusCode {
    app.request(Method::GET, path, role)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn ids_in_anonymized_views_are_handles_that_open_nothing_and_differ_per_postmortem() {
    let app = spawn_app().await;
    let (alice, bob) = cast(&app).await;
    let first = named_postmortem(&app, &alice, &bob).await;
    let second = named_postmortem(&app, &alice, &bob).await;
    let real = [id(&alice).to_owned(), id(&bob).to_owned()];

    // An admin sees the people's own ids: author Alice (also a participant),
    // reviewer Bob, owner Bob.
    let admin = ids_seen(&app, Role::Admin, &first).await;
    let (a, b) = (real[0].clone(), real[1].clone());
    assert_eq!(admin, [a.clone(), a, b.clone(), b]);

    for role in [Role::Viewer, Role::Editor] {
        let one = ids_seen(&app, role, &first).await;
        let two = ids_seen(&app, role, &second).await;
        // Stable inside a post-mortem: the same handle for the author as
        // participant, for Bob as reviewer and as owner.
        assert_eq!(one[0], one[1], "{role:?}");
        assert_eq!(one[2], one[3], "{role:?}");
        assert_ne!(one[0], one[2], "{role:?}");
        for handle in one.iter().chain(&two) {
            assert!(!real.contains(handle), "{role:?} sees a real id {handle}");
            let path = format!("/api/v1/people/{handle}");
            assert_eq!(
                status_as(&app, Role::Admin, &path).await,
                StatusCode::NOT_FOUND
            );
        }
        assert!(
            one.iter().all(|h| !two.contains(h)),
            "{role:?}: the same person has the same handle in two post-mortems"
        );
    }

    // GraphQL shows the same handles as REST.
    let pm_id = first.rsplit('/').next().unwrap();
    let data = app
        .graphql_data(
            Role::Viewer,
            "query($id: UUID!) { postmortem(id: $id) { authorId author { id } participants { personId person { id } } actionItems { ownerId owner { id } } } }",
            json!({"id": pm_id}),
        )
        .await;
    let pm = &data["postmortem"];
    let rest = ids_seen(&app, Role::Viewer, &first).await;
    let seen = |v: &Value| v.as_str().unwrap().to_owned();
    assert_eq!(seen(&pm["authorId"]), rest[0]);
    assert_eq!(seen(&pm["author"]["id"]), rest[0]);
    assert_eq!(seen(&pm["participants"][1]["personId"]), rest[2]);
    assert_eq!(seen(&pm["participants"][1]["person"]["id"]), rest[2]);
    assert_eq!(seen(&pm["actionItems"][0]["ownerId"]), rest[3]);
    assert_eq!(seen(&pm["actionItems"][0]["owner"]["id"]), rest[3]);

    // An editor who sends back what it read means the same people: the
    // handles are taken for the people they stand for in this post-mortem.
    let editor_ids = ids_seen(&app, Role::Editor, &first).await;
    let items = app
        .get_json_as(Role::Editor, &format!("{first}/action-items"))
        .await;
    let item = &items["items"][0];
    let sent_back = app
        .request(
            Method::PATCH,
            &format!("/api/v1/action-items/{}", id(item)),
            Role::Editor,
        )
        .json(&json!({"title": "Page on checkout success rate", "owner_id": item["owner_id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent_back.status(), StatusCode::OK);
    let as_admin = app
        .get_json_as(Role::Admin, &format!("/api/v1/action-items/{}", id(item)))
        .await;
    assert_eq!(as_admin["owner_id"], real[1].as_str(), "still Bob");
    // A handle from another post-mortem stands for nobody here.
    let foreign = ids_seen(&app, Role::Editor, &second).await;
    let wrong = app
        .request(
            Method::PATCH,
            &format!("/api/v1/action-items/{}", id(item)),
            Role::Editor,
        )
        .json(&json!({"owner_id": foreign[2]}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Removing a participant by the handle read removes that person.
    let removed = app
        .request(
            Method::DELETE,
            &format!("{first}/participants/{}", editor_ids[2]),
            Role::Editor,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let left = app
        .get_json_as(Role::Admin, &format!("{first}/participants"))
        .await;
    assert!(
        left["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["person_id"] != real[1].as_str()),
        "{left}"
    );

    // Once an admin shows names again, editors get the real ids back.
    app.deanonymize(&first).await;
    let named = ids_seen(&app, Role::Editor, &first).await;
    assert_eq!(named, [real[0].clone(), real[0].clone(), real[1].clone()]);
}

//! The calendar feed as calendar apps read it: checked with two parsers
//! nobody here wrote (Python's `icalendar` and `vobject`).

use entity::{SyncState, action_item};
use hindsight::auth::Role;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{TestApp, assert_problem, error_fields, id, spawn_app},
    tools,
};

/// The feed of `person`, as a calendar app fetches it.
async fn feed_of(app: &TestApp, person: &Value) -> String {
    let token = app
        .create(
            &format!("/api/v1/people/{}/calendar-token", id(person)),
            json!({}),
        )
        .await;
    let response = app
        .client
        .get(format!("{}/api/v1/action-items/calendar.ics", app.address))
        .query(&[("token", token["token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// Marks an item as synced to a tracker issue, as the outbox worker leaves it.
async fn synced_to(app: &TestApp, item: &Value, url: &str) {
    let id: Uuid = item["id"].as_str().unwrap().parse().unwrap();
    let row = action_item::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: action_item::ActiveModel = row.into();
    row.external_key = Set(Some("OPS-7".into()));
    row.external_url = Set(Some(url.into()));
    row.sync_state = Set(SyncState::Synced);
    row.update(&app.state.db).await.unwrap();
}

fn event<'a>(parsed: &'a Value, summary: &str) -> &'a Value {
    parsed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["summary"] == summary)
        .unwrap_or_else(|| panic!("no event {summary:?} in {parsed}"))
}

#[tokio::test]
async fn two_calendar_parsers_read_all_day_events_ending_the_next_day_with_hindsights_prodid() {
    let python = tools::python();
    if !tools::available(&python, &["-c", "import icalendar, vobject"]) {
        return;
    }
    let app = spawn_app().await;
    let alice = app.person("Alice").await;
    let pm = app.simple_postmortem().await;
    let items = format!("/api/v1/postmortems/{}/action-items", id(&pm));
    let synced = app
        .create(&items, json!({"title": "Add a checkout success-rate alert", "owner_id": id(&alice), "due_date": "2026-12-31"}))
        .await;
    let jira = "https://acme.atlassian.net/browse/OPS-7";
    synced_to(&app, &synced, jira).await;
    app.create(&items, json!({"title": "Rotate the TLS certificates", "description": "Before they expire.", "owner_id": id(&alice), "due_date": "2026-12-15", "recurrence": "FREQ=MONTHLY;INTERVAL=3;UNTIL=20270915"}))
        .await;
    let feed = feed_of(&app, &alice).await;

    let output = tools::run(&python, &["tests/tools/read_ics.py"], feed.as_bytes());
    assert!(
        output.status.success(),
        "the parsers refused the feed: {}\n{feed}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let prodid = format!("-//hindsight//hindsight {}//EN", env!("CARGO_PKG_VERSION"));
    for parser in ["icalendar", "vobject"] {
        let seen = &parsed[parser];
        assert_eq!(seen["prodid"], prodid.as_str(), "{parser}");
        assert_eq!(seen["version"], "2.0", "{parser}");

        let alert = event(seen, "Action item: Add a checkout success-rate alert");
        assert_eq!(alert["dtstart"], "2026-12-31", "{parser}");
        assert_eq!(
            alert["dtend"], "2027-01-01",
            "{parser}: the day after, across the year"
        );
        assert_eq!(alert["url"], jira, "{parser}: the issue a person can open");
        assert_eq!(alert["uid"], format!("{}@hindsight", id(&synced)));

        let check = event(seen, "Action item: Rotate the TLS certificates");
        assert_eq!(check["dtstart"], "2026-12-15", "{parser}");
        assert_eq!(check["dtend"], "2026-12-16", "{parser}");
        assert_eq!(
            check["url"],
            Value::Null,
            "{parser}: no page in hindsight opens without a bearer token"
        );
        assert_eq!(check["description"], "Before they expire.", "{parser}");
    }
    assert_eq!(parsed["icalendar"]["errors"], json!([]));
    for e in parsed["icalendar"]["events"].as_array().unwrap() {
        assert_eq!(e["errors"], json!([]), "{e}");
    }
    let check = event(
        &parsed["vobject"],
        "Action item: Rotate the TLS certificates",
    );
    assert_eq!(
        check["occurrences"],
        json!(["2026-12-15", "2027-03-15", "2027-06-15", "2027-09-15"]),
        "vobject expands the rule up to UNTIL"
    );
}

#[tokio::test]
async fn a_recurrence_ending_before_the_due_date_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let items = format!("/api/v1/postmortems/{}/action-items", id(&pm));
    let refused = app
        .post(
            &items,
            &json!({"title": "Rotate keys", "due_date": "2026-12-15", "recurrence": "FREQ=MONTHLY;UNTIL=20261130"}),
        )
        .await;
    let problem = assert_problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["recurrence"], "{problem}");

    let item = app
        .create(
            &items,
            json!({"title": "Rotate keys", "due_date": "2026-12-15", "recurrence": "FREQ=MONTHLY;UNTIL=20261215"}),
        )
        .await;
    let path = format!("/api/v1/action-items/{}", id(&item));
    let moved = app.patch(&path, &json!({"due_date": "2027-01-15"})).await;
    let problem =
        assert_problem(moved, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(error_fields(&problem), ["recurrence"], "{problem}");
    let kept = app.get_json_as(Role::Viewer, &path).await;
    assert_eq!(kept["due_date"], "2026-12-15", "nothing changed");
}

//! Dashboard figures against values computed by hand on a small data set.

use chrono::{DateTime, Duration, Utc};
use entity::action_item;
use hindsight::auth::Role;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, id, spawn_app};

/// A: checkout, sev2, Oct: detect 600 s, ack 300 s, mitigate 1800 s, resolve 7200 s.
/// B: checkout + payments, sev1, Oct: detect 120 s, no ack, mitigate 1800 s (from detection), resolve 3600 s.
/// C: payments, sev2, Nov: detect 3600 s, ack 1800 s, mitigate 1800 s, not resolved.
/// D: checkout, no severity, January 2025, no other marker.
async fn incidents(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    for body in [
        json!({"title": "A", "severity": "sev2", "services": ["checkout"],
            "impact_started_at": "2026-10-20T10:00:00Z", "detected_at": "2026-10-20T10:10:00Z",
            "acknowledged_at": "2026-10-20T10:15:00Z", "mitigated_at": "2026-10-20T10:45:00Z",
            "resolved_at": "2026-10-20T12:00:00Z"}),
        json!({"title": "B", "severity": "sev1", "services": ["checkout", "payments"],
            "impact_started_at": "2026-10-05T08:00:00Z", "detected_at": "2026-10-05T08:02:00Z",
            "mitigated_at": "2026-10-05T08:32:00Z", "resolved_at": "2026-10-05T09:00:00Z"}),
        json!({"title": "C", "severity": "sev2", "services": ["payments"],
            "impact_started_at": "2026-11-03T00:00:00Z", "detected_at": "2026-11-03T01:00:00Z",
            "acknowledged_at": "2026-11-03T01:30:00Z", "mitigated_at": "2026-11-03T02:00:00Z"}),
        json!({"title": "D", "services": ["checkout"], "impact_started_at": "2025-01-01T00:00:00Z"}),
    ] {
        out.push(app.postmortem(body).await);
    }
    out
}

const STATS: &str = r#"
query($by: IncidentGrouping!, $from: DateTime, $to: DateTime) {
  incidentStats(groupBy: $by, from: $from, to: $to) {
    key incidents
    mttd { count meanSeconds p50Seconds p90Seconds }
    mtta { count meanSeconds p50Seconds p90Seconds }
    mttm { count meanSeconds p50Seconds p90Seconds }
    mttr { count meanSeconds p50Seconds p90Seconds }
  }
}"#;

fn group<'a>(data: &'a Value, key: &str) -> &'a Value {
    data["incidentStats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == key)
        .unwrap_or_else(|| panic!("no group {key} in {data}"))
}

fn assert_figures(stats: &Value, count: i64, mean: f64, p50: f64, p90: f64) {
    assert_eq!(stats["count"], count, "{stats}");
    for (field, expected) in [
        ("meanSeconds", mean),
        ("p50Seconds", p50),
        ("p90Seconds", p90),
    ] {
        let got = stats[field]
            .as_f64()
            .unwrap_or_else(|| panic!("{field} in {stats}"));
        assert!(
            (got - expected).abs() < 0.01,
            "{field}: {got} != {expected}"
        );
    }
}

#[tokio::test]
async fn mean_and_percentile_phase_times_by_service_match_hand_computed_values() {
    let app = spawn_app().await;
    incidents(&app).await;
    let data = app
        .graphql_data(Role::Viewer, STATS, json!({"by": "SERVICE"}))
        .await;
    let checkout = group(&data, "checkout");
    assert_eq!(checkout["incidents"], 3, "A, B and D");
    assert_figures(&checkout["mttd"], 2, 360.0, 360.0, 552.0);
    assert_figures(&checkout["mtta"], 1, 300.0, 300.0, 300.0);
    assert_figures(&checkout["mttm"], 2, 1800.0, 1800.0, 1800.0);
    assert_figures(&checkout["mttr"], 2, 5400.0, 5400.0, 6840.0);
    let payments = group(&data, "payments");
    assert_eq!(payments["incidents"], 2);
    assert_figures(&payments["mttd"], 2, 1860.0, 1860.0, 3252.0);
    assert_figures(&payments["mttr"], 1, 3600.0, 3600.0, 3600.0);
}

#[tokio::test]
async fn phase_times_by_severity_and_month_cover_only_the_time_range() {
    let app = spawn_app().await;
    incidents(&app).await;
    let range = json!({"from": "2026-10-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"});
    let mut vars = range.clone();
    vars["by"] = json!("SEVERITY");
    let data = app.graphql_data(Role::Viewer, STATS, vars).await;
    let keys: Vec<&str> = data["incidentStats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["sev1", "sev2"],
        "D (2025, no severity) is out of range"
    );
    assert_figures(&group(&data, "sev2")["mttd"], 2, 2100.0, 2100.0, 3300.0);
    assert_figures(&group(&data, "sev1")["mttm"], 1, 1800.0, 1800.0, 1800.0);

    let mut vars = range;
    vars["by"] = json!("MONTH");
    let data = app.graphql_data(Role::Viewer, STATS, vars).await;
    let october = group(&data, "2026-10");
    assert_eq!(october["incidents"], 2);
    assert_figures(&october["mttr"], 2, 5400.0, 5400.0, 6840.0);
    let november = group(&data, "2026-11");
    assert_eq!(november["incidents"], 1);
    assert_eq!(november["mttr"]["count"], 0);
    assert_eq!(november["mttr"]["meanSeconds"], Value::Null);
}

async fn backdate(app: &TestApp, item: &Value, created: DateTime<Utc>, done_after: Option<i64>) {
    let id: Uuid = item["id"].as_str().unwrap().parse().unwrap();
    let row = action_item::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: action_item::ActiveModel = row.into();
    row.created_at = Set(created);
    if let Some(seconds) = done_after {
        row.completed_at = Set(Some(created + Duration::seconds(seconds)));
    }
    row.update(&app.state.db).await.unwrap();
}

#[tokio::test]
async fn action_items_open_overdue_done_and_median_time_to_done_by_owner_and_team() {
    let app = spawn_app().await;
    let pm = app.simple_postmortem().await;
    let ann = app.person_in_team("Ann", "sre").await;
    let bob = app.person_in_team("Bob", "web").await;
    let path = format!("/api/v1/postmortems/{}/action-items", id(&pm));
    let created: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
    for (owner, due, status, done_after) in [
        (Some(&ann), Some("2020-01-01"), "open", None),
        (Some(&ann), None, "done", Some(3600)),
        (Some(&ann), None, "done", Some(7200)),
        (Some(&ann), Some("2999-01-01"), "in_progress", None),
        (Some(&bob), None, "done", Some(86_400)),
        (Some(&bob), Some("2020-01-01"), "wont_do", None),
        (None, Some("2020-01-01"), "open", None),
    ] {
        let mut body = json!({"title": "Add an alert on checkout success", "status": status});
        if let Some(owner) = owner {
            body["owner_id"] = owner["id"].clone();
        }
        if let Some(due) = due {
            body["due_date"] = json!(due);
        }
        let item = app.create(&path, body).await;
        backdate(&app, &item, created, done_after).await;
    }
    let query = r#"query($by: ActionItemGrouping!) { actionItemStats(groupBy: $by) { ownerId team total open overdue done wontDo medianSecondsToDone } }"#;
    let data = app
        .graphql_data(Role::Viewer, query, json!({"by": "OWNER"}))
        .await;
    let find = |key: &str, value: &Value| -> Value {
        data["actionItemStats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| &g[key] == value)
            .cloned()
            .unwrap_or_else(|| panic!("no {key} {value} in {data}"))
    };
    let ann_stats = find("ownerId", &ann["id"]);
    assert_eq!(
        [
            &ann_stats["total"],
            &ann_stats["open"],
            &ann_stats["overdue"],
            &ann_stats["done"]
        ],
        [4, 2, 1, 2]
    );
    assert_eq!(ann_stats["medianSecondsToDone"].as_f64(), Some(5400.0));
    let bob_stats = find("ownerId", &bob["id"]);
    assert_eq!(
        [
            &bob_stats["total"],
            &bob_stats["open"],
            &bob_stats["done"],
            &bob_stats["wontDo"]
        ],
        [2, 0, 1, 1]
    );
    assert_eq!(bob_stats["medianSecondsToDone"].as_f64(), Some(86_400.0));
    let unowned = find("ownerId", &Value::Null);
    assert_eq!([&unowned["total"], &unowned["overdue"]], [1, 1]);
    assert_eq!(unowned["medianSecondsToDone"], Value::Null);

    let data = app
        .graphql_data(Role::Viewer, query, json!({"by": "TEAM"}))
        .await;
    let teams: Vec<(Value, Value)> = data["actionItemStats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["team"].clone(), g["overdue"].clone()))
        .collect();
    assert!(teams.contains(&(json!("sre"), json!(1))), "{data}");
    assert!(teams.contains(&(json!("web"), json!(0))), "{data}");
    assert!(teams.contains(&(Value::Null, json!(1))), "{data}");
}

#[tokio::test]
async fn cause_areas_count_causes_and_the_postmortems_they_recur_in() {
    let app = spawn_app().await;
    let pms = incidents(&app).await;
    for (pm, area) in [
        (&pms[0], "prevention"),
        (&pms[0], "prevention"),
        (&pms[0], "detection"),
        (&pms[1], "detection"),
        (&pms[3], "mitigation"),
    ] {
        app.create(
            &format!("/api/v1/postmortems/{}/causes", id(pm)),
            json!({"area": area, "description": "a contributing cause"}),
        )
        .await;
    }
    let data = app
        .graphql_data(
            Role::Viewer,
            r#"{ causeAreaStats(from: "2026-01-01T00:00:00Z") { area causes postmortems } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data["causeAreaStats"],
        json!([
            {"area": "DETECTION", "causes": 2, "postmortems": 2},
            {"area": "PREVENTION", "causes": 2, "postmortems": 1},
        ])
    );
}

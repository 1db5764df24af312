//! Figures and instants as a client compares them: durations exact on both
//! backends, and one timestamp format (`Z`) over REST and GraphQL.

use hindsight::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{id, spawn_app};

const STATS: &str = r#"
query {
  incidentStats(groupBy: SEVERITY) {
    key
    mttd { count meanSeconds p50Seconds p90Seconds }
    mttr { count meanSeconds p50Seconds p90Seconds }
  }
}"#;

#[tokio::test]
async fn incident_durations_are_exact_to_the_microsecond() {
    let app = spawn_app().await;
    // 720 s exactly, and 403.5 s; sub-second parts that a double of days loses.
    app.postmortem(
        json!({"title": "A", "severity": "sev2", "services": ["checkout"],
        "impact_started_at": "2026-10-20T10:00:00Z", "detected_at": "2026-10-20T10:06:43.500Z",
        "resolved_at": "2026-10-20T10:12:00Z"}),
    )
    .await;
    app.postmortem(json!({"title": "B", "severity": "sev1", "services": ["checkout"],
        "impact_started_at": "2026-10-21T23:59:59.999999Z", "detected_at": "2026-10-22T00:00:00.000250Z",
        "resolved_at": "2026-10-22T00:06:43.499999Z"}))
        .await;
    let data = app.graphql_data(Role::Viewer, STATS, json!({})).await;
    let group = |key: &str| -> Value {
        data["incidentStats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == key)
            .unwrap()
            .clone()
    };
    let sev2 = group("sev2");
    for field in ["meanSeconds", "p50Seconds", "p90Seconds"] {
        assert_eq!(sev2["mttd"][field].as_f64(), Some(403.5), "{sev2}");
        assert_eq!(sev2["mttr"][field].as_f64(), Some(720.0), "{sev2}");
    }
    let sev1 = group("sev1");
    assert_eq!(
        sev1["mttd"]["meanSeconds"].as_f64(),
        Some(0.000251),
        "{sev1}"
    );
    assert_eq!(sev1["mttr"]["meanSeconds"].as_f64(), Some(403.5), "{sev1}");
}

#[tokio::test]
async fn graphql_writes_instants_with_z_exactly_as_rest_does() {
    let app = spawn_app().await;
    let pm = app
        .postmortem(json!({"title": "Checkout outage", "services": ["checkout"],
            "impact_started_at": "2026-10-20T12:00:00+02:00",
            "detected_at": "2026-10-20T10:12:00.250Z"}))
        .await;
    let rest = app
        .get_json_as(Role::Viewer, &format!("/api/v1/postmortems/{}", id(&pm)))
        .await;
    assert_eq!(rest["impact_started_at"], "2026-10-20T10:00:00Z");
    let data = app
        .graphql_data(
            Role::Viewer,
            "query($id: UUID!) { postmortem(id: $id) { impactStartedAt detectedAt createdAt updatedAt } }",
            json!({"id": id(&pm)}),
        )
        .await;
    let gql = &data["postmortem"];
    assert_eq!(gql["impactStartedAt"], rest["impact_started_at"]);
    assert_eq!(gql["detectedAt"], "2026-10-20T10:12:00.250Z");
    assert_eq!(gql["createdAt"], rest["created_at"]);
    assert_eq!(gql["updatedAt"], rest["updated_at"]);
    assert!(gql["createdAt"].as_str().unwrap().ends_with('Z'), "{gql}");

    // Lists answered in place write the same.
    let entry = app
        .create(
            &format!("/api/v1/postmortems/{}/timeline", id(&pm)),
            json!({"occurred_at": "2026-10-20T10:05:00.5Z", "kind": "note", "title": "Paged"}),
        )
        .await;
    assert_eq!(entry["occurred_at"], "2026-10-20T10:05:00.500Z");
    let data = app
        .graphql_data(
            Role::Viewer,
            "query($id: UUID!) { postmortem(id: $id) { timeline { occurredAt createdAt } } }",
            json!({"id": id(&pm)}),
        )
        .await;
    let entries = data["postmortem"]["timeline"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{data}");
    assert_eq!(entries[0]["occurredAt"], entry["occurred_at"]);
    assert_eq!(entries[0]["createdAt"], entry["created_at"]);
}

//! The alerting tools' own catalog examples (`tests/fixtures/vendors/`),
//! each sent unchanged, signed, with the headers its sender uses, through
//! the real webhook route: answered 202 with events of the right kinds at
//! the source's own time (or its arrival when the body has none), or with
//! the reason it holds none. A retry with a new delivery id adds nothing.
//!
//! Every file in those folders must have an entry in the catalog below, so
//! an example added later cannot go unchecked.

use std::collections::BTreeSet;

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;

use crate::helpers::{signed, spawn_app};

const VENDORS: [&str; 6] = [
    "pagerduty",
    "alertmanager",
    "grafana",
    "opsgenie",
    "sentry",
    "datadog",
];

fn vendor_dir(vendor: &str) -> String {
    format!(
        "{}/tests/fixtures/vendors/{vendor}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// When an event should say it happened.
#[derive(Debug, Clone, Copy)]
enum When {
    /// The body's own time, as the body writes it.
    At(&'static str),
    /// The body has no time: the event takes its arrival time.
    Arrival,
}

/// What a delivery of one example should give.
enum Outcome {
    /// kind, time, correlation key of each event, in any order.
    Events(&'static [(&'static str, When, &'static str)]),
    /// No events, with this reason.
    Ignored(&'static str),
}

use Outcome::{Events, Ignored};
use When::{Arrival, At};

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

/// Signs `body` as `kind` does, with `extra` headers replacing any the
/// signer would send under the same name.
fn headers_for(
    kind: &str,
    secret: &str,
    body: &[u8],
    extra: &[(&'static str, &'static str)],
) -> Vec<(&'static str, String)> {
    let mut headers: Vec<(&'static str, String)> = signed(kind, secret, body)
        .into_iter()
        .filter(|(name, _)| !extra.iter().any(|(e, _)| e.eq_ignore_ascii_case(name)))
        .collect();
    headers.extend(
        extra
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned())),
    );
    headers
}

async fn check(file: &str, extra: &[(&'static str, &'static str)], outcome: Outcome) {
    let kind = file.split('/').next().unwrap();
    let body = std::fs::read(format!("{}/{}", vendor_dir(kind), &file[kind.len() + 1..]))
        .unwrap_or_else(|e| panic!("reading {file}: {e}"));
    let app = spawn_app().await;
    let hook = app.integration(kind).await;
    let receipt = app
        .deliver_ok(&hook, &headers_for(kind, &hook.secret, &body, extra), &body)
        .await;
    assert_eq!(receipt["duplicate"], false, "{file}: {receipt}");
    let events = app.events(&format!("source={kind}")).await;
    let expected = match outcome {
        Ignored(reason) => {
            assert!(events.is_empty(), "{file}: {events:?}");
            assert_eq!(receipt["ignored_reason"], reason, "{file}: {receipt}");
            return;
        }
        Events(expected) => expected,
    };
    assert_eq!(receipt["ignored_reason"], Value::Null, "{file}: {receipt}");
    assert_eq!(
        receipt["event_ids"].as_array().unwrap().len(),
        expected.len(),
        "{file}: {receipt}"
    );
    let mut got: Vec<(String, DateTime<Utc>, String)> = Vec::new();
    let mut want = Vec::new();
    for (event, (want_kind, when, want_key)) in events.iter().zip(expected) {
        let occurred = time(event["occurred_at"].as_str().unwrap());
        let received = time(event["received_at"].as_str().unwrap());
        assert!(!event["title"].as_str().unwrap().is_empty(), "{file}");
        let want_time = match when {
            // Storage keeps microseconds.
            At(text) => {
                assert_eq!(event["time_source"], "source", "{file}: {event}");
                time(text).trunc_subsecs(6)
            }
            Arrival => {
                assert_eq!(event["time_source"], "arrival", "{file}: {event}");
                assert_eq!(occurred, received, "{file}: {event} takes its arrival time");
                occurred
            }
        };
        got.push((
            event["kind"].as_str().unwrap().to_owned(),
            occurred,
            event["correlation_key"].as_str().unwrap_or("").to_owned(),
        ));
        want.push(((*want_kind).to_owned(), want_time, (*want_key).to_owned()));
    }
    assert_eq!(events.len(), expected.len(), "{file}: {events:?}");
    got.sort();
    want.sort();
    assert_eq!(got, want, "{file}");

    // A retry (new delivery id, new signature, later arrival) adds nothing.
    let retry = app
        .deliver_ok(&hook, &headers_for(kind, &hook.secret, &body, extra), &body)
        .await;
    assert_eq!(retry["duplicate"], true, "{file}: {retry}");
    assert_eq!(
        app.events(&format!("source={kind}")).await.len(),
        expected.len(),
        "{file}: the retry stored events again"
    );
}

/// Each entry: a test name, the file (its folder is the integration kind),
/// headers the sender adds, and the outcome read from the body by hand.
macro_rules! catalog {
    ($($name:ident: $file:literal, [$($header:expr),*], $outcome:expr;)+) => {
        const CATALOG: &[&str] = &[$($file),+];
        $(
            #[tokio::test]
            async fn $name() {
                check($file, &[$($header),*], $outcome).await;
            }
        )+
    };
}

const INCIDENT_5: &str = "Q3B15VLMF3ASBD";
const OPSGENIE_ALERT: &str = "052652ac-5d1c-464a-812a-7dd18bbfba8c";
const UNIFIED_GROUP: &str = "{}/{test=\"true\"}:{}";
const V8_GROUP: &str = "{alertname=\"TestAlert\", instance=\"Grafana\"}2022-08-31 05:54:04.52289368 +0000 UTC m=+42208.256292221";

catalog! {
    pagerduty_reassigned_incident_is_an_escalation:
        "pagerduty/v3.incident.reassigned.json", [],
        Events(&[("alert.escalated", At("2021-06-04T10:17:54.838Z"), "PIQUG8X")]);
    pagerduty_reopened_incident_triggers_again:
        "pagerduty/v3.incident.reopened.json", [],
        Events(&[("alert.triggered", At("2026-04-01T02:15:02.274Z"), "Q05XJA8GDXGOB3")]);
    pagerduty_delegated_incident_is_an_escalation:
        "pagerduty/v3.incident.delegated.json", [],
        Events(&[("alert.escalated", At("2026-04-01T02:13:20.295Z"), INCIDENT_5)]);
    pagerduty_unacknowledged_incident_is_an_annotation:
        "pagerduty/v3.incident.unacknowledged.json", [],
        Events(&[("alert.annotated", At("2021-06-04T13:54:23.185Z"), "PQ1K5C8")]);
    pagerduty_responder_added_annotates_its_incident:
        "pagerduty/v3.incident.responder.added.json", [],
        Events(&[("alert.annotated", At("2026-04-01T02:20:14.737Z"), INCIDENT_5)]);
    pagerduty_responder_replied_annotates_its_incident:
        "pagerduty/v3.incident.responder.replied.json", [],
        Events(&[("alert.annotated", At("2026-04-01T02:21:54.532Z"), INCIDENT_5)]);
    pagerduty_conference_bridge_annotates_its_incident:
        "pagerduty/v3.incident.conference_bridge.updated.json", [],
        Events(&[("alert.annotated", At("2026-04-01T02:20:15.274Z"), INCIDENT_5)]);
    pagerduty_workflow_started_annotates_its_incident:
        "pagerduty/v3.incident.workflow.started.json", [],
        Events(&[("alert.annotated", At("2026-04-01T02:51:47.500Z"), INCIDENT_5)]);
    pagerduty_workflow_completed_annotates_its_incident:
        "pagerduty/v3.incident.workflow.completed.json", [],
        Events(&[("alert.annotated", At("2026-04-01T02:52:43.174Z"), INCIDENT_5)]);
    pagerduty_incident_moved_to_another_service_is_an_annotation:
        "pagerduty/v3.incident.service_updated.json", [],
        Events(&[("alert.annotated", At("2026-04-01T02:28:44.634Z"), INCIDENT_5)]);
    pagerduty_docs_priority_update_is_an_annotation:
        "pagerduty/docs.incident.priority_updated.json", [],
        Events(&[("alert.annotated", At("2020-10-02T18:45:22.169Z"), "PGR0VU2")]);
    pagerduty_service_created_is_ignored_with_a_reason:
        "pagerduty/v3.service.created.json", [],
        Ignored("PagerDuty `service.created` events are not incident events");
    pagerduty_service_deleted_is_ignored_with_a_reason:
        "pagerduty/v3.service.deleted.json", [],
        Ignored("PagerDuty `service.deleted` events are not incident events");
    pagerduty_docs_service_updated_is_ignored_with_a_reason:
        "pagerduty/docs.service.updated.json", [],
        Ignored("PagerDuty `service.updated` events are not incident events");

    alertmanager_resolved_alert_with_unset_end_resolves_at_arrival:
        "alertmanager/resolved.ends-at-unset.json", [],
        Events(&[("alert.resolved", Arrival, "{}/{}:{}")]);

    grafana_legacy_alerting_triggers_at_arrival:
        "grafana/legacy.alerting.json", [],
        Events(&[("alert.triggered", Arrival, "rule:0:0")]);
    grafana_legacy_ok_resolves_at_arrival:
        "grafana/legacy.ok.json", [],
        Events(&[("alert.resolved", Arrival, "rule:0:0")]);
    grafana_legacy_no_data_alert_triggers_at_arrival:
        "grafana/legacy.no-data.v7.json", [],
        Events(&[("alert.triggered", Arrival, "rule:1:3")]);
    grafana_legacy_paused_rule_is_ignored_with_a_reason:
        "grafana/legacy.paused.v7.json", [],
        Ignored("Grafana legacy alert state `paused` is not an alert change");
    grafana_legacy_pending_rule_is_ignored_with_a_reason:
        "grafana/legacy.pending.json", [],
        Ignored("Grafana legacy alert state `pending` is not an alert change");
    grafana_unified_v8_test_notification_resolves_at_ends_at:
        "grafana/unified.v8.resolved.json", [],
        Events(&[("alert.resolved", At("2022-08-31T10:30:00.52288431Z"), V8_GROUP)]);
    grafana_unified_alert_without_labels_still_resolves:
        "grafana/unified.no-labels.json", [],
        Events(&[("alert.resolved", At("2022-08-31T10:30:00.52288431Z"), V8_GROUP)]);
    grafana_unified_mixed_group_gives_each_alert_its_own_time:
        "grafana/unified.v9.mixed.json", [],
        Events(&[
            ("alert.resolved", At("2022-06-17T01:08:28.652747827Z"), UNIFIED_GROUP),
            ("alert.resolved", At("2022-06-17T01:08:28.652747827Z"), UNIFIED_GROUP),
            ("alert.triggered", At("2022-06-17T01:03:00.782137894Z"), UNIFIED_GROUP),
        ]);

    opsgenie_docs_create_triggers_at_created_at:
        "opsgenie/docs.create.json", [],
        Events(&[("alert.triggered", At("2015-01-05T10:03:11.104Z"), OPSGENIE_ALERT)]);
    opsgenie_escalate_escalates_at_arrival:
        "opsgenie/escalate.json", [],
        Events(&[("alert.escalated", Arrival, "7ba97e3a-d328-4b5e-8f9a-39e945a3869a")]);
    opsgenie_unacknowledge_is_an_annotation:
        "opsgenie/unacknowledge.json", [],
        Events(&[("alert.annotated", At("2015-01-05T10:03:44.764002246Z"), OPSGENIE_ALERT)]);
    opsgenie_note_is_an_annotation:
        "opsgenie/addnote.json", [],
        Events(&[("alert.annotated", At("2015-01-05T10:04:35.002000962Z"), OPSGENIE_ALERT)]);
    opsgenie_assign_ownership_is_an_annotation:
        "opsgenie/assignownership.json", [],
        Events(&[("alert.annotated", At("2015-01-05T10:06:14.669001603Z"), OPSGENIE_ALERT)]);
    opsgenie_take_ownership_is_an_annotation:
        "opsgenie/takeownership.json", [],
        Events(&[(
            "alert.annotated",
            At("2016-08-05T07:51:17.928000335Z"),
            "8a745a79-3ed3-4044-8427-98e067c0623c",
        )]);
    opsgenie_added_recipient_is_an_annotation:
        "opsgenie/addrecipient.json", [],
        Events(&[("alert.annotated", At("2015-01-05T10:04:34.617001925Z"), OPSGENIE_ALERT)]);
    opsgenie_added_team_is_an_annotation:
        "opsgenie/addteam.json", [],
        Events(&[("alert.annotated", At("2015-01-05T10:04:16.147001924Z"), OPSGENIE_ALERT)]);
    opsgenie_delete_is_an_annotation:
        "opsgenie/delete.json", [],
        Events(&[("alert.annotated", At("2015-01-05T10:06:14.669001603Z"), OPSGENIE_ALERT)]);
    opsgenie_custom_action_is_an_annotation:
        "opsgenie/customaction.json", [],
        Events(&[("alert.annotated", At("2015-01-05T10:04:35.002000962Z"), OPSGENIE_ALERT)]);
    opsgenie_added_tags_are_ignored_with_a_reason:
        "opsgenie/addtags.json", [],
        Ignored("Opsgenie `AddTags` changes an alert's labels, not its state");
    opsgenie_removed_tags_are_ignored_with_a_reason:
        "opsgenie/removetags.json", [],
        Ignored("Opsgenie `RemoveTags` changes an alert's labels, not its state");

    sentry_docs_issue_created_triggers_at_first_seen:
        "sentry/issue.created.docs.json", [("Sentry-Hook-Resource", "issue")],
        Events(&[("alert.triggered", At("2019-08-19T20:58:37.391000Z"), "1170820242")]);
    sentry_ignored_issue_is_an_annotation_at_last_seen:
        "sentry/issue.ignored.json", [("Sentry-Hook-Resource", "issue")],
        Events(&[("alert.annotated", At("2020-04-30T05:54:15.092476Z"), "1638821441")]);
    sentry_issue_assigned_to_a_team_is_an_acknowledgement:
        "sentry/issue.assigned.team.json", [("Sentry-Hook-Resource", "issue")],
        Events(&[("alert.acknowledged", At("2020-04-30T05:54:15.092476Z"), "1638821441")]);
    sentry_issue_assigned_to_a_person_is_an_acknowledgement:
        "sentry/issue.assigned.user.json", [("Sentry-Hook-Resource", "issue")],
        Events(&[("alert.acknowledged", At("2020-04-30T06:14:13.611851Z"), "1638844654")]);
    sentry_docs_event_alert_triggers_at_the_events_time:
        "sentry/event_alert.triggered.docs.json", [("Sentry-Hook-Resource", "event_alert")],
        Events(&[("alert.triggered", At("2019-08-19T21:06:17.677000Z"), "1117540176")]);
    sentry_docs_error_triggers_at_the_errors_time:
        "sentry/error.created.docs.json", [("Sentry-Hook-Resource", "error")],
        Events(&[("alert.triggered", At("2019-08-19T20:58:37.391000Z"), "1170820242")]);
    sentry_docs_metric_alert_resolved_without_close_date_resolves_at_arrival:
        "sentry/metric_alert.resolved.docs.json", [("Sentry-Hook-Resource", "metric_alert")],
        Events(&[("alert.resolved", Arrival, "metric_alert:4")]);
}

/// Every example on disk has an expectation above, and every one above is
/// on disk and named in its folder's SOURCES.md.
#[test]
fn every_vendor_example_has_an_expectation_and_a_recorded_source() {
    let listed: BTreeSet<&str> = CATALOG.iter().copied().collect();
    assert_eq!(listed.len(), CATALOG.len(), "a file is listed twice");
    let mut on_disk = BTreeSet::new();
    for vendor in VENDORS {
        let Ok(entries) = std::fs::read_dir(vendor_dir(vendor)) else {
            continue;
        };
        let sources = std::fs::read_to_string(format!("{}/SOURCES.md", vendor_dir(vendor)))
            .unwrap_or_else(|e| panic!("{vendor}/SOURCES.md: {e}"));
        for entry in entries {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name == "SOURCES.md" {
                continue;
            }
            assert!(
                sources.contains(&format!("`{name}`")),
                "{vendor}/{name} has no source in {vendor}/SOURCES.md"
            );
            on_disk.insert(format!("{vendor}/{name}"));
        }
    }
    let on_disk: BTreeSet<&str> = on_disk.iter().map(String::as_str).collect();
    let unchecked: Vec<&&str> = on_disk.difference(&listed).collect();
    assert!(
        unchecked.is_empty(),
        "examples with no expectation: {unchecked:?}"
    );
    let missing: Vec<&&str> = listed.difference(&on_disk).collect();
    assert!(
        missing.is_empty(),
        "expected examples not on disk: {missing:?}"
    );
}

//! Every fixture of a supported kind, sent unchanged and signed with the
//! integration's secret, is accepted and lands in `/api/v1/events` as expected.

use serde_json::Value;

use crate::helpers::{fixture, signed, spawn_app};

/// Delivers one fixture and returns the receipt and the stored events.
async fn deliver_fixture(
    kind: &str,
    file: &str,
    extra: &[(&'static str, &str)],
) -> (Value, Vec<Value>) {
    let app = spawn_app().await;
    let hook = app.integration(kind).await;
    let body = fixture(file);
    let mut headers = signed(kind, &hook.secret, &body);
    headers.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let receipt = app.deliver_ok(&hook, &headers, &body).await;
    assert_eq!(receipt["duplicate"], false, "{receipt}");
    let events = app.events(&format!("source={kind}")).await;
    let ids: Vec<&Value> = events.iter().map(|e| &e["id"]).collect();
    let receipt_ids: Vec<&Value> = receipt["event_ids"].as_array().unwrap().iter().collect();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort_by_key(|v| v.as_str().unwrap().to_owned());
    let mut sorted_receipt = receipt_ids.clone();
    sorted_receipt.sort_by_key(|v| v.as_str().unwrap().to_owned());
    assert_eq!(
        sorted_ids, sorted_receipt,
        "the receipt names the stored events"
    );
    (receipt, events)
}

/// occurred_at, kind, service, severity, correlation_key
type Expected<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str);

async fn check_fixture(
    kind: &str,
    file: &str,
    extra: &[(&'static str, &str)],
    expected: &[Expected<'_>],
) {
    let (receipt, events) = deliver_fixture(kind, file, extra).await;
    let got: Vec<String> = events
        .iter()
        .map(|e| {
            assert_eq!(e["source"], kind);
            assert!(!e["title"].as_str().unwrap().is_empty());
            format!(
                "{} {} {:?} {:?} {}",
                e["occurred_at"].as_str().unwrap(),
                e["kind"].as_str().unwrap(),
                e["service"].as_str(),
                e["severity"].as_str(),
                e["correlation_key"].as_str().unwrap(),
            )
        })
        .collect();
    let want: Vec<String> = expected
        .iter()
        .map(|(at, k, svc, sev, key)| format!("{at} {k} {svc:?} {sev:?} {key}"))
        .collect();
    assert_eq!(got, want, "{file}");
    if expected.is_empty() {
        assert!(receipt["ignored_reason"].is_string(), "{receipt}");
    }
}

/// One test per fixture file: its name, the integration kind, the file, extra
/// headers, and the events expected in `/api/v1/events`.
macro_rules! fixture_test {
    ($name:ident, $kind:literal, $file:literal, [$($extra:expr),*], [$($expected:expr),* $(,)?]) => {
        #[tokio::test]
        async fn $name() {
            check_fixture($kind, $file, &[$($extra),*], &[$($expected),*]).await;
        }
    };
}

fixture_test!(
    pagerduty_incident_triggered_opens_an_alert,
    "pagerduty",
    "pagerduty/v3.incident.triggered.json",
    [],
    [(
        "2021-06-04T13:35:29.781Z",
        "alert.triggered",
        Some("pig208"),
        Some("high"),
        "PFQZPSY",
    )]
);
fixture_test!(
    pagerduty_incident_acknowledged_is_an_acknowledgement,
    "pagerduty",
    "pagerduty/v3.incident.acknowledged.json",
    [],
    [(
        "2021-06-04T13:55:30.394Z",
        "alert.acknowledged",
        Some("pig208"),
        Some("high"),
        "PQ1K5C8",
    )]
);
fixture_test!(
    pagerduty_incident_resolved_is_a_resolution,
    "pagerduty",
    "pagerduty/v3.incident.resolved.json",
    [],
    [(
        "2021-06-04T13:16:53.816Z",
        "alert.resolved",
        Some("pig208"),
        Some("high"),
        "PCPZE64",
    )]
);
fixture_test!(
    pagerduty_incident_escalated_is_an_escalation,
    "pagerduty",
    "pagerduty/v3.incident.escalated.json",
    [],
    [(
        "2026-04-01T02:08:04.642Z",
        "alert.escalated",
        Some("Default Service"),
        Some("critical"),
        "Q3B15VLMF3ASBD",
    )]
);
fixture_test!(
    pagerduty_incident_note_is_an_annotation,
    "pagerduty",
    "pagerduty/v3.incident.annotated.json",
    [],
    [(
        "2026-04-01T02:18:59.674Z",
        "alert.annotated",
        None,
        None,
        "Q3B15VLMF3ASBD",
    )]
);
fixture_test!(
    pagerduty_priority_change_is_an_annotation,
    "pagerduty",
    "pagerduty/v3.incident.priority_updated.json",
    [],
    [(
        "2026-04-01T02:15:36.315Z",
        "alert.annotated",
        Some("Default Service"),
        Some("high"),
        "Q3B15VLMF3ASBD",
    )]
);
fixture_test!(
    pagerduty_status_update_is_an_annotation,
    "pagerduty",
    "pagerduty/v3.incident.status_update_published.json",
    [],
    [(
        "2026-04-01T02:17:41.211Z",
        "alert.annotated",
        None,
        None,
        "Q3B15VLMF3ASBD",
    )]
);
fixture_test!(
    alertmanager_firing_alert_triggers,
    "alertmanager",
    "alertmanager/firing.json",
    [],
    [(
        "2018-11-04T21:43:58.283995Z",
        "alert.triggered",
        None,
        Some("critical"),
        "{}:{alertname=\"Fire\"}",
    )]
);
fixture_test!(
    alertmanager_group_gives_one_event_per_alert,
    "alertmanager",
    "alertmanager/firing.two-alerts.json",
    [],
    [
        (
            "2020-02-06T00:17:58.432911Z",
            "alert.triggered",
            None,
            Some("critical"),
            "{}/{}:{}",
        ),
        (
            "2020-02-06T00:17:58.432911Z",
            "alert.triggered",
            None,
            Some("critical"),
            "{}/{}:{}",
        )
    ]
);
fixture_test!(
    alertmanager_resolved_alert_resolves,
    "alertmanager",
    "alertmanager/resolved.json",
    [],
    [(
        "2018-11-04T21:48:13.283995Z",
        "alert.resolved",
        None,
        Some("critical"),
        "{}:{alertname=\"Fire\"}",
    )]
);
fixture_test!(
    alertmanager_kubernetes_alert_resolves_with_its_service,
    "alertmanager",
    "alertmanager/resolved.k8s-with-fingerprint.json",
    [],
    [(
        "2022-07-29T11:17:27.300Z",
        "alert.resolved",
        Some("eric-pm-kube-state-metrics"),
        Some("medium"),
        "{}:{alertname=\"Deployment\"}",
    )]
);
fixture_test!(
    grafana_docs_example_gives_both_alerts,
    "grafana",
    "grafana/firing.docs-example.json",
    [],
    [
        (
            "2021-10-12T07:51:03.157076Z",
            "alert.triggered",
            None,
            None,
            "{}:{}",
        ),
        (
            "2021-10-12T07:56:03.157076Z",
            "alert.triggered",
            None,
            None,
            "{}:{}",
        )
    ]
);
fixture_test!(
    grafana_11_firing_alert_triggers,
    "grafana",
    "grafana/firing.v11-values.json",
    [],
    [(
        "2024-03-01T02:09:00Z",
        "alert.triggered",
        None,
        None,
        "{}/{debug=\"true\"}:{alertname=\"Memory (copy)\", grafana_folder=\"device\"}",
    )]
);
fixture_test!(
    grafana_9_resolved_alert_resolves,
    "grafana",
    "grafana/resolved.v9.json",
    [],
    [(
        "2022-06-17T00:51:24.067337Z",
        "alert.resolved",
        None,
        None,
        "{}/{test=\"true\"}:{}",
    )]
);
fixture_test!(
    opsgenie_create_triggers,
    "opsgenie",
    "opsgenie/create.json",
    [],
    [(
        "2017-08-14T11:25:56.288Z",
        "alert.triggered",
        Some("Server"),
        Some("medium"),
        "ec03dad6-62c8-4c94-b38b-d88f398e900f",
    )]
);
fixture_test!(
    opsgenie_acknowledge_acknowledges,
    "opsgenie",
    "opsgenie/acknowledge.json",
    [],
    [(
        "2015-01-05T10:03:44.764002Z",
        "alert.acknowledged",
        None,
        None,
        "052652ac-5d1c-464a-812a-7dd18bbfba8c",
    )]
);
fixture_test!(
    opsgenie_close_resolves,
    "opsgenie",
    "opsgenie/close.json",
    [],
    [(
        "2015-01-05T10:06:14.669001Z",
        "alert.resolved",
        None,
        None,
        "052652ac-5d1c-464a-812a-7dd18bbfba8c",
    )]
);
fixture_test!(
    datadog_default_payload_triggers,
    "datadog",
    "datadog/default-payload.triggered.json",
    [],
    [(
        "2020-06-03T20:43:05Z",
        "alert.triggered",
        None,
        Some("high"),
        "18692904",
    )]
);
fixture_test!(
    github_deployment_starts_a_deploy,
    "github",
    "github/deployment.json",
    [("X-GitHub-Event", "deployment")],
    [(
        "2019-05-15T15:20:53Z",
        "deploy.started",
        Some("Hello-World"),
        None,
        "145988746",
    )]
);
fixture_test!(
    github_deployment_status_success_is_a_succeeded_deploy,
    "github",
    "github/deployment_status.json",
    [("X-GitHub-Event", "deployment_status")],
    [(
        "2019-05-15T15:20:55Z",
        "deploy.succeeded",
        Some("Hello-World"),
        None,
        "145988746",
    )]
);
fixture_test!(
    github_completed_workflow_run_is_a_succeeded_deploy,
    "github",
    "github/workflow_run.completed.json",
    [("X-GitHub-Event", "workflow_run")],
    [(
        "2020-10-05T16:33:49Z",
        "deploy.succeeded",
        Some("octo-repo"),
        None,
        "289782451",
    )]
);
fixture_test!(
    github_issue_opened_is_accepted_with_no_events,
    "github",
    "github/issues.opened.json",
    [("X-GitHub-Event", "issues")],
    []
);
fixture_test!(
    github_issue_reopened_is_accepted_with_no_events,
    "github",
    "github/issues.reopened.json",
    [("X-GitHub-Event", "issues")],
    []
);
fixture_test!(
    github_issue_edited_is_accepted_with_no_events,
    "github",
    "github/issues.edited.json",
    [("X-GitHub-Event", "issues")],
    []
);
fixture_test!(
    github_issue_assigned_is_accepted_with_no_events,
    "github",
    "github/issues.assigned.json",
    [("X-GitHub-Event", "issues")],
    []
);
fixture_test!(
    github_issue_closed_is_accepted_with_no_events,
    "github",
    "github/issues.closed.json",
    [("X-GitHub-Event", "issues")],
    []
);
fixture_test!(
    gitlab_successful_deployment_with_its_non_rfc3339_time,
    "gitlab",
    "gitlab/deployment.success.json",
    [("X-Gitlab-Event", "Deployment Hook")],
    [(
        "2025-05-02T11:55:16Z",
        "deploy.succeeded",
        Some("test"),
        None,
        "988572802",
    )]
);
fixture_test!(
    gitlab_failed_deployment_is_a_failed_deploy,
    "gitlab",
    "gitlab/deployment.failed.json",
    [("X-Gitlab-Event", "Deployment Hook")],
    [(
        "2025-05-02T12:30:19Z",
        "deploy.failed",
        Some("test"),
        None,
        "988604916",
    )]
);
fixture_test!(
    sentry_new_issue_triggers,
    "sentry",
    "sentry/issue.created.json",
    [],
    [(
        "2020-04-28T13:56:05.903736Z",
        "alert.triggered",
        Some("zulip-integration-testing"),
        Some("high"),
        "1635244907",
    )]
);
fixture_test!(
    sentry_resolved_issue_resolves,
    "sentry",
    "sentry/issue.resolved.json",
    [],
    [(
        "2020-04-30T05:54:15.092476Z",
        "alert.resolved",
        Some("zulip-integration-testing"),
        Some("high"),
        "1638821441",
    )]
);
fixture_test!(
    pagerduty_ping_is_acknowledged_with_no_events,
    "pagerduty",
    "pagerduty/v3.pagey.ping.json",
    [],
    []
);
fixture_test!(
    jira_status_change_is_accepted_with_no_events,
    "jira",
    "jira/issue_updated.status.json",
    [],
    []
);
fixture_test!(
    jira_assignee_change_is_accepted_with_no_events,
    "jira",
    "jira/issue_updated.assignee.json",
    [],
    []
);

//! Tracker clients against wiremock servers that answer as the real APIs do.

mod github;
mod github_schema;
mod gitlab;
mod http;
mod jira;
mod linear;
mod schema;

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::Value;
use uuid::Uuid;
use wiremock::{MockServer, Request};

use super::{Assignee, Credentials, IssueSpec, Priority, Status, TrackerConfig, TrackerKind};

/// The outbound client with the mock servers' loopback allow-listed.
fn loopback() -> reqwest::Client {
    crate::outbound::client(&["127.0.0.1/32".parse().unwrap()]).unwrap()
}

/// A config pointing at the mock server (plain http, so insecure http is allowed).
fn config(kind: TrackerKind, server: &MockServer) -> TrackerConfig {
    let credentials = match kind {
        TrackerKind::Jira => Credentials::Basic {
            email: "bot@example.com".into(),
            api_token: "jira-token".into(),
        },
        TrackerKind::Github => Credentials::Bearer {
            token: "ghp_test".into(),
        },
        TrackerKind::Gitlab => Credentials::Bearer {
            token: "glpat-test".into(),
        },
        TrackerKind::Linear => Credentials::Bearer {
            token: "lin_api_test".into(),
        },
    };
    let mut config = TrackerConfig::new(kind, server.uri(), credentials);
    config.allow_insecure_http = true;
    config.request_timeout = Duration::from_secs(2);
    config.project_key = Some("OPS".into());
    config.owner = Some("acme".into());
    config.repo = Some("web".into());
    config.project_id = Some("42".into());
    config.team_id = Some("team-1".into());
    config
}

fn owner() -> Assignee {
    Assignee {
        name: "Ada Lovelace".into(),
        jira_account_id: Some("5b10a2844c20165700ede21g".into()),
        jira_username: Some("ada".into()),
        github_login: Some("ada".into()),
        gitlab_user_id: Some("7".into()),
        linear_user_id: Some("user-ada".into()),
    }
}

fn spec() -> IssueSpec {
    IssueSpec {
        item_id: Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef),
        title: "Alert when checkout success rate drops".into(),
        description_markdown: "Add an alert on lack of success.\n\nSee [the post-mortem](https://hindsight.example.com/pm/1)."
            .into(),
        assignee: Some(owner()),
        due_date: NaiveDate::from_ymd_opt(2025, 7, 1),
        priority: Some(Priority::P2),
        labels: vec!["detection".into()],
        status: Status::Open,
    }
}

/// The JSON bodies the server received for `method` on `path`, in order.
async fn bodies(server: &MockServer, method: &str, path: &str) -> Vec<Value> {
    requests(server, method, path)
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

async fn requests(server: &MockServer, method: &str, path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == method && r.url.path() == path)
        .collect()
}

/// A title of 334 characters over two lines, as hindsight accepts (up to 500).
fn long_title() -> String {
    format!(
        "Alert when checkout success rate drops\nfor {}",
        "card payments in every region ".repeat(10)
    )
}

/// What [`long_title`] becomes within `limit`: one line, cut, an ellipsis.
fn long_title_within(limit: usize) -> String {
    let one_line = long_title()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let cut: String = one_line.chars().take(limit - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The description a shortened title leads with.
fn full_title_line() -> String {
    let one_line = long_title()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    format!("Full title: {one_line}")
}

/// A `title` the vendor refuses: longer than `limit` characters (code points,
/// as Ruby and Java count these ASCII titles) or, for Jira, on several lines.
fn refused(title: &str, limit: usize, one_line: bool) -> bool {
    title.chars().count() > limit || (one_line && title.contains(['\n', '\r']))
}

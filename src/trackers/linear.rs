//! Linear client (GraphQL). The issue id is the action item id, so the marker is the id itself.

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::http::{Auth, Effect, Http, TrackerError};
use super::{
    Credentials, ExternalIssue, IssueSpec, Priority, Status, TrackerConfig, unique_user_for_email,
};

const ISSUE_FIELDS: &str =
    "id identifier url updatedAt dueDate assignee { id } state { name type }";

pub struct LinearClient {
    http: Http,
    team_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Issue {
    id: String,
    identifier: String,
    url: String,
    updated_at: Option<DateTime<Utc>>,
    due_date: Option<NaiveDate>,
    assignee: Option<Node>,
    state: Option<State>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
}

#[derive(Deserialize)]
struct State {
    #[serde(default)]
    id: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    position: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection<T> {
    nodes: Vec<T>,
    page_info: Option<PageInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    email: Option<String>,
}

impl LinearClient {
    pub fn new(config: &TrackerConfig, client: &reqwest::Client) -> Result<Self, TrackerError> {
        let Credentials::Bearer { token } = &config.credentials else {
            return Err(TrackerError::Config(
                "Linear needs an API key credential".into(),
            ));
        };
        // Personal API keys go bare; OAuth access tokens take the Bearer scheme.
        let auth = if token.starts_with("lin_api_") {
            Auth::Raw(token.clone())
        } else {
            Auth::Bearer(token.clone())
        };
        Ok(Self {
            http: Http::new(config.base_url_or_default()?, config, auth, client)?,
            team_id: config.required(&config.team_id, "team_id")?.to_owned(),
        })
    }

    fn graphql_url(&self) -> Result<Url, TrackerError> {
        self.http.url(&["graphql"])
    }

    async fn query<T: for<'de> Deserialize<'de>>(
        &self,
        query: &str,
        variables: Value,
        pointer: &str,
        effect: Effect,
    ) -> Result<T, TrackerError> {
        let data = self
            .http
            .graphql(self.graphql_url()?, query, variables, effect)
            .await?;
        let value = data.pointer(pointer).cloned().unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| {
            let message = format!("unexpected Linear answer at {pointer}: {e}");
            match effect {
                Effect::Create => TrackerError::Unknown { message },
                Effect::Repeatable => TrackerError::Permanent {
                    status: 200,
                    message,
                },
            }
        })
    }

    pub async fn create_issue(&self, spec: &IssueSpec) -> Result<ExternalIssue, TrackerError> {
        let mut input = self.content_input(spec, true)?;
        input["id"] = json!(spec.item_id);
        input["teamId"] = json!(self.team_id);
        if spec.status != Status::Open {
            input["stateId"] = json!(self.state_for(spec.status).await?.id);
        }
        let query = format!(
            "mutation($input: IssueCreateInput!) {{ issueCreate(input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }} }}"
        );
        let issue: Issue = self
            .query(
                &query,
                json!({ "input": input }),
                "/issueCreate/issue",
                Effect::Create,
            )
            .await?;
        Ok(external(issue))
    }

    /// Title, description, assignee, due date and priority; on edits an absent assignee or
    /// due date is cleared.
    fn content_input(&self, spec: &IssueSpec, creating: bool) -> Result<Value, TrackerError> {
        let mut input = json!({ "title": spec.title, "description": spec.description_markdown });
        let assignee = spec
            .assignee
            .as_ref()
            .map(|a| a.identity(&a.linear_user_id, "Linear user id"))
            .transpose()?;
        if assignee.is_some() || !creating {
            input["assigneeId"] = json!(assignee);
        }
        let due = spec.due_date.map(|d| d.format("%Y-%m-%d").to_string());
        if due.is_some() || !creating {
            input["dueDate"] = json!(due);
        }
        if let Some(priority) = spec.priority {
            input["priority"] = json!(priority_number(priority));
        }
        Ok(input)
    }

    pub async fn update_issue(&self, key: &str, spec: &IssueSpec) -> Result<(), TrackerError> {
        self.issue_update(key, self.content_input(spec, false)?)
            .await
    }

    async fn issue_update(&self, key: &str, input: Value) -> Result<(), TrackerError> {
        let query = "mutation($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success } }";
        let success: bool = self
            .query(
                query,
                json!({ "id": key, "input": input }),
                "/issueUpdate/success",
                Effect::Repeatable,
            )
            .await?;
        if success {
            Ok(())
        } else {
            Err(TrackerError::Permanent {
                status: 200,
                message: format!("Linear did not update {key}"),
            })
        }
    }

    pub async fn set_status(&self, key: &str, status: Status) -> Result<(), TrackerError> {
        let current = self.get_issue(key).await?;
        if current.status_category == status {
            return Ok(());
        }
        let state = self.state_for(status).await?;
        self.issue_update(key, json!({ "stateId": state.id })).await
    }

    /// The team's first workflow state (by position) of the type that means `status`.
    async fn state_for(&self, status: Status) -> Result<State, TrackerError> {
        let query = "query($team: String!) { team(id: $team) { states { nodes { id name type position } } } }";
        let states: Connection<State> = self
            .query(
                query,
                json!({ "team": self.team_id }),
                "/team/states",
                Effect::Repeatable,
            )
            .await?;
        let wanted: &[&str] = match status {
            Status::Open => &["unstarted", "backlog", "triage"],
            Status::InProgress => &["started"],
            Status::Done => &["completed"],
            Status::WontDo => &["canceled"],
        };
        let mut states = states.nodes;
        states.sort_by(|a, b| a.position.total_cmp(&b.position));
        wanted
            .iter()
            .find_map(|kind| states.iter().position(|s| s.kind == *kind))
            .map(|i| states.swap_remove(i))
            .ok_or_else(|| {
                TrackerError::Setup(format!(
                    "the Linear team has no workflow state of type {} for {status:?}",
                    wanted.join("/")
                ))
            })
    }

    pub async fn get_issue(&self, key: &str) -> Result<ExternalIssue, TrackerError> {
        let query = format!("query($id: String!) {{ issue(id: $id) {{ {ISSUE_FIELDS} }} }}");
        let issue: Issue = self
            .query(&query, json!({ "id": key }), "/issue", Effect::Repeatable)
            .await?;
        Ok(external(issue))
    }

    /// Filters on the id we chose at create time, which answers an empty list (not an error)
    /// when the create never landed.
    pub async fn find_by_marker(
        &self,
        item_id: Uuid,
    ) -> Result<Option<ExternalIssue>, TrackerError> {
        let query = format!(
            "query($id: ID!) {{ issues(filter: {{ id: {{ eq: $id }} }}, first: 1) {{ nodes {{ {ISSUE_FIELDS} }} }} }}"
        );
        let found: Connection<Issue> = self
            .query(
                &query,
                json!({ "id": item_id }),
                "/issues",
                Effect::Repeatable,
            )
            .await?;
        Ok(found.nodes.into_iter().next().map(external))
    }

    pub async fn list_updated_since(
        &self,
        since: DateTime<Utc>,
        keys: &[String],
    ) -> Result<Vec<ExternalIssue>, TrackerError> {
        let query = format!(
            "query($team: ID!, $since: DateTimeOrDuration!, $after: String) {{ issues(filter: {{ team: {{ id: {{ eq: $team }} }}, updatedAt: {{ gte: $since }} }}, first: 100, after: $after) {{ nodes {{ {ISSUE_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        );
        let mut issues = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let variables =
                json!({ "team": self.team_id, "since": since.to_rfc3339(), "after": after });
            let page: Connection<Issue> = self
                .query(&query, variables, "/issues", Effect::Repeatable)
                .await?;
            issues.extend(page.nodes.into_iter().map(external));
            match page.page_info {
                Some(PageInfo {
                    has_next_page: true,
                    end_cursor: Some(cursor),
                }) => after = Some(cursor),
                _ => break,
            }
        }
        if !keys.is_empty() {
            issues.retain(|i| keys.contains(&i.key));
        }
        Ok(issues)
    }

    pub async fn find_assignable_user_by_email(&self, email: &str) -> Result<String, TrackerError> {
        let query = "query($email: String!) { users(filter: { email: { eq: $email }, active: { eq: true } }) { nodes { id email } } }";
        let users: Connection<User> = self
            .query(
                query,
                json!({ "email": email }),
                "/users",
                Effect::Repeatable,
            )
            .await?;
        let candidates = users.nodes.into_iter().map(|u| (u.id, u.email)).collect();
        unique_user_for_email(email, candidates, "Linear")
    }
}

/// Linear: 0 none, 1 urgent, 2 high, 3 medium, 4 low.
fn priority_number(priority: Priority) -> u8 {
    match priority {
        Priority::P1 => 1,
        Priority::P2 => 2,
        Priority::P3 => 3,
        Priority::P4 => 4,
    }
}

fn external(issue: Issue) -> ExternalIssue {
    let status_category = match issue.state.as_ref().map(|s| s.kind.as_str()) {
        Some("completed") => Status::Done,
        Some("canceled") => Status::WontDo,
        Some("started") => Status::InProgress,
        _ => Status::Open,
    };
    ExternalIssue {
        key: issue.identifier,
        id: issue.id,
        url: issue.url,
        status_category,
        status_name: issue.state.map(|s| s.name),
        assignee: issue.assignee.map(|a| a.id),
        due_date: issue.due_date,
        updated_at: issue.updated_at,
    }
}

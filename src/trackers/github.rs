//! GitHub Issues client (REST 2022-11-28), with due dates in the body and optionally in a
//! Projects v2 date field, and one mutation at a time per token.

use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, HeaderMap};
use reqwest::{Method, RequestBuilder, Url};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::gate::MutationGate;
use super::http::{Auth, Effect, Http, TrackerError};
use super::{
    Credentials, ExternalIssue, IssueSpec, SHARED_LABEL, Status, TrackerConfig, body_with_marker,
    due_from_body, marker_label,
};

pub struct GithubClient {
    http: Http,
    owner: String,
    repo: String,
    token: String,
    gate: MutationGate,
    /// Projects v2 node id and date field id.
    due_field: Option<(String, String)>,
}

#[derive(Deserialize)]
struct Issue {
    id: u64,
    node_id: String,
    number: u64,
    html_url: String,
    state: String,
    state_reason: Option<String>,
    #[serde(default)]
    assignees: Vec<Login>,
    assignee: Option<Login>,
    body: Option<String>,
    updated_at: Option<DateTime<Utc>>,
    pull_request: Option<Value>,
}

#[derive(Deserialize)]
struct Login {
    login: String,
}

impl GithubClient {
    pub fn new(
        config: &TrackerConfig,
        gate: MutationGate,
        client: &reqwest::Client,
    ) -> Result<Self, TrackerError> {
        let Credentials::Bearer { token } = &config.credentials else {
            return Err(TrackerError::Config(
                "GitHub needs a token credential".into(),
            ));
        };
        let due_field = match (&config.github_project_id, &config.github_due_field_id) {
            (Some(project), Some(field))
                if !project.trim().is_empty() && !field.trim().is_empty() =>
            {
                Some((project.trim().to_owned(), field.trim().to_owned()))
            }
            _ => None,
        };
        Ok(Self {
            http: Http::new(
                config.base_url_or_default()?,
                config,
                Auth::Bearer(token.clone()),
                client,
            )?,
            owner: config.required(&config.owner, "owner")?.to_owned(),
            repo: config.required(&config.repo, "repo")?.to_owned(),
            token: token.clone(),
            gate,
            due_field,
        })
    }

    fn issues_url(&self, number: Option<&str>) -> Result<Url, TrackerError> {
        let mut segments = vec!["repos", self.owner.as_str(), self.repo.as_str(), "issues"];
        segments.extend(number);
        self.http.url(&segments)
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        self.http
            .request(method, url)
            .header(ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
    }

    /// Sends a mutation through the per-token gate.
    async fn mutate(&self, request: RequestBuilder, effect: Effect) -> Result<Issue, TrackerError> {
        let pass = self.gate.enter(&self.token).await?;
        let reply = self.http.send(request, effect).await;
        pass.leave().await;
        reply?.json(effect)
    }

    pub async fn create_issue(&self, spec: &IssueSpec) -> Result<ExternalIssue, TrackerError> {
        let labels = spec.labels_with_markers(|l| l.trim().to_owned());
        let mut body = json!({
            "title": spec.title,
            "body": body_with_marker(spec, true, true),
            "labels": labels,
        });
        if let Some(login) = self.login(spec)? {
            body["assignees"] = json!([login]);
        }
        let request = self
            .request(Method::POST, self.issues_url(None)?)
            .json(&body);
        let created = self.mutate(request, Effect::Create).await?;
        // The issue exists now: later steps must not turn this into an error, or the caller
        // would create it again.
        if let Err(e) = self.set_project_due_date(&created.node_id, spec).await {
            tracing::warn!(number = created.number, error = %e, "due date not set in the GitHub project");
        }
        external(created)
    }

    fn login(&self, spec: &IssueSpec) -> Result<Option<String>, TrackerError> {
        spec.assignee
            .as_ref()
            .map(|a| {
                a.identity(&a.github_login, "GitHub login")
                    .map(str::to_owned)
            })
            .transpose()
    }

    pub async fn update_issue(&self, key: &str, spec: &IssueSpec) -> Result<(), TrackerError> {
        let number = issue_number(key)?;
        let assignees: Vec<String> = self.login(spec)?.into_iter().collect();
        let body = json!({
            "title": spec.title,
            "body": body_with_marker(spec, true, true),
            "assignees": assignees,
        });
        let request = self
            .request(Method::PATCH, self.issues_url(Some(&number))?)
            .json(&body);
        let updated = self.mutate(request, Effect::Repeatable).await?;
        self.set_project_due_date(&updated.node_id, spec).await
    }

    pub async fn set_status(&self, key: &str, status: Status) -> Result<(), TrackerError> {
        let number = issue_number(key)?;
        let current = self.get_issue(&number).await?;
        let open = matches!(status, Status::Open | Status::InProgress);
        if current.status_category == status || (open && current.status_category == Status::Open) {
            return Ok(());
        }
        let body = match status {
            Status::Open | Status::InProgress => {
                json!({ "state": "open", "state_reason": "reopened" })
            }
            Status::Done => json!({ "state": "closed", "state_reason": "completed" }),
            Status::WontDo => json!({ "state": "closed", "state_reason": "not_planned" }),
        };
        let request = self
            .request(Method::PATCH, self.issues_url(Some(&number))?)
            .json(&body);
        self.mutate(request, Effect::Repeatable).await?;
        Ok(())
    }

    pub async fn get_issue(&self, key: &str) -> Result<ExternalIssue, TrackerError> {
        let number = issue_number(key)?;
        let request = self.request(Method::GET, self.issues_url(Some(&number))?);
        external(
            self.http
                .send(request, Effect::Repeatable)
                .await?
                .json(Effect::Repeatable)?,
        )
    }

    /// Lists issues by label (not the search API, which lags behind writes).
    pub async fn find_by_marker(
        &self,
        item_id: Uuid,
    ) -> Result<Option<ExternalIssue>, TrackerError> {
        let mut url = self.issues_url(None)?;
        url.query_pairs_mut()
            .append_pair("labels", &marker_label(item_id))
            .append_pair("state", "all")
            .append_pair("sort", "created")
            .append_pair("direction", "asc");
        let issues = self.list(url).await?;
        if issues.len() > 1 {
            tracing::warn!(%item_id, count = issues.len(), "several GitHub issues carry one marker");
        }
        Ok(issues.into_iter().next())
    }

    pub async fn list_updated_since(
        &self,
        since: DateTime<Utc>,
        keys: &[String],
    ) -> Result<Vec<ExternalIssue>, TrackerError> {
        let mut url = self.issues_url(None)?;
        url.query_pairs_mut()
            .append_pair("state", "all")
            .append_pair("labels", SHARED_LABEL)
            .append_pair(
                "since",
                &since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
        let mut issues = self.list(url).await?;
        if !keys.is_empty() {
            issues.retain(|i| keys.contains(&i.key));
        }
        Ok(issues)
    }

    /// Follows `Link: rel="next"` pages, but only on the API's own origin: the token must not
    /// travel to another host.
    async fn list(&self, first: Url) -> Result<Vec<ExternalIssue>, TrackerError> {
        let mut url = first;
        url.query_pairs_mut().append_pair("per_page", "100");
        let mut issues = Vec::new();
        loop {
            let reply = self
                .http
                .send(self.request(Method::GET, url), Effect::Repeatable)
                .await?;
            let page: Vec<Issue> = reply.json(Effect::Repeatable)?;
            for issue in page.into_iter().filter(|i| i.pull_request.is_none()) {
                issues.push(external(issue)?);
            }
            match next_link(&reply.headers)
                .filter(|next| next.origin() == self.http.base().origin())
            {
                Some(next) => url = next,
                None => return Ok(issues),
            }
        }
    }

    /// GitHub cannot find a user by a private email.
    pub async fn find_assignable_user_by_email(&self, email: &str) -> Result<String, TrackerError> {
        Err(TrackerError::Owner(format!(
            "GitHub cannot look up owner {email} by email: set their GitHub login on the person"
        )))
    }

    /// Adds the issue to the project (a no-op when it is there) and writes or clears the date.
    async fn set_project_due_date(
        &self,
        node_id: &str,
        spec: &IssueSpec,
    ) -> Result<(), TrackerError> {
        let Some((project, field)) = &self.due_field else {
            return Ok(());
        };
        let added = self
            .graphql(
                "mutation($project: ID!, $content: ID!) { addProjectV2ItemById(input: {projectId: $project, contentId: $content}) { item { id } } }",
                json!({ "project": project, "content": node_id }),
            )
            .await?;
        let item = added
            .pointer("/addProjectV2ItemById/item/id")
            .and_then(Value::as_str)
            .ok_or_else(|| TrackerError::Permanent {
                status: 200,
                message: "GitHub did not return the project item id".into(),
            })?;
        let variables = json!({ "project": project, "item": item, "field": field });
        match spec.due_date {
            Some(due) => {
                let mut variables = variables;
                variables["date"] = json!(due.format("%Y-%m-%d").to_string());
                self.graphql(
                    "mutation($project: ID!, $item: ID!, $field: ID!, $date: Date!) { updateProjectV2ItemFieldValue(input: {projectId: $project, itemId: $item, fieldId: $field, value: {date: $date}}) { projectV2Item { id } } }",
                    variables,
                )
                .await?;
            }
            None => {
                self.graphql(
                    "mutation($project: ID!, $item: ID!, $field: ID!) { clearProjectV2ItemFieldValue(input: {projectId: $project, itemId: $item, fieldId: $field}) { projectV2Item { id } } }",
                    variables,
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn graphql(&self, query: &str, variables: Value) -> Result<Value, TrackerError> {
        let url = graphql_url(self.http.base())?;
        let pass = self.gate.enter(&self.token).await?;
        let answer = self
            .http
            .graphql(url, query, variables, Effect::Repeatable)
            .await;
        pass.leave().await;
        answer
    }
}

/// `https://api.github.com/graphql`, or `/api/graphql` on GitHub Enterprise Server whose REST
/// root is `/api/v3`.
fn graphql_url(base: &Url) -> Result<Url, TrackerError> {
    let path = base.path().trim_end_matches('/');
    let graphql = match path.strip_suffix("/v3") {
        Some(api) => format!("{api}/graphql"),
        None => format!("{path}/graphql"),
    };
    base.join(&graphql)
        .map_err(|e| TrackerError::Config(format!("cannot derive the GraphQL URL: {e}")))
}

fn issue_number(key: &str) -> Result<String, TrackerError> {
    key.trim()
        .trim_start_matches('#')
        .parse::<u64>()
        .map(|n| n.to_string())
        .map_err(|_| TrackerError::Config(format!("{key:?} is not a GitHub issue number")))
}

fn external(issue: Issue) -> Result<ExternalIssue, TrackerError> {
    let status_category = match (issue.state.as_str(), issue.state_reason.as_deref()) {
        ("closed", Some("not_planned")) => Status::WontDo,
        ("closed", _) => Status::Done,
        _ => Status::Open,
    };
    let assignee = issue
        .assignees
        .into_iter()
        .next()
        .or(issue.assignee)
        .map(|a| a.login);
    Ok(ExternalIssue {
        key: issue.number.to_string(),
        id: issue.id.to_string(),
        url: issue.html_url,
        status_category,
        status_name: Some(issue.state),
        assignee,
        due_date: issue.body.as_deref().and_then(due_from_body),
        updated_at: issue.updated_at,
    })
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(headers: &HeaderMap) -> Option<Url> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| target.trim().trim_start_matches('<').trim_end_matches('>'))
            .and_then(|u| Url::parse(u).ok())
    })
}

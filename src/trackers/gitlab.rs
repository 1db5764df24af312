//! GitLab Issues client (REST v4).

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::http::{Auth, Effect, Http, TrackerError};
use super::{
    Credentials, ExternalIssue, IssueSpec, SHARED_LABEL, Status, TrackerConfig, body_with_marker,
    marker_label, unique_user_for_email,
};

/// GitLab issues only open and close; this label tells a won't-do close from a done one.
const WONT_DO_LABEL: &str = "wont-do";

pub struct GitlabClient {
    http: Http,
    project_id: String,
}

#[derive(Deserialize)]
struct Issue {
    id: u64,
    iid: u64,
    web_url: String,
    state: String,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    assignees: Vec<UserRef>,
    due_date: Option<NaiveDate>,
    updated_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct UserRef {
    id: u64,
}

#[derive(Deserialize)]
struct User {
    id: u64,
    email: Option<String>,
    public_email: Option<String>,
}

impl GitlabClient {
    pub fn new(config: &TrackerConfig, client: &reqwest::Client) -> Result<Self, TrackerError> {
        let Credentials::Bearer { token } = &config.credentials else {
            return Err(TrackerError::Config(
                "GitLab needs a token credential".into(),
            ));
        };
        Ok(Self {
            http: Http::new(
                config.base_url_or_default()?,
                config,
                Auth::Bearer(token.clone()),
                client,
            )?,
            project_id: config
                .required(&config.project_id, "project_id")?
                .to_owned(),
        })
    }

    /// `{base}/api/v4/...`, unless the base already ends with `/api/v4`.
    fn api(&self, rest: &[&str]) -> Result<Url, TrackerError> {
        let mut segments = Vec::new();
        if !self
            .http
            .base()
            .path()
            .trim_end_matches('/')
            .ends_with("/api/v4")
        {
            segments.extend(["api", "v4"]);
        }
        segments.extend_from_slice(rest);
        self.http.url(&segments)
    }

    fn issues_url(&self, iid: Option<&str>) -> Result<Url, TrackerError> {
        let mut rest = vec!["projects", self.project_id.as_str(), "issues"];
        rest.extend(iid);
        self.api(&rest)
    }

    pub async fn create_issue(&self, spec: &IssueSpec) -> Result<ExternalIssue, TrackerError> {
        // GitLab takes labels as one comma-separated string.
        let labels = spec.labels_with_markers(|l| l.replace(',', " ").trim().to_owned());
        let mut body = json!({
            "title": spec.title,
            "description": body_with_marker(spec, false, true),
            "labels": labels.join(","),
        });
        if let Some(id) = self.assignee_id(spec)? {
            body["assignee_ids"] = json!([id]);
        }
        if let Some(due) = spec.due_date {
            body["due_date"] = json!(due.format("%Y-%m-%d").to_string());
        }
        let request = self
            .http
            .request(Method::POST, self.issues_url(None)?)
            .json(&body);
        let created: Issue = self
            .http
            .send(request, Effect::Create)
            .await?
            .json(Effect::Create)?;
        Ok(external(created))
    }

    fn assignee_id(&self, spec: &IssueSpec) -> Result<Option<u64>, TrackerError> {
        let Some(assignee) = &spec.assignee else {
            return Ok(None);
        };
        let id = assignee.identity(&assignee.gitlab_user_id, "GitLab user id")?;
        id.parse().map(Some).map_err(|_| {
            TrackerError::Owner(format!(
                "owner {} has GitLab user id {id:?}, which is not a number",
                assignee.name
            ))
        })
    }

    pub async fn update_issue(&self, key: &str, spec: &IssueSpec) -> Result<(), TrackerError> {
        let iid = issue_iid(key)?;
        // An empty list unassigns; an empty due date clears it.
        let assignees: Vec<u64> = self.assignee_id(spec)?.into_iter().collect();
        let due = spec
            .due_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let body = json!({
            "title": spec.title,
            "description": body_with_marker(spec, false, true),
            "assignee_ids": assignees,
            "due_date": due,
        });
        let request = self
            .http
            .request(Method::PUT, self.issues_url(Some(&iid))?)
            .json(&body);
        self.http.send(request, Effect::Repeatable).await?;
        Ok(())
    }

    pub async fn set_status(&self, key: &str, status: Status) -> Result<(), TrackerError> {
        let iid = issue_iid(key)?;
        let current = self.get_issue(&iid).await?;
        let open = matches!(status, Status::Open | Status::InProgress);
        if current.status_category == status || (open && current.status_category == Status::Open) {
            return Ok(());
        }
        let body = match status {
            Status::Open | Status::InProgress => {
                json!({ "state_event": "reopen", "remove_labels": WONT_DO_LABEL })
            }
            Status::Done => json!({ "state_event": "close", "remove_labels": WONT_DO_LABEL }),
            Status::WontDo => json!({ "state_event": "close", "add_labels": WONT_DO_LABEL }),
        };
        let request = self
            .http
            .request(Method::PUT, self.issues_url(Some(&iid))?)
            .json(&body);
        self.http.send(request, Effect::Repeatable).await?;
        Ok(())
    }

    pub async fn get_issue(&self, key: &str) -> Result<ExternalIssue, TrackerError> {
        let iid = issue_iid(key)?;
        let request = self.http.request(Method::GET, self.issues_url(Some(&iid))?);
        let issue: Issue = self
            .http
            .send(request, Effect::Repeatable)
            .await?
            .json(Effect::Repeatable)?;
        Ok(external(issue))
    }

    pub async fn find_by_marker(
        &self,
        item_id: Uuid,
    ) -> Result<Option<ExternalIssue>, TrackerError> {
        let mut url = self.issues_url(None)?;
        url.query_pairs_mut()
            .append_pair("labels", &marker_label(item_id))
            .append_pair("state", "all")
            .append_pair("order_by", "created_at")
            .append_pair("sort", "asc");
        Ok(self.list(url).await?.into_iter().next())
    }

    pub async fn list_updated_since(
        &self,
        since: DateTime<Utc>,
        keys: &[String],
    ) -> Result<Vec<ExternalIssue>, TrackerError> {
        let mut url = self.issues_url(None)?;
        url.query_pairs_mut()
            .append_pair("labels", SHARED_LABEL)
            .append_pair("state", "all")
            .append_pair(
                "updated_after",
                &since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
        let mut issues = self.list(url).await?;
        if !keys.is_empty() {
            issues.retain(|i| keys.contains(&i.key));
        }
        Ok(issues)
    }

    /// Pages with `x-next-page`.
    async fn list(&self, first: Url) -> Result<Vec<ExternalIssue>, TrackerError> {
        let mut issues = Vec::new();
        let mut page = String::from("1");
        loop {
            let mut url = first.clone();
            url.query_pairs_mut()
                .append_pair("per_page", "100")
                .append_pair("page", &page);
            let reply = self
                .http
                .send(self.http.request(Method::GET, url), Effect::Repeatable)
                .await?;
            let batch: Vec<Issue> = reply.json(Effect::Repeatable)?;
            issues.extend(batch.into_iter().map(external));
            match reply
                .headers
                .get("x-next-page")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                Some(next) => page = next.to_owned(),
                None => return Ok(issues),
            }
        }
    }

    /// GitLab matches `search` against emails exactly; only admins see the email back.
    pub async fn find_assignable_user_by_email(&self, email: &str) -> Result<String, TrackerError> {
        let mut url = self.api(&["users"])?;
        url.query_pairs_mut()
            .append_pair("search", email)
            .append_pair("active", "true");
        let users: Vec<User> = self
            .http
            .send(self.http.request(Method::GET, url), Effect::Repeatable)
            .await?
            .json(Effect::Repeatable)?;
        let candidates = users
            .into_iter()
            .map(|u| {
                let visible = u.email.or(u.public_email).filter(|e| !e.is_empty());
                (u.id.to_string(), visible)
            })
            .collect();
        unique_user_for_email(email, candidates, "GitLab")
    }
}

fn issue_iid(key: &str) -> Result<String, TrackerError> {
    key.trim()
        .trim_start_matches('#')
        .parse::<u64>()
        .map(|n| n.to_string())
        .map_err(|_| TrackerError::Config(format!("{key:?} is not a GitLab issue iid")))
}

fn external(issue: Issue) -> ExternalIssue {
    let wont_do = issue.labels.iter().any(|l| l == WONT_DO_LABEL);
    let status_category = match (issue.state.as_str(), wont_do) {
        ("closed", true) => Status::WontDo,
        ("closed", false) => Status::Done,
        _ => Status::Open,
    };
    ExternalIssue {
        key: issue.iid.to_string(),
        id: issue.id.to_string(),
        url: issue.web_url,
        status_category,
        status_name: Some(issue.state),
        assignee: issue.assignees.first().map(|a| a.id.to_string()),
        due_date: issue.due_date,
        updated_at: issue.updated_at,
    }
}

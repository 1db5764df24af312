//! Jira Cloud (REST v3, ADF) and Jira Data Center (REST v2, plain text) client.

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::http::{Auth, Effect, Http, TrackerError};
use super::{
    Credentials, ExternalIssue, IssueSpec, JiraDialect, Priority, SHARED_LABEL, Status,
    TrackerConfig, adf, marker_label, unique_user_for_email,
};

/// Fields read back for every issue.
const FIELDS: [&str; 6] = [
    "summary",
    "status",
    "assignee",
    "duedate",
    "updated",
    "resolution",
];
/// Keys per `key in (...)` query: keeps the JQL short.
const KEYS_PER_QUERY: usize = 50;

pub struct JiraClient {
    http: Http,
    dialect: JiraDialect,
    project_key: String,
    issue_type: String,
}

#[derive(Deserialize)]
struct CreatedIssue {
    id: String,
    key: String,
}

#[derive(Deserialize)]
struct IssueBean {
    id: String,
    key: String,
    #[serde(default)]
    fields: IssueFields,
}

#[derive(Deserialize, Default)]
struct IssueFields {
    status: Option<Named>,
    assignee: Option<User>,
    duedate: Option<NaiveDate>,
    updated: Option<String>,
    resolution: Option<Named>,
}

#[derive(Deserialize)]
struct Named {
    name: Option<String>,
    #[serde(rename = "statusCategory")]
    status_category: Option<Category>,
}

#[derive(Deserialize)]
struct Category {
    key: Option<String>,
}

#[derive(Deserialize)]
struct User {
    #[serde(rename = "accountId")]
    account_id: Option<String>,
    name: Option<String>,
    #[serde(rename = "emailAddress")]
    email_address: Option<String>,
    #[serde(rename = "accountType")]
    account_type: Option<String>,
}

#[derive(Deserialize)]
struct SearchPage {
    #[serde(default)]
    issues: Vec<IssueBean>,
    #[serde(rename = "nextPageToken")]
    next_page_token: Option<String>,
    total: Option<u64>,
}

#[derive(Deserialize)]
struct Transitions {
    #[serde(default)]
    transitions: Vec<Transition>,
}

#[derive(Deserialize)]
struct Transition {
    id: String,
    #[serde(default)]
    name: String,
    to: Option<Named>,
    #[serde(default)]
    fields: Map<String, Value>,
}

impl JiraClient {
    pub fn new(config: &TrackerConfig, client: &reqwest::Client) -> Result<Self, TrackerError> {
        let auth = match &config.credentials {
            Credentials::Basic { email, api_token } => Auth::Basic {
                user: email.clone(),
                password: api_token.clone(),
            },
            Credentials::Bearer { token } => Auth::Bearer(token.clone()),
        };
        Ok(Self {
            http: Http::new(config.base_url_or_default()?, config, auth, client)?,
            dialect: config.jira_dialect,
            project_key: config
                .required(&config.project_key, "project_key")?
                .to_owned(),
            issue_type: config
                .issue_type
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .unwrap_or("Task")
                .to_owned(),
        })
    }

    fn api(&self, rest: &[&str]) -> Result<reqwest::Url, TrackerError> {
        let version = match self.dialect {
            JiraDialect::Cloud => "3",
            JiraDialect::DataCenter => "2",
        };
        let mut segments = vec!["rest", "api", version];
        segments.extend_from_slice(rest);
        self.http.url(&segments)
    }

    pub async fn create_issue(&self, spec: &IssueSpec) -> Result<ExternalIssue, TrackerError> {
        let mut fields = self.content_fields(spec, true)?;
        fields.insert("project".into(), json!({ "key": self.project_key }));
        fields.insert("issuetype".into(), json!({ "name": self.issue_type }));
        let labels = spec.labels_with_markers(jira_label);
        fields.insert("labels".into(), json!(labels));

        let request = self
            .http
            .request(Method::POST, self.api(&["issue"])?)
            .json(&json!({ "fields": fields }));
        let created: CreatedIssue = self
            .http
            .send(request, Effect::Create)
            .await?
            .json(Effect::Create)?;
        let issue = ExternalIssue {
            url: self.browse_url(&created.key)?,
            key: created.key,
            id: created.id,
            status_category: Status::Open,
            status_name: None,
            assignee: self.assignee_id(spec)?,
            due_date: spec.due_date,
            updated_at: None,
        };
        Ok(issue)
    }

    pub async fn update_issue(&self, key: &str, spec: &IssueSpec) -> Result<(), TrackerError> {
        let fields = self.content_fields(spec, false)?;
        let request = self
            .http
            .request(Method::PUT, self.api(&["issue", key])?)
            .json(&json!({ "fields": fields }));
        self.http.send(request, Effect::Repeatable).await?;
        Ok(())
    }

    /// Summary, description, assignee, due date and priority. On edits an absent assignee or
    /// due date is cleared; on creates it is left out.
    fn content_fields(
        &self,
        spec: &IssueSpec,
        creating: bool,
    ) -> Result<Map<String, Value>, TrackerError> {
        let mut fields = Map::new();
        fields.insert("summary".into(), json!(spec.title));
        let marker = format!("hindsight:{}", spec.item_id);
        let description = match self.dialect {
            JiraDialect::Cloud => adf::document(&spec.description_markdown, &marker),
            JiraDialect::DataCenter => json!(format!(
                "{}\n\n{marker}",
                spec.description_markdown.trim_end()
            )),
        };
        fields.insert("description".into(), description);
        match (self.assignee_id(spec)?, self.dialect) {
            (Some(id), JiraDialect::Cloud) => {
                fields.insert("assignee".into(), json!({ "accountId": id }));
            }
            (Some(name), JiraDialect::DataCenter) => {
                fields.insert("assignee".into(), json!({ "name": name }));
            }
            (None, _) if !creating => {
                fields.insert("assignee".into(), Value::Null);
            }
            (None, _) => {}
        }
        match spec.due_date {
            Some(due) => {
                fields.insert("duedate".into(), json!(due.format("%Y-%m-%d").to_string()));
            }
            None if !creating => {
                fields.insert("duedate".into(), Value::Null);
            }
            None => {}
        }
        if let Some(priority) = spec.priority {
            fields.insert(
                "priority".into(),
                json!({ "name": priority_name(priority) }),
            );
        }
        Ok(fields)
    }

    fn assignee_id(&self, spec: &IssueSpec) -> Result<Option<String>, TrackerError> {
        let Some(assignee) = &spec.assignee else {
            return Ok(None);
        };
        let id = match self.dialect {
            JiraDialect::Cloud => {
                assignee.identity(&assignee.jira_account_id, "Jira account id")?
            }
            JiraDialect::DataCenter => {
                assignee.identity(&assignee.jira_username, "Jira user name")?
            }
        };
        Ok(Some(id.to_owned()))
    }

    fn browse_url(&self, key: &str) -> Result<String, TrackerError> {
        Ok(self.http.url(&["browse", key])?.to_string())
    }

    pub async fn get_issue(&self, key: &str) -> Result<ExternalIssue, TrackerError> {
        let request = self
            .http
            .request(Method::GET, self.api(&["issue", key])?)
            .query(&[("fields", FIELDS.join(","))]);
        let bean: IssueBean = self
            .http
            .send(request, Effect::Repeatable)
            .await?
            .json(Effect::Repeatable)?;
        self.external(bean)
    }

    fn external(&self, bean: IssueBean) -> Result<ExternalIssue, TrackerError> {
        let f = bean.fields;
        let category = f
            .status
            .as_ref()
            .and_then(|s| s.status_category.as_ref())
            .and_then(|c| c.key.as_deref());
        let resolution = f.resolution.as_ref().and_then(|r| r.name.as_deref());
        let status_category = match category {
            Some("done") if resolution.is_some_and(means_wont_do) => Status::WontDo,
            Some("done") => Status::Done,
            Some("indeterminate") => Status::InProgress,
            _ => Status::Open,
        };
        let assignee = f.assignee.and_then(|u| match self.dialect {
            JiraDialect::Cloud => u.account_id,
            JiraDialect::DataCenter => u.name,
        });
        Ok(ExternalIssue {
            url: self.browse_url(&bean.key)?,
            key: bean.key,
            id: bean.id,
            status_category,
            status_name: f.status.and_then(|s| s.name),
            assignee,
            due_date: f.duedate,
            updated_at: f.updated.as_deref().and_then(parse_jira_time),
        })
    }

    pub async fn set_status(&self, key: &str, status: Status) -> Result<(), TrackerError> {
        let current = self.get_issue(key).await?;
        if current.status_category == status {
            return Ok(());
        }
        let request = self
            .http
            .request(Method::GET, self.api(&["issue", key, "transitions"])?)
            .query(&[("expand", "transitions.fields")]);
        let options: Transitions = self
            .http
            .send(request, Effect::Repeatable)
            .await?
            .json(Effect::Repeatable)?;
        let (transition, resolution) = choose_transition(&options.transitions, status).ok_or_else(|| {
            let names: Vec<&str> = options.transitions.iter().map(|t| t.name.as_str()).collect();
            TrackerError::Setup(format!(
                "Jira offers no transition from {} to a {status:?} status for {key} (available: {})",
                current.status_name.as_deref().unwrap_or("its status"),
                names.join(", ")
            ))
        })?;
        let mut body = json!({ "transition": { "id": transition.id } });
        if let Some(resolution) = resolution {
            body["fields"] = json!({ "resolution": { "name": resolution } });
        }
        let request = self
            .http
            .request(Method::POST, self.api(&["issue", key, "transitions"])?)
            .json(&body);
        self.http.send(request, Effect::Repeatable).await?;
        Ok(())
    }

    pub async fn find_by_marker(
        &self,
        item_id: Uuid,
    ) -> Result<Option<ExternalIssue>, TrackerError> {
        let jql = format!(
            "labels = {} ORDER BY created ASC",
            jql_string(&marker_label(item_id))
        );
        let page = self.search_page(&jql, None, 0).await?;
        if page.issues.len() > 1 {
            tracing::warn!(%item_id, count = page.issues.len(), "several Jira issues carry one marker");
        }
        page.issues
            .into_iter()
            .next()
            .map(|b| self.external(b))
            .transpose()
    }

    pub async fn list_updated_since(
        &self,
        since: DateTime<Utc>,
        keys: &[String],
    ) -> Result<Vec<ExternalIssue>, TrackerError> {
        // JQL dates are read in the API user's time zone, so ask for a relative window a minute
        // wider than needed and filter exactly here.
        let minutes = (Utc::now() - since).num_minutes().max(0) + 1;
        let window = format!("updated >= \"-{minutes}m\"");
        let mut issues = Vec::new();
        if keys.is_empty() {
            let jql = format!(
                "project = {} AND labels = {SHARED_LABEL} AND {window} ORDER BY updated ASC",
                jql_string(&self.project_key)
            );
            issues.extend(self.search_all(&jql).await?);
        }
        for chunk in keys.chunks(KEYS_PER_QUERY) {
            issues.extend(self.search_keys(chunk.to_vec(), &window).await?);
        }
        issues.retain(|i| i.updated_at.is_none_or(|at| at >= since));
        Ok(issues)
    }

    /// Jira fails a whole `key in (...)` query when one key no longer exists (a deleted or
    /// moved issue) and names it: drop the keys it names and ask again.
    async fn search_keys(
        &self,
        mut keys: Vec<String>,
        window: &str,
    ) -> Result<Vec<ExternalIssue>, TrackerError> {
        while !keys.is_empty() {
            let list: Vec<String> = keys.iter().map(|k| jql_string(k)).collect();
            let jql = format!(
                "key in ({}) AND {window} ORDER BY updated ASC",
                list.join(", ")
            );
            match self.search_all(&jql).await {
                Err(TrackerError::Permanent {
                    status: 400,
                    message,
                }) => {
                    let before = keys.len();
                    keys.retain(|k| !message.contains(&format!("'{k}'")));
                    if keys.len() == before {
                        return Err(TrackerError::Permanent {
                            status: 400,
                            message,
                        });
                    }
                    tracing::info!(%message, "Jira no longer knows some synced issues");
                }
                other => return other,
            }
        }
        Ok(Vec::new())
    }

    async fn search_all(&self, jql: &str) -> Result<Vec<ExternalIssue>, TrackerError> {
        let mut issues = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .search_page(jql, token.as_deref(), issues.len())
                .await?;
            let fetched = page.issues.len();
            for bean in page.issues {
                issues.push(self.external(bean)?);
            }
            token = match self.dialect {
                JiraDialect::Cloud => page.next_page_token,
                JiraDialect::DataCenter => {
                    let more = page.total.is_some_and(|t| (issues.len() as u64) < t);
                    (more && fetched > 0).then(String::new)
                }
            };
            if token.is_none() {
                return Ok(issues);
            }
        }
    }

    /// Cloud: POST /rest/api/3/search/jql (token pages); Data Center: POST /rest/api/2/search.
    async fn search_page(
        &self,
        jql: &str,
        token: Option<&str>,
        start_at: usize,
    ) -> Result<SearchPage, TrackerError> {
        let (url, mut body) = match self.dialect {
            JiraDialect::Cloud => (
                self.api(&["search", "jql"])?,
                json!({ "jql": jql, "fields": FIELDS, "maxResults": 100 }),
            ),
            JiraDialect::DataCenter => (
                self.api(&["search"])?,
                json!({ "jql": jql, "fields": FIELDS, "maxResults": 100, "startAt": start_at }),
            ),
        };
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            body["nextPageToken"] = json!(token);
        }
        let request = self.http.request(Method::POST, url).json(&body);
        self.http
            .send(request, Effect::Repeatable)
            .await?
            .json(Effect::Repeatable)
    }

    /// Cloud: the account id; Data Center: the user name.
    pub async fn find_assignable_user_by_email(&self, email: &str) -> Result<String, TrackerError> {
        let param = match self.dialect {
            JiraDialect::Cloud => "query",
            JiraDialect::DataCenter => "username",
        };
        let request = self
            .http
            .request(Method::GET, self.api(&["user", "assignable", "search"])?)
            .query(&[
                ("project", self.project_key.as_str()),
                (param, email),
                ("maxResults", "50"),
            ]);
        let users: Vec<User> = self
            .http
            .send(request, Effect::Repeatable)
            .await?
            .json(Effect::Repeatable)?;
        let candidates = users
            .into_iter()
            // App and customer accounts cannot own work.
            .filter(|u| u.account_type.as_deref().is_none_or(|t| t == "atlassian"))
            .filter_map(|u| {
                let id = match self.dialect {
                    JiraDialect::Cloud => u.account_id,
                    JiraDialect::DataCenter => u.name,
                }?;
                Some((id, u.email_address))
            })
            .collect();
        unique_user_for_email(email, candidates, "Jira")
    }
}

/// The transition into the target status category, whatever the workflow calls it, and for
/// won't-do the resolution to set when the transition itself does not say it.
fn choose_transition(
    transitions: &[Transition],
    status: Status,
) -> Option<(&Transition, Option<String>)> {
    let into = |key: &'static str| {
        transitions
            .iter()
            .filter(move |t| category_of(t) == Some(key))
    };
    let names_wont_do = |t: &Transition| {
        means_wont_do(&t.name)
            || t.to
                .as_ref()
                .and_then(|to| to.name.as_deref())
                .is_some_and(means_wont_do)
    };
    match status {
        Status::Open => into("new").next().map(|t| (t, None)),
        Status::InProgress => into("indeterminate").next().map(|t| (t, None)),
        Status::Done => into("done").find(|t| !names_wont_do(t)).map(|t| (t, None)),
        Status::WontDo => into("done")
            .find(|t| names_wont_do(t))
            .map(|t| (t, None))
            .or_else(|| into("done").next().map(|t| (t, wont_do_resolution(t)))),
    }
}

fn category_of(transition: &Transition) -> Option<&str> {
    transition
        .to
        .as_ref()
        .and_then(|to| to.status_category.as_ref())
        .and_then(|c| c.key.as_deref())
}

fn wont_do_resolution(transition: &Transition) -> Option<String> {
    transition
        .fields
        .get("resolution")?
        .get("allowedValues")?
        .as_array()?
        .iter()
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .find(|name| means_wont_do(name))
        .map(str::to_owned)
}

/// "Won't Do", "Declined", "Not planned", "Cancelled"...
fn means_wont_do(name: &str) -> bool {
    let name: String = name
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '\'' | '\u{2019}'))
        .collect();
    [
        "wont do",
        "wont fix",
        "declin",
        "not planned",
        "cancel",
        "reject",
        "abandon",
    ]
    .iter()
    .any(|k| name.contains(k))
}

fn priority_name(priority: Priority) -> &'static str {
    match priority {
        Priority::P1 => "Highest",
        Priority::P2 => "High",
        Priority::P3 => "Medium",
        Priority::P4 => "Low",
    }
}

/// Jira labels cannot hold spaces.
fn jira_label(label: &str) -> String {
    label.split_whitespace().collect::<Vec<_>>().join("-")
}

/// A JQL string literal: quoted, with quotes and backslashes escaped.
fn jql_string(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Jira timestamps look like `2024-05-01T10:00:00.000+0000`.
fn parse_jira_time(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(value))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

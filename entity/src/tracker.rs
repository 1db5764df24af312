//! A connected issue tracker: a Jira project, GitHub repository, GitLab project or
//! Linear team.

use sea_orm::entity::prelude::*;

use crate::{JiraDialect, TrackerKind};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trackers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: TrackerKind,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub base_url: String,
    pub project_key: Option<String>,
    pub issue_type: Option<String>,
    pub jira_dialect: JiraDialect,
    pub owner: Option<String>,
    pub repo: Option<String>,
    pub github_project_id: Option<String>,
    pub github_due_field_id: Option<String>,
    pub project_id: Option<String>,
    pub team_id: Option<String>,
    /// The tracker user hindsight writes as: changes made by it are our own echoes.
    pub api_user: Option<String>,
    /// AES-256-GCM, base64 of nonce || ciphertext; never leaves the server.
    #[sea_orm(column_type = "Text")]
    pub credentials: String,
    pub is_default: bool,
    pub allow_insecure_http: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

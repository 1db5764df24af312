//! A person who can own action items, take part in or review a post-mortem.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "people")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub display_name: String,
    #[sea_orm(unique)]
    pub email: String,
    pub team: Option<String>,
    pub role_title: Option<String>,
    pub joined_on: Option<Date>,
    pub jira_account_id: Option<String>,
    pub github_login: Option<String>,
    pub gitlab_user_id: Option<String>,
    pub linear_user_id: Option<String>,
    /// SHA-256 of the person's calendar feed token; the token itself is never stored.
    pub calendar_token_hash: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("people")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(string("display_name"))
                    .col(string_uniq("email"))
                    .col(string_null("team"))
                    .col(string_null("role_title"))
                    .col(date_null("joined_on"))
                    .col(string_null("jira_account_id"))
                    .col(string_null("github_login"))
                    .col(string_null("gitlab_user_id"))
                    .col(string_null("linear_user_id"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("people").to_owned())
            .await
    }
}

//! An action item's sync failure in two parts: a neutral reason that names the
//! owner only by reference (`{owner}`), for every reader, and the tracker's own
//! words, which can name anyone, for admins.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("action_items")
                    .add_column(text_null("last_sync_reason"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("action_items")
                    .drop_column("last_sync_reason")
                    .to_owned(),
            )
            .await
    }
}

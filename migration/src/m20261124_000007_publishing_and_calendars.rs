//! Publishing records who published and why an admin overrode the review;
//! recurring action items and per-person calendar feed tokens.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, column definition): SQLite alters one column per statement.
fn columns() -> Vec<(&'static str, ColumnDef)> {
    vec![
        ("postmortems", text_null("publish_override_reason")),
        ("postmortems", string_null("published_by")),
        ("action_items", string_null("recurrence")),
        ("people", string_null("calendar_token_hash")),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, mut column) in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_people_calendar_token_hash")
                    .table("people")
                    .col("calendar_token_hash")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_people_calendar_token_hash")
                    .table("people")
                    .to_owned(),
            )
            .await?;
        for (table, column) in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(column.get_column_name())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

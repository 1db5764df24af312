//! What timeline pre-fill needs: a post-mortem's incident references, the
//! entries users deleted (so they stay deleted), and one entry per event.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn belongs_to_postmortem(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, "postmortem_id")
        .to("postmortems", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("postmortem_incident_refs")
                    .if_not_exists()
                    .col(uuid("postmortem_id"))
                    .col(string("incident_ref"))
                    .col(integer("position"))
                    .primary_key(Index::create().col("postmortem_id").col("incident_ref"))
                    .foreign_key(&mut belongs_to_postmortem("postmortem_incident_refs"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_postmortem_incident_refs_ref")
                    .table("postmortem_incident_refs")
                    .col("incident_ref")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("prefill_tombstones")
                    .if_not_exists()
                    .col(uuid("postmortem_id"))
                    .col(uuid("event_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("postmortem_id").col("event_id"))
                    .foreign_key(&mut belongs_to_postmortem("prefill_tombstones"))
                    .to_owned(),
            )
            .await?;
        // Manual entries have no event (NULL), and NULLs never collide.
        manager
            .create_index(
                Index::create()
                    .name("uq_timeline_entries_event")
                    .table("timeline_entries")
                    .col("postmortem_id")
                    .col("event_id")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("uq_timeline_entries_event")
                    .table("timeline_entries")
                    .to_owned(),
            )
            .await?;
        for table in ["prefill_tombstones", "postmortem_incident_refs"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

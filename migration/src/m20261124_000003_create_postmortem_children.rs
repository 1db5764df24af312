//! Participants, timeline entries, causes and action items: everything that hangs
//! off a post-mortem and goes when it goes.

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
                    .table("participants")
                    .if_not_exists()
                    .col(uuid("postmortem_id"))
                    .col(uuid("person_id"))
                    .col(string_len("role", 16))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("postmortem_id").col("person_id"))
                    .foreign_key(&mut belongs_to_postmortem("participants"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("participants", "person_id")
                            .to("people", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("timeline_entries")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("postmortem_id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(string_len("kind", 64))
                    .col(string_len("source", 32))
                    .col(string("title"))
                    .col(text("description"))
                    .col(text_null("link"))
                    .col(string_null("service"))
                    .col(uuid_null("event_id"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut belongs_to_postmortem("timeline_entries"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_timeline_entries_postmortem_occurred")
                    .table("timeline_entries")
                    .col("postmortem_id")
                    .col("occurred_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("causes")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("postmortem_id"))
                    .col(string_len("area", 16))
                    .col(text("description"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut belongs_to_postmortem("causes"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_causes_postmortem")
                    .table("causes")
                    .col("postmortem_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("action_items")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("postmortem_id"))
                    .col(uuid_null("cause_id"))
                    .col(string_len_null("area", 16))
                    .col(string("title"))
                    .col(text("description"))
                    .col(uuid_null("owner_id"))
                    .col(date_null("due_date"))
                    .col(string_len_null("priority", 8))
                    .col(string_len("status", 16))
                    .col(uuid_null("tracker_id"))
                    .col(string_null("external_key"))
                    .col(text_null("external_url"))
                    .col(string_len("sync_state", 16))
                    .col(text_null("last_sync_error"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut belongs_to_postmortem("action_items"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("action_items", "cause_id")
                            .to("causes", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("action_items", "owner_id")
                            .to("people", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_action_items_postmortem", "postmortem_id"),
            ("idx_action_items_owner", "owner_id"),
            ("idx_action_items_due_date", "due_date"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("action_items")
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["action_items", "causes", "timeline_entries", "participants"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

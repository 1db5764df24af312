//! What replicas on one database must agree on: a check value of each key the
//! database was set up with (a replica with another key refuses to start), the
//! pauses a tracker asked for (`Retry-After`, reset headers), and whose turn it
//! is to send a GitHub mutation for a token.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("key_checks")
                    .if_not_exists()
                    .col(string_len("name", 32).primary_key())
                    .col(string_len("check_value", 128))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("tracker_pauses")
                    .if_not_exists()
                    .col(pk_uuid("tracker_id"))
                    .col(timestamp_with_time_zone("paused_until"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tracker_pauses_tracker")
                            .from("tracker_pauses", "tracker_id")
                            .to("trackers", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("mutation_turns")
                    .if_not_exists()
                    .col(string_len("gate_key", 80).primary_key())
                    .col(string_len_null("holder", 64))
                    .col(timestamp_with_time_zone_null("held_until"))
                    .col(timestamp_with_time_zone_null("last_ended_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["mutation_turns", "tracker_pauses", "key_checks"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

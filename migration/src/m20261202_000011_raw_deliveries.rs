//! Every verified delivery is kept, readable or not: its state (`processed`,
//! `ignored`, `unparsed`) and why, and when its raw body was dropped (bodies
//! are kept for a shorter time than the keys that dedupe retries). An event
//! says whether its time is the source's own or, when the body had none, the
//! time it arrived.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            string_len("state", 16).default("processed").to_owned(),
            text_null("reason"),
            timestamp_with_time_zone_null("body_pruned_at"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("webhook_deliveries")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_integration_received")
                    .table("webhook_deliveries")
                    .col("integration_id")
                    .col("received_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_events_delivery")
                    .table("events")
                    .col("delivery_id")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("events")
                    .add_column(string_len("time_source", 16).default("source"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("events")
                    .drop_column("time_source")
                    .to_owned(),
            )
            .await?;
        for (index, table) in [
            ("idx_events_delivery", "events"),
            (
                "idx_webhook_deliveries_integration_received",
                "webhook_deliveries",
            ),
        ] {
            manager
                .drop_index(Index::drop().name(index).table(table).to_owned())
                .await?;
        }
        for column in ["body_pruned_at", "reason", "state"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("webhook_deliveries")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

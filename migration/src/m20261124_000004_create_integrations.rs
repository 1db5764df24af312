//! Monitoring integrations, the raw deliveries they send and the normalized
//! events read from them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn belongs_to_integration(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, "integration_id")
        .to("integrations", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("integrations")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(string_len("kind", 16))
                    .col(string("name"))
                    // base64(nonce || AES-256-GCM ciphertext); never the secret itself.
                    .col(text("secret_encrypted"))
                    .col(text_null("previous_secret_encrypted"))
                    .col(timestamp_with_time_zone_null("previous_valid_until"))
                    .col(json("config"))
                    .col(big_integer("accepted_count").default(0))
                    .col(big_integer("duplicate_count").default(0))
                    .col(big_integer("rejected_count").default(0))
                    .col(timestamp_with_time_zone_null("last_received_at"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("integration_id"))
                    .col(string("delivery_key"))
                    .col(blob("body"))
                    .col(json("headers"))
                    .col(integer("event_count"))
                    .col(timestamp_with_time_zone("received_at"))
                    .foreign_key(&mut belongs_to_integration("webhook_deliveries"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_webhook_deliveries_key")
                    .table("webhook_deliveries")
                    .col("integration_id")
                    .col("delivery_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_received")
                    .table("webhook_deliveries")
                    .col("received_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("events")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("integration_id"))
                    .col(uuid_null("delivery_id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(string_len("kind", 32))
                    .col(text("title"))
                    .col(string_null("service"))
                    .col(string_len_null("severity", 16))
                    .col(text_null("link"))
                    .col(string_null("actor"))
                    .col(string_null("correlation_key"))
                    .col(string_len("source", 16))
                    .col(string("dedupe_key"))
                    .col(string_null("external_id"))
                    .col(string("raw_event_type"))
                    .col(timestamp_with_time_zone("received_at"))
                    .foreign_key(&mut belongs_to_integration("events"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_events_dedupe")
                    .table("events")
                    .col("integration_id")
                    .col("dedupe_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_events_service_occurred",
                &["service", "occurred_at"][..],
            ),
            ("idx_events_correlation", &["correlation_key"][..]),
            ("idx_events_occurred", &["occurred_at", "id"][..]),
        ] {
            let mut index = Index::create().name(name).table("events").to_owned();
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["events", "webhook_deliveries", "integrations"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

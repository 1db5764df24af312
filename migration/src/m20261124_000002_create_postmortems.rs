use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("postmortems")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(string("title"))
                    .col(text("summary"))
                    .col(string_len("status", 16))
                    .col(string_len_null("severity", 8))
                    .col(timestamp_with_time_zone_null("impact_started_at"))
                    .col(timestamp_with_time_zone_null("detected_at"))
                    .col(timestamp_with_time_zone_null("acknowledged_at"))
                    .col(timestamp_with_time_zone_null("mitigated_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .col(uuid_null("author_id"))
                    .col(boolean("anonymized").default(true))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("postmortems", "author_id")
                            .to("people", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_postmortems_status", "status"),
            ("idx_postmortems_impact_started_at", "impact_started_at"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("postmortems")
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("postmortem_services")
                    .if_not_exists()
                    .col(uuid("postmortem_id"))
                    .col(string("service"))
                    .col(integer("position"))
                    .primary_key(Index::create().col("postmortem_id").col("service"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("postmortem_services", "postmortem_id")
                            .to("postmortems", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_postmortem_services_service")
                    .table("postmortem_services")
                    .col("service")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("postmortem_services").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("postmortems").to_owned())
            .await
    }
}

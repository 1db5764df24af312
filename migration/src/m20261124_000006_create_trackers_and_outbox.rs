//! Trackers (with encrypted credentials), a real foreign key from action items to
//! them, what was last written to the tracker (to recognise echoes), and the sync
//! outbox the worker drains.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on SQLite too: the table rebuild must run on one
    /// connection (a pooled connection with an older schema snapshot sees the
    /// dropped indexes still there) and must not stop half-way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("trackers")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(string_len("kind", 16))
                    .col(string("name"))
                    .col(text("base_url"))
                    .col(string_null("project_key"))
                    .col(string_null("issue_type"))
                    .col(string_len("jira_dialect", 16))
                    .col(string_null("owner"))
                    .col(string_null("repo"))
                    .col(string_null("github_project_id"))
                    .col(string_null("github_due_field_id"))
                    .col(string_null("project_id"))
                    .col(string_null("team_id"))
                    .col(string_null("api_user"))
                    .col(text("credentials"))
                    .col(boolean("is_default"))
                    .col(boolean("allow_insecure_http"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        // At most one default tracker, whatever races the API loses.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_trackers_one_default ON trackers (is_default) WHERE is_default = true",
            )
            .await?;
        add_tracker_foreign_key(manager).await?;
        for column in [
            ColumnDef::new("synced_snapshot").text().null().to_owned(),
            ColumnDef::new("last_synced_at")
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("action_items")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("sync_outbox")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid_uniq("action_item_id"))
                    .col(string_len("operation", 16))
                    .col(integer("seq"))
                    .col(integer("attempts"))
                    .col(boolean("create_started"))
                    .col(timestamp_with_time_zone_null("next_attempt_at"))
                    .col(string_null("claimed_by"))
                    .col(timestamp_with_time_zone_null("claimed_until"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("sync_outbox", "action_item_id")
                            .to("action_items", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sync_outbox_due")
                    .table("sync_outbox")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("sync_outbox").to_owned())
            .await?;
        for column in ["synced_snapshot", "last_synced_at"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("action_items")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE action_items DROP CONSTRAINT fk_action_items_tracker",
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table("trackers").to_owned())
            .await
    }
}

const INDEXES: [(&str, &str); 3] = [
    ("idx_action_items_postmortem", "postmortem_id"),
    ("idx_action_items_owner", "owner_id"),
    ("idx_action_items_due_date", "due_date"),
];

/// PostgreSQL adds the constraint in place. SQLite cannot add a foreign key to an
/// existing table, so the table is rebuilt with it (the documented 12-step
/// procedure, minus the parts nothing here needs: no other table references
/// action_items yet).
async fn add_tracker_foreign_key(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if manager.get_database_backend() != DbBackend::Sqlite {
        db.execute_unprepared(
            "ALTER TABLE action_items ADD CONSTRAINT fk_action_items_tracker \
             FOREIGN KEY (tracker_id) REFERENCES trackers (id) ON DELETE SET NULL",
        )
        .await?;
        return Ok(());
    }
    for index in INDEXES.map(|(name, _)| name) {
        db.execute_unprepared(&format!("DROP INDEX IF EXISTS {index}"))
            .await?;
    }
    db.execute_unprepared("ALTER TABLE action_items RENAME TO action_items_old")
        .await?;
    manager
        .create_table(
            Table::create()
                .table("action_items")
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
                .foreign_key(
                    ForeignKey::create()
                        .from("action_items", "postmortem_id")
                        .to("postmortems", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
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
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_action_items_tracker")
                        .from("action_items", "tracker_id")
                        .to("trackers", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
    db.execute_unprepared("INSERT INTO action_items SELECT * FROM action_items_old")
        .await?;
    db.execute_unprepared("DROP TABLE action_items_old").await?;
    for (name, col) in INDEXES {
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

//! The audit log: one row per write (who, what, when, which request), only ever
//! inserted. Triggers refuse UPDATE and DELETE on both databases (and TRUNCATE
//! on PostgreSQL), so not even the service's own role can rewrite history.
//! No foreign keys: an entry outlives the post-mortem, person or tracker it
//! names, and a cascading delete must not take it along.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "audit_entries";

const PG_FUNCTION: &str = r#"
CREATE FUNCTION hindsight_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries cannot be changed or deleted (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$"#;

const PG_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries \
     FOR EACH ROW EXECUTE FUNCTION hindsight_refuse_audit_change()",
    "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries \
     FOR EACH STATEMENT EXECUTE FUNCTION hindsight_refuse_audit_change()",
];

const SQLITE_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries \
     BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed'); END",
    "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries \
     BEGIN SELECT RAISE(ABORT, 'audit entries cannot be deleted'); END",
];

/// (name, columns) of the indexes: time-ordered pages, one resource's entries,
/// one post-mortem's history, one subject's writes.
const INDEXES: [(&str, &[&str]); 4] = [
    ("idx_audit_entries_occurred", &["occurred_at", "id"]),
    ("idx_audit_entries_resource", &["resource", "resource_id"]),
    ("idx_audit_entries_postmortem", &["postmortem_id", "id"]),
    ("idx_audit_entries_subject", &["subject"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(text("subject"))
                    .col(string_len("role", 16))
                    .col(string_len("action", 32))
                    .col(string_len("resource", 32))
                    .col(uuid("resource_id"))
                    .col(uuid_null("postmortem_id"))
                    // `{"field": {"from": old, "to": new}}`, secrets as "[redacted]".
                    .col(text("changes"))
                    .col(text_null("request_id"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(TABLE);
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(PG_FUNCTION).await?;
                for trigger in PG_TRIGGERS {
                    db.execute_unprepared(trigger).await?;
                }
            }
            _ => {
                for trigger in SQLITE_TRIGGERS {
                    db.execute_unprepared(trigger).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Dropping the table drops its triggers with it.
        manager
            .drop_table(Table::drop().table(TABLE).to_owned())
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION hindsight_refuse_audit_change()")
                .await?;
        }
        Ok(())
    }
}

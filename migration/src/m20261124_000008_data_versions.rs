//! PostgreSQL: a version per table, raised once by every transaction that
//! changes it, so that answers worked out from the data (GraphQL's answer
//! cache) can tell cheaply whether anything changed since, whoever wrote it.
//! The trigger is deferred to commit, so the version row is the last lock a
//! writer takes (no deadlocks through it) and writers of different tables
//! never wait on each other. SQLite needs none of this: `PRAGMA data_version`
//! tells the same.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose rows GraphQL answers show. Not `events` and
/// `integrations`: webhooks write them many times a second, and answers
/// showing them are never kept (`Caller::volatile`), so a raised version
/// there would only cost every delivery a trigger and throw away kept
/// dashboards for nothing.
const TABLES: [&str; 9] = [
    "action_items",
    "causes",
    "participants",
    "people",
    "postmortem_incident_refs",
    "postmortem_services",
    "postmortems",
    "timeline_entries",
    "trackers",
];

const FUNCTION: &str = r#"
CREATE FUNCTION hindsight_raise_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Once per table per transaction, however many rows it changed.
    IF current_setting('hindsight.raised_' || TG_TABLE_NAME, true) IS DISTINCT FROM 'y' THEN
        UPDATE data_versions SET version = version + 1 WHERE table_name = TG_TABLE_NAME;
        PERFORM set_config('hindsight.raised_' || TG_TABLE_NAME, 'y', true);
    END IF;
    RETURN NULL;
END
$$"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE data_versions (table_name TEXT PRIMARY KEY, version BIGINT NOT NULL DEFAULT 0)",
        )
        .await?;
        db.execute_unprepared(FUNCTION).await?;
        for table in TABLES {
            db.execute_unprepared(&format!(
                "INSERT INTO data_versions (table_name) VALUES ('{table}')"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "CREATE CONSTRAINT TRIGGER raise_data_version AFTER INSERT OR UPDATE OR DELETE ON {table} \
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hindsight_raise_data_version()"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&format!("DROP TRIGGER raise_data_version ON {table}"))
                .await?;
        }
        db.execute_unprepared("DROP FUNCTION hindsight_raise_data_version()")
            .await?;
        db.execute_unprepared("DROP TABLE data_versions").await?;
        Ok(())
    }
}

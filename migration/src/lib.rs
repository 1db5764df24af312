//! Schema migrations for hindsight, identical on SQLite and PostgreSQL but
//! for the data versions PostgreSQL keeps with triggers (000008) and the
//! audit log's append-only triggers, written in each database's dialect (000009).

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_people;
mod m20261124_000002_create_postmortems;
mod m20261124_000003_create_postmortem_children;
mod m20261124_000004_create_integrations;
mod m20261124_000005_create_prefill;
mod m20261124_000006_create_trackers_and_outbox;
mod m20261124_000007_publishing_and_calendars;
mod m20261124_000008_data_versions;
mod m20261201_000009_audit_log;
mod m20261201_000010_sync_reasons;
mod m20261202_000011_raw_deliveries;
mod m20261203_000012_shared_by_replicas;
mod m20261215_000013_create_share_links;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_people::Migration),
            Box::new(m20261124_000002_create_postmortems::Migration),
            Box::new(m20261124_000003_create_postmortem_children::Migration),
            Box::new(m20261124_000004_create_integrations::Migration),
            Box::new(m20261124_000005_create_prefill::Migration),
            Box::new(m20261124_000006_create_trackers_and_outbox::Migration),
            Box::new(m20261124_000007_publishing_and_calendars::Migration),
            Box::new(m20261124_000008_data_versions::Migration),
            Box::new(m20261201_000009_audit_log::Migration),
            Box::new(m20261201_000010_sync_reasons::Migration),
            Box::new(m20261202_000011_raw_deliveries::Migration),
            Box::new(m20261203_000012_shared_by_replicas::Migration),
            Box::new(m20261215_000013_create_share_links::Migration),
        ]
    }
}

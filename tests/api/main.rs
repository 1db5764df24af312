//! Integration tests: the real server over real HTTP, each test on its own
//! database (SQLite by default, PostgreSQL when `TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod action_items;
mod anonymity_everywhere;
mod audit;
mod auth;
mod calendar_feed;
mod contract;
mod deliveries;
mod errors;
mod exact_figures;
mod graphiql;
mod graphql;
mod graphql_anonymity;
mod graphql_cache;
mod graphql_ingest;
mod graphql_limits;
mod graphql_stats;
mod graphql_subscription;
mod hardening;
mod health;
mod helpers;
mod html_document;
mod inert_output;
mod integrations;
mod jwks;
mod metrics_formats;
mod openapi;
mod outbound;
mod people;
mod person_handles;
mod postmortems;
mod practice;
mod prefill;
mod replicas;
mod slow_clients;
mod timeline_and_causes;
mod tools;
mod tracker_sync;
mod tracker_updates;
mod tracker_webhooks;
mod trackers;
mod vendor_alerting;
mod vendor_devtools;
mod webhook_fixtures;
mod webhooks;

/// Jira's OpenAPI description, shared with the client unit tests.
#[path = "../../src/trackers/tests/schema.rs"]
mod jira_schema;

/// GitHub's OpenAPI description of the issue bodies, shared likewise.
#[path = "../../src/trackers/tests/github_schema.rs"]
mod github_schema;

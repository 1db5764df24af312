//! Integration tests: the real server over real HTTP, each test on its own
//! database (SQLite by default, PostgreSQL when `TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod action_items;
mod auth;
mod contract;
mod errors;
mod graphql;
mod graphql_anonymity;
mod graphql_limits;
mod graphql_stats;
mod graphql_subscription;
mod health;
mod helpers;
mod openapi;
mod people;
mod postmortems;
mod practice;
mod timeline_and_causes;

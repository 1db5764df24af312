//! Integration tests: the real server over real HTTP, each test on its own
//! database (SQLite by default, PostgreSQL when `TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod action_items;
mod auth;
mod errors;
mod health;
mod helpers;
mod integrations;
mod openapi;
mod people;
mod postmortems;
mod prefill;
mod timeline_and_causes;
mod webhook_fixtures;
mod webhooks;

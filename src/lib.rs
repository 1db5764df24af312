//! hindsight: blameless post-mortems, their timelines and action items.

/// Bearer JWT authentication and roles.
pub mod auth;
/// The command line: `serve`, `migrate`, `token`.
pub mod cli;
/// Settings from the environment.
pub mod config;
/// Pure rules of the practice: review findings, phase metrics, anonymization, Markdown.
pub mod domain;
/// The API error type and its problem+json rendering.
pub mod error;
/// The GraphQL API for dashboards.
pub mod graphql;
/// Inbound webhooks: per-source verification and parsing into normalized events.
pub mod ingest;
/// The one outbound HTTP client, which cannot reach internal addresses.
pub mod outbound;
/// The REST API.
pub mod rest;
/// Secrets at rest (AES-256-GCM, bound to their row) and generated webhook secrets.
pub mod secrets;
/// Use cases over the database.
pub mod services;
/// Building and running the server.
pub mod startup;
/// Logs and metrics.
pub mod telemetry;
/// Issue-tracker clients (Jira, GitHub, GitLab, Linear) and the outbox worker.
pub mod trackers;
/// What each caller may see of each record: the one redaction boundary.
pub mod views;
/// Absent, `null` and a value in request bodies.
pub mod wire;

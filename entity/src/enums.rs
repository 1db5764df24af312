//! Closed sets of values stored as short strings.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a post-mortem is in its life: written, reviewed, shared.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum PostmortemStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "in_review")]
    InReview,
    #[sea_orm(string_value = "published")]
    Published,
}

/// Incident severity, `sev1` being the worst.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[sea_orm(string_value = "sev1")]
    Sev1,
    #[sea_orm(string_value = "sev2")]
    Sev2,
    #[sea_orm(string_value = "sev3")]
    Sev3,
    #[sea_orm(string_value = "sev4")]
    Sev4,
    #[sea_orm(string_value = "sev5")]
    Sev5,
}

/// The three areas every incident has causes in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum CauseArea {
    /// How could we have avoided it at all.
    #[sea_orm(string_value = "prevention")]
    Prevention,
    /// How could we have detected it sooner.
    #[sea_orm(string_value = "detection")]
    Detection,
    /// How could we have fixed it faster, and made it better for users while broken.
    #[sea_orm(string_value = "mitigation")]
    Mitigation,
}

/// Progress of an action item.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ActionItemStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    #[sea_orm(string_value = "done")]
    Done,
    #[sea_orm(string_value = "wont_do")]
    WontDo,
}

impl ActionItemStatus {
    /// Done or won't do: nothing more is expected of the owner.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Done | Self::WontDo)
    }
}

/// Urgency of an action item, mapped onto each tracker's own priority scale.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    #[sea_orm(string_value = "urgent")]
    Urgent,
    #[sea_orm(string_value = "high")]
    High,
    #[sea_orm(string_value = "medium")]
    Medium,
    #[sea_orm(string_value = "low")]
    Low,
}

/// Whether an action item's latest change has reached its tracker.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    #[sea_orm(string_value = "not_synced")]
    NotSynced,
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "synced")]
    Synced,
    #[sea_orm(string_value = "failed")]
    Failed,
}

/// What a person did in a post-mortem.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    /// Wrote the post-mortem.
    #[sea_orm(string_value = "author")]
    Author,
    /// Reads it critically before it is published.
    #[sea_orm(string_value = "reviewer")]
    Reviewer,
    /// Took part in the incident or its response.
    #[sea_orm(string_value = "participant")]
    Participant,
}

/// Which issue tracker a tracker row points at.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum TrackerKind {
    #[sea_orm(string_value = "jira")]
    Jira,
    #[sea_orm(string_value = "github")]
    Github,
    #[sea_orm(string_value = "gitlab")]
    Gitlab,
    #[sea_orm(string_value = "linear")]
    Linear,
}

/// Jira Cloud speaks REST v3 (ADF descriptions, account ids); Data Center speaks
/// v2 (plain-text descriptions, user names).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum JiraDialect {
    #[default]
    #[sea_orm(string_value = "cloud")]
    Cloud,
    #[sea_orm(string_value = "data_center")]
    DataCenter,
}

/// What an outbox row asks the worker to do: create the issue, or bring an
/// existing one up to date.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum SyncOperation {
    #[sea_orm(string_value = "create")]
    Create,
    #[sea_orm(string_value = "update")]
    Update,
}

/// The tool an integration receives webhooks from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    #[sea_orm(string_value = "pagerduty")]
    Pagerduty,
    #[sea_orm(string_value = "alertmanager")]
    Alertmanager,
    #[sea_orm(string_value = "grafana")]
    Grafana,
    #[sea_orm(string_value = "opsgenie")]
    Opsgenie,
    #[sea_orm(string_value = "datadog")]
    Datadog,
    #[sea_orm(string_value = "github")]
    Github,
    #[sea_orm(string_value = "gitlab")]
    Gitlab,
    #[sea_orm(string_value = "jira")]
    Jira,
    #[sea_orm(string_value = "sentry")]
    Sentry,
    #[sea_orm(string_value = "generic")]
    Generic,
}

/// What became of a verified webhook delivery.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Read, and its events (if any were new) stored.
    #[sea_orm(string_value = "processed")]
    Processed,
    /// Read, but it holds nothing for the timeline (a ping, an event type
    /// that carries no alert or deploy); the reason says which.
    #[sea_orm(string_value = "ignored")]
    Ignored,
    /// Not readable with the integration's kind and mapping rules (wrong
    /// shape, not JSON); the reason says why. Replay once the rules or
    /// hindsight can read it.
    #[sea_orm(string_value = "unparsed")]
    Unparsed,
}

/// Where an event's `occurred_at` comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// The body's own time.
    #[sea_orm(string_value = "source")]
    Source,
    /// The body had none: the time hindsight received it.
    #[sea_orm(string_value = "arrival")]
    Arrival,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processed => "processed",
            Self::Ignored => "ignored",
            Self::Unparsed => "unparsed",
        }
    }
}

//! Reliability figures for dashboards. Each figure's definition is in its
//! description, so that two people reading a dashboard mean the same thing.

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use chrono::Utc;
use uuid::Uuid;

use super::{Caller, error::GraphqlResult, timestamp::Timestamp, types::CauseArea};
use crate::services::stats::{self, ActionItemKey, TimeRange};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::services::stats::IncidentGrouping")]
pub enum IncidentGrouping {
    /// One group per affected service; an incident with two services counts in both.
    Service,
    /// SEV1 .. SEV5, and `unspecified` for incidents without a severity.
    Severity,
    /// `YYYY-MM` (UTC) of the incident's start (impactStartedAt, or when the post-mortem was written).
    Month,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::services::stats::ActionItemGrouping")]
pub enum ActionItemGrouping {
    /// By owner; unowned items form one group with no owner.
    Owner,
    /// By the owner's team; items without an owner or whose owner has no team form one group with no team.
    Team,
}

/// Count, mean and percentiles of one duration, in seconds. Incidents where
/// either marker is missing, or the end is before the start, are left out.
/// Means and counts are computed by the database; p50 and p90 interpolate
/// linearly between the nearest ranks (PostgreSQL's `percentile_cont`; on
/// SQLite the same computation in the server).
#[derive(SimpleObject)]
pub struct DurationStats {
    /// Incidents measured.
    pub count: i64,
    pub mean_seconds: Option<f64>,
    /// Median.
    pub p50_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
}

impl From<stats::DurationSummary> for DurationStats {
    fn from(s: stats::DurationSummary) -> Self {
        Self {
            count: s.count,
            mean_seconds: s.mean,
            p50_seconds: s.p50,
            p90_seconds: s.p90,
        }
    }
}

/// The phase figures of one group of incidents.
#[derive(SimpleObject)]
pub struct IncidentStats {
    /// The service, severity (`sev2`, `unspecified`) or month (`2026-11`).
    pub key: String,
    /// Incidents in the group.
    pub incidents: i64,
    /// MTTD, time to detect: impactStartedAt -> detectedAt.
    pub mttd: DurationStats,
    /// MTTA, time to acknowledge: detectedAt -> acknowledgedAt.
    pub mtta: DurationStats,
    /// MTTM, time to mitigate: acknowledgedAt (or detectedAt when nobody
    /// acknowledged) -> mitigatedAt. Same as PostMortem.phaseMetrics.timeToMitigate.
    pub mttm: DurationStats,
    /// MTTR, time to resolve the whole incident: impactStartedAt -> resolvedAt.
    /// Unlike PostMortem.phaseMetrics.timeToResolve (the last phase alone,
    /// mitigatedAt -> resolvedAt), this is the incident's full length.
    pub mttr: DurationStats,
}

/// Action item figures of one owner or team.
#[derive(SimpleObject)]
pub struct ActionItemStats {
    /// Set when grouped by owner (null: items nobody owns).
    pub owner_id: Option<Uuid>,
    /// Set when grouped by team (null: no owner, or an owner without a team).
    pub team: Option<String>,
    /// Every item in the group.
    pub total: i64,
    /// Status OPEN or IN_PROGRESS.
    pub open: i64,
    /// Open (as above) with a due date before today, UTC.
    pub overdue: i64,
    /// Status DONE.
    pub done: i64,
    /// Status WONT_DO.
    pub wont_do: i64,
    /// Median seconds from an item's creation to its completion (completedAt),
    /// over the items DONE; null when none is.
    pub median_seconds_to_done: Option<f64>,
}

/// How often an area comes up among causes.
#[derive(SimpleObject)]
pub struct CauseAreaStats {
    pub area: CauseArea,
    /// Causes recorded in this area.
    pub causes: i64,
    /// Post-mortems with at least one cause in this area.
    pub postmortems: i64,
}

#[derive(Default)]
pub struct StatsQuery;

#[Object]
impl StatsQuery {
    /// MTTD, MTTA, MTTM and MTTR (count, mean, p50, p90) per service, severity
    /// or month, over the incidents whose impact started (or, lacking that,
    /// whose post-mortem was written) in [from, to).
    async fn incident_stats(
        &self,
        ctx: &Context<'_>,
        group_by: IncidentGrouping,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<IncidentStats>> {
        let caller = Caller::get(ctx)?;
        let groups = stats::incidents(&caller.state.db, group_by.into(), &time_range(from, to))
            .await
            .gql()?;
        Ok(groups
            .into_iter()
            .map(|g| IncidentStats {
                key: g.key,
                incidents: g.incidents,
                mttd: g.time_to_detect.into(),
                mtta: g.time_to_acknowledge.into(),
                mttm: g.time_to_mitigate.into(),
                mttr: g.time_to_resolve.into(),
            })
            .collect())
    }

    /// Open, overdue and done action items (of all post-mortems) per owner or
    /// team, and how fast they get done.
    async fn action_item_stats(
        &self,
        ctx: &Context<'_>,
        group_by: ActionItemGrouping,
    ) -> Result<Vec<ActionItemStats>> {
        let caller = Caller::get(ctx)?;
        let today = Utc::now().date_naive();
        let groups = stats::action_items(&caller.state.db, group_by.into(), today)
            .await
            .gql()?;
        Ok(groups
            .into_iter()
            .map(|g| {
                let (owner_id, team) = match g.key {
                    ActionItemKey::Owner(owner) => (owner, None),
                    ActionItemKey::Team(team) => (None, team),
                };
                ActionItemStats {
                    owner_id,
                    team,
                    total: g.total,
                    open: g.open,
                    overdue: g.overdue,
                    done: g.done,
                    wont_do: g.wont_do,
                    median_seconds_to_done: g.median_time_to_done,
                }
            })
            .collect())
    }

    /// Which cause areas keep coming back, over the incidents in [from, to)
    /// (as for incidentStats).
    async fn cause_area_stats(
        &self,
        ctx: &Context<'_>,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<CauseAreaStats>> {
        let caller = Caller::get(ctx)?;
        let counts = stats::cause_areas(&caller.state.db, &time_range(from, to))
            .await
            .gql()?;
        Ok(counts
            .into_iter()
            .map(|c| CauseAreaStats {
                area: c.area.into(),
                causes: c.causes,
                postmortems: c.postmortems,
            })
            .collect())
    }
}

fn time_range(from: Option<Timestamp>, to: Option<Timestamp>) -> TimeRange {
    TimeRange {
        from: from.map(Into::into),
        to: to.map(Into::into),
    }
}

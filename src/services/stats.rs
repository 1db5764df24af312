//! Reliability figures for dashboards, computed in the database: counts and
//! means with `GROUP BY`; percentiles with PostgreSQL's `percentile_cont`, or
//! on SQLite (which has none) in Rust over the durations the database selects,
//! with the same linear interpolation.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};
use uuid::Uuid;

use crate::error::ApiResult;

/// The incidents a figure covers: those whose impact started (or, lacking
/// that, whose post-mortem was written) in `[from, to)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeRange {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// How incident figures are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentGrouping {
    /// One group per affected service; an incident with two services counts in both.
    Service,
    /// `sev1` .. `sev5`, and `unspecified`.
    Severity,
    /// `YYYY-MM` of the incident's start, in UTC.
    Month,
}

/// Count, mean and percentiles of one duration, in seconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DurationSummary {
    /// Incidents where both markers are set and in order.
    pub count: i64,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncidentGroup {
    pub key: String,
    pub incidents: i64,
    pub time_to_detect: DurationSummary,
    pub time_to_acknowledge: DurationSummary,
    pub time_to_mitigate: DurationSummary,
    pub time_to_resolve: DurationSummary,
}

/// The four durations, as (name, start, end) over the `postmortems` columns.
/// Kept in step with `domain::phases` for detect, acknowledge and mitigate;
/// resolve here is the whole incident, impact start to resolution.
const PHASES: [(&str, &str, &str); 4] = [
    ("ttd", "pm.impact_started_at", "pm.detected_at"),
    ("tta", "pm.detected_at", "pm.acknowledged_at"),
    (
        "ttm",
        "COALESCE(pm.acknowledged_at, pm.detected_at)",
        "pm.mitigated_at",
    ),
    ("ttr", "pm.impact_started_at", "pm.resolved_at"),
];

/// Seconds from `from` to `to`, NULL when either is missing or they are out of order.
fn seconds(backend: DatabaseBackend, from: &str, to: &str) -> String {
    let diff = match backend {
        DatabaseBackend::Postgres => {
            // date_part is double precision already; EXTRACT computes in numeric,
            // which made this the dearest part of a dashboard's query.
            format!("date_part('epoch', {to} - {from})")
        }
        // julianday counts days in a double (720 s came back as
        // 719.999997317791) and SQLite's date functions stop at milliseconds:
        // the difference is taken in whole microseconds instead.
        _ => format!(
            "(({} - {}) / 1000000.0)",
            sqlite_micros(to),
            sqlite_micros(from)
        ),
    };
    format!("(CASE WHEN {to} >= {from} THEN {diff} END)")
}

/// Microseconds since the epoch of a timestamp as sqlx stores it on SQLite
/// (`2026-10-20T10:00:00.123456+00:00`: RFC 3339 with 0, 3, 6 or 9 fraction
/// digits and a `+00:00` offset), as an integer: whole seconds from
/// `strftime`, the fraction read from the text.
fn sqlite_micros(at: &str) -> String {
    format!(
        "(CAST(strftime('%s', {at}) AS INTEGER) * 1000000 + CASE WHEN substr({at}, 20, 1) = '.' \
         THEN CAST(substr(substr({at}, 21, length({at}) - 26) || '00000', 1, 6) AS INTEGER) \
         ELSE 0 END)"
    )
}

const STARTED: &str = "COALESCE(pm.impact_started_at, pm.created_at)";

fn range_condition(range: &TimeRange, values: &mut Vec<Value>) -> String {
    let mut sql = String::from("1 = 1");
    if let Some(from) = range.from {
        sql.push_str(&format!(" AND {STARTED} >= ?"));
        values.push(from.into());
    }
    if let Some(to) = range.to {
        sql.push_str(&format!(" AND {STARTED} < ?"));
        values.push(to.into());
    }
    sql
}

/// Turns `?` placeholders into PostgreSQL's `$1, $2, ...`.
fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DatabaseBackend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 8);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

fn percentile_sql(p: f64, expr: &str) -> String {
    format!("percentile_cont({p}) WITHIN GROUP (ORDER BY {expr})")
}

/// MTTD, MTTA, MTTM and MTTR (count, mean, p50, p90) per group.
pub async fn incidents(
    db: &impl ConnectionTrait,
    grouping: IncidentGrouping,
    range: &TimeRange,
) -> ApiResult<Vec<IncidentGroup>> {
    let backend = db.get_database_backend();
    let (key, join) = match (grouping, backend) {
        (IncidentGrouping::Service, _) => (
            "ps.service",
            "JOIN postmortem_services ps ON ps.postmortem_id = pm.id",
        ),
        (IncidentGrouping::Severity, _) => ("COALESCE(pm.severity, 'unspecified')", ""),
        (IncidentGrouping::Month, DatabaseBackend::Postgres) => (
            "to_char(COALESCE(pm.impact_started_at, pm.created_at) AT TIME ZONE 'UTC', 'YYYY-MM')",
            "",
        ),
        (IncidentGrouping::Month, _) => (
            "strftime('%Y-%m', COALESCE(pm.impact_started_at, pm.created_at))",
            "",
        ),
    };
    let postgres = backend == DatabaseBackend::Postgres;
    let mut inner_columns = vec![format!("{key} AS k")];
    let mut outer_columns = vec!["k".to_owned(), "COUNT(*) AS incidents".to_owned()];
    for (name, from, to) in PHASES {
        inner_columns.push(format!("{} AS {name}", seconds(backend, from, to)));
        outer_columns.push(format!("COUNT({name}) AS {name}_count"));
        outer_columns.push(format!("AVG({name}) AS {name}_mean"));
        if postgres {
            outer_columns.push(format!("{} AS {name}_p50", percentile_sql(0.5, name)));
            outer_columns.push(format!("{} AS {name}_p90", percentile_sql(0.9, name)));
        }
    }
    let mut values = Vec::new();
    let condition = range_condition(range, &mut values);
    let inner = format!(
        "SELECT {} FROM postmortems pm {join} WHERE {condition}",
        inner_columns.join(", ")
    );
    let grouped = format!(
        "SELECT {} FROM ({inner}) d GROUP BY k ORDER BY k",
        outer_columns.join(", ")
    );
    let rows = db
        .query_all_raw(statement(backend, &grouped, values.clone()))
        .await?;
    let mut groups = Vec::with_capacity(rows.len());
    for row in &rows {
        let summary = |name: &str| -> ApiResult<DurationSummary> {
            Ok(DurationSummary {
                count: row.try_get("", &format!("{name}_count"))?,
                mean: row.try_get("", &format!("{name}_mean"))?,
                p50: if postgres {
                    row.try_get("", &format!("{name}_p50"))?
                } else {
                    None
                },
                p90: if postgres {
                    row.try_get("", &format!("{name}_p90"))?
                } else {
                    None
                },
            })
        };
        groups.push(IncidentGroup {
            key: row.try_get("", "k")?,
            incidents: row.try_get("", "incidents")?,
            time_to_detect: summary("ttd")?,
            time_to_acknowledge: summary("tta")?,
            time_to_mitigate: summary("ttm")?,
            time_to_resolve: summary("ttr")?,
        });
    }
    if !postgres {
        let rows = db.query_all_raw(statement(backend, &inner, values)).await?;
        fill_percentiles(&mut groups, &rows)?;
    }
    Ok(groups)
}

/// SQLite: percentiles from the per-incident durations.
fn fill_percentiles(groups: &mut [IncidentGroup], rows: &[QueryResult]) -> ApiResult<()> {
    let mut samples: HashMap<String, [Vec<f64>; 4]> = HashMap::new();
    for row in rows {
        let key: String = row.try_get("", "k")?;
        let entry = samples.entry(key).or_default();
        for (i, (name, _, _)) in PHASES.iter().enumerate() {
            if let Some(seconds) = row.try_get::<Option<f64>>("", name)? {
                entry[i].push(seconds);
            }
        }
    }
    for group in groups {
        let Some(mut phases) = samples.remove(&group.key) else {
            continue;
        };
        let summaries = [
            &mut group.time_to_detect,
            &mut group.time_to_acknowledge,
            &mut group.time_to_mitigate,
            &mut group.time_to_resolve,
        ];
        for (summary, values) in summaries.into_iter().zip(phases.iter_mut()) {
            values.sort_by(f64::total_cmp);
            summary.p50 = percentile(values, 0.5);
            summary.p90 = percentile(values, 0.9);
        }
    }
    Ok(())
}

/// The `p` quantile of sorted values, interpolating linearly between the two
/// nearest ranks: what PostgreSQL's `percentile_cont` computes.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = p * last as f64;
    let below = rank.floor() as usize;
    let above = rank.ceil() as usize;
    Some(sorted[below] + (sorted[above] - sorted[below]) * (rank - below as f64))
}

/// How action item figures are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionItemGrouping {
    /// The owner's id; items nobody owns form the group with no key.
    Owner,
    /// The owner's team; items whose owner has no team (or no owner) form the group with no key.
    Team,
}

/// The group an action item figure is about: an owner, or a team.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ActionItemKey {
    Owner(Option<Uuid>),
    Team(Option<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionItemGroup {
    pub key: ActionItemKey,
    pub total: i64,
    /// Open or in progress.
    pub open: i64,
    /// Open or in progress with a due date before today.
    pub overdue: i64,
    pub done: i64,
    pub wont_do: i64,
    /// Median seconds from creation to completion of the items done.
    pub median_time_to_done: Option<f64>,
}

const OPEN: &str = "a.status IN ('open', 'in_progress')";

/// Open, overdue and done action items per owner or team, and how fast items get done.
pub async fn action_items(
    db: &impl ConnectionTrait,
    grouping: ActionItemGrouping,
    today: NaiveDate,
) -> ApiResult<Vec<ActionItemGroup>> {
    let backend = db.get_database_backend();
    let postgres = backend == DatabaseBackend::Postgres;
    let key = match grouping {
        ActionItemGrouping::Owner => "a.owner_id",
        ActionItemGrouping::Team => "p.team",
    };
    let read_key = |row: &QueryResult| -> ApiResult<ActionItemKey> {
        Ok(match grouping {
            ActionItemGrouping::Owner => ActionItemKey::Owner(row.try_get("", "k")?),
            ActionItemGrouping::Team => ActionItemKey::Team(row.try_get("", "k")?),
        })
    };
    let done_seconds = format!(
        "(CASE WHEN a.status = 'done' THEN {} END)",
        seconds(backend, "a.created_at", "a.completed_at")
    );
    let from = "FROM action_items a LEFT JOIN people p ON p.id = a.owner_id";
    let mut columns = vec![
        format!("{key} AS k"),
        "COUNT(*) AS total".to_owned(),
        format!("SUM(CASE WHEN {OPEN} THEN 1 ELSE 0 END) AS open"),
        format!("SUM(CASE WHEN {OPEN} AND a.due_date < ? THEN 1 ELSE 0 END) AS overdue"),
        "SUM(CASE WHEN a.status = 'done' THEN 1 ELSE 0 END) AS done".to_owned(),
        "SUM(CASE WHEN a.status = 'wont_do' THEN 1 ELSE 0 END) AS wont_do".to_owned(),
    ];
    if postgres {
        columns.push(format!(
            "{} AS median_done",
            percentile_sql(0.5, &done_seconds)
        ));
    }
    let sql = format!(
        "SELECT {} {from} GROUP BY {key} ORDER BY {key}",
        columns.join(", ")
    );
    let rows = db
        .query_all_raw(statement(backend, &sql, vec![today.into()]))
        .await?;
    let mut groups = Vec::with_capacity(rows.len());
    for row in &rows {
        groups.push(ActionItemGroup {
            key: read_key(row)?,
            total: row.try_get("", "total")?,
            open: row.try_get("", "open")?,
            overdue: row.try_get("", "overdue")?,
            done: row.try_get("", "done")?,
            wont_do: row.try_get("", "wont_do")?,
            median_time_to_done: if postgres {
                row.try_get("", "median_done")?
            } else {
                None
            },
        });
    }
    if !postgres {
        let sql = format!("SELECT {key} AS k, {done_seconds} AS s {from} WHERE a.status = 'done'");
        let rows = db.query_all_raw(statement(backend, &sql, vec![])).await?;
        let mut samples: BTreeMap<ActionItemKey, Vec<f64>> = BTreeMap::new();
        for row in &rows {
            if let Some(s) = row.try_get::<Option<f64>>("", "s")? {
                samples.entry(read_key(row)?).or_default().push(s);
            }
        }
        for group in &mut groups {
            if let Some(values) = samples.get_mut(&group.key) {
                values.sort_by(f64::total_cmp);
                group.median_time_to_done = percentile(values, 0.5);
            }
        }
    }
    Ok(groups)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CauseAreaCount {
    pub area: entity::CauseArea,
    /// Causes recorded in this area.
    pub causes: i64,
    /// Post-mortems with at least one cause in this area.
    pub postmortems: i64,
}

/// Which cause areas keep coming back, over the incidents in `range`.
pub async fn cause_areas(
    db: &impl ConnectionTrait,
    range: &TimeRange,
) -> ApiResult<Vec<CauseAreaCount>> {
    let backend = db.get_database_backend();
    let mut values = Vec::new();
    let condition = range_condition(range, &mut values);
    let sql = format!(
        "SELECT c.area AS area, COUNT(*) AS causes, COUNT(DISTINCT c.postmortem_id) AS postmortems \
         FROM causes c JOIN postmortems pm ON pm.id = c.postmortem_id \
         WHERE {condition} GROUP BY c.area ORDER BY c.area"
    );
    let rows = db.query_all_raw(statement(backend, &sql, values)).await?;
    rows.iter()
        .map(|row| {
            Ok(CauseAreaCount {
                area: row.try_get("", "area")?,
                causes: row.try_get("", "causes")?,
                postmortems: row.try_get("", "postmortems")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_interpolate_like_percentile_cont() {
        let values = [60.0, 120.0, 300.0, 600.0];
        let near = |got: Option<f64>, want: f64| got.is_some_and(|g| (g - want).abs() < 1e-9);
        assert!(near(percentile(&values, 0.5), 210.0));
        assert!(near(percentile(&values, 0.9), 510.0));
        assert_eq!(percentile(&[42.0], 0.9), Some(42.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}

/// What a team alerts on, counted for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkCounts {
    /// Outbox rows waiting for a tracker call (parked rows are failed items).
    pub outbox_backlog: i64,
    /// Action items in sync state `failed`.
    pub sync_failed: i64,
    /// Open or in-progress action items due before `today`.
    pub overdue: i64,
}

/// One statement, three indexed counts.
pub async fn work_counts(db: &impl ConnectionTrait, today: NaiveDate) -> ApiResult<WorkCounts> {
    let backend = db.get_database_backend();
    let sql = "SELECT \
        (SELECT COUNT(*) FROM sync_outbox WHERE next_attempt_at IS NOT NULL) AS outbox_backlog, \
        (SELECT COUNT(*) FROM action_items WHERE sync_state = 'failed') AS sync_failed, \
        (SELECT COUNT(*) FROM action_items \
            WHERE status IN ('open', 'in_progress') AND due_date < ?) AS overdue";
    let row = db
        .query_one_raw(statement(backend, sql, vec![today.into()]))
        .await?;
    let Some(row) = row else {
        return Ok(WorkCounts::default());
    };
    Ok(WorkCounts {
        outbox_backlog: row.try_get("", "outbox_backlog")?,
        sync_failed: row.try_get("", "sync_failed")?,
        overdue: row.try_get("", "overdue")?,
    })
}

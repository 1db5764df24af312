//! Phase metrics: how long the incident took to detect, acknowledge, mitigate and resolve,
//! and which phase deserves the follow-up work.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The phase markers of an incident, each optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhaseTimes {
    pub impact_started_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub mitigated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A phase marker, in the order an incident passes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    ImpactStarted,
    Detected,
    Acknowledged,
    Mitigated,
    Resolved,
}

impl Milestone {
    /// The field that holds it: `detected_at`.
    pub fn field(self) -> &'static str {
        match self {
            Milestone::ImpactStarted => "impact_started_at",
            Milestone::Detected => "detected_at",
            Milestone::Acknowledged => "acknowledged_at",
            Milestone::Mitigated => "mitigated_at",
            Milestone::Resolved => "resolved_at",
        }
    }
}

/// A marker that comes before an earlier one: detected before the impact started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderViolation {
    pub milestone: Milestone,
    pub at: DateTime<Utc>,
    pub earlier: Milestone,
    pub earlier_at: DateTime<Utc>,
}

impl PhaseTimes {
    pub fn milestones(&self) -> [(Milestone, Option<DateTime<Utc>>); 5] {
        [
            (Milestone::ImpactStarted, self.impact_started_at),
            (Milestone::Detected, self.detected_at),
            (Milestone::Acknowledged, self.acknowledged_at),
            (Milestone::Mitigated, self.mitigated_at),
            (Milestone::Resolved, self.resolved_at),
        ]
    }

    /// Each present marker that is earlier than the latest present marker before it.
    pub fn out_of_order(&self) -> Vec<OrderViolation> {
        let mut violations = Vec::new();
        let mut latest: Option<(Milestone, DateTime<Utc>)> = None;
        for (milestone, at) in self.milestones() {
            let Some(at) = at else { continue };
            match latest {
                Some((earlier, earlier_at)) if at < earlier_at => {
                    violations.push(OrderViolation {
                        milestone,
                        at,
                        earlier,
                        earlier_at,
                    });
                }
                _ => latest = Some((milestone, at)),
            }
        }
        violations
    }
}

/// A stretch of the incident between two markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Detect,
    Acknowledge,
    Mitigate,
    Resolve,
}

impl Phase {
    fn verb(self) -> &'static str {
        match self {
            Phase::Detect => "detect",
            Phase::Acknowledge => "acknowledge",
            Phase::Mitigate => "mitigate",
            Phase::Resolve => "resolve",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Phase::Detect => "detection",
            Phase::Acknowledge => "acknowledgement",
            Phase::Mitigate => "mitigation",
            Phase::Resolve => "resolution",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Phase::Detect => {
                "look at alerting on lack of success, not only on errors, and synthetic checks"
            }
            Phase::Acknowledge => "look at paging: routing, escalation and on-call load",
            Phase::Mitigate => "look at runbooks, drills, kill switches and rollback automation",
            Phase::Resolve => {
                "look at why the lasting fix took long: make it an owned, dated action item"
            }
        }
    }
}

/// Durations in seconds; `None` when a marker is missing or out of order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhaseMetrics {
    /// Impact started -> detected.
    pub time_to_detect: Option<i64>,
    /// Detected -> acknowledged.
    pub time_to_acknowledge: Option<i64>,
    /// Acknowledged (or detected, when nobody acknowledged) -> mitigated.
    pub time_to_mitigate: Option<i64>,
    /// Mitigated -> resolved: users were fine again, the lasting fix was still to come.
    pub time_to_resolve: Option<i64>,
    /// The phase that took longest; the earlier one on a tie.
    pub longest_phase: Option<Phase>,
    /// Plain-language pointer to where the follow-up work should go.
    pub focus: Option<String>,
}

fn seconds_between(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<i64> {
    let seconds = (to? - from?).num_seconds();
    (seconds >= 0).then_some(seconds)
}

/// Computes the phase durations, the longest phase and the focus sentence.
pub fn phase_metrics(times: &PhaseTimes) -> PhaseMetrics {
    let phases = [
        (
            Phase::Detect,
            seconds_between(times.impact_started_at, times.detected_at),
        ),
        (
            Phase::Acknowledge,
            seconds_between(times.detected_at, times.acknowledged_at),
        ),
        (
            Phase::Mitigate,
            seconds_between(
                times.acknowledged_at.or(times.detected_at),
                times.mitigated_at,
            ),
        ),
        (
            Phase::Resolve,
            seconds_between(times.mitigated_at, times.resolved_at),
        ),
    ];
    let measured: Vec<(Phase, i64)> = phases
        .iter()
        .filter_map(|&(phase, seconds)| seconds.map(|s| (phase, s)))
        .collect();
    let longest = measured
        .iter()
        .fold(None, |best: Option<(Phase, i64)>, &(phase, s)| match best {
            Some((_, best_s)) if best_s >= s => best,
            _ => Some((phase, s)),
        })
        .map(|(phase, _)| phase);
    PhaseMetrics {
        time_to_detect: phases[0].1,
        time_to_acknowledge: phases[1].1,
        time_to_mitigate: phases[2].1,
        time_to_resolve: phases[3].1,
        longest_phase: longest,
        focus: longest.map(|phase| focus_sentence(&measured, phase)),
    }
}

fn focus_sentence(measured: &[(Phase, i64)], longest: Phase) -> String {
    let parts: Vec<String> = measured
        .iter()
        .map(|&(phase, s)| format!("{} to {}", humanize_duration(s), phase.verb()))
        .collect();
    format!(
        "{}: most of the time went to {}; {}",
        parts.join(", "),
        longest.noun(),
        longest.advice()
    )
}

fn unit(count: i64, name: &str) -> String {
    if count == 1 {
        format!("1 {name}")
    } else {
        format!("{count} {name}s")
    }
}

/// "45 seconds", "24 minutes", "1 hour 30 minutes", "26 hours", "3 days 4 hours".
/// Below ten of the larger unit the next one is kept; beyond that it is noise.
pub fn humanize_duration(seconds: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    let seconds = seconds.max(0);
    if seconds < MINUTE {
        return unit(seconds, "second");
    }
    let (major_size, major_name, minor_size, minor_name) = if seconds < HOUR {
        (MINUTE, "minute", 0, "")
    } else if seconds < 2 * DAY {
        (HOUR, "hour", MINUTE, "minute")
    } else {
        (DAY, "day", HOUR, "hour")
    };
    let major = seconds / major_size;
    let minor = if minor_size > 0 {
        (seconds % major_size) / minor_size
    } else {
        0
    };
    if major < 10 && minor > 0 {
        format!("{} {}", unit(major, major_name), unit(minor, minor_name))
    } else {
        unit(major, major_name)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap()
            + chrono::Duration::hours(i64::from(hour))
            + chrono::Duration::minutes(i64::from(minute))
    }

    #[test]
    fn slow_detection_is_named_as_the_focus() {
        let times = PhaseTimes {
            impact_started_at: Some(at(0, 0)),
            detected_at: Some(at(24, 0)),
            acknowledged_at: Some(at(24, 5)),
            mitigated_at: Some(at(24, 29)),
            resolved_at: None,
        };
        let metrics = phase_metrics(&times);
        assert_eq!(metrics.time_to_detect, Some(24 * 3600));
        assert_eq!(metrics.time_to_acknowledge, Some(300));
        assert_eq!(metrics.time_to_mitigate, Some(24 * 60));
        assert_eq!(metrics.time_to_resolve, None);
        assert_eq!(metrics.longest_phase, Some(Phase::Detect));
        assert_eq!(
            metrics.focus.as_deref(),
            Some(
                "24 hours to detect, 5 minutes to acknowledge, 24 minutes to mitigate: most of \
                 the time went to detection; look at alerting on lack of success, not only on \
                 errors, and synthetic checks"
            )
        );
    }

    #[test]
    fn mitigation_is_measured_from_detection_when_nobody_acknowledged() {
        let times = PhaseTimes {
            detected_at: Some(at(1, 0)),
            mitigated_at: Some(at(3, 30)),
            ..PhaseTimes::default()
        };
        let metrics = phase_metrics(&times);
        assert_eq!(metrics.time_to_mitigate, Some(9000));
        assert_eq!(metrics.longest_phase, Some(Phase::Mitigate));
    }

    #[test]
    fn no_markers_give_no_focus() {
        let metrics = phase_metrics(&PhaseTimes::default());
        assert_eq!(metrics.longest_phase, None);
        assert_eq!(metrics.focus, None);
    }

    #[test]
    fn a_marker_before_an_earlier_one_is_out_of_order_and_not_measured() {
        let times = PhaseTimes {
            impact_started_at: Some(at(2, 0)),
            detected_at: Some(at(1, 0)),
            mitigated_at: Some(at(3, 0)),
            ..PhaseTimes::default()
        };
        let violations = times.out_of_order();
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].milestone, Milestone::Detected);
        assert_eq!(violations[0].earlier, Milestone::ImpactStarted);
        assert_eq!(phase_metrics(&times).time_to_detect, None);
    }

    #[test]
    fn durations_read_like_a_person_would_say_them() {
        assert_eq!(humanize_duration(1), "1 second");
        assert_eq!(humanize_duration(45), "45 seconds");
        assert_eq!(humanize_duration(24 * 60 + 30), "24 minutes");
        assert_eq!(humanize_duration(90 * 60), "1 hour 30 minutes");
        assert_eq!(humanize_duration(26 * 3600 + 60), "26 hours");
        assert_eq!(humanize_duration(3 * 86400 + 4 * 3600), "3 days 4 hours");
        assert_eq!(humanize_duration(12 * 86400), "12 days");
    }

    #[test]
    fn metrics_serialize_with_snake_case_phase_names() {
        let times = PhaseTimes {
            impact_started_at: Some(at(0, 0)),
            detected_at: Some(at(0, 10)),
            ..PhaseTimes::default()
        };
        let json = serde_json::to_value(phase_metrics(&times)).unwrap();
        assert_eq!(json["longest_phase"], "detect");
        assert_eq!(json["time_to_detect"], 600);
    }
}

//! The incident as a Mermaid `gantt` block, for the Markdown document: GitHub,
//! GitLab and Confluence's Mermaid macro draw it as the phases and key events
//! on one time axis.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::markdown::DocumentTimelineEntry;
use super::phases::{PhaseTimes, humanize_duration, phase_metrics};
use super::timeline_chart::{MarkKind, phase_bars};

/// More milestones than this make the chart unreadable: the table has them all.
const MAX_EVENTS: usize = 30;

/// User text as a Mermaid task name: letters, digits and a few marks that
/// mean nothing to Mermaid. `:` ends a name, `#` and `;` open entities, `%%`
/// a comment, a line break a new statement, a backtick the Markdown fence:
/// all of them (and anything else) become spaces.
fn task_name(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " .,-_()/'!?@+&".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = kept.split_whitespace().collect();
    let mut name: String = words.join(" ").chars().take(60).collect();
    if name.is_empty() {
        name.push_str("untitled");
    }
    name
}

fn at(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The block, or `None` when nothing has a time to draw.
pub fn gantt(times: &PhaseTimes, timeline: &[DocumentTimelineEntry]) -> Option<String> {
    let mut events: Vec<(DateTime<Utc>, MarkKind, &str)> = timeline
        .iter()
        .filter_map(|e| {
            let kind = MarkKind::of(e.kind.as_deref().unwrap_or("note"));
            Some((e.occurred_at?, kind, e.title.as_str()))
        })
        .filter(|(_, kind, _)| *kind != MarkKind::Note)
        .collect();
    events.sort_by_key(|&(t, _, _)| t);
    let bars = phase_bars(times);
    let latest = times
        .milestones()
        .iter()
        .filter_map(|(_, t)| *t)
        .chain(timeline.iter().filter_map(|e| e.occurred_at))
        .max()?;
    let earliest = times
        .milestones()
        .iter()
        .filter_map(|(_, t)| *t)
        .chain(events.iter().map(|e| e.0))
        .min()?;
    let axis = if (latest - earliest).num_hours() >= 24 {
        "%b %d"
    } else {
        "%H:%M"
    };
    let longest = phase_metrics(times).longest_phase;
    let mut out = String::from("```mermaid\ngantt\n    title Where the time went (UTC)\n");
    let _ = writeln!(
        out,
        "    dateFormat YYYY-MM-DDTHH:mm:ss\n    axisFormat {axis}"
    );
    if !bars.is_empty() {
        out.push_str("    section Phases\n");
    }
    for (n, bar) in bars.iter().enumerate() {
        let noun = bar.phase.noun();
        let (tags, end, length) = match bar.to {
            Some(to) => {
                let crit = if longest == Some(bar.phase) {
                    "crit, "
                } else {
                    ""
                };
                (crit, to, humanize_duration((to - bar.from).num_seconds()))
            }
            None => ("active, ", latest.max(bar.from), "still open".to_owned()),
        };
        let mut name = noun.to_owned();
        if let Some(first) = name.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let _ = writeln!(
            out,
            "    {name} {length} :{tags}p{n}, {}, {}",
            at(bar.from),
            at(end)
        );
    }
    if !events.is_empty() {
        out.push_str("    section Events\n");
    }
    for (n, (t, kind, title)) in events.iter().take(MAX_EVENTS).enumerate() {
        let mut label = kind.name().to_owned();
        if let Some(first) = label.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        // The kind first: a name can then never start with a Mermaid keyword.
        let _ = writeln!(
            out,
            "    {label} - {} :milestone, e{n}, {}, 0m",
            task_name(title),
            at(*t)
        );
    }
    out.push_str("```\n");
    if events.len() > MAX_EVENTS {
        let _ = writeln!(
            out,
            "\n_The first {MAX_EVENTS} of {} alerts, acknowledgements and deploys are drawn; the timeline lists them all._",
            events.len()
        );
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, h, m, 0).unwrap()
    }

    #[test]
    fn phases_and_key_events_are_tasks_and_milestones_with_the_longest_phase_critical() {
        let times = PhaseTimes {
            impact_started_at: Some(t(14, 2)),
            detected_at: Some(t(14, 20)),
            acknowledged_at: Some(t(14, 22)),
            mitigated_at: Some(t(14, 30)),
            resolved_at: None,
        };
        let timeline = vec![
            DocumentTimelineEntry {
                occurred_at: Some(t(14, 1)),
                kind: Some("deploy.succeeded".into()),
                title: "Config 1.4: pool=5 ```\nsection Evil\n%% x #35;".into(),
                description: None,
            },
            DocumentTimelineEntry {
                occurred_at: Some(t(14, 10)),
                kind: Some("note".into()),
                title: "a note".into(),
                description: None,
            },
        ];
        let block = gantt(&times, &timeline).unwrap();
        assert!(block.starts_with("```mermaid\ngantt\n"), "{block}");
        assert!(
            block.contains(
                "    Detection 18 minutes :crit, p0, 2025-03-01T14:02:00, 2025-03-01T14:20:00\n"
            ),
            "{block}"
        );
        assert!(
            block.contains(
                "    Resolution still open :active, p3, 2025-03-01T14:30:00, 2025-03-01T14:30:00\n"
            ),
            "{block}"
        );
        assert!(block.contains(
            "    Deploy - Config 1.4 pool 5 section Evil x 35 :milestone, e0, 2025-03-01T14:01:00, 0m\n"
        ), "{block}");
        assert!(!block.contains("a note"));
        assert_eq!(block.matches("```").count(), 2, "{block}");
        assert_eq!(
            block
                .lines()
                .filter(|l| l.trim_start().starts_with("section"))
                .count(),
            2
        );
    }

    #[test]
    fn nothing_with_a_time_draws_nothing() {
        assert_eq!(gantt(&PhaseTimes::default(), &[]), None);
    }
}

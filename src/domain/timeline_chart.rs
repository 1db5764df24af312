//! The incident drawn as SVG: the phases as bars to scale on one time axis,
//! timeline entries as marks by kind, their labels laid out in lanes so that
//! no two overlap. Pure layout and markup: no script, no external resource.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::html::escape;
use super::markdown::DocumentTimelineEntry;
use super::phases::{Phase, PhaseTimes, humanize_duration, phase_metrics};

const WIDTH: f64 = 1000.0;
const MARGIN: f64 = 24.0;
const CAPTION_Y: f64 = 18.0;
const PHASE_Y: f64 = 30.0;
const PHASE_HEIGHT: f64 = 30.0;
const AXIS_Y: f64 = 84.0;
const MARK_Y: f64 = 124.0;
const LANE_TOP: f64 = 150.0;
const LANE_HEIGHT: f64 = 16.0;
/// Below this many lanes a label that finds no room is left out (its mark
/// stays, with its title on hover, and the table lists every entry).
const MAX_LANES: usize = 10;
const LABEL_SIZE: f64 = 11.0;
/// Labels are set in a monospace face, so their width is known here: the
/// common monospace faces advance 0.6em per character.
const CHAR_WIDTH: f64 = LABEL_SIZE * 0.62;
const LABEL_CHARS: usize = 32;
const LABEL_GAP: f64 = 8.0;

/// Tick steps, in seconds, from ten seconds to a month.
const STEPS: [i64; 19] = [
    10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800,
    604_800, 1_209_600, 2_592_000,
];
const MAX_TICKS: i64 = 8;

/// How a timeline entry is marked, from its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Alert,
    Acknowledgement,
    Deploy,
    Note,
}

impl MarkKind {
    pub fn of(kind: &str) -> Self {
        if kind == "alert.acknowledged" {
            MarkKind::Acknowledgement
        } else if kind.starts_with("alert.") {
            MarkKind::Alert
        } else if kind.starts_with("deploy.") {
            MarkKind::Deploy
        } else {
            MarkKind::Note
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MarkKind::Alert => "alert",
            MarkKind::Acknowledgement => "acknowledgement",
            MarkKind::Deploy => "deploy",
            MarkKind::Note => "note",
        }
    }

    /// The mark's outline centred on (x, y).
    fn shape(self, x: f64, y: f64) -> String {
        match self {
            MarkKind::Alert => format!(
                "<path d=\"M{x:.2} {:.2}L{:.2} {:.2}L{:.2} {:.2}Z\"/>",
                y - 6.0,
                x + 6.0,
                y + 5.0,
                x - 6.0,
                y + 5.0
            ),
            MarkKind::Acknowledgement => format!("<circle cx=\"{x:.2}\" cy=\"{y:.2}\" r=\"5\"/>"),
            MarkKind::Deploy => format!(
                "<path d=\"M{x:.2} {:.2}L{:.2} {y:.2}L{x:.2} {:.2}L{:.2} {y:.2}Z\"/>",
                y - 6.0,
                x + 6.0,
                y + 6.0,
                x - 6.0
            ),
            MarkKind::Note => format!(
                "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"8\" height=\"8\"/>",
                x - 4.0,
                y - 4.0
            ),
        }
    }
}

/// One phase between two markers, as the phase metrics measure it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseBar {
    pub phase: Phase,
    pub from: DateTime<Utc>,
    /// `None`: the incident is still in this phase (no later marker is set).
    pub to: Option<DateTime<Utc>>,
}

impl PhaseBar {
    pub fn seconds(&self) -> Option<i64> {
        self.to.map(|to| (to - self.from).num_seconds())
    }
}

/// The phases that can be drawn: measured ones, and the one the incident is
/// still in. A phase whose start is unknown, or whose markers are out of
/// order, is not drawn (the review names the order problem).
pub fn phase_bars(times: &PhaseTimes) -> Vec<PhaseBar> {
    let stretches = [
        (Phase::Detect, times.impact_started_at, times.detected_at),
        (Phase::Acknowledge, times.detected_at, times.acknowledged_at),
        (
            Phase::Mitigate,
            times.acknowledged_at.or(times.detected_at),
            times.mitigated_at,
        ),
        (Phase::Resolve, times.mitigated_at, times.resolved_at),
    ];
    let markers = times.milestones().map(|(_, at)| at);
    let mut bars = Vec::new();
    for (phase, from, to) in stretches {
        let Some(from) = from else { continue };
        match to {
            Some(to) if to >= from => bars.push(PhaseBar {
                phase,
                from,
                to: Some(to),
            }),
            Some(_) => {}
            None => {
                let later = markers.iter().flatten().any(|&m| m > from);
                // An acknowledgement nobody recorded is skipped, not open:
                // mitigation is measured from detection then.
                if !later && phase != Phase::Acknowledge {
                    bars.push(PhaseBar {
                        phase,
                        from,
                        to: None,
                    });
                }
            }
        }
    }
    bars
}

/// The time axis: what it spans, padded, and where its ticks fall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Seconds between ticks.
    pub step: i64,
    pub ticks: Vec<DateTime<Utc>>,
}

impl Axis {
    /// An axis over these instants; `None` when there are none.
    pub fn over(instants: impl IntoIterator<Item = DateTime<Utc>>) -> Option<Self> {
        let mut instants = instants.into_iter();
        let first = instants.next()?;
        let (low, high) = instants.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t)));
        let span = (high - low).num_seconds().max(60);
        let pad = chrono::Duration::seconds((span / 25).max(5));
        let (start, end) = (
            low - pad,
            high.max(low + chrono::Duration::seconds(span)) + pad,
        );
        let step = tick_step((end - start).num_seconds());
        let first_tick = start.timestamp().div_euclid(step) * step + step;
        let ticks = (0..)
            .map(|n| first_tick + n * step)
            .take_while(|&t| t <= end.timestamp())
            .filter_map(|t| DateTime::from_timestamp(t, 0))
            .collect();
        Some(Axis {
            start,
            end,
            step,
            ticks,
        })
    }

    fn x(&self, at: DateTime<Utc>) -> f64 {
        let span = (self.end - self.start).num_milliseconds().max(1) as f64;
        let offset = (at - self.start).num_milliseconds() as f64;
        MARGIN + offset / span * (WIDTH - 2.0 * MARGIN)
    }

    /// A tick's label: the date where it changes (and on the first tick),
    /// the time of day where the step is shorter than a day.
    fn label(&self, n: usize) -> String {
        let at = self.ticks[n];
        if self.step >= 86_400 {
            return at.format("%b %-d").to_string();
        }
        let time = if self.step < 60 { "%H:%M:%S" } else { "%H:%M" };
        let new_day = n == 0 || self.ticks[n - 1].date_naive() != at.date_naive();
        if new_day {
            at.format(&format!("%b %-d {time}")).to_string()
        } else {
            at.format(time).to_string()
        }
    }
}

/// The shortest step that keeps the axis to a handful of ticks.
fn tick_step(span: i64) -> i64 {
    STEPS
        .iter()
        .copied()
        .find(|step| span / step <= MAX_TICKS)
        .unwrap_or_else(|| (span / MAX_TICKS / 86_400 + 1) * 86_400)
}

/// A label placed in a lane below the marks.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub entry: usize,
    pub lane: usize,
    pub left: f64,
    pub right: f64,
    pub text: String,
}

/// Lays out labels left to right, each in the first lane where it does not
/// touch the one before it; the rest are left out.
fn lay_out_labels(marks: &[(usize, f64, &str)]) -> (Vec<Label>, usize) {
    let mut lane_ends: Vec<f64> = Vec::new();
    let mut labels = Vec::new();
    let mut hidden = 0;
    for &(entry, x, title) in marks {
        let text = shorten(title);
        let width = text.chars().count() as f64 * CHAR_WIDTH;
        let (left, right) = if x + width <= WIDTH - 2.0 {
            (x, x + width)
        } else {
            (x - width, x)
        };
        let free = lane_ends.iter().position(|&end| end + LABEL_GAP <= left);
        let lane = match free {
            Some(lane) => lane,
            None if lane_ends.len() < MAX_LANES => {
                lane_ends.push(f64::MIN);
                lane_ends.len() - 1
            }
            None => {
                hidden += 1;
                continue;
            }
        };
        lane_ends[lane] = right;
        labels.push(Label {
            entry,
            lane,
            left,
            right,
            text,
        });
    }
    (labels, hidden)
}

fn shorten(title: &str) -> String {
    let one_line = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= LABEL_CHARS {
        one_line
    } else {
        let cut: String = one_line.chars().take(LABEL_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// The chart as it will be drawn.
pub struct Chart {
    pub axis: Axis,
    pub bars: Vec<PhaseBar>,
    pub longest: Option<Phase>,
    pub labels: Vec<Label>,
    pub hidden_labels: usize,
}

/// Lays out the chart; `None` when neither a phase marker nor an entry has a time.
pub fn lay_out(times: &PhaseTimes, timeline: &[DocumentTimelineEntry]) -> Option<Chart> {
    let markers = times.milestones().into_iter().filter_map(|(_, at)| at);
    let dated = timeline.iter().filter_map(|e| e.occurred_at);
    let axis = Axis::over(markers.chain(dated))?;
    let marks = dated_marks(timeline, &axis);
    let (labels, hidden_labels) = lay_out_labels(&marks);
    Some(Chart {
        axis,
        bars: phase_bars(times),
        longest: phase_metrics(times).longest_phase,
        labels,
        hidden_labels,
    })
}

/// (entry index, x, title) of every dated entry, in time order.
fn dated_marks<'a>(
    timeline: &'a [DocumentTimelineEntry],
    axis: &Axis,
) -> Vec<(usize, f64, &'a str)> {
    let mut marks: Vec<(usize, DateTime<Utc>, &str)> = timeline
        .iter()
        .enumerate()
        .filter_map(|(n, e)| Some((n, e.occurred_at?, e.title.as_str())))
        .collect();
    marks.sort_by_key(|&(n, at, _)| (at, n));
    marks
        .into_iter()
        .map(|(n, at, title)| (n, axis.x(at), title))
        .collect()
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Renders the chart as an inline `<svg>` element.
pub fn render_svg(chart: &Chart, timeline: &[DocumentTimelineEntry]) -> String {
    let lanes = chart.labels.iter().map(|l| l.lane + 1).max().unwrap_or(0);
    let legend_y = LANE_TOP + lanes as f64 * LANE_HEIGHT + 18.0;
    let height = legend_y + 16.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"timeline-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" aria-labelledby=\"chart-title\">\
         <title id=\"chart-title\">The incident's phases and timeline entries on one time axis</title>"
    );
    caption(&mut out, chart);
    phase_rects(&mut out, chart);
    axis(&mut out, &chart.axis, height);
    marks(&mut out, chart, timeline);
    legend(&mut out, legend_y);
    out.push_str("</svg>");
    out
}

fn caption(out: &mut String, chart: &Chart) {
    let text = match chart
        .longest
        .and_then(|p| chart.bars.iter().find(|b| b.phase == p))
    {
        Some(bar) => format!(
            "Longest phase: {} ({})",
            bar.phase.noun(),
            humanize_duration(bar.seconds().unwrap_or_default())
        ),
        None => "No phase could be measured yet".to_owned(),
    };
    let _ = write!(
        out,
        "<text class=\"caption\" x=\"{MARGIN}\" y=\"{CAPTION_Y}\">{}</text>",
        escape(&text)
    );
}

fn phase_rects(out: &mut String, chart: &Chart) {
    let axis = &chart.axis;
    for bar in &chart.bars {
        let x = axis.x(bar.from);
        let end = bar.to.map_or(axis.x(axis.end), |to| axis.x(to));
        let width = (end - x).max(0.0);
        let noun = bar.phase.noun();
        let longest = if chart.longest == Some(bar.phase) {
            " longest"
        } else {
            ""
        };
        let (open, seconds, how_long) = match bar.seconds() {
            Some(s) => ("", format!(" data-seconds=\"{s}\""), humanize_duration(s)),
            None => (" open", String::new(), "still open".to_owned()),
        };
        let _ = write!(
            out,
            "<g class=\"phase phase-{noun}{longest}{open}\" data-phase=\"{noun}\"{seconds}>\
             <title>{}: {how_long}</title>\
             <rect x=\"{x:.2}\" y=\"{PHASE_Y}\" width=\"{width:.2}\" height=\"{PHASE_HEIGHT}\"/>",
            capitalized(noun)
        );
        let text = format!("{} · {how_long}", capitalized(noun));
        if text.chars().count() as f64 * CHAR_WIDTH + 8.0 <= width {
            let _ = write!(
                out,
                "<text class=\"phase-label\" x=\"{:.2}\" y=\"{:.2}\">{}</text>",
                x + 4.0,
                PHASE_Y + PHASE_HEIGHT / 2.0 + 4.0,
                escape(&text)
            );
        }
        out.push_str("</g>");
    }
}

fn axis(out: &mut String, axis: &Axis, height: f64) {
    let _ = write!(
        out,
        "<g class=\"axis\" data-step=\"{}\"><line x1=\"{MARGIN}\" x2=\"{:.2}\" y1=\"{AXIS_Y}\" y2=\"{AXIS_Y}\"/>",
        axis.step,
        WIDTH - MARGIN
    );
    for n in 0..axis.ticks.len() {
        let x = axis.x(axis.ticks[n]);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x:.2}\" x2=\"{x:.2}\" y1=\"{PHASE_Y}\" y2=\"{:.2}\"/>\
             <text class=\"tick\" x=\"{x:.2}\" y=\"{:.2}\" data-at=\"{}\">{}</text>",
            height - 24.0,
            AXIS_Y + 16.0,
            axis.ticks[n].to_rfc3339(),
            escape(&axis.label(n))
        );
    }
    out.push_str("</g>");
}

fn marks(out: &mut String, chart: &Chart, timeline: &[DocumentTimelineEntry]) {
    let axis = &chart.axis;
    out.push_str("<g class=\"marks\">");
    for (n, entry) in timeline.iter().enumerate() {
        let Some(at) = entry.occurred_at else {
            continue;
        };
        let kind = entry.kind.as_deref().unwrap_or("note");
        let mark = MarkKind::of(kind);
        let failed = if kind.ends_with(".failed") {
            " failed"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<g class=\"mark mark-{}{failed}\" data-entry=\"{n}\" data-kind=\"{}\" data-at=\"{}\">\
             <title>{} {}: {}</title>{}</g>",
            mark.name(),
            escape(kind),
            at.to_rfc3339(),
            at.format("%Y-%m-%d %H:%M UTC"),
            escape(kind),
            escape(&entry.title),
            mark.shape(axis.x(at), MARK_Y)
        );
    }
    out.push_str("</g><g class=\"labels\">");
    for label in &chart.labels {
        let Some(at) = timeline[label.entry].occurred_at else {
            continue;
        };
        let x = axis.x(at);
        let baseline = LANE_TOP + label.lane as f64 * LANE_HEIGHT + LABEL_SIZE;
        let _ = write!(
            out,
            "<line class=\"leader\" x1=\"{x:.2}\" x2=\"{x:.2}\" y1=\"{:.2}\" y2=\"{:.2}\"/>\
             <text class=\"label\" data-entry=\"{}\" data-lane=\"{}\" data-left=\"{:.2}\" data-right=\"{:.2}\" x=\"{:.2}\" y=\"{baseline:.2}\">{}</text>",
            MARK_Y + 7.0,
            baseline - LABEL_SIZE,
            label.entry,
            label.lane,
            label.left,
            label.right,
            label.left,
            escape(&label.text)
        );
    }
    out.push_str("</g>");
    if chart.hidden_labels > 0 {
        let _ = write!(
            out,
            "<text class=\"hidden-labels\" x=\"{:.2}\" y=\"{CAPTION_Y}\" text-anchor=\"end\">{} more entries: see the timeline table</text>",
            WIDTH - MARGIN,
            chart.hidden_labels
        );
    }
}

fn legend(out: &mut String, y: f64) {
    out.push_str("<g class=\"legend\">");
    let mut x = MARGIN + 6.0;
    for kind in [
        MarkKind::Alert,
        MarkKind::Acknowledgement,
        MarkKind::Deploy,
        MarkKind::Note,
    ] {
        let _ = write!(
            out,
            "<g class=\"mark mark-{}\">{}</g><text x=\"{:.2}\" y=\"{:.2}\">{}</text>",
            kind.name(),
            kind.shape(x, y),
            x + 10.0,
            y + 4.0,
            kind.name()
        );
        x += 40.0 + kind.name().len() as f64 * CHAR_WIDTH;
    }
    out.push_str("</g>");
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, day, h, m, 0).unwrap()
    }

    fn entry(occurred_at: DateTime<Utc>, kind: &str, title: &str) -> DocumentTimelineEntry {
        DocumentTimelineEntry {
            occurred_at: Some(occurred_at),
            kind: Some(kind.into()),
            title: title.into(),
            description: None,
        }
    }

    #[test]
    fn kinds_are_marked_as_alerts_acknowledgements_deploys_or_notes() {
        assert_eq!(MarkKind::of("alert.triggered"), MarkKind::Alert);
        assert_eq!(MarkKind::of("alert.resolved"), MarkKind::Alert);
        assert_eq!(
            MarkKind::of("alert.acknowledged"),
            MarkKind::Acknowledgement
        );
        assert_eq!(MarkKind::of("deploy.failed"), MarkKind::Deploy);
        assert_eq!(MarkKind::of("note"), MarkKind::Note);
        assert_eq!(MarkKind::of("detected"), MarkKind::Note);
    }

    #[test]
    fn a_short_incident_gets_ticks_minutes_apart() {
        let axis = Axis::over([at(1, 14, 2), at(1, 14, 14)]).unwrap();
        assert_eq!(axis.step, 120);
        assert!((3..=9).contains(&axis.ticks.len()), "{:?}", axis.ticks);
        assert_eq!(axis.label(0), "Mar 1 14:02");
        assert_eq!(axis.label(1), "14:04");
    }

    #[test]
    fn an_incident_of_days_gets_ticks_half_a_day_apart_labelled_with_dates() {
        let axis = Axis::over([at(1, 9, 0), at(4, 17, 30)]).unwrap();
        assert_eq!(axis.step, 43_200);
        assert!((3..=9).contains(&axis.ticks.len()), "{:?}", axis.ticks);
        assert!(axis.ticks.iter().all(|t| t.timestamp() % 43_200 == 0));
        let labels: Vec<String> = (0..axis.ticks.len()).map(|n| axis.label(n)).collect();
        assert!(labels.contains(&"Mar 2 00:00".to_owned()), "{labels:?}");
        assert!(labels.contains(&"12:00".to_owned()), "{labels:?}");
    }

    #[test]
    fn a_month_long_incident_is_ticked_in_weeks_and_never_more_than_nine_ticks() {
        let start = at(1, 0, 0);
        for days in [1, 2, 5, 12, 31, 90, 400] {
            let axis = Axis::over([start, start + chrono::Duration::days(days)]).unwrap();
            assert!(
                (2..=9).contains(&axis.ticks.len()),
                "{days}: {:?}",
                axis.ticks
            );
        }
        let month = Axis::over([start, start + chrono::Duration::days(31)]).unwrap();
        assert_eq!(month.step, 604_800);
        assert_eq!(month.label(0).split(' ').count(), 2, "{}", month.label(0));
    }

    #[test]
    fn an_unresolved_incident_draws_its_current_phase_open_and_skips_a_missing_acknowledgement() {
        let times = PhaseTimes {
            impact_started_at: Some(at(1, 14, 0)),
            detected_at: Some(at(1, 15, 0)),
            acknowledged_at: None,
            mitigated_at: Some(at(1, 15, 30)),
            resolved_at: None,
        };
        let bars = phase_bars(&times);
        let phases: Vec<(Phase, Option<i64>)> =
            bars.iter().map(|b| (b.phase, b.seconds())).collect();
        assert_eq!(
            phases,
            [
                (Phase::Detect, Some(3600)),
                (Phase::Mitigate, Some(1800)),
                (Phase::Resolve, None)
            ]
        );
    }

    #[test]
    fn two_hundred_dense_entries_get_labels_that_never_overlap() {
        let timeline: Vec<DocumentTimelineEntry> = (0..200)
            .map(|n| {
                entry(
                    at(1, 14, 0) + chrono::Duration::seconds(n * 7),
                    "alert.triggered",
                    &format!("Error rate high on checkout shard {n}"),
                )
            })
            .collect();
        let chart = lay_out(&PhaseTimes::default(), &timeline).unwrap();
        assert!(!chart.labels.is_empty());
        assert_eq!(chart.labels.len() + chart.hidden_labels, 200);
        for a in &chart.labels {
            assert!(a.left >= 0.0 && a.right <= WIDTH, "{a:?}");
            for b in &chart.labels {
                if a.entry != b.entry && a.lane == b.lane {
                    assert!(a.right < b.left || b.right < a.left, "{a:?} overlaps {b:?}");
                }
            }
        }
        let svg = render_svg(&chart, &timeline);
        assert_eq!(
            svg.matches("class=\"mark mark-alert\" data-entry").count(),
            200
        );
        assert!(svg.contains("more entries: see the timeline table"));
    }
}

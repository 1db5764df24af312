//! Renders a published post-mortem as Markdown: the template the practice shares.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};

use super::cause_area::CauseArea;
use super::phases::{PhaseTimes, humanize_duration, phase_metrics};

/// A post-mortem ready to render: plain owned values, names already anonymized (or not,
/// for readers allowed to see them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub status: String,
    pub severity: Option<String>,
    pub services: Vec<String>,
    pub author: Option<String>,
    pub summary: Option<String>,
    pub phases: PhaseTimes,
    pub timeline: Vec<DocumentTimelineEntry>,
    pub causes: Vec<DocumentCause>,
    pub action_items: Vec<DocumentActionItem>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentTimelineEntry {
    pub occurred_at: Option<DateTime<Utc>>,
    pub kind: Option<String>,
    pub title: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentCause {
    pub area: CauseArea,
    pub description: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentActionItem {
    pub title: String,
    pub area: Option<CauseArea>,
    pub owner: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub status: String,
    pub external_key: Option<String>,
    pub external_url: Option<String>,
}

/// Makes text safe inside a table cell: pipes escaped, line breaks kept as `<br>`.
fn cell(text: &str) -> String {
    let text = text.trim().replace('\\', "\\\\").replace('|', "\\|");
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines.join("<br>")
}

/// Text on one line, for headings and metadata.
fn inline(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn or_dash(value: Option<String>) -> String {
    value
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "—".to_string())
}

/// Renders the whole document.
pub fn render_markdown(doc: &Document) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", inline(&doc.title));
    metadata(&mut out, doc);
    section_summary(&mut out, doc);
    section_phases(&mut out, &doc.phases);
    section_timeline(&mut out, &doc.timeline);
    section_causes(&mut out, &doc.causes);
    section_action_items(&mut out, &doc.action_items);
    out
}

fn metadata(out: &mut String, doc: &Document) {
    let _ = writeln!(out, "- **Status:** {}", inline(&doc.status));
    if let Some(severity) = &doc.severity {
        let _ = writeln!(out, "- **Severity:** {}", inline(severity));
    }
    if !doc.services.is_empty() {
        let services: Vec<String> = doc.services.iter().map(|s| inline(s)).collect();
        let _ = writeln!(out, "- **Services:** {}", services.join(", "));
    }
    if let Some(author) = &doc.author {
        let _ = writeln!(out, "- **Author:** {}", inline(author));
    }
    // Users stop being affected at mitigation; the lasting fix (resolution) may come later.
    let end = doc.phases.mitigated_at.or(doc.phases.resolved_at);
    match (doc.phases.impact_started_at, end) {
        (Some(start), Some(end)) => {
            let length = (end - start).num_seconds();
            let _ = writeln!(
                out,
                "- **Impact:** {} to {} ({})",
                timestamp(start),
                timestamp(end),
                humanize_duration(length)
            );
        }
        (Some(start), None) => {
            let _ = writeln!(
                out,
                "- **Impact:** from {}, end not recorded",
                timestamp(start)
            );
        }
        _ => {}
    }
    out.push('\n');
}

fn section_summary(out: &mut String, doc: &Document) {
    out.push_str("## Summary\n\n");
    let summary = doc.summary.as_deref().map(str::trim).unwrap_or_default();
    if summary.is_empty() {
        out.push_str("_No summary._\n\n");
    } else {
        let _ = writeln!(out, "{summary}\n");
    }
}

fn section_phases(out: &mut String, times: &PhaseTimes) {
    let metrics = phase_metrics(times);
    out.push_str("## Phase metrics\n\n");
    let rows = [
        ("Time to detect", metrics.time_to_detect),
        ("Time to acknowledge", metrics.time_to_acknowledge),
        ("Time to mitigate", metrics.time_to_mitigate),
        ("Time to resolve", metrics.time_to_resolve),
    ];
    out.push_str("| Phase | Duration |\n|---|---|\n");
    for (name, seconds) in rows {
        let _ = writeln!(
            out,
            "| {name} | {} |",
            or_dash(seconds.map(humanize_duration))
        );
    }
    out.push('\n');
    if let Some(focus) = metrics.focus {
        let _ = writeln!(out, "**Focus:** {focus}\n");
    }
}

fn section_timeline(out: &mut String, timeline: &[DocumentTimelineEntry]) {
    out.push_str("## Timeline\n\n");
    if timeline.is_empty() {
        out.push_str("_No timeline entries._\n\n");
        return;
    }
    let mut entries: Vec<&DocumentTimelineEntry> = timeline.iter().collect();
    // Undated entries go last, in the order given.
    entries.sort_by_key(|e| (e.occurred_at.is_none(), e.occurred_at));
    out.push_str("| Time (UTC) | Kind | Event | Details |\n|---|---|---|---|\n");
    for entry in entries {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            or_dash(entry.occurred_at.map(timestamp)),
            cell(entry.kind.as_deref().unwrap_or_default()),
            cell(&entry.title),
            cell(entry.description.as_deref().unwrap_or_default()),
        );
    }
    out.push('\n');
}

fn section_causes(out: &mut String, causes: &[DocumentCause]) {
    out.push_str("## Causes\n\n");
    for area in CauseArea::ALL {
        let _ = writeln!(out, "### {}\n", area.title());
        let in_area: Vec<&DocumentCause> = causes.iter().filter(|c| c.area == area).collect();
        if in_area.is_empty() {
            out.push_str("_None recorded._\n\n");
            continue;
        }
        for cause in in_area {
            let _ = writeln!(out, "- {}", inline(&cause.description));
        }
        out.push('\n');
    }
}

fn tracker_link(item: &DocumentActionItem) -> String {
    let url = item
        .external_url
        .as_deref()
        .map(|u| u.trim().replace(' ', "%20").replace(')', "%29"));
    match (item.external_key.as_deref(), url) {
        (Some(key), Some(url)) => format!("[{}]({url})", cell(key)),
        (None, Some(url)) => format!("[link]({url})"),
        (Some(key), None) => cell(key),
        (None, None) => "—".to_string(),
    }
}

fn section_action_items(out: &mut String, items: &[DocumentActionItem]) {
    out.push_str("## Action items\n\n");
    if items.is_empty() {
        out.push_str("_No action items._\n");
        return;
    }
    out.push_str("| Action item | Area | Owner | Due | Status | Tracker |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for item in items {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&item.title),
            or_dash(item.area.map(|a| a.title().to_string())),
            or_dash(item.owner.as_deref().map(cell)),
            or_dash(item.due_date.map(|d| d.format("%Y-%m-%d").to_string())),
            cell(&item.status),
            tracker_link(item),
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, h, m, 0).unwrap()
    }

    fn document() -> Document {
        Document {
            title: "Checkout errors\nafter config deploy".into(),
            status: "published".into(),
            severity: Some("SEV2".into()),
            services: vec!["checkout".into(), "payments".into()],
            author: Some("Engineer A".into()),
            summary: Some("12% of checkouts failed for 40 minutes.".into()),
            phases: PhaseTimes {
                impact_started_at: Some(at(14, 2)),
                detected_at: Some(at(14, 20)),
                acknowledged_at: Some(at(14, 22)),
                mitigated_at: Some(at(14, 42)),
                resolved_at: Some(at(16, 0)),
            },
            timeline: vec![
                DocumentTimelineEntry {
                    occurred_at: Some(at(14, 20)),
                    kind: Some("alert.triggered".into()),
                    title: "Error rate | checkout".into(),
                    description: Some("p99 up\nerrors up".into()),
                },
                DocumentTimelineEntry {
                    occurred_at: None,
                    kind: Some("note".into()),
                    title: "Undated note".into(),
                    description: None,
                },
                DocumentTimelineEntry {
                    occurred_at: Some(at(14, 2)),
                    kind: Some("deploy.succeeded".into()),
                    title: "Engineer A deployed config 1.4".into(),
                    description: None,
                },
            ],
            causes: vec![
                DocumentCause {
                    area: CauseArea::Detection,
                    description: "Alerts only fire on errors".into(),
                },
                DocumentCause {
                    area: CauseArea::Prevention,
                    description: "Pool size is not validated".into(),
                },
            ],
            action_items: vec![DocumentActionItem {
                title: "Alert on zero successful checkouts".into(),
                area: Some(CauseArea::Detection),
                owner: Some("Engineer B".into()),
                due_date: NaiveDate::from_ymd_opt(2025, 4, 1),
                status: "open".into(),
                external_key: Some("OPS-12".into()),
                external_url: Some("https://example.atlassian.net/browse/OPS-12".into()),
            }],
        }
    }

    #[test]
    fn the_document_has_the_template_sections_in_order() {
        let md = render_markdown(&document());
        let positions: Vec<usize> = [
            "# Checkout errors after config deploy",
            "## Summary",
            "## Phase metrics",
            "## Timeline",
            "## Causes",
            "### Prevention",
            "### Detection",
            "### Mitigation",
            "## Action items",
        ]
        .iter()
        .map(|heading| md.find(heading).expect(heading))
        .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{md}");
    }

    #[test]
    fn metadata_names_status_severity_services_and_impact_window() {
        let md = render_markdown(&document());
        assert!(md.contains("- **Status:** published"));
        assert!(md.contains("- **Severity:** SEV2"));
        assert!(md.contains("- **Services:** checkout, payments"));
        assert!(
            md.contains("- **Impact:** 2025-03-01 14:02 UTC to 2025-03-01 14:42 UTC (40 minutes)")
        );
    }

    #[test]
    fn phase_metrics_show_durations_and_the_focus() {
        let md = render_markdown(&document());
        assert!(md.contains("| Time to detect | 18 minutes |"), "{md}");
        assert!(
            md.contains("| Time to resolve | 1 hour 18 minutes |"),
            "{md}"
        );
        assert!(md.contains("**Focus:** 18 minutes to detect"), "{md}");
    }

    #[test]
    fn timeline_is_ordered_by_time_with_cells_escaped() {
        let md = render_markdown(&document());
        let deploy = md.find("deployed config 1.4").unwrap();
        let alert = md.find("Error rate").unwrap();
        let note = md.find("Undated note").unwrap();
        assert!(deploy < alert && alert < note);
        assert!(
            md.contains("| Error rate \\| checkout | p99 up<br>errors up |"),
            "{md}"
        );
    }

    #[test]
    fn causes_are_grouped_by_area_and_empty_areas_say_so() {
        let md = render_markdown(&document());
        let mitigation = md.find("### Mitigation").unwrap();
        assert!(md[mitigation..].starts_with("### Mitigation\n\n_None recorded._"));
        assert!(md.contains("### Detection\n\n- Alerts only fire on errors"));
    }

    #[test]
    fn action_items_list_owner_due_date_status_and_tracker_link() {
        let md = render_markdown(&document());
        assert!(md.contains(
            "| Alert on zero successful checkouts | Detection | Engineer B | 2025-04-01 | open | \
             [OPS-12](https://example.atlassian.net/browse/OPS-12) |"
        ), "{md}");
    }

    #[test]
    fn a_bare_document_renders_placeholders_instead_of_failing() {
        let md = render_markdown(&Document {
            title: "Untitled".into(),
            status: "draft".into(),
            ..Document::default()
        });
        assert!(md.contains("_No summary._"));
        assert!(md.contains("_No timeline entries._"));
        assert!(md.contains("_No action items._"));
        assert!(!md.contains("**Focus:**"));
    }
}

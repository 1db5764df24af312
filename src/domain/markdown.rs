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

/// User text as literal Markdown: it reads as typed and cannot change the
/// document. Every character CommonMark or GFM gives a meaning to inside a
/// line is backslash-escaped (code spans, emphasis, strikethrough, links,
/// raw HTML, autolinks, entities, table pipes, heading closers), and so is
/// what would open a block at the start of a line (list markers, quotes,
/// thematic breaks, setext underlines).
fn literal(text: &str) -> String {
    let text = text.trim();
    let mut out = String::with_capacity(text.len() + 8);
    let ordered_marker = text
        .find(|c: char| !c.is_ascii_digit())
        .filter(|&at| (1..=9).contains(&at) && text[at..].starts_with(['.', ')']));
    for (at, c) in text.char_indices() {
        let opens_block = at == 0 && matches!(c, '-' | '+' | '=');
        if opens_block
            || Some(at) == ordered_marker
            || matches!(
                c,
                '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '<' | '>' | '&' | '#' | '|'
            )
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Line breaks as Markdown sees them: CR, LF or both.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split("\r\n").flat_map(|l| l.split(['\r', '\n']))
}

/// Makes text safe inside a table cell: escaped, line breaks kept as `<br>`.
fn cell(text: &str) -> String {
    let lines: Vec<String> = lines(text.trim()).map(literal).collect();
    lines.join("<br>")
}

/// Text on one line, for headings and metadata.
fn inline(text: &str) -> String {
    literal(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Text of several paragraphs (blank lines between them), each line escaped.
fn paragraphs(text: &str) -> String {
    let mut paragraphs: Vec<Vec<String>> = vec![Vec::new()];
    for line in lines(text).map(str::trim) {
        match paragraphs.last_mut() {
            Some(current) if !line.is_empty() => current.push(literal(line)),
            Some(current) if !current.is_empty() => paragraphs.push(Vec::new()),
            _ => {}
        }
    }
    paragraphs
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.join("\n"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A destination a link may have: an http(s) URL, with what would end or
/// escape a Markdown link destination (or a table cell) percent-encoded.
fn link_destination(url: &str) -> Option<String> {
    let url = url.trim();
    let scheme = url.split_once("://")?.0.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    Some(
        url.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~:/?#@!$'*+,;=%[]".contains(&b) {
                    (b as char).to_string()
                } else if b == b'&' {
                    // An entity in a destination would be decoded: `\&` keeps it `&`.
                    "\\&".to_owned()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect(),
    )
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
    if let Some(gantt) = super::mermaid::gantt(&doc.phases, &doc.timeline) {
        let _ = writeln!(out, "{gantt}");
    }
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
    let summary = paragraphs(doc.summary.as_deref().unwrap_or_default());
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

/// The tracker's issue: its key, linked when the tracker gave an http(s) URL.
fn tracker_link(item: &DocumentActionItem) -> String {
    let url = item.external_url.as_deref().and_then(link_destination);
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

    /// Lines that would each change a document if inserted as they are.
    const HOSTILE: [&str; 16] = [
        "# heading ##",
        "```unclosed fence",
        "~~~ another fence",
        "<!-- swallows the rest",
        "<script>alert(1)</script>",
        "[Read the post-mortem](javascript:alert(1)) ![img](x.png)",
        "*em* _em_ **strong** ~~struck~~ `code`",
        "> quoted",
        "- item",
        "+ item",
        "12. item",
        "3) item",
        "===",
        "a | b",
        "&amp; &#60; &lt; <https://evil.example> trailing \\",
        "[ref]: https://evil.example",
    ];

    /// The events of `markdown` as GFM renderers see it, and its text.
    fn parse(markdown: &str) -> (Vec<String>, String) {
        use pulldown_cmark::{Event, Options, Parser};
        let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
        let mut tags = Vec::new();
        let mut text = String::new();
        for event in Parser::new_ext(markdown, options) {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::SoftBreak => text.push('\n'),
                other => tags.push(format!("{other:?}")),
            }
        }
        (tags, text)
    }

    #[test]
    fn user_text_on_a_line_of_its_own_stays_one_paragraph_of_literal_text() {
        for line in HOSTILE {
            let (tags, text) = parse(&literal(line));
            assert_eq!(tags, ["Start(Paragraph)", "End(Paragraph)"], "{line}");
            assert_eq!(text, line);
        }
    }

    #[test]
    fn summary_paragraphs_are_kept_and_each_line_is_literal() {
        let summary = HOSTILE.join("\r\n") + "\r\rsecond paragraph\n===";
        let (tags, text) = parse(&paragraphs(&summary));
        let paragraph = ["Start(Paragraph)", "End(Paragraph)"];
        assert_eq!(tags, [paragraph, paragraph].concat());
        assert_eq!(text, HOSTILE.join("\n") + "second paragraph\n===");
    }

    #[test]
    fn a_table_cell_holds_its_text_whatever_it_is() {
        for line in HOSTILE {
            let table = format!("| a | b |\n|---|---|\n| {} | x |\n", cell(line));
            let (tags, text) = parse(&table);
            let cells = tags.iter().filter(|t| *t == "Start(TableCell)").count();
            assert_eq!(cells, 4, "{line}: {tags:?}");
            assert_eq!(text, format!("ab{line}x"));
        }
    }

    #[test]
    fn only_http_links_are_linked_and_their_destination_cannot_break_out() {
        assert_eq!(link_destination("javascript:alert(1)"), None);
        assert_eq!(link_destination("data://text/html,x"), None);
        let url = link_destination("https://t.example/a b)|<x>&y").unwrap();
        assert_eq!(url, "https://t.example/a%20b%29%7C%3Cx%3E\\&y");
        let (tags, _) = parse(&format!("[OPS-1]({url})"));
        assert!(
            tags.iter().any(|t| t.contains("a%20b%29%7C%3Cx%3E&y")),
            "{tags:?}"
        );
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

//! Renders a post-mortem as one self-contained HTML page: the template's
//! sections, the review findings and the incident drawn (see
//! [`super::timeline_chart`]). Inline CSS and SVG only: no script, no font,
//! no image, nothing the page would fetch, so it can be printed, saved or
//! served under a `Content-Security-Policy` that allows nothing else.

use std::fmt::Write as _;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::cause_area::CauseArea;
use super::markdown::{Document, DocumentActionItem};
use super::phases::{humanize_duration, phase_metrics};
use super::review::{Finding, Severity};
use super::timeline_chart::{lay_out, render_svg};

/// The page's only style sheet. It is allowed by its hash, not by
/// `'unsafe-inline'`, so an injected `<style>` would not apply either.
const STYLE: &str = include_str!("html.css");

/// The `Content-Security-Policy` the page is served with: nothing may load
/// but the page's own style sheet (and `data:` images: the empty favicon).
pub fn content_security_policy() -> String {
    let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src data:; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// Text as HTML character data or a quoted attribute value: the five
/// characters that could end either are written as references.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn or_dash(value: Option<String>) -> String {
    value
        .filter(|v| !v.trim().is_empty())
        .map_or_else(|| "—".to_owned(), |v| escape(&v))
}

/// Text with its line breaks kept.
fn with_breaks(text: &str) -> String {
    escape(text.trim())
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "<br>")
}

/// The whole page.
pub fn render_html(doc: &Document, findings: &[Finding]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <link rel=\"icon\" href=\"data:,\">\
         <title>{} · post-mortem</title><style>{STYLE}</style></head><body><main>",
        escape(&doc.title)
    );
    header(&mut out, doc);
    summary(&mut out, doc);
    where_the_time_went(&mut out, doc);
    section_findings(&mut out, findings);
    timeline(&mut out, doc);
    causes(&mut out, doc);
    action_items(&mut out, &doc.action_items);
    out.push_str("<footer>Rendered by hindsight.</footer></main></body></html>\n");
    out
}

fn header(out: &mut String, doc: &Document) {
    let _ = write!(
        out,
        "<header><h1>{}</h1><dl class=\"meta\"><dt>Status</dt><dd>{}</dd>",
        escape(&doc.title),
        escape(&doc.status)
    );
    if let Some(severity) = &doc.severity {
        let _ = write!(out, "<dt>Severity</dt><dd>{}</dd>", escape(severity));
    }
    if !doc.services.is_empty() {
        let _ = write!(
            out,
            "<dt>Services</dt><dd>{}</dd>",
            escape(&doc.services.join(", "))
        );
    }
    if let Some(author) = &doc.author {
        let _ = write!(out, "<dt>Author</dt><dd>{}</dd>", escape(author));
    }
    let end = doc.phases.mitigated_at.or(doc.phases.resolved_at);
    match (doc.phases.impact_started_at, end) {
        (Some(start), Some(end)) => {
            let _ = write!(
                out,
                "<dt>Impact</dt><dd>{} to {} ({})</dd>",
                timestamp(start),
                timestamp(end),
                humanize_duration((end - start).num_seconds())
            );
        }
        (Some(start), None) => {
            let _ = write!(
                out,
                "<dt>Impact</dt><dd>from {}, end not recorded</dd>",
                timestamp(start)
            );
        }
        _ => {}
    }
    out.push_str("</dl></header>");
}

fn summary(out: &mut String, doc: &Document) {
    out.push_str("<section id=\"summary\"><h2>Summary</h2>");
    let text = doc.summary.as_deref().unwrap_or_default().replace('\r', "");
    let paragraphs: Vec<&str> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if paragraphs.is_empty() {
        out.push_str("<p class=\"empty\">No summary.</p>");
    }
    for p in paragraphs {
        let _ = write!(out, "<p>{}</p>", with_breaks(p));
    }
    out.push_str("</section>");
}

fn where_the_time_went(out: &mut String, doc: &Document) {
    out.push_str("<section id=\"phases\"><h2>Where the time went</h2>");
    match lay_out(&doc.phases, &doc.timeline) {
        Some(chart) => {
            let _ = write!(
                out,
                "<figure>{}</figure>",
                render_svg(&chart, &doc.timeline)
            );
        }
        None => {
            out.push_str("<p class=\"empty\">No phase marker or timeline entry has a time yet.</p>")
        }
    }
    let metrics = phase_metrics(&doc.phases);
    out.push_str(
        "<table class=\"phases\"><thead><tr><th>Phase</th><th>Duration</th></tr></thead><tbody>",
    );
    for (name, seconds) in [
        ("Time to detect", metrics.time_to_detect),
        ("Time to acknowledge", metrics.time_to_acknowledge),
        ("Time to mitigate", metrics.time_to_mitigate),
        ("Time to resolve", metrics.time_to_resolve),
    ] {
        let _ = write!(
            out,
            "<tr><td>{name}</td><td>{}</td></tr>",
            or_dash(seconds.map(humanize_duration))
        );
    }
    out.push_str("</tbody></table>");
    if let Some(focus) = metrics.focus {
        let _ = write!(
            out,
            "<p class=\"focus\"><strong>Focus:</strong> {}</p>",
            escape(&focus)
        );
    }
    out.push_str("</section>");
}

fn section_findings(out: &mut String, findings: &[Finding]) {
    out.push_str("<section id=\"findings\"><h2>Review findings</h2>");
    if findings.is_empty() {
        out.push_str("<p class=\"empty\">The review found nothing to improve.</p></section>");
        return;
    }
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    let _ = write!(
        out,
        "<p class=\"findings-summary\">{} errors, {} warnings, {} notes.</p><ul class=\"findings\">",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    for finding in findings {
        let severity = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let _ = write!(
            out,
            "<li class=\"finding {severity}\"><span class=\"severity\">{severity}</span> {}",
            escape(&finding.message)
        );
        if let Some(suggestion) = &finding.suggestion {
            let _ = write!(out, " <em>{}</em>", escape(suggestion));
        }
        out.push_str("</li>");
    }
    out.push_str("</ul></section>");
}

fn timeline(out: &mut String, doc: &Document) {
    out.push_str("<section id=\"timeline\"><h2>Timeline</h2>");
    if doc.timeline.is_empty() {
        out.push_str("<p class=\"empty\">No timeline entries.</p></section>");
        return;
    }
    let mut entries: Vec<_> = doc.timeline.iter().collect();
    entries.sort_by_key(|e| (e.occurred_at.is_none(), e.occurred_at));
    out.push_str(
        "<table><thead><tr><th>Time (UTC)</th><th>Kind</th><th>Event</th><th>Details</th></tr></thead><tbody>",
    );
    for e in entries {
        let _ = write!(
            out,
            "<tr><td class=\"time\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            or_dash(e.occurred_at.map(timestamp)),
            or_dash(e.kind.clone()),
            with_breaks(&e.title),
            with_breaks(e.description.as_deref().unwrap_or_default()),
        );
    }
    out.push_str("</tbody></table></section>");
}

fn causes(out: &mut String, doc: &Document) {
    out.push_str("<section id=\"causes\"><h2>Causes</h2>");
    for area in CauseArea::ALL {
        let _ = write!(out, "<h3>{}</h3>", area.title());
        let in_area: Vec<_> = doc.causes.iter().filter(|c| c.area == area).collect();
        if in_area.is_empty() {
            out.push_str("<p class=\"empty\">None recorded.</p>");
            continue;
        }
        out.push_str("<ul>");
        for cause in in_area {
            let _ = write!(out, "<li>{}</li>", with_breaks(&cause.description));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}

/// A tracker link: only to an http(s) URL, and a navigation, never a load.
fn tracker_link(item: &DocumentActionItem) -> String {
    let url = item.external_url.as_deref().map(str::trim).filter(|u| {
        let lower = u.to_ascii_lowercase();
        lower.starts_with("https://") || lower.starts_with("http://")
    });
    let key = item.external_key.as_deref().unwrap_or("link");
    match url {
        Some(url) => format!(
            "<a href=\"{}\" rel=\"noreferrer noopener\">{}</a>",
            escape(url),
            escape(key)
        ),
        None => or_dash(item.external_key.clone()),
    }
}

fn action_items(out: &mut String, items: &[DocumentActionItem]) {
    out.push_str("<section id=\"action-items\"><h2>Action items</h2>");
    if items.is_empty() {
        out.push_str("<p class=\"empty\">No action items.</p></section>");
        return;
    }
    out.push_str("<table><thead><tr><th>Action item</th><th>Area</th><th>Owner</th><th>Due</th><th>Status</th><th>Tracker</th></tr></thead><tbody>");
    for item in items {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            with_breaks(&item.title),
            or_dash(item.area.map(|a| a.title().to_owned())),
            or_dash(item.owner.clone()),
            or_dash(item.due_date.map(|d| d.format("%Y-%m-%d").to_string())),
            escape(&item.status),
            tracker_link(item),
        );
    }
    out.push_str("</tbody></table></section>");
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::markdown::DocumentTimelineEntry;

    #[test]
    fn user_text_cannot_open_an_element_or_leave_an_attribute() {
        assert_eq!(
            escape("<script>a</script> \"x\" 'y' & z"),
            "&lt;script&gt;a&lt;/script&gt; &quot;x&quot; &#39;y&#39; &amp; z"
        );
        let page = render_html(
            &Document {
                title: "</title><script>alert(1)</script>".into(),
                status: "published".into(),
                timeline: vec![DocumentTimelineEntry {
                    occurred_at: Some(Utc::now()),
                    kind: Some("note\"><script>x</script>".into()),
                    title: "<img src=x onerror=alert(1)>".into(),
                    description: None,
                }],
                action_items: vec![DocumentActionItem {
                    title: "Fix".into(),
                    status: "open".into(),
                    external_url: Some("javascript:alert(1)".into()),
                    ..DocumentActionItem::default()
                }],
                ..Document::default()
            },
            &[],
        );
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("javascript:"), "{page}");
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    }

    #[test]
    fn the_policy_allows_exactly_the_style_sheet_it_carries() {
        let policy = content_security_policy();
        assert!(policy.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(!policy.contains("unsafe"));
        let page = render_html(&Document::default(), &[]);
        assert_eq!(page.matches("<style>").count(), 1);
        assert!(page.contains(&format!("<style>{STYLE}</style>")));
    }
}

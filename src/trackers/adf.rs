//! A minimal Markdown to Atlassian Document Format conversion for Jira Cloud descriptions:
//! headings, bullet lists, paragraphs with line breaks, and links.

use serde_json::{Value, json};

/// The ADF document for `markdown`, ending with a small `hindsight:<uuid>` paragraph (ADF has
/// no comments to hide a marker in).
pub(super) fn document(markdown: &str, marker: &str) -> Value {
    let mut content: Vec<Value> = blocks(markdown).iter().map(|b| block(b)).collect();
    content.push(json!({
        "type": "paragraph",
        "content": [{ "type": "text", "text": marker, "marks": [{ "type": "subsup", "attrs": { "type": "sub" } }] }],
    }));
    json!({ "type": "doc", "version": 1, "content": content })
}

/// Groups lines into blocks separated by blank lines.
fn blocks(markdown: &str) -> Vec<Vec<&str>> {
    let mut blocks = vec![Vec::new()];
    for line in markdown.lines() {
        if line.trim().is_empty() {
            blocks.push(Vec::new());
        } else if let Some(current) = blocks.last_mut() {
            current.push(line.trim_end());
        }
    }
    blocks.retain(|b| !b.is_empty());
    blocks
}

fn block(lines: &[&str]) -> Value {
    if let [line] = lines {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            return json!({
                "type": "heading",
                "attrs": { "level": hashes },
                "content": inline(line[hashes..].trim()),
            });
        }
    }
    let items: Option<Vec<&str>> = lines.iter().map(|l| list_item(l)).collect();
    if let Some(items) = items {
        let items: Vec<Value> = items
            .iter()
            .map(|item| json!({ "type": "listItem", "content": [paragraph(&[item])] }))
            .collect();
        return json!({ "type": "bulletList", "content": items });
    }
    paragraph(lines)
}

fn list_item(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    trimmed
        .strip_prefix("- ")
        .or_else(|| trimmed.strip_prefix("* "))
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

fn paragraph(lines: &[&str]) -> Value {
    let mut content = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            content.push(json!({ "type": "hardBreak" }));
        }
        content.extend(inline(line));
    }
    json!({ "type": "paragraph", "content": content })
}

/// Text nodes for one line: `[text](url)` and bare http(s) URLs become links.
fn inline(line: &str) -> Vec<Value> {
    let mut nodes = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        match next_link(rest) {
            Some((start, end, text, href)) => {
                push_text(&mut nodes, &rest[..start]);
                nodes.push(json!({
                    "type": "text",
                    "text": text,
                    "marks": [{ "type": "link", "attrs": { "href": href } }],
                }));
                rest = &rest[end..];
            }
            None => {
                push_text(&mut nodes, rest);
                break;
            }
        }
    }
    nodes
}

fn push_text(nodes: &mut Vec<Value>, text: &str) {
    // ADF rejects empty text nodes.
    if !text.is_empty() {
        nodes.push(json!({ "type": "text", "text": text }));
    }
}

/// The first link in `s`: (start, end, text, href).
fn next_link(s: &str) -> Option<(usize, usize, &str, &str)> {
    let markdown = markdown_link(s);
    let bare = bare_url(s);
    match (markdown, bare) {
        (Some(m), Some(b)) if b.0 < m.0 => Some(b),
        (Some(m), _) => Some(m),
        (None, b) => b,
    }
}

fn markdown_link(s: &str) -> Option<(usize, usize, &str, &str)> {
    let mut from = 0;
    while let Some(open) = s[from..].find('[').map(|i| i + from) {
        let parsed = s[open + 1..].find("](").and_then(|close| {
            let text = &s[open + 1..open + 1 + close];
            let href_start = open + 1 + close + 2;
            let href_len = s[href_start..].find(')')?;
            let href = &s[href_start..href_start + href_len];
            (is_safe_href(href) && !text.is_empty() && !text.contains('[')).then_some((
                open,
                href_start + href_len + 1,
                text,
                href,
            ))
        });
        if parsed.is_some() {
            return parsed;
        }
        from = open + 1;
    }
    None
}

fn bare_url(s: &str) -> Option<(usize, usize, &str, &str)> {
    let start = ["https://", "http://"]
        .iter()
        .filter_map(|p| s.find(p))
        .min()?;
    let len = s[start..]
        .find(|c: char| c.is_whitespace() || c == '<' || c == '>')
        .unwrap_or(s.len() - start);
    let url = s[start..start + len].trim_end_matches(['.', ',', ')', ';', ':']);
    Some((start, start + url.len(), url, url))
}

fn is_safe_href(href: &str) -> bool {
    let lower = href.to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|p| lower.starts_with(p))
        && !href.contains(char::is_whitespace)
}

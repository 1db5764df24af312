//! What hindsight writes for other programs to read (Slack messages, the
//! calendar feed, the Markdown document) shows user text as typed: no field can
//! mention a channel, disguise a link, add a calendar property or change the
//! document's structure.

use std::{collections::BTreeMap, time::Duration};

use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use crate::helpers::{TestApp, id, spawn_app, spawn_app_with};

#[tokio::test]
async fn slack_receives_user_text_escaped_so_it_cannot_mention_or_disguise_links() {
    let slack = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&slack)
        .await;
    let url = format!("{}/services/T000/B000/XXXX", slack.uri());
    let app = spawn_app_with(move |s| s.practice.slack_webhook_urls = vec![url]).await;
    let pm = app
        .postmortem(json!({
            "title": "<!channel> checkout & <@U123>",
            "summary": "Details: <https://evil.example|Read the post-mortem>\n<!here>",
            "status": "in_review",
        }))
        .await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    let published = app
        .request(Method::POST, &format!("{base}/publish"), Role::Admin)
        .json(&json!({"override_reason": "testing the announcement"}))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), StatusCode::OK);

    let mut received = Vec::new();
    for _ in 0..100 {
        received = slack.received_requests().await.unwrap();
        if !received.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let message: Value = serde_json::from_slice(&received[0].body).unwrap();
    let link = format!(
        "<{}{base}/document?format=markdown|Read the post-mortem>",
        app.state.public_url
    );
    let summary = "Details: &lt;https://evil.example|Read the post-mortem&gt;\n&lt;!here&gt;";
    assert_eq!(
        message["text"],
        format!(
            "*Post-mortem published: &lt;!channel&gt; checkout &amp; &lt;@U123&gt;*\n{summary}\n{link}"
        )
    );
    assert_eq!(
        message["blocks"][0]["text"]["text"],
        "Post-mortem: &lt;!channel&gt; checkout &amp; &lt;@U123&gt;"
    );
    assert_eq!(message["blocks"][1]["text"]["text"], summary);
    assert_eq!(message["blocks"][3]["text"]["text"], link);
}

// ---------------------------------------------------------------------------
// The calendar feed

/// A feed parsed: the calendar's properties, and each event's, by name.
type Parsed = (Vec<(String, String)>, Vec<BTreeMap<String, String>>);

fn parse_feed(body: &str) -> Parsed {
    let unfolded = icalendar::parser::unfold(body);
    let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
    let props = |ps: &[icalendar::parser::Property]| -> Vec<(String, String)> {
        ps.iter()
            .map(|p| (p.name.to_string(), p.val.to_string()))
            .collect()
    };
    let top = props(&calendar.properties);
    let events = calendar
        .components
        .iter()
        .map(|c| props(&c.properties).into_iter().collect())
        .collect();
    (top, events)
}

async fn team_feed(app: &TestApp, team: &str, title: &str, description: &str) -> String {
    let person = app
        .create(
            "/api/v1/people",
            json!({"display_name": format!("Owner of {}", team.len()), "email": format!("owner{}@example.com", team.len()), "team": team}),
        )
        .await;
    let pm = app.simple_postmortem().await;
    app.create(
        &format!("/api/v1/postmortems/{}/action-items", id(&pm)),
        json!({"title": title, "description": description, "owner_id": id(&person), "due_date": "2026-12-15"}),
    )
    .await;
    let token = app
        .create(
            &format!("/api/v1/people/{}/calendar-token", id(&person)),
            json!({}),
        )
        .await;
    let response = app
        .client
        .get(format!("{}/api/v1/action-items/calendar.ics", app.address))
        .query(&[("token", token["token"].as_str().unwrap()), ("team", team)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_hostile_team_title_or_description_cannot_add_calendar_properties() {
    let app = spawn_app().await;
    let plain = team_feed(&app, "ops", "Rotate keys", "Every quarter").await;
    let hostile_team = "ops;a,b\\c\r\nX-INJECTED:1\rEND:VCALENDAR";
    let hostile = team_feed(
        &app,
        hostile_team,
        "Rotate\r\nX-INJECTED:1",
        "Line one;\r\nATTENDEE:mailto:evil@example.com\rBEGIN:VALARM",
    )
    .await;

    for body in [&plain, &hostile] {
        let lines = body.trim_end_matches("\r\n").split("\r\n");
        assert!(
            lines.clone().all(|l| !l.contains(['\r', '\n'])),
            "a bare CR or LF in {body:?}"
        );
        assert!(!body.contains("\r\nX-INJECTED") && !body.contains("\r\nATTENDEE"));
    }
    let (plain_top, plain_events) = parse_feed(&plain);
    let (top, events) = parse_feed(&hostile);
    let names = |ps: &[(String, String)]| ps.iter().map(|p| p.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&top), names(&plain_top), "{hostile}");
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].keys().collect::<Vec<_>>(),
        plain_events[0].keys().collect::<Vec<_>>(),
        "{hostile}"
    );

    let value = |name: &str| top.iter().find(|p| p.0 == name).unwrap().1.clone();
    let one_line = "ops;a,b\\c X-INJECTED:1 END:VCALENDAR";
    assert_eq!(
        value("X-WR-CALNAME"),
        format!("hindsight: {one_line} action items")
    );
    // NAME is not a TEXT property to the parser: it reads the escaped form.
    assert_eq!(
        value("NAME"),
        "hindsight: ops\\;a\\,b\\\\c X-INJECTED:1 END:VCALENDAR action items"
    );
    let event = &events[0];
    assert_eq!(event["SUMMARY"], "Action item: Rotate X-INJECTED:1");
    let description = &event["DESCRIPTION"];
    assert_eq!(
        description, "Line one;\nATTENDEE:mailto:evil@example.com\nBEGIN:VALARM",
        "{description:?}"
    );
}

// ---------------------------------------------------------------------------
// The Markdown document

/// The request bodies whose text reaches a post-mortem's document, from
/// `openapi.yaml`, so a field added there is written hostile text too.
const SCHEMAS: [&str; 5] = [
    "PersonIn",
    "PostmortemIn",
    "EntryIn",
    "CauseIn",
    "ActionItemIn",
];

/// Lines that would each change a document if inserted as they are.
const HOSTILE: [&str; 12] = [
    "# heading ##",
    "```unclosed fence",
    "<!-- swallows the rest",
    "<script>alert(1)</script>",
    "[Read](javascript:alert(1)) *em* _em_ ~~x~~",
    "> quoted",
    "- item",
    "1. item",
    "===",
    "a | b",
    "&amp; &#60; `tick`",
    "<!channel> \\",
];

/// The free-text fields of a schema: strings without a format, enum or
/// pattern, and lists of them, with their length limit.
fn text_fields(spec: &Value, schema: &str) -> Vec<(String, bool, usize)> {
    let props = spec["components"]["schemas"][schema]["properties"]
        .as_object()
        .unwrap();
    let free = |p: &Value| {
        let is_string = p["type"] == "string"
            || p["type"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("string")));
        is_string
            && p.get("format").is_none()
            && p.get("enum").is_none()
            && p.get("pattern").is_none()
    };
    props
        .iter()
        .filter_map(|(name, p)| {
            let (list, item) = if p["type"] == "array" {
                (true, &p["items"])
            } else {
                (false, p)
            };
            free(item).then(|| {
                let max = item["maxLength"].as_u64().unwrap_or(100_000) as usize;
                (name.clone(), list, max)
            })
        })
        .collect()
}

/// What a field holds: every hostile line (or as many as fit), tagged with the
/// field; or, in the plain version, as many plain lines.
fn value_for(tag: &str, max: usize, hostile: bool) -> String {
    let line = |i: usize| {
        if hostile {
            format!("{} {tag}", HOSTILE[i])
        } else {
            format!("plain {i} {tag}")
        }
    };
    let mut count = HOSTILE.len();
    // Each version has the same lines, so both fit or neither does.
    while count > 1
        && (0..count)
            .map(|i| line(i).len().max(format!("{} {tag}", HOSTILE[i]).len()) + 1)
            .sum::<usize>()
            > max
    {
        count -= 1;
    }
    (0..count).map(line).collect::<Vec<_>>().join("\n")
}

/// A body for `schema` with every free-text field filled in.
fn body(spec: &Value, schema: &str, hostile: bool, base: Value) -> Value {
    let mut body: Map<String, Value> = base.as_object().unwrap().clone();
    for (field, list, max) in text_fields(spec, schema) {
        if body.contains_key(&field) {
            continue;
        }
        let tag = format!("{schema}.{field}");
        let value = value_for(&tag, max, hostile);
        body.insert(field, if list { json!([value]) } else { json!(value) });
    }
    Value::Object(body)
}

/// Creates a post-mortem with every field written, retrying without a field
/// the server refuses (an identifier, a rule: not free text); returns the
/// document an admin reads (names and all) and the fields refused.
async fn written_document(
    app: &TestApp,
    spec: &Value,
    hostile: bool,
    n: usize,
) -> (String, Vec<String>) {
    let mut refused: Vec<String> = Vec::new();
    let mut create = async |schema: &str, path: &str, base: Value| -> Value {
        let mut body = body(spec, schema, hostile, base);
        loop {
            let response = app.post(path, &body).await;
            if response.status() != StatusCode::UNPROCESSABLE_ENTITY {
                assert!(
                    response.status().is_success(),
                    "{schema}: {}",
                    response.status()
                );
                return response.json().await.unwrap();
            }
            let problem: Value = response.json().await.unwrap();
            let fields = crate::helpers::error_fields(&problem);
            let field = fields[0].trim_start_matches('/').to_owned();
            assert!(
                body.as_object_mut().unwrap().remove(&field).is_some(),
                "{schema}: {problem}"
            );
            refused.push(format!("{schema}.{field}"));
        }
    };
    let person = create(
        "PersonIn",
        "/api/v1/people",
        // A display name's words are scrubbed from all other text, so it is given.
        json!({"email": format!("p{n}@example.com"), "display_name": "Dana Quill"}),
    )
    .await;
    let pm = create(
        "PostmortemIn",
        "/api/v1/postmortems",
        json!({"author_id": id(&person), "anonymized": false}),
    )
    .await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    create(
        "EntryIn",
        &format!("{base}/timeline"),
        json!({"occurred_at": "2026-11-20T10:12:00Z", "kind": "note"}),
    )
    .await;
    create(
        "CauseIn",
        &format!("{base}/causes"),
        json!({"area": "detection"}),
    )
    .await;
    create(
        "ActionItemIn",
        &format!("{base}/action-items"),
        json!({"owner_id": id(&person), "due_date": "2026-12-01"}),
    )
    .await;
    let response = app
        .request(
            Method::GET,
            &format!("{base}/document?format=markdown"),
            Role::Viewer,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    (response.text().await.unwrap(), refused)
}

/// The document as a GFM renderer reads it: its structure (every event but
/// text) and its text, lines broken where the document breaks them.
fn rendered(markdown: &str) -> (Vec<String>, String) {
    use pulldown_cmark::{Event, Options, Parser};
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut structure = Vec::new();
    let mut text = String::new();
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Text(t) => text.push_str(&t),
            Event::SoftBreak => text.push('\n'),
            other => {
                if matches!(other, Event::InlineHtml(_) | Event::End(_)) {
                    text.push('\n');
                }
                structure.push(format!("{other:?}"));
            }
        }
    }
    (structure, text)
}

#[tokio::test]
async fn no_user_text_field_changes_the_documents_structure_or_injects_html() {
    let spec: Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap(),
    )
    .unwrap();
    let app = spawn_app().await;
    let (plain, plain_refused) = written_document(&app, &spec, false, 1).await;
    let (hostile, refused) = written_document(&app, &spec, true, 2).await;
    assert_eq!(refused, plain_refused, "the same fields are free text");

    let (plain_structure, plain_text) = rendered(&plain);
    let (structure, text) = rendered(&hostile);
    assert_eq!(structure, plain_structure, "{hostile}");
    let html: Vec<&String> = structure.iter().filter(|e| e.contains("Html")).collect();
    assert!(
        html.iter()
            .all(|e| e.starts_with("InlineHtml(") && e.ends_with("(\"<br>\"))")),
        "only hindsight's own line breaks: {html:?}"
    );

    // Every field the document shows holds the hostile text as typed.
    let mut shown = Vec::new();
    for schema in SCHEMAS {
        for (field, _, _) in text_fields(&spec, schema) {
            let tag = format!("{schema}.{field}");
            if !plain_text.contains(&format!("plain 0 {tag}")) {
                continue;
            }
            let lines = value_for(&tag, usize::MAX, true);
            let hostile_lines = lines.lines().take_while(|l| {
                plain_text.contains(&format!(
                    "plain {} {tag}",
                    HOSTILE.iter().position(|h| l.starts_with(h)).unwrap()
                ))
            });
            for line in hostile_lines {
                assert!(
                    text.contains(line),
                    "{tag}: {line:?} not shown as typed in\n{text}\n{hostile}"
                );
            }
            shown.push(tag);
        }
    }
    for tag in [
        "PostmortemIn.title",
        "PostmortemIn.summary",
        "PostmortemIn.services",
        "EntryIn.title",
        "EntryIn.description",
        "CauseIn.description",
        "ActionItemIn.title",
    ] {
        assert!(
            shown.iter().any(|s| s == tag),
            "{tag} not in the document: {shown:?}"
        );
    }
}

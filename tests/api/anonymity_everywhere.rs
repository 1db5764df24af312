//! The whole class of name leaks, in one test.
//!
//! Three people with names that cannot occur by accident are written, in every
//! form a name takes in prose (any case, possessives, joined by `-` or `_`,
//! `first.last`, emails with `+tags`, inside `mailto:` and URLs, percent-encoded,
//! `@handles`, `handle@github`, the first name alone), into every free-text field
//! and link hindsight accepts: post-mortem title, summary and incident keys,
//! timeline entries (title, description, link, service), causes, action items,
//! the publish override reason, a tracker's error (a mock Jira that refuses the
//! issue naming its owner), events from a signed webhook (pre-filled into the
//! timeline), integration and tracker names, and the publisher's identity.
//!
//! Then every GET route of the route table (`hindsight::rest::endpoints()`, so a
//! new route is read without anyone remembering it), every field of the GraphQL
//! `Query` type (from introspection, every scalar and enum leaf down to a depth
//! bound), the Markdown document, the calendar feed, the Slack announcement, a
//! subscription frame and the error bodies a reader can provoke are read as a
//! viewer and as an editor of the (anonymized) post-mortem. Not one byte of any
//! name may appear; every leak is collected first and the test fails once with
//! the full list, naming the route or field, the reader and the form. The same
//! reads as an admin must show the names, so blanking everything cannot pass.
//!
//! A GET route whose path parameters the test cannot fill in, or a `Query`
//! field whose required arguments it cannot supply, fails the test too: extend
//! `ids_for` / `Gql::supply` when you add one.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use futures_util::{SinkExt as _, StreamExt as _};
use hindsight::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest as _},
};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use crate::helpers::{TestApp, id, signed, spawn_app_with};

// ---------------------------------------------------------------------------
// The cast and the forms their names take

struct Cast {
    display: &'static str,
    email: &'static str,
    login: &'static str,
    team: &'static str,
    role_title: &'static str,
    jira_account_id: Option<&'static str>,
}

const CAST: [Cast; 3] = [
    Cast {
        display: "Zebulon Quackenbush",
        email: "zebulon.q@corp.example",
        login: "zquack",
        team: "payments",
        role_title: "Backend engineer",
        jira_account_id: Some("acc-zquack"),
    },
    Cast {
        display: "Ottoline Featherstonehaugh",
        email: "ottoline.f@corp.example",
        login: "ofeatherstone",
        team: "sre",
        role_title: "Site reliability engineer",
        // No Jira identity: the worker looks her up by email, finds nobody,
        // and the sync fails with a message that names her.
        jira_account_id: None,
    },
    Cast {
        display: "Ignatius Wolfeschlegel",
        email: "ignatius.w@corp.example",
        login: "iwolfeschl",
        team: "payments",
        role_title: "Frontend engineer",
        jira_account_id: Some("acc-iwolfeschl"),
    },
];

fn split_name(c: &Cast) -> (&'static str, &'static str) {
    c.display.split_once(' ').unwrap()
}

/// Every form of a person's name, email and handle written into the data.
fn forms(c: &Cast) -> Vec<String> {
    let (first, last) = split_name(c);
    let full = c.display;
    let (local, domain) = c.email.split_once('@').unwrap();
    let login = c.login;
    vec![
        full.to_owned(),
        full.to_uppercase(),
        full.to_lowercase(),
        format!("{full}'s"),
        format!("{last}'s"),
        format!("{first}-{last}"),
        format!("{first}_{last}"),
        format!("{}.{}", first.to_lowercase(), last.to_lowercase()),
        format!("{last}, {first}"),
        format!("{first} {}.", &last[..1]),
        c.email.to_owned(),
        c.email.to_uppercase(),
        format!("{local}+oncall@{domain}"),
        format!("mailto:{}", c.email),
        format!("https://chat.example/u/{}?who={first}%20{last}", c.email),
        format!("https://chat.example/u/{local}%40{domain}"),
        format!("@{login}"),
        format!("@{login}'s"),
        format!("{login}@github"),
        format!("https://github.com/{login}"),
        first.to_owned(),
        format!("{first}'s"),
        first.to_uppercase(),
    ]
}

/// What may not appear, lower-cased: name parts of three letters or more, the
/// login, the email and its local part.
fn needles(c: &Cast) -> Vec<String> {
    let mut out: Vec<String> = c
        .display
        .split_whitespace()
        .filter(|p| p.chars().count() >= 3)
        .map(str::to_ascii_lowercase)
        .collect();
    out.push(c.login.to_ascii_lowercase());
    out.push(c.email.to_ascii_lowercase());
    out.push(c.email.split('@').next().unwrap().to_ascii_lowercase());
    out
}

fn all_forms(c: &Cast) -> String {
    forms(c).join("; ")
}

/// A link that carries a form: the form itself when it is a URL, else a URL with it in the query.
fn link_for(form: &str) -> String {
    if form.starts_with("https://") {
        form.to_owned()
    } else {
        format!("https://wiki.example/notes?by={}", percent(form))
    }
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Finding names in what comes back

struct Scanner {
    needles: Vec<String>,
    forms: Vec<String>,
}

impl Scanner {
    fn new() -> Self {
        let mut forms: Vec<String> = CAST.iter().flat_map(forms).collect();
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        forms.dedup();
        Self {
            needles: CAST.iter().flat_map(needles).collect(),
            forms,
        }
    }

    /// Where the first name, email or handle starts in `text`, and which it is.
    fn found_in(&self, text: &str) -> Option<(usize, &str)> {
        let lower = text.to_ascii_lowercase();
        self.needles
            .iter()
            .filter_map(|n| lower.find(n.as_str()).map(|at| (at, n.as_str())))
            .min()
    }

    /// Which written forms a leaked string still holds (the longest ones, so
    /// `Zebulon` inside `Zebulon_Quackenbush` is not counted twice); none when
    /// the name survived in a form the test did not write as such.
    fn forms_in(&self, text: &str) -> Vec<String> {
        let mut spans: Vec<(usize, usize, &str)> = Vec::new();
        for form in &self.forms {
            for (i, _) in text.match_indices(form.as_str()) {
                spans.push((i, i + form.len(), form));
            }
        }
        let maximal: BTreeSet<&str> = spans
            .iter()
            .filter(|(a, b, _)| {
                !spans
                    .iter()
                    .any(|(c, d, _)| c <= a && b <= d && (d - c) > (b - a))
            })
            .map(|(_, _, f)| *f)
            .collect();
        maximal.into_iter().map(str::to_owned).collect()
    }

    fn leak(&self, source: &str, audience: &str, at: String, text: &str) -> Option<Leak> {
        let (position, needle) = self.found_in(text)?;
        let mut forms = self.forms_in(text);
        if forms.is_empty() {
            forms.push(format!("(another form holding {needle:?})"));
        }
        Some(Leak {
            source: source.to_owned(),
            audience: audience.to_owned(),
            at,
            forms,
            snippet: snippet(text, position),
        })
    }
}

/// One string a reader saw that holds a name.
struct Leak {
    source: String,
    audience: String,
    /// JSON pointer or line.
    at: String,
    forms: Vec<String>,
    snippet: String,
}

impl std::fmt::Display for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{}] {}: forms {:?} in {:?}",
            self.source, self.audience, self.at, self.forms, self.snippet
        )
    }
}

/// A read with its ids and tokens replaced, so the same read of several ids groups.
fn normalized(source: &str, seed: &Seed) -> String {
    let mut out = source.replace(&seed.calendar_token, "{token}");
    if !seed.share_token.is_empty() {
        out = out.replace(&seed.share_token, "{token}");
    }
    let bytes: Vec<char> = out.chars().collect();
    let mut result = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let candidate: String = bytes[i..(i + 36).min(bytes.len())].iter().collect();
        if candidate.len() == 36 && uuid::Uuid::parse_str(&candidate).is_ok() {
            result.push_str("{id}");
            i += 36;
        } else {
            result.push(bytes[i]);
            i += 1;
        }
    }
    out = result;
    out
}

fn snippet(text: &str, at: usize) -> String {
    let mut start = at.saturating_sub(40);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + 60).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    s.push_str(&text[start..end]);
    if end < text.len() {
        s.push('…');
    }
    s
}

#[derive(Default)]
struct Report {
    leaks: Vec<Leak>,
    /// The test could not do what it meant to (a route it cannot fill in, an
    /// unexpected status): to be fixed in the test, or a product change to look at.
    problems: Vec<String>,
    /// An admin did not see a name: anonymizing by blanking everything.
    blanked: Vec<String>,
    covered: Vec<String>,
}

impl Report {
    fn inspect(&mut self, scanner: &Scanner, source: &str, audience: &str, text: &str) {
        match serde_json::from_str::<Value>(text) {
            Ok(value) if value.is_object() || value.is_array() => {
                self.inspect_json(scanner, source, audience, &value, String::new());
            }
            _ => {
                // iCalendar folds long lines: a name may be split across a fold.
                let unfolded = text
                    .replace("\r\n ", "")
                    .replace("\r\n\t", "")
                    .replace("\n ", "");
                for (n, line) in unfolded.lines().enumerate() {
                    self.leaks.extend(scanner.leak(
                        source,
                        audience,
                        format!("line {}", n + 1),
                        line,
                    ));
                }
            }
        }
    }

    fn inspect_json(
        &mut self,
        scanner: &Scanner,
        source: &str,
        audience: &str,
        value: &Value,
        pointer: String,
    ) {
        match value {
            Value::String(s) => {
                let at = if pointer.is_empty() {
                    "/".to_owned()
                } else {
                    pointer
                };
                self.leaks.extend(scanner.leak(source, audience, at, s));
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.inspect_json(scanner, source, audience, item, format!("{pointer}/{i}"));
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    self.leaks.extend(scanner.leak(
                        source,
                        audience,
                        format!("a key of {pointer}/"),
                        key,
                    ));
                    self.inspect_json(
                        scanner,
                        source,
                        audience,
                        item,
                        format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1")),
                    );
                }
            }
            _ => {}
        }
    }
}

fn audience(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Editor => "editor",
        Role::Admin => "admin",
    }
}

/// A write or an error a reader provokes: method, path, reader, body,
/// headers, the answer it should get, and what it is.
type Probe = (
    Method,
    String,
    Role,
    Option<Value>,
    Vec<(&'static str, &'static str)>,
    Expect,
    &'static str,
);

/// One answer: status, headers as text, body.
struct Answer {
    status: u16,
    headers: String,
    body: String,
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    role: Role,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = app.request(method, path, role);
    if let Some(body) = body {
        request = request.json(body);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("<binary>")))
        .collect::<Vec<_>>()
        .join("\n");
    let body = response.text().await.unwrap();
    Answer {
        status,
        headers,
        body,
    }
}

// ---------------------------------------------------------------------------
// The seeded world

struct Seed {
    pm: String,
    people: Vec<String>,
    items: Vec<String>,
    entries: Vec<String>,
    causes: Vec<String>,
    tracker: String,
    integrations: Vec<String>,
    /// The CI integration's stored delivery.
    deliveries: Vec<String>,
    calendar_token: String,
    /// A share link's token, issued once the post-mortem is published.
    share_token: String,
    /// The generic (CI) integration's webhook secret.
    ci_secret: String,
}

/// Ids for a path parameter, by the segment before it and its name.
fn ids_for(previous: &str, param: &str, seed: &Seed) -> Option<Vec<String>> {
    Some(match (previous, param) {
        ("people", "id") | (_, "person_id") => seed.people.clone(),
        ("postmortems", "id") => vec![seed.pm.clone()],
        ("action-items", "id") => seed.items.clone(),
        ("trackers", "id") => vec![seed.tracker.clone()],
        ("integrations", "id") | (_, "integration_id") => seed.integrations.clone(),
        (_, "entry_id") => seed.entries.clone(),
        (_, "cause_id") => seed.causes.clone(),
        (_, "delivery_id") => seed.deliveries.clone(),
        // GraphiQL's own script: static, but read like every other route.
        ("graphiql", "asset") => vec!["hindsight.js".to_owned()],
        ("share", "token") => vec![seed.share_token.clone()],
        _ => return None,
    })
}

/// Every concrete path for a route template, or why it cannot be filled in.
fn fill(template: &str, seed: &Seed) -> Result<Vec<String>, String> {
    let mut out = vec![String::new()];
    let mut previous = "";
    for segment in template.split('/').skip(1) {
        let values = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => ids_for(previous, param, seed)
                .ok_or_else(|| format!("no ids for {{{param}}} after /{previous}/"))?,
            None => vec![segment.to_owned()],
        };
        out = out
            .iter()
            .flat_map(|o| values.iter().map(move |v| format!("{o}/{v}")))
            .collect();
        previous = segment;
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    Ok,
    Forbidden,
    ClientError,
}

impl Expect {
    fn admits(self, status: u16) -> bool {
        match self {
            Expect::Ok => (200..300).contains(&status),
            Expect::Forbidden => status == 403,
            Expect::ClientError => (400..500).contains(&status),
        }
    }
}

/// Which readers a route serves.
fn expected(template: &str, role: Role) -> Expect {
    if template.starts_with("/api/v1/people") {
        if role == Role::Viewer {
            Expect::Forbidden
        } else {
            Expect::Ok
        }
    } else if template.starts_with("/api/v1/trackers")
        || template.starts_with("/api/v1/integrations")
        || template.starts_with("/api/v1/audit")
    {
        Expect::Forbidden
    } else {
        Expect::Ok
    }
}

/// The people directory names people to editors by design ("viewers see
/// people only as pseudonyms inside post-mortems"); it belongs to no
/// post-mortem. Everything else must not name anyone to an editor of an
/// anonymized post-mortem.
fn names_allowed(template: &str, role: Role) -> bool {
    role == Role::Editor && template.starts_with("/api/v1/people")
}

/// Query strings to read a route with, and what each should answer when it differs.
fn variants(template: &str, seed: &Seed) -> Vec<(String, Option<Expect>)> {
    let plain = |qs: &[&str]| qs.iter().map(|q| ((*q).to_owned(), None)).collect();
    let token = &seed.calendar_token;
    match template {
        "/api/v1/action-items/calendar.ics" => vec![
            (format!("?token={token}"), None),
            (format!("?token={token}&owner_id={}", seed.people[1]), None),
            (format!("?token={token}&owner_id={}", seed.people[2]), None),
            (format!("?token={token}&team=payments"), None),
            (format!("?token={token}&team=sre"), None),
            ("?token=not-a-token".to_owned(), Some(Expect::ClientError)),
            (String::new(), Some(Expect::ClientError)),
        ],
        "/api/v1/postmortems/{id}/document" => vec![
            (String::new(), None),
            ("?format=markdown".to_owned(), None),
            ("?format=html".to_owned(), None),
        ],
        "/api/v1/postmortems" => {
            plain(&["", "?limit=200", "?service=checkout", "?status=published"])
        }
        "/api/v1/action-items" => vec![
            (String::new(), None),
            ("?limit=200".to_owned(), None),
            (format!("?owner_id={}", seed.people[0]), None),
            (format!("?owner_id={}", seed.people[1]), None),
            ("?overdue=false".to_owned(), None),
        ],
        "/api/v1/events" => plain(&["", "?limit=200", "?service=checkout", "?source=generic"]),
        t if t.ends_with("/timeline")
            || t.ends_with("/causes")
            || t.ends_with("/action-items")
            || t.ends_with("/participants")
            || t.ends_with("/history")
            || t == "/api/v1/people"
            || t == "/api/v1/trackers"
            || t == "/api/v1/integrations" =>
        {
            plain(&["", "?limit=200"])
        }
        _ => plain(&[""]),
    }
}

// ---------------------------------------------------------------------------
// GraphQL from introspection

const INTROSPECTION: &str = r#"
query {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types {
      kind name
      fields(includeDeprecated: true) {
        name
        args { name defaultValue type { ...T } }
        type { ...T }
      }
      enumValues(includeDeprecated: true) { name }
    }
  }
}
fragment T on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
}"#;

/// Object levels selected below a root field (connections and edges are free).
const MAX_DEPTH: usize = 5;

struct Gql {
    types: BTreeMap<String, Value>,
    query: String,
    subscription: Option<String>,
}

fn named(t: &Value) -> (String, String) {
    let mut t = t;
    while t["name"].is_null() {
        t = &t["ofType"];
    }
    (
        t["kind"].as_str().unwrap().to_owned(),
        t["name"].as_str().unwrap().to_owned(),
    )
}

fn wrapper(type_name: &str) -> bool {
    type_name.ends_with("Connection") || type_name.ends_with("Edge") || type_name == "PageInfo"
}

impl Gql {
    fn new(schema: &Value) -> Self {
        let types = schema["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect();
        Self {
            types,
            query: schema["queryType"]["name"].as_str().unwrap().to_owned(),
            subscription: schema["subscriptionType"]["name"]
                .as_str()
                .map(str::to_owned),
        }
    }

    fn fields(&self, type_name: &str) -> Vec<Value> {
        self.types[type_name]["fields"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Values for a required argument, as GraphQL literals; several values
    /// become several aliased selections.
    fn supply(&self, field: &Value, arg: &Value, seed: &Seed) -> Option<Vec<String>> {
        let (kind, type_name) = named(&arg["type"]);
        let (_, returns) = named(&field["type"]);
        let name = arg["name"].as_str().unwrap();
        let quoted = |ids: &[String]| ids.iter().map(|i| format!("\"{i}\"")).collect();
        match (kind.as_str(), type_name.as_str(), name) {
            ("ENUM", _, _) => Some(
                self.types[&type_name]["enumValues"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v["name"].as_str().unwrap().to_owned())
                    .collect(),
            ),
            ("SCALAR", "Boolean", _) => Some(vec!["true".into(), "false".into()]),
            ("SCALAR", "UUID", "id") => match returns.as_str() {
                "PostMortem" => Some(quoted(std::slice::from_ref(&seed.pm))),
                "ActionItem" => Some(quoted(&seed.items)),
                "Person" => Some(quoted(&seed.people)),
                "TimelineEntry" => Some(quoted(&seed.entries)),
                "Cause" => Some(quoted(&seed.causes)),
                "Integration" => Some(quoted(&seed.integrations)),
                _ => None,
            },
            ("SCALAR", "UUID", "postmortemId") => Some(quoted(std::slice::from_ref(&seed.pm))),
            ("SCALAR", "UUID", "personId" | "ownerId") => Some(quoted(&seed.people)),
            ("SCALAR", "UUID", "actionItemId") => Some(quoted(&seed.items)),
            ("SCALAR", "UUID", "integrationId") => Some(quoted(&seed.integrations)),
            _ => None,
        }
    }

    /// Argument lists for a field: every combination of the required ones'
    /// values, plus `first: 100` where a page size is accepted.
    fn arg_lists(&self, field: &Value, page: &str, seed: &Seed) -> Result<Vec<String>, String> {
        let mut combos: Vec<Vec<String>> = vec![Vec::new()];
        for arg in field["args"].as_array().unwrap() {
            let name = arg["name"].as_str().unwrap();
            let required = arg["type"]["kind"] == "NON_NULL" && arg["defaultValue"].is_null();
            let values = if required {
                self.supply(field, arg, seed).ok_or_else(|| {
                    format!(
                        "required argument `{name}: {}` the test cannot supply",
                        named(&arg["type"]).1
                    )
                })?
            } else if name == "first" {
                vec![page.to_owned()]
            } else {
                continue;
            };
            combos = combos
                .iter()
                .flat_map(|c| {
                    values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push(format!("{name}: {v}"));
                        c
                    })
                })
                .collect();
        }
        Ok(combos
            .into_iter()
            .map(|c| {
                if c.is_empty() {
                    String::new()
                } else {
                    format!("({})", c.join(", "))
                }
            })
            .collect())
    }

    /// The selections of one field of `owner` (several when aliased).
    fn field_selections(
        &self,
        owner: &str,
        field: &Value,
        depth: usize,
        path: &mut Vec<String>,
        seed: &Seed,
        missing: &mut Vec<String>,
    ) -> Vec<String> {
        let name = field["name"].as_str().unwrap();
        let (kind, type_name) = named(&field["type"]);
        // Root connections hold a handful of rows; nested lists (a timeline
        // of 70 entries) need the largest page.
        let page = if depth == 0 { "10" } else { "100" };
        let args = match self.arg_lists(field, page, seed) {
            Ok(args) => args,
            Err(why) => {
                missing.push(format!("{owner}.{name}: {why}"));
                return Vec::new();
            }
        };
        let body = match kind.as_str() {
            "SCALAR" | "ENUM" => String::new(),
            "OBJECT" => {
                if path.contains(&type_name) {
                    return Vec::new();
                }
                let next = if wrapper(&type_name) {
                    depth
                } else {
                    depth + 1
                };
                if next > MAX_DEPTH {
                    return Vec::new();
                }
                path.push(type_name.clone());
                let inner = self.selection(&type_name, next, path, seed, missing);
                path.pop();
                if inner.is_empty() {
                    return Vec::new();
                }
                format!(" {{ {inner} }}")
            }
            other => {
                missing.push(format!(
                    "{owner}.{name}: returns a {other} ({type_name}), which the generator cannot select"
                ));
                return Vec::new();
            }
        };
        let aliased = args.len() > 1;
        args.iter()
            .enumerate()
            .map(|(i, a)| {
                let alias = if aliased {
                    format!("{name}_{i}: ")
                } else {
                    String::new()
                };
                format!("{alias}{name}{a}{body}")
            })
            .collect()
    }

    fn selection(
        &self,
        type_name: &str,
        depth: usize,
        path: &mut Vec<String>,
        seed: &Seed,
        missing: &mut Vec<String>,
    ) -> String {
        self.fields(type_name)
            .iter()
            .flat_map(|f| self.field_selections(type_name, f, depth, path, seed, missing))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

async fn graphql(app: &TestApp, role: Role, query: &str, variables: Value) -> (u16, String) {
    let response = app
        .request(Method::POST, "/graphql", role)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Root fields a reader may be refused.
fn gql_forbidden(field: &str, role: Role) -> bool {
    match field {
        "people" | "person" => role == Role::Viewer,
        "integrations" => role != Role::Admin,
        _ => false,
    }
}

/// The directory, as over REST.
fn gql_names_allowed(field: &str, role: Role) -> bool {
    role == Role::Editor && matches!(field, "people" | "person")
}

// ---------------------------------------------------------------------------
// Subscriptions

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp, role: Role) -> Socket {
    let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = connect_async(request).await.unwrap();
    let init = json!({"type": "connection_init",
                      "payload": {"Authorization": format!("Bearer {}", app.token(role))}});
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    socket
}

async fn next(socket: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

// ---------------------------------------------------------------------------
// Seeding

const JIRA_REFUSAL: &str =
    "Zebulon Quackenbush (zebulon.q@corp.example) cannot be assigned issues in OPS";

async fn jira_mock() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/rest/api/3/search/jql"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"issues": [], "isLast": true})),
        )
        .mount(&server)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/rest/api/3/user/assignable/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/rest/api/3/issue"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errorMessages": [JIRA_REFUSAL],
            "errors": {"assignee": "User 'zquack' (Zebulon Quackenbush, @zquack) cannot be assigned issues."}
        })))
        .mount(&server)
        .await;
    server
}

fn at(index: usize) -> String {
    format!("2026-11-20T10:{:02}:{:02}Z", 20 + index / 60, index % 60)
}

async fn seed(app: &TestApp, jira: &MockServer) -> Seed {
    let [z, o, i] = &CAST;
    let mut people = Vec::new();
    for c in &CAST {
        let mut body = json!({"display_name": c.display, "email": c.email, "github_login": c.login,
                              "team": c.team, "role_title": c.role_title, "joined_on": "2026-11-17"});
        if let Some(account) = c.jira_account_id {
            body["jira_account_id"] = json!(account);
        }
        people.push(id(&app.create("/api/v1/people", body).await).to_owned());
    }

    // Events from a signed webhook, in the incident's window on its service:
    // creating the post-mortem pulls them into its timeline.
    let ci = app
        .integration_with(
            json!({"kind": "generic", "name": format!("CI of {} (@{})", z.display, z.login)}),
        )
        .await;
    let pager = app
        .integration_with(
            json!({"kind": "pagerduty", "name": format!("{}'s PagerDuty", o.display)}),
        )
        .await;
    let events = json!({"events": [
        {"id": format!("evt-{}-1", z.login), "occurred_at": "2026-11-20T10:05:00Z", "kind": "deploy.succeeded",
         "title": format!("{} deployed checkout 4.2 for {} ({})", z.login, z.display, z.email),
         "service": "checkout", "actor": z.login,
         "link": format!("https://ci.example/runs/42?by={}", percent(z.email)),
         "correlation_key": format!("deploy-by-{}", z.login)},
        {"occurred_at": "2026-11-20T10:08:00Z", "kind": "alert.triggered",
         "title": format!("Checkout 5xx paged @{} ({})", o.login, o.display),
         "service": "checkout", "severity": "P1",
         "actor": format!("{} <{}>", o.display, o.email)},
        {"occurred_at": "2026-11-20T10:14:00Z", "kind": "alert.acknowledged",
         "title": format!("Acknowledged by {}", i.email),
         "service": "checkout", "actor": format!("{}@github", i.login),
         "link": format!("https://chat.example/u/{}?who={}", i.email, percent(i.display))}
    ]})
    .to_string();
    let receipt = app
        .deliver_ok(
            &ci,
            &signed("generic", &ci.secret, events.as_bytes()),
            events.as_bytes(),
        )
        .await;

    let tracker = app
        .create(
            "/api/v1/trackers",
            json!({"kind": "jira", "name": format!("Ops board run by {}", o.display), "base_url": jira.uri(),
                   "project_key": "OPS", "email": "bot@acme.com", "api_token": "t",
                   "allow_insecure_http": true, "api_user": "acc-bot", "is_default": true}),
        )
        .await;

    let summary: String = CAST.iter().map(all_forms).collect::<Vec<_>>().join(" | ");
    let pm = app
        .postmortem(json!({
            "title": format!("Checkout outage after {}'s deploy (@{}, {})", z.display, z.login, o.display),
            "summary": format!("Everyone involved: {summary}"),
            "services": ["checkout"], "incident_refs": [format!("deploy-by-{}", z.login)],
            "author_id": people[0], "anonymized": true, "status": "in_review", "severity": "sev2",
            "impact_started_at": "2026-11-20T10:00:00Z", "detected_at": "2026-11-20T10:08:00Z",
            "acknowledged_at": "2026-11-20T10:14:00Z", "mitigated_at": "2026-11-20T10:40:00Z",
            "resolved_at": "2026-11-20T11:00:00Z",
        }))
        .await;
    let pm_id = id(&pm).to_owned();
    let base = format!("/api/v1/postmortems/{pm_id}");
    app.create(
        &format!("{base}/participants"),
        json!({"person_id": people[1], "role": "reviewer"}),
    )
    .await;
    app.create(
        &format!("{base}/participants"),
        json!({"person_id": people[2], "role": "participant"}),
    )
    .await;

    // One timeline entry per form, so a leak names the form it survived in.
    let mut entries = Vec::new();
    let mut index = 0;
    for c in &CAST {
        for form in forms(c) {
            let service = if index == 0 {
                format!("{}-sandbox", c.login)
            } else {
                "checkout".to_owned()
            };
            let entry = app
                .create(
                    &format!("{base}/timeline"),
                    json!({"occurred_at": at(index), "kind": "note",
                           "title": format!("{form} watched the checkout dashboard"),
                           "description": format!("Noted by {form}. Ask {form} for the graphs."),
                           "link": link_for(&form), "service": service}),
                )
                .await;
            entries.push(id(&entry).to_owned());
            index += 1;
        }
    }

    let mut causes = Vec::new();
    for (area, text) in [
        (
            "prevention",
            format!("Deploy checks were skipped: {}", all_forms(z)),
        ),
        (
            "prevention",
            format!(
                "{} carelessly deleted the orders table; Quackenbush should have known better",
                split_name(z).0
            ),
        ),
        (
            "detection",
            format!("The alert paged nobody but {}", all_forms(o)),
        ),
        (
            "detection",
            format!("{}'s dashboard showed averages only", o.display),
        ),
        (
            "mitigation",
            format!("Rollback waited for {}", all_forms(i)),
        ),
        (
            "mitigation",
            format!("The runbook by @{} was out of date", i.login),
        ),
    ] {
        let cause = app
            .create(
                &format!("{base}/causes"),
                json!({"area": area, "description": text}),
            )
            .await;
        causes.push(id(&cause).to_owned());
    }

    let mut items = Vec::new();
    for (owner, title, due, recurrence) in [
        (
            0,
            format!(
                "Add a lint rule for migrations (asked by {}, @{})",
                z.display, z.login
            ),
            "2026-12-15",
            Some("FREQ=MONTHLY;INTERVAL=3;COUNT=4"),
        ),
        (
            0,
            format!(
                "Alert on checkout success rate for {}'s team",
                split_name(z).0
            ),
            "2026-12-20",
            None,
        ),
        (
            1,
            format!(
                "Add a canary for config changes ({}'s idea, {})",
                o.display, o.email
            ),
            "2026-12-18",
            None,
        ),
        (
            2,
            format!("Drill the rollback with @{} and {}", i.login, i.display),
            "2026-12-22",
            None,
        ),
    ] {
        let c = &CAST[owner];
        let mut body = json!({"title": title, "description": format!("Follow-up for {}", all_forms(c)),
                              "owner_id": people[owner], "due_date": due, "priority": "high",
                              "cause_id": causes[owner * 2]});
        if let Some(rule) = recurrence {
            body["recurrence"] = json!(rule);
        }
        let item = app.create(&format!("{base}/action-items"), body).await;
        items.push(id(&item).to_owned());
    }

    let token = app
        .create(
            &format!("/api/v1/people/{}/calendar-token", people[0]),
            json!({}),
        )
        .await;

    Seed {
        pm: pm_id,
        people,
        items,
        entries,
        causes,
        tracker: id(&tracker).to_owned(),
        integrations: vec![ci.id.clone(), pager.id.clone()],
        deliveries: vec![receipt["delivery_id"].as_str().unwrap().to_owned()],
        calendar_token: token["token"].as_str().unwrap().to_owned(),
        share_token: String::new(),
        ci_secret: ci.secret.clone(),
    }
}

/// Polls until the worker is done with every item (all refused by the mock Jira).
async fn settle(app: &TestApp, seed: &Seed, report: &mut Report) {
    for item in &seed.items {
        let mut last = Value::Null;
        for _ in 0..400 {
            last = app
                .get_json_as(Role::Admin, &format!("/api/v1/action-items/{item}"))
                .await;
            if last["sync_state"] == "failed" || last["sync_state"] == "synced" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let error = last["last_sync_error"].as_str().unwrap_or_default();
        let named = CAST
            .iter()
            .any(|c| error.contains(c.display) || error.contains(c.email));
        if last["sync_state"] != "failed" || !named {
            report.problems.push(format!(
                "action item {item} was meant to fail its Jira sync with an error naming its owner: {last}"
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// The test

#[tokio::test]
async fn no_reader_who_may_not_see_names_sees_any_byte_of_one_anywhere() {
    let slack = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/services/T000/B000/XXXX"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&slack)
        .await;
    let slack_url = format!("{}/services/T000/B000/XXXX", slack.uri());
    let app = spawn_app_with(move |s| {
        s.practice.slack_webhook_urls = vec![slack_url];
        s.practice.notify_retry_base = Duration::from_millis(20);
    })
    .await;
    let jira = jira_mock().await;
    let scanner = Scanner::new();
    let mut report = Report::default();
    let mut seed = seed(&app, &jira).await;
    let base = format!("/api/v1/postmortems/{}", seed.pm);
    settle(&app, &seed, &mut report).await;

    let admin_timeline = app
        .get_json_as(Role::Admin, &format!("{base}/timeline?limit=200"))
        .await;
    let prefilled = admin_timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["source"] == "generic")
        .count();
    if prefilled != 3 {
        report.problems.push(format!(
            "the three webhook events were meant to be pre-filled into the timeline; {prefilled} were"
        ));
    }

    // --- The schema, from introspection.
    let (status, text) = graphql(&app, Role::Viewer, INTROSPECTION, json!({})).await;
    let introspection: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status, 200, "{text}");
    let schema = Gql::new(&introspection["data"]["__schema"]);
    let mut missing = Vec::new();

    // --- A live subscription (while the post-mortem is open, so webhook events
    // are still pre-filled into it): frames for a hand-written entry and a webhook's.
    let subscription = schema.subscription.clone().unwrap_or_default();
    let mut subscriptions = Vec::new();
    for field in schema.fields(&subscription) {
        let name = field["name"].as_str().unwrap().to_owned();
        if name != "timelineEntries" {
            report.problems.push(format!(
                "Subscription.{name}: the test does not know how to make it fire: extend anonymity_everywhere"
            ));
            continue;
        }
        let mut path = vec![subscription.clone()];
        subscriptions.extend(schema.field_selections(
            &subscription,
            &field,
            0,
            &mut path,
            &seed,
            &mut missing,
        ));
    }
    let mut sockets = Vec::new();
    for role in [Role::Viewer, Role::Editor] {
        let mut socket = connect(&app, role).await;
        let ack = next(&mut socket, Duration::from_secs(5)).await;
        if ack.as_ref().is_none_or(|a| a["type"] != "connection_ack") {
            report.problems.push(format!(
                "subscription [{}]: no connection_ack: {ack:?}",
                audience(role)
            ));
        }
        for (n, selection) in subscriptions.iter().enumerate() {
            let message = json!({"id": n.to_string(), "type": "subscribe",
                                 "payload": {"query": format!("subscription {{ {selection} }}")}});
            socket
                .send(Message::Text(message.to_string().into()))
                .await
                .unwrap();
        }
        sockets.push((role, socket, false));
    }
    for attempt in 0..30 {
        app.create(
            &format!("{base}/timeline"),
            json!({"occurred_at": "2026-11-20T10:50:00Z", "kind": "note", "title": format!("subscription probe {attempt}")}),
        )
        .await;
        for (_, socket, live) in sockets.iter_mut() {
            if !*live && next(socket, Duration::from_millis(300)).await.is_some() {
                *live = true;
            }
        }
        if sockets.iter().all(|(_, _, live)| *live) {
            break;
        }
    }
    let [z, o, _] = &CAST;
    let live_title = format!("Live: {}", all_forms(o));
    app.create(
        &format!("{base}/timeline"),
        json!({"occurred_at": "2026-11-20T10:51:00Z", "kind": "note", "title": live_title.chars().take(500).collect::<String>(),
               "description": format!("Live note for {}", all_forms(z)), "link": link_for(z.email)}),
    )
    .await;
    let hook = crate::helpers::Hook {
        id: seed.integrations[0].clone(),
        path: format!("/webhooks/{}", seed.integrations[0]),
        secret: seed.ci_secret.clone(),
    };
    let body = json!({"occurred_at": "2026-11-20T10:30:00Z", "kind": "deploy.started",
                      "title": format!("Live rollback by @{} for {}", z.login, z.display),
                      "service": "checkout", "actor": z.email})
    .to_string();
    app.deliver_ok(
        &hook,
        &signed("generic", &hook.secret, body.as_bytes()),
        body.as_bytes(),
    )
    .await;
    for (role, socket, live) in sockets.iter_mut() {
        if !*live {
            report.problems.push(format!(
                "subscription [{}]: never went live",
                audience(*role)
            ));
            continue;
        }
        let (mut manual, mut webhook) = (false, false);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !(manual && webhook) && tokio::time::Instant::now() < deadline {
            let Some(frame) = next(socket, Duration::from_secs(2)).await else {
                continue;
            };
            let entry = &frame["payload"]["data"]["timelineEntries"];
            let title = entry["title"].as_str().unwrap_or_default();
            if title.starts_with("subscription probe") {
                continue;
            }
            if title.starts_with("Live:") {
                manual = true;
            }
            if entry["source"] == "generic" {
                webhook = true;
            }
            report.inspect(
                &scanner,
                "GraphQL subscription timelineEntries frame",
                audience(*role),
                &frame.to_string(),
            );
        }
        if !(manual && webhook) {
            report.problems.push(format!(
                "subscription [{}]: frames seen: hand-written entry {manual}, webhook entry {webhook}",
                audience(*role)
            ));
        }
        report.covered.push(format!(
            "GraphQL subscription timelineEntries [{}]",
            audience(*role)
        ));
    }

    // --- Publishing: refused to an editor (review errors quote blaming text), then
    // overridden by an admin whose token subject is a person's email.
    for (role, body, expect, what) in [
        (Role::Editor, None, 409, "publish (review_blocked)"),
        (Role::Viewer, None, 403, "publish"),
        (
            Role::Editor,
            Some(json!({"override_reason": "editors may not override"})),
            403,
            "publish with override_reason",
        ),
    ] {
        let answer = send(
            &app,
            Method::POST,
            &format!("{base}/publish"),
            role,
            body.as_ref(),
            &[],
        )
        .await;
        let source = format!("REST POST {base}/publish: {what} → {}", answer.status);
        if answer.status != expect {
            report.problems.push(format!(
                "{source} [{}]: expected {expect}: {}",
                audience(role),
                answer.body
            ));
        }
        report.inspect(&scanner, &source, audience(role), &answer.headers);
        report.inspect(&scanner, &source, audience(role), &answer.body);
        report
            .covered
            .push(format!("{source} [{}]", audience(role)));
    }
    let [z, o, _] = &CAST;
    let reason = format!(
        "Signed off by {}; {}'s review is pending",
        all_forms(z),
        o.display
    );
    let published = app
        .client
        .post(format!("{}{base}/publish", app.address))
        .bearer_auth(app.token_for(z.email, Role::Admin))
        .json(&json!({ "override_reason": reason }))
        .send()
        .await
        .unwrap();
    if published.status() != 200 {
        report.problems.push(format!(
            "an admin's override publish answered {}: {}",
            published.status(),
            published.text().await.unwrap()
        ));
    }

    // --- A share link to the published page (`GET /share/{token}` below).
    let shared = app
        .request(Method::POST, &format!("{base}/share"), Role::Editor)
        .send()
        .await
        .unwrap();
    let shared: Value = shared.json().await.unwrap();
    seed.share_token = shared["token"].as_str().unwrap_or_default().to_owned();

    // --- The Slack announcement (what leaves the service: as an editor would see it).
    let mut announced = Vec::new();
    for _ in 0..200 {
        announced = slack.received_requests().await.unwrap_or_default();
        if !announced.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    if announced.is_empty() {
        report
            .problems
            .push("no Slack announcement arrived after publishing".into());
    }
    for request in &announced {
        let body = String::from_utf8_lossy(&request.body).into_owned();
        report.inspect(
            &scanner,
            "Slack announcement",
            "channel, as an editor",
            &body,
        );
    }
    report.covered.push("Slack announcement body".into());

    // --- Error bodies and write answers a reader can provoke.
    let entry = format!("{base}/timeline/{}", seed.entries[5]);
    let cause = format!("{base}/causes/{}", seed.causes[1]);
    let item = format!("/api/v1/action-items/{}", seed.items[0]);
    let draft = json!({
        "title": "Checkout outage", "summary": "The owner carelessly deleted the table; human error.",
        "author_id": seed.people[0],
        "timeline": [{"occurred_at": "2026-11-20T10:00:00Z", "kind": "detected", "title": "The on-call engineer should have known"}],
        "causes": [{"area": "prevention", "description": "The author carelessly ran the migration"}],
        "action_items": [{"title": "Be more careful", "owner_id": seed.people[1], "due_date": "2026-12-01"}],
        "participants": [{"person_id": seed.people[0], "role": "author"}, {"person_id": seed.people[2], "role": "participant"}],
    });
    let probes: Vec<Probe> = vec![
        (
            Method::PATCH,
            base.clone(),
            Role::Editor,
            Some(json!({"severity": "sev3"})),
            vec![("If-Match", "\"v999\"")],
            Expect::ClientError,
            "stale If-Match",
        ),
        (
            Method::PATCH,
            base.clone(),
            Role::Editor,
            Some(json!({"severity": "sev3"})),
            vec![],
            Expect::Ok,
            "the post-mortem an editor changed",
        ),
        (
            Method::PATCH,
            base.clone(),
            Role::Viewer,
            Some(json!({"severity": "sev3"})),
            vec![],
            Expect::Forbidden,
            "a viewer's change",
        ),
        (
            Method::PATCH,
            base.clone(),
            Role::Editor,
            Some(json!({"severity": "zquack"})),
            vec![],
            Expect::ClientError,
            "validation (a name as an enum value)",
        ),
        (
            Method::POST,
            format!("{base}/timeline"),
            Role::Editor,
            Some(
                json!({"occurred_at": "2026-11-20T10:00:00Z", "kind": "Zebulon.Quackenbush", "title": ""}),
            ),
            vec![],
            Expect::ClientError,
            "validation (a name as a kind)",
        ),
        (
            Method::PATCH,
            entry.clone(),
            Role::Editor,
            Some(json!({"service": "checkout"})),
            vec![],
            Expect::Ok,
            "the timeline entry an editor changed",
        ),
        (
            Method::PATCH,
            entry.clone(),
            Role::Editor,
            Some(json!({"service": "checkout"})),
            vec![("If-Match", "\"v999\"")],
            Expect::ClientError,
            "stale If-Match",
        ),
        (
            Method::PATCH,
            cause.clone(),
            Role::Editor,
            Some(json!({"area": "prevention"})),
            vec![],
            Expect::Ok,
            "the cause an editor changed",
        ),
        (
            Method::PATCH,
            item.clone(),
            Role::Editor,
            Some(json!({"priority": "medium"})),
            vec![],
            Expect::Ok,
            "the action item an editor changed",
        ),
        (
            Method::POST,
            format!("{item}/sync"),
            Role::Editor,
            None,
            vec![],
            Expect::Ok,
            "the action item an editor re-synced",
        ),
        (
            Method::POST,
            format!("{base}/participants"),
            Role::Editor,
            Some(json!({"person_id": seed.people[1], "role": "reviewer"})),
            vec![],
            Expect::ClientError,
            "a participant added twice",
        ),
        (
            Method::POST,
            format!("{base}/participants"),
            Role::Editor,
            Some(json!({"person_id": seed.people[0], "role": "author"})),
            vec![],
            Expect::ClientError,
            "the author added again",
        ),
        (
            Method::GET,
            format!("/api/v1/postmortems/{}", uuid::Uuid::new_v4()),
            Role::Viewer,
            None,
            vec![],
            Expect::ClientError,
            "an unknown post-mortem",
        ),
        (
            Method::POST,
            "/api/v1/review".into(),
            Role::Viewer,
            Some(draft.clone()),
            vec![],
            Expect::Ok,
            "a draft naming people only by id",
        ),
        (
            Method::POST,
            "/api/v1/review".into(),
            Role::Editor,
            Some(draft.clone()),
            vec![],
            Expect::Ok,
            "a draft naming people only by id",
        ),
    ];
    for (method, path, role, body, headers, expect, what) in probes {
        let answer = send(&app, method.clone(), &path, role, body.as_ref(), &headers).await;
        let source = format!("REST {method} {path}: {what} → {}", answer.status);
        if !expect.admits(answer.status) {
            report.problems.push(format!(
                "{source} [{}]: expected {expect:?}: {}",
                audience(role),
                answer.body
            ));
        }
        report.inspect(&scanner, &source, audience(role), &answer.headers);
        report.inspect(&scanner, &source, audience(role), &answer.body);
        report
            .covered
            .push(format!("{source} [{}]", audience(role)));
    }

    // --- Every GET route of the route table.
    let mut gets = 0;
    for endpoint in hindsight::rest::endpoints() {
        if endpoint.method.as_str() != "GET" {
            continue;
        }
        gets += 1;
        let template = endpoint.path;
        let paths = match fill(template, &seed) {
            Ok(paths) => paths,
            Err(why) => {
                report.problems.push(format!(
                    "GET {template}: the test cannot fill it in ({why}): extend anonymity_everywhere"
                ));
                continue;
            }
        };
        for path in paths {
            for (query, expect) in variants(template, &seed) {
                for role in [Role::Viewer, Role::Editor] {
                    let url = format!("{path}{query}");
                    let answer = send(&app, Method::GET, &url, role, None, &[]).await;
                    let expect = expect.unwrap_or_else(|| expected(template, role));
                    let source = format!("REST GET {url} → {}", answer.status);
                    if !expect.admits(answer.status) {
                        report.problems.push(format!(
                            "{source} [{}]: expected {expect:?}: {}",
                            audience(role),
                            answer.body.chars().take(300).collect::<String>()
                        ));
                    }
                    if names_allowed(template, role) {
                        report.covered.push(format!(
                            "{source} [{}] (directory: names allowed)",
                            audience(role)
                        ));
                        continue;
                    }
                    report.inspect(&scanner, &source, audience(role), &answer.headers);
                    report.inspect(&scanner, &source, audience(role), &answer.body);
                    report
                        .covered
                        .push(format!("{source} [{}]", audience(role)));
                }
            }
        }
    }
    if gets == 0 {
        report
            .problems
            .push("the route table lists no GET route".into());
    }

    // --- GraphQL: every Query field from introspection.
    let mut admin_postmortem = String::new();
    for field in schema.fields(&schema.query) {
        let name = field["name"].as_str().unwrap().to_owned();
        let mut path = vec![schema.query.clone()];
        let selections =
            schema.field_selections(&schema.query, &field, 0, &mut path, &seed, &mut missing);
        if selections.is_empty() {
            continue;
        }
        let query = format!("query {{ {} }}", selections.join(" "));
        // Admin first: an answer kept for an admin must not be served to anyone else.
        for role in [Role::Admin, Role::Viewer, Role::Editor] {
            let (status, text) = graphql(&app, role, &query, json!({})).await;
            let source = format!("GraphQL Query.{name}");
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let errors = body.get("errors").is_some();
            if status != 200 || errors != gql_forbidden(&name, role) {
                report.problems.push(format!(
                    "{source} [{}]: HTTP {status}, errors expected: {}: {}",
                    audience(role),
                    gql_forbidden(&name, role),
                    text.chars().take(400).collect::<String>()
                ));
            }
            if role == Role::Admin {
                if name == "postmortem" {
                    admin_postmortem = text;
                }
                continue;
            }
            if gql_names_allowed(&name, role) {
                report.covered.push(format!(
                    "{source} [{}] (directory: names allowed)",
                    audience(role)
                ));
                continue;
            }
            report.inspect(&scanner, &source, audience(role), &text);
            report
                .covered
                .push(format!("{source} [{}]", audience(role)));
        }
    }
    if !admin_postmortem.contains(z.display) {
        report.blanked.push(format!(
            "GraphQL Query.postmortem [admin] does not name {}",
            z.display
        ));
    }

    // GraphQL mutations an editor or viewer can provoke.
    let mut path = vec!["Mutation".to_owned(), "PostMortem".to_owned()];
    let full_postmortem = schema.selection("PostMortem", 1, &mut path, &seed, &mut missing);
    let pm_id = &seed.pm;
    for (role, query, what) in [
        (
            Role::Editor,
            format!(
                r#"mutation {{ updatePostmortem(id: "{pm_id}", input: {{severity: SEV2}}, expectedVersion: 0) {{ id title }} }}"#
            ),
            "stale expectedVersion",
        ),
        (
            Role::Editor,
            format!(
                r#"mutation {{ updatePostmortem(id: "{pm_id}", input: {{severity: SEV2}}) {{ {full_postmortem} }} }}"#
            ),
            "the post-mortem an editor changed",
        ),
        (
            Role::Viewer,
            format!(
                r#"mutation {{ addTimelineEntry(postmortemId: "{pm_id}", input: {{occurredAt: "2026-11-20T10:00:00Z", kind: "note", title: "x"}}) {{ id title }} }}"#
            ),
            "a viewer's write",
        ),
        (
            Role::Editor,
            format!(
                r#"mutation {{ addParticipant(postmortemId: "{pm_id}", personId: "{}", role: REVIEWER) {{ name person {{ displayName email githubLogin }} }} }}"#,
                seed.people[1]
            ),
            "a participant added twice",
        ),
        (
            Role::Editor,
            format!(
                r#"mutation {{ updateActionItem(id: "{}", input: {{priority: LOW}}) {{ title description ownerName lastSyncError owner {{ displayName email githubLogin jiraAccountId }} postmortem {{ title summary authorName }} }} }}"#,
                seed.items[2]
            ),
            "the action item an editor changed",
        ),
    ] {
        let (status, text) = graphql(&app, role, &query, json!({})).await;
        let source = format!("GraphQL mutation: {what} → HTTP {status}");
        report.inspect(&scanner, &source, audience(role), &text);
        report
            .covered
            .push(format!("{source} [{}]", audience(role)));
    }

    report.problems.extend(
        missing
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|m| format!("GraphQL {m}: extend Gql::supply in anonymity_everywhere")),
    );

    // --- An admin sees the names (the test cannot pass by blanking everything),
    // and a viewer sees pseudonyms rather than nothing.
    let admin_pm = app.get_json_as(Role::Admin, &base).await;
    if admin_pm["author_name"] != z.display
        || !admin_pm["title"].as_str().unwrap_or("").contains(z.display)
    {
        report
            .blanked
            .push(format!("REST GET {base} [admin]: {admin_pm}"));
    }
    for path in [
        format!("{base}/timeline?limit=200"),
        format!("{base}/action-items"),
        format!("{base}/document?format=markdown"),
        format!("{base}/document?format=html"),
        format!("{base}/participants"),
    ] {
        let answer = send(&app, Method::GET, &path, Role::Admin, None, &[]).await;
        for name in [z.display, o.display] {
            if answer.status != 200 || !answer.body.contains(name) {
                report.blanked.push(format!(
                    "REST GET {path} [admin] does not name {name} ({})",
                    answer.status
                ));
            }
        }
    }
    let admin_timeline = app
        .get_json_as(Role::Admin, &format!("{base}/timeline?limit=200"))
        .await
        .to_string();
    for c in &CAST {
        for needle in [c.email, c.login] {
            if !admin_timeline.contains(needle) {
                report
                    .blanked
                    .push(format!("REST GET {base}/timeline [admin] lost {needle:?}"));
            }
        }
    }
    let viewer_pm = app.get_json_as(Role::Viewer, &base).await;
    if !viewer_pm["author_name"]
        .as_str()
        .is_some_and(|n| n.starts_with("Engineer "))
    {
        report.problems.push(format!(
            "REST GET {base} [viewer]: the author should read as a pseudonym: {}",
            viewer_pm["author_name"]
        ));
    }

    eprintln!(
        "anonymity_everywhere covered {} reads:\n  {}",
        report.covered.len(),
        report.covered.join("\n  ")
    );
    let mut failure = String::new();
    if !report.problems.is_empty() {
        failure.push_str(&format!(
            "\n{} things the test could not do as meant:\n  {}\n",
            report.problems.len(),
            report.problems.join("\n  ")
        ));
    }
    if !report.blanked.is_empty() {
        failure.push_str(&format!(
            "\n{} reads where an admin does not see names:\n  {}\n",
            report.blanked.len(),
            report.blanked.join("\n  ")
        ));
    }
    if !report.leaks.is_empty() {
        // By form: what the scrubbing misses, and where each form shows.
        let mut by_form: BTreeMap<&str, BTreeMap<String, BTreeSet<&str>>> = BTreeMap::new();
        // By read: what each read shows, and to whom.
        let mut by_read: BTreeMap<String, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
        for leak in &report.leaks {
            let read = normalized(&leak.source, &seed);
            for form in &leak.forms {
                by_form
                    .entry(form.as_str())
                    .or_default()
                    .entry(read.clone())
                    .or_default()
                    .insert(&leak.audience);
            }
            let entry = by_read.entry(read).or_default();
            entry.0.insert(&leak.audience);
            entry.1.extend(leak.forms.iter().map(String::as_str));
        }
        failure.push_str(&format!(
            "\n{} strings holding a name were shown to readers who may not see names, in {} reads.\n",
            report.leaks.len(),
            by_read.len()
        ));
        failure.push_str(&format!("\nBy read ({}):\n", by_read.len()));
        for (read, (audiences, forms)) in &by_read {
            failure.push_str(&format!(
                "  {read} {audiences:?}: {} forms {forms:?}\n",
                forms.len()
            ));
        }
        failure.push_str(&format!("\nBy form ({}):\n", by_form.len()));
        for (form, reads) in &by_form {
            failure.push_str(&format!("  {form:?} in {} reads:\n", reads.len()));
            for (read, audiences) in reads {
                failure.push_str(&format!("      {read} {audiences:?}\n"));
            }
        }
        failure.push_str(&format!("\nEvery leak ({}):\n", report.leaks.len()));
        for leak in &report.leaks {
            failure.push_str(&format!("  {leak}\n"));
        }
    }
    assert!(failure.is_empty(), "{failure}");
}

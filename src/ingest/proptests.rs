//! Property tests over the webhook parsers: whatever reaches a webhook URL,
//! `verify`, `parse` (every kind, with and without mapping rules) and
//! `parse_tracker_update` return an answer without panicking, each call well
//! within [`BUDGET`].
//!
//! - `arbitrary_bytes_*`: any bytes, with any of the headers the kinds select
//!   on (`X-GitHub-Event`, `X-Gitlab-Event`, `Sentry-Hook-Resource`, the
//!   signature and delivery-id headers), valued from what senders send or any
//!   text.
//! - `arbitrary_json_*`: any JSON value, its keys mostly drawn from the keys
//!   the fixtures use so that the parsers go past their first lookup; numbers
//!   at the edges (`i64`/`u64` limits, `1e308`, tiny and negative floats),
//!   unicode and control characters, long strings, odd time formats.
//! - `mutated_fixtures_*`: every fixture (`shared/fixtures/webhooks/**` and
//!   `tests/fixtures/vendors/**`, read from disk so new ones join), with the
//!   headers its name implies, after one to four mutations: a field deleted,
//!   replaced by another JSON type, a number by an edge value, a string by a
//!   time in an odd format; then sometimes truncated at a random byte.
//! - `mapping_rules_*`: rules built from JMESPath-like expressions (valid and
//!   not), over fixtures and arbitrary bodies: `problems()` names exactly the
//!   fields whose expression does not compile, and `parse` never panics.
//! - `signed_deliveries_*`: a correct signature over any timestamp text, so
//!   the replay-window check sees every number the header can hold.
//! - `times_*`: `time_at`, `epoch_time` and `epoch_float` on any number.
//!
//! 200 cases per property (2000 for the time readers) take about 8 s in a
//! debug build on two busy cores; `PROPTEST_CASES` sets them all (e.g. 5000
//! for a long local run).

use std::path::Path;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::Config;
use serde_json::{Map, Number, Value};

use super::json::{epoch_float, epoch_time, time_at};
use super::mapping::{From, FullRule, Rule};
use super::testing::{hmac_hex, hmac_sha256};
use super::{
    FieldMapping, Headers, MappingRules, SourceKind, VerifyConfig, parse, parse_tracker_update,
    verify,
};

/// The most one call may take. A call over it is run twice more and judged
/// by its fastest run: a busy machine slows one run, a pathological input
/// slows them all.
const BUDGET: Duration = Duration::from_millis(50);

const SECRET: &[u8] = b"whsec_cHJvcHRlc3Qtc2VjcmV0";

fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        // Failures become regression unit tests next to the parser instead.
        failure_persistence: None,
        ..Config::default()
    }
}

fn within_budget<T>(what: &dyn Fn() -> String, call: impl Fn() -> T) -> T {
    let start = Instant::now();
    let answer = call();
    let mut fastest = start.elapsed();
    for _ in 0..2 {
        if fastest <= BUDGET {
            break;
        }
        let start = Instant::now();
        call();
        fastest = fastest.min(start.elapsed());
    }
    assert!(fastest <= BUDGET, "{} took {fastest:?}", what());
    answer
}

/// Every entry point, every kind, for one body and set of headers.
fn exercise(headers: &Headers, body: &[u8], mapping: &FieldMapping) {
    let secrets: &[&[u8]] = &[SECRET, b"previous"];
    let mut cfg = VerifyConfig::new(secrets, super::testing::now());
    cfg.grafana_timestamp_header = Some("X-Grafana-Timestamp");
    for kind in SourceKind::ALL {
        let what = |call: &str| format!("{call} {kind} of {} bytes", body.len());
        let _ = within_budget(&|| what("verify"), || verify(kind, headers, body, &cfg));
        let _ = within_budget(&|| what("parse"), || parse(kind, headers, body, mapping));
        let _ = within_budget(&|| what("parse_tracker_update"), || {
            parse_tracker_update(kind, headers, body)
        });
    }
}

// ---- fixtures ----

struct Fixture {
    /// The event its file name starts with: `deployment_status.created.0.json`.
    event: String,
    body: Vec<u8>,
}

static FIXTURES: LazyLock<Vec<Fixture>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut fixtures = Vec::new();
    for dir in [
        root.join("../shared/fixtures/webhooks"),
        root.join("tests/fixtures/vendors"),
    ] {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let vendor = entry.file_name().to_string_lossy().into_owned();
            if vendor.parse::<SourceKind>().is_err() {
                continue;
            }
            for file in std::fs::read_dir(entry.path()).unwrap().flatten() {
                let name = file.file_name().to_string_lossy().into_owned();
                if let Some(stem) = name.strip_suffix(".json") {
                    fixtures.push(Fixture {
                        event: stem.split('.').next().unwrap_or(stem).to_owned(),
                        body: std::fs::read(file.path()).unwrap(),
                    });
                }
            }
        }
    }
    // Both trees hold dozens; far fewer means a path went wrong.
    assert!(fixtures.len() > 100, "only {} fixtures", fixtures.len());
    fixtures
});

/// Every object key the fixtures use, so random documents look like webhooks.
static KEYS: LazyLock<Vec<String>> = LazyLock::new(|| {
    fn collect(value: &Value, keys: &mut std::collections::BTreeSet<String>) {
        match value {
            Value::Object(fields) => {
                for (key, value) in fields {
                    keys.insert(key.clone());
                    collect(value, keys);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect(item, keys)),
            _ => {}
        }
    }
    let mut keys = std::collections::BTreeSet::new();
    for fixture in FIXTURES.iter() {
        collect(&serde_json::from_slice(&fixture.body).unwrap(), &mut keys);
    }
    keys.into_iter().collect()
});

// ---- generators ----

fn edge_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        select(vec![
            Value::from(i64::MIN),
            Value::from(i64::MAX),
            Value::from(u64::MAX),
            Value::from(0),
            Value::from(-1),
            Value::from(1e308),
            Value::from(-1e308),
            Value::from(1e300),
            Value::from(f64::MIN_POSITIVE),
            Value::from(5e-324),
            Value::from(-0.0),
            Value::from(8_210_298_326_400_i64),
            Value::from(1_619_640_600.123),
            Value::from(99_999_999_999_i64),
            Value::from(100_000_000_000_000_000_i64),
        ]),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|n| Number::from_f64(n).map_or(Value::Null, Value::Number)),
    ]
}

fn odd_time() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999+14:00",
            "+262143-12-31T23:59:59Z",
            "-262144-01-01T00:00:00Z",
            "2021-02-30T00:00:00Z",
            "2021-04-28T24:00:00Z",
            "2021-04-28T23:59:60Z",
            "2021-04-28 21:50:00 +9999",
            "2021-04-28T21:50:00.0000000000000000001+0200",
            "2021-04-28 19:50:00 UTC UTC",
            "1619640600.123.4",
            "-9223372036854775808",
            "18446744073709551615",
            "1e308",
            "--1",
            ".",
            "",
        ])
        .prop_map(str::to_owned),
        "[0-9 :T.Z+-]{0,40}",
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
    ]
}

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[\\x00-\\x1f\"\\\\\u{7f}\u{fffd}\u{202e}]{0,16}",
        1 => (select(vec!["x", "é", "🦀", "\0", "\u{200b}"]), 1000..16_000usize)
            .prop_map(|(s, n)| s.repeat(n)),
        2 => odd_time(),
    ]
    .boxed()
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => select(KEYS.clone()), 1 => any::<String>()]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        edge_number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 200, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Arrays or objects nested up to serde_json's limit of 128 levels.
fn deep_json() -> impl Strategy<Value = Vec<u8>> {
    (1..140usize, any::<bool>(), key()).prop_map(|(depth, arrays, key)| {
        let key = Value::from(key).to_string();
        let (open, close) = if arrays {
            ("[".to_owned(), "]")
        } else {
            (format!("{{{key}:"), "}")
        };
        format!("{}1e308{}", open.repeat(depth), close.repeat(depth)).into_bytes()
    })
}

fn header_value(known: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        3 => select(known).prop_map(|v| Some(v.to_owned())),
        1 => any::<String>().prop_map(Some),
    ]
}

/// The headers the kinds select on or verify with, each maybe absent.
fn headers(event_hint: Option<String>) -> impl Strategy<Value = Headers> {
    let hex = "[0-9a-f]{0,70}";
    let selecting = (
        header_value(&[
            "ping",
            "issues",
            "check_run",
            "deployment",
            "deployment_status",
            "workflow_run",
            "workflow_job",
            "release",
            "push",
        ]),
        header_value(&[
            "Deployment Hook",
            "Job Hook",
            "Pipeline Hook",
            "Release Hook",
            "Feature Flag Hook",
            "Issue Hook",
            "Member Hook",
            "System Hook",
        ]),
        header_value(&[
            "issue",
            "event_alert",
            "metric_alert",
            "error",
            "installation",
        ]),
        header_value(&["a1b2", "", "00000000-0000-0000-0000-000000000000"]),
    );
    let signing = (
        header_value(&["Bearer ", "Basic ", "Basic Og==", "Basic !!!", "bearer x y"]),
        prop::option::of(hex.prop_map(|h| format!("v1={h},v1=,v1={h}"))),
        prop::option::of(hex.prop_map(|h| format!("sha256={h}"))),
        header_value(&["v1,", "v1,AAAA v1,!!", "v2,x"]),
        header_value(&[
            "-9223372036854775808",
            "99999999999999999999",
            "1777636800",
            "",
        ]),
        prop::option::of(hex),
    );
    (selecting, signing, any::<bool>()).prop_map(
        move |((github, gitlab, sentry, id), (auth, pd, hub, sig, ts, hex), use_hint)| {
            let github = if use_hint { event_hint.clone() } else { github };
            let pairs = [
                ("X-GitHub-Event", github),
                ("X-Gitlab-Event", gitlab),
                (
                    "Sentry-Hook-Resource",
                    sentry.or_else(|| event_hint.clone()),
                ),
                ("X-GitHub-Delivery", id.clone()),
                ("Idempotency-Key", id.clone()),
                ("webhook-id", id.clone()),
                ("Request-ID", id.clone()),
                ("X-Webhook-Id", id.clone()),
                ("X-Atlassian-Webhook-Identifier", id),
                ("Authorization", auth),
                ("X-PagerDuty-Signature", pd),
                ("X-Hub-Signature-256", hub.clone()),
                ("X-Hub-Signature", hub.clone()),
                ("X-Hindsight-Signature", hub),
                ("webhook-signature", sig),
                ("webhook-timestamp", ts.clone()),
                ("X-Grafana-Timestamp", ts),
                ("X-Grafana-Alerting-Signature", hex.clone()),
                ("Sentry-Hook-Signature", hex.clone()),
                ("X-Gitlab-Token", hex),
            ];
            Headers::new(
                pairs
                    .into_iter()
                    .filter_map(|(name, value)| Some((name.to_owned(), value?))),
            )
        },
    )
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete,
    Replace(Value),
    EdgeNumber(Value),
    OddTime(String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Delete),
        json_value().prop_map(Mutation::Replace),
        edge_number().prop_map(Mutation::EdgeNumber),
        odd_time().prop_map(Mutation::OddTime),
    ]
}

/// JSON pointers to every node below the root.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| (k.replace('~', "~0").replace('/', "~1"), v))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => return,
    };
    for (step, child) in children {
        let pointer = format!("{at}/{step}");
        pointers(child, pointer.clone(), out);
        out.push(pointer);
    }
}

fn mutate(doc: &mut Value, at: Index, mutation: &Mutation) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    if all.is_empty() {
        return;
    }
    let pointer = at.get(&all).clone();
    let (parent, last) = pointer.rsplit_once('/').unwrap_or_default();
    let target_is_number = doc.pointer(&pointer).is_some_and(Value::is_number);
    let target_is_string = doc.pointer(&pointer).is_some_and(Value::is_string);
    let replacement = match mutation {
        Mutation::Delete => {
            let last = last.replace("~1", "/").replace("~0", "~");
            match doc.pointer_mut(parent) {
                Some(Value::Object(fields)) => drop(fields.remove(&last)),
                Some(Value::Array(items)) => {
                    if let Ok(n) = last.parse::<usize>() {
                        items.remove(n);
                    }
                }
                _ => {}
            }
            return;
        }
        Mutation::Replace(value) => value.clone(),
        // Edge numbers and odd times go where the type already fits when it
        // does, so the parsers' number and time readers see them.
        Mutation::EdgeNumber(n) if target_is_number || !target_is_string => n.clone(),
        Mutation::EdgeNumber(n) => Value::String(n.to_string()),
        Mutation::OddTime(time) => Value::String(time.clone()),
    };
    if let Some(slot) = doc.pointer_mut(&pointer) {
        *slot = replacement;
    }
}

/// A mutated fixture's bytes, and headers that often name its event.
fn mutated_fixture() -> impl Strategy<Value = (Vec<u8>, Headers)> {
    (
        any::<Index>(),
        prop::collection::vec((any::<Index>(), mutation()), 1..5),
        prop::option::weighted(0.2, any::<Index>()),
    )
        .prop_map(|(which, mutations, cut)| {
            let fixture = which.get(&FIXTURES);
            let mut doc: Value = serde_json::from_slice(&fixture.body).unwrap();
            for (at, mutation) in &mutations {
                mutate(&mut doc, *at, mutation);
            }
            let mut body = serde_json::to_vec(&doc).unwrap();
            if let Some(cut) = cut {
                body.truncate(cut.index(body.len() + 1));
            }
            (body, fixture.event.clone())
        })
        .prop_flat_map(|(body, event)| (Just(body), headers(Some(event))))
}

// ---- mapping rules ----

/// Pieces of JMESPath, joined at random: many compile, many do not.
fn expression() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        4 => key().prop_map(|k| if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !k.is_empty() { k } else { Value::from(k).to_string() }),
        1 => select(vec![
            "@", "`1`", "`null`", "`\"x\"`", "`{\"a\": [1]}`", "'raw'", "`1e308`",
            "`-9223372036854775808`", "`18446744073709551615`", "&labels", "*",
            // Arrays for any object body, for indexes and slices to work on.
            "keys(@)", "values(@)", "alerts",
        ]).prop_map(str::to_owned),
        1 => "[a-z_@`'\\.\\[\\]()|&!*0-9-]{1,8}",
    ];
    atom.prop_recursive(4, 32, 3, |inner| {
        let number = prop_oneof![
            3 => select(vec![
                0i64,
                1,
                -1,
                2,
                i32::MAX as i64,
                i32::MIN as i64 + 1,
                i32::MAX as i64 + 1
            ]),
            1 => any::<i32>().prop_map(i64::from),
        ];
        let step = prop::option::of(number.clone());
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}.{b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} | {b}")),
            (
                inner.clone(),
                inner.clone(),
                select(vec!["||", "&&", "==", "!=", "<", ">="])
            )
                .prop_map(|(a, b, op)| format!("{a} {op} {b}")),
            (inner.clone(), number.clone()).prop_map(|(a, n)| format!("{a}[{n}]")),
            (inner.clone(), step.clone(), step.clone(), step).prop_map(|(a, s, e, st)| {
                let part = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
                format!("{a}[{}:{}:{}]", part(s), part(e), part(st))
            }),
            inner.clone().prop_map(|a| format!("{a}[*]")),
            inner.clone().prop_map(|a| format!("{a}[]")),
            inner.clone().prop_map(|a| format!("{a}.*")),
            inner.clone().prop_map(|a| format!("!{a}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}[?{b}]")),
            prop::collection::vec(inner.clone(), 1..4).prop_map(|v| format!("[{}]", v.join(", "))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{{k: {a}, v: {b}}}")),
            (
                select(vec![
                    "join",
                    "split",
                    "to_string",
                    "to_number",
                    "length",
                    "keys",
                    "values",
                    "sort",
                    "sort_by",
                    "max_by",
                    "min_by",
                    "reverse",
                    "contains",
                    "starts_with",
                    "abs",
                    "ceil",
                    "floor",
                    "avg",
                    "sum",
                    "merge",
                    "not_null",
                    "map",
                    "type",
                    "nope",
                ]),
                prop::collection::vec(inner.clone(), 0..3),
            )
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            // Breakage: a character dropped, a bracket left open.
            (inner.clone(), any::<Index>()).prop_map(|(a, at)| {
                let mut chars: Vec<char> = a.chars().collect();
                if !chars.is_empty() {
                    chars.remove(at.index(chars.len()));
                }
                chars.into_iter().collect()
            }),
            inner.prop_map(|a| format!("({a}")),
        ]
    })
}

/// Nesting that jmespath's recursion cannot take, in each shape it recurses on.
fn deep_expression() -> impl Strategy<Value = String> {
    (0..5usize, 1..1200usize).prop_map(|(shape, n)| match shape {
        0 => format!("{}a{}", "(".repeat(n), ")".repeat(n)),
        1 => format!("{}a{}", "[".repeat(n), "]".repeat(n)),
        2 => format!("{}a", "!".repeat(n)),
        3 => vec!["a"; n].join("."),
        _ => vec!["a"; n].join(" | "),
    })
}

/// Indexes and slices at the edges of `i32`, over what is an array for any
/// object body.
fn sliced() -> impl Strategy<Value = String> {
    let edge = i64::from(i32::MAX);
    let bound = select(vec![None, Some(1), Some(2), Some(-1), Some(edge)]);
    let step = select(vec![
        None,
        Some(1),
        Some(-1),
        Some(0),
        Some(edge),
        Some(1 - edge),
    ]);
    (
        select(vec!["keys(@)", "values(@)", "alerts", "@"]),
        bound.clone(),
        bound,
        step,
    )
        .prop_map(|(array, start, stop, step)| {
            let part = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
            format!("{array}[{}:{}:{}]", part(start), part(stop), part(step))
        })
}

/// An expression, now and then one nested past what can be evaluated.
fn any_expression() -> BoxedStrategy<String> {
    prop_oneof![12 => expression(), 3 => sliced(), 1 => deep_expression()].boxed()
}

fn rule<V: std::fmt::Debug + Clone + 'static>(
    value: impl Strategy<Value = V> + Clone + 'static,
) -> BoxedStrategy<Option<Rule<V>>> {
    let format = prop::option::of(prop_oneof![
        Just("auto".to_owned()),
        select(vec![
            "%d/%m/%Y %H:%M:%S %z",
            "%s",
            "%+",
            "%Y-%m-%d",
            "%",
            "%Q",
            "%.3f%",
            "%#z",
            "%::z"
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]);
    let full = (
        any_expression(),
        any::<bool>(),
        prop::collection::btree_map(any::<String>(), value.clone(), 0..3),
        prop::option::of(value),
        format,
    )
        .prop_map(|(path, body, values, default, format)| {
            Rule::Full(FullRule {
                path,
                from: if body { From::Body } else { From::Event },
                values,
                default,
                format,
            })
        });
    // Sparse, as real rules are: one failing field would hide the others.
    prop::option::weighted(
        0.25,
        prop_oneof![any_expression().prop_map(Rule::Path), full],
    )
    .boxed()
}

fn mapping_rules() -> impl Strategy<Value = MappingRules> {
    let kind = select(super::EventKind::ALL.to_vec());
    let severity = select(vec![
        super::Severity::Critical,
        super::Severity::High,
        super::Severity::Low,
    ]);
    (
        (
            prop::option::of(expression()),
            rule(text()),
            rule(kind),
            rule(text()),
        ),
        (rule(text()), rule(severity), rule(text()), rule(text())),
        (rule(text()), rule(text())),
    )
        .prop_map(
            |(
                (events, occurred_at, kind, title),
                (service, severity, link, actor),
                (correlation_key, dedupe_key),
            )| {
                MappingRules {
                    events,
                    occurred_at,
                    kind,
                    title,
                    service,
                    severity,
                    link,
                    actor,
                    correlation_key,
                    dedupe_key,
                }
            },
        )
}

/// Each field's expression, when it has one.
fn expressions(rules: &MappingRules) -> Vec<(&'static str, &str)> {
    fn path<V>(rule: &Option<Rule<V>>) -> Option<&str> {
        rule.as_ref().map(|rule| match rule {
            Rule::Path(path) => path.as_str(),
            Rule::Full(full) => full.path.as_str(),
        })
    }
    [
        ("events", rules.events.as_deref()),
        ("occurred_at", path(&rules.occurred_at)),
        ("kind", path(&rules.kind)),
        ("severity", path(&rules.severity)),
        ("title", path(&rules.title)),
        ("service", path(&rules.service)),
        ("link", path(&rules.link)),
        ("actor", path(&rules.actor)),
        ("correlation_key", path(&rules.correlation_key)),
        ("dedupe_key", path(&rules.dedupe_key)),
    ]
    .into_iter()
    .filter_map(|(field, expression)| Some((field, expression?)))
    .collect()
}

/// The fields whose expression jmespath itself refuses to compile.
fn uncompilable(rules: &MappingRules) -> Vec<&'static str> {
    expressions(rules)
        .into_iter()
        .filter(|(_, expression)| !jmespath_compiles(expression))
        .map(|(field, _)| field)
        .collect()
}

/// jmespath's own verdict, on a stack deep enough for the nesting it is
/// given (the point of the rules' own limit is that a server thread has not).
fn jmespath_compiles(expression: &str) -> bool {
    let expression = expression.to_owned();
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || jmespath::compile(&expression).is_ok())
        .unwrap()
        .join()
        .unwrap()
}

// ---- the properties ----

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn arbitrary_bytes_are_answered_in_time(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..4096),
            deep_json(),
        ],
        headers in headers(None),
    ) {
        exercise(&headers, &body, &FieldMapping::default());
    }

    #[test]
    fn arbitrary_json_is_answered_in_time(
        doc in json_value(),
        service_field in prop::option::of(prop_oneof![key(), any::<String>()]),
        headers in headers(None),
    ) {
        let body = serde_json::to_vec(&doc).unwrap();
        let mapping = FieldMapping { service_field, rules: None };
        exercise(&headers, &body, &mapping);
    }

    #[test]
    fn mutated_fixtures_are_answered_in_time(
        (body, headers) in mutated_fixture(),
    ) {
        exercise(&headers, &body, &FieldMapping::default());
    }

    #[test]
    fn mapping_rules_refuse_what_does_not_compile_and_never_panic(
        rules in mapping_rules(),
        fixture in any::<Index>(),
        doc in prop::option::of(json_value()),
    ) {
        // Every field jmespath cannot compile is named; so are those it
        // compiles but could not evaluate safely, and no others.
        let problems = rules.problems();
        let named: Vec<&str> = problems.iter().map(|(field, _)| *field).collect();
        for field in uncompilable(&rules) {
            prop_assert!(named.contains(&field), "{field} not in {problems:?}");
        }
        for (field, reason) in &problems {
            prop_assert!(
                uncompilable(&rules).contains(field)
                    || reason.contains("nests deeper")
                    || reason.contains("slice step"),
                "{field}: {reason}"
            );
        }
        let fixture = fixture.get(&FIXTURES);
        let body = doc.map_or_else(|| fixture.body.clone(), |doc| serde_json::to_vec(&doc).unwrap());
        let headers = super::testing::headers(&[("X-GitHub-Event", &fixture.event)]);
        // Each expression alone too, as a `title` the generic kind must
        // evaluate: in a full set, the first failing field hides the rest.
        let alone = expressions(&rules).into_iter().map(|(_, expression)| MappingRules {
            title: Some(Rule::Path(expression.to_owned())),
            ..MappingRules::default()
        });
        let alone: Vec<_> = alone.map(|rules| (SourceKind::Generic, rules)).collect();
        let every_kind = SourceKind::ALL.into_iter().map(|kind| (kind, rules.clone()));
        for (kind, rules) in every_kind.chain(alone) {
            let mapping = FieldMapping { service_field: None, rules: Some(rules) };
            let _ = within_budget(
                &|| format!("parse {kind} with {:?}", mapping.rules),
                || parse(kind, &headers, &body, &mapping),
            );
        }
    }

    #[test]
    fn signed_deliveries_with_any_timestamp_are_answered(
        body in prop::collection::vec(any::<u8>(), 0..256),
        timestamp in prop_oneof![odd_time(), any::<i64>().prop_map(|n| n.to_string())],
    ) {
        let secrets: &[&[u8]] = &[SECRET];
        let mut cfg = VerifyConfig::new(secrets, super::testing::now());
        cfg.grafana_timestamp_header = Some("X-Grafana-Timestamp");
        let key = STANDARD.decode(SECRET.strip_prefix(b"whsec_").unwrap()).unwrap();
        let gitlab = format!(
            "v1,{}",
            STANDARD.encode(hmac_sha256(&key, &[b"id-1.", timestamp.as_bytes(), b".", &body]))
        );
        let grafana = hmac_hex(SECRET, &[timestamp.as_bytes(), b":", &body]);
        let headers = super::testing::headers(&[
            ("webhook-id", "id-1"),
            ("webhook-timestamp", &timestamp),
            ("webhook-signature", &gitlab),
            ("X-Grafana-Timestamp", &timestamp),
            ("X-Grafana-Alerting-Signature", &grafana),
        ]);
        for kind in [SourceKind::Gitlab, SourceKind::Grafana] {
            // Signed right, so only the window can refuse it.
            let verdict = verify(kind, &headers, &body, &cfg);
            prop_assert!(
                verdict.is_ok()
                    || verdict == Err(super::VerifyError::Expired)
                    || verdict == Err(super::VerifyError::Mismatch),
                "{kind}: {verdict:?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn times_from_any_number_are_a_time_after_the_epoch_or_none(
        whole in any::<i64>(),
        unsigned in any::<u64>(),
        float in any::<f64>(),
        edge in edge_number(),
    ) {
        for time in [epoch_time(whole), epoch_float(float)].into_iter().flatten() {
            prop_assert!(time.timestamp() > i64::MIN);
        }
        let doc = serde_json::json!({
            "whole": whole, "unsigned": unsigned, "float": float, "edge": edge,
            "text": whole.to_string(), "float_text": float.to_string(),
        });
        for pointer in ["/whole", "/unsigned", "/float", "/edge", "/text", "/float_text"] {
            if let Some(time) = time_at(&doc, pointer) {
                prop_assert!(time.timestamp() > 0, "{pointer}: {time}");
            }
        }
    }
}

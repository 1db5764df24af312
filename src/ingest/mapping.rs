//! Mapping rules: per integration, where each field of an event is in a body,
//! as JMESPath expressions (<https://jmespath.org>). They read what no
//! built-in parser can (a Datadog or Grafana custom template, any tool sent to
//! the generic kind) and override a kind's defaults field by field.
//!
//! ```json
//! {
//!   "events": "alerts",
//!   "occurred_at": {"path": "startsAt"},
//!   "kind": {"path": "status", "values": {"firing": "alert.triggered", "resolved": "alert.resolved"}},
//!   "title": "join(' on ', [labels.alertname, labels.instance])",
//!   "service": "labels.service",
//!   "severity": {"path": "labels.priority", "values": {"P1": "critical"}},
//!   "correlation_key": {"path": "groupKey", "from": "body"}
//! }
//! ```
//!
//! Each field is an expression, or an object with `path`, an optional `from`
//! (`event`, the default: the item of `events`, or the body when there is no
//! `events`; or `body`: the whole body), a `values` map (kind and severity) and
//! a `default`; `occurred_at` takes a `format` (`auto`, the default: RFC 3339
//! and its kin, or epoch seconds, milliseconds or nanoseconds; or a chrono
//! format such as `%d/%m/%Y %H:%M:%S %z`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDateTime, Utc};
use jmespath::functions::{ArgumentType, CustomFunction, Signature};
use jmespath::{Rcvar, Runtime, Variable};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::event::{EventKind, NormalizedEvent, Severity};
use super::json::{self, ParseError};

/// Which document an expression is evaluated against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum From {
    #[default]
    Event,
    Body,
}

/// Where one field is, and how to read its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, bound(deserialize = "V: Deserialize<'de>"))]
pub enum Rule<V> {
    Path(String),
    Full(FullRule<V>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "V: Deserialize<'de>"))]
pub struct FullRule<V> {
    pub path: String,
    #[serde(default)]
    pub from: From,
    /// The source's values mapped onto hindsight's (kind and severity).
    #[serde(default = "BTreeMap::new", skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, V>,
    /// When the path gives nothing, or a value `values` does not name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub default: Option<V>,
    /// `occurred_at` only: `auto` or a chrono format.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub format: Option<String>,
}

impl<V> Rule<V> {
    fn parts(&self) -> (&str, From, Option<&FullRule<V>>) {
        match self {
            Rule::Path(path) => (path, From::Event, None),
            Rule::Full(full) => (&full.path, full.from, Some(full)),
        }
    }
}

/// The rules of one integration; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingRules {
    /// The list of alerts in the body, each an event; without it the body is one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub events: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub occurred_at: Option<Rule<String>>,
    /// Without a rule: `alert.triggered`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub kind: Option<Rule<EventKind>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub title: Option<Rule<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub service: Option<Rule<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub severity: Option<Rule<Severity>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub link: Option<Rule<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub actor: Option<Rule<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub correlation_key: Option<Rule<String>>,
    /// Without a rule: a hash of the event's JSON, so a retry dedupes.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::present"
    )]
    pub dedupe_key: Option<Rule<String>>,
}

/// JMESPath's functions, and `split(text, separator)` (from the JMESPath
/// Community spec), which tag lists such as Datadog's `$TAGS` need.
static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    let mut runtime = Runtime::new();
    runtime.register_builtin_functions();
    let split = CustomFunction::new(
        Signature::new(vec![ArgumentType::String, ArgumentType::String], None),
        Box::new(|args, _| {
            let parts = match (args[0].as_string(), args[1].as_string()) {
                (Some(text), Some(separator)) if !separator.is_empty() => text
                    .split(separator.as_str())
                    .map(|part| Rcvar::new(Variable::String(part.to_owned())))
                    .collect(),
                _ => Vec::new(),
            };
            Ok(Rcvar::new(Variable::Array(parts)))
        }),
    );
    runtime.register_function("split", Box::new(split));
    runtime
});

/// How deep an expression may nest. jmespath parses and evaluates by
/// recursion, so a few hundred levels (`((((a))))`, `!!!!a`, `a.a.a.a`)
/// overflow a thread's stack and abort the process; real rules nest a few.
const MAX_NESTING: usize = 32;

/// The largest slice step accepted: jmespath steps through a slice with `i32`
/// arithmetic that overflows (and then indexes out of bounds) for a step
/// near `i32::MAX`, as in `alerts[1::2147483647]`.
const MAX_SLICE_STEP: i32 = 1_000_000;

fn compile(field: &str, expression: &str) -> Result<jmespath::Expression<'static>, String> {
    let too_deep = || format!("`{field}`: nests deeper than {MAX_NESTING} levels");
    // Checked on the text first, since parsing is what recurses.
    if text_nesting(expression) > MAX_NESTING {
        return Err(too_deep());
    }
    let compiled = RUNTIME
        .compile(expression)
        .map_err(|err| format!("`{field}`: {}", err.reason))?;
    match ast_check(compiled.as_ast(), 0) {
        Ok(()) => Ok(compiled),
        Err(AstProblem::TooDeep) => Err(too_deep()),
        Err(AstProblem::SliceStep(step)) => Err(format!(
            "`{field}`: a slice step of {step} is beyond ±{MAX_SLICE_STEP}"
        )),
    }
}

/// The deepest bracket nesting, counting every `!` as a level too (each is a
/// recursion of the parser). Brackets inside quotes count as well, which
/// errs on the strict side.
fn text_nesting(expression: &str) -> usize {
    let (mut depth, mut deepest, mut negations) = (0usize, 0usize, 0usize);
    for c in expression.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '!' => negations += 1,
            _ => {}
        }
        deepest = deepest.max(depth);
    }
    deepest.max(negations)
}

enum AstProblem {
    TooDeep,
    SliceStep(i32),
}

/// Refuses what evaluation cannot survive: nesting past [`MAX_NESTING`]
/// (chains such as `a.a.a` nest without brackets) and huge slice steps.
fn ast_check(ast: &jmespath::ast::Ast, depth: usize) -> Result<(), AstProblem> {
    use jmespath::ast::Ast;
    if depth > MAX_NESTING {
        return Err(AstProblem::TooDeep);
    }
    let next = |child: &Ast| ast_check(child, depth + 1);
    match ast {
        Ast::Slice { step, .. } if step.unsigned_abs() > MAX_SLICE_STEP.unsigned_abs() => {
            Err(AstProblem::SliceStep(*step))
        }
        Ast::Comparison { lhs, rhs, .. }
        | Ast::And { lhs, rhs, .. }
        | Ast::Or { lhs, rhs, .. }
        | Ast::Projection { lhs, rhs, .. }
        | Ast::Subexpr { lhs, rhs, .. } => next(lhs).and_then(|()| next(rhs)),
        Ast::Condition {
            predicate, then, ..
        } => next(predicate).and_then(|()| next(then)),
        Ast::Expref { ast: node, .. }
        | Ast::Flatten { node, .. }
        | Ast::Not { node, .. }
        | Ast::ObjectValues { node, .. } => next(node),
        Ast::Function { args: nodes, .. }
        | Ast::MultiList {
            elements: nodes, ..
        } => nodes.iter().try_for_each(next),
        Ast::MultiHash { elements, .. } => elements.iter().try_for_each(|pair| next(&pair.value)),
        Ast::Identity { .. }
        | Ast::Field { .. }
        | Ast::Index { .. }
        | Ast::Literal { .. }
        | Ast::Slice { .. } => Ok(()),
    }
}

impl MappingRules {
    /// Every expression that does not compile, by field name.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        let mut check = |field: &'static str, path: Option<&str>| {
            if let Some(Err(err)) = path.map(|p| compile(field, p)) {
                problems.push((field, err));
            }
        };
        check("events", self.events.as_deref());
        check(
            "occurred_at",
            self.occurred_at.as_ref().map(|r| r.parts().0),
        );
        check("kind", self.kind.as_ref().map(|r| r.parts().0));
        check("severity", self.severity.as_ref().map(|r| r.parts().0));
        for (field, rule) in self.text_rules() {
            check(field, rule.map(|r| r.parts().0));
        }
        problems
    }

    fn text_rules(&self) -> [(&'static str, Option<&Rule<String>>); 6] {
        [
            ("title", self.title.as_ref()),
            ("service", self.service.as_ref()),
            ("link", self.link.as_ref()),
            ("actor", self.actor.as_ref()),
            ("correlation_key", self.correlation_key.as_ref()),
            ("dedupe_key", self.dedupe_key.as_ref()),
        ]
    }

    /// The items of `events`, or the body alone.
    fn items(&self, body: &Value) -> Result<Vec<Value>, ParseError> {
        let Some(path) = &self.events else {
            return Ok(vec![body.clone()]);
        };
        match search("events", path, body)? {
            Value::Array(items) => Ok(items),
            Value::Null => Ok(Vec::new()),
            other => Ok(vec![other]),
        }
    }

    /// Events made from the rules alone (a body no built-in parser reads).
    pub fn events(&self, body: &Value) -> Result<Vec<NormalizedEvent>, ParseError> {
        if self.title.is_none() {
            return Err(ParseError::WrongShape(
                "the mapping rules have no `title`, so they cannot make events on their own"
                    .to_owned(),
            ));
        }
        self.items(body)?
            .iter()
            .map(|item| {
                let mut event = NormalizedEvent {
                    occurred_at: None,
                    kind: EventKind::AlertTriggered,
                    title: String::new(),
                    service: None,
                    severity: None,
                    link: None,
                    actor: None,
                    correlation_key: None,
                    dedupe_key: content_key(item),
                    external_id: None,
                    raw_event_type: "mapped".to_owned(),
                };
                self.apply(&mut event, item, body)?;
                if event.title.is_empty() {
                    return Err(ParseError::WrongShape(
                        "the `title` rule gives nothing for this event".to_owned(),
                    ));
                }
                Ok(event)
            })
            .collect()
    }

    /// Overrides the fields a built-in parser read with what the rules say.
    /// With `events`, the n-th item overrides the n-th event when the counts
    /// agree; otherwise every rule reads the body.
    pub fn override_events(
        &self,
        events: &mut [NormalizedEvent],
        body: &Value,
    ) -> Result<(), ParseError> {
        let items = self.items(body)?;
        let aligned = self.events.is_some() && items.len() == events.len();
        for (n, event) in events.iter_mut().enumerate() {
            let item = if aligned { &items[n] } else { body };
            self.apply(event, item, body)?;
        }
        Ok(())
    }

    fn apply(
        &self,
        event: &mut NormalizedEvent,
        item: &Value,
        body: &Value,
    ) -> Result<(), ParseError> {
        let read = |field: &str, path: &str, from: From| {
            let doc = match from {
                From::Event => item,
                From::Body => body,
            };
            search(field, path, doc)
        };
        if let Some(rule) = &self.occurred_at {
            let (path, from, full) = rule.parts();
            let value = read("occurred_at", path, from)?;
            if !value.is_null() {
                let format = full.and_then(|f| f.format.as_deref());
                event.occurred_at = Some(time(&value, format).ok_or_else(|| {
                    ParseError::WrongShape(format!("`occurred_at` gave {value}, not a time"))
                })?);
            }
        }
        if let Some(rule) = &self.kind {
            let (path, from, full) = rule.parts();
            let value = text(&read("kind", path, from)?);
            event.kind =
                mapped("kind", value.as_deref(), full, |s| s.parse().ok())?.unwrap_or(event.kind);
            if let Some(value) = value {
                event.raw_event_type = value;
            }
        }
        if let Some(rule) = &self.severity {
            let (path, from, full) = rule.parts();
            let value = text(&read("severity", path, from)?);
            if let Some(severity) =
                mapped("severity", value.as_deref(), full, Severity::from_label)?
            {
                event.severity = Some(severity);
            }
        }
        for (field, rule) in self.text_rules() {
            let Some(rule) = rule else { continue };
            let (path, from, full) = rule.parts();
            let value =
                text(&read(field, path, from)?).or_else(|| full.and_then(|f| f.default.clone()));
            let Some(value) = value else { continue };
            match field {
                "title" => event.title = value,
                "service" => event.service = Some(value),
                "link" => event.link = Some(value),
                "actor" => event.actor = Some(value),
                "correlation_key" => event.correlation_key = Some(value),
                _ => event.dedupe_key = format!("rule:{value}"),
            }
        }
        Ok(())
    }
}

/// Evaluates an expression; a rule that fails to run names its field.
fn search(field: &str, path: &str, doc: &Value) -> Result<Value, ParseError> {
    let expression = compile(field, path).map_err(ParseError::WrongShape)?;
    let found = expression
        .search(doc)
        .map_err(|err| ParseError::WrongShape(format!("`{field}`: {}", err.reason)))?;
    serde_json::to_value(&*found).map_err(|err| ParseError::WrongShape(err.to_string()))
}

/// A scalar as text; nothing for null, blanks and structures.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value through a rule's `values` map, then as hindsight's own name, then
/// the rule's `default`. `None` when there is no value and no default.
fn mapped<V: Copy>(
    field: &str,
    value: Option<&str>,
    full: Option<&FullRule<V>>,
    own: impl Fn(&str) -> Option<V>,
) -> Result<Option<V>, ParseError> {
    let default = full.and_then(|f| f.default);
    let Some(value) = value else {
        return Ok(default);
    };
    let from_map = full.and_then(|f| f.values.get(value).copied());
    match from_map.or_else(|| own(value)).or(default) {
        Some(v) => Ok(Some(v)),
        None => Err(ParseError::WrongShape(format!(
            "`{field}` gave `{value}`, which its `values` map does not name and which has no `default`"
        ))),
    }
}

/// A time in the rule's format, or in any format [`json::time_at`] knows.
fn time(value: &Value, format: Option<&str>) -> Option<DateTime<Utc>> {
    match (format, value) {
        (None | Some("auto"), value) => json::time_at(&serde_json::json!({ "t": value }), "/t"),
        (Some(format), Value::String(text)) => DateTime::parse_from_str(text.trim(), format)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                NaiveDateTime::parse_from_str(text.trim(), format)
                    .ok()
                    .map(|t| t.and_utc())
            }),
        _ => None,
    }
}

/// The identity of an event the rules made without a `dedupe_key`: the same
/// JSON sent again gives the same key.
fn content_key(item: &Value) -> String {
    let mut hash = Sha256::new();
    hash.update(item.to_string().as_bytes());
    format!("rules:{}", hex::encode(hash.finalize()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::at;
    use super::*;

    fn rules(json: Value) -> MappingRules {
        serde_json::from_value(json).unwrap()
    }

    /// A Datadog webhook with a custom payload template, as its docs show
    /// building one from `$ALERT_TITLE`, `$ALERT_TRANSITION`, `$DATE` (epoch
    /// milliseconds) and friends.
    const DATADOG_CUSTOM: &str = r#"{
        "alert": "[Triggered] CPU high on web-1",
        "transition": "Triggered",
        "priority": "P2",
        "date": 1714557600000,
        "link": "https://app.datadoghq.com/monitors/123",
        "tags": {"service": "checkout", "env": "prod"},
        "cycle": "5a1c"
    }"#;

    #[test]
    fn a_datadog_custom_template_becomes_an_event() {
        let rules = rules(serde_json::json!({
            "occurred_at": "date",
            "kind": {"path": "transition", "values": {
                "Triggered": "alert.triggered", "Recovered": "alert.resolved"}},
            "title": "alert",
            "service": "tags.service",
            "severity": "priority",
            "link": "link",
            "correlation_key": "cycle"
        }));
        assert!(rules.problems().is_empty());
        let body: Value = serde_json::from_str(DATADOG_CUSTOM).unwrap();
        let events = rules.events(&body).unwrap();
        assert_eq!(events.len(), 1);
        let event = &events[0];
        assert_eq!(event.occurred_at, Some(at("2024-05-01T10:00:00Z")));
        assert_eq!(event.kind, EventKind::AlertTriggered);
        assert_eq!(event.title, "[Triggered] CPU high on web-1");
        assert_eq!(event.service.as_deref(), Some("checkout"));
        assert_eq!(event.severity, Some(Severity::High));
        assert_eq!(event.correlation_key.as_deref(), Some("5a1c"));
        assert_eq!(event.raw_event_type, "Triggered");
        // The same body again is the same event.
        assert_eq!(rules.events(&body).unwrap()[0].dedupe_key, event.dedupe_key);
    }

    #[test]
    fn a_top_level_array_gives_one_event_per_item_and_reaches_the_body() {
        let rules = rules(serde_json::json!({
            "events": "@",
            "occurred_at": {"path": "startsAt", "format": "%d/%m/%Y %H:%M:%S %z"},
            "kind": {"path": "state", "values": {"alerting": "alert.triggered", "ok": "alert.resolved"}},
            "title": "join(' on ', [rule, instance])",
            "dedupe_key": "join(':', [rule, instance, state])"
        }));
        let body = serde_json::json!([
            {"rule": "HighCPU", "instance": "web-1", "state": "alerting", "startsAt": "01/05/2024 12:00:00 +0200"},
            {"rule": "HighCPU", "instance": "web-2", "state": "ok", "startsAt": "01/05/2024 12:05:00 +0200"}
        ]);
        let events = rules.events(&body).unwrap();
        let got: Vec<_> = events
            .iter()
            .map(|e| {
                (
                    e.kind,
                    e.title.as_str(),
                    e.occurred_at,
                    e.dedupe_key.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    EventKind::AlertTriggered,
                    "HighCPU on web-1",
                    Some(at("2024-05-01T10:00:00Z")),
                    "rule:HighCPU:web-1:alerting"
                ),
                (
                    EventKind::AlertResolved,
                    "HighCPU on web-2",
                    Some(at("2024-05-01T10:05:00Z")),
                    "rule:HighCPU:web-2:ok"
                ),
            ]
        );
    }

    #[test]
    fn without_a_time_the_event_says_it_has_none() {
        let rules = rules(serde_json::json!({"title": "msg"}));
        let events = rules
            .events(&serde_json::json!({"msg": "Disk full"}))
            .unwrap();
        assert_eq!(events[0].occurred_at, None);
        assert_eq!(events[0].kind, EventKind::AlertTriggered);
    }

    #[test]
    fn rules_override_a_parsers_fields_and_read_the_body_with_from() {
        let rules = rules(serde_json::json!({
            "events": "alerts",
            "service": "labels.team",
            "correlation_key": {"path": "groupKey", "from": "body"},
            "severity": {"path": "labels.sev", "values": {"page": "critical"}}
        }));
        let body = serde_json::json!({
            "groupKey": "g1",
            "alerts": [{"labels": {"team": "payments", "sev": "page"}}]
        });
        let alone = rules.events(&serde_json::json!({"msg": "x"})).unwrap_err();
        assert!(alone.to_string().contains("no `title`"), "{alone}");
        let mut parsed = vec![NormalizedEvent {
            occurred_at: Some(at("2024-05-01T10:00:00Z")),
            kind: EventKind::AlertTriggered,
            title: "From the parser".to_owned(),
            service: Some("api".to_owned()),
            severity: Some(Severity::Low),
            link: None,
            actor: None,
            correlation_key: None,
            dedupe_key: "parser-key".to_owned(),
            external_id: None,
            raw_event_type: "alert".to_owned(),
        }];
        rules.override_events(&mut parsed, &body).unwrap();
        assert_eq!(parsed[0].service.as_deref(), Some("payments"));
        assert_eq!(parsed[0].correlation_key.as_deref(), Some("g1"));
        assert_eq!(parsed[0].severity, Some(Severity::Critical));
        assert_eq!(parsed[0].title, "From the parser");
        assert_eq!(parsed[0].dedupe_key, "parser-key");
    }

    #[test]
    fn a_value_no_map_names_is_an_error_that_names_the_field() {
        let rules = rules(serde_json::json!({
            "title": "msg",
            "kind": {"path": "state", "values": {"alerting": "alert.triggered"}}
        }));
        let err = rules
            .events(&serde_json::json!({"msg": "x", "state": "pending"}))
            .unwrap_err();
        assert!(err.to_string().contains("`kind` gave `pending`"), "{err}");
        // hindsight's own names need no map; a default catches the rest.
        let rules = self::rules(serde_json::json!({
            "title": "msg",
            "kind": {"path": "state", "default": "alert.annotated"}
        }));
        let kinds: Vec<_> = ["alert.resolved", "pending"]
            .into_iter()
            .map(|state| {
                rules
                    .events(&serde_json::json!({"msg": "x", "state": state}))
                    .unwrap()[0]
                    .kind
            })
            .collect();
        assert_eq!(kinds, [EventKind::AlertResolved, EventKind::AlertAnnotated]);
    }

    #[test]
    fn expressions_that_do_not_compile_are_named() {
        let rules = rules(serde_json::json!({"title": "join(", "service": "labels.service"}));
        let problems = rules.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "title");
    }

    #[test]
    fn a_slice_step_near_i32_max_is_refused_instead_of_panicking() {
        // jmespath's slice loop overflowed on this step and panicked.
        let rules = rules(serde_json::json!({"title": "to_string(a[1::2147483647])"}));
        let problems = rules.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].1.contains("slice step"), "{problems:?}");
        let body = serde_json::json!({"a": [1, 2, 3]});
        assert!(rules.events(&body).is_err());
        let fine = self::rules(serde_json::json!({"title": "to_string(a[::-2])"}));
        assert_eq!(fine.events(&body).unwrap()[0].title, "[3,1]");
    }

    #[test]
    fn deeply_nested_expressions_are_refused_instead_of_overflowing_the_stack() {
        // Each of these, a thousand deep, aborted the process.
        for expression in [
            format!("{}a{}", "(".repeat(1000), ")".repeat(1000)),
            format!("{}a{}", "[".repeat(1000), "]".repeat(1000)),
            format!("{}a", "!".repeat(1000)),
            vec!["a"; 1000].join("."),
            vec!["a"; 1000].join(" | "),
        ] {
            let rules = rules(serde_json::json!({"title": expression}));
            let problems = rules.problems();
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].1.contains("nests deeper"), "{problems:?}");
            assert!(rules.events(&serde_json::json!({"a": "x"})).is_err());
        }
        let nested = rules(serde_json::json!({"title": "a.a.a.a.a.a.a.a"}));
        let body = serde_json::json!({"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": "x"}}}}}}}});
        assert_eq!(nested.events(&body).unwrap()[0].title, "x");
    }

    #[test]
    fn unknown_rule_fields_and_values_are_refused() {
        let bad_kind = serde_json::json!({"kind": {"path": "s", "values": {"x": "alert.fired"}}});
        assert!(serde_json::from_value::<MappingRules>(bad_kind).is_err());
        let unknown = serde_json::json!({"titel": "msg"});
        assert!(serde_json::from_value::<MappingRules>(unknown).is_err());
    }
}

//! A small JSON-schema check of the requests we send to Jira, against Jira's own OpenAPI
//! description: resolves `$ref`/`allOf`, checks types, `required`, `enum`, string lengths,
//! integer formats and `additionalProperties` where the spec gives them.

use std::sync::OnceLock;

use serde_json::Value;

/// Where the spec lives, relative to the crate root.
pub(super) const JIRA_SPEC_PATH: &str = "../shared/specs/jira-cloud-platform-v3.json";

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(JIRA_SPEC_PATH);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
    })
}

fn operation(path: &str, method: &str) -> &'static Value {
    let op = &spec()["paths"][path][method];
    assert!(op.is_object(), "the Jira spec has no {method} {path}");
    op
}

/// Asserts `body` matches the JSON request body schema of the operation.
pub(super) fn assert_request_body(path: &str, method: &str, body: &Value) {
    let op = operation(path, method);
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} takes no JSON body in the spec"
    );
    let mut errors = Vec::new();
    check(schema, body, "$", &mut errors);
    assert!(
        errors.is_empty(),
        "{method} {path} body breaks the spec: {errors:#?}\nbody: {body:#}"
    );
}

/// Asserts every query parameter is declared by the operation and has the declared type,
/// and that every required one is present.
pub(super) fn assert_query(path: &str, method: &str, url: &reqwest::Url) {
    let op = operation(path, method);
    let declared: Vec<&Value> = op["parameters"]
        .as_array()
        .map(|p| p.iter().filter(|p| p["in"] == "query").collect())
        .unwrap_or_default();
    let mut errors = Vec::new();
    for (name, value) in url.query_pairs() {
        let Some(param) = declared.iter().find(|p| p["name"] == name.as_ref()) else {
            errors.push(format!("undeclared query parameter {name}"));
            continue;
        };
        let schema = &param["schema"];
        let item_schema = if schema["type"] == "array" {
            &schema["items"]
        } else {
            schema
        };
        let parsed = match item_schema["type"].as_str() {
            Some("integer") => value
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or(Value::String(value.to_string())),
            Some("boolean") => value
                .parse::<bool>()
                .map(Value::from)
                .unwrap_or(Value::String(value.to_string())),
            _ => Value::String(value.to_string()),
        };
        check(item_schema, &parsed, &format!("?{name}"), &mut errors);
    }
    for param in declared.iter().filter(|p| p["required"] == true) {
        let name = param["name"].as_str().unwrap_or_default();
        if !url.query_pairs().any(|(n, _)| n == name) {
            errors.push(format!("missing required query parameter {name}"));
        }
    }
    assert!(
        errors.is_empty(),
        "{method} {path} query breaks the spec: {errors:#?}\nurl: {url}"
    );
}

fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            let target = spec()
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
            resolve(target)
        }
        None => schema,
    }
}

fn check(schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(schema);
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            check(part, value, at, errors);
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {options:?}"));
    }
    if value.is_null()
        && schema.get("nullable") != Some(&Value::Bool(true))
        && schema.get("type").is_some()
    {
        errors.push(format!(
            "{at}: null where the spec wants {}",
            schema["type"]
        ));
        return;
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => check_object(schema, value, at, errors),
        Some("array") => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check(&schema["items"], item, &format!("{at}[{i}]"), errors);
                }
            }
            None => errors.push(format!("{at}: expected an array, got {value}")),
        },
        Some("string") => match value.as_str() {
            Some(s) => {
                if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                    && s.chars().count() as u64 > max
                {
                    errors.push(format!("{at}: longer than {max}"));
                }
            }
            None => errors.push(format!("{at}: expected a string, got {value}")),
        },
        Some("integer") => match value.as_i64() {
            Some(n) if schema["format"] == "int32" && i32::try_from(n).is_err() => {
                errors.push(format!("{at}: {n} is not an int32"));
            }
            Some(_) => {}
            None => errors.push(format!("{at}: expected an integer, got {value}")),
        },
        Some("number") if !value.is_number() => {
            errors.push(format!("{at}: expected a number, got {value}"))
        }
        Some("boolean") if !value.is_boolean() => {
            errors.push(format!("{at}: expected a boolean, got {value}"))
        }
        _ => {}
    }
}

fn check_object(schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(object) = value.as_object() else {
        errors.push(format!("{at}: expected an object, got {value}"));
        return;
    };
    for name in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = name.as_str().unwrap_or_default();
        if !object.contains_key(name) {
            errors.push(format!("{at}: missing required {name}"));
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (key, field) in object {
        let here = format!("{at}.{key}");
        if let Some(property) = properties.and_then(|p| p.get(key)) {
            if property.get("readOnly") == Some(&Value::Bool(true)) {
                errors.push(format!("{here}: read-only in the spec"));
            }
            check(property, field, &here, errors);
            continue;
        }
        match schema.get("additionalProperties") {
            Some(Value::Bool(false)) => errors.push(format!("{here}: not allowed by the spec")),
            Some(extra @ Value::Object(_)) => check(extra, field, &here, errors),
            _ => {}
        }
    }
}

#[test]
fn the_schema_check_rejects_what_the_spec_forbids() {
    let bad = serde_json::json!({
        "transition": { "id": 5, "name": "Done" },
        "update": { "labels": [{ "add": "x", "replace": "y" }] },
        "properties": [{ "key": "k", "value": 1, "extra": true }],
    });
    let mut errors = Vec::new();
    let schema = &operation("/rest/api/3/issue/{issueIdOrKey}/transitions", "post")["requestBody"]
        ["content"]["application/json"]["schema"];
    check(schema, &bad, "$", &mut errors);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("$.transition.id: expected a string")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("$.transition.name: read-only")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("replace: not allowed")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("extra: not allowed")),
        "{errors:?}"
    );
}

//! Checks request bodies sent to GitHub against GitHub's own OpenAPI description
//! (the issues create/update schemas in `tests/fixtures/github-issues-openapi.json`,
//! taken from `@octokit/openapi`). Handles what those schemas use: types,
//! `nullable`, `enum`, `oneOf`, `required`, `properties` and `items`.

use serde_json::Value;

fn schema(path: &str, method: &str) -> Value {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/github-issues-openapi.json"
    );
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"].clone()
}

/// Asserts `body` is a valid GitHub request body for the operation.
pub(super) fn assert_github_body(path: &str, method: &str, body: &Value) {
    let schema = schema(path, method);
    assert!(schema.is_object(), "no schema for {method} {path}");
    let mut errors = Vec::new();
    check(&schema, body, "$", &mut errors);
    assert!(
        errors.is_empty(),
        "{method} {path} body breaks GitHub's spec: {errors:#?}\n{body:#}"
    );
}

fn check(schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if value.is_null() {
        if schema["nullable"] != Value::Bool(true) && schema.get("type").is_some() {
            errors.push(format!("{at}: null is not allowed"));
        }
        return;
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let fits = options.iter().any(|o| {
            let mut e = Vec::new();
            check(o, value, at, &mut e);
            e.is_empty()
        });
        if !fits {
            errors.push(format!("{at}: {value} matches none of the oneOf options"));
        }
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {options:?}"));
    }
    let fits_type = match schema["type"].as_str() {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        _ => true,
    };
    if !fits_type {
        errors.push(format!("{at}: expected {}, got {value}", schema["type"]));
        return;
    }
    if let Some(items) = value.as_array() {
        for (i, item) in items.iter().enumerate() {
            check(&schema["items"], item, &format!("{at}[{i}]"), errors);
        }
    }
    if let (Some(object), Some(properties)) = (value.as_object(), schema["properties"].as_object())
    {
        for name in schema["required"].as_array().into_iter().flatten() {
            if !object.contains_key(name.as_str().unwrap()) {
                errors.push(format!("{at}: missing required {name}"));
            }
        }
        for (key, field) in object {
            match properties.get(key) {
                Some(property) => check(property, field, &format!("{at}.{key}"), errors),
                None => errors.push(format!("{at}.{key}: not in GitHub's schema")),
            }
        }
    }
}

#[test]
fn the_github_check_rejects_what_githubs_spec_forbids() {
    let path = "/repos/{owner}/{repo}/issues/{issue_number}";
    let mut errors = Vec::new();
    let bad = serde_json::json!({ "state": "finished", "state_reason": "done", "assignees": "ada", "colour": 1 });
    check(&schema(path, "patch"), &bad, "$", &mut errors);
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert_github_body(
        path,
        "patch",
        &serde_json::json!({ "state": "closed", "state_reason": "not_planned" }),
    );
}

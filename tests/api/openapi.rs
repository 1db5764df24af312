//! `openapi.yaml` describes exactly what the server serves.

use std::collections::BTreeSet;

use serde_json::Value;

fn spec() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn documented(spec: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn served() -> BTreeSet<(String, String)> {
    hindsight::rest::endpoints()
        .into_iter()
        .map(|e| (e.method.to_string(), e.path.to_owned()))
        .collect()
}

#[test]
fn every_served_route_is_documented_and_every_documented_route_is_served() {
    let spec = spec();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let documented = documented(&spec);
    let served = served();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but missing from openapi.yaml: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "in openapi.yaml but not served: {unserved:?}"
    );
}

#[test]
fn every_operation_documents_its_path_parameters_and_error_body() {
    let spec = spec();
    let problem = &spec["components"]["schemas"]["Problem"];
    for field in ["type", "title", "status", "detail", "code", "errors"] {
        assert!(
            problem["properties"].get(field).is_some(),
            "Problem lacks {field}"
        );
    }
    for (path, item) in spec["paths"].as_object().unwrap() {
        let in_path: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_owned)
            .collect();
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let shared = item["parameters"].as_array().cloned().unwrap_or_default();
            let names: BTreeSet<String> = params
                .iter()
                .chain(shared.iter())
                .map(|p| resolve(&spec, p))
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(names, in_path, "{method} {path}: path parameters");
            let responses = op["responses"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path} has no responses"));
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{method} {path}: no success response"
            );
            assert!(
                op["operationId"].is_string(),
                "{method} {path}: no operationId"
            );
        }
    }
}

fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node["$ref"].as_str() {
        Some(reference) => reference
            .trim_start_matches("#/")
            .split('/')
            .fold(spec, |v, key| &v[key]),
        None => node,
    }
}

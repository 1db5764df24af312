//! Property tests over what a GraphQL request costs before it runs: any text,
//! and any document built from the schema's own field names with aliases,
//! page sizes, fragments (cycles and bombs included) and inline fragments, is
//! measured by the guard, ordered, and validated and costed by the schema
//! without a panic, within a time budget.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::Config;

use super::{build_schema, guard, order::FieldOrder};
use crate::config::GraphqlSettings;

/// The most one document may take through the guard and the schema's
/// validation. Judged by the fastest of three runs: a busy machine slows one
/// run, a pathological document slows them all.
const BUDGET: Duration = Duration::from_millis(200);

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

const FIELDS: &[&str] = &[
    "postmortems",
    "actionItems",
    "events",
    "people",
    "edges",
    "node",
    "id",
    "title",
    "timeline",
    "postmortem",
    "owner",
    "causesByArea",
    "detection",
    "pageInfo",
    "totalCount",
    "__typename",
    "__schema",
    "__type",
    "types",
    "fields",
    "ofType",
    "name",
];

#[derive(Debug, Clone)]
enum Sel {
    Field {
        alias: Option<u8>,
        name: usize,
        first: Option<i32>,
        children: Vec<Sel>,
    },
    Spread(u8),
    Inline(Vec<Sel>),
}

fn selection() -> impl Strategy<Value = Sel> {
    let leaf = prop_oneof![
        (any::<Option<u8>>(), 0..FIELDS.len()).prop_map(|(alias, name)| Sel::Field {
            alias,
            name,
            first: None,
            children: vec![]
        }),
        (0u8..4).prop_map(Sel::Spread),
    ];
    leaf.prop_recursive(12, 400, 6, |inner| {
        prop_oneof![
            (
                any::<Option<u8>>(),
                0..FIELDS.len(),
                any::<Option<i32>>(),
                prop::collection::vec(inner.clone(), 1..6)
            )
                .prop_map(|(alias, name, first, children)| Sel::Field {
                    alias,
                    name,
                    first,
                    children
                }),
            prop::collection::vec(inner, 1..4).prop_map(Sel::Inline),
        ]
    })
}

fn render(set: &[Sel], out: &mut String) {
    out.push_str("{ ");
    for sel in set {
        match sel {
            Sel::Field {
                alias,
                name,
                first,
                children,
            } => {
                if let Some(alias) = alias {
                    out.push_str(&format!("a{alias}: "));
                }
                out.push_str(FIELDS[*name]);
                if let Some(first) = first {
                    out.push_str(&format!("(first: {first})"));
                }
                out.push(' ');
                if !children.is_empty() {
                    render(children, out);
                }
            }
            Sel::Spread(n) => out.push_str(&format!("...F{n} ")),
            Sel::Inline(children) => {
                out.push_str("... ");
                render(children, out);
            }
        }
    }
    out.push_str("} ");
}

fn document(operation: &[Sel], fragments: &[Vec<Sel>]) -> String {
    let mut text = String::new();
    render(operation, &mut text);
    for (n, fragment) in fragments.iter().enumerate() {
        text.push_str(&format!("fragment F{n} on Query "));
        render(fragment, &mut text);
    }
    text
}

/// Everything that looks at a document before a resolver runs.
fn cost(text: &str, settings: &GraphqlSettings, runtime: &tokio::runtime::Runtime) {
    let schema = build_schema(settings);
    let run = || {
        if let Ok(doc) = async_graphql::parser::parse_query(text) {
            let size = guard::measure(&doc, settings);
            let refused = guard::check(&doc, settings).is_err();
            assert_eq!(
                refused,
                size.fields > settings.max_fields
                    || size.aliases > settings.max_aliases
                    || size.introspections > guard::MAX_INTROSPECTIONS
                    || size.depth > settings.max_depth
                    || size.introspection_depth > guard::introspection_limit(settings),
                "{size:?}"
            );
            if !refused {
                // Expanded only once within the caps, as the transports do.
                let _ = FieldOrder::of(&doc, None);
                // Validation and the complexity of every list, with any page
                // size; a document that passes fails at its first resolver,
                // which finds no caller: nothing here reaches a database.
                let _ = runtime.block_on(schema.execute(text));
            }
        }
    };
    let start = Instant::now();
    run();
    let mut fastest = start.elapsed();
    for _ in 0..2 {
        if fastest <= BUDGET {
            break;
        }
        let start = Instant::now();
        run();
        fastest = fastest.min(start.elapsed());
    }
    assert!(fastest <= BUDGET, "{fastest:?} for {text}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_document_of_the_schemas_fields_is_costed_in_time(
        operation in prop::collection::vec(selection(), 1..8),
        fragments in prop::collection::vec(prop::collection::vec(selection(), 1..4), 4),
    ) {
        cost(&document(&operation, &fragments), &GraphqlSettings::default(), &runtime());
    }

    #[test]
    fn any_text_is_costed_in_time(text in prop_oneof![
        any::<String>(),
        "[{}a-z_:().\\n ]{0,2000}",
        prop::collection::vec(prop_oneof![Just("{"), Just("}"), Just("...F0 "), Just("a: id "), Just("fragment F0 on Query ")], 0..400).prop_map(|p| p.concat()),
    ]) {
        cost(&text, &GraphqlSettings::default(), &runtime());
    }
}

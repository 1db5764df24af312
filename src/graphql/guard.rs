//! What one GraphQL request may cost, checked before anything runs: how many
//! fields it selects (with fragments expanded, so one fragment spread a
//! thousand times counts a thousand times) and how many of them are aliases;
//! then how many requests run at once, overall and per caller, and how long
//! one may take. Depth and complexity are the schema's own limits
//! ([`super::build_schema`]); complexity counts each list field's database
//! round trip as well as its page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::parser::types::{
    ExecutableDocument, Field, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, ServerError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{config::GraphqlSettings, error::ApiError};

/// How a parsed document measures against the caps.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Size {
    pub fields: usize,
    pub aliases: usize,
    /// Deepest nesting of ordinary fields.
    pub depth: usize,
    /// Deepest nesting under `__schema` or `__type`.
    pub introspection_depth: usize,
    /// `__schema` and `__type` root fields: each answers with schema-sized data.
    pub introspections: usize,
}

/// How deep the introspection query clients send nests: graphql-js 16's and
/// graphql-core 3.2's `__schema { types { fields { args { type` and nine
/// `ofType` with their leaves (tests/fixtures/graphql). Introspection may nest
/// this deep whatever `max_depth` is, and no deeper.
pub const INTROSPECTION_DEPTH: usize = 15;

/// `__schema` / `__type` root fields one request may hold.
pub const MAX_INTROSPECTIONS: usize = 4;

/// Counts the fields and aliases every operation of `doc` selects, fragments
/// expanded, and how deep they nest. Stops as soon as a cap is passed (a
/// fragment that spreads another twice, ten deep, would otherwise take a
/// million steps to count).
pub fn measure(doc: &ExecutableDocument, settings: &GraphqlSettings) -> Size {
    let mut size = Size::default();
    let mut walk = Walk {
        fragments: &doc.fragments,
        settings,
        size: &mut size,
    };
    for (_, operation) in doc.operations.iter() {
        if !walk.root(&operation.node.selection_set) {
            break;
        }
    }
    size
}

/// The caps `doc` passes, as the error a refused request gets.
pub fn check(doc: &ExecutableDocument, settings: &GraphqlSettings) -> Result<(), ServerError> {
    let size = measure(doc, settings);
    if size.fields > settings.max_fields
        || size.aliases > settings.max_aliases
        || size.introspections > MAX_INTROSPECTIONS
    {
        return Err(too_large(&size, settings));
    }
    if size.depth > settings.max_depth || size.introspection_depth > introspection_limit(settings) {
        return Err(coded(
            format!(
                "the query is nested too deep: more than {} levels \
                 (HINDSIGHT_GRAPHQL_MAX_DEPTH; introspection may nest {})",
                settings.max_depth,
                introspection_limit(settings)
            ),
            "query_too_deep",
        ));
    }
    Ok(())
}

/// How deep `__schema` and `__type` may nest.
pub fn introspection_limit(settings: &GraphqlSettings) -> usize {
    settings.max_depth.max(INTROSPECTION_DEPTH)
}

struct Walk<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    settings: &'a GraphqlSettings,
    size: &'a mut Size,
}

/// Fragments nest at most this deep (a cycle is a validation error, caught
/// later; here it must only not recurse for ever).
const MAX_FRAGMENT_NESTING: usize = 32;

/// Where a walk is: how many fragments and fields deep, and under which root.
#[derive(Clone, Copy)]
struct At {
    nesting: usize,
    depth: usize,
    introspection: bool,
}

impl Walk<'_> {
    fn root(&mut self, set: &Positioned<SelectionSet>) -> bool {
        let at = At {
            nesting: 0,
            depth: 0,
            introspection: false,
        };
        self.selections(set, at)
    }

    /// False once a cap is passed: stop counting.
    fn selections(&mut self, set: &Positioned<SelectionSet>, at: At) -> bool {
        for selection in &set.node.items {
            let more = match &selection.node {
                Selection::Field(field) => self.field(&field.node, at),
                Selection::InlineFragment(fragment) => {
                    self.selections(&fragment.node.selection_set, at)
                }
                Selection::FragmentSpread(spread) => {
                    if at.nesting >= MAX_FRAGMENT_NESTING {
                        self.size.fields = self.settings.max_fields + 1;
                        return false;
                    }
                    match self.fragments.get(&spread.node.fragment_name.node) {
                        Some(fragment) => self.selections(
                            &fragment.node.selection_set,
                            At {
                                nesting: at.nesting + 1,
                                ..at
                            },
                        ),
                        None => true,
                    }
                }
            };
            if !more {
                return false;
            }
        }
        true
    }

    fn field(&mut self, field: &Field, at: At) -> bool {
        self.size.fields += 1;
        if field.alias.is_some() {
            self.size.aliases += 1;
        }
        let name = field.name.node.as_str();
        let introspection =
            at.introspection || (at.depth == 0 && matches!(name, "__schema" | "__type"));
        if introspection && at.depth == 0 {
            self.size.introspections += 1;
        }
        let depth = at.depth + 1;
        if introspection {
            self.size.introspection_depth = self.size.introspection_depth.max(depth);
        } else {
            self.size.depth = self.size.depth.max(depth);
        }
        self.within()
            && self.selections(
                &field.selection_set,
                At {
                    depth,
                    introspection,
                    ..at
                },
            )
    }

    fn within(&self) -> bool {
        let s = &self.settings;
        self.size.fields <= s.max_fields
            && self.size.aliases <= s.max_aliases
            && self.size.introspections <= MAX_INTROSPECTIONS
            && self.size.depth <= s.max_depth
            && self.size.introspection_depth <= introspection_limit(s)
    }
}

/// The error a request over a cap gets, with a stable code.
pub fn too_large(size: &Size, settings: &GraphqlSettings) -> ServerError {
    let message = if size.introspections > MAX_INTROSPECTIONS {
        format!("the request asks for `__schema` or `__type` more than {MAX_INTROSPECTIONS} times")
    } else if size.aliases > settings.max_aliases {
        format!(
            "the request uses more than {} aliases (HINDSIGHT_GRAPHQL_MAX_ALIASES)",
            settings.max_aliases
        )
    } else {
        format!(
            "the request selects more than {} fields, fragments expanded \
             (HINDSIGHT_GRAPHQL_MAX_FIELDS)",
            settings.max_fields
        )
    };
    coded(message, "query_too_large")
}

/// A GraphQL error with `extensions.code`.
pub fn coded(message: String, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

/// Requests running at once: overall, and per caller (token subject).
pub struct Admission {
    overall: Arc<Semaphore>,
    per_caller: usize,
    running: Mutex<HashMap<String, usize>>,
}

/// A running request's place; given back when dropped.
pub struct Admitted<'a> {
    _overall: OwnedSemaphorePermit,
    admission: &'a Admission,
    caller: String,
}

impl Admission {
    pub fn new(settings: &GraphqlSettings) -> Self {
        Self {
            overall: Arc::new(Semaphore::new(settings.max_concurrent)),
            per_caller: settings.max_concurrent_per_caller,
            running: Mutex::default(),
        }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for `caller`, or 429 when they (or everyone) already run as
    /// many as allowed. Nothing waits: a client told to retry shortly backs
    /// off, where a queue would only hold its sockets.
    pub fn admit(&self, caller: &str) -> Result<Admitted<'_>, ApiError> {
        let busy = || ApiError::TooManyRequests("too many GraphQL requests at once; retry shortly");
        let overall = self
            .overall
            .clone()
            .try_acquire_owned()
            .map_err(|_| busy())?;
        let mut running = self.running();
        let mine = running.entry(caller.to_owned()).or_default();
        if *mine >= self.per_caller {
            return Err(busy());
        }
        *mine += 1;
        Ok(Admitted {
            _overall: overall,
            admission: self,
            caller: caller.to_owned(),
        })
    }
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        let mut running = self.admission.running();
        if let Some(n) = running.get_mut(&self.caller) {
            *n -= 1;
            if *n == 0 {
                running.remove(&self.caller);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(query: &str) -> Size {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        measure(&doc, &GraphqlSettings::default())
    }

    #[test]
    fn every_field_and_alias_counts_fragments_expanded() {
        let two =
            size("{ a: postmortems { edges { node { id } } } b: postmortems { totalCount } }");
        assert_eq!((two.fields, two.aliases, two.depth), (6, 2, 4));
        let spread = "query { x: events { ...F } y: events { ...F } } fragment F on EventConnection { edges { node { id title } } }";
        let spread = size(spread);
        assert_eq!((spread.fields, spread.aliases), (2 + 2 * 4, 2));
        assert_eq!(size("{ ... on Query { a: __typename } }").aliases, 1);
    }

    #[test]
    fn a_fragment_bomb_is_stopped_early() {
        // Each fragment spreads the next twice: 2^20 fields if expanded.
        let mut query = String::from("{ ...F0 }");
        for n in 0..20 {
            query.push_str(&format!(
                " fragment F{n} on Query {{ ...F{} ...F{} }}",
                n + 1,
                n + 1
            ));
        }
        query.push_str(" fragment F20 on Query { __typename }");
        let doc = async_graphql::parser::parse_query(&query).unwrap();
        let started = std::time::Instant::now();
        let size = measure(&doc, &GraphqlSettings::default());
        assert!(size.fields > 1_000);
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
    }

    #[test]
    fn a_caller_gets_their_share_and_everyone_the_rest() {
        let settings = GraphqlSettings {
            max_concurrent: 3,
            max_concurrent_per_caller: 2,
            ..GraphqlSettings::default()
        };
        let admission = Admission::new(&settings);
        let a1 = admission.admit("a").unwrap();
        let _a2 = admission.admit("a").unwrap();
        assert_eq!(
            admission.admit("a").err().unwrap().code(),
            "too_many_requests"
        );
        let _b1 = admission.admit("b").unwrap();
        assert!(admission.admit("c").is_err(), "three run at once overall");
        drop(a1);
        assert!(
            admission.admit("c").is_ok(),
            "a place given back is free again"
        );
    }
}

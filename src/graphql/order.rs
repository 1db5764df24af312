//! Response fields in the order the query asked for them, as the GraphQL spec
//! requires: async-graphql 7.2 resolves an object's fields concurrently and
//! writes each as it finishes. The order is worked out once per request from
//! the parsed query (fragments expanded) and applied to the answer; an object
//! already in order is left as it is.

use async_graphql::{
    Name, Positioned, Value,
    indexmap::IndexMap,
    parser::types::{ExecutableDocument, FragmentDefinition, Selection, SelectionSet},
};
use std::collections::HashMap;

/// The response keys an object's selection asks for, in order, each with the
/// order of its own selection.
#[derive(Debug, Default)]
pub struct FieldOrder {
    keys: IndexMap<Name, FieldOrder>,
}

/// Fragments nest at most this deep here. Build an order only for a document
/// the guard has let through: expanding a fragment bomb is what it refuses.
const MAX_FRAGMENT_NESTING: usize = 32;

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

impl FieldOrder {
    /// The order of the operation a request runs: the one named, or the only one.
    pub fn of(doc: &ExecutableDocument, operation_name: Option<&str>) -> Self {
        let mut order = Self::default();
        let operation = doc
            .operations
            .iter()
            .find(|(name, _)| operation_name.is_none() || name.map(Name::as_str) == operation_name);
        if let Some((_, operation)) = operation {
            order.collect(&operation.node.selection_set, &doc.fragments, 0);
        }
        order
    }

    fn collect(&mut self, set: &Positioned<SelectionSet>, fragments: &Fragments, nesting: usize) {
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.clone();
                    self.keys.entry(key).or_default().collect(
                        &field.node.selection_set,
                        fragments,
                        nesting,
                    );
                }
                Selection::InlineFragment(fragment) => {
                    self.collect(&fragment.node.selection_set, fragments, nesting);
                }
                Selection::FragmentSpread(spread) if nesting < MAX_FRAGMENT_NESTING => {
                    if let Some(fragment) = fragments.get(&spread.node.fragment_name.node) {
                        self.collect(&fragment.node.selection_set, fragments, nesting + 1);
                    }
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }

    /// Puts every object of `value` in query order.
    pub fn apply(&self, value: &mut Value) {
        if self.keys.is_empty() {
            return;
        }
        match value {
            Value::List(items) => items.iter_mut().for_each(|item| self.apply(item)),
            Value::Object(map) => {
                if !self.in_order(map) {
                    map.sort_by_cached_key(|key, _| {
                        self.keys.get_index_of(key).unwrap_or(usize::MAX)
                    });
                }
                for (key, child) in map.iter_mut() {
                    if let Some(order) = self.keys.get(key) {
                        order.apply(child);
                    }
                }
            }
            _ => {}
        }
    }

    fn in_order(&self, map: &IndexMap<Name, Value>) -> bool {
        let mut last = None;
        for key in map.keys() {
            match self.keys.get_index_of(key) {
                Some(at) if last.is_none_or(|last| at > last) => last = Some(at),
                _ => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordered(query: &str, answer: serde_json::Value) -> String {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        let mut value = Value::from_json(answer).unwrap();
        FieldOrder::of(&doc, None).apply(&mut value);
        serde_json::to_string(&value).unwrap()
    }

    #[test]
    fn objects_and_lists_follow_the_query_with_fragments_and_aliases() {
        let query = "{ b a: x { ...F } c } fragment F on T { z ... on T { y } w }";
        let answer = serde_json::json!({"c": 1, "a": [{"w": 1, "y": 2, "z": 3}, {"y": 2, "w": 1, "z": 3}], "b": 2});
        assert_eq!(
            ordered(query, answer),
            r#"{"b":2,"a":[{"z":3,"y":2,"w":1},{"z":3,"y":2,"w":1}],"c":1}"#
        );
    }

    #[test]
    fn the_named_operation_gives_the_order() {
        let doc = async_graphql::parser::parse_query("query A { a b } query B { b a }").unwrap();
        let mut value = Value::from_json(serde_json::json!({"a": 1, "b": 2})).unwrap();
        FieldOrder::of(&doc, Some("B")).apply(&mut value);
        assert_eq!(serde_json::to_string(&value).unwrap(), r#"{"b":2,"a":1}"#);
    }
}

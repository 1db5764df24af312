//! Lists of plain objects, answered in place. async-graphql resolves every
//! field of every object as a boxed future of its own; a dashboard page of 50
//! post-mortems holds some 12,000 fields, and that bookkeeping cost more than
//! reading the data. Objects whose fields are data already at hand ([`Plain`])
//! become values directly. Anything else in the selection (a field that must
//! load, a merged field) sends the whole list back through the ordinary
//! resolvers, so the answer is the same either way. Extensions' per-field
//! hooks do not see plain fields; the schema registers none.

use std::borrow::Cow;

use async_graphql::{
    ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value,
    indexmap::IndexMap,
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
    resolver_utils::resolve_list,
};

/// An object whose fields can be answered without waiting on anything.
pub trait Plain: OutputType {
    /// The value of `field`, or `None` when it is not a plain field (or the
    /// data it needs is not loaded yet): the caller then falls back.
    fn field(&self, field: &Positioned<Field>, ctx: &ContextSelectionSet<'_>) -> Option<Value>;
}

/// `[T!]!` in the schema, resolved in place when the selection allows.
pub struct PlainList<T>(pub Vec<T>);

impl<T> Default for PlainList<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T: Plain> OutputType for PlainList<T> {
    fn type_name() -> Cow<'static, str> {
        <Vec<T> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<T> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<T> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if let Some(values) = plain_list(&self.0, ctx) {
            return Ok(values);
        }
        resolve_list(ctx, field, &self.0, Some(self.0.len())).await
    }
}

fn plain_list<T: Plain>(items: &[T], ctx: &ContextSelectionSet<'_>) -> Option<Value> {
    let fields = selected::<T>(ctx, &ctx.item.node)?;
    items
        .iter()
        .map(|item| object(item, &fields, ctx))
        .collect::<Option<Vec<_>>>()
        .map(Value::List)
}

/// A nested plain object (`owner { displayName }`): null, or its selected fields.
pub fn nested<T: Plain>(
    value: Option<&T>,
    field: &Positioned<Field>,
    ctx: &ContextSelectionSet<'_>,
) -> Option<Value> {
    let Some(value) = value else {
        return Some(Value::Null);
    };
    let fields = selected::<T>(ctx, &field.node.selection_set.node)?;
    object(value, &fields, ctx)
}

fn object<T: Plain>(
    item: &T,
    fields: &[&Positioned<Field>],
    ctx: &ContextSelectionSet<'_>,
) -> Option<Value> {
    let mut map = IndexMap::with_capacity(fields.len());
    for field in fields {
        let value = if field.node.name.node == "__typename" {
            Value::String(item.introspection_type_name().into_owned())
        } else {
            item.field(field, ctx)?
        };
        map.insert(field.node.response_key().node.clone(), value);
    }
    Some(Value::Object(map))
}

/// The fields a selection set asks of a `T`, through fragments, in order.
/// `None` when one response key is asked twice (async-graphql merges those).
fn selected<'a, T: OutputType>(
    ctx: &ContextSelectionSet<'a>,
    set: &'a SelectionSet,
) -> Option<Vec<&'a Positioned<Field>>> {
    fn walk<'a>(
        ctx: &ContextSelectionSet<'a>,
        set: &'a SelectionSet,
        type_name: &str,
        out: &mut Vec<&'a Positioned<Field>>,
        keys: &mut Vec<&'a Name>,
    ) -> Option<()> {
        for selection in &set.items {
            let (condition, inner) = match &selection.node {
                Selection::Field(field) => {
                    let key = &field.node.response_key().node;
                    // @skip and @include are gone by now; any other directive
                    // is for the ordinary resolvers to apply.
                    if keys.contains(&key) || !field.node.directives.is_empty() {
                        return None;
                    }
                    keys.push(key);
                    out.push(field);
                    continue;
                }
                Selection::FragmentSpread(spread) => {
                    let fragment = ctx
                        .query_env
                        .fragments
                        .get(&spread.node.fragment_name.node)?;
                    (
                        Some(&fragment.node.type_condition.node.on.node),
                        &fragment.node.selection_set.node,
                    )
                }
                Selection::InlineFragment(fragment) => (
                    fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| &c.node.on.node),
                    &fragment.node.selection_set.node,
                ),
            };
            // Plain objects implement no interface: a fragment applies to them
            // when it names their own type, or none.
            if condition.is_none_or(|on| on.as_str() == type_name) {
                walk(ctx, inner, type_name, out, keys)?;
            }
        }
        Some(())
    }
    let mut out = Vec::with_capacity(set.items.len());
    let mut keys = Vec::with_capacity(set.items.len());
    walk(ctx, set, &T::type_name(), &mut out, &mut keys)?;
    Some(out)
}

/// A value as async-graphql would write it.
pub fn leaf<T: async_graphql::ScalarType>(value: &T) -> Value {
    value.to_value()
}

pub fn optional_leaf<T: async_graphql::ScalarType>(value: Option<&T>) -> Value {
    value.map_or(Value::Null, leaf)
}

pub fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

pub fn optional_text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, text)
}

pub fn enumeration<T: async_graphql::EnumType>(value: T) -> Value {
    async_graphql::resolver_utils::enum_value(value)
}

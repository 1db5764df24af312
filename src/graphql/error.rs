//! `ApiError` as a GraphQL error: the same `code` in `extensions.code`, and for
//! validation the same `errors: [{field, message}]`, with field names as the
//! GraphQL arguments spell them (`due_date` -> `dueDate`).

use async_graphql::{ErrorExtensions, Value};

use crate::error::{ApiError, ApiResult};

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        if let Self::Internal(cause) = self {
            // The answer stays opaque; the log keeps the whole chain.
            tracing::error!(error = ?cause, "GraphQL request failed");
        }
        let problem = self.problem();
        async_graphql::Error::new(problem.detail).extend_with(|_, ext| {
            ext.set("code", problem.code);
            if let Some(errors) = problem.errors {
                let errors: Vec<Value> = errors
                    .into_iter()
                    .map(|e| {
                        let mut object = async_graphql::indexmap::IndexMap::new();
                        object.insert(
                            async_graphql::Name::new("field"),
                            Value::from(camel_case(&e.field)),
                        );
                        object.insert(async_graphql::Name::new("message"), Value::from(e.message));
                        Value::Object(object)
                    })
                    .collect();
                ext.set("errors", errors);
            }
        })
    }
}

/// `due_date` -> `dueDate`, `services.2` -> `services.2`.
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `?` on a service result inside a resolver: keeps the error's code.
pub trait GraphqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GraphqlResult<T> for ApiResult<T> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.extend())
    }
}

#[cfg(test)]
mod tests {
    use super::camel_case;

    #[test]
    fn field_names_follow_graphql_spelling() {
        assert_eq!(camel_case("due_date"), "dueDate");
        assert_eq!(camel_case("services.2"), "services.2");
        assert_eq!(camel_case("impact_started_at"), "impactStartedAt");
    }
}

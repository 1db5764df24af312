//! The `DateTime` scalar, written as REST writes instants: RFC 3339 in UTC with `Z`.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, SecondsFormat, Utc};

/// An instant. async-graphql's own scalar writes `+00:00`; REST (serde)
/// writes `Z`, and a client comparing the two must not see two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

/// An instant in RFC 3339, written in UTC with `Z` and the fraction digits it
/// has (`2026-10-20T10:00:00Z`, `2026-10-20T10:00:00.250Z`); input may carry
/// any offset.
#[Scalar(name = "DateTime")]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Ok(Self(
                DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc),
            )),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Self(at)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(at: Timestamp) -> Self {
        at.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_with_z_as_serde_writes_them() {
        for text in [
            "2026-10-20T10:00:00Z",
            "2026-10-20T10:00:00.250Z",
            "2026-10-20T10:00:00.000001Z",
        ] {
            let at: DateTime<Utc> = text.parse().unwrap();
            assert_eq!(Timestamp(at).to_value(), Value::String(text.into()));
            assert_eq!(serde_json::to_value(at).unwrap(), serde_json::json!(text));
        }
    }

    #[test]
    fn any_offset_is_read_as_the_same_instant() {
        let read = Timestamp::parse(Value::String("2026-10-20T12:00:00+02:00".into())).unwrap();
        assert_eq!(
            read.to_value(),
            Value::String("2026-10-20T10:00:00Z".into())
        );
        assert!(Timestamp::parse(Value::String("yesterday".into())).is_err());
        assert!(Timestamp::parse(Value::Number(1.into())).is_err());
    }
}

//! Reading fields out of webhook bodies, with errors that name the field.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use thiserror::Error;

use super::FieldMapping;

/// Why a body could not be read. The messages are safe to send back.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    /// The body is JSON but lacks what this source always sends; the message
    /// names the missing or malformed field (as a JSON pointer) or header.
    #[error("the body does not have the expected shape: {0}")]
    WrongShape(String),
}

/// Parses a body that must be a JSON object.
pub(super) fn parse_object(body: &[u8]) -> Result<Value, ParseError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|err| ParseError::NotJson(err.to_string()))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(ParseError::WrongShape("expected a JSON object".to_owned()))
    }
}

pub(super) fn missing(pointer: &str) -> ParseError {
    ParseError::WrongShape(format!("missing or invalid `{pointer}`"))
}

pub(super) fn missing_header(name: &str) -> ParseError {
    ParseError::WrongShape(format!("missing header `{name}`"))
}

/// A non-blank string at `pointer`.
pub(super) fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

pub(super) fn req_str<'a>(value: &'a Value, pointer: &str) -> Result<&'a str, ParseError> {
    str_at(value, pointer).ok_or_else(|| missing(pointer))
}

/// An id that sources send as either a string or a number.
pub(super) fn id_at(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

pub(super) fn req_id(value: &Value, pointer: &str) -> Result<String, ParseError> {
    id_at(value, pointer).ok_or_else(|| missing(pointer))
}

/// A timestamp at `pointer`: a date-time string in any format [`parse_time`]
/// knows, or a unix epoch number (or numeric string) in s, ms, µs or ns.
pub(super) fn time_at(value: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    match value.pointer(pointer)? {
        Value::Number(n) => n.as_i64().and_then(epoch_time),
        Value::String(s) => parse_time(s).or_else(|| s.trim().parse().ok().and_then(epoch_time)),
        _ => None,
    }
}

pub(super) fn req_time(value: &Value, pointer: &str) -> Result<DateTime<Utc>, ParseError> {
    time_at(value, pointer).ok_or_else(|| missing(pointer))
}

/// RFC 3339, plus the variants sources send: `+0000` offsets (Jira,
/// PagerDuty Events) and GitLab's `2021-04-28 21:50:00 +0200` or `... UTC`.
pub(super) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f %z"] {
        if let Ok(time) = DateTime::parse_from_str(text, format) {
            return Some(time.with_timezone(&Utc));
        }
    }
    let naive = text.strip_suffix(" UTC")?;
    NaiveDateTime::parse_from_str(naive, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|time| time.and_utc())
}

/// A unix time whose unit is told by its size: Opsgenie sends both
/// milliseconds (`createdAt`) and nanoseconds (`updatedAt`) in one alert.
pub(super) fn epoch_time(n: i64) -> Option<DateTime<Utc>> {
    match n.unsigned_abs() {
        0..100_000_000_000 => DateTime::from_timestamp(n, 0),
        100_000_000_000..100_000_000_000_000 => DateTime::from_timestamp_millis(n),
        100_000_000_000_000..100_000_000_000_000_000 => DateTime::from_timestamp_micros(n),
        _ => Some(DateTime::from_timestamp_nanos(n)),
    }
}

/// The service named at the mapping's JSON pointer, or at `default_pointer`.
pub(super) fn service_at(
    value: &Value,
    mapping: &FieldMapping,
    default_pointer: &str,
) -> Option<String> {
    let service = match mapping.service_field.as_deref() {
        Some(field) if field.starts_with('/') => str_at(value, field),
        Some(field) => str_at(value, &format!("/{field}")),
        None => str_at(value, default_pointer),
    };
    service.map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn source_time_formats_all_parse_to_utc() {
        let expected = "2021-04-28T19:50:00Z";
        for text in [
            "2021-04-28T19:50:00Z",
            "2021-04-28T21:50:00+02:00",
            "2021-04-28T21:50:00.000+0200",
            "2021-04-28 21:50:00 +0200",
            "2021-04-28 19:50:00 UTC",
        ] {
            let time = parse_time(text).unwrap();
            assert_eq!(
                time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                expected,
                "{text}"
            );
        }
        assert_eq!(parse_time("28/04/2021"), None);
    }

    #[test]
    fn epoch_numbers_are_read_in_the_unit_their_size_implies() {
        let seconds = epoch_time(1_420_452_191).unwrap();
        assert_eq!(epoch_time(1_420_452_191_000).unwrap(), seconds);
        assert_eq!(epoch_time(1_420_452_191_000_000).unwrap(), seconds);
        assert_eq!(epoch_time(1_420_452_191_000_000_000).unwrap(), seconds);
    }

    #[test]
    fn non_object_bodies_are_the_wrong_shape() {
        assert!(matches!(
            parse_object(b"[1, 2]"),
            Err(ParseError::WrongShape(_))
        ));
        assert!(matches!(
            parse_object(b"{\"a\": "),
            Err(ParseError::NotJson(_))
        ));
    }

    #[test]
    fn blank_strings_count_as_missing() {
        let value = json!({"a": "  ", "b": 7});
        assert_eq!(str_at(&value, "/a"), None);
        assert_eq!(id_at(&value, "/b").as_deref(), Some("7"));
        let err = req_str(&value, "/a").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the body does not have the expected shape: missing or invalid `/a`"
        );
    }
}

//! Reading fields out of webhook bodies, with errors that name the field.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
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
/// knows, or a unix epoch (number or numeric string, whole or fractional) in
/// s, ms, µs or ns. Go's zero time (`0001-01-01T00:00:00Z`, "unset") and
/// anything at or before the epoch read as no time at all.
pub(super) fn time_at(value: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    let time = match value.pointer(pointer)? {
        Value::Number(n) => match n.as_i64() {
            Some(whole) => epoch_time(whole),
            None => n.as_f64().and_then(epoch_float),
        },
        Value::String(s) => parse_time(s).or_else(|| epoch_text(s)),
        _ => None,
    }?;
    (time.timestamp() > 0).then_some(time)
}

pub(super) fn req_time(value: &Value, pointer: &str) -> Result<DateTime<Utc>, ParseError> {
    time_at(value, pointer).ok_or_else(|| missing(pointer))
}

/// RFC 3339 with any offset and precision, plus the variants sources send:
/// offsets without a colon (`+0000`: Jira, PagerDuty Events), a space
/// instead of the `T`, GitLab's `2021-04-28 21:50:00 +0200`, and `... UTC`.
pub(super) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(time) = DateTime::parse_from_str(text, format) {
            return Some(time.with_timezone(&Utc));
        }
    }
    let naive = text
        .strip_suffix(" UTC")
        .or_else(|| text.strip_suffix(" GMT"))?;
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(naive, format).ok())
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

/// A fractional unix time (Sentry's `1566248777.677`), its unit told by its
/// size as in [`epoch_time`]. A double holds about 16 digits, so the result
/// is rounded to the microsecond, which is what storage keeps anyway.
pub(super) fn epoch_float(n: f64) -> Option<DateTime<Utc>> {
    if !n.is_finite() {
        return None;
    }
    let micros_per_unit = match n.abs() {
        ..1e11 => 1e6,
        ..1e14 => 1e3,
        ..1e17 => 1.0,
        _ => 1e-3,
    };
    let micros = (n * micros_per_unit).round();
    // Only whole microseconds in i64's range reach the cast.
    let in_range = micros.abs() < 9.0e18;
    in_range
        .then(|| DateTime::from_timestamp_micros(micros as i64))
        .flatten()
}

/// An epoch sent as a string: `"1619640600"`, `"1619640600123"`, `"1619640600.123"`.
fn epoch_text(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let numeric = !text.is_empty()
        && text
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.');
    if !numeric {
        return None;
    }
    match text.parse::<i64>() {
        Ok(whole) => epoch_time(whole),
        Err(_) => text.parse::<f64>().ok().and_then(epoch_float),
    }
}

/// A short stable digest of a body, for events whose body carries neither an
/// id nor a time: a retried delivery gives the same key, another body another.
pub(super) fn body_digest(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    hex::encode(&digest[..16])
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

    fn utc(time: DateTime<Utc>) -> String {
        time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    #[test]
    fn rfc3339_with_any_offset_and_precision_parses_to_utc() {
        for (text, expected) in [
            ("2021-04-28T19:50:00Z", "2021-04-28T19:50:00Z"),
            ("2021-04-28t19:50:00z", "2021-04-28T19:50:00Z"),
            ("2021-04-28T21:50:00+02:00", "2021-04-28T19:50:00Z"),
            ("2021-04-28T15:20:00-04:30", "2021-04-28T19:50:00Z"),
            ("2021-04-28T19:50:00.1Z", "2021-04-28T19:50:00.100Z"),
            (
                "2021-04-28T21:50:00.123456+02:00",
                "2021-04-28T19:50:00.123456Z",
            ),
            (
                "2018-11-04T22:43:58.283995108+01:00",
                "2018-11-04T21:43:58.283995108Z",
            ),
            ("2021-04-28 19:50:00Z", "2021-04-28T19:50:00Z"),
        ] {
            assert_eq!(
                parse_time(text).map(utc).as_deref(),
                Some(expected),
                "{text}"
            );
        }
    }

    #[test]
    fn offsets_without_a_colon_and_spaced_forms_parse_to_utc() {
        for text in [
            "2021-04-28T21:50:00+0200",
            "2021-04-28T21:50:00.000+0200",
            "2021-04-28T19:50:00.000+0000",
            "2021-04-28 21:50:00 +0200",
            "2021-04-28 21:50:00+0200",
            "2021-04-28 21:50:00 +02:00",
            "2021-04-28 17:50:00 -0200",
        ] {
            assert_eq!(
                parse_time(text).map(utc).as_deref(),
                Some("2021-04-28T19:50:00Z"),
                "{text}"
            );
        }
    }

    #[test]
    fn utc_suffixed_times_parse_as_utc() {
        for text in [
            "2021-04-28 19:50:00 UTC",
            "2021-04-28 19:50:00.000 UTC",
            "2021-04-28T19:50:00 UTC",
            "2021-04-28 19:50:00 GMT",
        ] {
            assert_eq!(
                parse_time(text).map(utc).as_deref(),
                Some("2021-04-28T19:50:00Z"),
                "{text}"
            );
        }
    }

    #[test]
    fn things_that_are_not_times_do_not_parse() {
        for text in [
            "28/04/2021",
            "",
            "yesterday",
            "2021-04-28",
            "2021-13-01T00:00:00Z",
        ] {
            assert_eq!(parse_time(text), None, "{text}");
        }
    }

    #[test]
    fn epoch_numbers_are_read_in_the_unit_their_size_implies() {
        let seconds = epoch_time(1_420_452_191).unwrap();
        assert_eq!(utc(seconds), "2015-01-05T10:03:11Z");
        assert_eq!(epoch_time(1_420_452_191_000).unwrap(), seconds);
        assert_eq!(epoch_time(1_420_452_191_000_000).unwrap(), seconds);
        assert_eq!(epoch_time(1_420_452_191_000_000_000).unwrap(), seconds);
    }

    #[test]
    fn epochs_in_every_unit_read_the_same_as_numbers_or_strings() {
        let doc = json!({
            "s": 1619640600, "ms": 1619640600000_i64, "us": 1619640600000000_i64,
            "ns": 1619640600000000000_i64,
            "s_text": "1619640600", "ms_text": "1619640600000", "ns_text": " 1619640600000000000 ",
        });
        for pointer in ["/s", "/ms", "/us", "/ns", "/s_text", "/ms_text", "/ns_text"] {
            assert_eq!(
                time_at(&doc, pointer).map(utc).as_deref(),
                Some("2021-04-28T20:10:00Z"),
                "{pointer}"
            );
        }
    }

    #[test]
    fn fractional_epochs_keep_their_fraction_to_the_microsecond() {
        let doc = json!({
            "s": 1619640600.123, "s_text": "1619640600.123", "ms": 1619640600123.5,
            "sentry": 1566248777.677, "sentry_text": "1566248777.677",
        });
        for (pointer, expected) in [
            ("/s", "2021-04-28T20:10:00.123Z"),
            ("/s_text", "2021-04-28T20:10:00.123Z"),
            ("/ms", "2021-04-28T20:10:00.123500Z"),
            ("/sentry", "2019-08-19T21:06:17.677Z"),
            ("/sentry_text", "2019-08-19T21:06:17.677Z"),
        ] {
            assert_eq!(
                time_at(&doc, pointer).map(utc).as_deref(),
                Some(expected),
                "{pointer}"
            );
        }
        assert_eq!(epoch_float(f64::NAN), None);
        assert_eq!(epoch_float(f64::INFINITY), None);
    }

    #[test]
    fn unset_times_and_non_times_read_as_none() {
        let doc = json!({
            "go_zero": "0001-01-01T00:00:00Z", "zero": 0, "zero_text": "0",
            "word": "soon", "flag": true, "empty": "", "list": [1],
        });
        for pointer in [
            "/go_zero",
            "/zero",
            "/zero_text",
            "/word",
            "/flag",
            "/empty",
            "/list",
            "/absent",
        ] {
            assert_eq!(time_at(&doc, pointer), None, "{pointer}");
        }
        assert_eq!(req_time(&doc, "/go_zero"), Err(missing("/go_zero")));
    }

    #[test]
    fn body_digests_are_stable_and_tell_bodies_apart() {
        assert_eq!(body_digest(b"{}"), body_digest(b"{}"));
        assert_ne!(body_digest(b"{}"), body_digest(b"{ }"));
        assert_eq!(body_digest(b"{}").len(), 32);
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

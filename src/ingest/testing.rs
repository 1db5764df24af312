//! Helpers shared by the sources' tests.

/// A vendor catalog example's bytes, by its path under `tests/fixtures/vendors/`.
macro_rules! vendor_fixture {
    ($path:literal) => {
        include_bytes!(concat!("../../tests/fixtures/vendors/", $path)).as_slice()
    };
}
pub(super) use vendor_fixture;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Delivery, FieldMapping, Headers, NormalizedEvent};

pub(super) fn headers(pairs: &[(&str, &str)]) -> Headers {
    Headers::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

/// A fixed "now" for signature windows.
pub(super) fn now() -> DateTime<Utc> {
    at("2026-05-01T12:00:00Z")
}

pub(super) fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

pub(super) fn hmac_sha256(secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

pub(super) fn hmac_hex(secret: &[u8], parts: &[&[u8]]) -> String {
    hex::encode(hmac_sha256(secret, parts))
}

pub(super) fn default_mapping() -> FieldMapping {
    FieldMapping::default()
}

pub(super) fn service_mapping(field: &str) -> FieldMapping {
    FieldMapping {
        service_field: Some(field.to_owned()),
        ..FieldMapping::default()
    }
}

/// The one event a delivery must hold.
pub(super) fn only_event(delivery: Delivery) -> NormalizedEvent {
    assert_eq!(delivery.ignored_reason, None);
    assert_eq!(delivery.events.len(), 1, "{:?}", delivery.events);
    delivery.events.into_iter().next().unwrap()
}

//! How request bodies tell an absent field from `null` from a value: the two
//! deserializers every input struct's optional fields use, shared by the
//! services' inputs and the ingest's mapping rules.

use serde::{Deserialize, Deserializer};

/// Deserializes a field that may be absent (leave as is), `null` (clear it) or a
/// value (set it): `Option<Option<T>>` with `#[serde(default, deserialize_with = "nullable")]`.
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Deserializes an optional field that may be absent but, when present,
/// must hold a value: `null` is a 422 naming the field (it would otherwise
/// read as absent, so `{"email": null}` would silently change nothing).
/// `Option<T>` with `#[serde(default, deserialize_with = "crate::wire::present")]`.
pub fn present<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    T::deserialize(deserializer).map(Some)
}

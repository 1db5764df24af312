//! Signature and token checks shared by the sources, all constant-time.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use thiserror::Error;

use super::Headers;

type HmacSha256 = Hmac<Sha256>;

/// Bytes in an HMAC-SHA256 tag.
const HMAC_LEN: usize = 32;

/// Signatures looked at per delivery. Senders list one per active secret (two
/// during a rotation); a cap keeps a header stuffed with hundreds of them from
/// costing an HMAC over the body each.
pub(super) const MAX_SIGNATURES: usize = 5;

/// What [`super::verify`] checks a delivery against.
#[derive(Debug, Clone, Copy)]
pub struct VerifyConfig<'a> {
    /// The integration's secrets: the current one first, then the previous
    /// one while a rotation is under way. A delivery matching any is accepted.
    pub secrets: &'a [&'a [u8]],
    pub now: DateTime<Utc>,
    /// How far a signed timestamp may be from `now`, either way (replay window).
    pub tolerance: Duration,
    /// The header Grafana puts its signing timestamp in, when the contact
    /// point has one configured (Grafana has no default name).
    pub grafana_timestamp_header: Option<&'a str>,
}

impl<'a> VerifyConfig<'a> {
    /// A five-minute replay window and no Grafana timestamp header.
    pub fn new(secrets: &'a [&'a [u8]], now: DateTime<Utc>) -> Self {
        VerifyConfig {
            secrets,
            now,
            tolerance: Duration::minutes(5),
            grafana_timestamp_header: None,
        }
    }
}

/// Why a delivery was not accepted. The messages are safe to send back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum VerifyError {
    #[error("the request carries no signature or token")]
    Missing,
    #[error("the signature or token does not match")]
    Mismatch,
    #[error("the signature's timestamp is outside the allowed window")]
    Expired,
}

/// True when `tag` is the HMAC-SHA256 of `parts` (concatenated) under any key.
/// A tag of another length cannot match, so the body is not hashed for it.
pub(super) fn hmac_matches(keys: &[&[u8]], parts: &[&[u8]], tag: &[u8]) -> bool {
    tag.len() == HMAC_LEN
        && keys.iter().any(|key| {
            let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
                return false;
            };
            for part in parts {
                mac.update(part);
            }
            mac.verify_slice(tag).is_ok()
        })
}

/// Accepts when any of the hex signatures is the HMAC of `parts` under any key.
pub(super) fn check_hex_signatures<'s>(
    signatures: impl IntoIterator<Item = &'s str>,
    keys: &[&[u8]],
    parts: &[&[u8]],
) -> Result<(), VerifyError> {
    let mut seen = false;
    for signature in signatures.into_iter().take(MAX_SIGNATURES) {
        seen = true;
        if let Ok(tag) = hex::decode(signature.trim())
            && hmac_matches(keys, parts, &tag)
        {
            return Ok(());
        }
    }
    if seen {
        Err(VerifyError::Mismatch)
    } else {
        Err(VerifyError::Missing)
    }
}

/// Checks a `<prefix><hex HMAC of body>` header such as `sha256=...`.
pub(super) fn check_prefixed_hex(
    value: Option<&str>,
    prefix: &str,
    keys: &[&[u8]],
    body: &[u8],
) -> Result<(), VerifyError> {
    let value = value.ok_or(VerifyError::Missing)?;
    let signature = value
        .trim()
        .strip_prefix(prefix)
        .ok_or(VerifyError::Mismatch)?;
    check_hex_signatures([signature], keys, &[body])
}

/// Compares a presented token with every secret. Hashing both sides first
/// keeps the comparison's time independent of the lengths too.
pub(super) fn token_matches(secrets: &[&[u8]], presented: &[u8]) -> bool {
    let presented = Sha256::digest(presented);
    secrets.iter().fold(false, |matched, secret| {
        matched | bool::from(Sha256::digest(secret).ct_eq(&presented))
    })
}

/// `Authorization: Bearer <secret>`, or `Basic base64(<any user>:<secret>)`.
pub(super) fn check_authorization(headers: &Headers, secrets: &[&[u8]]) -> Result<(), VerifyError> {
    let value = headers.get("authorization").ok_or(VerifyError::Missing)?;
    let (scheme, credentials) = value.trim().split_once(' ').ok_or(VerifyError::Mismatch)?;
    let credentials = credentials.trim();
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        credentials.as_bytes().to_vec()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = STANDARD
            .decode(credentials)
            .map_err(|_| VerifyError::Mismatch)?;
        let colon = decoded
            .iter()
            .position(|&b| b == b':')
            .ok_or(VerifyError::Mismatch)?;
        decoded[colon + 1..].to_vec()
    } else {
        return Err(VerifyError::Mismatch);
    };
    if token_matches(secrets, &token) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// A signed unix-seconds timestamp must lie within the tolerance of `now`.
pub(super) fn check_window(timestamp: &str, cfg: &VerifyConfig) -> Result<(), VerifyError> {
    let seconds: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::Mismatch)?;
    let signed_at = DateTime::from_timestamp(seconds, 0).ok_or(VerifyError::Mismatch)?;
    if (cfg.now - signed_at).abs() > cfg.tolerance {
        Err(VerifyError::Expired)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{headers, now};
    use super::*;

    #[test]
    fn bearer_and_basic_tokens_are_accepted_with_any_user() {
        let secrets: &[&[u8]] = &[b"s3cret"];
        let bearer = headers(&[("Authorization", "Bearer s3cret")]);
        assert_eq!(check_authorization(&bearer, secrets), Ok(()));
        let basic = format!("Basic {}", STANDARD.encode("alertmanager:s3cret"));
        let basic = headers(&[("Authorization", basic.as_str())]);
        assert_eq!(check_authorization(&basic, secrets), Ok(()));
    }

    #[test]
    fn wrong_or_absent_tokens_are_told_apart() {
        let secrets: &[&[u8]] = &[b"s3cret"];
        let wrong = headers(&[("Authorization", "Bearer guess")]);
        assert_eq!(
            check_authorization(&wrong, secrets),
            Err(VerifyError::Mismatch)
        );
        let other_scheme = headers(&[("Authorization", "Token s3cret")]);
        assert_eq!(
            check_authorization(&other_scheme, secrets),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            check_authorization(&headers(&[]), secrets),
            Err(VerifyError::Missing)
        );
    }

    #[test]
    fn no_configured_secret_accepts_no_token() {
        let empty = headers(&[("Authorization", "Bearer ")]);
        assert_eq!(check_authorization(&empty, &[]), Err(VerifyError::Mismatch));
    }

    #[test]
    fn the_previous_secret_still_works_during_rotation() {
        let secrets: &[&[u8]] = &[b"new", b"old"];
        let old = headers(&[("Authorization", "Bearer old")]);
        assert_eq!(check_authorization(&old, secrets), Ok(()));
    }

    #[test]
    fn timestamps_outside_the_window_are_expired() {
        let cfg = VerifyConfig::new(&[], now());
        let ts = now().timestamp();
        assert_eq!(check_window(&(ts - 299).to_string(), &cfg), Ok(()));
        assert_eq!(check_window(&(ts + 299).to_string(), &cfg), Ok(()));
        assert_eq!(
            check_window(&(ts - 301).to_string(), &cfg),
            Err(VerifyError::Expired)
        );
        assert_eq!(
            check_window(&(ts + 301).to_string(), &cfg),
            Err(VerifyError::Expired)
        );
        assert_eq!(check_window("yesterday", &cfg), Err(VerifyError::Mismatch));
    }
}

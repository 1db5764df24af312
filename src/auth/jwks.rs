//! An identity provider's signing keys from its JWKS URL: chosen by `kid`,
//! cached, fetched again when a token names a key not seen yet (at most once
//! per interval, so tokens with made-up `kid`s cannot make us hammer the
//! provider), always through the outbound client and its address policy.

use std::{
    collections::HashMap,
    str::FromStr,
    sync::RwLock,
    time::{Duration, Instant},
};

use anyhow::Context;
use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse},
};

/// A key the provider publishes, with the one algorithm it signs with.
#[derive(Clone)]
pub struct SigningKey {
    pub key: DecodingKey,
    pub algorithm: Algorithm,
}

pub struct Jwks {
    url: String,
    http: reqwest::Client,
    /// What the configuration allows; a key for another algorithm is ignored.
    algorithms: Vec<Algorithm>,
    min_refetch: Duration,
    keys: RwLock<HashMap<String, SigningKey>>,
    /// When the keys were last fetched; held across a fetch so that
    /// concurrent requests for an unknown `kid` cause one fetch, not many.
    fetched: tokio::sync::Mutex<Option<Instant>>,
}

impl Jwks {
    pub fn new(
        url: String,
        http: reqwest::Client,
        algorithms: Vec<Algorithm>,
        min_refetch: Duration,
    ) -> Self {
        Self {
            url,
            http,
            algorithms,
            min_refetch,
            keys: RwLock::default(),
            fetched: tokio::sync::Mutex::new(None),
        }
    }

    fn cached(&self, kid: &str) -> Option<SigningKey> {
        self.keys.read().ok()?.get(kid).cloned()
    }

    /// The key named `kid`: from the cache, or from a fresh fetch when the
    /// last one is older than the interval.
    pub async fn key(&self, kid: &str) -> Option<SigningKey> {
        if let Some(key) = self.cached(kid) {
            return Some(key);
        }
        let mut fetched = self.fetched.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(key) = self.cached(kid) {
            return Some(key);
        }
        if fetched.is_some_and(|at| at.elapsed() < self.min_refetch) {
            return None;
        }
        *fetched = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                if let Ok(mut cache) = self.keys.write() {
                    *cache = keys;
                }
            }
            // The keys already known stay usable; the next unknown `kid`
            // after the interval tries again.
            Err(err) => {
                tracing::warn!(url = %self.url, error = %format!("{err:#}"), "fetching the JWKS failed")
            }
        }
        self.cached(kid)
    }

    async fn fetch(&self) -> anyhow::Result<HashMap<String, SigningKey>> {
        let response = self
            .http
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .context("requesting the JWKS")?
            .error_for_status()
            .context("the JWKS URL answered an error")?;
        let set: JwkSet = response.json().await.context("reading the JWKS")?;
        Ok(set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let key = self.signing_key(jwk)?;
                Some((kid, key))
            })
            .collect())
    }

    /// A signature key for an allowed algorithm; encryption keys, symmetric
    /// keys and keys of other algorithms are left out.
    fn signing_key(&self, jwk: &Jwk) -> Option<SigningKey> {
        if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
            return None;
        }
        let algorithm = algorithm_of(jwk)?;
        if !self.algorithms.contains(&algorithm) {
            return None;
        }
        let key = DecodingKey::from_jwk(jwk).ok()?;
        Some(SigningKey { key, algorithm })
    }
}

/// The key's algorithm: its `alg`, or what its type implies.
fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    let algorithm = match (&jwk.common.key_algorithm, &jwk.algorithm) {
        (Some(alg), _) => {
            let name = serde_json::to_value(alg).ok()?;
            Algorithm::from_str(name.as_str()?).ok()?
        }
        (None, AlgorithmParameters::RSA(_)) => Algorithm::RS256,
        (None, AlgorithmParameters::EllipticCurve(p)) if p.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        (None, AlgorithmParameters::OctetKeyPair(p)) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        _ => return None,
    };
    // Only public-key algorithms: an `oct` key in a JWKS would make the
    // provider's published key a shared secret.
    matches!(
        algorithm,
        Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512
            | Algorithm::ES256
            | Algorithm::ES384
            | Algorithm::EdDSA
    )
    .then_some(algorithm)
}

/// Parses `HINDSIGHT_JWT_ALGORITHMS`: comma-separated, public-key algorithms only.
pub fn parse_algorithms(text: &str) -> anyhow::Result<Vec<Algorithm>> {
    let algorithms = text
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|name| match Algorithm::from_str(name) {
            Ok(Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) | Err(_) => Err(
                anyhow::anyhow!("{name:?} is not one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA"),
            ),
            Ok(algorithm) => Ok(algorithm),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(!algorithms.is_empty(), "no algorithm given");
    Ok(algorithms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_are_public_key_ones_only() {
        assert_eq!(
            parse_algorithms("RS256, EdDSA").unwrap(),
            [Algorithm::RS256, Algorithm::EdDSA]
        );
        assert!(parse_algorithms("HS256").is_err());
        assert!(parse_algorithms("none").is_err());
        assert!(parse_algorithms(" , ").is_err());
    }

    #[test]
    fn a_key_without_alg_gets_the_algorithm_its_type_implies() {
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "kid": "k",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        }))
        .unwrap();
        assert_eq!(algorithm_of(&jwk), Some(Algorithm::EdDSA));
        let oct: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "oct", "alg": "HS256", "kid": "s", "k": "c2VjcmV0"
        }))
        .unwrap();
        assert_eq!(
            algorithm_of(&oct),
            None,
            "a shared secret is never a JWKS key"
        );
    }
}

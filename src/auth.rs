//! Bearer JWT authentication: decoding with a pinned algorithm, roles, and
//! minting tokens for the `token` subcommand. The `AuthUser` extractor is the
//! web layer's (`rest::extract`).

use std::time::Duration;

use anyhow::{Context, bail};

mod jwks;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
pub use jwks::parse_algorithms;
use serde::{Deserialize, Serialize};

use crate::{
    config::{JwtKey, JwtSettings},
    error::ApiError,
};

/// What a caller may do. Ordered: each role can do everything the ones before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything, sees people anonymized.
    Viewer,
    /// Also writes post-mortems and their parts.
    Editor,
    /// Also manages integrations, trackers and people, deletes, and sees real names.
    Admin,
}

impl std::str::FromStr for Role {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Self::Viewer),
            "editor" => Ok(Self::Editor),
            "admin" => Ok(Self::Admin),
            other => bail!("unknown role {other:?}: expected viewer, editor or admin"),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// Where the verifying key comes from.
enum Keys {
    /// One key, one algorithm: the shared secret or the PEM public key.
    Fixed(DecodingKey),
    /// The identity provider's JWKS: the token's `kid` picks the key, the
    /// key (not the token) its algorithm, among those configured.
    Jwks(jwks::Jwks),
}

/// Checks tokens. Built once at start-up from the configuration.
pub struct TokenVerifier {
    keys: Keys,
    validation: Validation,
    encoding: Option<(EncodingKey, JwtSettings)>,
}

impl TokenVerifier {
    /// A verifier for a fixed key (the `token` command, tests); a JWKS needs
    /// [`TokenVerifier::with_outbound`].
    pub fn new(settings: &JwtSettings) -> anyhow::Result<Self> {
        Self::build(settings, None)
    }

    /// A verifier that fetches a JWKS through `http`, the process's one
    /// [outbound client](crate::outbound::client).
    pub fn with_outbound(settings: &JwtSettings, http: &reqwest::Client) -> anyhow::Result<Self> {
        Self::build(settings, Some(http))
    }

    fn build(settings: &JwtSettings, http: Option<&reqwest::Client>) -> anyhow::Result<Self> {
        let (keys, algorithm, encoding) = match &settings.key {
            JwtKey::Hs256(secret) => (
                Keys::Fixed(DecodingKey::from_secret(secret.expose())),
                Algorithm::HS256,
                Some((EncodingKey::from_secret(secret.expose()), settings.clone())),
            ),
            JwtKey::PublicKeyPem(pem) => {
                if let Ok(key) = DecodingKey::from_rsa_pem(pem.as_bytes()) {
                    (Keys::Fixed(key), Algorithm::RS256, None)
                } else {
                    let key = DecodingKey::from_ec_pem(pem.as_bytes()).context(
                        "HINDSIGHT_JWT_PUBLIC_KEY is neither an RSA nor an EC (P-256) public key",
                    )?;
                    (Keys::Fixed(key), Algorithm::ES256, None)
                }
            }
            JwtKey::Jwks {
                url,
                algorithms,
                min_refetch,
            } => {
                let http = http.context("a JWKS is fetched through the outbound client")?;
                let first = *algorithms.first().context("no JWT algorithm configured")?;
                let jwks =
                    jwks::Jwks::new(url.clone(), http.clone(), algorithms.clone(), *min_refetch);
                (Keys::Jwks(jwks), first, None)
            }
        };
        // One algorithm, fixed here: a token's own `alg` header cannot change it.
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 30;
        // A token not valid yet is refused, as one that is no longer valid is.
        validation.validate_nbf = true;
        match &settings.issuer {
            Some(issuer) => validation.set_issuer(&[issuer]),
            None => validation.iss = None,
        }
        match &settings.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        Ok(Self {
            keys,
            validation,
            encoding,
        })
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let signing;
        let (key, validation) = match &self.keys {
            Keys::Fixed(key) => (key, &self.validation),
            Keys::Jwks(jwks) => {
                let refused = |why: &str| ApiError::Unauthorized(why.into());
                let header = jsonwebtoken::decode_header(token)
                    .map_err(|_| refused("the token is malformed or its claims are invalid"))?;
                let kid = header
                    .kid
                    .ok_or_else(|| refused("the token names no key (`kid`)"))?;
                let key = jwks.key(&kid).await.ok_or_else(|| {
                    refused("the token's key (`kid`) is not one the identity provider publishes")
                })?;
                if header.alg != key.algorithm {
                    return Err(refused("the token is not signed with its key's algorithm"));
                }
                let mut validation = self.validation.clone();
                validation.algorithms = vec![key.algorithm];
                signing = (key.key, validation);
                (&signing.0, &signing.1)
            }
        };
        jsonwebtoken::decode::<Claims>(token, key, validation)
            .map(|data| data.claims)
            .map_err(|err| {
                let why = match err.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::ImmatureSignature => "the token is not valid yet (`nbf`)",
                    ErrorKind::InvalidSignature => "the token's signature does not verify",
                    ErrorKind::InvalidAlgorithm => {
                        "the token is not signed with the configured algorithm"
                    }
                    ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                    ErrorKind::InvalidAudience => "the token's audience is not accepted",
                    ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                    _ => "the token is malformed or its claims are invalid",
                };
                ApiError::Unauthorized(why.into())
            })
    }

    /// Signs a token with the configured HS256 secret.
    pub fn mint(&self, sub: &str, role: Role, ttl: Duration) -> anyhow::Result<String> {
        let Some((key, settings)) = &self.encoding else {
            bail!(
                "tokens can only be minted with HINDSIGHT_JWT_SECRET (HS256); ask your identity provider instead"
            );
        };
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: sub.to_owned(),
            exp: now + ttl.as_secs(),
            role,
            iss: settings.issuer.clone(),
            aud: settings.audience.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, key)
            .context("signing the token")
    }
}

/// Parses durations such as `90s`, `15m`, `24h`, `7d`.
pub fn parse_ttl(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .with_context(|| format!("bad duration {text:?}"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => bail!("unknown duration unit {other:?}: use s, m, h or d"),
    };
    Ok(Duration::from_secs(number * seconds))
}

/// The authenticated caller, extracted from `Authorization: Bearer`.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub sub: String,
    pub role: Role,
}

impl TokenVerifier {
    /// The caller named by an `Authorization` value (`Bearer <token>`): the
    /// header of an HTTP request, or the same string in a WebSocket's init payload.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<AuthUser, ApiError> {
        let claims = self.bearer_claims(authorization).await?;
        Ok(AuthUser {
            sub: claims.sub,
            role: claims.role,
        })
    }

    /// The verified claims of an `Authorization: Bearer` value.
    pub async fn bearer_claims(&self, authorization: Option<&str>) -> Result<Claims, ApiError> {
        let value = authorization
            .ok_or_else(|| ApiError::Unauthorized("a bearer token is required".into()))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?;
        self.verify(token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units_parse() {
        assert_eq!(parse_ttl("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_ttl("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_ttl("7d").unwrap(), Duration::from_secs(604_800));
        assert!(parse_ttl("soon").is_err());
        assert!(parse_ttl("3w").is_err());
    }

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Admin > Role::Editor && Role::Editor > Role::Viewer);
        assert_eq!("editor".parse::<Role>().unwrap(), Role::Editor);
    }
}

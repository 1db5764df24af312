//! Secrets at rest (tracker credentials, webhook secrets): AES-256-GCM under
//! `settings.secret_key`, a random 96-bit nonce per value, the owning row's id
//! authenticated with it, stored as base64 of nonce || ciphertext.

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use anyhow::{Context, anyhow};
use base64::Engine as _;
use rand::RngCore;

use crate::config::Secret;

const NONCE_LEN: usize = 12;

fn cipher(key: &Secret) -> anyhow::Result<Aes256Gcm> {
    Aes256Gcm::new_from_slice(key.expose()).map_err(|_| anyhow!("the secret key must be 32 bytes"))
}

/// Encrypts `plaintext`; `context` (for example the tracker id) is authenticated
/// with it, so a value copied onto another row does not decrypt.
pub fn seal(key: &Secret, plaintext: &[u8], context: &[u8]) -> anyhow::Result<String> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = cipher(key)?
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: context,
            },
        )
        .map_err(|_| anyhow!("encrypting a secret failed"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

/// Decrypts what [`seal`] wrote with the same key and context.
pub fn open(key: &Secret, encoded: &str, context: &[u8]) -> anyhow::Result<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .context("stored secret is not base64")?;
    if bytes.len() <= NONCE_LEN {
        return Err(anyhow!("stored secret is too short"));
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().context("stored secret nonce")?;
    cipher(key)?
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: sealed,
                aad: context,
            },
        )
        .map_err(|_| anyhow!("stored secret does not decrypt: was HINDSIGHT_SECRET_KEY changed?"))
}

/// A new webhook secret: 32 random bytes as 64 hex characters, which every
/// sender's secret field accepts.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_context() {
        let key = Secret::new(vec![1; 32]);
        let sealed = seal(&key, b"token", b"row-1").unwrap();
        assert!(!sealed.contains("token"));
        assert_ne!(
            sealed,
            seal(&key, b"token", b"row-1").unwrap(),
            "random nonce"
        );
        assert_eq!(open(&key, &sealed, b"row-1").unwrap(), b"token");
        assert!(open(&key, &sealed, b"row-2").is_err());
        assert!(open(&Secret::new(vec![2; 32]), &sealed, b"row-1").is_err());
    }
}

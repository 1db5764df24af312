//! Secrets at rest: AES-256-GCM under the configured secret key, and random
//! webhook secrets.

use aes_gcm::{
    Aes256Gcm, Nonce,
    aead::{Aead, AeadCore, KeyInit, OsRng},
};
use anyhow::{Context, anyhow};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use rand::RngCore;

use crate::config::Secret;

const NONCE_LEN: usize = 12;

fn cipher(key: &Secret) -> anyhow::Result<Aes256Gcm> {
    Aes256Gcm::new_from_slice(key.expose()).map_err(|_| anyhow!("the secret key must be 32 bytes"))
}

/// Encrypts `plaintext` with a fresh random nonce; stored as base64(nonce || ciphertext).
pub fn seal(key: &Secret, plaintext: &[u8]) -> anyhow::Result<String> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ciphertext = cipher(key)?
        .encrypt(&nonce, plaintext)
        .map_err(|_| anyhow!("encrypting a secret failed"))?;
    let mut stored = nonce.to_vec();
    stored.extend_from_slice(&ciphertext);
    Ok(STANDARD.encode(stored))
}

/// Decrypts what [`seal`] stored. Fails when the key changed or the value was
/// tampered with (GCM authenticates it).
pub fn open(key: &Secret, stored: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = STANDARD
        .decode(stored)
        .context("a stored secret is not base64")?;
    let (nonce, ciphertext) = bytes
        .split_first_chunk::<NONCE_LEN>()
        .ok_or_else(|| anyhow!("a stored secret is too short"))?;
    cipher(key)?
        .decrypt(&Nonce::from(*nonce), ciphertext)
        .map_err(|_| anyhow!("a stored secret does not decrypt under HINDSIGHT_SECRET_KEY"))
}

/// A new webhook secret: 32 random bytes as 64 hex characters, which every
/// sender's secret field accepts.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_with_the_same_key_only() {
        let key = Secret::new(vec![1; 32]);
        let sealed = seal(&key, b"hunter2").unwrap();
        assert!(!sealed.contains("hunter2"));
        assert_ne!(sealed, seal(&key, b"hunter2").unwrap(), "nonces differ");
        assert_eq!(open(&key, &sealed).unwrap(), b"hunter2");
        assert!(open(&Secret::new(vec![2; 32]), &sealed).is_err());
    }
}

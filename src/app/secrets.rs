//! Provider keys at rest: sealed with ChaCha20-Poly1305 under the deployment's secret key
//! (`JARVIS_SECRET_KEY`), each with a fresh random nonce and bound to its workspace and item as
//! associated data, so a sealed key moved to another row does not open.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use super::{AppError, Result};
use crate::domain::UserError;
use crate::domain::connection::ApiSecret;
use crate::domain::workspace::WorkspaceId;

/// The environment variable holding the secret key.
pub const SECRET_KEY_VAR: &str = "JARVIS_SECRET_KEY";

/// The deployment's secret key: 32 bytes, given as 64 hex digits or as base64.
#[derive(Clone)]
pub struct SecretKey {
    key: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.id())
    }
}

impl SecretKey {
    /// Reads the key as written in `JARVIS_SECRET_KEY`. The refusal never repeats it.
    pub fn parse(text: &str) -> Result<SecretKey, UserError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex digits")).collect()
        } else {
            decode_base64(text).unwrap_or_default()
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| {
            UserError::invalid(
                SECRET_KEY_VAR,
                "(hidden)",
                "it must be 32 random bytes written as 64 hex digits or as base64; make one with `openssl rand -hex 32`",
            )
        })?;
        Ok(SecretKey { key })
    }

    /// The key from `JARVIS_SECRET_KEY`, `None` when it is unset or empty.
    pub fn from_env() -> Result<Option<SecretKey>, UserError> {
        match std::env::var(SECRET_KEY_VAR) {
            Ok(text) if !text.trim().is_empty() => SecretKey::parse(&text).map(Some),
            _ => Ok(None),
        }
    }

    /// Which key this is, for telling that a sealed key was sealed under another one: the first
    /// 8 hex digits of the SHA-256 of a label and the key (the key cannot be found from them).
    pub fn id(&self) -> String {
        super::sha256_hex(&[b"jarvis secret key id", &self.key])[..8].to_string()
    }

    fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &self.key).expect("a 32-byte key"))
    }

    /// `secret` sealed for `item` of `workspace`: the nonce, then the ciphertext and its tag.
    pub fn seal(&self, workspace: &WorkspaceId, item: i64, secret: &ApiSecret) -> Result<Vec<u8>> {
        let mut nonce = [0_u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the system's random number generator failed")))?;
        let mut sealed = secret.expose().as_bytes().to_vec();
        self.aead()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(bound_to(workspace, item)),
                &mut sealed,
            )
            .map_err(|_| AppError::Internal(anyhow::anyhow!("sealing a key failed")))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The key sealed for `item` of `workspace`; `None` when it does not open (another secret
    /// key sealed it, or the row was tampered with).
    pub fn open(&self, workspace: &WorkspaceId, item: i64, sealed: &[u8]) -> Option<ApiSecret> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = rest.to_vec();
        let plain = self.aead().open_in_place(nonce, Aad::from(bound_to(workspace, item)), &mut buffer).ok()?;
        ApiSecret::parse(std::str::from_utf8(plain).ok()?).ok()
    }
}

/// The associated data a sealed key is bound to.
fn bound_to(workspace: &WorkspaceId, item: i64) -> Vec<u8> {
    format!("jarvis ai key v1\0{}\0{item}", workspace.as_str()).into_bytes()
}

/// Standard or URL-safe base64, padded or not.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0_u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.trim_end_matches('=').bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::parse(&"ab".repeat(32)).unwrap()
    }

    #[test]
    fn a_sealed_key_opens_only_for_its_row_and_under_its_key() {
        let workspace = WorkspaceId::parse("123").unwrap();
        let secret = ApiSecret::parse("sk-admin-0123456789abcdefghijklmnop").unwrap();
        let sealed = key().seal(&workspace, 7, &secret).unwrap();
        assert!(!sealed.windows(10).any(|w| w == &secret.expose().as_bytes()[..10]), "the key is not in the clear");
        assert_eq!(key().open(&workspace, 7, &sealed), Some(secret.clone()));
        // Another row, another workspace, another secret key, a flipped bit: nothing opens.
        assert_eq!(key().open(&workspace, 8, &sealed), None);
        assert_eq!(key().open(&WorkspaceId::parse("124").unwrap(), 7, &sealed), None);
        assert_eq!(SecretKey::parse(&"cd".repeat(32)).unwrap().open(&workspace, 7, &sealed), None);
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert_eq!(key().open(&workspace, 7, &flipped), None);
        // Two seals of one key differ (fresh nonces).
        assert_ne!(key().seal(&workspace, 7, &secret).unwrap(), sealed);
    }

    #[test]
    fn the_secret_key_is_hex_or_base64_of_32_bytes() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let from_hex = SecretKey::parse(hex).unwrap();
        // The same bytes in base64.
        let from_base64 = SecretKey::parse("ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=").unwrap();
        assert_eq!(from_hex.key, from_base64.key);
        assert_eq!(from_hex.id(), from_base64.id());
        for bad in ["", "short", &hex[..62], "not base64 at all!!", &"a".repeat(100)] {
            let error = SecretKey::parse(bad).unwrap_err().to_string();
            assert!(error.contains("openssl rand -hex 32"), "{error}");
            assert!(bad.len() < 8 || !error.contains(bad), "{error}");
        }
    }
}

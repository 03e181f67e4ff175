//! Cryptography for wangge, each piece behind a small interface:
//! - [`FieldCipher`]: authenticated encryption of personal data at rest (AES-256-GCM or
//!   SM4-GCM, chosen by configuration; every ciphertext names its algorithm, so both read);
//! - [`FieldCipher::search_hash`]: a keyed hash (HMAC-SHA256) so an exact 身份证号 or phone can
//!   be found without decrypting every row;
//! - [`password`]: argon2id hashes;
//! - [`token`]: random bearer tokens, stored only as SHA-256 hashes.
//!
//! Keys come from configuration (a key file or an environment variable), never from the
//! database, so a stolen database file reveals no personal data.

pub mod password;
pub mod token;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type Sm4Gcm = AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key must be 32 bytes, given as 64 hex characters or base64")]
    BadKey,
    #[error("unknown cipher {0:?}: use aes-256-gcm or sm4-gcm")]
    UnknownCipher(String),
    #[error("ciphertext is damaged or was made with another key")]
    Decrypt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Aes256Gcm,
    Sm4Gcm,
}

impl Algorithm {
    pub fn parse(s: &str) -> Result<Self, CryptoError> {
        match s {
            "aes-256-gcm" => Ok(Algorithm::Aes256Gcm),
            "sm4-gcm" => Ok(Algorithm::Sm4Gcm),
            other => Err(CryptoError::UnknownCipher(other.to_string())),
        }
    }

    fn tag(self) -> u8 {
        match self {
            Algorithm::Aes256Gcm => 1,
            Algorithm::Sm4Gcm => 2,
        }
    }
}

/// A 32-byte master key; its `Debug` never prints it.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let t = text.trim();
        let bytes = if t.len() == 64 {
            hex::decode(t).map_err(|_| CryptoError::BadKey)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map_err(|_| CryptoError::BadKey)?
        };
        let arr: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self(arr))
    }

    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        Self(k)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Independent sub-keys per purpose (HKDF-SHA256), so the search hash key is never the
    /// encryption key.
    fn derive(&self, purpose: &[u8]) -> [u8; 32] {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"wangge-v1"), &self.0);
        let mut out = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
        hk.expand(purpose, &mut out).unwrap_or_default();
        out
    }
}

/// Encrypts and decrypts personal-data fields and computes their search hashes.
#[derive(Clone)]
pub struct FieldCipher {
    write_with: Algorithm,
    aes: Aes256Gcm,
    sm4: Sm4Gcm,
    search_key: [u8; 32],
    audit_key: [u8; 32],
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FieldCipher({:?})", self.write_with)
    }
}

const NONCE_LEN: usize = 12;

impl FieldCipher {
    pub fn new(key: &MasterKey, write_with: Algorithm) -> Self {
        let aes_key = key.derive(b"field-encryption/aes-256-gcm");
        let sm4_key = key.derive(b"field-encryption/sm4-gcm");
        Self {
            write_with,
            aes: Aes256Gcm::new((&aes_key).into()),
            sm4: Sm4Gcm::new(sm4_key[..16].into()),
            search_key: key.derive(b"search-hash/hmac-sha256"),
            audit_key: key.derive(b"audit-chain/hmac-sha256"),
        }
    }

    /// `tag(1) || nonce(12) || ciphertext+tag`. The field name is bound as associated data,
    /// so a phone ciphertext cannot be pasted into the 身份证号 column.
    pub fn encrypt(&self, field: &str, plaintext: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: field.as_bytes(),
        };
        let n = Nonce::from_slice(&nonce);
        // Encryption only fails for messages beyond 64 GiB, which no field approaches.
        let ct = match self.write_with {
            Algorithm::Aes256Gcm => self.aes.encrypt(n, payload),
            Algorithm::Sm4Gcm => self.sm4.encrypt(n, payload),
        }
        .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(self.write_with.tag());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn decrypt(&self, field: &str, data: &[u8]) -> Result<String, CryptoError> {
        if data.len() < 1 + NONCE_LEN {
            return Err(CryptoError::Decrypt);
        }
        let n = Nonce::from_slice(&data[1..1 + NONCE_LEN]);
        let payload = Payload {
            msg: &data[1 + NONCE_LEN..],
            aad: field.as_bytes(),
        };
        let pt = match data[0] {
            1 => self.aes.decrypt(n, payload),
            2 => self.sm4.decrypt(n, payload),
            _ => return Err(CryptoError::Decrypt),
        }
        .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(pt).map_err(|_| CryptoError::Decrypt)
    }

    /// Key of the audit chain's HMAC.
    pub fn audit_key(&self) -> &[u8] {
        &self.audit_key
    }

    /// Deterministic keyed hash of a canonical value, for exact-match search.
    pub fn search_hash(&self, field: &str, canonical: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.search_key)
            .unwrap_or_else(|_| unreachable_hmac());
        mac.update(field.as_bytes());
        mac.update(&[0]);
        mac.update(canonical.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// HMAC accepts keys of any length, so construction cannot fail.
fn unreachable_hmac() -> Hmac<Sha256> {
    panic!("HMAC-SHA256 rejected a 32-byte key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_both_algorithms_and_cross_read() {
        let key = MasterKey::generate();
        let aes = FieldCipher::new(&key, Algorithm::Aes256Gcm);
        let sm4 = FieldCipher::new(&key, Algorithm::Sm4Gcm);
        let a = aes.encrypt("id_number", "11010519491231002X");
        let s = sm4.encrypt("id_number", "11010519491231002X");
        assert_ne!(a, s);
        assert_eq!(sm4.decrypt("id_number", &a).unwrap(), "11010519491231002X");
        assert_eq!(aes.decrypt("id_number", &s).unwrap(), "11010519491231002X");
        // Same value twice gives different ciphertexts (random nonce) but the same search hash.
        assert_ne!(
            aes.encrypt("phone", "13812345678"),
            aes.encrypt("phone", "13812345678")
        );
        assert_eq!(
            aes.search_hash("phone", "13812345678"),
            sm4.search_hash("phone", "13812345678")
        );
    }

    #[test]
    fn refuses_wrong_key_field_or_tampering() {
        let c1 = FieldCipher::new(&MasterKey::generate(), Algorithm::Aes256Gcm);
        let c2 = FieldCipher::new(&MasterKey::generate(), Algorithm::Aes256Gcm);
        let mut ct = c1.encrypt("phone", "13812345678");
        assert!(c2.decrypt("phone", &ct).is_err());
        assert!(c1.decrypt("id_number", &ct).is_err());
        let last = ct.len() - 1;
        ct[last] ^= 1;
        assert!(c1.decrypt("phone", &ct).is_err());
        assert!(c1.decrypt("phone", &[]).is_err());
    }

    #[test]
    fn key_parsing() {
        let k = MasterKey::generate();
        assert!(MasterKey::parse(&k.to_hex()).is_ok());
        assert!(MasterKey::parse("short").is_err());
        assert_eq!(format!("{k:?}"), "MasterKey(<redacted>)");
        assert!(Algorithm::parse("des").is_err());
    }
}

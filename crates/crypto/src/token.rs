//! Bearer tokens: 32 random bytes, base64url, with a readable prefix. Only their SHA-256 is
//! stored; they carry enough entropy that a slow hash adds nothing.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn generate(prefix: &str) -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!(
        "{prefix}_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    )
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_unique_and_hashed() {
        let a = super::generate("wg");
        assert!(a.starts_with("wg_") && a.len() > 40);
        assert_ne!(a, super::generate("wg"));
        assert_eq!(super::digest(&a).len(), 64);
    }
}

//! argon2id password hashes in PHC string form (parameters travel with the hash).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    // Default argon2id parameters (19 MiB, t=2, p=1: OWASP's minimum). Hashing only fails on
    // absurd parameters, which these are not.
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, used to spend the same time on unknown usernames so
/// that login timing does not reveal which usernames exist.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash(&crate::token::generate("x")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_and_verify() {
        let h = super::hash("Wangge@2026");
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("Wangge@2026", &h));
        assert!(!super::verify("wangge@2026", &h));
        assert!(!super::verify("x", "not a hash"));
    }
}

//! Password rules of 等保 2.0 level 3: at least 8 characters drawn from at least three of
//! the four classes (upper, lower, digit, symbol).

use crate::FieldError;

pub const MIN_LEN: usize = 8;

pub fn check_strength(field: &str, password: &str, username: &str) -> Result<(), FieldError> {
    if password.chars().count() < MIN_LEN {
        return Err(FieldError::new(field, "password_too_short", "密码至少8位"));
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|x| **x).count() < 3 {
        return Err(FieldError::new(
            field,
            "password_too_weak",
            "密码须包含大写字母、小写字母、数字、符号中的至少三类",
        ));
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(FieldError::new(
            field,
            "password_contains_username",
            "密码不能包含用户名",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength() {
        assert!(check_strength("p", "Wangge@2026", "admin").is_ok());
        assert!(check_strength("p", "abcdef12A", "x").is_ok());
        assert_eq!(
            check_strength("p", "Ab1!", "x").unwrap_err().code,
            "password_too_short"
        );
        assert_eq!(
            check_strength("p", "abcdefgh1", "x").unwrap_err().code,
            "password_too_weak"
        );
        assert_eq!(
            check_strength("p", "Zhangsan#2026", "zhangsan")
                .unwrap_err()
                .code,
            "password_contains_username"
        );
    }
}

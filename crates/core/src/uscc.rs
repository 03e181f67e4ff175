//! 统一社会信用代码 (GB 32100-2015): 18 characters over 0-9 and A-Z without I, O, S, V, Z;
//! the 18th is a check character with weights 3^i mod 31.

use crate::FieldError;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uscc(String);

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters (all from the alphabet).
pub fn check_char(first17: &[u8]) -> Option<char> {
    let mut sum = 0;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += value(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

impl Uscc {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let s = input.trim().to_ascii_uppercase();
        let err = |code, msg: String| Err(FieldError::new(field, code, msg));
        if s.chars().count() != 18 {
            return err("uscc_length", "统一社会信用代码应为18位".into());
        }
        let bytes = s.as_bytes();
        if let Some((i, c)) = bytes.iter().enumerate().find(|(_, c)| value(**c).is_none()) {
            return err(
                "uscc_character",
                format!(
                    "统一社会信用代码第{}位“{}”不是合法字符（不含I、O、S、V、Z）",
                    i + 1,
                    *c as char
                ),
            );
        }
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return err(
                "uscc_region",
                "统一社会信用代码第3至8位应为登记管理机关行政区划码".into(),
            );
        }
        if check_char(&bytes[..17]) != Some(bytes[17] as char) {
            return err("uscc_checksum", "统一社会信用代码校验码错误".into());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 登记管理部门代码: 1 机构编制, 5 民政, 9 工商, N 农业 …
    pub fn authority(&self) -> char {
        self.0.as_bytes()[0] as char
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        for ok in ["91350100M000100Y43", "91110000802100433B"] {
            assert!(Uscc::parse("u", ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Uscc::parse("u", "91350100M000100Y42").unwrap_err().code,
            "uscc_checksum"
        );
        assert_eq!(
            Uscc::parse("u", "91350100M000100I43").unwrap_err().code,
            "uscc_character"
        );
        assert_eq!(Uscc::parse("u", "9135").unwrap_err().code, "uscc_length");
    }

    #[test]
    fn rural_collective_letter_authority() {
        let body = b"N2431027MA0000001";
        let code = format!(
            "{}{}",
            std::str::from_utf8(body).unwrap(),
            check_char(body).unwrap()
        );
        let u = Uscc::parse("u", &code).unwrap();
        assert_eq!(u.authority(), 'N');
    }
}

//! 公民身份号码 (GB 11643-1999): 6-digit address code, 8-digit birth date, 3-digit sequence
//! (odd = male) and a check character over ISO 7064 MOD 11-2.

use crate::date::Date;
use crate::FieldError;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// A 身份证号 that passed the checksum and birth-date rules. Holds the canonical form
/// (upper-case X). Never log or display it unmasked: use [`IdNumber::masked`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// The check character for the first 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize] as char
}

impl IdNumber {
    /// Parses and validates. `today` bounds the birth date (no one is born in the future).
    pub fn parse(field: &str, input: &str, today: Date) -> Result<Self, FieldError> {
        let s = input.trim().to_ascii_uppercase();
        let err = |code, msg: &str| Err(FieldError::new(field, code, msg));
        if s.len() != 18 {
            return err("id_number_length", "身份证号应为18位");
        }
        let bytes = s.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit) {
            return err("id_number_format", "身份证号前17位应为数字");
        }
        let last = bytes[17];
        if !(last.is_ascii_digit() || last == b'X') {
            return err("id_number_format", "身份证号最后一位应为数字或X");
        }
        if bytes[..2] == *b"00" {
            return err("id_number_region", "身份证号地址码无效");
        }
        let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
        let year = num(6..10) as i32;
        let birth = match Date::new(year, num(10..12) as u8, num(12..14) as u8) {
            Some(d) if year >= 1850 => d,
            _ => return err("id_number_birth_date", "身份证号中的出生日期不是真实日期"),
        };
        if birth > today {
            return err("id_number_birth_date", "身份证号中的出生日期晚于今天");
        }
        if check_char(&bytes[..17]) != last as char {
            return err("id_number_checksum", "身份证号校验码错误");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> Date {
        let n = |r: std::ops::Range<usize>| self.0[r].parse::<u32>().unwrap_or(0);
        Date {
            year: n(6..10) as i32,
            month: n(10..12) as u8,
            day: n(12..14) as u8,
        }
    }

    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// `4310**********1234`: the province and city, then the last four.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks any stored 身份证号-like string the same way, even one that no longer validates.
pub fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// Builds a valid number from its parts (used by the demo and data generators).
pub fn compose(area6: &str, birth: Date, seq3: u16) -> String {
    let body = format!(
        "{area6}{:04}{:02}{:02}{:03}",
        birth.year,
        birth.month,
        birth.day,
        seq3 % 1000
    );
    let c = check_char(body.as_bytes());
    format!("{body}{c}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 11, 29).unwrap()
    }

    #[test]
    fn accepts_valid_numbers() {
        // The example from GB 11643's annex.
        let id = IdNumber::parse("id", "11010519491231002X", today()).unwrap();
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.birth_date(), Date::new(1949, 12, 31).unwrap());
        let lower = IdNumber::parse("id", "11010519491231002x", today()).unwrap();
        assert_eq!(lower.as_str(), "11010519491231002X");
        let id = IdNumber::parse(
            "id",
            &compose("431027", Date::new(1985, 6, 1).unwrap(), 123),
            today(),
        )
        .unwrap();
        assert_eq!(id.sex(), Sex::Male);
    }

    #[test]
    fn every_wrong_check_char_is_refused() {
        let good = compose("431027", Date::new(1990, 2, 28).unwrap(), 42);
        for c in "0123456789X".chars() {
            let candidate = format!("{}{c}", &good[..17]);
            let r = IdNumber::parse("id", &candidate, today());
            assert_eq!(r.is_ok(), candidate == good, "{candidate}");
            if candidate != good {
                assert_eq!(r.unwrap_err().code, "id_number_checksum");
            }
        }
    }

    #[test]
    fn refuses_bad_dates_and_shapes() {
        let code = |s: &str| IdNumber::parse("id", s, today()).unwrap_err().code;
        assert_eq!(code("43102719900230123"), "id_number_length");
        assert_eq!(code("4310271990023012A4"), "id_number_format");
        // 30 February, built with a correct check character so the date rule is what refuses it.
        let feb30 = format!("43102719900230123{}", check_char(b"43102719900230123"));
        assert_eq!(code(&feb30), "id_number_birth_date");
        let future = compose("431027", Date::new(2027, 1, 1).unwrap(), 1);
        assert_eq!(code(&future), "id_number_birth_date");
        let field = IdNumber::parse("parties[0].id_number", "x", today())
            .unwrap_err()
            .field;
        assert_eq!(field, "parties[0].id_number");
    }

    #[test]
    fn masks_all_but_region_and_last_four() {
        let id = IdNumber::parse("id", "11010519491231002X", today()).unwrap();
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(1101**********002X)");
    }
}

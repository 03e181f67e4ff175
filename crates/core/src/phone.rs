//! Phone numbers as residents give them: an 11-digit mobile (1[3-9]x) or a landline with
//! area code (0xxx-xxxxxxx). Stored canonical (digits, one hyphen for landlines).

use crate::FieldError;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl Phone {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let mut s: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '(' && *c != ')')
            .collect();
        if let Some(rest) = s.strip_prefix("+86") {
            s = rest.trim_start_matches('-').to_string();
        }
        let bytes = s.as_bytes();
        let is_mobile = bytes.len() == 11
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1])
            && bytes.iter().all(u8::is_ascii_digit);
        if is_mobile {
            return Ok(Self(s));
        }
        let digits: String = s.chars().filter(|c| *c != '-').collect();
        let is_landline = digits.starts_with('0')
            && (10..=12).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && s.matches('-').count() <= 1;
        if is_landline {
            let canonical = match s.split_once('-') {
                Some((area, local)) if (3..=4).contains(&area.len()) => format!("{area}-{local}"),
                _ => digits,
            };
            return Ok(Self(canonical));
        }
        Err(FieldError::new(
            field,
            "phone_format",
            "电话号码格式错误：应为11位手机号（如13812345678）或带区号的固话（如0735-1234567）",
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// `138****5678`: the first three and last four characters stay.
pub fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_and_landlines() {
        assert_eq!(
            Phone::parse("p", "138 1234 5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("p", "+86 13812345678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("p", "0735-8888123").unwrap().as_str(),
            "0735-8888123"
        );
        assert_eq!(
            Phone::parse("p", "(0735)8888123").unwrap().as_str(),
            "07358888123"
        );
        for bad in ["12812345678", "1381234567", "abc", "", "0735-88-88123"] {
            let e = Phone::parse("phone", bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.code),
                ("phone", "phone_format"),
                "{bad}"
            );
        }
    }

    #[test]
    fn masks_middle() {
        assert_eq!(
            Phone::parse("p", "13812345678").unwrap().masked(),
            "138****5678"
        );
        assert_eq!(mask("0735-8888123"), "073*****8123");
    }
}

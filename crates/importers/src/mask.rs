//! What an error report may show of a cell: 身份证号 and phones masked, everything else
//! with id- and mobile-like digit runs masked, and cut to a readable length.

use wangge_core::{id_number, phone};

use crate::columns::Col;

/// The longest value an error shows, in characters.
pub(crate) const MAX_VALUE_CHARS: usize = 50;

/// The value of a cell as a [`crate::RowError`] may show it.
pub(crate) fn display_value(col: Col, raw: &str) -> String {
    let raw = raw.trim();
    let shown = match col {
        Col::IdNumber => id_number::mask(raw),
        Col::Phone => phone::mask(raw),
        _ => scrub(raw),
    };
    truncate(&shown, MAX_VALUE_CHARS)
}

/// At most `max` characters; a cut value ends in `…`.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Masks digit runs that look like a 身份证号 (18 characters, the last may be X) or a
/// mobile number (11 digits starting with 1) inside free text: people paste them into
/// 备注, 地址 or the wrong column, and a report must never show them whole.
pub(crate) fn scrub(s: &str) -> String {
    if !s.bytes().any(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i - start == 17 && matches!(chars.get(i), Some('X' | 'x')) {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        match run.len() {
            18 => out.push_str(&id_number::mask(&run)),
            11 if run.starts_with('1') => out.push_str(&phone::mask(&run)),
            _ => out.push_str(&run),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_by_column() {
        assert_eq!(
            display_value(Col::IdNumber, "43102719850601123X"),
            "4310**********123X"
        );
        assert_eq!(display_value(Col::Phone, "13812345678"), "138****5678");
        assert_eq!(display_value(Col::Name, "张三"), "张三");
        assert_eq!(display_value(Col::IdNumber, "123"), "***");
    }

    #[test]
    fn scrubs_free_text() {
        assert_eq!(
            scrub("户主电话13812345678，身份证43102719850601123x"),
            "户主电话138****5678，身份证4310**********123x"
        );
        // Region codes (12–21 digits) and short numbers stay.
        assert_eq!(scrub("431027100202001010101"), "431027100202001010101");
        assert_eq!(scrub("3组12号"), "3组12号");
    }

    #[test]
    fn truncates_long_values() {
        let long = "长".repeat(80);
        let t = display_value(Col::Address, &long);
        assert_eq!(t.chars().count(), MAX_VALUE_CHARS);
        assert!(t.ends_with('…'));
    }
}

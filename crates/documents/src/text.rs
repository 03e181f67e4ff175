//! Text helpers: cleaning caller text against the font's coverage, Chinese numerals and dates.

use std::collections::HashSet;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::font::{Metrics, PLACEHOLDER};

/// Cleans text for drawing: line ends normalised to `\n`, tabs to spaces, control and
/// invisible formatting characters dropped, and every character the font lacks replaced by
/// [`PLACEHOLDER`] and remembered (once, in order of first appearance).
pub(crate) struct Sanitizer<'m> {
    metrics: &'m Metrics<'static>,
    missing: Vec<char>,
    seen: HashSet<char>,
}

impl<'m> Sanitizer<'m> {
    pub(crate) fn new(metrics: &'m Metrics<'static>) -> Self {
        Self {
            metrics,
            missing: Vec::new(),
            seen: HashSet::new(),
        }
    }

    pub(crate) fn clean(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => {
                    if chars.peek() != Some(&'\n') {
                        out.push('\n');
                    }
                }
                '\n' => out.push('\n'),
                '\t' => out.push(' '),
                c if is_invisible(c) => {}
                c if self.metrics.has(c) => out.push(c),
                c => {
                    if self.seen.insert(c) {
                        self.missing.push(c);
                    }
                    out.push(PLACEHOLDER);
                }
            }
        }
        out
    }

    pub(crate) fn into_missing(self) -> Vec<char> {
        self.missing
    }
}

/// Characters that draw nothing and are dropped: controls, zero-width formatting characters,
/// byte order marks and variation selectors.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
        || matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// `2026-03-01` → `2026年3月1日`; `None` unless `s` is a real date in that form.
pub(crate) fn chinese_date(s: &str) -> Option<String> {
    let date = parse_date(s)?;
    Some(format!(
        "{}年{}月{}日",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

pub(crate) fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]")).ok()
}

/// A confirmation time as printed: an RFC 3339 timestamp becomes `2026-03-01 10:20` (in its
/// own offset); `2026-03-01T10:20` loses its `T`; anything else is printed as given.
pub(crate) fn display_time(s: &str) -> String {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        if let Ok(text) = t.format(format_description!("[year]-[month]-[day] [hour]:[minute]")) {
            return text;
        }
    }
    match s.split_once('T') {
        Some((date, time)) if parse_date(date).is_some() => format!("{date} {time}"),
        _ => s.to_string(),
    }
}

/// Chinese numerals as written in documents: 一, 十, 十二, 二十, 一百零五. Numbers past 9999
/// are written in Arabic digits.
pub(crate) fn chinese_number(n: u32) -> String {
    const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    const UNITS: [&str; 4] = ["千", "百", "十", ""];
    if n == 0 {
        return "零".into();
    }
    if n > 9999 {
        return n.to_string();
    }
    if (10..20).contains(&n) {
        // 十一, not 一十一.
        let ones = n % 10;
        return if ones == 0 {
            "十".into()
        } else {
            format!("十{}", DIGITS[ones as usize])
        };
    }
    let digits = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
    let mut out = String::new();
    let mut pending_zero = false;
    for (i, &d) in digits.iter().enumerate() {
        if d == 0 {
            pending_zero = !out.is_empty();
            continue;
        }
        if pending_zero {
            out.push('零');
            pending_zero = false;
        }
        out.push(DIGITS[d as usize]);
        out.push_str(UNITS[i]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals() {
        let cases = [
            (1, "一"),
            (3, "三"),
            (10, "十"),
            (11, "十一"),
            (20, "二十"),
            (21, "二十一"),
            (100, "一百"),
            (105, "一百零五"),
            (110, "一百一十"),
            (1001, "一千零一"),
            (2026, "二千零二十六"),
            (12345, "12345"),
        ];
        for (n, want) in cases {
            assert_eq!(chinese_number(n), want, "{n}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(chinese_date("2026-03-01").as_deref(), Some("2026年3月1日"));
        assert_eq!(
            chinese_date(" 2026-12-31 ").as_deref(),
            Some("2026年12月31日")
        );
        assert_eq!(chinese_date("2026-02-30"), None);
        assert_eq!(chinese_date("2026/03/01"), None);
        assert_eq!(chinese_date(""), None);
    }

    #[test]
    fn times() {
        assert_eq!(
            display_time("2026-03-01T10:20:33+08:00"),
            "2026-03-01 10:20"
        );
        assert_eq!(display_time("2026-03-01T02:20:33.5Z"), "2026-03-01 02:20");
        assert_eq!(display_time("2026-03-01T10:20"), "2026-03-01 10:20");
        assert_eq!(display_time(" 2026-03-01 10:35 "), "2026-03-01 10:35");
        assert_eq!(display_time("三月一日上午"), "三月一日上午");
    }

    #[test]
    fn sanitizer_replaces_and_reports_once() {
        let metrics = Metrics::embedded().unwrap();
        let mut s = Sanitizer::new(&metrics);
        assert_eq!(s.clean("龘王\r\n龘\t𠀀\u{200B}x\u{FE0F}"), "□王\n□ □x");
        assert_eq!(s.clean("甲\r乙"), "甲\n乙");
        assert_eq!(s.into_missing(), vec!['龘', '𠀀']);
    }
}

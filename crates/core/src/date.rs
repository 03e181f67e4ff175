//! Minimal proleptic Gregorian helpers used by validation (birth dates) without pulling a
//! date library into the core.

/// A calendar date (year, month, day) known to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self { year, month, day })
    }

    /// Days since 1970-01-01 (negative before), by Howard Hinnant's algorithm.
    pub fn to_days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(days: i64) -> Self {
        let z = days + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_iso(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| {
            s.get(r)
                .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))?
                .parse::<u32>()
                .ok()
        };
        Date::new(num(0..4)? as i32, num(5..7)? as u8, num(8..10)? as u8)
    }

    /// The UTC+8 calendar date of a Unix timestamp in milliseconds (China has one time zone).
    pub fn from_unix_millis_cst(ms: i64) -> Self {
        Self::from_days((ms + 8 * 3_600_000).div_euclid(86_400_000))
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_days() {
        for d in [-800_000_i64, -1, 0, 1, 10_957, 20_000, 2_932_896] {
            assert_eq!(Date::from_days(d).to_days(), d);
        }
        assert_eq!(Date::from_days(0), Date::new(1970, 1, 1).unwrap());
        assert_eq!(Date::new(2026, 11, 29).unwrap().to_days(), 20_786);
    }

    #[test]
    fn rejects_impossible_dates() {
        assert!(Date::new(2023, 2, 29).is_none());
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(2024, 13, 1).is_none());
        assert!(Date::new(2024, 4, 31).is_none());
    }

    #[test]
    fn parses_iso_dates() {
        assert_eq!(Date::parse_iso("2026-02-17"), Date::new(2026, 2, 17));
        for bad in ["2026-2-17", "2026-02-30", "20260217", "2026-02-1x", ""] {
            assert_eq!(Date::parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn cst_date_of_timestamp() {
        // 2026-01-01T16:00:00Z is already 2 January in Beijing.
        assert_eq!(
            Date::from_unix_millis_cst(1_767_283_200_000),
            Date::new(2026, 1, 2).unwrap()
        );
    }
}

//! Working-hour limits (工作时): local wall-clock times and the office hours they count in.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::{add_days, Calendar, OutOfRange};
use crate::date::Date;
use crate::FieldError;

const MINUTES_PER_DAY: u16 = 24 * 60;
const MS_PER_MINUTE: i64 = 60_000;
/// China Standard Time is UTC+8 all year, so local time is a fixed shift of Unix time.
const CST_OFFSET_MINUTES: i64 = 8 * 60;

/// A wall-clock moment in China Standard Time, to the minute.
///
/// `minute` runs from 0 to 1440; 1440 is 24:00, the end of the day, which is how the
/// Civil Code (art. 203) states when a period's last day ends. 24:00 on one day and 00:00
/// on the next are the same moment, so equality and ordering compare moments.
#[derive(Debug, Clone, Copy)]
pub struct LocalDateTime {
    date: Date,
    minute: u16,
}

impl LocalDateTime {
    /// `hour:minute` on `date`; `24:00` is allowed and means the end of the day.
    pub fn new(date: Date, hour: u8, minute: u8) -> Option<Self> {
        if minute >= 60 {
            return None;
        }
        Self::at_minute(date, u16::from(hour) * 60 + u16::from(minute))
    }

    /// `minute_of_day` minutes after midnight (0..=1440).
    pub fn at_minute(date: Date, minute_of_day: u16) -> Option<Self> {
        (minute_of_day <= MINUTES_PER_DAY).then_some(Self {
            date,
            minute: minute_of_day,
        })
    }

    /// 24:00 of `date`, when a day-based period ends.
    pub fn end_of_day(date: Date) -> Self {
        Self {
            date,
            minute: MINUTES_PER_DAY,
        }
    }

    pub fn date(self) -> Date {
        self.date
    }

    pub fn minute_of_day(self) -> u16 {
        self.minute
    }

    /// The local minute containing a Unix timestamp (seconds are dropped, so a limit
    /// counted from it can only come out earlier, never later).
    pub fn from_unix_millis_cst(ms: i64) -> Self {
        let minutes = ms.div_euclid(MS_PER_MINUTE) + CST_OFFSET_MINUTES;
        let day_minutes = i64::from(MINUTES_PER_DAY);
        Self {
            date: Date::from_days(minutes.div_euclid(day_minutes)),
            // rem_euclid of 1440 always fits in u16.
            minute: minutes.rem_euclid(day_minutes) as u16,
        }
    }

    pub fn to_unix_millis_cst(self) -> i64 {
        (self.moment() - CST_OFFSET_MINUTES) * MS_PER_MINUTE
    }

    /// Minutes since 1970-01-01 00:00 local time: the moment this value denotes.
    fn moment(self) -> i64 {
        self.date.to_days() * i64::from(MINUTES_PER_DAY) + i64::from(self.minute)
    }
}

impl PartialEq for LocalDateTime {
    fn eq(&self, other: &Self) -> bool {
        self.moment() == other.moment()
    }
}

impl Eq for LocalDateTime {}

impl PartialOrd for LocalDateTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for LocalDateTime {
    fn cmp(&self, other: &Self) -> Ordering {
        self.moment().cmp(&other.moment())
    }
}

impl Hash for LocalDateTime {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.moment().hash(state);
    }
}

impl std::fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.date, hhmm(self.minute))
    }
}

/// The daily office hours in which working hours are counted: ascending, non-overlapping
/// intervals of minutes since midnight. Configured as a list of `"HH:MM-HH:MM"` strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct OfficeHours {
    intervals: Vec<(u16, u16)>,
}

impl Default for OfficeHours {
    /// 08:30–12:00 and 14:30–17:30, the common county office day.
    fn default() -> Self {
        Self {
            intervals: vec![(8 * 60 + 30, 12 * 60), (14 * 60 + 30, 17 * 60 + 30)],
        }
    }
}

impl OfficeHours {
    /// Intervals as (start, end) minutes since midnight; each must be non-empty, within
    /// the day, and after the previous one. At least one is required, or no working-hour
    /// limit could ever expire.
    pub fn new(intervals: &[(u16, u16)]) -> Result<Self, FieldError> {
        if intervals.is_empty() {
            return Err(FieldError::new(
                "office_hours",
                "office_hours_empty",
                "至少需要一个办公时段",
            ));
        }
        let mut previous_end = 0;
        for (i, &(start, end)) in intervals.iter().enumerate() {
            if start >= end || end > MINUTES_PER_DAY || start < previous_end {
                return Err(FieldError::new(
                    format!("office_hours[{i}]"),
                    "office_hours_invalid",
                    format!(
                        "办公时段 {}-{} 无效：须在一天之内、开始早于结束、按时间先后且互不重叠",
                        hhmm(start),
                        hhmm(end)
                    ),
                ));
            }
            previous_end = end;
        }
        Ok(Self {
            intervals: intervals.to_vec(),
        })
    }

    pub fn intervals(&self) -> &[(u16, u16)] {
        &self.intervals
    }
}

impl TryFrom<Vec<String>> for OfficeHours {
    type Error = FieldError;

    fn try_from(specs: Vec<String>) -> Result<Self, FieldError> {
        let mut intervals = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            let parsed = spec
                .split_once('-')
                .and_then(|(a, b)| Some((parse_hhmm(a.trim())?, parse_hhmm(b.trim())?)));
            let interval = parsed.ok_or_else(|| {
                FieldError::new(
                    format!("office_hours[{i}]"),
                    "office_hours_invalid",
                    format!("“{spec}” 不是 HH:MM-HH:MM 格式的办公时段"),
                )
            })?;
            intervals.push(interval);
        }
        Self::new(&intervals)
    }
}

impl From<OfficeHours> for Vec<String> {
    fn from(hours: OfficeHours) -> Self {
        hours
            .intervals
            .iter()
            .map(|&(s, e)| format!("{}-{}", hhmm(s), hhmm(e)))
            .collect()
    }
}

impl Calendar {
    /// The moment `hours` office hours after `start`, counting only office hours on
    /// workdays. A limit that runs out exactly at the end of an interval is due then
    /// (17:30), not at the next opening. `hours = 0` is due at `start`.
    pub fn due_after_working_hours(
        &self,
        start: LocalDateTime,
        hours: u32,
        office: &OfficeHours,
    ) -> Result<LocalDateTime, OutOfRange> {
        let mut left = u64::from(hours) * 60;
        if left == 0 {
            return Ok(start);
        }
        let mut date = start.date;
        let mut from = start.minute;
        loop {
            if self.is_workday(date)?.is_workday() {
                for &(open, close) in &office.intervals {
                    let begin = open.max(from);
                    if begin >= close {
                        continue;
                    }
                    let available = close - begin;
                    if left <= u64::from(available) {
                        // left <= available < 1440, so the cast is lossless.
                        let minute = begin + left as u16;
                        return Ok(LocalDateTime { date, minute });
                    }
                    left -= u64::from(available);
                }
            }
            // The loop ends: each iteration moves a day on, and is_workday refuses the
            // first day past the loaded years.
            date = add_days(date, 1);
            from = 0;
        }
    }
}

fn hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Parses `HH:MM` (24:00 allowed as an interval end).
fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    let two_digits = |p: &str| p.len() == 2 && p.bytes().all(|c| c.is_ascii_digit());
    if !two_digits(h) || !two_digits(m) {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    (m < 60 && h * 60 + m <= MINUTES_PER_DAY).then_some(h * 60 + m)
}

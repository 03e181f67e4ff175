//! China's working-day calendar and the deadline arithmetic built on it.
//!
//! Which days are worked is not computable: the State Council announces each year's
//! 放假/调休 arrangement in November, and the pattern changes (2026's Spring Festival
//! starts on 腊月二十八, 2025's on 除夕). So the calendar is *data*: a table per year loaded
//! from TOML (`data/calendar/cn-holidays.toml` is embedded as the default), plus local
//! overrides an administrator adds (a minority-ethnic festival, a declared workday).
//! Any date in a year without a table is refused with [`OutOfRange`], never guessed as
//! plain Monday–Friday.
//!
//! Deadlines come in three kinds ([`TimeLimit`]):
//! - calendar days ("日" in 信访工作条例, 人民调解法): Civil Code art. 201/203 — the start day
//!   is not counted, and a period whose last day is a rest day ends on the next workday;
//! - working days (工作日): the n-th workday after the start day;
//! - working hours (工作时, 数字城管): counted inside configurable [`OfficeHours`].

mod hours;
mod load;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::date::Date;
use crate::FieldError;

pub use hours::{LocalDateTime, OfficeHours};
pub use load::CalendarError;

/// The national arrangements shipped with wangge; a deployment adds a year by editing it.
const CHINA_DEFAULT_TOML: &str = include_str!("../../../data/calendar/cn-holidays.toml");

/// What kind of day a date is, with the name people expect to see next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayKind {
    /// An ordinary Monday–Friday.
    Workday,
    /// An ordinary Saturday or Sunday (周末).
    Weekend,
    /// A rest day of a national holiday arrangement, including the weekend days inside it.
    Holiday { name: String },
    /// A Saturday or Sunday worked to make up for `holiday` (调休上班).
    MakeupWorkday { holiday: String },
    /// A rest day added locally by an administrator.
    LocalRestDay { name: String },
    /// A workday declared locally by an administrator.
    LocalWorkday { name: String },
}

impl DayKind {
    pub fn is_workday(&self) -> bool {
        matches!(
            self,
            DayKind::Workday | DayKind::MakeupWorkday { .. } | DayKind::LocalWorkday { .. }
        )
    }

    /// The label shown beside the date: the holiday's name, 周末, 调休上班 or 工作日.
    pub fn label(&self) -> &str {
        match self {
            DayKind::Workday => "工作日",
            DayKind::Weekend => "周末",
            DayKind::MakeupWorkday { .. } => "调休上班",
            DayKind::Holiday { name }
            | DayKind::LocalRestDay { name }
            | DayKind::LocalWorkday { name } => name,
        }
    }
}

/// Whether a specially listed day is worked or rested (used for local overrides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverrideKind {
    Workday,
    RestDay,
}

/// A deadline rule as a workflow stores it. In TOML or JSON it is a one-key table:
/// `{ days = 15 }` (calendar days), `{ working_days = 5 }` or `{ working_hours = 4 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeLimit {
    /// "日": calendar days, start day not counted, a last day that is a rest day rolls
    /// forward to the next workday.
    #[serde(rename = "days")]
    CalendarDays(u32),
    /// "工作日": the n-th workday after the start day.
    WorkingDays(u32),
    /// "工作时": hours counted inside the calendar's office hours on workdays.
    WorkingHours(u32),
}

/// A computation needed a day from a year whose arrangement is not loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct OutOfRange {
    /// The first date that could not be classified.
    pub date: Date,
    /// The years that are loaded, ascending.
    pub loaded_years: Vec<i32>,
}

impl std::fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let years: Vec<String> = self.loaded_years.iter().map(i32::to_string).collect();
        write!(
            f,
            "{} is outside the loaded holiday calendar (loaded years: {}); add that year's \
             State Council notice before computing with it",
            self.date,
            years.join(", ")
        )
    }
}

impl From<OutOfRange> for FieldError {
    fn from(e: OutOfRange) -> Self {
        FieldError::new(
            "date",
            "calendar_out_of_range",
            format!("{}年的节假日安排尚未加载，无法计算期限", e.date.year),
        )
    }
}

/// A date the arrangement lists specially, with the name it is listed under.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Special {
    kind: OverrideKind,
    name: String,
}

/// The working-day calendar: loaded national arrangements, local overrides and the
/// office hours used for working-hour limits.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// Loaded years and the notice each comes from; dates in other years are refused.
    years: BTreeMap<i32, Option<String>>,
    /// Days the national arrangement sets apart from the Monday–Friday default.
    national: BTreeMap<Date, Special>,
    /// Local decisions; they win over the national table and over weekends.
    overrides: BTreeMap<Date, Special>,
    office_hours: OfficeHours,
}

impl Calendar {
    /// Parses and checks a holiday file (format described at the top of
    /// `data/calendar/cn-holidays.toml`). Errors name the line and field.
    pub fn from_toml(text: &str) -> Result<Calendar, CalendarError> {
        let (years, national) = load::parse(text)?;
        Ok(Calendar {
            years,
            national,
            overrides: BTreeMap::new(),
            office_hours: OfficeHours::default(),
        })
    }

    /// The national calendar embedded in the binary. Errors only if the embedded file was
    /// edited badly, which the tests catch before release.
    pub fn china_default() -> Result<Calendar, CalendarError> {
        Calendar::from_toml(CHINA_DEFAULT_TOML)
    }

    /// The loaded years, ascending.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// The notice a loaded year's arrangement was taken from, if the file names it.
    pub fn notice(&self, year: i32) -> Option<&str> {
        self.years.get(&year).and_then(|n| n.as_deref())
    }

    pub fn office_hours(&self) -> &OfficeHours {
        &self.office_hours
    }

    /// Sets the office hours that [`Calendar::due`] uses for working-hour limits.
    pub fn set_office_hours(&mut self, office_hours: OfficeHours) {
        self.office_hours = office_hours;
    }

    /// Makes `date` a workday or rest day locally, replacing any earlier override of that
    /// date. Refused outside the loaded years: the rest of such a year is still unknown.
    pub fn add_override(
        &mut self,
        date: Date,
        kind: OverrideKind,
        name: impl Into<String>,
    ) -> Result<(), OutOfRange> {
        self.check_loaded(date)?;
        let name = name.into();
        self.overrides.insert(date, Special { kind, name });
        Ok(())
    }

    /// Removes a local override; returns whether there was one.
    pub fn remove_override(&mut self, date: Date) -> bool {
        self.overrides.remove(&date).is_some()
    }

    /// The local overrides in date order, e.g. to persist or list them.
    pub fn overrides(&self) -> impl Iterator<Item = (Date, OverrideKind, &str)> + '_ {
        self.overrides
            .iter()
            .map(|(d, s)| (*d, s.kind, s.name.as_str()))
    }

    /// Classifies a date: workday or rest day, and why (holiday name, 周末, 调休上班).
    /// Use [`DayKind::is_workday`] for the yes/no answer.
    pub fn is_workday(&self, date: Date) -> Result<DayKind, OutOfRange> {
        self.check_loaded(date)?;
        if let Some(s) = self.overrides.get(&date) {
            let name = s.name.clone();
            return Ok(match s.kind {
                OverrideKind::Workday => DayKind::LocalWorkday { name },
                OverrideKind::RestDay => DayKind::LocalRestDay { name },
            });
        }
        if let Some(s) = self.national.get(&date) {
            let name = s.name.clone();
            return Ok(match s.kind {
                OverrideKind::Workday => DayKind::MakeupWorkday { holiday: name },
                OverrideKind::RestDay => DayKind::Holiday { name },
            });
        }
        Ok(if is_weekend(date) {
            DayKind::Weekend
        } else {
            DayKind::Workday
        })
    }

    /// The last day of a period of `days` calendar days starting on `start` (Civil Code
    /// art. 201/203): day 1 is the day after `start`; if the last day is a rest day the
    /// period ends on the first workday after it. `days = 0` means the start day itself
    /// (rolled forward the same way). Only the days actually consulted must be loaded.
    pub fn due_after_days(&self, start: Date, days: u32) -> Result<Date, OutOfRange> {
        self.first_workday_from(add_days(start, i64::from(days)))
    }

    /// The `n`-th workday after `start` (the start day is not counted, whatever it is).
    /// `n = 0` returns `start` unchanged: nothing is left to count.
    pub fn due_after_working_days(&self, start: Date, n: u32) -> Result<Date, OutOfRange> {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = add_days(day, 1);
            if self.is_workday(day)?.is_workday() {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// The moment a time limit expires for something started at `start`. Day-based limits
    /// expire at 24:00 of their last day (Civil Code art. 203); working-hour limits use
    /// this calendar's office hours.
    pub fn due(&self, start: LocalDateTime, limit: TimeLimit) -> Result<LocalDateTime, OutOfRange> {
        match limit {
            TimeLimit::CalendarDays(n) => self
                .due_after_days(start.date(), n)
                .map(LocalDateTime::end_of_day),
            TimeLimit::WorkingDays(n) => self
                .due_after_working_days(start.date(), n)
                .map(LocalDateTime::end_of_day),
            TimeLimit::WorkingHours(n) => {
                self.due_after_working_hours(start, n, &self.office_hours)
            }
        }
    }

    fn first_workday_from(&self, mut day: Date) -> Result<Date, OutOfRange> {
        while !self.is_workday(day)?.is_workday() {
            day = add_days(day, 1);
        }
        Ok(day)
    }

    fn check_loaded(&self, date: Date) -> Result<(), OutOfRange> {
        if self.years.contains_key(&date.year) {
            Ok(())
        } else {
            Err(OutOfRange {
                date,
                loaded_years: self.years().collect(),
            })
        }
    }
}

fn add_days(date: Date, days: i64) -> Date {
    Date::from_days(date.to_days() + days)
}

/// Saturday or Sunday. 1970-01-01 (day 0) was a Thursday, so Monday is (days + 3) % 7 == 0.
fn is_weekend(date: Date) -> bool {
    (date.to_days() + 3).rem_euclid(7) >= 5
}

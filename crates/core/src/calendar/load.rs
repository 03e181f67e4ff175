//! Reading and checking the holiday file. The file is edited by hand once a year, so
//! every mistake that would silently shift a deadline (a typo in a date, a make-up
//! "workday" that is already a weekday, a day listed twice) is refused with its line.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{add_days, is_weekend, OverrideKind, Special};
use crate::date::Date;
use crate::FieldError;

/// The longest rest period accepted in one holiday. The longest announced so far is nine
/// days (春节 2026); anything much longer is a typo such as `to = 10-18` for `10-08`.
const MAX_REST_DAYS: i64 = 14;

/// A holiday file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CalendarError {
    /// 1-based line in the file, when the problem can be placed.
    pub line: Option<usize>,
    /// Path of the offending field, e.g. `2025.holiday[1].to`; empty for syntax errors.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for CalendarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl From<CalendarError> for FieldError {
    fn from(e: CalendarError) -> Self {
        let field = if e.field.is_empty() {
            "calendar".to_string()
        } else {
            e.field.clone()
        };
        FieldError::new(field, "calendar_invalid", e.to_string())
    }
}

/// One `[YYYY]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearTable {
    notice: Option<String>,
    #[serde(default)]
    holiday: Vec<HolidayTable>,
}

/// One `[[YYYY.holiday]]` entry. Dates are kept as raw values with their position so that
/// a bad one is reported at its own line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayTable {
    name: Spanned<String>,
    from: Spanned<toml::Value>,
    to: Spanned<toml::Value>,
    #[serde(default)]
    makeup_workdays: Vec<Spanned<toml::Value>>,
    /// A remark for readers of the file; not interpreted.
    #[serde(default, rename = "note")]
    _note: Option<String>,
}

pub(super) type Years = BTreeMap<i32, Option<String>>;
pub(super) type Days = BTreeMap<Date, Special>;

/// Parses the file into the loaded years (with their notices) and the specially listed days.
pub(super) fn parse(text: &str) -> Result<(Years, Days), CalendarError> {
    let tables: BTreeMap<Spanned<String>, Spanned<YearTable>> =
        toml::from_str(text).map_err(|e| CalendarError {
            line: e.span().map(|s| line_of(text, s.start)),
            field: String::new(),
            message: e.message().to_string(),
        })?;

    let mut loader = Loader {
        text,
        years: BTreeMap::new(),
        days: BTreeMap::new(),
    };
    for (key, table) in &tables {
        loader.year(key, table)?;
    }
    let days = loader.days.into_iter().map(|(d, (s, _))| (d, s)).collect();
    Ok((loader.years, days))
}

struct Loader<'a> {
    text: &'a str,
    years: Years,
    /// Each listed day with the line that listed it, to point at both places of a clash.
    days: BTreeMap<Date, (Special, usize)>,
}

impl Loader<'_> {
    fn year(
        &mut self,
        key: &Spanned<String>,
        table: &Spanned<YearTable>,
    ) -> Result<(), CalendarError> {
        let line = self.line(key);
        let year = key
            .get_ref()
            .parse::<i32>()
            .ok()
            .filter(|y| (1000..=9999).contains(y))
            .ok_or_else(|| {
                err(
                    line,
                    key.get_ref(),
                    "a table name must be a four-digit year, such as [2025]",
                )
            })?;
        if self.years.contains_key(&year) {
            // Only possible through spellings like [02025] next to [2025].
            return Err(err(line, key.get_ref(), format!("{year} is listed twice")));
        }
        let t = table.get_ref();
        if t.holiday.is_empty() {
            // A year without holidays would be "loaded" as plain Monday–Friday: a guess.
            return Err(err(
                line,
                &year.to_string(),
                "lists no [[holiday]]; a year is loaded only from its State Council notice",
            ));
        }
        for (i, h) in t.holiday.iter().enumerate() {
            self.holiday(year, &format!("{year}.holiday[{i}]"), h)?;
        }
        self.years.insert(year, t.notice.clone());
        Ok(())
    }

    fn holiday(&mut self, year: i32, path: &str, h: &HolidayTable) -> Result<(), CalendarError> {
        let name = h.name.get_ref().trim();
        if name.is_empty() {
            return Err(err(self.line(&h.name), &format!("{path}.name"), "is empty"));
        }
        let from = self.date(year, &format!("{path}.from"), &h.from)?;
        let to = self.date(year, &format!("{path}.to"), &h.to)?;
        let rest_days = to.to_days() - from.to_days() + 1;
        if rest_days < 1 {
            return Err(err(
                self.line(&h.to),
                &format!("{path}.to"),
                format!("{to} is before `from` {from}"),
            ));
        }
        if rest_days > MAX_REST_DAYS {
            return Err(err(
                self.line(&h.to),
                &format!("{path}.to"),
                format!(
                    "{from} to {to} is {rest_days} days; \
                     a rest period is at most {MAX_REST_DAYS} days"
                ),
            ));
        }
        for offset in 0..rest_days {
            let day = add_days(from, offset);
            self.list(
                day,
                OverrideKind::RestDay,
                name,
                self.line(&h.from),
                &format!("{path}.from"),
            )?;
        }
        for (i, raw) in h.makeup_workdays.iter().enumerate() {
            let field = format!("{path}.makeup_workdays[{i}]");
            let day = self.date(year, &field, raw)?;
            if !is_weekend(day) {
                // 调休上班 only ever turns a Saturday or Sunday into a workday.
                return Err(err(
                    self.line(raw),
                    &field,
                    format!(
                        "{day} is a weekday already; \
                         a make-up workday must be a Saturday or Sunday"
                    ),
                ));
            }
            self.list(day, OverrideKind::Workday, name, self.line(raw), &field)?;
        }
        Ok(())
    }

    /// Records one listed day, refusing a date that another entry already listed.
    fn list(
        &mut self,
        day: Date,
        kind: OverrideKind,
        name: &str,
        line: usize,
        field: &str,
    ) -> Result<(), CalendarError> {
        if let Some((first, first_line)) = self.days.get(&day) {
            return Err(err(
                line,
                field,
                format!(
                    "{day} is already listed by {} (line {first_line})",
                    first.name
                ),
            ));
        }
        let name = name.to_string();
        self.days.insert(day, (Special { kind, name }, line));
        Ok(())
    }

    /// A date value: a TOML date (`2025-01-28`) or the same written as a string. It must lie
    /// in the table's year or in December of the year before (元旦 rest periods and their
    /// make-up days have started there, e.g. 2018-12-29 for 2019).
    fn date(
        &self,
        year: i32,
        field: &str,
        raw: &Spanned<toml::Value>,
    ) -> Result<Date, CalendarError> {
        let line = self.line(raw);
        let parsed = match raw.get_ref() {
            toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt
                .date
                .and_then(|d| Date::new(i32::from(d.year), d.month, d.day)),
            toml::Value::String(s) => parse_date(s),
            _ => None,
        };
        let date = parsed.ok_or_else(|| {
            err(
                line,
                field,
                format!("`{}` is not a date like 2025-01-28", raw.get_ref()),
            )
        })?;
        let in_year = date.year == year || (date.year == year - 1 && date.month == 12);
        if !in_year {
            return Err(err(
                line,
                field,
                format!("{date} is not in {year} (or December {})", year - 1),
            ));
        }
        Ok(date)
    }

    fn line<T>(&self, spanned: &Spanned<T>) -> usize {
        line_of(self.text, spanned.span().start)
    }
}

fn err(line: usize, field: &str, message: impl Into<String>) -> CalendarError {
    CalendarError {
        line: Some(line),
        field: field.to_string(),
        message: message.into(),
    }
}

/// 1-based line number of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parses exactly `YYYY-MM-DD`.
fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = u8::try_from(digits(5..7)?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    Date::new(year, month, day)
}

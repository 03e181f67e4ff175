//! The weights, thresholds and word lists of the risk score, read from TOML and checked.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::RiskLevel;
use crate::FieldError;

/// The shipped rules; a deployment replaces them with its own file.
const DEFAULT_TOML: &str = include_str!("../../../../data/risk/default.toml");

/// The machine code of every refused rules file.
pub const RULES_INVALID: &str = "risk_rules_invalid";

/// Everything the score is made of (see `data/risk/default.toml`, which documents the
/// format). Build it with [`RiskRules::from_toml`] or [`RiskRules::defaults`], which check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskRules {
    /// Disputes at this level or above go on the watch list.
    pub watch_level: RiskLevel,
    pub levels: LevelThresholds,
    pub threat_words: WordRule,
    pub self_harm_words: WordRule,
    pub failed_mediations: CountRule,
    pub prior_disputes_same_parties: CountRule,
    pub prior_disputes_same_households: CountRule,
    pub vulnerable_parties: CountRule,
    pub petitions: CountRule,
    pub escalations: CountRule,
    /// Days since registration; the highest tier exceeded counts.
    pub age: Vec<AgeTier>,
    /// Amount in dispute; the highest tier exceeded counts.
    pub amount: Vec<AmountTier>,
    /// Number of parties (群体性); the highest tier reached counts.
    pub many_parties: Vec<PartiesTier>,
    /// Category factors; the longest matching id counts.
    pub category: Vec<CategoryRule>,
}

/// Score thresholds of the levels; a score below `medium` is low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelThresholds {
    pub medium: u32,
    pub high: u32,
    pub critical: u32,
}

/// Words searched in the text: `points_each` per distinct word found, at most `max_points`.
/// An `except` phrase hides every listed word inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WordRule {
    pub points_each: u32,
    pub max_points: u32,
    pub words: Vec<String>,
    #[serde(default)]
    pub except: Vec<String>,
}

/// A count: `points_each` per unit, at most `max_points`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountRule {
    pub points_each: u32,
    pub max_points: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgeTier {
    /// Counts when the dispute is older than this many days.
    pub over_days: i64,
    pub points: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmountTier {
    /// Counts when the amount in dispute exceeds this many 元.
    pub over_yuan: f64,
    pub points: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartiesTier {
    /// Counts when the dispute has at least this many parties.
    pub at_least: u32,
    pub points: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryRule {
    /// A category id or a parent of it (`dispute` covers `dispute.family`).
    pub id: String,
    /// Named in the explanation.
    pub name: String,
    pub points: u32,
}

impl RiskRules {
    /// Reads and checks a rules file. Unknown and missing keys, wrong types, unordered
    /// thresholds or tiers, empty or duplicated words are refused; the error's `field` names
    /// the key (e.g. `threat_words.points_each`) and its message the line.
    pub fn from_toml(text: &str) -> Result<RiskRules, FieldError> {
        let rules: RiskRules = toml::from_str(text).map_err(|e| reader_error(text, &e))?;
        rules.check()?;
        Ok(rules)
    }

    /// The embedded `data/risk/default.toml`.
    ///
    /// # Panics
    /// Never in a released build: the shipped file is checked by the tests.
    pub fn defaults() -> RiskRules {
        match Self::from_toml(DEFAULT_TOML) {
            Ok(r) => r,
            Err(e) => panic!("shipped risk rules are invalid: {e}"),
        }
    }

    /// The level of a score.
    pub fn level_for(&self, score: u32) -> RiskLevel {
        let l = &self.levels;
        if score >= l.critical {
            RiskLevel::Critical
        } else if score >= l.high {
            RiskLevel::High
        } else if score >= l.medium {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        }
    }

    /// Checks what the TOML reader cannot: the same rules apply to values built in code
    /// and to deserialized JSON, so callers that build rules otherwise may call it too.
    pub fn check(&self) -> Result<(), FieldError> {
        let l = &self.levels;
        if !(1 <= l.medium && l.medium < l.high && l.high < l.critical && l.critical <= 100) {
            return Err(invalid(
                "levels",
                format!(
                    "thresholds must satisfy 1 ≤ medium < high < critical ≤ 100 \
                     (got {}, {}, {})",
                    l.medium, l.high, l.critical
                ),
            ));
        }
        let mut seen: Vec<&str> = Vec::new();
        for (name, rule) in [
            ("threat_words", &self.threat_words),
            ("self_harm_words", &self.self_harm_words),
        ] {
            for (key, list) in [("words", &rule.words), ("except", &rule.except)] {
                for w in list {
                    let field = format!("{name}.{key}");
                    if w.trim().is_empty() || w.trim() != w {
                        return Err(invalid(&field, format!("word {w:?} is empty or padded")));
                    }
                    if seen.contains(&w.as_str()) {
                        return Err(invalid(&field, format!("word {w:?} is listed twice")));
                    }
                    seen.push(w);
                }
            }
        }
        strictly_increasing("age", self.age.iter().map(|t| t.over_days as f64))?;
        if let Some((i, t)) =
            (self.amount.iter().enumerate()).find(|(_, t)| !t.over_yuan.is_finite())
        {
            return Err(invalid(
                &format!("amount[{i}].over_yuan"),
                format!("{} is not a finite number", t.over_yuan),
            ));
        }
        strictly_increasing("amount", self.amount.iter().map(|t| t.over_yuan))?;
        strictly_increasing(
            "many_parties",
            self.many_parties.iter().map(|t| f64::from(t.at_least)),
        )?;
        for (i, c) in self.category.iter().enumerate() {
            let field = format!("category[{i}].id");
            if c.id.is_empty() || c.id.split('.').any(str::is_empty) {
                return Err(invalid(&field, format!("{:?} is not a category id", c.id)));
            }
            if self.category[..i].iter().any(|o| o.id == c.id) {
                return Err(invalid(
                    &field,
                    format!("category {} is listed twice", c.id),
                ));
            }
        }
        Ok(())
    }
}

fn invalid(field: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, RULES_INVALID, message)
}

fn strictly_increasing(field: &str, values: impl Iterator<Item = f64>) -> Result<(), FieldError> {
    let mut last: Option<f64> = None;
    for (i, v) in values.enumerate() {
        if last.is_some_and(|p| v <= p) {
            return Err(invalid(
                &format!("{field}[{i}]"),
                "tier thresholds must strictly increase",
            ));
        }
        last = Some(v);
    }
    Ok(())
}

/// An error the TOML reader found, reported against the key: the one named in the message
/// (unknown or missing keys), else the key the offending value belongs to, prefixed with
/// the table it sits in (`threat_words.points_each`).
fn reader_error(text: &str, e: &toml::de::Error) -> FieldError {
    let message = e.message().trim();
    // Without a place, only a key named in the message can be reported.
    let (before, through_line, line) = match e.span().filter(|s| text.is_char_boundary(s.start)) {
        Some(s) => {
            let (before, after) = text.split_at(s.start);
            let end = s.start + after.find('\n').unwrap_or(after.len());
            let n = before.matches('\n').count() + 1;
            (before, &text[..end], format!("line {n}: "))
        }
        None => ("", "", String::new()),
    };
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
    let key = named
        .or_else(|| key_before_value(before))
        .or_else(|| key_of_line_above(before));
    let table = table_of(through_line);
    let field = match (table, key) {
        (Some(t), Some(k)) if t != k => format!("{t}.{k}"),
        (Some(t), _) => t.to_string(),
        (None, Some(k)) => k.to_string(),
        (None, None) => "risk_rules".to_string(),
    };
    FieldError::new(field, RULES_INVALID, format!("{line}{message}"))
}

fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// `key = ` directly before the value the error points at.
fn key_before_value(before: &str) -> Option<&str> {
    let rest = before.trim_end().strip_suffix('=')?.trim_end();
    let start = rest
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .map_or(0, |i| i + 1);
    Some(&rest[start..]).filter(|k| is_key(k))
}

/// The nearest `key =` line at or above the error, within its table (for an element of a
/// multi-line array).
fn key_of_line_above(before: &str) -> Option<&str> {
    for l in before.lines().rev() {
        let l = l.trim();
        if l.starts_with('[') && l.ends_with(']') && is_key(header(l)) {
            return None;
        }
        if let Some((k, _)) = l.split_once('=') {
            if is_key(k.trim()) {
                return Some(k.trim());
            }
        }
    }
    None
}

/// The last `[table]` or `[[table]]` header of `text`: the one the error sits in.
fn table_of(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('[') && l.ends_with(']'))
        .map(header)
        .rfind(|h| is_key(h))
}

fn header(line: &str) -> &str {
    line.trim_start_matches('[').trim_end_matches(']').trim()
}

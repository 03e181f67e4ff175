//! A tiny builder for queries whose shape depends on input (filters, scopes), numbering
//! `$N` parameters the way both SQLite and PostgreSQL accept.

use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs};
use sqlx::{Any, FromRow};

#[derive(Debug, Clone)]
pub enum Arg {
    I64(i64),
    Text(String),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}

/// Region subtrees as half-open code ranges `[lo, hi)`; `None` means unrestricted.
pub type ScopeRanges<'a> = Option<&'a [(String, String)]>;

#[derive(Debug, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a `$N` placeholder bound to `arg`.
    pub fn bind(&mut self, arg: impl Into<Arg>) -> &mut Self {
        self.args.push(arg.into());
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// ` AND (col in any of the ranges)`; an empty scope matches nothing.
    pub fn and_in_scope(&mut self, column: &str, scope: ScopeRanges<'_>) -> &mut Self {
        let Some(ranges) = scope else { return self };
        if ranges.is_empty() {
            return self.push(" AND 1 = 0");
        }
        self.push(" AND (");
        for (i, (lo, hi)) in ranges.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            self.push(&format!("({column} >= "))
                .bind(lo.as_str())
                .push(&format!(" AND {column} < "))
                .bind(hi.as_str())
                .push(")");
        }
        self.push(")")
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::I64(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }

    pub fn query_as<T>(&self) -> QueryAs<'_, Any, T, AnyArguments<'_>>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut q = sqlx::query_as::<_, T>(&self.text);
        for a in &self.args {
            q = match a {
                Arg::I64(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }
}

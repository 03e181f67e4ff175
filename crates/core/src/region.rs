//! The region tree. Statistical division codes are hierarchical (GB/T 2260 + 3 + 3 digits),
//! and wangge extends them below the village: grid (+3), 片 block (+2), 组 group (+2),
//! 邻 neighbor (+2). Every descendant of a node therefore starts with the node's
//! *significant prefix*, so "everything in this township" is the key range
//! `[prefix, prefix+1)` — one index range scan, never a recursive query.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::FieldError;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    City,
    County,
    Township,
    Village,
    Grid,
    Block,
    Group,
    Neighbor,
}

impl Level {
    pub const ALL: [Level; 9] = [
        Level::Province,
        Level::City,
        Level::County,
        Level::Township,
        Level::Village,
        Level::Grid,
        Level::Block,
        Level::Group,
        Level::Neighbor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
            Level::Village => "village",
            Level::Grid => "grid",
            Level::Block => "block",
            Level::Group => "group",
            Level::Neighbor => "neighbor",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Level::Province => "省",
            Level::City => "市",
            Level::County => "县",
            Level::Township => "乡镇/街道",
            Level::Village => "村/社区",
            Level::Grid => "网格",
            Level::Block => "片",
            Level::Group => "组",
            Level::Neighbor => "邻",
        }
    }

    /// Length of the significant prefix that every descendant shares.
    pub fn prefix_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::City => 4,
            Level::County => 6,
            Level::Township => 9,
            Level::Village => 12,
            Level::Grid => 15,
            Level::Block => 17,
            Level::Group => 19,
            Level::Neighbor => 21,
        }
    }

    pub fn child(self) -> Option<Level> {
        let i = Level::ALL.iter().position(|l| *l == self)?;
        Level::ALL.get(i + 1).copied()
    }
}

/// A validated region code: 12 digits for the statistical levels, 15/17/19/21 below a village.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl TryFrom<String> for RegionCode {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse("region_code", &s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

impl std::fmt::Display for RegionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl RegionCode {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        if !s.bytes().all(|b| b.is_ascii_digit()) || s.is_empty() {
            return Err(FieldError::new(
                field,
                "region_code_format",
                "区划代码只能由数字组成",
            ));
        }
        // Short forms people type (43, 4310, 431027, 431027100) are widened to 12 digits.
        let code = match s.len() {
            2 | 4 | 6 | 9 => format!("{s:0<12}"),
            12 | 15 | 17 | 19 | 21 => s.to_string(),
            _ => {
                return Err(FieldError::new(
                    field,
                    "region_code_length",
                    "区划代码长度应为12位（网格15位，片17位，组19位，邻21位）",
                ))
            }
        };
        let c = RegionCode(code);
        let level = c.level();
        // Below the significant prefix a statistical code must be zero-padded, and the
        // prefix itself must not end in the padding of its own level.
        let tail_nonzero = match level {
            Level::Province => &c.0[..2] == "00",
            Level::City => &c.0[2..4] == "00",
            Level::County => &c.0[4..6] == "00",
            Level::Township => &c.0[6..9] == "000",
            Level::Village => &c.0[9..12] == "000",
            Level::Grid => &c.0[12..15] == "000",
            Level::Block | Level::Group | Level::Neighbor => c.0.ends_with("00"),
        };
        if tail_nonzero {
            return Err(FieldError::new(
                field,
                "region_code_invalid",
                "区划代码无效：本级编号不能为零",
            ));
        }
        Ok(c)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        let s = &self.0;
        match s.len() {
            15 => Level::Grid,
            17 => Level::Block,
            19 => Level::Group,
            21 => Level::Neighbor,
            _ if &s[2..] == "0000000000" => Level::Province,
            _ if &s[4..] == "00000000" => Level::City,
            _ if &s[6..] == "000000" => Level::County,
            _ if &s[9..] == "000" => Level::Township,
            _ => Level::Village,
        }
    }

    pub fn prefix(&self) -> &str {
        &self.0[..self.level().prefix_len()]
    }

    /// The half-open key range `[lo, hi)` that holds this node and all its descendants.
    pub fn subtree_range(&self) -> (String, String) {
        let lo = self.prefix().to_string();
        (lo.clone(), successor(&lo))
    }

    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(self.prefix())
    }

    pub fn parent(&self) -> Option<RegionCode> {
        let s = &self.0;
        let p = match self.level() {
            Level::Province => return None,
            Level::City => format!("{}0000000000", &s[..2]),
            Level::County => format!("{}00000000", &s[..4]),
            Level::Township => format!("{}000000", &s[..6]),
            Level::Village => format!("{}000", &s[..9]),
            Level::Grid => s[..12].to_string(),
            Level::Block => s[..15].to_string(),
            Level::Group => s[..17].to_string(),
            Level::Neighbor => s[..19].to_string(),
        };
        Some(RegionCode(p))
    }

    /// The county (first 6 digits), used in case numbers and statistics.
    pub fn county_prefix(&self) -> &str {
        &self.0[..6]
    }
}

/// The smallest string greater than every string that starts with `prefix` (digits only).
fn successor(prefix: &str) -> String {
    let mut b = prefix.as_bytes().to_vec();
    while let Some(last) = b.pop() {
        if last < b'9' {
            b.push(last + 1);
            return String::from_utf8(b).unwrap_or_default();
        }
    }
    // All nines: ':' sorts right after '9' in ASCII.
    format!("{prefix}:")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse("c", s).unwrap()
    }

    #[test]
    fn levels_and_parents() {
        let chain = [
            ("430000000000", Level::Province),
            ("431000000000", Level::City),
            ("431027000000", Level::County),
            ("431027100000", Level::Township),
            ("431027100202", Level::Village),
            ("431027100202001", Level::Grid),
            ("43102710020200101", Level::Block),
            ("4310271002020010102", Level::Group),
            ("431027100202001010203", Level::Neighbor),
        ];
        for w in chain.windows(2) {
            let (parent, child) = (code(w[0].0), code(w[1].0));
            assert_eq!(parent.level(), w[0].1);
            assert_eq!(child.level(), w[1].1);
            assert_eq!(child.parent().as_ref(), Some(&parent));
            assert!(parent.contains(&child));
            assert_eq!(parent.level().child(), Some(child.level()));
        }
        assert_eq!(code("430000000000").parent(), None);
    }

    #[test]
    fn subtree_is_a_key_range() {
        let township = code("431027100000");
        let (lo, hi) = township.subtree_range();
        assert_eq!((lo.as_str(), hi.as_str()), ("431027100", "431027101"));
        for inside in [
            "431027100000",
            "431027100202",
            "431027100202001",
            "431027100202001010203",
        ] {
            assert!(inside >= lo.as_str() && inside < hi.as_str(), "{inside}");
        }
        for outside in ["431027101000", "431027000000", "431026100202"] {
            assert!(
                !(outside >= lo.as_str() && outside < hi.as_str()),
                "{outside}"
            );
        }
        assert_eq!(code("439999999999").level(), Level::Village);
        assert_eq!(successor("4399"), "44");
        assert_eq!(successor("99"), "99:");
    }

    #[test]
    fn refuses_bad_codes() {
        let e = |s: &str| RegionCode::parse("region_code", s).unwrap_err().code;
        assert_eq!(e("43a"), "region_code_format");
        assert_eq!(e("4310271"), "region_code_length");
        assert_eq!(e("000000000000"), "region_code_invalid");
        assert_eq!(e("431027100202000"), "region_code_invalid");
        assert_eq!(code("431027").as_str(), "431027000000");
    }
}

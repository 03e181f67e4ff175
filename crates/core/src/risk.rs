//! 矛盾纠纷激化风险: how likely an open dispute is to escalate (民转刑, a civil dispute
//! turning criminal), scored from what the database knows about it. Pure: the caller
//! gathers [`DisputeFacts`], [`score`] answers with a [`RiskScore`] whose every point is
//! explained in Chinese, naming its evidence.
//!
//! The rules are data ([`RiskRules`], `data/risk/default.toml`): each signal adds points
//! (per word, per count up to a cap, or by tier), the score is their sum capped at 100, and
//! levels and the watch list follow from thresholds.
//!
//! Limitation: words are matched as plain substrings (longest listed phrase first, each
//! distinct word once, `except` phrases such as "杀猪" or "打死也不" hide the words inside
//! them). There is no language understanding, so negation is not recognised: "他说不会砍人"
//! counts "砍". A false alarm costs a phone call; a missed threat may cost a life. The
//! explanation quotes the words so the mediator can judge.

mod rules;
#[cfg(test)]
mod tests;
mod words;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use rules::{
    AgeTier, AmountTier, CategoryRule, CountRule, LevelThresholds, PartiesTier, RiskRules,
    WordRule, RULES_INVALID,
};

/// The stable ids of the signals, as found in [`Reason::signal`] (and as the sections of
/// the rules file).
pub mod signal {
    pub const THREAT_WORDS: &str = "threat_words";
    pub const SELF_HARM_WORDS: &str = "self_harm_words";
    pub const FAILED_MEDIATIONS: &str = "failed_mediations";
    pub const PRIOR_DISPUTES_SAME_PARTIES: &str = "prior_disputes_same_parties";
    pub const PRIOR_DISPUTES_SAME_HOUSEHOLDS: &str = "prior_disputes_same_households";
    pub const AGE: &str = "age";
    pub const VULNERABLE_PARTIES: &str = "vulnerable_parties";
    pub const AMOUNT: &str = "amount";
    pub const MANY_PARTIES: &str = "many_parties";
    pub const PETITIONS: &str = "petitions";
    pub const ESCALATIONS: &str = "escalations";
    pub const CATEGORY: &str = "category";
}

/// What the scorer knows about one open dispute (the caller gathers it from the database).
#[derive(Debug, Clone, Default)]
pub struct DisputeFacts<'a> {
    /// Title + description + session notes, searched for threat/violence and self-harm words.
    pub text: &'a str,
    /// Category id, e.g. `dispute.homestead`.
    pub category: &'a str,
    /// Days since registered (negative counts as 0).
    pub age_days: i64,
    /// Sessions or cases that ended 调解不成.
    pub failed_mediations: u32,
    /// Earlier disputes between the same parties (by keyed id hash) in the last N years.
    pub prior_disputes_same_parties: u32,
    /// Earlier disputes involving the same households, not counting those already in
    /// `prior_disputes_same_parties` (the scorer adds both).
    pub prior_disputes_same_households: u32,
    /// Parties aged ≥ 70 or ≤ 16 (from birth dates), or flagged (disabled, 低保, 留守).
    pub vulnerable_parties: u32,
    /// Amount in dispute, 元 (`None`, negative or not a number: no points).
    pub amount_yuan: Option<f64>,
    /// Number of parties (群体性: many parties).
    pub parties: u32,
    /// Times escalated or 上报.
    pub escalations: u32,
    /// 信访 by the same parties.
    pub petitions_by_parties: u32,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
    Critical,
}

impl RiskLevel {
    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            RiskLevel::Low => "低风险",
            RiskLevel::Medium => "中风险",
            RiskLevel::High => "高风险",
            RiskLevel::Critical => "极高风险",
        }
    }
}

/// One signal that added points, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reason {
    /// Stable id, see [`signal`].
    pub signal: String,
    pub points: u32,
    /// A Chinese sentence naming the evidence, e.g. "描述中出现威胁或暴力用语：“砍”、“弄死”".
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RiskScore {
    /// Sum of the reasons' points, capped at 100.
    pub score: u32,
    pub level: RiskLevel,
    /// Every signal that added points, most points first (ties in the order of [`signal`]).
    pub reasons: Vec<Reason>,
    /// `level >= rules.watch_level`.
    pub watch: bool,
}

/// The highest possible score.
pub const MAX_SCORE: u32 = 100;

const CAPPED: &str = "（已达该项计分上限）";

/// Scores one dispute. Pure and cheap (a scan of the text per call); safe to call from
/// many threads with shared rules.
pub fn score(facts: &DisputeFacts<'_>, rules: &RiskRules) -> RiskScore {
    let mut reasons: Vec<Reason> = Vec::new();
    let mut add = |signal: &str, points: u32, explanation: String| {
        if points > 0 {
            reasons.push(Reason {
                signal: signal.to_string(),
                points,
                explanation,
            });
        }
    };

    let found = words::find(facts.text, rules);
    for (id, rule, list, what) in [
        (
            signal::THREAT_WORDS,
            &rules.threat_words,
            &found.threat,
            "威胁或暴力用语",
        ),
        (
            signal::SELF_HARM_WORDS,
            &rules.self_harm_words,
            &found.self_harm,
            "自伤、自杀用语",
        ),
    ] {
        let n = u32::try_from(list.len()).unwrap_or(u32::MAX);
        let (points, capped) = per_unit(n, rule.points_each, rule.max_points);
        let quoted: Vec<String> = list.iter().map(|w| format!("“{w}”")).collect();
        let explanation = format!("描述中出现{what}：{}", quoted.join("、"));
        add(id, points, with_cap(explanation, capped));
    }

    let counts = [
        (
            signal::FAILED_MEDIATIONS,
            &rules.failed_mediations,
            facts.failed_mediations,
            "已调解不成{n}次",
        ),
        (
            signal::PRIOR_DISPUTES_SAME_PARTIES,
            &rules.prior_disputes_same_parties,
            facts.prior_disputes_same_parties,
            "同一当事人之间此前已发生{n}起纠纷",
        ),
        (
            signal::PRIOR_DISPUTES_SAME_HOUSEHOLDS,
            &rules.prior_disputes_same_households,
            facts.prior_disputes_same_households,
            "涉及的家庭此前另有{n}起纠纷",
        ),
    ];
    for (id, rule, n, sentence) in counts {
        let (points, capped) = per_unit(n, rule.points_each, rule.max_points);
        add(
            id,
            points,
            with_cap(sentence.replace("{n}", &n.to_string()), capped),
        );
    }

    let age = facts.age_days.max(0);
    if let Some(t) = rules.age.iter().rev().find(|t| age > t.over_days) {
        let sentence = format!("纠纷登记已{age}天仍未化解（超过{}天）", t.over_days);
        add(signal::AGE, t.points, sentence);
    }

    let n = facts.vulnerable_parties;
    let rule = &rules.vulnerable_parties;
    let (points, capped) = per_unit(n, rule.points_each, rule.max_points);
    let sentence = format!("有{n}名当事人为老人、未成年人或残疾、低保、留守等困难群体");
    add(
        signal::VULNERABLE_PARTIES,
        points,
        with_cap(sentence, capped),
    );

    if let Some(amount) = facts.amount_yuan.filter(|a| a.is_finite()) {
        if let Some(t) = rules.amount.iter().rev().find(|t| amount > t.over_yuan) {
            let sentence = format!("争议金额{}（超过{}）", yuan(amount), yuan(t.over_yuan));
            add(signal::AMOUNT, t.points, sentence);
        }
    }

    let n = facts.parties;
    if let Some(t) = rules.many_parties.iter().rev().find(|t| n >= t.at_least) {
        let sentence = format!("当事人多达{n}方（{}方及以上），有群体性风险", t.at_least);
        add(signal::MANY_PARTIES, t.points, sentence);
    }

    let more = [
        (
            signal::PETITIONS,
            &rules.petitions,
            facts.petitions_by_parties,
            "当事人已信访{n}次",
        ),
        (
            signal::ESCALATIONS,
            &rules.escalations,
            facts.escalations,
            "纠纷已上报（升级）{n}次",
        ),
    ];
    for (id, rule, n, sentence) in more {
        let (points, capped) = per_unit(n, rule.points_each, rule.max_points);
        add(
            id,
            points,
            with_cap(sentence.replace("{n}", &n.to_string()), capped),
        );
    }

    if let Some(c) = category_rule(facts.category, rules) {
        let sentence = format!("纠纷类别为“{}”，此类纠纷较易激化", c.name);
        add(signal::CATEGORY, c.points, sentence);
    }

    // A stable sort keeps the signal order above among equal points.
    reasons.sort_by_key(|r| std::cmp::Reverse(r.points));
    let total = reasons
        .iter()
        .fold(0u32, |sum, r| sum.saturating_add(r.points))
        .min(MAX_SCORE);
    let level = rules.level_for(total);
    RiskScore {
        score: total,
        level,
        reasons,
        watch: level >= rules.watch_level,
    }
}

/// `n × each`, at most `max`; and whether the cap cut it.
fn per_unit(n: u32, each: u32, max: u32) -> (u32, bool) {
    let raw = n.saturating_mul(each);
    (raw.min(max), raw > max)
}

fn with_cap(sentence: String, capped: bool) -> String {
    if capped {
        sentence + CAPPED
    } else {
        sentence
    }
}

/// The rule of the longest listed id that is the category or a parent of it.
fn category_rule<'r>(category: &str, rules: &'r RiskRules) -> Option<&'r CategoryRule> {
    rules
        .category
        .iter()
        .filter(|c| {
            category == c.id
                || category
                    .strip_prefix(c.id.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .max_by_key(|c| c.id.len())
}

/// An amount as people write it: "8000元", "12.5万元", "1.2亿元".
fn yuan(amount: f64) -> String {
    let (value, unit) = if amount.abs() >= 1e8 {
        (amount / 1e8, "亿元")
    } else if amount.abs() >= 1e4 {
        (amount / 1e4, "万元")
    } else {
        (amount, "元")
    };
    let s = format!("{value:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}{unit}")
}

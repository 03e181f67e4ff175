//! Reading rules files: the shipped one, custom weights, and mistakes named by key.

use super::*;
use crate::FieldError;

const SHIPPED: &str = include_str!("../../../../../data/risk/default.toml");

/// The shipped file with one line replaced (the test fails if the line is not there).
fn edited(from: &str, to: &str) -> String {
    assert!(SHIPPED.contains(from), "{from:?} not in the shipped file");
    SHIPPED.replacen(from, to, 1)
}

fn refusal(text: &str) -> FieldError {
    let e = RiskRules::from_toml(text).unwrap_err();
    assert_eq!(e.code, RULES_INVALID);
    e
}

#[test]
fn shipped_rules_load_and_round_trip() {
    let rules = RiskRules::defaults();
    assert_eq!(rules.threat_words.points_each, 30);
    assert!(rules.threat_words.words.iter().any(|w| w == "同归于尽"));
    assert_eq!(rules.levels.high, 50);
    let json = serde_json::to_string(&rules).unwrap();
    let back: RiskRules = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rules);
    let toml_text = toml::to_string(&rules).unwrap();
    assert_eq!(RiskRules::from_toml(&toml_text).unwrap(), rules);
}

#[test]
fn a_custom_rules_file_changes_the_score() {
    let facts = &scenarios()[1].facts; // 宅基地, “砍死你”, 2 failed mediations, 45 days
    assert_eq!(score(facts, &RiskRules::defaults()).score, 61);

    let text = edited(
        "[threat_words]\npoints_each = 30",
        "[threat_words]\npoints_each = 10",
    );
    let text = text.replacen("high = 50", "high = 40", 1);
    let custom = RiskRules::from_toml(&text).unwrap();
    let s = score(facts, &custom);
    assert_eq!((s.score, s.level, s.watch), (41, RiskLevel::High, true));
    assert_eq!(
        signals(&s),
        ["failed_mediations", "threat_words", "category", "age"]
    );

    let stricter = text.replacen("watch_level = \"high\"", "watch_level = \"critical\"", 1);
    let s = score(facts, &RiskRules::from_toml(&stricter).unwrap());
    assert!(!s.watch);
}

#[test]
fn a_zero_weight_signal_gives_no_reason() {
    let text = edited(
        "[failed_mediations]\npoints_each = 8",
        "[failed_mediations]\npoints_each = 0",
    );
    let s = score(&scenarios()[1].facts, &RiskRules::from_toml(&text).unwrap());
    assert_eq!(
        (s.score, signals(&s)),
        (45, vec!["threat_words", "category", "age"])
    );
}

#[test]
fn reader_errors_name_the_key() {
    let cases = [
        // wrong type
        (
            edited("points_each = 30", "points_each = \"many\""),
            "threat_words.points_each",
        ),
        // unknown key, top level and in a table
        (
            edited(
                "watch_level = \"high\"",
                "watch_level = \"high\"\nwatch_levle = 1",
            ),
            "watch_levle",
        ),
        (edited("medium = 30", "medium = 30\nlow = 0"), "levels.low"),
        (
            edited("[[age]]\nover_days = 30", "[[age]]\nover_day = 30"),
            "age.over_day",
        ),
        // unknown level name
        (
            edited("watch_level = \"high\"", "watch_level = \"severe\""),
            "watch_level",
        ),
        // negative count
        (
            edited(
                "[escalations]\npoints_each = 5",
                "[escalations]\npoints_each = -5",
            ),
            "escalations.points_each",
        ),
        // a number in a word list (multi-line array)
        (
            edited("\"杀\", \"砍\",", "\"杀\", 7,"),
            "threat_words.words",
        ),
        // missing keys
        (edited("high = 50\n", ""), "levels.high"),
        (
            edited("[petitions]\npoints_each = 8\n", "[petitions]\n"),
            "petitions.points_each",
        ),
        (edited("watch_level = \"high\"\n", ""), "watch_level"),
    ];
    for (text, field) in cases {
        let e = refusal(&text);
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.starts_with("line "), "{e}");
    }

    let e = refusal("[levels\nmedium = 1");
    assert!(e.message.starts_with("line 1: "), "{e}");
    assert_eq!(refusal("").field, "watch_level");
}

#[test]
fn inconsistent_rules_are_refused_with_the_key() {
    let cases = [
        (edited("high = 50", "high = 80"), "levels"),
        (edited("critical = 75", "critical = 101"), "levels"),
        (edited("medium = 30", "medium = 0"), "levels"),
        (edited("over_days = 60", "over_days = 20"), "age[1]"),
        (
            edited("over_yuan = 1000000", "over_yuan = 500000"),
            "amount[2]",
        ),
        (edited("at_least = 20", "at_least = 10"), "many_parties[2]"),
        (
            edited("\"杀\", \"砍\",", "\"杀\", \"\","),
            "threat_words.words",
        ),
        (
            edited("\"杀\", \"砍\",", "\"杀\", \" 砍\","),
            "threat_words.words",
        ),
        // the same word in two lists would be ambiguous
        (
            edited("\"跳楼\", \"跳河\",", "\"跳楼\", \"砍\","),
            "self_harm_words.words",
        ),
        (
            edited("except = [\"跳楼价\"]", "except = [\"杀猪\"]"),
            "self_harm_words.except",
        ),
        (
            edited("id = \"dispute.family\"", "id = \"dispute.homestead\""),
            "category[2].id",
        ),
        (
            edited("id = \"dispute.family\"", "id = \"dispute..family\""),
            "category[2].id",
        ),
        (
            edited("over_yuan = 100000", "over_yuan = nan"),
            "amount[0].over_yuan",
        ),
    ];
    for (text, field) in cases {
        let e = refusal(&text);
        assert_eq!(e.field, field, "{e}");
    }
}

use super::*;

mod explanations;
mod rules_file;

struct Scenario {
    name: &'static str,
    facts: DisputeFacts<'static>,
    score: u32,
    level: RiskLevel,
    signals: &'static [&'static str],
}

fn signals(s: &RiskScore) -> Vec<&str> {
    s.reasons.iter().map(|r| r.signal.as_str()).collect()
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "邻里口角，首次，3天",
            facts: DisputeFacts {
                text: "邻里口角：两家因门前倒垃圾吵了几句，双方情绪已平稳",
                category: "dispute.neighbor",
                age_days: 3,
                parties: 2,
                ..Default::default()
            },
            score: 0,
            level: RiskLevel::Low,
            signals: &[],
        },
        Scenario {
            name: "宅基地纠纷，扬言‘砍死你’，第二次调解失败，45天",
            facts: DisputeFacts {
                text: "宅基地界址纠纷。调解记录：男方情绪激动，扬言“再占一寸就砍死你”，\
                       第二次调解不成",
                category: "dispute.homestead",
                age_days: 45,
                failed_mediations: 2,
                parties: 2,
                ..Default::default()
            },
            score: 61,
            level: RiskLevel::High,
            signals: &["threat_words", "failed_mediations", "category", "age"],
        },
        Scenario {
            name: "家暴+喝药威胁",
            facts: DisputeFacts {
                text: "妻子反映丈夫长期家暴，昨晚酒后扬言要打死她；妻子哭诉不想活了，\
                       说再这样就喝药",
                category: "dispute.family",
                age_days: 2,
                parties: 2,
                ..Default::default()
            },
            score: 95,
            level: RiskLevel::Critical,
            signals: &["threat_words", "self_harm_words", "category"],
        },
        Scenario {
            name: "群体性征地补偿，12户，金额80万",
            facts: DisputeFacts {
                text: "12户村民对征地补偿标准有异议，要求增加补偿款",
                category: "dispute.land_acquisition",
                age_days: 10,
                parties: 12,
                amount_yuan: Some(800_000.0),
                ..Default::default()
            },
            score: 43,
            level: RiskLevel::Medium,
            signals: &["many_parties", "amount", "category"],
        },
        Scenario {
            name: "老人赡养纠纷，当事人82岁",
            facts: DisputeFacts {
                text: "82岁老人反映三个儿子互相推诿，不支付赡养费",
                category: "dispute.family",
                age_days: 20,
                parties: 4,
                vulnerable_parties: 1,
                ..Default::default()
            },
            score: 20,
            level: RiskLevel::Low,
            signals: &["vulnerable_parties", "category"],
        },
        Scenario {
            name: "同一两家第三次因排水沟争吵，曾调解不成",
            facts: DisputeFacts {
                text: "两家又因排水沟吵架，前两次都是这个问题",
                category: "dispute.neighbor",
                age_days: 10,
                failed_mediations: 1,
                prior_disputes_same_parties: 2,
                prior_disputes_same_households: 1,
                parties: 2,
                ..Default::default()
            },
            score: 33,
            level: RiskLevel::Medium,
            signals: &[
                "prior_disputes_same_parties",
                "failed_mediations",
                "prior_disputes_same_households",
            ],
        },
        Scenario {
            name: "山林界址纠纷，拖了100天，已信访2次、上报1次",
            facts: DisputeFacts {
                text: "两村民小组对山林界址各执一词",
                category: "dispute.land_forest",
                age_days: 100,
                failed_mediations: 1,
                parties: 2,
                petitions_by_parties: 2,
                escalations: 1,
                ..Default::default()
            },
            score: 54,
            level: RiskLevel::High,
            signals: &[
                "petitions",
                "age",
                "category",
                "failed_mediations",
                "escalations",
            ],
        },
        Scenario {
            name: "一切都坏：封顶100分",
            facts: DisputeFacts {
                text: "扬言放火、同归于尽，还说要跳楼",
                category: "dispute.homestead",
                age_days: 400,
                failed_mediations: 9,
                prior_disputes_same_parties: 9,
                prior_disputes_same_households: 9,
                vulnerable_parties: 9,
                amount_yuan: Some(5e6),
                parties: 40,
                escalations: 9,
                petitions_by_parties: 9,
            },
            score: 100,
            level: RiskLevel::Critical,
            signals: &[
                "threat_words",
                "many_parties",
                "prior_disputes_same_parties",
                "self_harm_words",
                "failed_mediations",
                "petitions",
                "vulnerable_parties",
                "prior_disputes_same_households",
                "age",
                "amount",
                "escalations",
                "category",
            ],
        },
    ]
}

#[test]
fn named_scenarios_score_exactly() {
    let rules = RiskRules::defaults();
    for s in scenarios() {
        let got = score(&s.facts, &rules);
        assert_eq!(
            (got.score, got.level, signals(&got)),
            (s.score, s.level, s.signals.to_vec()),
            "{}: {:#?}",
            s.name,
            got.reasons
        );
        assert_eq!(got.watch, s.level >= RiskLevel::High, "{}", s.name);
        let sum: u32 = got.reasons.iter().map(|r| r.points).sum();
        assert_eq!(got.score, sum.min(100), "{}", s.name);
        assert!(
            got.reasons.windows(2).all(|w| w[0].points >= w[1].points),
            "{}: reasons sorted by points",
            s.name
        );
    }
}

#[test]
fn a_repeated_word_counts_once_and_distinct_words_add_up_to_the_cap() {
    let rules = RiskRules::defaults();
    let once = DisputeFacts {
        text: "砍",
        ..Default::default()
    };
    let thrice = DisputeFacts {
        text: "我砍你，砍你全家，砍！",
        ..Default::default()
    };
    assert_eq!(score(&once, &rules), score(&thrice, &rules));
    assert_eq!(score(&thrice, &rules).score, 30);
    let two = DisputeFacts {
        text: "砍你，放火",
        ..Default::default()
    };
    assert_eq!(score(&two, &rules).score, 45, "30 + 30 capped at 45");
}

#[test]
fn longest_phrase_wins_and_except_phrases_hide_words() {
    let rules = RiskRules::defaults();
    let words = |text: &str| {
        let f = words::find(text, &rules);
        (f.threat.join(","), f.self_harm.join(","))
    };
    // 自杀 is self-harm, not the threat word 杀; 喝农药 is self-harm, not 农药.
    assert_eq!(words("他说要自杀"), (String::new(), "自杀".to_string()));
    assert_eq!(words("扬言喝农药"), (String::new(), "喝农药".to_string()));
    // Everyday phrases are no threat.
    assert_eq!(
        words("过年杀猪，去地里打农药，打死也不签字，跳楼价处理"),
        (String::new(), String::new())
    );
    // But the word itself still counts next to them, and order is first appearance.
    assert_eq!(
        words("杀猪刀架在脖子上，说要杀了他"),
        ("刀,杀".to_string(), String::new())
    );
    // Known limitation, documented: negation is not understood.
    assert_eq!(words("他说不会砍人"), ("砍".to_string(), String::new()));
    assert_eq!(words(""), (String::new(), String::new()));
}

#[test]
fn tiers_take_the_highest_reached_and_odd_inputs_add_nothing() {
    let rules = RiskRules::defaults();
    let age = |days| {
        let s = score(
            &DisputeFacts {
                age_days: days,
                ..Default::default()
            },
            &rules,
        );
        s.score
    };
    assert_eq!(
        [-5, 0, 30, 31, 60, 61, 90, 91, 10_000].map(age),
        [0, 0, 0, 5, 5, 10, 10, 15, 15]
    );
    let amount = |a: Option<f64>| {
        score(
            &DisputeFacts {
                amount_yuan: a,
                ..Default::default()
            },
            &rules,
        )
        .score
    };
    assert_eq!(
        [
            None,
            Some(f64::NAN),
            Some(-1e9),
            Some(1e5),
            Some(100_001.0),
            Some(2e6)
        ]
        .map(amount),
        [0, 0, 0, 0, 5, 15]
    );
    let parties = |n| {
        score(
            &DisputeFacts {
                parties: n,
                ..Default::default()
            },
            &rules,
        )
        .score
    };
    assert_eq!(
        [0, 4, 5, 9, 10, 20, u32::MAX].map(parties),
        [0, 0, 15, 15, 25, 35, 35]
    );
    let huge = DisputeFacts {
        failed_mediations: u32::MAX,
        ..Default::default()
    };
    assert_eq!(score(&huge, &rules).score, 24, "no overflow, capped");
}

#[test]
fn levels_and_watch_follow_the_thresholds() {
    let rules = RiskRules::defaults();
    assert_eq!(
        [0, 29, 30, 49, 50, 74, 75, 100].map(|s| rules.level_for(s)),
        [
            RiskLevel::Low,
            RiskLevel::Low,
            RiskLevel::Medium,
            RiskLevel::Medium,
            RiskLevel::High,
            RiskLevel::High,
            RiskLevel::Critical,
            RiskLevel::Critical
        ]
    );
    assert_eq!(rules.watch_level, RiskLevel::High);
    assert_eq!(RiskLevel::Critical.label(), "极高风险");
}

#[test]
fn categories_match_by_id_or_parent_longest_first() {
    let mut rules = RiskRules::defaults();
    rules.category.push(CategoryRule {
        id: "dispute".into(),
        name: "矛盾纠纷".into(),
        points: 1,
    });
    let cat = |c: &'static str| {
        score(
            &DisputeFacts {
                category: c,
                ..Default::default()
            },
            &rules,
        )
        .score
    };
    assert_eq!(
        [
            "dispute.family",
            "dispute.neighbor",
            "dispute",
            "dispute_x",
            "disputes.family",
            ""
        ]
        .map(cat),
        [10, 1, 1, 0, 0, 0]
    );
}

#[test]
fn the_score_serializes_for_the_api() {
    let s = score(&scenarios()[1].facts, &RiskRules::defaults());
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["level"], "high");
    assert_eq!(json["watch"], true);
    assert_eq!(json["reasons"][0]["signal"], "threat_words");
    assert_eq!(json["reasons"][0]["points"], 30);
}

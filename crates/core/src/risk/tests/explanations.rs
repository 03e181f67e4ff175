//! Every reason names its evidence: the words found, the counts, the age, the amount.

use super::*;

fn reason<'s>(s: &'s RiskScore, signal: &str) -> &'s Reason {
    s.reasons
        .iter()
        .find(|r| r.signal == signal)
        .unwrap_or_else(|| panic!("no {signal} in {:#?}", s.reasons))
}

#[test]
fn explanations_name_the_evidence() {
    let rules = RiskRules::defaults();
    let all = scenarios();
    let homestead = score(&all[1].facts, &rules);
    assert_eq!(
        reason(&homestead, signal::THREAT_WORDS).explanation,
        "描述中出现威胁或暴力用语：“砍”"
    );
    assert_eq!(
        reason(&homestead, signal::FAILED_MEDIATIONS).explanation,
        "已调解不成2次"
    );
    assert_eq!(
        reason(&homestead, signal::AGE).explanation,
        "纠纷登记已45天仍未化解（超过30天）"
    );
    assert_eq!(
        reason(&homestead, signal::CATEGORY).explanation,
        "纠纷类别为“房屋宅基地”，此类纠纷较易激化"
    );

    let family = score(&all[2].facts, &rules);
    let threat = reason(&family, signal::THREAT_WORDS);
    assert_eq!(
        (threat.points, threat.explanation.as_str()),
        (
            45,
            "描述中出现威胁或暴力用语：“家暴”、“打死”（已达该项计分上限）"
        )
    );
    assert_eq!(
        reason(&family, signal::SELF_HARM_WORDS).explanation,
        "描述中出现自伤、自杀用语：“不想活”、“喝药”（已达该项计分上限）"
    );

    let group = score(&all[3].facts, &rules);
    assert_eq!(
        reason(&group, signal::MANY_PARTIES).explanation,
        "当事人多达12方（10方及以上），有群体性风险"
    );
    assert_eq!(
        reason(&group, signal::AMOUNT).explanation,
        "争议金额80万元（超过50万元）"
    );

    let elder = score(&all[4].facts, &rules);
    assert_eq!(
        reason(&elder, signal::VULNERABLE_PARTIES).explanation,
        "有1名当事人为老人、未成年人或残疾、低保、留守等困难群体"
    );
    let repeated = score(&all[5].facts, &rules);
    assert_eq!(
        reason(&repeated, signal::PRIOR_DISPUTES_SAME_PARTIES).explanation,
        "同一当事人之间此前已发生2起纠纷"
    );
    let forest = score(&all[6].facts, &rules);
    assert_eq!(
        reason(&forest, signal::PETITIONS).explanation,
        "当事人已信访2次"
    );
    assert_eq!(
        reason(&forest, signal::AGE).explanation,
        "纠纷登记已100天仍未化解（超过90天）"
    );
}

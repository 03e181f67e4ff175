//! The 人民调解协议书 end to end: render the PDF, read its text back with pdf-extract (a
//! separate PDF reader that decodes the CID font through its ToUnicode map), and check the
//! HTML page.

use std::time::Instant;

use wangge_documents::{agreement_html, agreement_pdf, Agreement, DocumentError, Party, Signature};

fn party(
    role: &str,
    name: &str,
    sex: &str,
    birth: &str,
    id: &str,
    address: &str,
    phone: &str,
) -> Party {
    Party {
        role: role.into(),
        name: name.into(),
        sex: Some(sex.into()),
        birth_date: Some(birth.into()),
        id_number_masked: Some(id.into()),
        address: Some(address.into()),
        phone_masked: Some(phone.into()),
    }
}

/// A 宅基地 boundary dispute between neighbours, as a township committee would write it.
fn homestead() -> Agreement {
    Agreement {
        number: "桂东沤江调字〔2026〕第12号".into(),
        committee: "沤江镇人民调解委员会".into(),
        parties: vec![
            party(
                "申请人",
                "黄建国",
                "男",
                "1968-05-12",
                "431027********1234",
                "湖南省郴州市桂东县沤江镇东水村3组",
                "138****5678",
            ),
            party(
                "被申请人",
                "陈秀英",
                "女",
                "1972-11-03",
                "431027********2045",
                "湖南省郴州市桂东县沤江镇东水村3组",
                "139****4321",
            ),
        ],
        facts: "申请人黄建国与被申请人陈秀英系东水村3组相邻住户。2026年2月，被申请人在原有宅基地东侧新砌围墙，\
                申请人认为围墙越过双方于2009年确认的界址约0.8米，占用其宅基地约6平方米，并堵塞两家之间的排水沟，\
                双方多次协商未果，申请人于2026年2月20日向本委员会申请调解。\n\
                经调解员实地查看，对照桂东县不动产登记中心存档的宅基地使用权证（桂集用〔2009〕第0412号）附图测量，\
                围墙东端确有越界约0.6米。"
            .into(),
        disputed_points: "被申请人所建围墙是否越界及越界面积；排水沟的恢复和今后的维护责任；申请人要求赔偿损失是否合理。"
            .into(),
        responsibilities: Some(
            "被申请人未经核实界址即砌筑围墙，应承担主要责任；申请人在协商中言语过激，亦有不当之处。".into(),
        ),
        terms: vec![
            "被申请人陈秀英于2026年3月15日前自行拆除越界部分围墙，按宅基地使用权证附图所载界址重新砌筑，费用由被申请人承担。".into(),
            "双方共同恢复两家之间的排水沟，宽度不小于40厘米，所需材料费用由双方各承担一半，今后由双方共同维护、保持畅通。".into(),
            "被申请人一次性补偿申请人菜地青苗损失人民币800元，于本协议签订之日当场以现金支付。".into(),
            "双方今后应和睦相处，不得以任何理由阻挠对方正常通行和生产生活。".into(),
        ],
        performance: "第一、二项于2026年3月15日前在东水村3组双方宅基地现场履行，由东水村村民委员会派员见证；\
                      第三项于签订本协议时在沤江镇人民调解委员会当场履行。"
            .into(),
        mediators: vec!["李明华".into(), "邓桂兰".into()],
        signed_date: "2026-03-01".into(),
        copies: 3,
        signatures: vec![
            Signature { party: "黄建国".into(), method: "设备确认".into(), at: "2026-03-01T10:20".into() },
            Signature { party: "陈秀英".into(), method: "纸质签字扫描".into(), at: "2026-03-01T10:35:12+08:00".into() },
        ],
    }
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn extract(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf).expect("pdf-extract reads the PDF")
}

#[test]
fn homestead_agreement_renders_with_extractable_chinese_text() {
    let a = homestead();
    let started = Instant::now();
    let rendered = agreement_pdf(&a).unwrap();
    let elapsed = started.elapsed();
    println!(
        "homestead agreement: {} bytes, rendered in {elapsed:?}",
        rendered.pdf.len()
    );

    assert!(rendered.pdf.starts_with(b"%PDF-"));
    assert!(
        rendered.missing_glyphs.is_empty(),
        "{:?}",
        rendered.missing_glyphs
    );
    // The font goes in as a CID TrueType font with a ToUnicode map (which is what lets
    // pdf-extract below turn glyph ids back into Chinese text) ...
    for key in [
        "/CIDFontType2",
        "/FontFile2",
        "/Identity-H",
        "/ToUnicode",
        "WanggeCJKSerif-Regular",
    ] {
        assert!(
            contains(&rendered.pdf, key.as_bytes()),
            "no {key} in the PDF"
        );
    }
    assert!(
        contains(&rendered.pdf, "/MediaBox [0 0 595.276 841.89]".as_bytes()),
        "not A4"
    );
    // ... as a subset (a few dozen KB, not the 1.4 MB file).
    assert!(
        rendered.pdf.len() < 200 * 1024,
        "{} bytes",
        rendered.pdf.len()
    );

    let raw = extract(&rendered.pdf);
    let text = squash(&raw);
    for needle in [
        "人民调解协议书",
        "桂东沤江调字〔2026〕第12号",
        "申请人：黄建国，男，1968年5月12日出生",
        "被申请人：陈秀英",
        "沤江镇人民调解委员会（印）",
        "纠纷主要事实、争议事项：",
        "争议事项：被申请人所建围墙是否越界",
        "各方责任：",
        "经调解，自愿达成如下协议：",
        "履行方式、时限：",
        "本协议一式三份，当事人各执一份，调解委员会留存一份。",
        "当事人签名（盖章或按指印）：",
        "申请人（黄建国）：",
        "已确认：设备确认，2026-03-0110:20",
        "已确认：纸质签字扫描，2026-03-0110:35",
        "人民调解员签名：李明华",
        "邓桂兰",
        "2026年3月1日",
    ] {
        assert!(
            text.contains(&squash(needle)),
            "missing {needle:?} in:\n{raw}"
        );
    }
    for (i, term) in a.terms.iter().enumerate() {
        let numbered = format!("{}、{}", ["一", "二", "三", "四"][i], term);
        assert!(
            text.contains(&squash(&numbered)),
            "term {i} missing in:\n{raw}"
        );
    }
    // Read back without squashing: no spaces crept in between the characters.
    for needle in [
        "人民调解协议书",
        "桂东沤江调字〔2026〕第12号",
        "沤江镇人民调解委员会（印）",
    ] {
        assert!(
            raw.contains(needle),
            "{needle:?} is not contiguous in:\n{raw}"
        );
    }
    let pages = pdf_extract::extract_text_from_mem_by_pages(&rendered.pdf).unwrap();
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("第 {} 页 共 {} 页", i + 1, pages.len())),
            "{page}"
        );
    }
    if let Some(dir) = std::env::var_os("WANGGE_DOCUMENTS_OUT") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::write(dir.join("homestead.pdf"), &rendered.pdf).unwrap();
        std::fs::write(dir.join("homestead.html"), agreement_html(&a)).unwrap();
    }
}

#[test]
fn long_agreement_spans_pages_with_page_numbers() {
    let mut a = homestead();
    a.facts = (1..=12)
        .map(|i| {
            format!(
                "第{i}段事实：{}",
                "双方就宅基地界址、排水沟走向和围墙高度多次发生争执，村组干部曾三次到场协调未果。"
                    .repeat(3)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    a.terms = (1..=30)
        .map(|i| format!("第{i}项约定：被申请人应于2026年4月{i}日前完成对应地段的整改，并通知申请人和村民委员会到场验收，验收合格后双方签字确认。"))
        .collect();
    let started = Instant::now();
    let rendered = agreement_pdf(&a).unwrap();
    println!(
        "long agreement: {} bytes, rendered in {:?}",
        rendered.pdf.len(),
        started.elapsed()
    );

    if let Some(dir) = std::env::var_os("WANGGE_DOCUMENTS_OUT") {
        std::fs::write(
            std::path::PathBuf::from(dir).join("long.pdf"),
            &rendered.pdf,
        )
        .unwrap();
    }
    let pages = pdf_extract::extract_text_from_mem_by_pages(&rendered.pdf).unwrap();
    let n = pages.len();
    assert!(n >= 3, "{n} pages");
    for (i, page) in pages.iter().enumerate() {
        let page = squash(page);
        assert!(
            page.contains(&format!("第{}页共{n}页", i + 1)),
            "page {} lacks its number: {page}",
            i + 1
        );
    }
    // The body text without the footers, which fall in the middle of terms split by a page end.
    let all: String = pages
        .iter()
        .enumerate()
        .map(|(i, page)| squash(page).replace(&format!("第{}页共{n}页", i + 1), ""))
        .collect();
    for (i, term) in a.terms.iter().enumerate() {
        assert!(all.contains(&squash(term)), "term {} lost", i + 1);
    }
    assert!(all.contains("三十、第30项约定"));
    // The closing clause, the signatures and the seal stay together on the last page.
    let last = squash(&pages[n - 1]);
    for needle in [
        "本协议一式三份",
        "当事人签名（盖章或按指印）：",
        "人民调解员签名：",
        "沤江镇人民调解委员会（印）",
        "2026年3月1日",
    ] {
        assert!(last.contains(needle), "last page lacks {needle}: {last}");
    }
}

#[test]
fn characters_outside_the_font_become_placeholders_and_are_reported() {
    let mut a = homestead();
    a.parties[0].name = "黄龘".into();
    a.parties[0].address = Some("桂东县沤江镇𠀀村".into());
    a.signatures[0].party = "黄龘".into();
    a.terms.push("龘字再出现一次，只报告一次。".into());

    let rendered = agreement_pdf(&a).unwrap();
    if let Some(dir) = std::env::var_os("WANGGE_DOCUMENTS_OUT") {
        std::fs::write(
            std::path::PathBuf::from(dir).join("missing.pdf"),
            &rendered.pdf,
        )
        .unwrap();
    }
    assert_eq!(rendered.missing_glyphs, vec!['龘', '𠀀']);
    let text = squash(&extract(&rendered.pdf));
    assert!(text.contains("申请人：黄□，男"), "{text}");
    assert!(text.contains("桂东县沤江镇□村"), "{text}");
    assert!(text.contains("申请人（黄□）："), "{text}");
    assert!(!text.contains('龘'));
}

#[test]
fn html_escapes_every_field() {
    let evil = "<script>alert(1)</script>";
    let mut a = homestead();
    a.number = evil.into();
    a.committee = evil.into();
    a.facts = evil.into();
    a.disputed_points = evil.into();
    a.responsibilities = Some(evil.into());
    a.terms = vec![evil.into()];
    a.performance = evil.into();
    a.mediators = vec![evil.into()];
    a.signed_date = evil.into();
    a.signatures = vec![Signature {
        party: evil.into(),
        method: evil.into(),
        at: evil.into(),
    }];
    a.parties[1] = Party {
        role: evil.into(),
        name: evil.into(),
        sex: Some(evil.into()),
        birth_date: Some(evil.into()),
        id_number_masked: Some(evil.into()),
        address: Some(evil.into()),
        phone_masked: Some(evil.into()),
    };
    let html = agreement_html(&a);
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    // Every field shows up, escaped: 12 strings of the agreement and 7 of the party, some
    // printed twice (party role and name also on the signature line).
    assert!(
        html.matches("&lt;script&gt;alert(1)&lt;/script&gt;")
            .count()
            >= 19,
        "{html}"
    );
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("src="));
}

#[test]
fn html_page_has_the_customary_content() {
    let a = homestead();
    let html = agreement_html(&a);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("@media print"));
    assert!(html.contains("@page"));
    for needle in [
        "<h1>人民调解协议书</h1>",
        "桂东沤江调字〔2026〕第12号",
        "<span class=\"role\">申请人：</span><span>黄建国，男，1968年5月12日出生，公民身份号码：431027********1234",
        "一、被申请人陈秀英于2026年3月15日前",
        "四、双方今后应和睦相处",
        "本协议一式三份，当事人各执一份，调解委员会留存一份。",
        "<span class=\"label\">申请人（黄建国）：</span>",
        "已确认：设备确认，2026-03-01 10:20",
        "沤江镇人民调解委员会（印）",
        "2026年3月1日",
    ] {
        assert!(html.contains(needle), "missing {needle:?}");
    }
}

#[test]
fn copies_default_to_parties_plus_one() {
    let mut a = homestead();
    a.copies = 0;
    let text = squash(&extract(&agreement_pdf(&a).unwrap().pdf));
    assert!(text.contains("本协议一式三份，当事人各执一份，调解委员会留存一份。"));
    a.copies = 5;
    let text = squash(&extract(&agreement_pdf(&a).unwrap().pdf));
    assert!(
        text.contains("本协议一式五份，当事人各执一份，调解委员会留存三份。"),
        "{text}"
    );
    assert!(agreement_html(&a).contains("本协议一式五份"));
}

#[test]
fn incomplete_agreements_are_refused_in_chinese() {
    let check = |f: &dyn Fn(&mut Agreement), want: &str| {
        let mut a = homestead();
        f(&mut a);
        let err = agreement_pdf(&a).unwrap_err();
        assert_eq!(err.to_string(), want, "{err:?}");
    };
    check(&|a| a.number = " ".into(), "协议书缺少协议编号");
    check(&|a| a.facts.clear(), "协议书缺少纠纷主要事实");
    check(&|a| a.terms = vec!["  ".into()], "协议书缺少协议条款");
    check(&|a| a.mediators.clear(), "协议书缺少人民调解员");
    check(&|a| a.parties.truncate(1), "当事人至少应有两方，现有1方");
    check(&|a| a.parties[1].name.clear(), "第2位当事人缺少姓名或名称");
    check(
        &|a| a.signed_date = "2026-02-30".into(),
        "签订日期“2026-02-30”无效，应为 YYYY-MM-DD 格式的真实日期",
    );
    check(
        &|a| a.copies = 2,
        "份数2不足：2方当事人各执一份、调解委员会留存一份，至少需要3份",
    );
    let err = agreement_pdf(&Agreement {
        copies: 1,
        ..homestead()
    })
    .unwrap_err();
    assert!(matches!(
        err,
        DocumentError::TooFewCopies {
            copies: 1,
            parties: 2,
            min: 3
        }
    ));
    assert!(err.is_input_error());
    assert!(!DocumentError::Pdf("x".into()).is_input_error());
}

#[test]
fn deserializes_without_optional_fields() {
    let json = serde_json::json!({
        "number": "桂东沤江调字〔2026〕第13号",
        "committee": "沤江镇人民调解委员会",
        "parties": [
            { "role": "申请人", "name": "甲" },
            { "role": "被申请人", "name": "乙" }
        ],
        "facts": "事实。",
        "disputed_points": "争议。",
        "terms": ["条款。"],
        "performance": "当场履行。",
        "mediators": ["丙"],
        "signed_date": "2026-03-02"
    });
    let a: Agreement = serde_json::from_value(json).unwrap();
    assert_eq!(a.copies, 0);
    assert!(a.signatures.is_empty() && a.responsibilities.is_none());
    let rendered = agreement_pdf(&a).unwrap();
    let text = squash(&extract(&rendered.pdf));
    assert!(text.contains("申请人：甲。"));
    assert!(text.contains("本协议一式三份"));
    assert!(!text.contains("各方责任"));
}

#[test]
fn long_ascii_and_odd_input_do_not_break_rendering() {
    let mut a = homestead();
    a.terms.push(format!(
        "附件链接：https://example.invalid/{}",
        "x".repeat(300)
    ));
    a.facts.push_str("\r\n\t制表符与\u{200B}零宽字符\u{0007}。");
    a.mediators = (1..=9).map(|i| format!("调解员{i}")).collect();
    let rendered = agreement_pdf(&a).unwrap();
    assert!(
        rendered.missing_glyphs.is_empty(),
        "{:?}",
        rendered.missing_glyphs
    );
    let text = squash(&extract(&rendered.pdf));
    assert!(text.contains("制表符与零宽字符。"), "{text}");
    assert!(text.contains(&"x".repeat(300)));
    assert!(text.contains("调解员9"));
}

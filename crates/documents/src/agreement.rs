//! The 人民调解协议书: its wording (shared by the PDF and the HTML page), validation, and its
//! rows for the PDF.

use crate::font::Metrics;
use crate::layout::{break_lines, justify, Piece, Row, BODY_WIDTH, LEADING};
use crate::text::{chinese_date, chinese_number, parse_date, Sanitizer};
use crate::{Agreement, DocumentError, Party, Signature};

pub(crate) const TITLE: &str = "人民调解协议书";
pub(crate) const FACTS: &str = "纠纷主要事实、争议事项：";
pub(crate) const DISPUTED: &str = "争议事项：";
pub(crate) const RESPONSIBILITIES: &str = "各方责任：";
pub(crate) const TERMS: &str = "经调解，自愿达成如下协议：";
pub(crate) const PERFORMANCE: &str = "履行方式、时限：";
pub(crate) const EFFECT: &str =
    "本协议自各方当事人签名（盖章或按指印）、人民调解员签名并加盖人民调解委员会印章之日起生效。";
pub(crate) const PARTY_SIGNATURES: &str = "当事人签名（盖章或按指印）：";
pub(crate) const MEDIATOR_SIGNATURES: &str = "人民调解员签名：";
pub(crate) const SEAL: &str = "（印）";

pub(crate) const TITLE_SIZE: f32 = 22.0;
pub(crate) const BODY_SIZE: f32 = 12.0;
pub(crate) const NOTE_SIZE: f32 = 9.0;
/// Letter spacing of the title, in em: kept under the 0.1 em that text extractors read as a
/// space, so the title reads back (and is found by search) as 人民调解协议书.
pub(crate) const TITLE_SPACING: f32 = 0.08;

/// Refuses an agreement that the law's Art. 29 would not accept as complete.
pub(crate) fn validate(a: &Agreement) -> Result<(), DocumentError> {
    let required = [
        (&a.number, "协议编号"),
        (&a.committee, "人民调解委员会名称"),
        (&a.facts, "纠纷主要事实"),
        (&a.disputed_points, "争议事项"),
        (&a.performance, "履行方式、地点、期限"),
    ];
    for (value, field) in required {
        if value.trim().is_empty() {
            return Err(DocumentError::Missing(field));
        }
    }
    if a.parties.len() < 2 {
        return Err(DocumentError::TooFewParties(a.parties.len()));
    }
    for (i, p) in a.parties.iter().enumerate() {
        if p.role.trim().is_empty() {
            return Err(DocumentError::PartyField {
                index: i + 1,
                field: "身份（申请人或被申请人）",
            });
        }
        if p.name.trim().is_empty() {
            return Err(DocumentError::PartyField {
                index: i + 1,
                field: "姓名或名称",
            });
        }
    }
    if a.terms.iter().all(|t| t.trim().is_empty()) {
        return Err(DocumentError::Missing("协议条款"));
    }
    if a.mediators.iter().all(|m| m.trim().is_empty()) {
        return Err(DocumentError::Missing("人民调解员"));
    }
    if parse_date(&a.signed_date).is_none() {
        return Err(DocumentError::InvalidDate(a.signed_date.clone()));
    }
    let min = minimum_copies(a);
    if a.copies != 0 && a.copies < min {
        return Err(DocumentError::TooFewCopies {
            copies: a.copies,
            parties: a.parties.len(),
            min,
        });
    }
    Ok(())
}

fn minimum_copies(a: &Agreement) -> u32 {
    u32::try_from(a.parties.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

/// The number of copies: `copies`, or one per party plus one kept when it is 0.
pub(crate) fn copies(a: &Agreement) -> u32 {
    if a.copies == 0 {
        minimum_copies(a)
    } else {
        a.copies
    }
}

/// 本协议一式三份，当事人各执一份，调解委员会留存一份。
pub(crate) fn copies_sentence(a: &Agreement) -> String {
    let total = copies(a);
    let parties = u32::try_from(a.parties.len()).unwrap_or(u32::MAX);
    let kept = total.saturating_sub(parties).max(1);
    format!(
        "本协议一式{}份，当事人各执一份，调解委员会留存{}份。",
        chinese_number(total),
        chinese_number(kept)
    )
}

/// A party's details after its role: 张三，男，1968年5月12日出生，公民身份号码：…，住址：…，联系电话：…
pub(crate) fn party_details(p: &Party) -> String {
    let mut parts = vec![p.name.trim().to_string()];
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(sex) = given(&p.sex) {
        parts.push(sex);
    }
    if let Some(birth) = given(&p.birth_date) {
        parts.push(format!("{}出生", chinese_date(&birth).unwrap_or(birth)));
    }
    if let Some(id) = given(&p.id_number_masked) {
        parts.push(format!("公民身份号码：{id}"));
    }
    if let Some(address) = given(&p.address) {
        parts.push(format!("住址：{address}"));
    }
    if let Some(phone) = given(&p.phone_masked) {
        parts.push(format!("联系电话：{phone}"));
    }
    format!("{}。", parts.join("，"))
}

/// The signature line's label: 申请人（张三）：
pub(crate) fn signature_label(p: &Party) -> String {
    format!("{}（{}）：", p.role.trim(), p.name.trim())
}

/// The role label: 申请人：
pub(crate) fn role_label(p: &Party) -> String {
    format!("{}：", p.role.trim())
}

fn same(a: &str, b: &str) -> bool {
    a.trim() == b.trim()
}

/// The recorded confirmations of a party: those naming it (by name, or by role and name).
pub(crate) fn confirmations<'a>(a: &'a Agreement, p: &Party) -> Vec<&'a Signature> {
    a.signatures.iter().filter(|s| signs_for(s, p)).collect()
}

fn signs_for(s: &Signature, p: &Party) -> bool {
    let who = s.party.trim();
    same(who, &p.name)
        || same(who, &format!("{}{}", p.role.trim(), p.name.trim()))
        || same(who, &format!("{} {}", p.role.trim(), p.name.trim()))
}

/// Confirmations that name no party (an agent, a witness): printed after the parties.
pub(crate) fn other_confirmations(a: &Agreement) -> Vec<&Signature> {
    a.signatures
        .iter()
        .filter(|s| !a.parties.iter().any(|p| signs_for(s, p)))
        .collect()
}

/// 已确认：设备确认，2026-03-01 10:20
pub(crate) fn confirmation_note(sigs: &[&Signature]) -> Option<String> {
    if sigs.is_empty() {
        return None;
    }
    let items: Vec<String> = sigs
        .iter()
        .map(|s| {
            let at = crate::text::display_time(&s.at);
            if at.is_empty() {
                s.method.trim().to_string()
            } else {
                format!("{}，{}", s.method.trim(), at)
            }
        })
        .collect();
    Some(format!("已确认：{}", items.join("；")))
}

/// The signing date as printed: 2026年3月1日.
pub(crate) fn signed_date(a: &Agreement) -> String {
    chinese_date(&a.signed_date).unwrap_or_else(|| a.signed_date.trim().to_string())
}

/// Blocks of caller text: one paragraph per non-blank line.
pub(crate) fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// The non-blank terms, numbered 一、二、…
pub(crate) fn numbered_terms(a: &Agreement) -> Vec<(String, &str)> {
    a.terms
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .enumerate()
        .map(|(i, t)| {
            (
                format!(
                    "{}、",
                    chinese_number(u32::try_from(i + 1).unwrap_or(u32::MAX))
                ),
                t,
            )
        })
        .collect()
}

/// Lays the agreement out as rows for the PDF; text is cleaned against the font on the way.
pub(crate) fn rows(a: &Agreement, m: &Metrics<'static>, clean: &mut Sanitizer<'_>) -> Vec<Row> {
    let mut b = Builder {
        m,
        clean,
        rows: Vec::new(),
        group: None,
        next_group: 0,
    };
    let line = BODY_SIZE * LEADING;

    b.centered(TITLE, TITLE_SIZE, TITLE_SPACING * TITLE_SIZE, true, 0.0);
    b.right(&a.number, BODY_SIZE, 0.2 * line);

    for (i, p) in a.parties.iter().enumerate() {
        let label = role_label(p);
        let hang = m
            .width(&b.clean.clean(&label), BODY_SIZE, 0.0)
            .min(6.0 * BODY_SIZE);
        let text = format!("{label}{}", party_details(p));
        b.para(
            &text,
            BODY_SIZE,
            0.0,
            hang,
            if i == 0 { 0.5 * line } else { 0.15 * line },
            false,
        );
    }

    b.heading(FACTS, 0.5 * line);
    for p in paragraphs(&a.facts) {
        b.para(p, BODY_SIZE, 2.0 * BODY_SIZE, 0.0, 0.0, false);
    }
    for (i, p) in paragraphs(&a.disputed_points).enumerate() {
        let text = if i == 0 {
            format!("{DISPUTED}{p}")
        } else {
            p.to_string()
        };
        b.para(&text, BODY_SIZE, 2.0 * BODY_SIZE, 0.0, 0.0, false);
    }

    if let Some(resp) = a
        .responsibilities
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    {
        b.heading(RESPONSIBILITIES, 0.5 * line);
        for p in paragraphs(resp) {
            b.para(p, BODY_SIZE, 2.0 * BODY_SIZE, 0.0, 0.0, false);
        }
    }

    b.heading(TERMS, 0.5 * line);
    for (number, term) in numbered_terms(a) {
        for (i, p) in paragraphs(term).enumerate() {
            let text = if i == 0 {
                format!("{number}{p}")
            } else {
                p.to_string()
            };
            b.para(&text, BODY_SIZE, 2.0 * BODY_SIZE, 0.0, 0.0, false);
        }
    }

    b.heading(PERFORMANCE, 0.5 * line);
    for p in paragraphs(&a.performance) {
        b.para(p, BODY_SIZE, 2.0 * BODY_SIZE, 0.0, 0.0, false);
    }

    // The closing clauses and every signature stay together on one page when they fit, so
    // that no signature page is without agreement text.
    b.begin_group();
    b.para(
        &format!("{}{EFFECT}", copies_sentence(a)),
        BODY_SIZE,
        2.0 * BODY_SIZE,
        0.0,
        0.5 * line,
        false,
    );
    b.heading(PARTY_SIGNATURES, 0.8 * line);
    let mut lines: Vec<(String, Option<String>)> = a
        .parties
        .iter()
        .map(|p| (signature_label(p), confirmation_note(&confirmations(a, p))))
        .collect();
    lines.extend(
        other_confirmations(a)
            .into_iter()
            .map(|s| (format!("{}：", s.party.trim()), confirmation_note(&[s]))),
    );
    let lines: Vec<(String, Option<String>)> = lines
        .into_iter()
        .map(|(label, note)| (b.clean.clean(&label), note))
        .collect();
    // The blanks line up after the longest label (within reason).
    let blank_at = lines
        .iter()
        .map(|(label, _)| m.width(label, BODY_SIZE, 0.0))
        .fold(0.0f32, f32::max)
        .min(BODY_WIDTH / 2.0);
    for (label, note) in &lines {
        b.signature(label, blank_at, note.as_deref(), 0.6 * line);
    }
    b.mediators(a, 0.8 * line);
    b.right(
        &format!("{}{SEAL}", a.committee.trim()),
        BODY_SIZE,
        1.5 * line,
    );
    b.right(&signed_date(a), BODY_SIZE, 0.3 * line);
    b.end_group();

    b.rows
}

struct Builder<'a, 's> {
    m: &'a Metrics<'static>,
    clean: &'a mut Sanitizer<'s>,
    rows: Vec<Row>,
    group: Option<u32>,
    next_group: u32,
}

impl Builder<'_, '_> {
    fn push(
        &mut self,
        size: f32,
        height: f32,
        space_before: f32,
        pieces: Vec<Piece>,
        keep_with_next: bool,
    ) {
        self.rows.push(Row {
            space_before,
            height,
            size,
            pieces,
            keep_with_next,
            group: self.group,
        });
    }

    fn begin_group(&mut self) {
        self.group = Some(self.next_group);
        self.next_group += 1;
    }

    fn end_group(&mut self) {
        self.group = None;
    }

    /// A paragraph: the first line starts `first_x` points in, the others `rest_x`; every
    /// line but the last is justified.
    fn para(
        &mut self,
        text: &str,
        size: f32,
        first_x: f32,
        rest_x: f32,
        space_before: f32,
        bold: bool,
    ) {
        let text = self.clean.clean(text);
        let lines = break_lines(
            &text,
            BODY_WIDTH - first_x,
            BODY_WIDTH - rest_x,
            size,
            self.m,
        );
        let count = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            let x = if i == 0 { first_x } else { rest_x };
            let spacing = if i + 1 < count {
                justify(&line, BODY_WIDTH - x, size)
            } else {
                0.0
            };
            let before = if i == 0 { space_before } else { 0.0 };
            let piece = Piece::Text {
                x,
                text: line.text,
                size,
                bold,
                spacing,
            };
            self.push(size, size * LEADING, before, vec![piece], false);
        }
    }

    fn heading(&mut self, text: &str, space_before: f32) {
        let text = self.clean.clean(text);
        let piece = Piece::Text {
            x: 0.0,
            text,
            size: BODY_SIZE,
            bold: true,
            spacing: 0.0,
        };
        self.push(
            BODY_SIZE,
            BODY_SIZE * LEADING,
            space_before,
            vec![piece],
            true,
        );
    }

    fn centered(&mut self, text: &str, size: f32, spacing: f32, bold: bool, space_before: f32) {
        let text = self.clean.clean(text);
        let width = self.m.width(&text, size, spacing);
        let x = ((BODY_WIDTH - width) / 2.0).max(0.0);
        let piece = Piece::Text {
            x,
            text,
            size,
            bold,
            spacing,
        };
        self.push(size, size * 1.6, space_before, vec![piece], false);
    }

    /// Right-aligned text; too long for one line, it wraps like a paragraph.
    fn right(&mut self, text: &str, size: f32, space_before: f32) {
        let text = self.clean.clean(text);
        let lines = break_lines(&text, BODY_WIDTH, BODY_WIDTH, size, self.m);
        for (i, line) in lines.into_iter().enumerate() {
            let x = (BODY_WIDTH - line.width).max(0.0);
            let piece = Piece::Text {
                x,
                text: line.text,
                size,
                bold: false,
                spacing: 0.0,
            };
            self.push(
                size,
                size * LEADING,
                if i == 0 { space_before } else { 0.0 },
                vec![piece],
                false,
            );
        }
    }

    /// `申请人（张三）：＿＿＿＿＿ 已确认：设备确认，…`: the blank starts at `blank_at` (or
    /// after the label, if longer), the note follows it, or goes to the next line when it does
    /// not fit. `label` is already cleaned.
    fn signature(&mut self, label: &str, blank_at: f32, note: Option<&str>, space_before: f32) {
        let rule_width = 9.0 * BODY_SIZE;
        let label_lines = break_lines(
            label,
            BODY_WIDTH - rule_width,
            BODY_WIDTH - rule_width,
            BODY_SIZE,
            self.m,
        );
        let last = label_lines.len().saturating_sub(1);
        let mut rule_end = 0.0;
        for (i, line) in label_lines.into_iter().enumerate() {
            let mut pieces = Vec::new();
            let width = line.width;
            pieces.push(Piece::Text {
                x: 0.0,
                text: line.text,
                size: BODY_SIZE,
                bold: false,
                spacing: 0.0,
            });
            if i == last {
                let x = width.max(blank_at) + 2.0;
                pieces.push(Piece::Rule {
                    x,
                    width: rule_width,
                });
                rule_end = x + rule_width;
            }
            self.push(
                BODY_SIZE,
                BODY_SIZE * LEADING,
                if i == 0 { space_before } else { 0.0 },
                pieces,
                false,
            );
        }
        let Some(note) = note else { return };
        let note = self.clean.clean(note);
        let note_x = rule_end + 8.0;
        let note_width = self.m.width(&note, NOTE_SIZE, 0.0);
        if note_x + note_width <= BODY_WIDTH {
            if let Some(row) = self.rows.last_mut() {
                row.pieces.push(Piece::Text {
                    x: note_x,
                    text: note,
                    size: NOTE_SIZE,
                    bold: false,
                    spacing: 0.0,
                });
            }
            return;
        }
        let indent = 2.0 * BODY_SIZE;
        for line in break_lines(
            &note,
            BODY_WIDTH - indent,
            BODY_WIDTH - indent,
            NOTE_SIZE,
            self.m,
        ) {
            let piece = Piece::Text {
                x: indent,
                text: line.text,
                size: NOTE_SIZE,
                bold: false,
                spacing: 0.0,
            };
            self.push(NOTE_SIZE, NOTE_SIZE * LEADING, 0.0, vec![piece], false);
        }
    }

    /// 人民调解员签名：王五＿＿＿＿ 赵六＿＿＿＿, flowing onto further lines as needed.
    fn mediators(&mut self, a: &Agreement, space_before: f32) {
        let label = self.clean.clean(MEDIATOR_SIGNATURES);
        let label_width = self.m.width(&label, BODY_SIZE, 0.0);
        let rule_width = 6.0 * BODY_SIZE;
        let mut pieces = vec![Piece::Text {
            x: 0.0,
            text: label,
            size: BODY_SIZE,
            bold: true,
            spacing: 0.0,
        }];
        let mut x = label_width;
        let mut first = true;
        for name in a
            .mediators
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
        {
            let name = self.clean.clean(name);
            let name_width = self.m.width(&name, BODY_SIZE, 0.0);
            if x > label_width && x + name_width + 2.0 + rule_width > BODY_WIDTH {
                let before = if first { space_before } else { 0.6 * BODY_SIZE };
                self.push(
                    BODY_SIZE,
                    BODY_SIZE * LEADING,
                    before,
                    std::mem::take(&mut pieces),
                    false,
                );
                first = false;
                x = label_width;
            }
            pieces.push(Piece::Text {
                x,
                text: name,
                size: BODY_SIZE,
                bold: false,
                spacing: 0.0,
            });
            x += name_width + 2.0;
            pieces.push(Piece::Rule {
                x,
                width: rule_width,
            });
            x += rule_width + BODY_SIZE;
        }
        let before = if first { space_before } else { 0.6 * BODY_SIZE };
        self.push(BODY_SIZE, BODY_SIZE * LEADING, before, pieces, false);
    }
}

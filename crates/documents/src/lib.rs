//! Printable documents: the 人民调解协议书 (mediation agreement, 人民调解法 Art. 29) as a PDF
//! and as an HTML page for on-screen preview and browser printing. Pure functions: data in,
//! bytes out; no storage, no I/O, nothing fetched at run time.
//!
//! # The font
//! The PDF embeds `data/fonts/wangge-cjk.ttf`, compiled into the binary: a subset of Noto
//! Serif CJK SC (SIL OFL 1.1; see `data/fonts/README.md`) holding ASCII, the GB2312
//! punctuation and symbol rows, full-width forms and the 3,755 GB2312 level-1 hanzi. Only the
//! glyphs a document uses are written into it (a subset CID TrueType font with a ToUnicode
//! map, so the text can be searched and copied). A character outside the font is drawn as
//! □ and listed in [`Rendered::missing_glyphs`]: rendering never fails because of one, and
//! the caller decides whether to warn (a rare character in a name is worth checking by hand).
//!
//! # Layout
//! A4, 25 mm margins, 12 pt body with 1.8 line spacing: the title 人民调解协议书 centred, the
//! number right-aligned, the parties, then 纠纷主要事实、争议事项 / 各方责任 (when given) /
//! 经调解，自愿达成如下协议 (terms numbered 一、二、…) / 履行方式、时限, the 份数 and effect
//! clause, the parties' signature lines with their recorded confirmations, the mediators'
//! signature lines, 〈committee〉（印） and the date, right-aligned. Paragraphs are justified
//! with a two-character first-line indent; lines break between Chinese characters but never
//! inside an ASCII word, and closing punctuation never starts a line (标点禁则). The closing
//! clause and all signatures are kept on one page when they fit, so a signature page always
//! carries agreement text. Every page has a footer 第 N 页 共 M 页.

mod agreement;
mod font;
mod html;
mod layout;
mod pdf;
mod text;

use serde::{Deserialize, Serialize};

/// A party to the dispute.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Party {
    /// 申请人 / 被申请人 (or any role the committee uses: 第三人, 代理人…).
    pub role: String,
    /// 姓名, or the name of an organisation.
    pub name: String,
    pub sex: Option<String>,
    /// `YYYY-MM-DD` is printed as 1968年5月12日; anything else as given.
    pub birth_date: Option<String>,
    /// Printed as given: the caller masks it.
    pub id_number_masked: Option<String>,
    pub address: Option<String>,
    /// Printed as given: the caller masks it.
    pub phone_masked: Option<String>,
}

/// A mediation agreement (人民调解协议书).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Agreement {
    /// e.g. 桂东沤江调字〔2026〕第12号
    pub number: String,
    /// 调解委员会名称, e.g. 沤江镇人民调解委员会
    pub committee: String,
    /// At least two.
    pub parties: Vec<Party>,
    /// 纠纷主要事实; each line is a paragraph.
    pub facts: String,
    /// 争议事项
    pub disputed_points: String,
    /// 各方责任; the section is left out when `None` or blank.
    pub responsibilities: Option<String>,
    /// 达成如下协议: the terms, numbered 一、二、… in order (blank ones skipped).
    pub terms: Vec<String>,
    /// 履行方式、地点、期限
    pub performance: String,
    /// 人民调解员, each given a signature line.
    pub mediators: Vec<String>,
    /// `YYYY-MM-DD`
    pub signed_date: String,
    /// 份数: one per party plus at least one kept by the committee. 0 (the default when
    /// absent) means exactly that: parties + 1.
    #[serde(default)]
    pub copies: u32,
    /// Who confirmed and how; each is printed beside the signature line of the party it
    /// names (by [`Party::name`], or role and name such as `申请人张三`); the others get a line
    /// of their own after the parties.
    #[serde(default)]
    pub signatures: Vec<Signature>,
}

/// A recorded confirmation of the agreement by a party.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Signature {
    /// The party's name as in [`Party::name`].
    pub party: String,
    /// 纸质签字扫描 / 设备确认
    pub method: String,
    /// When: an RFC 3339 timestamp is printed as `2026-03-01 10:20` (in its own offset),
    /// anything else as given.
    pub at: String,
}

/// A rendered PDF.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    /// Characters the embedded font lacks, each drawn as □; in order of first appearance,
    /// each once. Empty when everything was drawn as written.
    pub missing_glyphs: Vec<char>,
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("协议书缺少{0}")]
    Missing(&'static str),
    #[error("当事人至少应有两方，现有{0}方")]
    TooFewParties(usize),
    #[error("第{index}位当事人缺少{field}")]
    PartyField { index: usize, field: &'static str },
    #[error("签订日期“{0}”无效，应为 YYYY-MM-DD 格式的真实日期")]
    InvalidDate(String),
    #[error("份数{copies}不足：{parties}方当事人各执一份、调解委员会留存一份，至少需要{min}份")]
    TooFewCopies {
        copies: u32,
        parties: usize,
        min: u32,
    },
    #[error("协议书过长：超过{0}页")]
    TooLong(usize),
    #[error("内置字体无法读取：{0}")]
    Font(String),
    #[error("生成 PDF 失败：{0}")]
    Pdf(String),
}

impl DocumentError {
    /// Whether the agreement itself is at fault (incomplete, inconsistent or too long), as
    /// opposed to the renderer: an HTTP layer answers the former with 422, the latter with 500.
    pub fn is_input_error(&self) -> bool {
        !matches!(self, DocumentError::Font(_) | DocumentError::Pdf(_))
    }
}

/// Longest PDF produced; a longer one is refused rather than rendered.
pub const MAX_PAGES: usize = 200;

/// The agreement as an A4 PDF in the customary layout (see the crate documentation).
///
/// Refuses an incomplete agreement: missing number, committee, facts, disputed points,
/// performance, terms or mediators; fewer than two parties or a party without role or name;
/// a `signed_date` that is not a real `YYYY-MM-DD` date; fewer copies than parties + 1.
pub fn agreement_pdf(a: &Agreement) -> Result<Rendered, DocumentError> {
    agreement::validate(a)?;
    let metrics = font::Metrics::embedded()?;
    let mut clean = text::Sanitizer::new(&metrics);
    let rows = agreement::rows(a, &metrics, &mut clean);
    let pages = layout::paginate(&rows);
    if pages.len() > MAX_PAGES {
        return Err(DocumentError::TooLong(MAX_PAGES));
    }
    let meta = pdf::Meta {
        title: format!("{} {}", agreement::TITLE, a.number.trim()),
    };
    let pdf = pdf::write(&rows, &pages, &metrics, &mut clean, meta)?;
    Ok(Rendered {
        pdf,
        missing_glyphs: clean.into_missing(),
    })
}

/// The same agreement as a standalone HTML page (UTF-8, `lang="zh-CN"`): an A4 sheet on
/// screen, a print stylesheet with 25 mm margins and page numbers, every field escaped, no
/// external resources. It renders whatever it is given; validate with [`agreement_pdf`].
pub fn agreement_html(a: &Agreement) -> String {
    html::render(a)
}

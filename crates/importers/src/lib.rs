//! Household and resident rosters (户籍花名册) from the Excel sheets and CSV files that
//! villages keep: read, validated row by row and across the file, with a downloadable XLSX
//! error report. Pure functions: file bytes in, rows and reports out; no storage, no I/O.
//!
//! # Roster layout
//! One row per resident; the rows of a household share its 户编号. The header row may be
//! anywhere in the first 20 rows (titles above it are skipped), its columns in any order,
//! each named in Chinese or by an English alias:
//!
//! | 列 | alias | |
//! | --- | --- | --- |
//! | 户编号 | `household_no` | required |
//! | 区划代码 | `region_code` | required; any valid code, 21-digit 邻 code expected |
//! | 地址 | `address` | required |
//! | 姓名 | `name` | required |
//! | 身份证号 | `id_number` | required, GB 11643 |
//! | 与户主关系 | `relation` | required: 户主 配偶 子 女 父母 祖父母 孙子女 兄弟姐妹 其他 |
//! | 电话 | `phone` | optional (empty, 无 or - for none) |
//! | 备注 | `note` | optional |
//!
//! Blank rows, and rows where only columns outside the roster are filled (a pre-numbered
//! 序号 column), are skipped. Columns outside the roster are ignored.
//!
//! # What makes a row refused
//! Every row with an error is left out of [`Parsed::rows`] and each error is reported once
//! in [`Parsed::errors`]. Household rules refuse a whole household: every row of it gets
//! its own error. So every household in `rows` is complete: its rows agree on region and
//! address and exactly one of them is the head.

mod columns;
mod generate;
mod mask;
mod read;
mod report;
mod validate;

use serde::Serialize;
use wangge_core::date::Date;

pub use columns::{relation_id, relation_label, COLUMNS, RELATIONS};
pub use report::{code_title, REPORT_HEADERS, REPORT_SHEET, SUMMARY_SHEET};

/// The file formats a roster may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Xlsx,
    Csv,
}

/// The format of an uploaded file. Content decides over the name: a zip container (`PK`)
/// is read as XLSX whatever it is called, and a file named `.xlsx` that is not a zip is
/// refused (`None`), as is a legacy `.xls` or password-protected workbook (an OLE
/// container). Otherwise `.csv`, `.tsv` and `.txt` are CSV, and so is a nameless upload
/// whose content is text (an empty file too: reading it then says it is empty).
pub fn detect_format(filename: &str, bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(Format::Xlsx);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return None;
    }
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "tsv" | "txt" => Some(Format::Csv),
        "xlsx" | "xlsm" | "xls" | "et" => None,
        _ if looks_like_text(bytes) => Some(Format::Csv),
        _ => None,
    }
}

fn looks_like_text(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // Cut inside a character at the end of the sample: still text.
        Err(e) => e.error_len().is_none(),
    }
}

/// One accepted resident. Text fields are trimmed; codes are canonical.
#[derive(Clone, PartialEq)]
pub struct RosterRow {
    /// 1-based sheet row including the header, as a person sees it in Excel.
    pub row: usize,
    pub household_no: String,
    /// Canonical region code, 12 to 21 digits (short forms such as 431027 widened to 12).
    pub region_code: String,
    pub address: String,
    pub name: String,
    /// Canonical (upper-case X) and validated (GB 11643 checksum, real past birth date).
    pub id_number: String,
    /// English relation id: head, spouse, son, daughter, parent, grandparent, grandchild,
    /// sibling, other.
    pub relation: String,
    /// Canonical phone (see `wangge_core::phone::Phone`).
    pub phone: Option<String>,
    pub note: Option<String>,
}

/// Masks the 身份证号 and phone, like `IdNumber`'s own `Debug`, so a row logged by
/// accident (or printed by a failing `assert_eq!`) shows no one's full number.
impl std::fmt::Debug for RosterRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RosterRow")
            .field("row", &self.row)
            .field("household_no", &mask::scrub(&self.household_no))
            .field("region_code", &self.region_code)
            .field("address", &mask::scrub(&self.address))
            .field("name", &self.name)
            .field("id_number", &wangge_core::id_number::mask(&self.id_number))
            .field("relation", &self.relation)
            .field(
                "phone",
                &self.phone.as_deref().map(wangge_core::phone::mask),
            )
            .field("note", &self.note.as_deref().map(mask::scrub))
            .finish()
    }
}

/// One problem in one cell. Never holds a full 身份证号 or phone number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowError {
    /// 1-based sheet row including the header, as a person sees it in Excel.
    pub row: usize,
    /// The Chinese header of the column, e.g. "身份证号".
    pub column: String,
    /// The cell's value, masked for 身份证号 (`4310**********1234`) and phones
    /// (`138****5678`), id- and mobile-like numbers masked in other text too; at most 50
    /// characters.
    pub value: String,
    /// Stable machine code; see [`code_title`] for the list.
    pub code: String,
    /// What is wrong and how to fix it, in Chinese.
    pub reason: String,
}

/// The outcome of reading a roster.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// Rows without any error, in sheet order.
    pub rows: Vec<RosterRow>,
    /// Every error, sorted by row, then column (template order), then code.
    pub errors: Vec<RowError>,
    /// Data rows read (non-blank rows below the header).
    pub total_rows: usize,
    /// 户编号 of households with at least one bad row: importing the rest of such a
    /// household would leave it half-made, so importers leave it out whole.
    pub rejected_households: Vec<String>,
}

/// Problems with the file as a whole; problems with rows are [`RowError`]s.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("无法处理文件：{0}")]
    Unreadable(String),
    /// The Chinese names of the missing required columns, joined by "、".
    #[error("缺少必填列：{0}。表头须包含：户编号、区划代码、地址、姓名、身份证号、与户主关系")]
    MissingColumn(String),
    #[error("文件中没有数据：请在表头下方逐行填写居民信息")]
    Empty,
}

/// Reads and validates. `today` bounds birth dates. Per-row checks: required fields,
/// 身份证号 (GB 11643 via `IdNumber::parse`), phone (`Phone::parse`), region code
/// (`RegionCode::parse`), relation, lengths; in-file checks: the same 身份证号 twice (every
/// such row reported, code `duplicate_in_file`, naming the other rows), a household with no
/// 户主 or two 户主, a household whose head row has an error (`household_head_invalid` on
/// the others), and a household whose rows disagree on region code or address. A row with
/// any error is not in `rows`; for household-level errors every row of that household is
/// excluded and each gets an error. Header problems (missing required column, a column
/// named twice, unreadable file, no data) are an [`ImportError`].
pub fn parse_roster(format: Format, bytes: &[u8], today: Date) -> Result<Parsed, ImportError> {
    let sheet = match format {
        Format::Xlsx => read::read_xlsx(bytes)?,
        Format::Csv => read::read_csv(bytes)?,
    };
    let (map, data) = read::split_header(sheet)?;
    let data: Vec<read::SheetRow> = data
        .into_iter()
        .filter(|r| {
            columns::Col::ALL.into_iter().any(|c| {
                map.get(c)
                    .and_then(|j| r.cell(j))
                    .is_some_and(|cell| !cell.text.is_empty())
            })
        })
        .collect();
    if data.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(validate::validate(&data, &map, today))
}

/// The downloadable error report: a sheet "错误报告" with columns 行号, 列, 值（已脱敏）,
/// 原因, 代码 (bold header, set widths, frozen header row, filter), and a sheet "说明" with
/// the totals, the count per error code and how to read the report.
pub fn error_report_xlsx(errors: &[RowError], total_rows: usize) -> Result<Vec<u8>, ImportError> {
    report::error_report_xlsx(errors, total_rows)
}

/// For tests and benchmarks: a realistic workbook of `households` households (2–5
/// residents each; valid GB 11643 numbers with area 431027 and birth dates no later than
/// 2023, so any `today` from 2024 on; plausible names, phones and addresses; region codes
/// taken from `neighbor_codes` in turn, or built-in 邻 codes if none of them is valid),
/// with about `bad_ratio` of rows made bad in varied ways (wrong checksum, impossible birth
/// date, bad phone, missing name, unknown relation, duplicate 身份证号, household without
/// head, and the households a bad head row takes with it). Deterministic for a seed, to
/// the byte. Returns the XLSX bytes and the exact (row, column, code) list an import must
/// report, sorted by row, then column in template order, then code.
pub fn generate_roster_xlsx(
    seed: u64,
    households: usize,
    bad_ratio: f64,
    neighbor_codes: &[String],
) -> (Vec<u8>, Vec<(usize, String, String)>) {
    generate::generate_roster_xlsx(seed, households, bad_ratio, neighbor_codes)
}

/// The same roster as [`generate_roster_xlsx`] for the same arguments, as UTF-8 CSV with a
/// BOM (what Excel's "CSV UTF-8" writes), with the same expected errors.
pub fn generate_roster_csv(
    seed: u64,
    households: usize,
    bad_ratio: f64,
    neighbor_codes: &[String],
) -> (Vec<u8>, Vec<(usize, String, String)>) {
    generate::generate_roster_csv(seed, households, bad_ratio, neighbor_codes)
}

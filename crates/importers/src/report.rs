//! The downloadable error report: what was wrong, where, in words a village clerk can act on.

use std::collections::{BTreeMap, HashSet};

use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};

use crate::{ImportError, RowError};

/// Sheet names of the report.
pub const REPORT_SHEET: &str = "错误报告";
pub const SUMMARY_SHEET: &str = "说明";

/// Headers of the report sheet, in column order.
pub const REPORT_HEADERS: [&str; 5] = ["行号", "列", "值（已脱敏）", "原因", "代码"];

/// Excel's last row is 1,048,576; one is the header.
const MAX_REPORT_ROWS: usize = 1_048_575;

/// A short Chinese title for each error code, for the summary's table.
pub fn code_title(code: &str) -> &'static str {
    match code {
        "missing_value" => "必填项为空",
        "value_too_long" => "内容过长",
        "id_number_length" => "身份证号位数不对",
        "id_number_format" => "身份证号含非法字符",
        "id_number_region" => "身份证号地址码无效",
        "id_number_birth_date" => "身份证号出生日期不真实",
        "id_number_checksum" => "身份证号校验码错误",
        "id_number_stored_as_number" => "身份证号被存成数字",
        "phone_format" => "电话号码格式错误",
        "region_code_format" | "region_code_length" | "region_code_invalid" => "区划代码无效",
        "region_code_stored_as_number" => "区划代码被存成数字",
        "unknown_relation" => "与户主关系无法识别",
        "duplicate_in_file" => "文件内身份证号重复",
        "household_without_head" => "本户没有户主",
        "household_two_heads" => "本户有多名户主",
        "household_head_invalid" => "本户户主一行有错误",
        "household_region_mismatch" => "同户区划代码不一致",
        "household_address_mismatch" => "同户地址不一致",
        _ => "其他错误",
    }
}

fn xlsx_err(e: XlsxError) -> ImportError {
    ImportError::Unreadable(format!("生成错误报告失败（{e}）"))
}

pub(crate) fn error_report_xlsx(
    errors: &[RowError],
    total_rows: usize,
) -> Result<Vec<u8>, ImportError> {
    let mut book = Workbook::new();
    let bold = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin);
    let wrap = Format::new().set_text_wrap();

    let shown = errors.len().min(MAX_REPORT_ROWS);
    {
        let sheet = book.add_worksheet();
        sheet.set_name(REPORT_SHEET).map_err(xlsx_err)?;
        for (j, (h, width)) in REPORT_HEADERS
            .iter()
            .zip([8.0, 12.0, 26.0, 64.0, 28.0])
            .enumerate()
        {
            let col = j as u16;
            sheet
                .write_string_with_format(0, col, *h, &bold)
                .map_err(xlsx_err)?;
            sheet.set_column_width(col, width).map_err(xlsx_err)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_err)?;
        for (i, e) in errors.iter().take(shown).enumerate() {
            let r = (i + 1) as u32;
            sheet.write_number(r, 0, e.row as f64).map_err(xlsx_err)?;
            sheet.write_string(r, 1, &e.column).map_err(xlsx_err)?;
            sheet.write_string(r, 2, &e.value).map_err(xlsx_err)?;
            sheet
                .write_string_with_format(r, 3, &e.reason, &wrap)
                .map_err(xlsx_err)?;
            sheet.write_string(r, 4, &e.code).map_err(xlsx_err)?;
        }
        if shown > 0 {
            sheet.autofilter(0, 0, shown as u32, 4).map_err(xlsx_err)?;
        }
    }

    let error_rows = errors.iter().map(|e| e.row).collect::<HashSet<_>>().len();
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for e in errors {
        *by_code.entry(e.code.as_str()).or_default() += 1;
    }
    let mut by_code: Vec<(&str, usize)> = by_code.into_iter().collect();
    by_code.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));

    let sheet = book.add_worksheet();
    sheet.set_name(SUMMARY_SHEET).map_err(xlsx_err)?;
    sheet.set_column_width(0, 28).map_err(xlsx_err)?;
    sheet.set_column_width(1, 24).map_err(xlsx_err)?;
    sheet.set_column_width(2, 10).map_err(xlsx_err)?;
    let mut r = 0u32;
    sheet
        .write_string_with_format(r, 0, "导入结果", &bold)
        .map_err(xlsx_err)?;
    r += 1;
    let totals = [
        ("数据行数", total_rows),
        ("有错误的行数（未导入）", error_rows),
        (
            "无错误的行数（可导入）",
            total_rows.saturating_sub(error_rows),
        ),
        ("错误条数", errors.len()),
    ];
    for (label, n) in totals {
        sheet.write_string(r, 0, label).map_err(xlsx_err)?;
        sheet.write_number(r, 1, n as f64).map_err(xlsx_err)?;
        r += 1;
    }
    r += 1;
    if !by_code.is_empty() {
        for (j, h) in ["错误类型", "代码", "条数"].iter().enumerate() {
            sheet
                .write_string_with_format(r, j as u16, *h, &bold)
                .map_err(xlsx_err)?;
        }
        r += 1;
        for (code, n) in &by_code {
            sheet
                .write_string(r, 0, code_title(code))
                .map_err(xlsx_err)?;
            sheet.write_string(r, 1, *code).map_err(xlsx_err)?;
            sheet.write_number(r, 2, *n as f64).map_err(xlsx_err)?;
            r += 1;
        }
        r += 1;
    }
    let mut notes = vec![
        "行号即在 Excel 中看到的行号（含表头行）。".to_string(),
        "“值”已脱敏：身份证号只显示前4位和后4位，电话只显示前3位和后4位。".to_string(),
        "有错误的行整行未导入；户级错误（无户主、多名户主、户主一行有错、同户区划或地址不一致）会使整户未导入。".to_string(),
        "请在原文件中改正后重新导入。".to_string(),
    ];
    if shown < errors.len() {
        notes.push(format!(
            "错误太多，“{REPORT_SHEET}”只列出了前{shown}条（共{}条）。",
            errors.len()
        ));
    }
    for note in notes {
        sheet.write_string(r, 0, note).map_err(xlsx_err)?;
        r += 1;
    }

    book.save_to_buffer().map_err(xlsx_err)
}

//! Turns file bytes into rows of text cells, each with the row number a person sees in
//! Excel, and finds the header row.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::columns::Col;
use crate::ImportError;

/// One cell as text, trimmed. `lossy` marks a number at or above 10^15 that Excel keeps
/// to 15 significant digits: an 18-digit 身份证号 typed into a number cell has already lost
/// its last digits, so it must be refused as such, not checked as if it were what was typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Cell {
    pub text: String,
    pub lossy: bool,
}

/// A non-blank row of a sheet.
#[derive(Debug, Clone)]
pub(crate) struct SheetRow {
    /// 1-based, as Excel shows it.
    pub row: usize,
    pub cells: Vec<Cell>,
}

impl SheetRow {
    pub(crate) fn cell(&self, i: usize) -> Option<&Cell> {
        self.cells.get(i)
    }
}

pub(crate) struct Sheet {
    pub rows: Vec<SheetRow>,
    /// Absolute index of the sheet column that `cells[0]` is in (for column letters).
    pub first_col: usize,
}

/// Where each roster column is, as an index into [`SheetRow::cells`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnMap {
    idx: [Option<usize>; 8],
}

impl ColumnMap {
    pub(crate) fn get(&self, col: Col) -> Option<usize> {
        self.idx[col.index()]
    }
}

/// How many header rows are looked at for the header: rosters often start with a title
/// such as "某某村户籍花名册" and a line with the date before the header.
const HEADER_SEARCH_ROWS: usize = 20;

/// The index in `rows` of the header row: the first of the first rows that names the most
/// roster columns. `None` for a sheet without rows.
fn locate_header(rows: &[SheetRow]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, r) in rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let hits = r
            .cells
            .iter()
            .filter(|c| Col::from_header(&c.text).is_some())
            .count();
        if best.is_none_or(|(_, b)| hits > b) {
            best = Some((i, hits));
        }
    }
    best
}

/// Excel's column letters for a 0-based index (0 → A, 26 → AA).
pub(crate) fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Splits a sheet at its header row and maps the columns. A header that names a column
/// twice is refused (which of the two holds the data would be a guess).
pub(crate) fn split_header(sheet: Sheet) -> Result<(ColumnMap, Vec<SheetRow>), ImportError> {
    let Some((h, _)) = locate_header(&sheet.rows) else {
        return Err(ImportError::Empty);
    };
    let mut rows = sheet.rows;
    let data = rows.split_off(h + 1);
    let header = rows.pop().ok_or(ImportError::Empty)?;
    let mut idx: [Option<usize>; 8] = [None; 8];
    for (j, cell) in header.cells.iter().enumerate() {
        let Some(col) = Col::from_header(&cell.text) else {
            continue;
        };
        if let Some(first) = idx[col.index()] {
            return Err(ImportError::Unreadable(format!(
                "表头中“{}”列出现了两次（第{}列和第{}列），请删去多余的一列",
                col.zh(),
                column_letter(sheet.first_col + first),
                column_letter(sheet.first_col + j)
            )));
        }
        idx[col.index()] = Some(j);
    }
    let missing: Vec<&str> = Col::ALL
        .into_iter()
        .filter(|c| c.required() && idx[c.index()].is_none())
        .map(Col::zh)
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumn(missing.join("、")));
    }
    Ok((ColumnMap { idx }, data))
}

fn cell_from(data: &Data) -> Cell {
    match data {
        Data::String(s) => Cell {
            text: s.trim().to_string(),
            lossy: false,
        },
        Data::Int(i) => Cell {
            text: i.to_string(),
            lossy: false,
        },
        Data::Float(f) => {
            let lossy = f.abs() >= 1e15;
            let text = if f.fract() == 0.0 && f.abs() < 9.0e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            };
            Cell { text, lossy }
        }
        Data::Empty => Cell::default(),
        other => Cell {
            text: other.to_string().trim().to_string(),
            lossy: false,
        },
    }
}

fn is_blank(cells: &[Cell]) -> bool {
    cells.iter().all(|c| c.text.is_empty())
}

/// Reads every sheet until one has a full roster header; otherwise the sheet whose header
/// names the most columns (so the error names what is missing there).
pub(crate) fn read_xlsx(bytes: &[u8]) -> Result<Sheet, ImportError> {
    let mut book = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| ImportError::Unreadable(format!("不是有效的 XLSX 工作簿（{e}）")))?;
    let names = book.sheet_names();
    let mut best: Option<(usize, Sheet)> = None;
    let mut first_err = None;
    for name in names {
        let range = match book.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => {
                first_err.get_or_insert_with(|| format!("工作表“{name}”无法读取（{e}）"));
                continue;
            }
        };
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let mut rows = Vec::with_capacity(range.height());
        for (i, r) in range.rows().enumerate() {
            let cells: Vec<Cell> = r.iter().map(cell_from).collect();
            if !is_blank(&cells) {
                rows.push(SheetRow {
                    row: r0 as usize + i + 1,
                    cells,
                });
            }
        }
        let sheet = Sheet {
            rows,
            first_col: c0 as usize,
        };
        let hits = locate_header(&sheet.rows).map_or(0, |(_, n)| n);
        let required = Col::ALL.iter().filter(|c| c.required()).count();
        if hits >= required {
            return Ok(sheet);
        }
        if best
            .as_ref()
            .is_none_or(|(b, s)| hits > *b || s.rows.is_empty())
        {
            best = Some((hits, sheet));
        }
    }
    match (best, first_err) {
        (Some((_, sheet)), _) => Ok(sheet),
        (None, Some(e)) => Err(ImportError::Unreadable(e)),
        (None, None) => Err(ImportError::Empty),
    }
}

/// Decodes CSV text: UTF-8 with or without BOM, or UTF-16 with BOM (Excel's "Unicode
/// text"). Anything else is most likely GBK from an older Excel, which is refused with
/// the way to save it properly.
fn decode_text(bytes: &[u8]) -> Result<String, ImportError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return utf8(rest);
    }
    let utf16 = |rest: &[u8], le: bool| {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|p| {
                if le {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            })
            .collect();
        String::from_utf16(&units)
            .map_err(|_| ImportError::Unreadable("UTF-16 文本中有无效字符".to_string()))
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false);
    }
    utf8(bytes)
}

fn utf8(bytes: &[u8]) -> Result<String, ImportError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        ImportError::Unreadable(
            "CSV 文件不是 UTF-8 编码（多半是 GBK）：请在 Excel 中“另存为 → CSV UTF-8（逗号分隔）”后重新上传，或直接上传 .xlsx 文件"
                .to_string(),
        )
    })
}

/// Comma, unless the first line has more tabs or semicolons than commas.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |c: char| first.chars().filter(|x| *x == c).count();
    let (comma, tab, semi) = (count(','), count('\t'), count(';'));
    if tab > comma && tab >= semi {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

/// Splits CSV text (RFC 4180: fields in double quotes may hold delimiters, line breaks
/// and doubled quotes) into rows numbered as Excel shows them: a line break inside a
/// quoted field does not start a new row, a blank line does.
fn split_csv(text: &str, delimiter: char) -> Result<Vec<(usize, Vec<String>)>, ImportError> {
    let mut rows = Vec::new();
    let mut row_no = 1usize;
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut at_field_start = true;
    let mut in_quotes = false;
    let mut quote_row = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                in_quotes = true;
                quote_row = row_no;
                at_field_start = false;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                fields.push(std::mem::take(&mut field));
                rows.push((row_no, std::mem::take(&mut fields)));
                row_no += 1;
                at_field_start = true;
            }
            c if c == delimiter => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            c => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if in_quotes {
        return Err(ImportError::Unreadable(format!(
            "CSV 格式错误：第{quote_row}行有一个引号没有闭合"
        )));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        rows.push((row_no, fields));
    }
    Ok(rows)
}

pub(crate) fn read_csv(bytes: &[u8]) -> Result<Sheet, ImportError> {
    let text = decode_text(bytes)?;
    let delimiter = char::from(sniff_delimiter(&text));
    let rows = split_csv(&text, delimiter)?
        .into_iter()
        .filter_map(|(row, fields)| {
            let cells: Vec<Cell> = fields
                .into_iter()
                .map(|f| Cell {
                    text: f.trim().to_string(),
                    lossy: false,
                })
                .collect();
            (!is_blank(&cells)).then_some(SheetRow { row, cells })
        })
        .collect();
    Ok(Sheet { rows, first_col: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn numbers_become_text() {
        assert_eq!(cell_from(&Data::Float(13812345678.0)).text, "13812345678");
        assert!(!cell_from(&Data::Float(13812345678.0)).lossy);
        assert!(cell_from(&Data::Float(4.31027198506011e17)).lossy);
        assert_eq!(cell_from(&Data::Int(7)).text, "7");
        assert_eq!(cell_from(&Data::String("  a ".into())).text, "a");
    }

    #[test]
    fn csv_rows_count_as_excel_does() {
        let text = "a,b\n\n\"x\ny\",1\nz,2\r\nw,\"3,\"\"4\"\"\"\nv";
        let sheet = read_csv(text.as_bytes()).unwrap();
        let rows: Vec<(usize, &str)> = sheet
            .rows
            .iter()
            .map(|r| (r.row, r.cells[0].text.as_str()))
            .collect();
        assert_eq!(
            rows,
            vec![(1, "a"), (3, "x\ny"), (4, "z"), (5, "w"), (6, "v")]
        );
        assert_eq!(sheet.rows[3].cells[1].text, "3,\"4\"");
        assert!(matches!(
            read_csv(b"a,b\n\"open,1\n"),
            Err(ImportError::Unreadable(m)) if m.contains("第2行")
        ));
    }

    #[test]
    fn decodes_bom_and_utf16_and_refuses_gbk() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFab").unwrap(), "ab");
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "姓名\t张三".encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        assert_eq!(decode_text(&utf16).unwrap(), "姓名\t张三");
        // "姓名" in GBK.
        let gbk = [0xD0, 0xD5, 0xC3, 0xFB];
        assert!(matches!(
            decode_text(&gbk),
            Err(ImportError::Unreadable(m)) if m.contains("UTF-8")
        ));
        assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter("a;b;c"), b';');
        assert_eq!(sniff_delimiter("a,b;c"), b',');
    }
}

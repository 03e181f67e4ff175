//! Reading rosters as villages really fill them in: shuffled and English headers, titles
//! above the header, every kind of row error, household rules, masking, CSV and XLSX
//! agreeing, the error report, and the generated county-sized workbook.

use std::collections::{BTreeSet, HashSet};
use std::io::Cursor;
use std::time::Instant;

use calamine::{Data, DataType, Reader, Xlsx};
use rust_xlsxwriter::Workbook;
use wangge_core::date::Date;
use wangge_core::id_number::{check_char, compose};
use wangge_importers::*;

const NEIGHBOR: &str = "431027100202001010101";
const NEIGHBOR2: &str = "431027100202001010102";

fn today() -> Date {
    Date::new(2026, 5, 1).expect("a real date")
}

fn id(year: i32, month: u8, day: u8, seq: u16) -> String {
    compose(
        "431027",
        Date::new(year, month, day).expect("a real date"),
        seq,
    )
}

/// A CSV from rows of cells (commas inside cells are not used by these tests).
fn csv(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut s = String::new();
    for r in rows {
        s.push_str(&r.join(","));
        s.push('\n');
    }
    s.into_bytes()
}

const HEADER: [&str; 8] = [
    "户编号",
    "区划代码",
    "地址",
    "姓名",
    "身份证号",
    "与户主关系",
    "电话",
    "备注",
];

/// A resident row in template order.
fn person<'a>(
    hh: &'a str,
    name: &'a str,
    id: &'a str,
    rel: &'a str,
    phone: &'a str,
) -> Vec<&'a str> {
    vec![hh, NEIGHBOR, "沤江镇东坪村1组3号", name, id, rel, phone, ""]
}

fn parse_csv(rows: &[Vec<&str>]) -> Parsed {
    parse_roster(Format::Csv, &csv(rows), today()).expect("a readable roster")
}

fn triples(p: &Parsed) -> BTreeSet<(usize, String, String)> {
    p.errors
        .iter()
        .map(|e| (e.row, e.column.clone(), e.code.clone()))
        .collect()
}

fn t(row: usize, col: &str, code: &str) -> (usize, String, String) {
    (row, col.to_string(), code.to_string())
}

fn xlsx_from(rows: &[Vec<Data>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (i, r) in rows.iter().enumerate() {
        for (j, v) in r.iter().enumerate() {
            let (i, j) = (i as u32, j as u16);
            match v {
                Data::String(s) => {
                    sheet.write_string(i, j, s).expect("write");
                }
                Data::Float(f) => {
                    sheet.write_number(i, j, *f).expect("write");
                }
                _ => {}
            }
        }
    }
    book.save_to_buffer().expect("xlsx")
}

fn s(v: &str) -> Data {
    if v.is_empty() {
        Data::Empty
    } else {
        Data::String(v.to_string())
    }
}

#[test]
fn shuffled_headers_english_aliases_and_a_title_row() {
    let head = id(1970, 3, 15, 11);
    let wife = id(1972, 8, 1, 22);
    let text = format!(
        "某某村户籍花名册,,,,,,,,\n\
         序号,Phone,Name,relation,ID Number,Household No,Region_Code,address,REMARKS\n\
         1,138 1234 5678,李建国,户主,{head},H1,431027,沤江镇东坪村1组3号,党员\n\
         2,,黄秀英,妻,{},H1,431027, 沤江镇东坪村1组3号 ,\n\
         3,,,,,,,,\n",
        wife.to_lowercase()
    );
    let p = parse_roster(Format::Csv, text.as_bytes(), today()).unwrap();
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.total_rows, 2);
    assert_eq!(p.rows.len(), 2);
    let r = &p.rows[0];
    assert_eq!(r.row, 3);
    assert_eq!(r.household_no, "H1");
    assert_eq!(r.region_code, "431027000000");
    assert_eq!(r.name, "李建国");
    assert_eq!(r.id_number, head);
    assert_eq!(r.relation, "head");
    assert_eq!(r.phone.as_deref(), Some("13812345678"));
    assert_eq!(r.note.as_deref(), Some("党员"));
    let w = &p.rows[1];
    assert_eq!((w.row, w.relation.as_str()), (4, "spouse"));
    assert_eq!(w.id_number, wife, "canonical upper-case form");
    assert_eq!(w.address, "沤江镇东坪村1组3号");
    assert_eq!((w.phone.clone(), w.note.clone()), (None, None));
}

#[test]
fn xlsx_rows_are_numbered_as_excel_shows_them() {
    let head = id(1960, 1, 2, 31);
    let son = id(1990, 6, 30, 13);
    // Title in row 1, blank row 2, header in row 3 (shuffled), a blank row 5 between data.
    let rows = vec![
        vec![s("东坪村花名册")],
        vec![],
        vec![
            s("姓名"),
            s("户编号"),
            s("与户主关系"),
            s("身份证号"),
            s("区划代码"),
            s("地址"),
            s("电话"),
        ],
        vec![
            s("彭志强"),
            s("7"),
            s("户主"),
            s(&head),
            s(NEIGHBOR),
            s("1组"),
            Data::Float(13912345678.0),
        ],
        vec![],
        vec![
            s("彭浩"),
            Data::Float(7.0),
            s("长子"),
            s(&son),
            s(NEIGHBOR),
            s("1组"),
            s("无"),
        ],
    ];
    let p = parse_roster(Format::Xlsx, &xlsx_from(&rows), today()).unwrap();
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let got: Vec<(usize, &str, &str, Option<&str>)> = p
        .rows
        .iter()
        .map(|r| {
            (
                r.row,
                r.household_no.as_str(),
                r.relation.as_str(),
                r.phone.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![(4, "7", "head", Some("13912345678")), (6, "7", "son", None)]
    );
    assert_eq!(p.rows[0].region_code, NEIGHBOR);
}

#[test]
fn every_per_row_error_kind() {
    let good = id(1980, 5, 5, 101);
    let feb30 = format!("43102719900230123{}", check_char(b"43102719900230123"));
    let future = id(2027, 1, 1, 1);
    let mut wrong_check = good.clone();
    let last = if good.ends_with('0') { "1" } else { "0" };
    wrong_check.replace_range(17..18, last);
    let zero_region = {
        let body = "00102719800505101";
        format!("{body}{}", check_char(body.as_bytes()))
    };
    let long_name = "名".repeat(51);
    // One single-person household per case, each the head (so no household rule fires),
    // and each with a distinct valid id unless the id is the point.
    let ids: Vec<String> = (0..20).map(|i| id(1950 + i, 1, 1, 1)).collect();
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        // (row cells, column, code)
        (
            vec!["A1", NEIGHBOR, "地址", "甲", "4310271980", "户主", ""],
            "身份证号",
            "id_number_length",
        ),
        (
            vec![
                "A2",
                NEIGHBOR,
                "地址",
                "甲",
                "43102719800505A01X",
                "户主",
                "",
            ],
            "身份证号",
            "id_number_format",
        ),
        (
            vec![
                "A3",
                NEIGHBOR,
                "地址",
                "甲",
                zero_region.as_str(),
                "户主",
                "",
            ],
            "身份证号",
            "id_number_region",
        ),
        (
            vec!["A4", NEIGHBOR, "地址", "甲", feb30.as_str(), "户主", ""],
            "身份证号",
            "id_number_birth_date",
        ),
        (
            vec!["A5", NEIGHBOR, "地址", "甲", future.as_str(), "户主", ""],
            "身份证号",
            "id_number_birth_date",
        ),
        (
            vec![
                "A6",
                NEIGHBOR,
                "地址",
                "甲",
                wrong_check.as_str(),
                "户主",
                "",
            ],
            "身份证号",
            "id_number_checksum",
        ),
        (
            vec!["A7", "4310a", "地址", "甲", ids[0].as_str(), "户主", ""],
            "区划代码",
            "region_code_format",
        ),
        (
            vec!["A8", "4310271", "地址", "甲", ids[1].as_str(), "户主", ""],
            "区划代码",
            "region_code_length",
        ),
        (
            vec![
                "A9",
                "431027100202000",
                "地址",
                "甲",
                ids[2].as_str(),
                "户主",
                "",
            ],
            "区划代码",
            "region_code_invalid",
        ),
        (
            vec![
                "A10",
                NEIGHBOR,
                "地址",
                "甲",
                ids[3].as_str(),
                "户主",
                "1381234567",
            ],
            "电话",
            "phone_format",
        ),
        (
            vec![
                "A11",
                NEIGHBOR,
                "地址",
                "甲",
                ids[4].as_str(),
                "户主",
                "12812345678",
            ],
            "电话",
            "phone_format",
        ),
        (
            vec!["", NEIGHBOR, "地址", "甲", ids[5].as_str(), "户主", ""],
            "户编号",
            "missing_value",
        ),
        (
            vec!["A13", "", "地址", "甲", ids[6].as_str(), "户主", ""],
            "区划代码",
            "missing_value",
        ),
        (
            vec!["A14", NEIGHBOR, "", "甲", ids[7].as_str(), "户主", ""],
            "地址",
            "missing_value",
        ),
        (
            vec!["A15", NEIGHBOR, "地址", "", ids[8].as_str(), "户主", ""],
            "姓名",
            "missing_value",
        ),
        (
            vec!["A16", NEIGHBOR, "地址", "甲", "", "户主", ""],
            "身份证号",
            "missing_value",
        ),
        (
            vec!["A17", NEIGHBOR, "地址", "甲", ids[9].as_str(), "", ""],
            "与户主关系",
            "missing_value",
        ),
        (
            vec![
                "A18",
                NEIGHBOR,
                "地址",
                long_name.as_str(),
                ids[10].as_str(),
                "户主",
                "",
            ],
            "姓名",
            "value_too_long",
        ),
        (
            vec!["A19", NEIGHBOR, "地址", "甲", ids[11].as_str(), "户主", ""],
            "",
            "",
        ),
    ]
    .into_iter()
    .map(|(cells, col, code)| (cells.into_iter().map(String::from).collect(), col, code))
    .collect();
    let mut rows: Vec<Vec<&str>> = vec![HEADER[..7].to_vec()];
    for (cells, _, _) in &cases {
        rows.push(cells.iter().map(String::as_str).collect());
    }
    let p = parse_csv(&rows);
    let mut expected = BTreeSet::new();
    for (i, (_, col, code)) in cases.iter().enumerate() {
        if !col.is_empty() {
            expected.insert(t(i + 2, col, code));
        }
    }
    // A missing relation also leaves that household without a head.
    expected.insert(t(18, "与户主关系", "household_without_head"));
    assert_eq!(triples(&p), expected);
    assert_eq!(p.total_rows, cases.len());
    // Only the last case is clean.
    assert_eq!(p.rows.len(), 1);
    assert_eq!(p.rows[0].row, cases.len() + 1);
    // Chinese reasons, from the core's messages.
    let checksum = p
        .errors
        .iter()
        .find(|e| e.code == "id_number_checksum")
        .unwrap();
    assert_eq!(checksum.reason, "身份证号校验码错误");
    assert_eq!(checksum.column, "身份证号");
}

#[test]
fn unknown_relation_and_accepted_variants() {
    let a = id(1960, 1, 1, 1);
    let b = id(1962, 1, 1, 2);
    let c = id(1985, 1, 1, 3);
    let d = id(1990, 1, 1, 4);
    let rows = vec![
        HEADER.to_vec(),
        person("H1", "甲", &a, "本人", ""),
        person("H1", "乙", &b, "妻子", ""),
        person("H1", "丙", &c, "儿媳", ""),
        person("H1", "丁", &d, "干亲", ""),
    ];
    let p = parse_csv(&rows);
    assert_eq!(
        triples(&p),
        BTreeSet::from([t(5, "与户主关系", "unknown_relation")])
    );
    let rels: Vec<&str> = p.rows.iter().map(|r| r.relation.as_str()).collect();
    assert_eq!(rels, ["head", "spouse", "daughter"]);
    let e = &p.errors[0];
    assert_eq!(e.value, "干亲");
    assert!(e.reason.contains("户主、配偶、子、女"), "{}", e.reason);
}

#[test]
fn duplicates_in_file_name_each_other() {
    let dup = id(1975, 7, 7, 71);
    let tri = id(1976, 7, 7, 72);
    let (h1, h2, h3) = (id(1950, 1, 1, 1), id(1951, 1, 1, 1), id(1952, 1, 1, 1));
    let dup_lower = dup.to_lowercase();
    let rows = vec![
        HEADER.to_vec(),
        person("H1", "甲", &h1, "户主", ""),
        person("H1", "乙", &dup, "子", ""),
        person("H2", "丙", &h2, "户主", ""),
        person("H2", "丁", &dup_lower, "配偶", ""),
        person("H3", "戊", &h3, "户主", ""),
        person("H3", "己", &tri, "子", ""),
        person("H3", "庚", &tri, "女", ""),
        person("H3", "辛", &tri, "其他", ""),
    ];
    let p = parse_csv(&rows);
    let dups: Vec<(usize, &str)> = p
        .errors
        .iter()
        .filter(|e| e.code == "duplicate_in_file")
        .map(|e| (e.row, e.reason.as_str()))
        .collect();
    assert_eq!(dups.len(), 5);
    assert!(dups[0].0 == 3 && dups[0].1.contains("第5行"), "{dups:?}");
    assert!(dups[1].0 == 5 && dups[1].1.contains("第3行"), "{dups:?}");
    assert!(dups[2].0 == 7 && dups[2].1.contains("第8、9行"), "{dups:?}");
    assert!(dups[3].0 == 8 && dups[3].1.contains("第7、9行"), "{dups:?}");
    assert!(dups[4].0 == 9 && dups[4].1.contains("第7、8行"), "{dups:?}");
    assert_eq!(p.errors.len(), 5, "members only: no household rule fires");
    let kept: Vec<usize> = p.rows.iter().map(|r| r.row).collect();
    assert_eq!(kept, [2, 4, 6]);
    // The value is masked, never the number itself.
    assert!(p.errors.iter().all(|e| e.value.contains("**********")));
}

#[test]
fn household_rules_refuse_whole_households() {
    let n = |i: u16| id(1940 + i32::from(i), 2, 2, i);
    let ids: Vec<String> = (0..30).map(n).collect();
    let mut rows = vec![HEADER.to_vec()];
    // Row 2–3: H1 has no head.
    rows.push(person("H1", "a", ids[0].as_str(), "配偶", ""));
    rows.push(person("H1", "b", ids[1].as_str(), "子", ""));
    // Row 4–6: H2 has two heads.
    rows.push(person("H2", "c", ids[2].as_str(), "户主", ""));
    rows.push(person("H2", "d", ids[3].as_str(), "户主", ""));
    rows.push(person("H2", "e", ids[4].as_str(), "女", ""));
    // Row 7–8: H3 disagrees on region code.
    rows.push(person("H3", "f", ids[5].as_str(), "户主", ""));
    rows.push(vec![
        "H3",
        NEIGHBOR2,
        "沤江镇东坪村1组3号",
        "g",
        ids[6].as_str(),
        "子",
        "",
        "",
    ]);
    // Row 9–10: H4 disagrees on address (spacing alone does not count).
    rows.push(vec![
        "H4",
        NEIGHBOR,
        "东坪村 1组",
        "h",
        ids[7].as_str(),
        "户主",
        "",
        "",
    ]);
    rows.push(vec![
        "H4",
        NEIGHBOR,
        "东坪村2组",
        "i",
        ids[8].as_str(),
        "子",
        "",
        "",
    ]);
    // Row 11–13: H5's head row is bad, so the household waits.
    rows.push(person("H5", "j", ids[9].as_str(), "户主", "123"));
    rows.push(person("H5", "k", ids[10].as_str(), "配偶", ""));
    rows.push(person("H5", "l", ids[11].as_str(), "子", ""));
    // Row 14–15: H6 is fine, though not contiguous (row 16 below).
    rows.push(person("H6", "m", ids[12].as_str(), "户主", ""));
    rows.push(person("H6", "n", ids[13].as_str(), "配偶", ""));
    // Row 16: H7 fine, with a bad member: only that member is refused.
    rows.push(person("H7", "o", ids[14].as_str(), "户主", ""));
    rows.push(person("H7", "", ids[15].as_str(), "子", ""));
    rows.push(person("H6", "p", ids[16].as_str(), "子", ""));
    // Row 19-20: spaces around the code and a short form still agree.
    rows.push(vec![
        "H8",
        "431027",
        "x",
        "q",
        ids[17].as_str(),
        "户主",
        "",
        "",
    ]);
    rows.push(vec![
        "H8",
        " 431027000000 ",
        "x",
        "r",
        ids[18].as_str(),
        "子",
        "",
        "",
    ]);
    let p = parse_csv(&rows);
    let expected = BTreeSet::from([
        t(2, "与户主关系", "household_without_head"),
        t(3, "与户主关系", "household_without_head"),
        t(4, "与户主关系", "household_two_heads"),
        t(5, "与户主关系", "household_two_heads"),
        t(6, "与户主关系", "household_two_heads"),
        t(7, "区划代码", "household_region_mismatch"),
        t(8, "区划代码", "household_region_mismatch"),
        t(9, "地址", "household_address_mismatch"),
        t(10, "地址", "household_address_mismatch"),
        t(11, "电话", "phone_format"),
        t(12, "户编号", "household_head_invalid"),
        t(13, "户编号", "household_head_invalid"),
        t(17, "姓名", "missing_value"),
    ]);
    assert_eq!(triples(&p), expected);
    let kept: Vec<usize> = p.rows.iter().map(|r| r.row).collect();
    assert_eq!(kept, [14, 15, 16, 18, 19, 20]);
    let two = p
        .errors
        .iter()
        .find(|e| e.code == "household_two_heads")
        .unwrap();
    assert!(two.reason.contains("第4、5行"), "{}", two.reason);
    let region = p
        .errors
        .iter()
        .find(|e| e.code == "household_region_mismatch")
        .unwrap();
    assert!(region.reason.contains(NEIGHBOR2), "{}", region.reason);
    let head = p
        .errors
        .iter()
        .find(|e| e.code == "household_head_invalid")
        .unwrap();
    assert!(head.reason.contains("第11行"), "{}", head.reason);
    // Every household that made it in has exactly one head.
    let mut heads = std::collections::HashMap::new();
    for r in &p.rows {
        *heads.entry(r.household_no.as_str()).or_insert(0) += usize::from(r.relation == "head");
    }
    assert!(heads.values().all(|&n| n == 1), "{heads:?}");
}

#[test]
fn errors_never_show_a_full_id_or_phone() {
    let good = id(1988, 8, 8, 88);
    let mut bad_check = good.clone();
    bad_check.replace_range(17..18, if good.ends_with('1') { "2" } else { "1" });
    let phone = "13907351234";
    let address = format!("住址，电话{phone}");
    let rows: Vec<Vec<&str>> = vec![
        HEADER.to_vec(),
        // A bad phone next to a good id, an id pasted into the name and note columns.
        vec![
            "H1",
            NEIGHBOR,
            "地址",
            good.as_str(),
            bad_check.as_str(),
            "户主",
            "1390735123",
            "",
        ],
        vec![
            "H1",
            NEIGHBOR,
            address.as_str(),
            "乙",
            good.as_str(),
            "干亲",
            phone,
            good.as_str(),
        ],
    ];
    let p = parse_csv(&rows);
    assert!(!p.errors.is_empty());
    let json = serde_json::to_string(&p.errors).unwrap();
    for secret in [good.as_str(), bad_check.as_str(), phone, "1390735123"] {
        assert!(!json.contains(secret), "{secret} leaked: {json}");
    }
    let id_err = p.errors.iter().find(|e| e.column == "身份证号").unwrap();
    assert_eq!(id_err.value, format!("4310**********{}", &bad_check[14..]));
    let phone_err = p.errors.iter().find(|e| e.column == "电话").unwrap();
    assert_eq!(phone_err.value, "139***5123");
    // Debug output of accepted rows is masked too.
    let (bytes, _) = generate_roster_csv(1, 3, 0.0, &[]);
    let parsed = parse_roster(Format::Csv, &bytes, today()).unwrap();
    let debug = format!("{:?}", parsed.rows);
    for r in &parsed.rows {
        assert!(!debug.contains(&r.id_number));
        if let Some(p) = &r.phone {
            assert!(!debug.contains(p.as_str()));
        }
    }
}

#[test]
fn generated_errors_are_all_masked() {
    let (bytes, _) = generate_roster_csv(99, 400, 0.1, &[]);
    let text = String::from_utf8(bytes.clone()).unwrap();
    let parsed = parse_roster(Format::Csv, &bytes, today()).unwrap();
    let mut secrets = HashSet::new();
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells[4].len() >= 8 {
            secrets.insert(cells[4].to_string());
        }
        if cells[6].len() >= 8 {
            secrets.insert(cells[6].to_string());
        }
    }
    assert!(secrets.len() > 500);
    for e in &parsed.errors {
        for secret in &secrets {
            assert!(
                !e.value.contains(secret.as_str()) && !e.reason.contains(secret.as_str()),
                "{e:?}"
            );
        }
    }
}

#[test]
fn csv_with_bom_and_xlsx_give_the_same_result() {
    let codes = vec![NEIGHBOR.to_string(), NEIGHBOR2.to_string()];
    let (xlsx, expected_x) = generate_roster_xlsx(7, 300, 0.05, &codes);
    let (csv_bytes, expected_c) = generate_roster_csv(7, 300, 0.05, &codes);
    assert_eq!(expected_x, expected_c);
    assert!(csv_bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    let from_xlsx = parse_roster(Format::Xlsx, &xlsx, today()).unwrap();
    let from_csv = parse_roster(Format::Csv, &csv_bytes, today()).unwrap();
    assert_eq!(from_xlsx, from_csv);
    assert!(from_xlsx.rows.len() > 800);
    // The same file without its BOM reads the same.
    let no_bom = parse_roster(Format::Csv, &csv_bytes[3..], today()).unwrap();
    assert_eq!(no_bom, from_csv);
    // Region codes cycle through the given 邻 codes.
    let regions: HashSet<&str> = from_csv
        .rows
        .iter()
        .map(|r| r.region_code.as_str())
        .collect();
    assert_eq!(regions, HashSet::from([NEIGHBOR, NEIGHBOR2]));
}

#[test]
fn error_report_reads_back() {
    let (bytes, _) = generate_roster_csv(3, 200, 0.1, &[]);
    let parsed = parse_roster(Format::Csv, &bytes, today()).unwrap();
    assert!(parsed.errors.len() > 10);
    let report = error_report_xlsx(&parsed.errors, parsed.total_rows).unwrap();

    // Through a real file, as a browser download would land.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("错误报告.xlsx");
    std::fs::write(&path, &report).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), [REPORT_SHEET, SUMMARY_SHEET]);
    assert_eq!(REPORT_SHEET, "错误报告");
    assert_eq!(SUMMARY_SHEET, "说明");

    let range = book.worksheet_range(REPORT_SHEET).unwrap();
    let mut it = range.rows();
    let header: Vec<String> = it.next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(header, ["行号", "列", "值（已脱敏）", "原因", "代码"]);
    let back: Vec<RowError> = it
        .map(|r| RowError {
            row: r[0].as_f64().unwrap() as usize,
            column: r[1].to_string(),
            value: r[2].to_string(),
            reason: r[3].to_string(),
            code: r[4].to_string(),
        })
        .collect();
    assert_eq!(back, parsed.errors);

    let summary = book.worksheet_range(SUMMARY_SHEET).unwrap();
    let lookup = |label: &str| -> f64 {
        summary
            .rows()
            .find(|r| r[0].get_string() == Some(label))
            .and_then(|r| r[1].as_f64())
            .unwrap()
    };
    let error_rows: HashSet<usize> = parsed.errors.iter().map(|e| e.row).collect();
    assert_eq!(lookup("数据行数") as usize, parsed.total_rows);
    assert_eq!(lookup("有错误的行数（未导入）") as usize, error_rows.len());
    assert_eq!(lookup("无错误的行数（可导入）") as usize, parsed.rows.len());
    assert_eq!(lookup("错误条数") as usize, parsed.errors.len());
    let codes: HashSet<String> = summary.rows().map(|r| r[1].to_string()).collect();
    assert!(codes.contains("id_number_checksum"));

    // An empty report is still a valid workbook.
    let empty = error_report_xlsx(&[], 5).unwrap();
    let mut book = Xlsx::new(Cursor::new(empty)).unwrap();
    assert_eq!(book.worksheet_range(REPORT_SHEET).unwrap().height(), 1);
}

#[test]
fn header_and_file_problems_are_import_errors() {
    let missing = csv(&[
        vec!["户编号", "姓名", "地址", "身份证号"],
        vec!["1", "2", "3", "4"],
    ]);
    match parse_roster(Format::Csv, &missing, today()) {
        Err(ImportError::MissingColumn(c)) => assert_eq!(c, "区划代码、与户主关系"),
        other => panic!("{other:?}"),
    }
    let msg = ImportError::MissingColumn("区划代码".into()).to_string();
    assert!(msg.starts_with("缺少必填列：区划代码"), "{msg}");

    let twice = csv(&[
        vec![
            "户编号",
            "区划代码",
            "地址",
            "姓名",
            "身份证号",
            "与户主关系",
            "name",
        ],
        vec!["1"],
    ]);
    match parse_roster(Format::Csv, &twice, today()) {
        Err(ImportError::Unreadable(m)) => {
            assert!(m.contains("“姓名”列出现了两次（第D列和第G列）"), "{m}")
        }
        other => panic!("{other:?}"),
    }

    assert!(matches!(
        parse_roster(Format::Csv, b"", today()),
        Err(ImportError::Empty)
    ));
    assert!(matches!(
        parse_roster(Format::Csv, b"\xEF\xBB\xBF\n\n", today()),
        Err(ImportError::Empty)
    ));
    let header_only = csv(&[HEADER.to_vec(), vec!["", "", ""]]);
    assert!(matches!(
        parse_roster(Format::Csv, &header_only, today()),
        Err(ImportError::Empty)
    ));
    assert!(matches!(
        parse_roster(Format::Xlsx, b"PK\x03\x04 not really a zip", today()),
        Err(ImportError::Unreadable(_))
    ));
    assert!(matches!(
        parse_roster(Format::Xlsx, b"name,id\n", today()),
        Err(ImportError::Unreadable(_))
    ));
    // "户编号,姓名" in GBK.
    let gbk = [
        0xBB, 0xA7, 0xB1, 0xE0, 0xBA, 0xC5, b',', 0xD0, 0xD5, 0xC3, 0xFB,
    ];
    match parse_roster(Format::Csv, &gbk, today()) {
        Err(ImportError::Unreadable(m)) => assert!(m.contains("UTF-8"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A workbook with nothing in it.
    let mut book = Workbook::new();
    book.add_worksheet();
    let empty = book.save_to_buffer().unwrap();
    assert!(matches!(
        parse_roster(Format::Xlsx, &empty, today()),
        Err(ImportError::Empty)
    ));
}

#[test]
fn the_roster_sheet_need_not_be_the_first() {
    let mut book = Workbook::new();
    book.add_worksheet()
        .set_name("填表说明")
        .unwrap()
        .write_string(0, 0, "请按模板填写")
        .unwrap();
    let sheet = book.add_worksheet();
    for (j, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, j as u16, *h).unwrap();
    }
    let head = id(1966, 6, 6, 61);
    for (j, v) in person("H1", "甲", &head, "户主", "").iter().enumerate() {
        sheet.write_string(1, j as u16, *v).unwrap();
    }
    let p = parse_roster(Format::Xlsx, &book.save_to_buffer().unwrap(), today()).unwrap();
    assert_eq!(p.rows.len(), 1);
    assert_eq!(p.rows[0].id_number, head);
}

#[test]
fn an_id_typed_into_a_number_cell_is_named_as_such() {
    let head = id(1970, 1, 1, 1);
    let as_number: f64 = head[..17].parse::<f64>().unwrap() * 10.0;
    let rows = vec![
        HEADER.iter().map(|h| s(h)).collect(),
        vec![
            s("H1"),
            s(NEIGHBOR),
            s("地址"),
            s("甲"),
            Data::Float(as_number),
            s("户主"),
        ],
        vec![
            s("H2"),
            Data::Float(431027100202001010101.0),
            s("地址"),
            s("乙"),
            s(&id(1971, 1, 1, 1)),
            s("户主"),
        ],
    ];
    let p = parse_roster(Format::Xlsx, &xlsx_from(&rows), today()).unwrap();
    assert_eq!(
        triples(&p),
        BTreeSet::from([
            t(2, "身份证号", "id_number_stored_as_number"),
            t(3, "区划代码", "region_code_stored_as_number"),
        ])
    );
    assert!(p.errors[0].reason.contains("文本"));
}

#[test]
fn formats_are_detected_by_content_then_name() {
    let (xlsx, _) = generate_roster_xlsx(1, 2, 0.0, &[]);
    assert_eq!(detect_format("roster.xlsx", &xlsx), Some(Format::Xlsx));
    assert_eq!(detect_format("roster.csv", &xlsx), Some(Format::Xlsx));
    assert_eq!(detect_format("upload", &xlsx), Some(Format::Xlsx));
    assert_eq!(
        detect_format("花名册.CSV", "户编号,姓名\n".as_bytes()),
        Some(Format::Csv)
    );
    assert_eq!(
        detect_format("blob", b"\xEF\xBB\xBFa,b\n"),
        Some(Format::Csv)
    );
    assert_eq!(detect_format("roster.xlsx", b"a,b\n"), None);
    assert_eq!(
        detect_format("old.xls", &[0xD0, 0xCF, 0x11, 0xE0, 0, 0]),
        None
    );
    assert_eq!(detect_format("x.csv", b""), Some(Format::Csv));
    assert_eq!(detect_format("x.xlsx", b""), None);
    assert_eq!(
        detect_format("photo", &[0x89, b'P', b'N', b'G', 0, 0, 0]),
        None
    );
}

#[test]
fn generator_is_deterministic() {
    let codes = vec![NEIGHBOR.to_string()];
    let a = generate_roster_xlsx(42, 150, 0.05, &codes);
    let b = generate_roster_xlsx(42, 150, 0.05, &codes);
    assert_eq!(a, b, "same seed, same bytes and errors");
    let c = generate_roster_xlsx(43, 150, 0.05, &codes);
    assert_ne!(a.0, c.0);
    assert_eq!(
        generate_roster_csv(42, 150, 0.05, &codes),
        generate_roster_csv(42, 150, 0.05, &codes)
    );
    // No bad rows when none are asked for.
    let (clean, expected) = generate_roster_csv(5, 500, 0.0, &codes);
    assert!(expected.is_empty());
    let p = parse_roster(Format::Csv, &clean, today()).unwrap();
    assert!(
        p.errors.is_empty(),
        "{:?}",
        &p.errors[..p.errors.len().min(5)]
    );
    assert_eq!(p.rows.len(), p.total_rows);
}

#[test]
fn ten_thousand_households_give_exactly_the_expected_errors() {
    let codes: Vec<String> = (1..=12)
        .map(|i| format!("4310271002020010101{i:02}"))
        .collect();
    let (bytes, expected) = generate_roster_xlsx(2026, 10_000, 0.02, &codes);
    let start = Instant::now();
    let p = parse_roster(Format::Xlsx, &bytes, today()).unwrap();
    let elapsed = start.elapsed();
    eprintln!(
        "parse_roster: 10,000 households, {} rows, {} errors in {:?} ({} build)",
        p.total_rows,
        p.errors.len(),
        elapsed,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    assert!((33_000..37_000).contains(&p.total_rows), "{}", p.total_rows);

    let got: BTreeSet<(usize, String, String)> = triples(&p);
    let want: BTreeSet<(usize, String, String)> = expected.iter().cloned().collect();
    let missing: Vec<_> = want.difference(&got).take(10).collect();
    let extra: Vec<_> = got.difference(&want).take(10).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    assert_eq!(p.errors.len(), expected.len(), "no error reported twice");
    // The list is sorted as documented, like the import's own.
    let order: Vec<(usize, String, String)> = p
        .errors
        .iter()
        .map(|e| (e.row, e.column.clone(), e.code.clone()))
        .collect();
    assert_eq!(order, expected);

    let bad_rows: HashSet<usize> = expected.iter().map(|(r, _, _)| *r).collect();
    let ratio = bad_rows.len() as f64 / p.total_rows as f64;
    eprintln!(
        "rows with errors: {} ({:.2}%)",
        bad_rows.len(),
        ratio * 100.0
    );
    assert!((0.012..0.03).contains(&ratio), "bad ratio {ratio}");
    assert_eq!(p.rows.len() + bad_rows.len(), p.total_rows);
    // Every kind of mistake shows up at this size.
    let codes: HashSet<&str> = expected.iter().map(|(_, _, c)| c.as_str()).collect();
    for code in [
        "id_number_checksum",
        "id_number_birth_date",
        "phone_format",
        "missing_value",
        "unknown_relation",
        "duplicate_in_file",
        "household_without_head",
        "household_head_invalid",
    ] {
        assert!(codes.contains(code), "{code} never generated");
    }
    if !cfg!(debug_assertions) {
        assert!(elapsed.as_secs_f64() < 1.0, "{elapsed:?}");
    }
}

//! Row checks and in-file checks. Everything is one pass over the rows plus hash maps, so
//! a county-sized roster (tens of thousands of rows) validates in linear time.

use std::collections::HashMap;

use wangge_core::date::Date;
use wangge_core::id_number::IdNumber;
use wangge_core::phone::Phone;
use wangge_core::region::RegionCode;

use crate::columns::{relation_id, Col, RELATIONS};
use crate::mask::{display_value, scrub};
use crate::read::{ColumnMap, SheetRow};
use crate::{Parsed, RosterRow, RowError};

/// Longest accepted text per column (characters); longer values are refused, not cut.
fn max_chars(col: Col) -> Option<usize> {
    match col {
        Col::HouseholdNo => Some(50),
        Col::Name => Some(50),
        Col::Address => Some(200),
        Col::Note => Some(500),
        _ => None,
    }
}

/// Placeholders people put in an optional cell to say "none".
fn is_none_placeholder(s: &str) -> bool {
    matches!(s, "无" | "暂无" | "没有" | "-" | "—" | "--" | "/" | "／")
}

/// One data row after the per-row checks, before the in-file checks.
struct Checked {
    row: usize,
    raw: [String; 8],
    household_no: String,
    region: Option<String>,
    address_key: String,
    id: Option<String>,
    relation: Option<&'static str>,
    phone: Option<String>,
    errors: Vec<RowError>,
}

impl Checked {
    fn raw(&self, col: Col) -> &str {
        &self.raw[col.index()]
    }

    fn push(&mut self, col: Col, code: &str, reason: impl Into<String>) {
        let value = display_value(col, self.raw(col));
        self.errors.push(RowError {
            row: self.row,
            column: col.zh().to_string(),
            value,
            code: code.to_string(),
            reason: reason.into(),
        });
    }
}

fn check_row(sheet_row: &SheetRow, map: &ColumnMap, today: Date) -> Checked {
    let mut raw: [String; 8] = Default::default();
    let mut lossy = [false; 8];
    for col in Col::ALL {
        if let Some(cell) = map.get(col).and_then(|j| sheet_row.cell(j)) {
            raw[col.index()] = cell.text.clone();
            lossy[col.index()] = cell.lossy;
        }
    }
    let mut c = Checked {
        row: sheet_row.row,
        household_no: raw[Col::HouseholdNo.index()].clone(),
        region: None,
        address_key: raw[Col::Address.index()]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        id: None,
        relation: None,
        phone: None,
        errors: Vec::new(),
        raw,
    };

    for col in Col::ALL {
        let value = c.raw(col);
        if col.required() && value.is_empty() {
            c.push(col, "missing_value", format!("“{}”不能为空", col.zh()));
            continue;
        }
        if let Some(max) = max_chars(col) {
            let n = value.chars().count();
            if n > max {
                c.push(
                    col,
                    "value_too_long",
                    format!("“{}”过长：{n}个字，最多{max}个字", col.zh()),
                );
                continue;
            }
        }
        match col {
            Col::RegionCode if lossy[col.index()] => c.push(
                col,
                "region_code_stored_as_number",
                "区划代码被存成了数字，Excel 只保留15位有效数字，末几位已丢失：请把该列设为“文本”格式后重新填写",
            ),
            Col::RegionCode => match RegionCode::parse(col.zh(), value) {
                Ok(code) => c.region = Some(code.as_str().to_string()),
                Err(e) => c.push(col, e.code, e.message),
            },
            Col::IdNumber if lossy[col.index()] => c.push(
                col,
                "id_number_stored_as_number",
                "身份证号被存成了数字，Excel 只保留15位有效数字，末几位已丢失：请把该列设为“文本”格式后重新填写",
            ),
            Col::IdNumber => match IdNumber::parse(col.zh(), value, today) {
                Ok(id) => c.id = Some(id.as_str().to_string()),
                Err(e) => c.push(col, e.code, e.message),
            },
            Col::Relation => match relation_id(value) {
                Some(id) => c.relation = Some(id),
                None => {
                    let allowed: Vec<&str> = RELATIONS.iter().map(|(_, zh)| *zh).collect();
                    c.push(
                        col,
                        "unknown_relation",
                        format!("无法识别的与户主关系，应填写：{}", allowed.join("、")),
                    );
                }
            },
            Col::Phone if !value.is_empty() && !is_none_placeholder(value) => {
                match Phone::parse(col.zh(), value) {
                    Ok(p) => c.phone = Some(p.as_str().to_string()),
                    Err(e) => c.push(col, e.code, e.message),
                }
            }
            _ => {}
        }
    }
    c
}

/// "第3、7、12行" (at most ten rows named, then how many more).
fn rows_phrase(rows: &[usize]) -> String {
    const SHOWN: usize = 10;
    let list: Vec<String> = rows.iter().take(SHOWN).map(usize::to_string).collect();
    if rows.len() > SHOWN {
        format!("第{}等{}行", list.join("、"), rows.len())
    } else {
        format!("第{}行", list.join("、"))
    }
}

pub(crate) fn validate(data: &[SheetRow], map: &ColumnMap, today: Date) -> Parsed {
    let mut checked: Vec<Checked> = data.iter().map(|r| check_row(r, map, today)).collect();
    let total_rows = checked.len();

    // The same 身份证号 twice or more in the file: every such row is refused, each naming
    // the others, since which one is right is for a person to decide.
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in checked.iter().enumerate() {
        if let Some(id) = &c.id {
            by_id.entry(id.as_str()).or_default().push(i);
        }
    }
    let mut duplicates: Vec<(usize, String)> = Vec::new();
    for members in by_id.values().filter(|m| m.len() > 1) {
        for &i in members {
            let others: Vec<usize> = members
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| checked[j].row)
                .collect();
            duplicates.push((
                i,
                format!("身份证号与{}重复：同一人只能出现一次", rows_phrase(&others)),
            ));
        }
    }
    drop(by_id);
    for (i, reason) in duplicates {
        checked[i].push(Col::IdNumber, "duplicate_in_file", reason);
    }

    // Households, in order of first appearance.
    let mut household_index: HashMap<&str, usize> = HashMap::new();
    let mut households: Vec<Vec<usize>> = Vec::new();
    for (i, c) in checked.iter().enumerate() {
        if c.household_no.is_empty() {
            continue;
        }
        let k = *household_index
            .entry(c.household_no.as_str())
            .or_insert_with(|| {
                households.push(Vec::new());
                households.len() - 1
            });
        households[k].push(i);
    }
    drop(household_index);

    let mut household_errors: Vec<(usize, Col, &'static str, String)> = Vec::new();
    for members in &households {
        let rows_of =
            |idx: &[usize]| -> Vec<usize> { idx.iter().map(|&i| checked[i].row).collect() };
        let heads: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| checked[i].relation == Some("head"))
            .collect();
        match heads.len() {
            0 => {
                for &i in members {
                    household_errors.push((
                        i,
                        Col::Relation,
                        "household_without_head",
                        format!(
                            "本户（{}）没有户主：每户须有且只有一名“户主”",
                            rows_phrase(&rows_of(members))
                        ),
                    ));
                }
            }
            1 => {
                let head = heads[0];
                if !checked[head].errors.is_empty() {
                    for &i in members.iter().filter(|&&i| i != head) {
                        household_errors.push((
                            i,
                            Col::HouseholdNo,
                            "household_head_invalid",
                            format!(
                                "本户户主所在的第{}行有错误，本户其他成员暂不导入：改正户主一行后重新导入",
                                checked[head].row
                            ),
                        ));
                    }
                }
            }
            n => {
                for &i in members {
                    household_errors.push((
                        i,
                        Col::Relation,
                        "household_two_heads",
                        format!(
                            "本户有{n}名户主（{}）：每户只能有一名“户主”",
                            rows_phrase(&rows_of(&heads))
                        ),
                    ));
                }
            }
        }

        // Rows of one household must agree on where it is. Compared on the canonical code
        // (rows whose code is invalid already carry their own error).
        let mut regions: Vec<(&str, Vec<usize>)> = Vec::new();
        for &i in members {
            if let Some(r) = checked[i].region.as_deref() {
                match regions.iter_mut().find(|(code, _)| *code == r) {
                    Some((_, rows)) => rows.push(checked[i].row),
                    None => regions.push((r, vec![checked[i].row])),
                }
            }
        }
        if regions.len() > 1 {
            let detail: Vec<String> = regions
                .iter()
                .take(4)
                .map(|(code, rows)| format!("{}为{code}", rows_phrase(rows)))
                .collect();
            let reason = format!("同一户各行的区划代码不一致（{}）", detail.join("；"));
            for &i in members {
                household_errors.push((
                    i,
                    Col::RegionCode,
                    "household_region_mismatch",
                    reason.clone(),
                ));
            }
        }
        let mut addresses: Vec<(&str, Vec<usize>)> = Vec::new();
        for &i in members {
            let a = checked[i].address_key.as_str();
            if a.is_empty() {
                continue;
            }
            match addresses.iter_mut().find(|(addr, _)| *addr == a) {
                Some((_, rows)) => rows.push(checked[i].row),
                None => addresses.push((a, vec![checked[i].row])),
            }
        }
        if addresses.len() > 1 {
            let groups: Vec<String> = addresses
                .iter()
                .take(4)
                .map(|(_, rows)| rows_phrase(rows))
                .collect();
            let reason = format!(
                "同一户各行的地址不一致（{}的地址各不相同）",
                groups.join(" 与 ")
            );
            for &i in members {
                household_errors.push((
                    i,
                    Col::Address,
                    "household_address_mismatch",
                    reason.clone(),
                ));
            }
        }
    }
    for (i, col, code, reason) in household_errors {
        checked[i].push(col, code, scrub(&reason));
    }

    let mut rows = Vec::with_capacity(total_rows);
    let mut errors = Vec::new();
    let mut rejected_households = std::collections::BTreeSet::new();
    for c in checked {
        if !c.errors.is_empty() && !c.household_no.trim().is_empty() {
            rejected_households.insert(c.household_no.trim().to_string());
        }
        if c.errors.is_empty() {
            let [household_no, _, address, name, _, _, _, note] = c.raw;
            rows.push(RosterRow {
                row: c.row,
                household_no,
                region_code: c.region.unwrap_or_default(),
                address,
                name,
                id_number: c.id.unwrap_or_default(),
                relation: c.relation.unwrap_or_default().to_string(),
                phone: c.phone,
                note: Some(note).filter(|n| !n.is_empty()),
            });
        } else {
            errors.extend(c.errors);
        }
    }
    sort_errors(&mut errors);
    Parsed {
        rows,
        errors,
        total_rows,
        rejected_households: rejected_households.into_iter().collect(),
    }
}

/// By row, then by the column's place in the template, then by code.
pub(crate) fn sort_errors(errors: &mut [RowError]) {
    errors.sort_by(|a, b| {
        let col = |e: &RowError| Col::from_zh(&e.column).map_or(usize::MAX, Col::index);
        (a.row, col(a), &a.code).cmp(&(b.row, col(b), &b.code))
    });
}

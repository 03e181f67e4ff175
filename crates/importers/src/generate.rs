//! A realistic roster for tests and benchmarks, with known mistakes and the exact list of
//! errors an import must report for them.
//!
//! The expected errors are derived from what was broken on purpose (and the household
//! rules), never by running the validator, so the two check each other.

use std::collections::HashSet;

use rust_xlsxwriter::{ExcelDateTime, Workbook};
use wangge_core::date::{days_in_month, Date};
use wangge_core::id_number::{check_char, compose};
use wangge_core::region::RegionCode;

use crate::columns::{Col, COLUMNS};

/// Every birth date is on or before this year's end, so any `today` from 2024-01-01 on
/// accepts the good rows.
const LATEST_BIRTH_YEAR: i32 = 2023;
const AREA: &str = "431027";

const DEFAULT_NEIGHBORS: [&str; 4] = [
    "431027100202001010101",
    "431027100202001010102",
    "431027100202001010203",
    "431027101201002010101",
];

const SURNAMES: &[&str] = &[
    "李", "黄", "陈", "郭", "刘", "张", "王", "曹", "罗", "邓", "谢", "何", "扶", "胡", "朱", "钟",
    "周", "吴", "唐", "彭", "肖", "谭", "廖", "蒋", "袁", "邱", "欧阳", "方", "郑", "雷",
];
const MALE_CHARS: &[&str] = &[
    "伟", "强", "军", "勇", "杰", "涛", "明", "辉", "华", "平", "建", "国", "志", "文", "斌", "浩",
    "宇", "俊", "磊", "鹏", "海", "林", "峰", "春", "东", "荣", "金", "德", "福", "生",
];
const FEMALE_CHARS: &[&str] = &[
    "芳", "娟", "敏", "静", "丽", "艳", "霞", "玲", "燕", "红", "梅", "英", "兰", "萍", "琴", "婷",
    "雪", "慧", "佳", "欣", "怡", "秀", "桂", "香", "莲", "凤", "花", "珍", "娥", "翠",
];
const TOWNS: &[&str] = &[
    "沤江镇",
    "大塘镇",
    "寨前镇",
    "沙田镇",
    "清泉镇",
    "四都镇",
    "普乐镇",
    "桥头乡",
    "新坊乡",
    "东洛乡",
    "青竹乡",
    "增口乡",
];
const VILLAGE_A: &[&str] = &[
    "东", "西", "南", "北", "上", "下", "新", "老", "大", "小", "石", "塘", "岭", "竹", "枫", "桂",
];
const VILLAGE_B: &[&str] = &[
    "田", "坪", "坑", "塘", "岭", "洞", "山", "溪", "湾", "口", "源", "背",
];
const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185",
    "186", "187", "188", "189", "191", "198", "199",
];
const ADULT_NOTES: &[&str] = &[
    "外出务工",
    "党员",
    "退役军人",
    "低保户",
    "脱贫户",
    "残疾人",
    "独居老人",
];
const UNKNOWN_RELATIONS: &[&str] = &["干亲", "租客", "朋友", "表亲", "同住"];

/// SplitMix64: tiny, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + self.below((hi - lo + 1).max(1) as usize) as i32
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Sex {
    Male,
    Female,
}

struct Person {
    name: String,
    id: String,
    relation: String,
    phone: String,
    /// Written as a number cell in the XLSX (as when someone types a mobile into Excel).
    phone_as_number: bool,
    note: String,
    deleted: bool,
    /// Already broken or used as the source of a duplicate: not broken again.
    locked: bool,
    errors: Vec<(Col, &'static str)>,
}

struct Household {
    no: String,
    region: String,
    address: String,
    members: Vec<usize>,
}

struct Builder {
    rng: Rng,
    people: Vec<Person>,
    households: Vec<Household>,
    used_ids: HashSet<String>,
}

impl Builder {
    fn birth(&mut self, age: i32) -> Date {
        let year = LATEST_BIRTH_YEAR - age.max(0);
        let month = self.rng.range(1, 12) as u8;
        let day = self.rng.range(1, i32::from(days_in_month(year, month))) as u8;
        Date { year, month, day }
    }

    fn unique_id(&mut self, birth: Date, sex: Sex) -> String {
        loop {
            let mut seq = self.rng.below(1000) as u16;
            let odd = seq % 2 == 1;
            if odd != (sex == Sex::Male) {
                seq = (seq + 1) % 1000;
            }
            let id = compose(AREA, birth, seq);
            if self.used_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn given_name(&mut self, sex: Sex) -> String {
        let chars = if sex == Sex::Male {
            MALE_CHARS
        } else {
            FEMALE_CHARS
        };
        let mut s = self.rng.pick(chars).to_string();
        if self.rng.chance(0.7) {
            s.push_str(self.rng.pick(chars));
        }
        s
    }

    fn phone(&mut self, age: i32) -> (String, bool) {
        if age < 16 {
            return (String::new(), false);
        }
        let r = self.rng.below(100);
        if r < 70 {
            let p = format!("{}{}", self.rng.pick(MOBILE_PREFIXES), self.rng.digits(8));
            (p, self.rng.chance(0.1))
        } else if r < 75 {
            (
                format!("0735-{}{}", self.rng.range(2, 8), self.rng.digits(6)),
                false,
            )
        } else {
            (String::new(), false)
        }
    }

    fn add_person(&mut self, household: usize, surname: &str, sex: Sex, age: i32, relation: &str) {
        let birth = self.birth(age);
        let id = self.unique_id(birth, sex);
        let name = format!("{surname}{}", self.given_name(sex));
        let (phone, phone_as_number) = self.phone(age);
        let note = if age >= 18 && self.rng.chance(0.06) {
            self.rng.pick(ADULT_NOTES).to_string()
        } else if (6..=22).contains(&age) && self.rng.chance(0.05) {
            "在校学生".to_string()
        } else {
            String::new()
        };
        let i = self.people.len();
        self.people.push(Person {
            name,
            id,
            relation: relation.to_string(),
            phone,
            phone_as_number,
            note,
            deleted: false,
            locked: false,
            errors: Vec::new(),
        });
        self.households[household].members.push(i);
    }

    fn household(&mut self, h: usize, neighbor: &str) {
        let code = neighbor.as_bytes();
        let n = |r: std::ops::Range<usize>| -> usize {
            code.get(r)
                .map(|d| d.iter().fold(0usize, |a, b| a * 10 + usize::from(b - b'0')))
                .unwrap_or(0)
        };
        let town = TOWNS[n(6..9) % TOWNS.len()];
        let village = format!(
            "{}{}村",
            VILLAGE_A[n(9..12) % VILLAGE_A.len()],
            VILLAGE_B[(n(9..12) / VILLAGE_A.len() + n(12..15)) % VILLAGE_B.len()]
        );
        let group = n(17..19).max(1);
        let address = format!(
            "桂东县{town}{village}{group}组{}号",
            1 + h % 97 + self.rng.below(3)
        );
        self.households.push(Household {
            no: format!("H{:06}", h + 1),
            region: neighbor.to_string(),
            address,
            members: Vec::new(),
        });

        let size = match self.rng.below(100) {
            0..15 => 2,
            15..50 => 3,
            50..85 => 4,
            _ => 5,
        };
        let surname = self.rng.pick(SURNAMES);
        let head_sex = if self.rng.chance(0.8) {
            Sex::Male
        } else {
            Sex::Female
        };
        let head_age = self.rng.range(26, 82);
        self.add_person(h, surname, head_sex, head_age, "户主");
        let mut slots = size - 1;
        if self.rng.chance(0.85) {
            let other = if head_sex == Sex::Male {
                Sex::Female
            } else {
                Sex::Male
            };
            let spouse_surname = self.rng.pick(SURNAMES);
            let age = (head_age + self.rng.range(-5, 4)).max(22);
            self.add_person(h, spouse_surname, other, age, "配偶");
            slots -= 1;
        }
        if slots > 0 && head_age >= 25 {
            let kids = slots.min(1 + self.rng.below(3));
            for _ in 0..kids {
                let sex = if self.rng.chance(0.52) {
                    Sex::Male
                } else {
                    Sex::Female
                };
                let age = (head_age - 23 - self.rng.range(0, 12)).max(0);
                let rel = if sex == Sex::Male { "子" } else { "女" };
                self.add_person(h, surname, sex, age, rel);
            }
            slots -= kids;
        }
        while slots > 0 {
            let sex = if self.rng.chance(0.5) {
                Sex::Male
            } else {
                Sex::Female
            };
            if head_age >= 58 && self.rng.chance(0.7) {
                let age = self.rng.range(0, (head_age - 46).min(20));
                self.add_person(h, surname, sex, age, "孙子女");
            } else if head_age <= 55 && self.rng.chance(0.7) {
                let age = head_age + self.rng.range(22, 32);
                let s = if sex == Sex::Male {
                    surname
                } else {
                    self.rng.pick(SURNAMES)
                };
                self.add_person(h, s, sex, age, "父母");
            } else if self.rng.chance(0.6) {
                let age = (head_age + self.rng.range(-8, 8)).max(16);
                self.add_person(h, surname, sex, age, "兄弟姐妹");
            } else {
                let s = self.rng.pick(SURNAMES);
                let age = self.rng.range(18, 70);
                self.add_person(h, s, sex, age, "其他");
            }
            slots -= 1;
        }
    }

    /// Breaks one row in one of the per-row ways; a duplicate also marks its source row.
    fn break_row(&mut self, i: usize, clean: &[usize]) {
        self.people[i].locked = true;
        let kind = self.rng.below(100);
        let (col, code) = match kind {
            0..25 => {
                let good = self.people[i].id.as_bytes()[17];
                let bad = loop {
                    let c = b"0123456789X"[self.rng.below(11)];
                    if c != good {
                        break c;
                    }
                };
                self.people[i]
                    .id
                    .replace_range(17..18, &char::from(bad).to_string());
                (Col::IdNumber, "id_number_checksum")
            }
            25..40 => {
                // 13th month, 30 February, 29 February of a common year, 32nd day, future.
                let date =
                    ["19901301", "19870230", "19900229", "19850532", "20990101"][self.rng.below(5)];
                let body = format!("{AREA}{date}{}", self.rng.digits(3));
                self.people[i].id = format!("{body}{}", check_char(body.as_bytes()));
                (Col::IdNumber, "id_number_birth_date")
            }
            40..55 => {
                let base = format!("{}{}", self.rng.pick(MOBILE_PREFIXES), self.rng.digits(8));
                let bad = match self.rng.below(4) {
                    0 => base[..10].to_string(),
                    1 => format!("{base}{}", self.rng.below(10)),
                    2 => format!("12{}", &base[2..]),
                    _ => format!("{}abcd{}", &base[..3], &base[7..]),
                };
                let p = &mut self.people[i];
                p.phone = bad;
                p.phone_as_number = false;
                (Col::Phone, "phone_format")
            }
            70..80 => {
                self.people[i].relation = self.rng.pick(UNKNOWN_RELATIONS).to_string();
                (Col::Relation, "unknown_relation")
            }
            80.. => {
                // A resident entered twice: this row repeats an earlier clean row's number.
                let source = (0..8)
                    .filter_map(|_| clean.get(self.rng.below(clean.len())).copied())
                    .find(|&s| !self.people[s].locked);
                match source {
                    Some(s) => {
                        let id = self.people[s].id.clone();
                        let src = &mut self.people[s];
                        src.locked = true;
                        src.errors.push((Col::IdNumber, "duplicate_in_file"));
                        self.people[i].id = id;
                        (Col::IdNumber, "duplicate_in_file")
                    }
                    None => {
                        self.people[i].name.clear();
                        (Col::Name, "missing_value")
                    }
                }
            }
            _ => {
                self.people[i].name.clear();
                (Col::Name, "missing_value")
            }
        };
        self.people[i].errors.push((col, code));
    }
}

/// The generated roster: rows (without the header) and the expected (row, column, code).
struct Roster {
    rows: Vec<[String; 8]>,
    phone_as_number: Vec<bool>,
    expected: Vec<(usize, String, String)>,
}

fn build(seed: u64, households: usize, bad_ratio: f64, neighbor_codes: &[String]) -> Roster {
    let mut neighbors: Vec<String> = neighbor_codes
        .iter()
        .filter_map(|c| RegionCode::parse("region_code", c).ok())
        .map(|c| c.as_str().to_string())
        .collect();
    if neighbors.is_empty() {
        neighbors = DEFAULT_NEIGHBORS.iter().map(|s| s.to_string()).collect();
    }
    let mut b = Builder {
        rng: Rng(seed ^ 0x7761_6E67_6765_0001),
        people: Vec::new(),
        households: Vec::with_capacity(households),
        used_ids: HashSet::new(),
    };
    for h in 0..households {
        let code = neighbors[h % neighbors.len()].clone();
        b.household(h, &code);
    }

    let bad_ratio = bad_ratio.clamp(0.0, 1.0);
    // Calibrated so that about `bad_ratio` of the rows end up with an error, counting the
    // rows a broken head or a missing head takes with it.
    let household_rate = bad_ratio * 0.08;
    let row_rate = bad_ratio * 0.45;
    for h in 0..b.households.len() {
        if b.households[h].members.len() > 1 && b.rng.chance(household_rate) {
            // The head's row was left out of the roster.
            let head = b.households[h].members[0];
            b.people[head].deleted = true;
            b.people[head].locked = true;
        }
    }
    let mut clean: Vec<usize> = Vec::new();
    for i in 0..b.people.len() {
        if b.people[i].deleted {
            continue;
        }
        if !b.people[i].locked && b.rng.chance(row_rate) {
            b.break_row(i, &clean);
        } else if !b.people[i].locked {
            clean.push(i);
        }
    }

    // Household rules, from the intended data.
    let mut household_errors: Vec<(usize, Col, &'static str)> = Vec::new();
    for hh in &b.households {
        let present: Vec<usize> = hh
            .members
            .iter()
            .copied()
            .filter(|&i| !b.people[i].deleted)
            .collect();
        let heads: Vec<usize> = present
            .iter()
            .copied()
            .filter(|&i| b.people[i].relation == "户主")
            .collect();
        match heads.as_slice() {
            [] => {
                for &i in &present {
                    household_errors.push((i, Col::Relation, "household_without_head"));
                }
            }
            [head] if !b.people[*head].errors.is_empty() => {
                for &i in present.iter().filter(|&&i| i != *head) {
                    household_errors.push((i, Col::HouseholdNo, "household_head_invalid"));
                }
            }
            [_] => {}
            _ => {
                for &i in &present {
                    household_errors.push((i, Col::Relation, "household_two_heads"));
                }
            }
        }
    }
    for (i, col, code) in household_errors {
        b.people[i].errors.push((col, code));
    }

    let mut rows = Vec::with_capacity(b.people.len());
    let mut phone_as_number = Vec::with_capacity(b.people.len());
    let mut expected = Vec::new();
    for hh in &b.households {
        for &i in &hh.members {
            let p = &b.people[i];
            if p.deleted {
                continue;
            }
            let row = rows.len() + 2;
            let mut errs: Vec<(Col, &str)> = p.errors.clone();
            errs.sort();
            for (col, code) in errs {
                expected.push((row, col.zh().to_string(), code.to_string()));
            }
            rows.push([
                hh.no.clone(),
                hh.region.clone(),
                hh.address.clone(),
                p.name.clone(),
                p.id.clone(),
                p.relation.clone(),
                p.phone.clone(),
                p.note.clone(),
            ]);
            phone_as_number.push(p.phone_as_number);
        }
    }
    Roster {
        rows,
        phone_as_number,
        expected,
    }
}

fn roster_xlsx(roster: &Roster) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    // A fixed creation time keeps the bytes the same for the same seed.
    let created = ExcelDateTime::from_ymd(2024, 1, 1)?;
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    let sheet = book.add_worksheet();
    sheet.set_name("户籍花名册")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (j, (h, w)) in COLUMNS
        .iter()
        .zip([10, 24, 36, 10, 22, 12, 16, 14])
        .enumerate()
    {
        sheet.write_string_with_format(0, j as u16, *h, &bold)?;
        sheet.set_column_width(j as u16, w)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (i, row) in roster.rows.iter().enumerate() {
        let r = (i + 1) as u32;
        for (j, v) in row.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            let is_phone = j == Col::Phone.index();
            match v.parse::<u64>() {
                Ok(n) if is_phone && roster.phone_as_number[i] => {
                    sheet.write_number(r, j as u16, n as f64)?;
                }
                _ => {
                    sheet.write_string(r, j as u16, v)?;
                }
            }
        }
    }
    book.save_to_buffer()
}

fn roster_csv(roster: &Roster) -> Result<Vec<u8>, csv::Error> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(COLUMNS)?;
        for row in &roster.rows {
            w.write_record(row)?;
        }
        w.flush()?;
    }
    Ok(out)
}

pub(crate) fn generate_roster_xlsx(
    seed: u64,
    households: usize,
    bad_ratio: f64,
    neighbor_codes: &[String],
) -> (Vec<u8>, Vec<(usize, String, String)>) {
    let roster = build(seed, households, bad_ratio, neighbor_codes);
    let bytes = roster_xlsx(&roster).unwrap_or_default();
    (bytes, roster.expected)
}

pub(crate) fn generate_roster_csv(
    seed: u64,
    households: usize,
    bad_ratio: f64,
    neighbor_codes: &[String],
) -> (Vec<u8>, Vec<(usize, String, String)>) {
    let roster = build(seed, households, bad_ratio, neighbor_codes);
    let bytes = roster_csv(&roster).unwrap_or_default();
    (bytes, roster.expected)
}

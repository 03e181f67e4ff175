//! Word lists for fictional people and places, and small helpers to draw from them.

use rand::Rng;

pub const SURNAMES: &[&str] = &[
    "李", "黄", "陈", "郭", "刘", "张", "王", "曹", "罗", "邓", "谢", "何", "扶", "胡", "朱", "钟",
    "周", "吴", "唐", "彭", "肖", "谭", "廖", "蒋", "袁", "邱", "欧阳", "方", "郑", "雷", "曾",
    "范", "许", "段", "汤", "尹", "黎", "文", "郭", "龙",
];
pub const MALE: &[&str] = &[
    "伟", "强", "军", "勇", "杰", "涛", "明", "辉", "华", "平", "建", "国", "志", "文", "斌", "浩",
    "宇", "俊", "磊", "鹏", "海", "林", "峰", "春", "东", "荣", "金", "德", "福", "生", "永", "贵",
    "新", "桂", "长", "清",
];
pub const FEMALE: &[&str] = &[
    "芳", "娟", "敏", "静", "丽", "艳", "霞", "玲", "燕", "红", "梅", "英", "兰", "萍", "琴", "婷",
    "雪", "慧", "佳", "欣", "怡", "秀", "桂", "香", "莲", "凤", "花", "珍", "娥", "翠", "小", "春",
    "冬", "月",
];
/// First and second characters of village and township names.
pub const PLACE_A: &[&str] = &[
    "东", "西", "南", "北", "上", "下", "新", "老", "大", "小", "石", "塘", "岭", "竹", "枫", "桂",
    "青", "龙", "凤", "白", "黄", "金", "高", "长", "沙", "马", "牛", "桥", "茶", "杉", "松", "梅",
    "杨", "柳", "水", "江", "清", "云", "平", "安",
];
pub const PLACE_B: &[&str] = &[
    "田", "坪", "坑", "塘", "岭", "洞", "山", "溪", "湾", "口", "源", "背", "冲", "坳", "寨", "头",
    "洲", "桥", "江", "水", "林", "家", "湖", "坝", "垄", "岗",
];
const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// 1 → 一, 12 → 十二, 40 → 四十 (1..=99).
pub fn zh_number(n: usize) -> String {
    match n {
        0..=9 => DIGITS[n].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", DIGITS[n % 10]),
        _ if n.is_multiple_of(10) && n < 100 => format!("{}十", DIGITS[n / 10]),
        _ if n < 100 => format!("{}十{}", DIGITS[n / 10], DIGITS[n % 10]),
        _ => n.to_string(),
    }
}

pub fn pick<'a, R: Rng>(rng: &mut R, list: &[&'a str]) -> &'a str {
    list[rng.gen_range(0..list.len())]
}

/// One or two given characters.
pub fn given_name<R: Rng>(rng: &mut R, male: bool) -> String {
    let list = if male { MALE } else { FEMALE };
    let mut s = pick(rng, list).to_string();
    if rng.gen_bool(0.7) {
        s.push_str(pick(rng, list));
    }
    s
}

/// A fictional full name.
pub fn person_name<R: Rng>(rng: &mut R, male: bool) -> String {
    format!("{}{}", pick(rng, SURNAMES), given_name(rng, male))
}

/// A mobile number: 1[3-9] and nine digits.
pub fn mobile<R: Rng>(rng: &mut R) -> String {
    let second = [3, 5, 7, 8, 9][rng.gen_range(0..5)];
    format!("1{second}{:09}", rng.gen_range(0..1_000_000_000_u32))
}

/// A two-character place name.
pub fn place<R: Rng>(rng: &mut R) -> String {
    format!("{}{}", pick(rng, PLACE_A), pick(rng, PLACE_B))
}

/// SplitMix64: a stateless hash for values that must not depend on draw order
/// (the shared vertices of grid polygons).
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A value in [-1, 1) from a hash.
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers() {
        assert_eq!(zh_number(1), "一");
        assert_eq!(zh_number(10), "十");
        assert_eq!(zh_number(12), "十二");
        assert_eq!(zh_number(40), "四十");
        assert_eq!(zh_number(57), "五十七");
    }

    #[test]
    fn unit_is_in_range() {
        for i in 0..1000 {
            let u = unit(mix(i));
            assert!((-1.0..1.0).contains(&u));
        }
    }
}

//! The roster's columns, their Chinese headers and the aliases accepted for them, and the
//! relation-to-head vocabulary.

/// One roster column. The order is the template's column order and the order in which
/// errors of one row are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Col {
    HouseholdNo,
    RegionCode,
    Address,
    Name,
    IdNumber,
    Relation,
    Phone,
    Note,
}

impl Col {
    pub(crate) const ALL: [Col; 8] = [
        Col::HouseholdNo,
        Col::RegionCode,
        Col::Address,
        Col::Name,
        Col::IdNumber,
        Col::Relation,
        Col::Phone,
        Col::Note,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The Chinese header, as in the template and in every [`crate::RowError`].
    pub(crate) fn zh(self) -> &'static str {
        COLUMNS[self.index()]
    }

    pub(crate) fn required(self) -> bool {
        !matches!(self, Col::Phone | Col::Note)
    }

    /// Accepted header spellings after [`normalize_header`].
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Col::HouseholdNo => &[
                "户编号",
                "户号",
                "household_no",
                "household_number",
                "household",
            ],
            Col::RegionCode => &[
                "区划代码",
                "行政区划代码",
                "区划编码",
                "region_code",
                "region",
            ],
            Col::Address => &["地址", "住址", "家庭住址", "address"],
            Col::Name => &["姓名", "name"],
            Col::IdNumber => &[
                "身份证号",
                "身份证号码",
                "公民身份号码",
                "id_number",
                "id_no",
                "idnumber",
            ],
            Col::Relation => &[
                "与户主关系",
                "与户主的关系",
                "关系",
                "relation",
                "relationship",
            ],
            Col::Phone => &[
                "电话",
                "联系电话",
                "手机",
                "手机号",
                "手机号码",
                "phone",
                "mobile",
            ],
            Col::Note => &["备注", "note", "notes", "remark", "remarks"],
        }
    }

    /// The column a header cell names, if any.
    pub(crate) fn from_header(cell: &str) -> Option<Col> {
        let key = normalize_header(cell);
        if key.is_empty() {
            return None;
        }
        Col::ALL
            .into_iter()
            .find(|c| c.aliases().iter().any(|a| *a == key))
    }

    pub(crate) fn from_zh(zh: &str) -> Option<Col> {
        Col::ALL.into_iter().find(|c| c.zh() == zh)
    }
}

/// The Chinese headers of the roster template, in template order. The first six are required.
pub const COLUMNS: [&str; 8] = [
    "户编号",
    "区划代码",
    "地址",
    "姓名",
    "身份证号",
    "与户主关系",
    "电话",
    "备注",
];

/// Header text as people type it: `*姓名`, `姓名（必填）`, ` Household No `, `ID-Number`.
fn normalize_header(s: &str) -> String {
    let mut t: String = s
        .trim()
        .chars()
        .filter(|c| *c != '*' && *c != '＊')
        .collect();
    for suffix in [
        "（必填）",
        "(必填)",
        "（选填）",
        "(选填)",
        "（可选）",
        "(可选)",
    ] {
        if let Some(stripped) = t.trim_end().strip_suffix(suffix) {
            t = stripped.to_string();
        }
    }
    if t.is_ascii() {
        // English: case-insensitive, words joined by spaces, hyphens or underscores.
        t.to_ascii_lowercase()
            .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("_")
    } else {
        t.chars().filter(|c| !c.is_whitespace()).collect()
    }
}

/// 与户主关系: the English ids and the Chinese labels of the template.
pub const RELATIONS: [(&str, &str); 9] = [
    ("head", "户主"),
    ("spouse", "配偶"),
    ("son", "子"),
    ("daughter", "女"),
    ("parent", "父母"),
    ("grandparent", "祖父母"),
    ("grandchild", "孙子女"),
    ("sibling", "兄弟姐妹"),
    ("other", "其他"),
];

/// The template label of an English relation id (`"head"` → `"户主"`).
pub fn relation_label(id: &str) -> Option<&'static str> {
    RELATIONS.iter().find(|(i, _)| *i == id).map(|(_, zh)| *zh)
}

/// The English relation id for what a roster says. Besides the template's labels and the
/// English ids, accepts the finer names of the family-relation code table (GB/T 4761),
/// grouped as that table groups them (e.g. 长子, 女婿 → son; 儿媳 → daughter; 岳母 → parent).
pub fn relation_id(label: &str) -> Option<&'static str> {
    let s: String = label.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some((id, _)) = RELATIONS.iter().find(|(id, zh)| *zh == s || *id == s) {
        return Some(id);
    }
    let id = match s.as_str() {
        "本人" | "户主本人" => "head",
        "夫" | "妻" | "丈夫" | "妻子" | "夫妻" => "spouse",
        "儿子" | "独生子" | "长子" | "次子" | "三子" | "四子" | "五子" | "养子" | "继子"
        | "养子或继子" | "女婿" | "其他儿子" => "son",
        "女儿" | "独生女" | "长女" | "次女" | "三女" | "四女" | "五女" | "养女" | "继女"
        | "养女或继女" | "儿媳" | "其他女儿" => "daughter",
        "父亲" | "母亲" | "父" | "母" | "公公" | "婆婆" | "岳父" | "岳母" | "继父" | "继母"
        | "养父" | "养母" => "parent",
        "祖父" | "祖母" | "外祖父" | "外祖母" | "祖父母或外祖父母" | "外祖父母" => {
            "grandparent"
        }
        "孙子" | "孙女" | "外孙子" | "外孙女" | "外孙" | "孙子女或外孙子女" | "外孙子女" => {
            "grandchild"
        }
        "兄" | "弟" | "姐" | "妹" | "哥哥" | "弟弟" | "姐姐" | "妹妹" | "兄弟" | "姐妹" => {
            "sibling"
        }
        "spouse" | "wife" | "husband" => "spouse",
        _ => return None,
    };
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_aliases() {
        assert_eq!(Col::from_header("户编号"), Some(Col::HouseholdNo));
        assert_eq!(Col::from_header(" *姓名 "), Some(Col::Name));
        assert_eq!(Col::from_header("身份证号（必填）"), Some(Col::IdNumber));
        assert_eq!(Col::from_header("Household No"), Some(Col::HouseholdNo));
        assert_eq!(Col::from_header("household_no"), Some(Col::HouseholdNo));
        assert_eq!(Col::from_header("ID-Number"), Some(Col::IdNumber));
        assert_eq!(Col::from_header("REGION_CODE"), Some(Col::RegionCode));
        assert_eq!(Col::from_header("序号"), None);
        assert_eq!(Col::from_header(""), None);
        for (i, c) in Col::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
            assert_eq!(Col::from_header(c.zh()), Some(*c));
            assert_eq!(Col::from_zh(c.zh()), Some(*c));
        }
    }

    #[test]
    fn relations() {
        for (id, zh) in RELATIONS {
            assert_eq!(relation_id(zh), Some(id));
            assert_eq!(relation_id(id), Some(id));
            assert_eq!(relation_label(id), Some(zh));
        }
        assert_eq!(relation_id(" 长子 "), Some("son"));
        assert_eq!(relation_id("儿媳"), Some("daughter"));
        assert_eq!(relation_id("岳母"), Some("parent"));
        assert_eq!(relation_id("干亲"), None);
        assert_eq!(relation_id(""), None);
    }
}

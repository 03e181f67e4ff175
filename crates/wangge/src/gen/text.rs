//! What the cases say: titles and descriptions, and the notes, reasons and mediation
//! records of the people who work them.

use rand::Rng;

use super::matters::matters;
use super::names::pick;

const OPENERS_GRID: &[&str] = &["网格员巡查发现", "网格员入户走访时发现", "三长上报"];
const OPENERS_PEOPLE: &[&str] = &["群众反映", "村民到窗口反映", "居民来访反映"];
const OPENERS_HOTLINE: &[&str] = &["来电人反映", "市民来电", "来电人咨询"];
const OPENERS_DEVICE: &[&str] = &["雪亮工程摄像头告警", "智能感知设备告警", "视频巡查发现"];
const ASKS: &[&str] = &[
    "请尽快核实处理。",
    "希望相关部门尽快解决。",
    "请安排人员到现场查看。",
    "已影响群众正常生产生活，请予以处理。",
    "请依职责办理并及时答复。",
];

/// Title and description of a case.
pub fn title_and_description<R: Rng>(
    rng: &mut R,
    case_type: &str,
    source: &str,
    category: &str,
    place: &str,
) -> (String, String, &'static str) {
    let matter = pick(rng, matters(category));
    let group = rng.gen_range(1..=12);
    let title = if case_type == "device_alert" {
        format!(
            "{}：{place}{matter}",
            pick(rng, &["雪亮工程告警", "设备告警", "视频监控告警"])
        )
    } else {
        format!("{place}{group}组{matter}")
    };
    let opener = match (case_type, source) {
        ("device_alert", _) => pick(rng, OPENERS_DEVICE),
        (_, "hotline_12345") => pick(rng, OPENERS_HOTLINE),
        (_, "grid_report" | "diary") => pick(rng, OPENERS_GRID),
        _ => pick(rng, OPENERS_PEOPLE),
    };
    let days = rng.gen_range(1..=20);
    let description = format!(
        "{opener}：{place}{group}组附近{matter}，已持续约{days}天。{}",
        pick(rng, ASKS)
    );
    (title, description, matter)
}

/// A note, reason or resolution an action asks for.
pub fn said<R: Rng>(rng: &mut R, what: &str) -> String {
    let list: &[&str] = match what {
        "report_back" => &[
            "已到现场处置完毕",
            "已清理完毕并拍照留存",
            "已协调相关单位修复",
        ],
        "evaluate" => &["处置及时，群众认可", "按期办结，效果良好", "处置到位"],
        "cancel" => &["经核实不属于受理范围", "重复上报", "信息不全无法核实"],
        "return" => &[
            "不属于本单位职责",
            "地址有误，请核实后重新派遣",
            "需其他部门牵头办理",
        ],
        "extend" => &[
            "需协调多个部门共同处置",
            "需等待材料采购",
            "天气原因无法施工",
        ],
        "suspend" => &["需纳入工程项目统一实施", "季节性问题，待条件成熟后处置"],
        "resume" => &["项目已立项，恢复办理", "条件已具备，恢复办理"],
        "reject_fix" => &["现场核查问题仍然存在", "处置不彻底"],
        "supervise" => &[
            "请加快办理进度",
            "群众反映强烈，请抓紧办理",
            "即将超期，请按时办结",
        ],
        "escalate" => &[
            "涉及多个村，需乡镇协调",
            "问题复杂，需上级统筹",
            "本级无法解决",
        ],
        "reply" => &[
            "已联系来电人并答复",
            "已按政策解释说明",
            "问题已解决并告知来电人",
        ],
        "answer" => &["已当场解答政策问题", "已告知办理流程和所需材料"],
        "redo" => &["来电人反映问题未解决", "答复不到位，重新办理"],
        "reopen" => &["问题复发，重新办理", "来电人再次反映"],
        "object" => &["该事项不属于本单位职责范围", "应由属地乡镇办理"],
        "petition_reply" => &["已依法出具处理意见", "已答复信访人并说明依据"],
        "review" => &["信访人对处理意见不服", "信访人申请复查"],
        "recheck" => &["信访人对复查意见不服", "信访人申请复核"],
        "decide" => &["维持原处理意见", "部分支持信访人请求"],
        "hearing" => &["组织听证", "邀请人大代表、律师参加听证"],
        "resolution" => &[
            "经三长和法律顾问现场调解，双方达成协议",
            "双方各让一步，达成和解",
            "按协议分期履行，当场签字",
        ],
        "fail" => &["双方分歧较大，调解未果", "一方拒绝调解"],
        "refer_note" => &[
            "已告知当事人相关途径及所需材料",
            "已协助准备材料",
            "已与相关部门对接",
        ],
        "dismiss" => &[
            "经核实为群众文艺活动，误报",
            "设备故障误报",
            "经视频复核无异常",
        ],
        "not_performed" => &["协议未按期履行", "一方反悔"],
        _ => &["已处理"],
    };
    pick(rng, list).to_string()
}

pub const PLACES: &[&str] = &[
    "村部调解室",
    "田间地头",
    "当事人院坝",
    "镇综治中心",
    "当事人家中",
];

/// Facts and proposals of a mediation session.
pub fn session_text<R: Rng>(rng: &mut R, matter: &str) -> (String, String) {
    let facts = format!(
        "{matter}。{}",
        pick(
            rng,
            &[
                "双方对事实基本无异议",
                "双方陈述存在分歧，经现场查看核实",
                "经走访邻居了解情况属实"
            ]
        )
    );
    let proposals = pick(
        rng,
        &[
            "由过错方赔偿损失并赔礼道歉",
            "按原界址恢复并立界桩",
            "分期支付款项，村委会监督履行",
            "双方共同出资修复",
        ],
    )
    .to_string();
    (facts, proposals)
}

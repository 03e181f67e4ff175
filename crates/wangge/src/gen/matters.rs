//! The matters of every category of the default catalogue, and which categories each
//! case type takes (with weights).

/// (category, matters): short phrases a title is made from.
pub const MATTERS: &[(&str, &[&str])] = &[
    (
        "environment.garbage",
        &[
            "垃圾堆放未及时清运",
            "路边暴露垃圾散发异味",
            "垃圾桶满溢无人清理",
        ],
    ),
    (
        "environment.river_garbage",
        &[
            "河道漂浮垃圾较多",
            "溪沟内堆积生活垃圾",
            "河岸边倾倒建筑垃圾",
        ],
    ),
    (
        "environment.clutter",
        &["路边乱堆柴草", "房前屋后乱堆杂物", "公共通道堆放建材"],
    ),
    (
        "environment.illegal_building",
        &["村民未经审批搭建棚屋", "占用耕地违规建房", "楼顶违规加盖"],
    ),
    (
        "environment.pollution",
        &["养殖场污水直排", "作坊排放刺鼻废气", "焚烧秸秆浓烟扰民"],
    ),
    (
        "environment.noise",
        &["夜间施工噪声扰民", "广场舞音响过大", "加工厂机器噪声"],
    ),
    (
        "facilities.hydrant",
        &["消防栓压力不足", "消防栓被撞损坏", "消防栓被杂物遮挡"],
    ),
    (
        "facilities.street_light",
        &["路灯不亮，夜间出行不便", "路灯白天长亮", "路灯杆倾斜"],
    ),
    (
        "facilities.manhole",
        &["井盖缺失存在隐患", "井盖破损松动", "雨水井堵塞"],
    ),
    (
        "facilities.road",
        &["村道坑洼，车辆难行", "道路塌陷", "桥面护栏损坏"],
    ),
    (
        "facilities.water_supply",
        &["自来水管破裂漏水", "供水时断时续", "水质浑浊"],
    ),
    (
        "facilities.power",
        &["电线老化垂落", "变压器异响", "电杆倾斜"],
    ),
    (
        "safety.fire",
        &["楼道堆放易燃物", "电动车楼道内充电", "山林周边违规用火"],
    ),
    (
        "safety.geological",
        &["山体出现裂缝", "雨后边坡滑塌", "房屋后山有落石"],
    ),
    (
        "safety.dangerous_house",
        &[
            "老屋墙体开裂，存在倒塌隐患",
            "危房仍有人居住",
            "土坯房屋顶漏雨变形",
        ],
    ),
    (
        "safety.electricity",
        &["私拉乱接电线", "配电箱门损坏裸露", "线路过载跳闸"],
    ),
    (
        "safety.traffic",
        &["急弯处缺少警示标志", "学校门口车速过快", "路口视线被遮挡"],
    ),
    (
        "safety.gathering",
        &["村部广场人员聚集", "工地门口人员聚集", "集市路口异常聚集"],
    ),
    (
        "dispute.family",
        &["夫妻因家务琐事争吵", "赡养老人问题纠纷", "分家析产纠纷"],
    ),
    (
        "dispute.neighbor",
        &[
            "邻里排水沟堵塞引发争执",
            "邻居鸡鸭毁坏菜地",
            "邻里因通道使用争执",
        ],
    ),
    (
        "dispute.homestead",
        &["两户宅基地界址纠纷", "建房越界引发纠纷", "宅基地使用权争议"],
    ),
    (
        "dispute.contract",
        &["承包合同履行纠纷", "买卖合同货款纠纷", "租赁合同纠纷"],
    ),
    (
        "dispute.business",
        &["合作社分红纠纷", "茶园经营收益纠纷", "合伙经营纠纷"],
    ),
    (
        "dispute.damages",
        &[
            "放养牲畜损毁庄稼赔偿纠纷",
            "建房损坏邻屋赔偿纠纷",
            "意外受伤赔偿纠纷",
        ],
    ),
    (
        "dispute.land_forest",
        &["山林界址纠纷", "责任田边界纠纷", "林木采伐纠纷"],
    ),
    (
        "dispute.land_acquisition",
        &["征地补偿款分配纠纷", "拆迁安置纠纷", "青苗补偿纠纷"],
    ),
    (
        "dispute.pollution",
        &["养殖污染引发邻里纠纷", "油烟污染纠纷", "噪声污染纠纷"],
    ),
    (
        "dispute.labor",
        &["拖欠农民工工资", "工伤赔偿纠纷", "劳务报酬纠纷"],
    ),
    (
        "dispute.consumer",
        &["购买农资质量纠纷", "家电售后纠纷", "预付卡退费纠纷"],
    ),
    (
        "dispute.medical",
        &["诊疗费用纠纷", "医疗损害赔偿纠纷", "药品质量纠纷"],
    ),
    (
        "dispute.traffic",
        &["交通事故赔偿纠纷", "摩托车相撞赔偿纠纷", "车辆剐蹭纠纷"],
    ),
    (
        "dispute.property",
        &["物业费收缴纠纷", "小区停车纠纷", "公共部位维修纠纷"],
    ),
    (
        "dispute.village_affairs",
        &["村务公开引发争议", "集体收益分配纠纷", "村级项目质量争议"],
    ),
    (
        "dispute.other",
        &["借贷纠纷", "婚约财产纠纷", "其他民间纠纷"],
    ),
    (
        "livelihood.social_security",
        &["咨询城乡居民医保缴费", "养老金领取资格认证", "低保申请进度"],
    ),
    (
        "livelihood.health",
        &["村卫生室开诊时间不固定", "慢性病药品报销", "疫苗接种预约"],
    ),
    (
        "livelihood.education",
        &["子女入学政策咨询", "校车接送安排", "助学金申请"],
    ),
    (
        "livelihood.transport",
        &["客运班车班次太少", "公交站台缺少遮雨棚", "农村客运停运"],
    ),
    (
        "livelihood.housing",
        &["农村危房改造申请", "公租房申请进度", "房屋不动产登记"],
    ),
    (
        "livelihood.consultation",
        &["惠农补贴政策咨询", "户籍办理咨询", "退役军人优待政策咨询"],
    ),
    (
        "security.public_order",
        &["深夜有人聚众喧哗", "外来人员形迹可疑", "网吧接纳未成年人"],
    ),
    (
        "security.fraud",
        &["接到冒充客服诈骗电话", "老人被推销保健品", "网络刷单被骗"],
    ),
    (
        "business.enterprise_request",
        &[
            "企业反映用电报装进度慢",
            "企业用工招聘困难",
            "企业道路运输受阻",
        ],
    ),
    (
        "business.approval",
        &["营业执照办理咨询", "施工许可审批进度", "食品经营许可证延续"],
    ),
    (
        "business.credit_repair",
        &[
            "企业申请信用修复",
            "行政处罚信息修复咨询",
            "失信记录移出申请",
        ],
    ),
    (
        "other.other",
        &["建议增设便民服务点", "反映村里公告栏破损", "其他事项咨询"],
    ),
];

/// The matters of a category; a category without its own list gets a generic phrase.
pub fn matters(category: &str) -> &'static [&'static str] {
    MATTERS
        .iter()
        .find(|(c, _)| *c == category)
        .map(|(_, m)| *m)
        .unwrap_or(&["群众反映问题", "需核实处理的事项"])
}

/// Categories per case type, with weights.
pub fn categories_of(case_type: &str) -> &'static [(&'static str, u32)] {
    match case_type {
        "general" => &[
            ("environment.garbage", 14),
            ("environment.river_garbage", 8),
            ("environment.clutter", 10),
            ("environment.illegal_building", 5),
            ("environment.pollution", 4),
            ("environment.noise", 4),
            ("facilities.hydrant", 6),
            ("facilities.street_light", 8),
            ("facilities.manhole", 4),
            ("facilities.road", 8),
            ("facilities.water_supply", 4),
            ("facilities.power", 3),
            ("safety.fire", 5),
            ("safety.geological", 2),
            ("safety.dangerous_house", 3),
            ("safety.electricity", 3),
            ("safety.traffic", 3),
            ("security.public_order", 2),
            ("other.other", 2),
        ],
        "hotline_12345" => &[
            ("livelihood.social_security", 14),
            ("livelihood.health", 8),
            ("livelihood.education", 7),
            ("livelihood.transport", 8),
            ("livelihood.housing", 6),
            ("livelihood.consultation", 14),
            ("environment.noise", 6),
            ("facilities.street_light", 4),
            ("facilities.water_supply", 6),
            ("facilities.power", 4),
            ("security.fraud", 4),
            ("business.enterprise_request", 6),
            ("business.approval", 5),
            ("business.credit_repair", 2),
            ("other.other", 3),
        ],
        "dispute" => &[
            ("dispute.family", 14),
            ("dispute.neighbor", 20),
            ("dispute.homestead", 12),
            ("dispute.contract", 6),
            ("dispute.business", 3),
            ("dispute.damages", 7),
            ("dispute.land_forest", 9),
            ("dispute.land_acquisition", 4),
            ("dispute.pollution", 2),
            ("dispute.labor", 6),
            ("dispute.consumer", 3),
            ("dispute.medical", 2),
            ("dispute.traffic", 5),
            ("dispute.property", 2),
            ("dispute.village_affairs", 3),
            ("dispute.other", 4),
        ],
        "device_alert" => &[
            ("safety.gathering", 30),
            ("safety.fire", 20),
            ("safety.traffic", 15),
            ("environment.river_garbage", 15),
            ("security.public_order", 10),
            ("safety.geological", 10),
        ],
        _ => &[
            ("livelihood.social_security", 15),
            ("livelihood.housing", 15),
            ("dispute.land_acquisition", 20),
            ("dispute.labor", 10),
            ("dispute.village_affairs", 15),
            ("business.enterprise_request", 5),
            ("environment.pollution", 10),
            ("other.other", 10),
        ],
    }
}

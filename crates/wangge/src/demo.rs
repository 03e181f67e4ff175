//! `wangge demo`: the real regions of 湖南省郴州市桂东县 (431027), generated grids and 三长
//! chains, demo residents with valid (fictional) 身份证号, and one user per role — then
//! serve. Running it again reuses the existing demo database.

use std::process::ExitCode;

use serde_json::json;
use wangge_core::date::Date;
use wangge_core::id_number;
use wangge_core::region::{Level, RegionCode};
use wangge_core::role::Role;
use wangge_crypto::FieldCipher;
use wangge_server::access::{audit_entry, RequestCtx};
use wangge_store::households;
use wangge_store::regions::{self, Region};
use wangge_store::residents::ResidentFields;
use wangge_store::users::{self, NewUser};
use wangge_store::{audit, Store};

use crate::commands::{now_ms, open, serve_store};
use crate::config::Config;

/// The official township and village list of 桂东县 (see data/regions/431027.csv).
pub const GUIDONG_CSV: &str = include_str!("../../../data/regions/431027.csv");
pub const DEMO_PASSWORD: &str = "Wangge@2026";
pub const DEMO_DATA_DIR: &str = "wangge-demo";

/// (username, display name, role, region)
pub const DEMO_USERS: [(&str, &str, Role, &str); 12] = [
    ("admin", "系统管理员", Role::Admin, "431027000000"),
    ("leader", "县领导", Role::Leader, "431027000000"),
    (
        "intake",
        "县综治中心受理员",
        Role::IntakeOperator,
        "431027000000",
    ),
    (
        "dispatcher",
        "县综治中心派遣员",
        Role::Dispatcher,
        "431027000000",
    ),
    (
        "handler",
        "县住建局处置人员",
        Role::DepartmentHandler,
        "431027000000",
    ),
    (
        "mediator",
        "沤江镇人民调解员",
        Role::Mediator,
        "431027100000",
    ),
    (
        "advisor",
        "沤江镇法律顾问",
        Role::LegalAdvisor,
        "431027100000",
    ),
    (
        "gridworker",
        "东华社区网格员",
        Role::GridWorker,
        "431027100001",
    ),
    (
        "blockleader",
        "东华社区第一网格片长",
        Role::BlockLeader,
        "431027100001001",
    ),
    (
        "groupleader",
        "东华社区第一片组长",
        Role::GroupLeader,
        "43102710000100101",
    ),
    (
        "neighborleader",
        "东华社区第一组邻长",
        Role::NeighborLeader,
        "4310271000010010101",
    ),
    (
        "enterprise",
        "桂东县某农业合作社",
        Role::Enterprise,
        "431027000000",
    ),
];

const SURNAMES: [&str; 16] = [
    "黄", "李", "陈", "郭", "扶", "罗", "刘", "邓", "何", "胡", "周", "王", "张", "方", "郑", "吴",
];
const GIVEN: [&str; 16] = [
    "建国", "秀英", "桂芳", "志强", "红梅", "德明", "春华", "小燕", "永福", "丽娟", "海军", "金莲",
    "文斌", "玉兰", "国平", "晓东",
];

pub async fn run(cfg: &Config, serve: bool) -> anyhow::Result<ExitCode> {
    let dir = cfg.data_dir_or(DEMO_DATA_DIR);
    let store = open(cfg, &dir).await?;
    let cipher = cfg.cipher(&dir, true)?;
    let mut conn = store.read().await?;
    let seeded = users::by_username(&mut conn, "admin").await.is_ok();
    drop(conn);
    if seeded {
        println!("使用已有的演示数据库: {}", dir.display());
    } else {
        let started = std::time::Instant::now();
        let stats = seed(&store, &cipher).await?;
        let template = wangge_server::AppState::new(
            store.clone(),
            cipher.clone(),
            std::sync::Arc::new(wangge_server::SystemClock),
            cfg.server_settings(),
        )
        .with_cases(cfg.case_config(&dir)?);
        let villages: Vec<String> = crate::import::parse_regions(GUIDONG_CSV, false)?
            .into_iter()
            .filter(|r| r.1.level() == Level::Village)
            .map(|r| r.1.to_string())
            .collect();
        let made = crate::demo_cases::seed(&store, &template, &villages, now_ms(), 72).await?;
        println!("演示事件已生成：{made} 件（各渠道、各环节，含回访评价）");
        println!(
            "演示数据已生成（{:.1} 秒）：{} 个区划节点（含 {} 个网格），{} 名居民，{} 个演示账号 → {}",
            started.elapsed().as_secs_f64(),
            stats.regions,
            stats.grids,
            stats.residents,
            DEMO_USERS.len(),
            dir.display()
        );
    }
    let mut banner = String::from(
        "\n演示账号（密码均为 Wangge@2026；演示账号免去首次登录改密，正式账号首次登录须修改初始密码）：\n",
    );
    for (u, name, role, region) in DEMO_USERS {
        banner.push_str(&format!(
            "  {u:<15} {:<8} {name}（{region}）\n",
            role.name_zh()
        ));
    }
    banner.push_str(&format!(
        "\n试一试：curl -s -X POST http://{}/api/v1/auth/login -H 'Content-Type: application/json' \
         -d '{{\"username\":\"admin\",\"password\":\"{DEMO_PASSWORD}\"}}'",
        cfg.listen
    ));
    if serve {
        serve_store(cfg, &dir, store, Some(banner)).await
    } else {
        println!("{banner}");
        Ok(ExitCode::SUCCESS)
    }
}

pub struct SeedStats {
    pub regions: usize,
    pub grids: usize,
    pub residents: usize,
}

/// Imports the regions (one transaction), then creates grids, residents and users in a
/// second. A start interrupted between them is completed by running the demo again: the
/// region import is an upsert, and reuse is decided by the `admin` user existing.
pub async fn seed(store: &Store, cipher: &FieldCipher) -> anyhow::Result<SeedStats> {
    let now = now_ms();
    let rows = crate::import::parse_regions(GUIDONG_CSV, false)?;
    crate::import::import_regions(store, &rows, "demo", now).await?;
    let villages: Vec<(RegionCode, String)> = rows
        .iter()
        .filter(|r| r.1.level() == Level::Village)
        .map(|r| (r.1.clone(), r.2.clone()))
        .collect();
    let mut tx = store.begin().await?;
    let mut stats = SeedStats {
        regions: rows.len(),
        grids: 0,
        residents: 0,
    };
    let today = Date::from_unix_millis_cst(now);
    let mut person = 0_usize;
    // Illustrative boundaries (示意), laid out ten villages to a row in 桂东县's part of
    // the map, so the grid map and point → grid lookups have something to show.
    let origin = (113.80, 25.95);
    for (i, (v, vname)) in villages.iter().enumerate() {
        let short = vname
            .trim_end_matches("村委会")
            .trim_end_matches("居委会")
            .trim_end_matches("村民委员会");
        // Two grids per village; the first carries a 片 → 组 → 邻 chain.
        for g in 1..=2 {
            let grid = format!("{v}{g:03}");
            let name = format!("{short}第{}网格", ["一", "二"][g - 1]);
            add(&mut tx, &grid, &name, now).await?;
            let cell = ((i % 10) * 2 + g - 1, i / 10);
            let row = crate::gen::grids::cell_row(431_027, 0, cell, origin, &grid, now);
            wangge_store::grids::put_boundary(&mut tx, &row).await?;
            stats.grids += 1;
            stats.regions += 1;
        }
        let block = format!("{v}00101");
        let group = format!("{block}01");
        add(&mut tx, &block, &format!("{short}第一片"), now).await?;
        add(&mut tx, &group, &format!("{short}第一组"), now).await?;
        for n in 1..=2 {
            add(
                &mut tx,
                &format!("{group}{n:02}"),
                &format!("{short}第{}邻", ["一", "二"][n - 1]),
                now,
            )
            .await?;
        }
        stats.regions += 4;
        // Four residents per village, spread over the grids and 邻.
        for k in 0..4 {
            person += 1;
            let birth_year = 1946 + (person * 7 % 60) as i32;
            let birth = Date::new(
                birth_year,
                1 + (person % 12) as u8,
                1 + (person * 3 % 28) as u8,
            )
            .filter(|d| *d < today)
            .unwrap_or(Date {
                year: 1980,
                month: 1,
                day: 1,
            });
            let id = id_number::compose("431027", birth, (person % 999) as u16 + 1);
            let phone = format!(
                "1{}{:09}",
                [3, 5, 7, 8, 9][person % 5],
                (person * 7_919_u64 as usize) % 1_000_000_000
            );
            let region = match k {
                0 => format!("{group}01"),
                1 => format!("{group}02"),
                2 => format!("{v}002"),
                _ => v.to_string(),
            };
            let name = format!("{}{}", SURNAMES[person % 16], GIVEN[(person / 16 + k) % 16]);
            let male = (id.as_bytes()[16] - b'0') % 2 == 1;
            let fields = ResidentFields {
                region_code: region,
                name,
                sex: Some(if male { "male" } else { "female" }.to_string()),
                birth_date: Some(birth.to_string()),
                id_number_enc: Some(cipher.encrypt("id_number", &id)),
                id_number_hash: Some(cipher.search_hash("id_number", &id)),
                phone_enc: Some(cipher.encrypt("phone", &phone)),
                phone_hash: Some(cipher.search_hash("phone", &phone)),
            };
            // Each lives in a household of their own at their 邻 or grid, so the phone's
            // 走访 list and the coverage figures have people to show.
            let household_no = format!("{v}{:03}", k + 1);
            let address = format!("{short}{}组{}号", k + 1, 10 + person % 40);
            let (household, _) =
                households::upsert(&mut tx, &household_no, &fields.region_code, &address, now)
                    .await?;
            households::upsert_member(&mut tx, household, "head", &fields, now).await?;
            stats.residents += 1;
        }
        // The posts: a 网格员 for each grid (the first grid's is the demo account), and the
        // 片长, 组长 and 邻长 of the chain.
        let staff = [
            (format!("{v}001"), "grid_worker", Some("full_time")),
            (format!("{v}002"), "grid_worker", Some("part_time")),
            (block.clone(), "block_leader", None),
            (group.clone(), "group_leader", None),
            (format!("{group}01"), "neighbor_leader", None),
            (format!("{group}02"), "neighbor_leader", None),
        ];
        for (j, (region_code, post, employment)) in staff.into_iter().enumerate() {
            let n = person * 10 + j;
            let phone = format!(
                "1{}{:09}",
                [3, 5, 7, 8, 9][n % 5],
                (n * 104_729) % 1_000_000_000
            );
            wangge_store::grids::add_post(
                &mut tx,
                &wangge_store::grids::PostRow {
                    id: 0,
                    region_code,
                    post: post.to_string(),
                    employment: employment.map(str::to_string),
                    name: format!("{}{}", SURNAMES[(n / 7) % 16], GIVEN[(n / 3) % 16]),
                    phone_enc: Some(cipher.encrypt("phone", &phone)),
                    user_id: None,
                    created_at: now,
                },
            )
            .await?;
        }
    }
    let hash = wangge_crypto::password::hash(DEMO_PASSWORD);
    for (username, display, role, region) in DEMO_USERS {
        let scope = vec![region.to_string()];
        let new = NewUser {
            username,
            display_name: display,
            role: role.as_str(),
            password_hash: &hash,
            // The demo skips the forced first-login change so the logins work as printed.
            must_change_password: false,
            regions: &scope,
        };
        users::create(&mut tx, &new, now).await?;
    }
    let ctx = RequestCtx {
        ip: "cli".into(),
        request_id: String::new(),
    };
    audit::append(
        &mut tx,
        audit_entry(
            &ctx,
            "demo",
            now,
            "demo.seed",
            "region",
            "431027000000",
            "431027000000",
            json!({"grids": stats.grids, "residents": stats.residents, "users": DEMO_USERS.len()}),
        ),
    )
    .await?;
    wangge_server::grids::bump_version(&mut tx, now)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    tx.commit().await?;
    Ok(stats)
}

async fn add(tx: &mut wangge_store::Tx, code: &str, name: &str, now: i64) -> anyhow::Result<()> {
    let c =
        RegionCode::parse("code", code).map_err(|e| anyhow::anyhow!("{code}: {}", e.message))?;
    let r = Region {
        code: c.to_string(),
        name: name.to_string(),
        level: c.level().as_str().to_string(),
        parent_code: c.parent().map(|p| p.to_string()),
    };
    regions::upsert(tx, &r, now).await?;
    Ok(())
}

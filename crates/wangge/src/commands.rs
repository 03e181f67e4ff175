//! One function per administrative command. Each opens the store, does one job in one
//! transaction, and says what it did.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Subcommand;
use serde_json::json;
use wangge_core::date::Date;
use wangge_core::id_number::IdNumber;
use wangge_core::password::check_strength;
use wangge_core::region::RegionCode;
use wangge_core::role::Role;
use wangge_core::uscc::Uscc;
use wangge_server::access::{audit_entry, RequestCtx, API_TOKEN_PREFIX};
use wangge_server::{AppState, Clock, SystemClock};
use wangge_store::audit::Verdict;
use wangge_store::users::NewUser;
use wangge_store::{audit, regions, sessions, users, Backend, ConnectOptions, Store, StoreError};

use crate::config::{self, Config, Overrides};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import regions from CSV (code,name) or JSON ([{"code","name"}]); all-or-nothing
    Regions { file: std::path::PathBuf },
    /// Import households and residents from an XLSX or CSV roster (户编号, 区划代码, 地址,
    /// 姓名, 身份证号, 与户主关系, 电话, 备注); re-importing updates people, never duplicates
    Roster {
        file: std::path::PathBuf,
        /// valid-rows: import the good rows and report the rest; all-or-nothing: import
        /// nothing if any row is bad
        #[arg(long, default_value = "valid-rows")]
        mode: String,
        /// Where to write the error report (XLSX); default: FILE with -errors.xlsx
        #[arg(long)]
        report: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user
    Add {
        #[arg(long)]
        username: String,
        /// Initial password (≥ 8 characters, 3 of: upper, lower, digit, symbol)
        #[arg(long)]
        password: String,
        /// admin, leader, intake_operator, dispatcher, department_handler, mediator,
        /// legal_advisor, grid_worker, block_leader, group_leader, neighbor_leader, enterprise
        #[arg(long)]
        role: String,
        /// Region subtree the user is scoped to (repeatable)
        #[arg(long = "region", required = true)]
        regions: Vec<String>,
        /// Display name (default: the username)
        #[arg(long)]
        display_name: Option<String>,
        /// Do not force a password change at first login (for an operator's own account)
        #[arg(long)]
        no_password_change: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it once
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        label: String,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain; exits non-zero naming the first bad entry
    Verify,
}

#[derive(Subcommand)]
pub enum CheckCommand {
    /// Check a 身份证号 (GB 11643: checksum and birth date)
    IdNumber { value: String },
    /// Check a 统一社会信用代码 (GB 32100)
    Uscc { value: String },
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print a commented example configuration file
    Example,
    /// Print the configuration in force (secrets redacted)
    Show,
}

pub fn init_tracing(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WANGGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if cfg.log_format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub const DEFAULT_DATA_DIR: &str = "wangge-data";

/// Connects and migrates (migrations are idempotent; running them at start keeps one
/// binary one step), then binds the master key: the audit chain's HMAC key comes from it,
/// and a database first opened with another key is refused.
pub async fn open(cfg: &Config, data_dir: &Path) -> anyhow::Result<Store> {
    let store = connect(cfg, data_dir).await?;
    let cipher = cfg.cipher(data_dir, true)?;
    let check = cipher.search_hash("key_check", "wangge");
    let mut conn = store.read().await?;
    match wangge_store::meta::get(&mut conn, "key_check").await? {
        Some(v) if v != check => bail!(
            "主密钥与数据库不匹配：该数据库是用另一个密钥创建的（请检查 WANGGE_SECRET_KEY 或密钥文件）"
        ),
        Some(_) => {}
        None => wangge_store::meta::put(&mut conn, "key_check", &check).await?,
    }
    drop(conn);
    Ok(store.with_audit_key(cipher.audit_key()))
}

/// Opens a database that must already exist (for commands that only read or add to one,
/// so a mistyped --data-dir is an error rather than a new empty database).
pub async fn open_existing(cfg: &Config, data_dir: &Path) -> anyhow::Result<Store> {
    if cfg.database_url.is_none() {
        let file = data_dir.join("wangge.db");
        if !file.exists() {
            bail!("数据库不存在: {}（请检查 --data-dir）", file.display());
        }
    }
    open(cfg, data_dir).await
}

async fn connect(cfg: &Config, data_dir: &Path) -> anyhow::Result<Store> {
    let url = cfg.database_url(data_dir)?;
    let opts = ConnectOptions {
        sqlite_synchronous: cfg.sqlite_synchronous.clone(),
        ..Default::default()
    };
    let store = Store::connect(&url, opts)
        .await
        .with_context(|| format!("无法连接数据库 {}", config::redact_url(&url)))?;
    store.migrate().await.context("数据库迁移失败")?;
    Ok(store)
}

fn cli_ctx() -> RequestCtx {
    RequestCtx {
        ip: "cli".into(),
        request_id: String::new(),
    }
}

fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "operator".into())
    )
}

pub fn now_ms() -> i64 {
    SystemClock.now_ms()
}

pub async fn serve(cfg: &Config) -> anyhow::Result<ExitCode> {
    let dir = cfg.data_dir_or(DEFAULT_DATA_DIR);
    let store = open(cfg, &dir).await?;
    serve_store(cfg, &dir, store, None).await
}

/// Binds, then serves until Ctrl-C or SIGTERM. `banner` is printed once listening.
pub async fn serve_store(
    cfg: &Config,
    dir: &Path,
    store: Store,
    banner: Option<String>,
) -> anyhow::Result<ExitCode> {
    let cipher = cfg.cipher(dir, true)?;
    let cases = cfg.case_config(dir)?;
    // Each serving process seals onto an audit chain of its own, so servers sharing one
    // PostgreSQL database do not queue for one chain head (ADR 0013).
    let store = audit::claim_chain(store, now_ms())
        .await
        .context("无法领取审计日志链")?;
    tracing::info!(chain = store.audit_chain(), "audit chain claimed");
    let state = AppState::new(store, cipher, Arc::new(SystemClock), cfg.server_settings())
        .with_cases(cases);
    wangge_server::cases::deliver::spawn_background(state.clone());
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("无法监听 {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = state.store.backend().name(), "wangge listening");
    println!("wangge 已启动: http://{addr}/  (API 文档: http://{addr}/api/v1/openapi.json)");
    if let Some(b) = banner {
        println!("{b}");
    }
    wangge_server::serve(listener, state, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

pub async fn migrate(cfg: &Config) -> anyhow::Result<ExitCode> {
    let dir = cfg.data_dir_or(DEFAULT_DATA_DIR);
    let store = open(cfg, &dir).await?;
    // Make sure a key exists before any personal data can be written.
    cfg.cipher(&dir, true)?;
    println!("数据库迁移完成（{}），已是最新版本", store.backend().name());
    Ok(ExitCode::SUCCESS)
}

pub async fn import(cfg: &Config, c: ImportCommand) -> anyhow::Result<ExitCode> {
    let dir = cfg.data_dir_or(DEFAULT_DATA_DIR);
    let store = open(cfg, &dir).await?;
    match c {
        ImportCommand::Roster { file, mode, report } => {
            return import_roster(&store, cfg, &dir, &file, &mode, report).await
        }
        ImportCommand::Regions { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("无法读取 {}", file.display()))?;
            let is_json = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"));
            let parsed = crate::import::parse_regions(&text, is_json)?;
            let report =
                crate::import::import_regions(&store, &parsed, &cli_actor(), now_ms()).await?;
            println!(
                "区划导入完成：新增 {} 个，更名 {} 个，未变 {} 个（共 {} 行）",
                report.created,
                report.updated,
                report.unchanged,
                parsed.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn user(cfg: &Config, c: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Add {
        username,
        password,
        role,
        regions: region_args,
        display_name,
        no_password_change,
    } = c;
    let Some(role) = Role::parse(&role) else {
        let all: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        bail!("未知角色 {role:?}；可选：{}", all.join(", "));
    };
    check_strength("password", &password, &username)
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let mut codes = Vec::new();
    for r in &region_args {
        codes.push(
            RegionCode::parse("region", r)
                .map_err(|e| anyhow::anyhow!("--region {r}: {}", e.message))?
                .to_string(),
        );
    }
    let dir = cfg.data_dir_or(DEFAULT_DATA_DIR);
    let store = open(cfg, &dir).await?;
    let hash = wangge_crypto::password::hash(&password);
    let now = now_ms();
    let mut tx = store.begin().await?;
    for c in &codes {
        if let Err(StoreError::NotFound) = regions::get(&mut tx, c).await {
            bail!("区划 {c} 不存在：请先导入区划（wangge import regions FILE）");
        }
    }
    let display = display_name.unwrap_or_else(|| username.clone());
    let new = NewUser {
        username: &username,
        display_name: &display,
        role: role.as_str(),
        password_hash: &hash,
        must_change_password: !no_password_change,
        regions: &codes,
    };
    let id = match users::create(&mut tx, &new, now).await {
        Err(StoreError::Conflict(_)) => bail!("用户名 {username} 已存在"),
        r => r?,
    };
    audit::append(
        &mut tx,
        audit_entry(
            &cli_ctx(),
            &cli_actor(),
            now,
            "user.create",
            "user",
            &id.to_string(),
            &codes[0],
            json!({"username": username, "role": role.as_str(), "regions": codes}),
        ),
    )
    .await?;
    tx.commit().await?;
    println!("已创建用户 {username}（{}，id {id}）", role.name_zh());
    Ok(ExitCode::SUCCESS)
}

pub async fn token(cfg: &Config, c: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::Add { username, label } = c;
    if label.trim().is_empty() {
        bail!("--label 不能为空");
    }
    let dir = cfg.data_dir_or(DEFAULT_DATA_DIR);
    let store = open_existing(cfg, &dir).await?;
    let now = now_ms();
    let mut tx = store.begin().await?;
    let u = match users::by_username(&mut tx, &username).await {
        Err(StoreError::NotFound) => bail!("用户 {username} 不存在"),
        r => r?,
    };
    let token = wangge_crypto::token::generate(API_TOKEN_PREFIX);
    let id = sessions::create_token(
        &mut tx,
        u.row.id,
        label.trim(),
        &wangge_crypto::token::digest(&token),
        now,
    )
    .await?;
    let region = u.regions.first().cloned().unwrap_or_default();
    audit::append(
        &mut tx,
        audit_entry(
            &cli_ctx(),
            &cli_actor(),
            now,
            "token.create",
            "api_token",
            &id.to_string(),
            &region,
            json!({"username": username, "label": label}),
        ),
    )
    .await?;
    tx.commit().await?;
    eprintln!("已为 {username} 创建API令牌（只显示这一次，请妥善保存）：");
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

pub async fn audit(cfg: &Config, c: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify = c;
    let dir = cfg.data_dir_or(DEFAULT_DATA_DIR);
    let store = open_existing(cfg, &dir).await?;
    let mut conn = store.read().await?;
    match audit::verify(&mut conn, store.audit_key()).await? {
        Verdict::Intact { entries } => {
            println!("审计日志完整：共 {entries} 条，哈希链校验通过");
            Ok(ExitCode::SUCCESS)
        }
        Verdict::Broken(b) => {
            let seq = b.seq.map(|s| format!("（序号 {s}）")).unwrap_or_default();
            println!(
                "审计日志已被篡改：链 {} 第 {} 条{seq} — {}",
                b.chain, b.position, b.reason
            );
            Ok(ExitCode::from(1))
        }
    }
}

pub async fn backup(cfg: &Config, dest: &Path) -> anyhow::Result<ExitCode> {
    if dest.exists() {
        bail!("目标文件已存在: {}", dest.display());
    }
    let dir = cfg.data_dir_or(DEFAULT_DATA_DIR);
    let url = cfg.database_url(&dir)?;
    match Backend::from_url(&url)? {
        Backend::Sqlite => {
            let store = open_existing(cfg, &dir).await?;
            store.backup_sqlite(dest).await?;
        }
        Backend::Postgres => {
            let status = std::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--file")
                .arg(dest)
                .arg(&url)
                .status()
                .context("需要 pg_dump 来备份 PostgreSQL")?;
            if !status.success() {
                bail!("pg_dump 失败: {status}");
            }
        }
    }
    println!(
        "备份已写入 {}（密钥文件不在备份中，请另行保管）",
        dest.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn check(c: &CheckCommand) -> ExitCode {
    let today = Date::from_unix_millis_cst(now_ms());
    let verdict = match c {
        CheckCommand::IdNumber { value } => IdNumber::parse("id_number", value, today).map(|id| {
            let sex = match id.sex() {
                wangge_core::id_number::Sex::Male => "男",
                wangge_core::id_number::Sex::Female => "女",
            };
            format!("有效：出生日期 {}，性别 {sex}", id.birth_date())
        }),
        CheckCommand::Uscc { value } => {
            Uscc::parse("uscc", value).map(|u| format!("有效：登记管理部门代码 {}", u.authority()))
        }
    };
    match verdict {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("无效：{}（{}）", e.message, e.code);
            ExitCode::from(1)
        }
    }
}

pub fn config(c: &ConfigCommand, o: &Overrides) -> ExitCode {
    match c {
        ConfigCommand::Example => {
            print!("{}", config::EXAMPLE);
            ExitCode::SUCCESS
        }
        ConfigCommand::Show => match config::load(o) {
            Ok(cfg) => match toml::to_string_pretty(&cfg.redacted()) {
                Ok(t) => {
                    println!("# 当前生效的配置（密钥已隐去）\n{t}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("错误: {e}");
                    ExitCode::from(2)
                }
            },
            Err(e) => {
                eprintln!("错误: {e:#}");
                ExitCode::from(2)
            }
        },
    }
}

async fn import_roster(
    store: &Store,
    cfg: &Config,
    dir: &Path,
    file: &Path,
    mode: &str,
    report: Option<std::path::PathBuf>,
) -> anyhow::Result<ExitCode> {
    use wangge_server::grids::roster::{self, Mode};
    let mode = Mode::parse(mode)
        .ok_or_else(|| anyhow::anyhow!("--mode 应为 valid-rows 或 all-or-nothing"))?;
    let bytes = std::fs::read(file).with_context(|| format!("无法读取 {}", file.display()))?;
    let name = file.to_string_lossy();
    let format = wangge_importers::detect_format(&name, &bytes)
        .ok_or_else(|| anyhow::anyhow!("只支持 .xlsx 与 .csv 文件"))?;
    let today = Date::from_unix_millis_cst(now_ms());
    let parsed = wangge_importers::parse_roster(format, &bytes, today)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let cipher = cfg.cipher(dir, true)?;
    let bar = indicatif::ProgressBar::new(parsed.rows.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} 行 ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("导入名册");
    let progress = |done: usize, _total: usize| bar.set_position(done as u64);
    let out = roster::import(
        store,
        &cipher,
        parsed,
        mode,
        None,
        &cli_actor(),
        &cli_ctx(),
        now_ms(),
        &progress,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    bar.finish_and_clear();
    println!(
        "共 {} 行：有效 {} 行，有错误 {} 行。{}",
        out.total_rows,
        out.valid_rows,
        out.error_rows,
        if out.written {
            format!(
                "已导入：新增 {} 户、更新 {} 户，新增 {} 人、更新 {} 人。",
                out.households_created,
                out.households_updated,
                out.residents_created,
                out.residents_updated
            )
        } else {
            "全部不导入（all-or-nothing 模式下存在错误行），数据库未改动。".to_string()
        }
    );
    if !out.errors.is_empty() {
        let path = report.unwrap_or_else(|| {
            let stem = file
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_else(|| "roster".into());
            file.with_file_name(format!("{stem}-errors.xlsx"))
        });
        let xlsx = wangge_importers::error_report_xlsx(&out.errors, out.total_rows)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        std::fs::write(&path, xlsx).with_context(|| format!("无法写入 {}", path.display()))?;
        println!("错误报告：{}", path.display());
    }
    Ok(if out.written {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

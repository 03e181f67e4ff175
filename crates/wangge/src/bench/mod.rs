//! `wangge bench`: the load harness behind BENCHMARKS.md. Each scenario starts real
//! `wangge serve` processes (this same binary) on 127.0.0.1 over the configured database,
//! drives them over HTTP with closed-loop clients for a bounded time, stops them, and
//! prints the figures (and one JSON line for scripts).
//!
//! - `intake`: cases created per second by many clients, each answered after a durable
//!   commit — then, in the same run and on the same database with the same durability
//!   setting, the raw ceiling ([`ceiling`]): a bare loop writing the same rows through
//!   the same store functions in large transactions. The ratio is the figure of merit.
//! - `queue`: an operator's page of cases filtered by region subtree + state + overdue,
//!   sorted by deadline; one client, then many.
//! - `dashboard`: the leader's dashboard (or any read path given) for a region.
//! - `startup`: time from process start to the first answer, and resident memory.
//!
//! Loads stay on 127.0.0.1 and end after `--seconds`.

mod ceiling;
mod cpu;
mod load;
mod servers;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{json, Value};

use crate::commands::{open_existing, DEFAULT_DATA_DIR};
use crate::config::Config;
use load::{run_load, Outcome};
use servers::Servers;

#[derive(clap::Subcommand, Debug, Clone)]
pub enum BenchCommand {
    /// Cases per second over HTTP (group commit) against the raw batched ceiling
    Intake(IntakeArgs),
    /// p50/p99 of the operator queue: region subtree + state + overdue, by deadline
    Queue(ReadArgs),
    /// p50/p99 of the leaders' dashboard (or another read path)
    Dashboard(ReadArgs),
    /// Time from start to first answer; resident memory while serving
    Startup(StartupArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// wangge serve processes sharing the database (PostgreSQL: more than one)
    #[arg(long, default_value_t = 1)]
    pub servers: usize,
    /// First port; server i listens on port + i
    #[arg(long, default_value_t = 18300)]
    pub port: u16,
    /// Seconds each measured load runs
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
}

#[derive(clap::Args, Debug, Clone)]
pub struct IntakeArgs {
    #[command(flatten)]
    pub common: Common,
    /// Concurrent clients
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Account that reports the cases (needs the right to create cases in the regions)
    #[arg(long, default_value = "intake")]
    pub user: String,
    /// Villages under this region receive the cases
    #[arg(long, default_value = "431027")]
    pub region: String,
    /// Cases per transaction in the raw ceiling loop
    #[arg(long, default_value_t = 1000)]
    pub ceiling_batch: usize,
    /// Skip the raw ceiling
    #[arg(long)]
    pub no_ceiling: bool,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ReadArgs {
    #[command(flatten)]
    pub common: Common,
    /// Client counts to measure one after the other
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    pub clients: Vec<usize>,
    #[arg(long, default_value = "dispatcher")]
    pub user: String,
    /// Region subtrees to ask for, taken in turn
    #[arg(long, value_delimiter = ',', default_value = "431027")]
    pub region: Vec<String>,
    /// The queue's state filter (queue only)
    #[arg(long, default_value = "handling")]
    pub state: String,
    /// Path to read, `{region}` replaced (dashboard; default: the dashboard)
    #[arg(long)]
    pub path: Option<String>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct StartupArgs {
    #[arg(long, default_value_t = 18300)]
    pub port: u16,
    #[arg(long, default_value = "dispatcher")]
    pub user: String,
    /// Starts to measure (the first warms the page cache)
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
}

pub const PASSWORD: &str = crate::demo::DEMO_PASSWORD;

pub async fn run(cfg: &Config, c: BenchCommand) -> anyhow::Result<ExitCode> {
    let data_dir = cfg
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    match c {
        BenchCommand::Intake(a) => intake(cfg, &data_dir, a).await,
        BenchCommand::Queue(a) => read(cfg, &data_dir, a, true).await,
        BenchCommand::Dashboard(a) => read(cfg, &data_dir, a, false).await,
        BenchCommand::Startup(a) => startup(cfg, &data_dir, a).await,
    }
}

fn describe(cfg: &Config, data_dir: &std::path::Path) -> String {
    match &cfg.database_url {
        Some(u) => crate::config::redact_url(u),
        None => format!(
            "SQLite {} (synchronous={})",
            data_dir.join("wangge.db").display(),
            cfg.sqlite_synchronous
        ),
    }
}

async fn intake(
    cfg: &Config,
    data_dir: &std::path::Path,
    a: IntakeArgs,
) -> anyhow::Result<ExitCode> {
    let store = open_existing(cfg, data_dir).await?;
    let mut conn = store.read().await?;
    let villages: Vec<(String,)> = sqlx::query_as(
        "SELECT code FROM regions WHERE level = 'village' AND code >= $1 AND code < $2 ORDER BY code",
    )
    .bind(format!("{:0<12}", a.region))
    .bind(format!("{:0<12}", next_prefix(&a.region)))
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    store.close().await;
    if villages.is_empty() {
        bail!("区划 {} 下没有村（社区）", a.region);
    }
    let villages: Vec<String> = villages.into_iter().map(|v| v.0).collect();
    println!(
        "intake: {} villages under {}, {}",
        villages.len(),
        a.region,
        describe(cfg, data_dir)
    );

    let servers = Servers::start(cfg, data_dir, a.common.servers, a.common.port).await?;
    let token = servers.login(0, &a.user, PASSWORD).await?;
    let cats: Value = servers
        .client
        .get(servers.url(0, "/api/v1/categories"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    // Second-level categories of the tree (disputes have their own workflow and file).
    let categories: Vec<String> = cats
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|top| top["children"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .filter(|id| !id.starts_with("dispute."))
        .collect();
    if categories.is_empty() {
        bail!("无法读取事件分类: {cats}");
    }
    let titles = [
        "路灯不亮",
        "道路坑洼积水",
        "垃圾未及时清运",
        "噪音扰民",
        "占道经营",
        "下水道堵塞",
        "违章搭建",
        "饮用水浑浊",
    ];
    let n_servers = servers.len();
    let client = servers.client.clone();
    let urls: Vec<String> = (0..n_servers)
        .map(|i| servers.url(i, "/api/v1/cases"))
        .collect();
    let ceiling_villages = villages.clone();
    let pids = servers.pids();
    let cpu_before = cpu::snapshot(&pids);
    let stats = run_load(
        a.clients,
        Duration::from_secs(a.common.seconds),
        move |worker, seq| {
            let client = client.clone();
            let url = urls[worker % urls.len()].clone();
            let token = token.clone();
            let h = mix(worker as u64, seq);
            let village = villages[(h % villages.len() as u64) as usize].clone();
            let category = categories[((h >> 16) % categories.len() as u64) as usize].clone();
            let title = titles[((h >> 32) % titles.len() as u64) as usize];
            async move {
                let body = json!({
                    "type": "general", "category": category, "source": "grid_report",
                    "region_code": village, "title": title,
                    "description": format!("{title}，第{worker}号终端第{seq}次上报，请尽快处理"),
                });
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("bench-{worker}-{seq}-{h:x}"))
                    .json(&body)
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                        let _ = r.bytes().await;
                        Outcome::Ok
                    }
                    Ok(r) => Outcome::Failed(format!(
                        "{} {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    )),
                    Err(e) => Outcome::Failed(e.to_string()),
                }
            }
        },
    )
    .await;
    let cpu = cpu::Usage::between(&cpu_before, &cpu::snapshot(&pids));
    let rss = servers.rss_kib();
    servers.stop().await;
    stats.print(&format!(
        "intake over HTTP, {} clients, {} server(s)",
        a.clients, n_servers
    ));
    println!("{}", cpu.line(stats.ok));
    let mut report = json!({
        "scenario": "intake", "servers": n_servers, "clients": a.clients,
        "database": describe(cfg, data_dir),
        "http": stats.json(), "server_rss_kib": rss, "cpu": cpu.json(stats.ok),
    });
    if !a.no_ceiling {
        let store = open_existing(cfg, data_dir).await?;
        let c = ceiling::run(
            &store,
            &ceiling_villages,
            a.ceiling_batch,
            Duration::from_secs(a.common.seconds),
        )
        .await?;
        store.close().await;
        let ratio = stats.per_second() / c.per_second;
        println!(
            "raw ceiling: {:.0} cases/s ({} cases in {:.1} s, {} per transaction, same rows through the same store functions)",
            c.per_second, c.cases, c.seconds, a.ceiling_batch
        );
        println!("intake / ceiling = {:.0}%", ratio * 100.0);
        report["ceiling_per_s"] = json!(c.per_second);
        report["ratio"] = json!(ratio);
    }
    println!("{report}");
    if stats.failed > 0 {
        eprintln!(
            "{} requests failed; first: {}",
            stats.failed,
            stats.first_error.as_deref().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn read(
    cfg: &Config,
    data_dir: &std::path::Path,
    a: ReadArgs,
    queue: bool,
) -> anyhow::Result<ExitCode> {
    let servers = Servers::start(cfg, data_dir, a.common.servers, a.common.port).await?;
    let token = servers.login(0, &a.user, PASSWORD).await?;
    let template = match (&a.path, queue) {
        (Some(p), _) => p.clone(),
        (None, true) => format!(
            "/api/v1/cases?region={{region}}&state={}&overdue=true&sort=deadline&per_page=20",
            a.state
        ),
        (None, false) => "/api/v1/dashboard?region={region}".to_string(),
    };
    // One answer first: a wrong path or account fails here, not as a flood of errors.
    let probe = servers.url(0, &template.replace("{region}", &a.region[0]));
    let r = servers
        .client
        .get(&probe)
        .bearer_auth(&token)
        .send()
        .await?;
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("{probe} → {status}: {body}");
    }
    let summary: String = body.chars().take(300).collect();
    println!("{probe} → {status}: {summary}…");
    let name = if queue { "queue" } else { "dashboard" };
    let mut results = Vec::new();
    for &clients in &a.clients {
        let client = servers.client.clone();
        let urls: Vec<String> = (0..servers.len())
            .flat_map(|i| a.region.iter().map(move |r| (i, r.clone())))
            .map(|(i, r)| servers.url(i, &template.replace("{region}", &r)))
            .collect();
        let token = token.clone();
        let stats = run_load(
            clients,
            Duration::from_secs(a.common.seconds),
            move |worker, seq| {
                let url = urls[(worker + seq as usize) % urls.len()].clone();
                let client = client.clone();
                let token = token.clone();
                async move {
                    match client.get(&url).bearer_auth(&token).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            Outcome::Ok
                        }
                        Ok(r) => Outcome::Failed(format!(
                            "{} {}",
                            r.status(),
                            r.text().await.unwrap_or_default()
                        )),
                        Err(e) => Outcome::Failed(e.to_string()),
                    }
                }
            },
        )
        .await;
        stats.print(&format!("{name}, {clients} client(s)"));
        results.push(json!({"clients": clients, "stats": stats.json()}));
    }
    let rss = servers.rss_kib();
    servers.stop().await;
    println!(
        "server RSS after the run: {} MiB",
        rss.iter()
            .map(|k| k / 1024)
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "{}",
        json!({"scenario": name, "database": describe(cfg, data_dir), "regions": a.region, "path": template, "runs": results, "server_rss_kib": rss})
    );
    Ok(ExitCode::SUCCESS)
}

async fn startup(
    cfg: &Config,
    data_dir: &std::path::Path,
    a: StartupArgs,
) -> anyhow::Result<ExitCode> {
    let mut runs = Vec::new();
    for i in 0..a.runs.max(1) {
        let t0 = Instant::now();
        let servers = Servers::start(cfg, data_dir, 1, a.port).await?;
        let healthy = t0.elapsed();
        let token = servers.login(0, &a.user, PASSWORD).await?;
        let r = servers
            .client
            .get(servers.url(0, "/api/v1/cases?open=true&sort=deadline&per_page=20"))
            .bearer_auth(&token)
            .send()
            .await?;
        let ok = r.status().is_success();
        let _ = r.bytes().await;
        let first_page = t0.elapsed();
        let rss = servers.rss_kib();
        servers.stop().await;
        if !ok {
            bail!("the first queue page failed");
        }
        println!(
            "start {}: healthy after {} ms, first queue page after {} ms (login included), RSS {} MiB",
            i + 1,
            healthy.as_millis(),
            first_page.as_millis(),
            rss.first().copied().unwrap_or(0) / 1024
        );
        runs.push(json!({"healthy_ms": healthy.as_millis() as u64, "first_page_ms": first_page.as_millis() as u64, "rss_kib": rss}));
    }
    println!(
        "{}",
        json!({"scenario": "startup", "database": describe(cfg, data_dir), "runs": runs})
    );
    Ok(ExitCode::SUCCESS)
}

/// The code just after a prefix's range ("431027" → "431028").
fn next_prefix(p: &str) -> String {
    let mut b = p.as_bytes().to_vec();
    while let Some(last) = b.pop() {
        if last < b'9' {
            b.push(last + 1);
            return String::from_utf8(b).unwrap_or_default();
        }
    }
    "9".repeat(p.len() + 1)
}

/// A cheap deterministic spread of (worker, sequence) over villages and categories.
fn mix(a: u64, b: u64) -> u64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_prefix_ends_a_code_range() {
        assert_eq!(super::next_prefix("431027"), "431028");
        assert_eq!(super::next_prefix("4310"), "4311");
        assert_eq!(super::next_prefix("4399"), "44");
    }
}

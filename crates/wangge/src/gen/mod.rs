//! `wangge gen`: realistic synthetic data at a chosen scale, for benchmarks and demos.
//!
//! - **Places**: 桂东县 (431027) from the official list, and `--counties` − 1 synthetic
//!   counties with real-shaped codes (the rest of 郴州市 first, real names for real codes;
//!   townships 1xx 镇 / 2xx 乡, villages 0xx 社区 / 2xx 村, 10–30 per township); 2–6 grids
//!   per village whose polygons tile the county, a 片 → 组 → 邻 chain under each grid,
//!   and the posts of its 网格员 and 三长.
//! - **People**: `--households-per-village` households per village (at a 邻), with
//!   residents whose 身份证号 are valid (GB 11643) and unique, encrypted and hashed with
//!   the field cipher as the server does (`id_number`, `phone`).
//! - **Accounts**: the demo users (`crate::demo::DEMO_USERS`, password `Wangge@2026`, no
//!   forced change) where absent; `gen_admin` and `gen_leader` over the whole province;
//!   and per county a staff of seven who work the cases (`gen<county>_intake`,
//!   `_dispatcher`, `_handler`, `_leader`, `_mediator`, `_advisor`, `_gridworker`; in
//!   桂东县 the county-wide demo accounts stand in for the first four).
//! - **Cases**: `--cases` over `--years` up to `--until`, general 45 %, 12345 30 %,
//!   disputes 12 %, device alerts 8 %, petitions 5 %, each worked through an in-memory
//!   replay of the case engine ([`sim`]): timelines, clocks, the escalation sweep,
//!   duplicate flags and rollups come out as the engine would have written them; disputes
//!   get their details, parties and mediation sessions. Inbox and webhook notices are not
//!   generated.
//!
//! Rows go straight into the tables in multi-row INSERTs, in transactions of 50,000
//! cases, on the generator's own connection ([`bulk::connect`]); the rollups, state counts
//! and number counters are summed in memory and written once at the end. One audit entry
//! (`gen.run`, with the counts) covers the run: the generated rows are not audited one by
//! one. On SQLite the connection runs with `synchronous = OFF`, and the random-order
//! indexes of the case tables and the full-text trigger are set aside during the load and
//! rebuilt after it ([`bulk`]). The database must hold no cases yet; an interrupted run
//! leaves a partial database (start again with a fresh one).
//!
//! Deterministic: the same seed, sizes and `--until` give the same places, people, cases
//! and timelines (`rand_chacha::ChaCha8Rng`, whose output is fixed by its algorithm, in
//! separate streams for places and people and for cases); only ciphertexts differ,
//! because every encryption draws a fresh nonce, as in production.

mod bulk;
mod cases;
mod finish;
mod flows;
pub(crate) mod grids;
mod intake;
mod matters;
mod mediate;
mod names;
mod people;
mod place;
mod plan;
mod rows;
mod sim;
#[cfg(test)]
mod sim_check;
mod tally;
mod text;
mod write;

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sqlx::Connection;
use wangge_core::date::Date;
use wangge_store::Backend;

use crate::commands::{now_ms, open, DEFAULT_DATA_DIR};
use crate::config::Config;
use crate::demo::{DEMO_PASSWORD, GUIDONG_CSV};
use cases::{Setup, DAY_MS};
use write::{Driver, Q};

/// Cases per transaction.
const COMMIT_EVERY: usize = 50_000;

#[derive(clap::Args, Debug, Clone)]
pub struct GenArgs {
    /// How many cases to generate
    #[arg(long)]
    pub cases: u64,
    /// How many counties: 桂东县 (431027) plus synthetic ones
    #[arg(long, default_value_t = 10)]
    pub counties: usize,
    /// Households (with their residents) per village
    #[arg(long, default_value_t = 30)]
    pub households_per_village: usize,
    /// Random seed: the same seed gives the same data
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Years of cases, ending at --until
    #[arg(long, default_value_t = 3)]
    pub years: u32,
    /// End of the period, YYYY-MM-DD (exclusive, China time; default: today)
    #[arg(long)]
    pub until: Option<String>,
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    let style = ProgressStyle::with_template(&format!(
        "{{spinner}} {what} [{{elapsed_precise}}] {{wide_bar}} {{human_pos}}/{{human_len}} ({{per_sec}}, 剩余 {{eta}})"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    pb
}

pub async fn run(cfg: &Config, a: GenArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    if !(1..=30).contains(&a.years) {
        bail!("--years 应在 1 至 30 之间");
    }
    let end_day = match &a.until {
        Some(s) => Date::parse_iso(s)
            .context("--until 的格式应为 YYYY-MM-DD")?
            .to_days(),
        None => (now_ms() + 8 * 3_600_000).div_euclid(DAY_MS),
    };
    let end = (end_day * 1440 - 8 * 60) * 60_000;
    let first_day = end_day - 365 * i64::from(a.years);
    let dir = cfg.data_dir_or(DEFAULT_DATA_DIR);
    let store = open(cfg, &dir).await?;
    let cipher = cfg.cipher(&dir, true)?;
    let case_cfg = cfg.case_config(&dir)?;
    let url = cfg.database_url(&dir)?;
    let mut conn = store.read().await?;
    if store.backend() == Backend::Sqlite
        && (bulk::restore(&mut conn, &url).await? | bulk::restore_derived(&mut conn).await?)
    {
        eprintln!("已恢复上次中断的 gen 暂时移除的索引与触发器");
    }
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cases")
        .fetch_one(&mut *conn)
        .await?;
    let (runs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'gen.run'")
        .fetch_one(&mut *conn)
        .await?;
    if existing > 0 || runs > 0 {
        bail!(
            "数据库中已有 {existing} 件事件{}：gen 只写入新数据库（请换一个 --data-dir）",
            if runs > 0 {
                "，且已生成过数据"
            } else {
                ""
            }
        );
    }
    let (max_hh,): (i64,) =
        sqlx::query_as("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM households")
            .fetch_one(&mut *conn)
            .await?;
    let counters: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT county, CAST(year AS BIGINT), last_seq FROM case_counters")
            .fetch_all(&mut *conn)
            .await?;
    let first_id = match store.backend() {
        Backend::Sqlite => {
            let seq: Option<(i64,)> =
                sqlx::query_as("SELECT seq FROM sqlite_sequence WHERE name = 'cases'")
                    .fetch_optional(&mut *conn)
                    .await?;
            seq.map_or(0, |s| s.0) + 1
        }
        Backend::Postgres => 1,
    };
    drop(conn);

    // Places and people, in one transaction, on the generator's own connection.
    let backend = store.backend();
    let mut conn = bulk::connect(&url, backend).await?;
    let hash = tokio::task::spawn_blocking(|| wangge_crypto::password::hash(DEMO_PASSWORD));
    let at = end;
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    rng.set_stream(1);
    let guidong: Vec<_> = crate::import::parse_regions(GUIDONG_CSV, false)?
        .into_iter()
        .map(|r| (r.1, r.2))
        .collect();
    let mut world = place::build(&mut rng, a.seed, a.counties, &guidong, at)?;
    let hash = hash.await?;
    let mut tx = conn.begin().await?;
    write::insert(
        &mut *tx,
        Driver::Any(backend),
        std::mem::take(&mut world.regions),
    )
    .await?;
    write::insert(
        &mut *tx,
        Driver::Any(backend),
        std::mem::take(&mut world.grid_rows),
    )
    .await?;
    wangge_server::grids::bump_version(&mut tx, now_ms())
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let (staff, accounts) = people::ensure_staff(&mut tx, &world.counties, &hash, at).await?;
    // People are made (and encrypted) on another thread while this task writes them.
    let mut adults: Vec<Vec<people::Person>> =
        (0..world.villages.len()).map(|_| Vec::new()).collect();
    let pb = progress(world.counties.len() as u64, "住户与居民");
    let (send_people, mut made) = tokio::sync::mpsc::channel(2);
    let (per_village, people_cipher) = (a.households_per_village, cipher.clone());
    let today = Date::from_days(end_day - 1);
    let people_thread = std::thread::spawn(move || {
        let mut ids = people::IdBook::default();
        let mut next_id = max_hh + 1;
        for c in 0..world.counties.len() {
            let p = people::county_people(
                &mut rng,
                &world,
                c,
                per_village,
                &people_cipher,
                &mut ids,
                next_id,
                today,
                at,
            );
            next_id += p.households.len() as i64;
            if send_people.blocking_send(p).is_err() {
                break;
            }
        }
        world
    });
    let (mut households, mut residents, mut posts) = (0_u64, 0_u64, 0_u64);
    while let Some(p) = made.recv().await {
        households += p.households.len() as u64;
        residents += p.residents.len() as u64;
        posts += p.posts.len() as u64;
        write::insert(&mut *tx, Driver::Any(backend), p.households).await?;
        write::insert(&mut *tx, Driver::Any(backend), p.residents).await?;
        write::insert(&mut *tx, Driver::Any(backend), p.posts).await?;
        for (v, list) in p.adults {
            adults[v] = list;
        }
        pb.inc(1);
    }
    tx.commit().await?;
    let world = tokio::task::spawn_blocking(move || people_thread.join())
        .await?
        .map_err(|_| anyhow::anyhow!("住户生成线程异常退出"))?;
    pb.finish_and_clear();

    // Cases: a generator thread hands batches to this task, which writes them.
    let mut tally = tally::Tally::default();
    for (county, year, seq) in counters {
        tally
            .counters
            .insert((county, i32::try_from(year).unwrap_or(0)), seq);
    }
    let setup = Setup {
        world,
        adults,
        staff,
        cfg: case_cfg,
        cipher: cipher.clone(),
        seed: a.seed,
        cases: a.cases,
        first_day,
        end,
        first_id,
        tally,
    };
    // The generator thread also turns each batch into bound statements, so this task only
    // hands them to the database.
    let driver = match backend {
        Backend::Sqlite => Driver::Sqlite,
        Backend::Postgres => Driver::Any(backend),
    };
    let (sender, mut batches) = tokio::sync::mpsc::channel::<(usize, Vec<Q>)>(2);
    let generator = std::thread::spawn(move || {
        cases::generate(setup, |b| {
            let n = b.cases.len();
            sender.blocking_send((n, b.into_statements(driver))).is_ok()
        })
    });
    let pb = progress(a.cases, "事件");
    let mut written = Ok(());
    if store.backend() == Backend::Sqlite {
        written = bulk::suspend(&mut conn, &url)
            .await
            .map(drop)
            .map_err(anyhow::Error::from);
    }
    let setup_secs = started.elapsed().as_secs_f64();
    let cases_started = Instant::now();
    if written.is_ok() {
        written = match backend {
            Backend::Sqlite => {
                async {
                    let mut direct = bulk::connect_sqlite(&url).await?;
                    let w = write_cases::<sqlx::Sqlite>(&mut direct, &mut batches, &pb).await;
                    direct.close().await?;
                    w
                }
                .await
            }
            Backend::Postgres => write_cases::<sqlx::Any>(&mut conn, &mut batches, &pb).await,
        };
    }
    drop(batches);
    let joined = tokio::task::spawn_blocking(move || generator.join()).await?;
    written?;
    let rows_secs = cases_started.elapsed().as_secs_f64();
    pb.finish_and_clear();
    if store.backend() == Backend::Sqlite {
        let spinner = ProgressBar::new_spinner();
        spinner.set_message("建立索引与全文索引…");
        spinner.enable_steady_tick(std::time::Duration::from_millis(200));
        bulk::restore(&mut conn, &url).await?;
        spinner.finish_and_clear();
    }
    conn.close().await?;
    let index_secs = cases_started.elapsed().as_secs_f64() - rows_secs;
    let (tally, setup) = joined.map_err(|_| anyhow::anyhow!("事件生成线程异常退出"))?;
    let counts = finish::Counts {
        households,
        residents,
        posts,
        accounts,
        setup_secs,
        rows_secs,
        index_secs,
    };
    finish::finish(&store, &url, &a, &tally, &setup, &counts, started).await?;
    Ok(ExitCode::SUCCESS)
}

async fn write_cases<D: sqlx::Database>(
    conn: &mut D::Connection,
    batches: &mut tokio::sync::mpsc::Receiver<(usize, Vec<Q>)>,
    pb: &ProgressBar,
) -> anyhow::Result<()>
where
    D::Connection: write::Writer,
{
    let mut tx = conn.begin().await?;
    let mut since_commit = 0;
    while let Some((n, statements)) = batches.recv().await {
        write::run(&mut *tx, statements).await?;
        since_commit += n;
        pb.inc(n as u64);
        if since_commit >= COMMIT_EVERY {
            tx.commit().await?;
            tx = conn.begin().await?;
            since_commit = 0;
        }
    }
    tx.commit().await?;
    Ok(())
}

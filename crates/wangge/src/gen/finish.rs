//! The last transaction: the summed rollups, state counts and number counters, the id
//! sequences (PostgreSQL), and the one audit entry of the run; then the summary.

use std::time::Instant;

use serde_json::json;
use wangge_server::access::{audit_entry, RequestCtx};
use wangge_store::{audit, Backend, Store};

use super::cases::{Setup, TYPES};
use super::tally::{CounterOut, RollupOut, StateCountOut, Tally};
use super::write::{self, Driver};
use super::GenArgs;
use crate::commands::now_ms;

pub struct Counts {
    pub households: u64,
    pub residents: u64,
    pub posts: u64,
    pub accounts: usize,
    pub setup_secs: f64,
    pub rows_secs: f64,
    pub index_secs: f64,
}

pub async fn finish(
    store: &Store,
    url: &str,
    a: &GenArgs,
    tally: &Tally,
    s: &Setup,
    counts: &Counts,
    started: Instant,
) -> anyhow::Result<()> {
    let leaves: Vec<&str> = s
        .cfg
        .catalogue
        .leaf_categories()
        .map(|(_, c)| c.id.as_str())
        .collect();
    let village = |v: u32| s.world.villages[v as usize].code.clone();
    let mut rollups: Vec<_> = tally.rollups.iter().collect();
    rollups.sort_by_key(|(k, _)| **k);
    let rollups: Vec<RollupOut> = rollups
        .into_iter()
        .map(|(&(v, ym, cat, src), c)| RollupOut {
            region: village(v),
            month: format!("{:04}-{:02}", ym / 100, ym % 100),
            category: leaves
                .get(usize::from(cat))
                .copied()
                .unwrap_or_default()
                .to_string(),
            source: s
                .cfg
                .catalogue
                .sources
                .get(usize::from(src))
                .map(|x| x.id.clone())
                .unwrap_or_default(),
            c: *c,
        })
        .collect();
    let mut states: Vec<_> = tally.states.iter().collect();
    states.sort();
    let states: Vec<StateCountOut> = states
        .into_iter()
        .map(|((v, t, state), n)| StateCountOut {
            region: village(*v),
            case_type: TYPES[usize::from(*t)].0.to_string(),
            state: state.clone(),
            n: *n,
        })
        .collect();
    let counters: Vec<CounterOut> = tally
        .counters
        .iter()
        .map(|((county, year), seq)| CounterOut {
            county: county.clone(),
            year: i64::from(*year),
            last_seq: *seq,
        })
        .collect();
    let t = Instant::now();
    let mut tx = if store.backend() == Backend::Sqlite {
        // Millions of rollup rows: through SQLite's own driver, like the case rows, in a
        // transaction of their own. Until the one below commits, the derived tables are
        // still pending in `meta`, so a run stopped in between computes them on its next
        // start.
        let mut direct = super::bulk::connect_sqlite(url).await?;
        let mut dtx = sqlx::Connection::begin(&mut direct).await?;
        write::insert(&mut *dtx, Driver::Sqlite, rollups).await?;
        write::insert(&mut *dtx, Driver::Sqlite, states).await?;
        write::insert(&mut *dtx, Driver::Sqlite, counters).await?;
        dtx.commit().await?;
        sqlx::Connection::close(direct).await?;
        store.begin().await?
    } else {
        let mut tx = store.begin().await?;
        write::insert(&mut *tx, Driver::Any(store.backend()), rollups).await?;
        write::insert(&mut *tx, Driver::Any(store.backend()), states).await?;
        write::insert(&mut *tx, Driver::Any(store.backend()), counters).await?;
        tx
    };
    tracing::debug!(secs = t.elapsed().as_secs_f64(), "rollups written");
    if store.backend() == Backend::Sqlite {
        // The derived tables' triggers were set aside for the load: compute the tables
        // from everything written, then put the triggers back.
        let t = Instant::now();
        super::bulk::restore_derived_in(&mut tx).await?;
        tracing::debug!(secs = t.elapsed().as_secs_f64(), "derived tables");
    }
    if store.backend() == Backend::Postgres {
        // Ids were given explicitly: move the sequences past them.
        for table in ["cases", "households"] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    let w = &s.world;
    let details = json!({
        "seed": a.seed,
        "until": a.until,
        "years": a.years,
        "counties": w.counties.len(),
        "villages": w.villages.len(),
        "grids": w.grids.len(),
        "regions": w.region_count,
        "households": counts.households,
        "residents": counts.residents,
        "posts": counts.posts,
        "accounts_created": counts.accounts,
        "cases": tally.cases,
        "case_events": tally.events,
        "case_parties": tally.parties,
        "disputes": tally.disputes,
        "mediation_sessions": tally.sessions,
        "note": "bulk generated: the rows above are not audited one by one",
    });
    let ctx = RequestCtx {
        ip: "cli".into(),
        request_id: String::new(),
    };
    let actor = format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "operator".into())
    );
    let region = w
        .counties
        .first()
        .map(|c| format!("{}000000", c.code6))
        .unwrap_or_default();
    audit::append(
        &mut tx,
        audit_entry(
            &ctx,
            &actor,
            now_ms(),
            "gen.run",
            "region",
            &region,
            &region,
            details,
        ),
    )
    .await?;
    tx.commit().await?;
    if store.backend() == Backend::Sqlite {
        let t = Instant::now();
        let mut conn = store.read().await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *conn)
            .await?;
        tracing::debug!(secs = t.elapsed().as_secs_f64(), "checkpoint");
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "已生成：{} 个县（{} 个村/社区，{} 个网格，区划节点 {} 个），{} 户、{} 名居民，岗位 {} 个，新建账号 {} 个",
        w.counties.len(),
        w.villages.len(),
        w.grids.len(),
        w.region_count,
        counts.households,
        counts.residents,
        counts.posts,
        counts.accounts
    );
    println!(
        "事件 {} 件（时间线 {} 条，当事人 {} 人，纠纷 {} 件，调解 {} 次；未办结 {} 件，其中超期 {} 件；疑似重复 {} 件）",
        tally.cases,
        tally.events,
        tally.parties,
        tally.disputes,
        tally.sessions,
        tally.open,
        tally.overdue,
        tally.duplicates
    );
    println!(
        "用时 {secs:.1} 秒：区划、住户与账号 {:.1} 秒，事件写入 {:.1} 秒（{:.0} 件/秒），建索引 {:.1} 秒；总计 {:.0} 件/秒（种子 {}）",
        counts.setup_secs,
        counts.rows_secs,
        tally.cases as f64 / counts.rows_secs.max(1e-9),
        counts.index_secs,
        tally.cases as f64 / secs.max(1e-9),
        a.seed
    );
    Ok(())
}

//! The raw ceiling for intake: what the database itself can take of the rows one new case
//! writes — the case, its first timeline event, its idempotency key, its number counter,
//! the month's rollup, the current-state count and its audit entry — written by a bare
//! loop through the same store functions (rollups summed per transaction and written
//! last, as the group commit does), many cases per transaction, with the server's
//! durability setting. No HTTP, no JSON, no validation, no duplicate search: the gap
//! between this and HTTP intake is what the server adds.

use std::time::{Duration, Instant};

use serde_json::json;
use wangge_core::audit::AuditEntry;
use wangge_core::date::Date;
use wangge_core::rates::Counters;
use wangge_store::case_stats::Tally;
use wangge_store::cases::{self, CaseRow, EventRow};
use wangge_store::{audit, Store};

use crate::commands::now_ms;

pub struct Ceiling {
    pub cases: u64,
    pub seconds: f64,
    pub per_second: f64,
}

pub async fn run(
    store: &Store,
    villages: &[String],
    batch: usize,
    duration: Duration,
) -> anyhow::Result<Ceiling> {
    let (user_id,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM users")
        .fetch_one(&mut *store.read().await?)
        .await?;
    let start = Instant::now();
    let mut n = 0_u64;
    while start.elapsed() < duration {
        let now = now_ms();
        let today = Date::from_unix_millis_cst(now);
        let month = format!("{:04}-{:02}", today.year, today.month);
        let mut tx = store.begin_batch().await?;
        let mut entries = Vec::with_capacity(batch);
        let mut tally = Tally::default();
        for _ in 0..batch.max(1) {
            let village = &villages[(n % villages.len() as u64) as usize];
            let number = cases::next_number(&mut tx, &village[..6], today.year).await?;
            let row = CaseRow {
                id: 0,
                number,
                case_type: "general".into(),
                category: "facilities.street_light".into(),
                source: "grid_report".into(),
                region_code: village.clone(),
                handling_region: village.clone(),
                lat: None,
                lng: None,
                title: "路灯不亮".into(),
                description: format!("路灯不亮，第{n}次上报，请尽快处理"),
                priority: "normal".into(),
                state: "collected".into(),
                terminal: 0,
                assignee_user_id: None,
                created_by: Some(user_id),
                reporter_name: None,
                reporter_phone_enc: None,
                state_entered_at: now,
                state_due_at: Some(now + 3_600_000),
                level_entered_at: now,
                level_due_at: Some(now + 5 * 86_400_000),
                dispatched_at: None,
                response_due_at: None,
                responded_at: None,
                closed_at: None,
                late_at: None,
                satisfaction: None,
                supervise_level: None,
                merged_into: None,
                possible_duplicate_of: None,
                paused_remaining_ms: None,
                origin: None,
                rollup_region: village.clone(),
                month: month.clone(),
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let id = cases::insert(&mut tx, &row).await?;
            cases::append_event(
                &mut tx,
                &EventRow {
                    id: 0,
                    case_id: id,
                    at: now,
                    actor: "bench".into(),
                    actor_user_id: Some(user_id),
                    action: "create".into(),
                    effect: "none".into(),
                    from_state: String::new(),
                    to_state: "collected".into(),
                    note: None,
                    data: json!({"source": row.source, "category": row.category}).to_string(),
                },
            )
            .await?;
            // Summed over the transaction and written last, as the server's group commit does.
            tally.bump(
                &row.rollup_region,
                &row.month,
                &row.category,
                &row.source,
                &Counters {
                    created: 1,
                    ..Default::default()
                },
            );
            tally.enter_state(&row.rollup_region, &row.case_type, &row.state);
            cases::remember_idempotency(&mut tx, user_id, &format!("ceiling-{now}-{n}"), id, now)
                .await?;
            entries.push(AuditEntry {
                seq: 0,
                chain: 0,
                chain_seq: 0,
                at_ms: now,
                actor: "bench".into(),
                action: "case.create".into(),
                target_type: "case".into(),
                target_id: id.to_string(),
                region_code: village.clone(),
                ip: "127.0.0.1".into(),
                request_id: String::new(),
                details:
                    json!({"type": row.case_type, "source": row.source, "category": row.category})
                        .to_string(),
                prev_hash: String::new(),
                hash: String::new(),
            });
            n += 1;
        }
        tally.write(&mut tx).await?;
        audit::append_many(&mut tx, entries).await?;
        tx.commit().await?;
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(Ceiling {
        cases: n,
        seconds,
        per_second: n as f64 / seconds,
    })
}

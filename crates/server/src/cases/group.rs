//! Group commit for raising cases. Every new case writes the same hot rows — the audit
//! chain's head, the month's rollup, the county's number counter — so one transaction per
//! request makes requests queue for the write lock and pay one durable flush each. Here
//! one task takes every request that is waiting, runs each after a savepoint in a single
//! transaction (a refused request undoes only its own writes), seals all their audit
//! entries at once, commits once, and only then answers each request: an acknowledgement
//! still means the case, its timeline, rollups and audit entry are durably stored.
//!
//! While one batch commits the next one gathers, so batches grow with load and a lone
//! request waits for nobody.
//!
//! Several server processes may share one PostgreSQL database, each with its own task
//! (ADR 0013). So that their batches do not hold rows the others need for a whole batch:
//! each process seals onto its own audit chain; case numbers are reserved before the
//! batch's transaction in a statement of their own; and the rollups are summed over the
//! batch and written last, just before the commit.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use tokio::sync::{mpsc, oneshot};
use wangge_core::audit::AuditEntry;
use wangge_store::case_stats::Tally;
use wangge_store::{audit, cases, Backend};

use super::create::{insert_in, number_key, Checked, Created, Inserted, NewCaseRequest};

use crate::access::Caller;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Most requests in one transaction (bounds a batch's latency and its undo log).
const MAX_BATCH: usize = 256;
/// Requests waiting beyond this are refused rather than queued without end.
const QUEUE_DEPTH: usize = 4096;

pub(super) struct Job {
    pub caller: Caller,
    pub req: NewCaseRequest,
    pub checked: Checked,
    pub idempotency_key: Option<String>,
    pub origin: Option<String>,
    pub now: i64,
}

type Reply = oneshot::Sender<ApiResult<Created>>;

/// The handle requests use; the committing task starts with the first request.
pub struct IntakeQueue {
    tx: mpsc::Sender<(Job, Reply)>,
}

impl IntakeQueue {
    pub(crate) fn start(state: AppState) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run(state, rx));
        Self { tx }
    }

    pub(super) async fn submit(&self, job: Job) -> ApiResult<Created> {
        let (reply, answer) = oneshot::channel();
        self.tx.send((job, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "服务正在停止，请稍后重试",
    )
}

async fn run(state: AppState, mut rx: mpsc::Receiver<(Job, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        commit_batch(&state, std::mem::take(&mut batch)).await;
    }
}

async fn commit_batch(state: &AppState, batch: Vec<(Job, Reply)>) {
    let size = batch.len();
    let numbers = match reserve_numbers(state, &batch).await {
        Ok(n) => n,
        Err(e) => return refuse_all(batch, &e),
    };
    let mut tx = match state.store.begin_batch().await {
        Ok(tx) => tx,
        Err(e) => return refuse_all(batch, &ApiError::from(e)),
    };
    // Answers wait for the commit, refusals too: a refused retry of an idempotency key
    // looks the key up again and must find the case its twin made in this batch.
    let mut answers: Vec<(Reply, ApiResult<i64>)> = Vec::with_capacity(size);
    let mut entries: Vec<AuditEntry> = Vec::with_capacity(size);
    let mut tally = Tally::default();
    for ((job, reply), number) in batch.into_iter().zip(numbers) {
        let outcome = match tx.savepoint().await {
            Err(e) => Err(ApiError::from(e)),
            Ok(()) => {
                let r = insert_in(&mut tx, state, &job, number).await;
                let settled = match &r {
                    Ok(_) => tx.release_savepoint().await,
                    Err(_) => tx.rollback_to_savepoint().await,
                };
                match (r, settled) {
                    (
                        Ok(Inserted {
                            id,
                            entry,
                            tally: t,
                        }),
                        Ok(()),
                    ) => {
                        entries.push(entry);
                        tally.merge(t);
                        Ok(id)
                    }
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(e)) => Err(ApiError::from(e)),
                }
            }
        };
        answers.push((reply, outcome));
    }
    // The rollups are shared with every other process, so they come at the end, where
    // their locks are held only until the commit; and before the audit head, the order
    // in which every single-case command takes the two (rollups, then its audit entry).
    let written = match tally.write(&mut tx).await {
        Ok(()) => audit::append_many(&mut tx, entries).await.map(drop),
        Err(e) => Err(e),
    };
    let committed = match written {
        Ok(()) => tx.commit().await.map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    state.metrics.observe_intake_batch(size);
    for (reply, outcome) in answers {
        let answer = match (&committed, outcome) {
            (Ok(()), Ok(id)) => Ok(Created {
                id,
                replayed: false,
            }),
            (_, Err(e)) => Err(e),
            (Err(e), Ok(_)) => Err(copy(e)),
        };
        let _ = reply.send(answer);
    }
}

fn refuse_all(batch: Vec<(Job, Reply)>, e: &ApiError) {
    for (_, reply) in batch {
        let _ = reply.send(Err(copy(e)));
    }
}

/// PostgreSQL: reserves the batch's case numbers, one statement per county and year, each
/// committed on its own. A county's counter row is then locked for one statement rather
/// than for the whole batch, while another process's batch may want it too. The price is
/// that a request refused inside the batch leaves its number unused (numbers stay unique
/// and rise within a batch, but may have gaps). SQLite has one writer at a time, so there
/// each case draws its number inside the batch and numbers stay gap-free.
async fn reserve_numbers(
    state: &AppState,
    batch: &[(Job, Reply)],
) -> ApiResult<Vec<Option<String>>> {
    if state.store.backend() != Backend::Postgres {
        return Ok(vec![None; batch.len()]);
    }
    let keys: Vec<(String, i32)> = batch.iter().map(|(job, _)| number_key(job)).collect();
    let mut wanted: BTreeMap<&(String, i32), i64> = BTreeMap::new();
    for k in &keys {
        *wanted.entry(k).or_default() += 1;
    }
    let mut next: BTreeMap<&(String, i32), i64> = BTreeMap::new();
    let mut conn = state.store.read().await?;
    for (k, n) in wanted {
        let first = cases::reserve_numbers(&mut conn, &k.0, k.1, n).await?;
        next.insert(k, first);
    }
    Ok(keys
        .iter()
        .map(|k| {
            next.get_mut(k).map(|seq| {
                let number = cases::number_text(&k.0, k.1, *seq);
                *seq += 1;
                number
            })
        })
        .collect())
}

fn copy(e: &ApiError) -> ApiError {
    ApiError::new(e.status, &e.code, e.message.clone()).with_details(e.details.clone())
}

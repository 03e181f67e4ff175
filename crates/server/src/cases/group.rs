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

use axum::http::StatusCode;
use tokio::sync::{mpsc, oneshot};
use wangge_core::audit::AuditEntry;
use wangge_store::audit;

use super::create::{insert_in, Checked, Created, NewCaseRequest};

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
    let mut tx = match state.store.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            let e = ApiError::from(e);
            for (_, reply) in batch {
                let _ = reply.send(Err(copy(&e)));
            }
            return;
        }
    };
    // Answers wait for the commit, refusals too: a refused retry of an idempotency key
    // looks the key up again and must find the case its twin made in this batch.
    let mut answers: Vec<(Reply, ApiResult<i64>)> = Vec::with_capacity(size);
    let mut entries: Vec<AuditEntry> = Vec::with_capacity(size);
    for (job, reply) in batch {
        let outcome = match tx.savepoint().await {
            Err(e) => Err(ApiError::from(e)),
            Ok(()) => {
                let r = insert_in(&mut tx, state, &job).await;
                let settled = match &r {
                    Ok(_) => tx.release_savepoint().await,
                    Err(_) => tx.rollback_to_savepoint().await,
                };
                match (r, settled) {
                    (Ok((id, entry)), Ok(())) => {
                        entries.push(entry);
                        Ok(id)
                    }
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(e)) => Err(ApiError::from(e)),
                }
            }
        };
        answers.push((reply, outcome));
    }
    let sealed = audit::append_many(&mut tx, entries).await;
    let committed = match sealed {
        Ok(_) => tx.commit().await.map_err(ApiError::from),
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

fn copy(e: &ApiError) -> ApiError {
    ApiError::new(e.status, &e.code, e.message.clone()).with_details(e.details.clone())
}

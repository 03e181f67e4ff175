//! Closed-loop load: `clients` tasks each send a request, wait for its answer, and send
//! the next, until the time is up. Latencies are kept whole (a few million u32 at most)
//! and sorted once for exact percentiles.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::Mutex;

pub enum Outcome {
    Ok,
    Failed(String),
}

#[derive(Debug, Default)]
pub struct Stats {
    pub ok: u64,
    pub failed: u64,
    pub seconds: f64,
    /// Sorted latencies of the successful requests, microseconds.
    pub micros: Vec<u32>,
    pub first_error: Option<String>,
}

impl Stats {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.seconds.max(1e-9)
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        let i = ((self.micros.len() as f64 - 1.0) * p).round() as usize;
        f64::from(self.micros[i.min(self.micros.len() - 1)]) / 1000.0
    }

    pub fn print(&self, what: &str) {
        println!(
            "{what}: {:.0}/s ({} ok, {} failed in {:.1} s); latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.per_second(),
            self.ok,
            self.failed,
            self.seconds,
            self.percentile_ms(0.50),
            self.percentile_ms(0.90),
            self.percentile_ms(0.99),
            self.percentile_ms(1.0),
        );
    }

    pub fn json(&self) -> Value {
        json!({
            "per_s": self.per_second(), "ok": self.ok, "failed": self.failed, "seconds": self.seconds,
            "p50_ms": self.percentile_ms(0.50), "p90_ms": self.percentile_ms(0.90),
            "p99_ms": self.percentile_ms(0.99), "max_ms": self.percentile_ms(1.0),
            "first_error": self.first_error,
        })
    }
}

/// Runs `request(worker, seq)` from `clients` workers for `duration`.
pub async fn run_load<F, Fut>(clients: usize, duration: Duration, request: F) -> Stats
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let request = Arc::new(request);
    let first_error = Arc::new(Mutex::new(None::<String>));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for worker in 0..clients.max(1) {
        let request = request.clone();
        let first_error = first_error.clone();
        tasks.push(tokio::spawn(async move {
            let mut micros = Vec::new();
            let mut failed = 0_u64;
            let mut seq = 0_u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let outcome = request(worker, seq).await;
                seq += 1;
                match outcome {
                    Outcome::Ok => {
                        micros.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX))
                    }
                    Outcome::Failed(e) => {
                        failed += 1;
                        let mut f = first_error.lock().await;
                        if f.is_none() {
                            *f = Some(e);
                        }
                        // A failing server must not turn the loop into a busy spin.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (micros, failed)
        }));
    }
    let mut stats = Stats::default();
    for t in tasks {
        if let Ok((m, f)) = t.await {
            stats.ok += m.len() as u64;
            stats.micros.extend(m);
            stats.failed += f;
        }
    }
    stats.seconds = start.elapsed().as_secs_f64();
    stats.micros.sort_unstable();
    stats.first_error = first_error.lock().await.take();
    stats
}

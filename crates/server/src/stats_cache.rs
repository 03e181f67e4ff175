//! Grid and 三长 coverage of a subtree changes only when a roster does, yet a province's
//! figures read every post and household of it. They are kept here per subtree with the
//! coverage stamp they were computed at (migration 0014 moves the stamp on every write to
//! regions, posts or households, from any process), and computed again once it moves.

use std::collections::HashMap;
use std::sync::Mutex;

use wangge_store::dashboard::{self, CoverageFigures};
use wangge_store::{nodes, AnyConnection};

/// Subtrees remembered at most; past that the cache starts again (a county has a few
/// hundred villages, so a working set fits many times over).
const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
pub struct CoverageCache {
    by_subtree: Mutex<HashMap<String, (i64, CoverageFigures)>>,
}

impl CoverageCache {
    /// Coverage of `[lo, hi)`: from memory while the stamp has not moved.
    pub async fn get(
        &self,
        conn: &mut AnyConnection,
        lo: &str,
        hi: &str,
    ) -> wangge_store::Result<CoverageFigures> {
        // Read before computing: a write landing in between moves the stamp past the one
        // stored with the figures, so the next call computes them again.
        let stamp = nodes::coverage_stamp(conn).await?;
        if let Some(f) = self
            .lock()
            .get(lo)
            .filter(|(s, _)| *s == stamp)
            .map(|(_, f)| *f)
        {
            return Ok(f);
        }
        let f = dashboard::coverage(conn, lo, hi).await?;
        let mut m = self.lock();
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(lo.to_string(), (stamp, f));
        Ok(f)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, CoverageFigures)>> {
        // A panic while holding the lock leaves a map of complete entries: keep using it.
        self.by_subtree
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

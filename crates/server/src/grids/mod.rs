//! Grids at the application layer: the point → grid index kept in memory and rebuilt when
//! boundaries change (also when another server process changed them), and the roster
//! import shared by the HTTP API and the CLI.

pub mod roster;

use std::sync::Arc;

use tokio::sync::RwLock;
use wangge_core::geo::{Boundary, GridIndex, Point};
use wangge_store::{grids, meta, Store};

use crate::error::{ApiError, ApiResult};

/// The in-memory index with the boundaries' version it was built from.
#[derive(Default)]
pub struct IndexCache {
    inner: RwLock<Option<(String, Arc<GridIndex>)>>,
}

pub const VERSION_KEY: &str = "grids_version";

impl IndexCache {
    /// The current index, rebuilt from the database when the stored version moved.
    pub async fn get(&self, store: &Store) -> ApiResult<Arc<GridIndex>> {
        let mut conn = store.read().await?;
        let version = meta::get(&mut conn, VERSION_KEY).await?.unwrap_or_default();
        if let Some((v, idx)) = self.inner.read().await.as_ref() {
            if *v == version {
                return Ok(idx.clone());
            }
        }
        let rows = grids::all_boundaries(&mut conn).await?;
        drop(conn);
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            let v: serde_json::Value =
                serde_json::from_str(&r.boundary).map_err(ApiError::internal)?;
            let b = Boundary::from_geojson_geometry(&v)
                .map_err(|e| ApiError::internal(format!("{}: {e}", r.code)))?;
            items.push((r.code, b));
        }
        let idx = Arc::new(GridIndex::new(items));
        *self.inner.write().await = Some((version, idx.clone()));
        Ok(idx)
    }

    /// The grid containing a point, if any.
    pub async fn locate(&self, store: &Store, lng: f64, lat: f64) -> ApiResult<Option<String>> {
        let idx = self.get(store).await?;
        Ok(idx.locate(Point { lng, lat }).map(str::to_string))
    }
}

/// Marks the boundaries changed (call in the transaction that changed them).
pub async fn bump_version(conn: &mut wangge_store::AnyConnection, now_ms: i64) -> ApiResult<()> {
    meta::put(
        conn,
        VERSION_KEY,
        &format!("{now_ms}-{}", uuid::Uuid::new_v4().simple()),
    )
    .await?;
    Ok(())
}

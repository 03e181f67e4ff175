//! Point → grid lookup over many boundaries.

use std::ops::ControlFlow;

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeParams};

#[derive(Debug, Clone, Copy)]
struct Params;
impl RTreeParams for Params {
    const MIN_SIZE: usize = 2;
    const MAX_SIZE: usize = 6;
    const REINSERTION_COUNT: usize = 3;
    type DefaultInsertionStrategy = rstar::RStarInsertionStrategy;
}

use super::contains::ring_parity;
use super::{Boundary, Point};

/// One polygon of one grid, its rings stored contiguously in [`GridIndex::vertices`].
#[derive(Debug, Clone)]
struct Part {
    /// Index into `codes`; grids are sorted by code, so a smaller index is a smaller code.
    grid: usize,
    /// Range into `rings`: the exterior, then the holes.
    rings: (usize, usize),
}

/// Point → grid lookup over many boundaries.
///
/// An R-tree over the bounding box of every polygon (each part of a MultiPolygon gets its
/// own entry) narrows a lookup to the few polygons whose box holds the point; the exact
/// crossing test of [`Boundary::contains`] then decides. The answer is therefore exactly
/// that of testing every boundary in turn; when overlapping data lets several grids
/// claim the point, the smallest code wins. Lookups do not allocate.
#[derive(Debug, Clone)]
pub struct GridIndex {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>, Params>,
    /// Grid codes, sorted.
    codes: Vec<String>,
    parts: Vec<Part>,
    /// Ranges into `vertices`, one per ring.
    rings: Vec<(usize, usize)>,
    vertices: Vec<Point>,
}

impl GridIndex {
    /// Indexes grids given as `(code, boundary)`. Polygons with no positions or with
    /// non-finite coordinates (neither can come from the GeoJSON reader) are left out.
    pub fn new(mut items: Vec<(String, Boundary)>) -> GridIndex {
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let mut codes = Vec::with_capacity(items.len());
        let mut parts = Vec::new();
        let mut rings = Vec::new();
        let mut vertices = Vec::new();
        let mut entries = Vec::new();
        for (grid, (code, boundary)) in items.into_iter().enumerate() {
            codes.push(code);
            for poly in boundary.polygons {
                let all_rings = || std::iter::once(&poly.exterior).chain(poly.holes.iter());
                let (min, max) = super::measure::bbox(all_rings().flatten().copied());
                let finite = [min.lng, min.lat, max.lng, max.lat]
                    .iter()
                    .all(|x| x.is_finite());
                if !finite {
                    continue;
                }
                let first_ring = rings.len();
                for ring in all_rings() {
                    let start = vertices.len();
                    vertices.extend_from_slice(ring);
                    rings.push((start, vertices.len()));
                }
                entries.push(GeomWithData::new(
                    Rectangle::from_corners([min.lng, min.lat], [max.lng, max.lat]),
                    parts.len(),
                ));
                parts.push(Part {
                    grid,
                    rings: (first_ring, rings.len()),
                });
            }
        }
        GridIndex {
            tree: RTree::bulk_load_with_params(entries),
            codes,
            parts,
            rings,
            vertices,
        }
    }

    /// The code of the grid that owns `p` (boundary rule in the [`geo`](super) docs),
    /// the smallest such code if several do, `None` outside every grid.
    pub fn locate(&self, p: Point) -> Option<&str> {
        let mut best = usize::MAX;
        let _ = self.tree.locate_all_at_point_int(&[p.lng, p.lat], |entry| {
            if let Some(part) = self.parts.get(entry.data) {
                if part.grid < best && self.part_contains(part, p) {
                    best = part.grid;
                }
            }
            ControlFlow::<()>::Continue(())
        });
        self.codes.get(best).map(String::as_str)
    }

    /// The number of grids indexed.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    #[inline]
    fn part_contains(&self, part: &Part, p: Point) -> bool {
        let rings = self.rings.get(part.rings.0..part.rings.1).unwrap_or(&[]);
        rings.iter().fold(false, |inside, &(start, end)| {
            inside ^ ring_parity(self.vertices.get(start..end).unwrap_or(&[]), p)
        })
    }
}

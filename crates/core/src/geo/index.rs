//! Point → grid lookup over many boundaries.

use std::ops::ControlFlow;

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use super::contains::ring_parity;
use super::{Boundary, Point};

/// One polygon of one grid, stored in the R-tree leaf next to its bounding box so that
/// a lookup touches only the leaf and the polygon's vertices.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Part {
    /// Index into `codes`; grids are sorted by code, so a smaller index is a smaller code.
    grid: usize,
    /// The exterior ring: a range into `vertices`.
    exterior: (usize, usize),
    /// The holes: a range into `holes`, each a range into `vertices`.
    holes: (usize, usize),
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
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, Part>>,
    /// Grid codes, sorted.
    codes: Vec<String>,
    /// Ranges into `vertices`, one per hole.
    holes: Vec<(usize, usize)>,
    /// The rings of all polygons, each stored contiguously.
    vertices: Vec<Point>,
}

impl GridIndex {
    /// Indexes grids given as `(code, boundary)`. Polygons with no positions or with
    /// non-finite coordinates (neither can come from the GeoJSON reader) are left out.
    pub fn new(mut items: Vec<(String, Boundary)>) -> GridIndex {
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let mut codes = Vec::with_capacity(items.len());
        let mut holes = Vec::new();
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
                let mut push_ring = |ring: &[Point]| {
                    let start = vertices.len();
                    vertices.extend_from_slice(ring);
                    (start, vertices.len())
                };
                let exterior = push_ring(&poly.exterior);
                let first_hole = holes.len();
                for hole in &poly.holes {
                    let range = push_ring(hole);
                    holes.push(range);
                }
                let part = Part {
                    grid,
                    exterior,
                    holes: (first_hole, holes.len()),
                };
                entries.push(GeomWithData::new(
                    Rectangle::from_corners([min.lng, min.lat], [max.lng, max.lat]),
                    part,
                ));
            }
        }
        GridIndex {
            tree: RTree::bulk_load(entries),
            codes,
            holes,
            vertices,
        }
    }

    /// The code of the grid that owns `p` (boundary rule in the [`geo`](super) docs),
    /// the smallest such code if several do, `None` outside every grid.
    pub fn locate(&self, p: Point) -> Option<&str> {
        let mut best = usize::MAX;
        let _ = self.tree.locate_all_at_point_int(&[p.lng, p.lat], |entry| {
            let part = &entry.data;
            if part.grid < best && self.part_contains(part, p) {
                best = part.grid;
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
        let ring = |(start, end): (usize, usize)| self.vertices.get(start..end).unwrap_or(&[]);
        let holes = self.holes.get(part.holes.0..part.holes.1).unwrap_or(&[]);
        holes
            .iter()
            .fold(ring_parity(ring(part.exterior), p), |inside, &hole| {
                inside ^ ring_parity(ring(hole), p)
            })
    }
}

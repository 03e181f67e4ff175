//! Grid (网格) geometry: boundary polygons, GeoJSON import/export and a fast
//! point → grid lookup.
//!
//! Coordinates are `(lng, lat)` in degrees, in GeoJSON order, as `f64`. Nothing here
//! reprojects: a county spans well under a degree, so planar tests in degree space are
//! what every map library does too. Areas are approximated with an equirectangular
//! projection at the centroid latitude.
//!
//! # Which grid owns a point on a boundary
//!
//! Adjacent grids share edges, and a report filed exactly on a shared edge (a road
//! between two grids, a snapped GPS fix) must land in exactly **one** grid, the same one
//! every time. [`Boundary::contains`] therefore uses a crossing-number test with a
//! half-open convention, evaluated with an exact orientation predicate:
//!
//! - a ray is cast from the point towards increasing longitude (east);
//! - an edge counts when one endpoint is strictly north of the point (`lat > p.lat`) and
//!   the other is at or south of it (`lat <= p.lat`); horizontal edges never count;
//! - a counted edge is crossed when the point is strictly west of the edge at the point's
//!   latitude (`p.lng < x`, decided exactly — no rounding — see `orient`);
//! - the point is inside when the number of crossed edges over all rings of a polygon
//!   (the exterior and its holes) is odd, and inside the boundary when inside any of
//!   its polygons.
//!
//! Because every decision is exact, this equals asking whether the point nudged an
//! infinitesimal step **east**, and then an even smaller step **north**, lies in the
//! interior. In words: a point on a shared edge belongs to the grid east of it; on a
//! shared east–west (horizontal) edge, to the grid north of it; on a shared vertex, to the
//! grid holding the points just east of it (just north of due east when an edge runs due
//! east). Consequences, for any set of grids that do not overlap:
//! - every point belongs to at most one grid;
//! - every point of the area the grids cover belongs to exactly one — interior points,
//!   shared edges and shared vertices alike. Only on the outline of the covered area
//!   does the nudge decide: its west and south sides are in, its east and north sides
//!   out (as for a single grid);
//! - a point in a hole is outside; a point on a hole's edge belongs to exactly one of the
//!   holed grid and the grid filling the hole.
//!
//! The guarantee is exact as long as coordinate differences do not underflow (no two
//! coordinates within ~1e-150° of each other without being equal), which real data never
//! approaches. [`GridIndex`] gives exactly the same answers as testing every boundary;
//! where overlapping data makes several grids claim a point it returns the smallest code.

mod contains;
mod geojson;
mod index;
mod measure;
mod orient;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::FieldError;

pub use geojson::{feature_collection, parse_feature_collection};
pub use index::GridIndex;

/// A position in degrees, GeoJSON order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub lng: f64,
    pub lat: f64,
}

impl Point {
    pub const fn new(lng: f64, lat: f64) -> Point {
        Point { lng, lat }
    }
}

/// One polygon: an outer ring and zero or more holes; rings closed or not on input,
/// stored closed (the last position repeats the first).
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    pub exterior: Vec<Point>,
    pub holes: Vec<Vec<Point>>,
}

impl Polygon {
    /// Whether the polygon owns `p`, by the boundary rule in the [module docs](self).
    pub fn contains(&self, p: Point) -> bool {
        contains::polygon_contains(&self.exterior, &self.holes, p)
    }
}

/// A grid's boundary: one or more polygons (GeoJSON Polygon or MultiPolygon).
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    pub polygons: Vec<Polygon>,
}

impl Boundary {
    /// Reads a GeoJSON geometry `{"type": "Polygon" | "MultiPolygon", "coordinates": …}`.
    ///
    /// Rings are closed if open; each ring needs at least 4 positions once closed and at
    /// least 3 distinct ones; coordinates must be finite numbers with lng in [-180, 180]
    /// and lat in [-90, 90]. A third number in a position (altitude) is accepted and
    /// dropped. Errors name the offending path, e.g. `coordinates[0][3]`.
    pub fn from_geojson_geometry(v: &serde_json::Value) -> Result<Boundary, GeoError> {
        geojson::parse_geometry(v).map_err(|e| {
            if e.path.is_empty() {
                e.under("geometry")
            } else {
                e
            }
        })
    }

    /// The boundary as a GeoJSON geometry: `Polygon` when there is one polygon,
    /// `MultiPolygon` otherwise. Rings are written as stored (closed).
    pub fn to_geojson_geometry(&self) -> serde_json::Value {
        geojson::geometry_value(self)
    }

    /// Whether the grid owns `p`; exact, see the boundary rule in the [module docs](self).
    pub fn contains(&self, p: Point) -> bool {
        self.polygons.iter().any(|poly| poly.contains(p))
    }

    /// The bounding box `(min, max)` over all rings. An empty boundary (only
    /// constructible by hand) gives the inverted box `(+∞, +∞), (−∞, −∞)`.
    pub fn bbox(&self) -> (Point, Point) {
        let rings = self
            .polygons
            .iter()
            .flat_map(|poly| std::iter::once(&poly.exterior).chain(poly.holes.iter()));
        measure::bbox(rings.flat_map(|ring| ring.iter().copied()))
    }

    /// Approximate area in square metres: equirectangular projection at the centroid
    /// latitude on a sphere of the Earth's mean radius, holes subtracted. Within ~0.5%
    /// of the geodesic area for grids of a few km².
    pub fn area_m2(&self) -> f64 {
        measure::area_m2(self)
    }

    /// The area-weighted centroid (holes subtracted), good enough for map labels; it may
    /// lie outside a strongly concave grid. Degenerate (zero-area) boundaries give the
    /// mean of their exterior vertices.
    pub fn centroid(&self) -> Point {
        measure::centroid(self)
    }
}

/// A refusal of invalid geometry, naming the JSON path of the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct GeoError {
    /// Where, e.g. `coordinates[0][3]` or `features[3].geometry.coordinates[0][1]`.
    pub path: String,
    /// What, in Chinese, for people.
    pub message: String,
}

impl GeoError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> GeoError {
        GeoError {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same error reported below `prefix` (`coordinates[0]` under
    /// `features[2].geometry` becomes `features[2].geometry.coordinates[0]`).
    pub fn under(mut self, prefix: &str) -> GeoError {
        self.path = if self.path.is_empty() {
            prefix.to_string()
        } else if prefix.is_empty() {
            self.path
        } else {
            format!("{prefix}.{}", self.path)
        };
        self
    }
}

impl From<GeoError> for FieldError {
    fn from(e: GeoError) -> FieldError {
        FieldError::new(e.path, "geometry_invalid", e.message)
    }
}

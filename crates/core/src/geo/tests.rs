//! Shared fixtures: deterministic, real-shaped grids around 桂东县 (lng ≈ 113.94,
//! lat ≈ 25.98). Coordinates are snapped to multiples of 2⁻²⁰° (≈ 0.1 m) so that
//! midpoints and quarter points of edges are exactly representable — points *exactly*
//! on an edge, which the boundary rule is about.

mod io;
mod lookup;
mod numeric;
mod rule;

use super::{Boundary, Point, Polygon};

/// 桂东县城 roughly.
pub(super) const GUIDONG: Point = Point::new(113.94, 25.98);
/// Degrees of latitude per metre (spherical).
const DEG_PER_M: f64 = 1.0 / 111_195.0;

/// Rounds to a multiple of 2⁻²⁰.
pub(super) fn snap(x: f64) -> f64 {
    let scale = (1u64 << 20) as f64;
    (x * scale).round() / scale
}

pub(super) fn pt(lng: f64, lat: f64) -> Point {
    Point::new(snap(lng), snap(lat))
}

/// Deterministic noise in [-1, 1) from a few integers (SplitMix64).
pub(super) fn noise(a: u64, b: u64, c: u64) -> f64 {
    let mut z = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(c.wrapping_mul(0x94D0_49BB_1331_11EB))
        .wrapping_add(0x2545_F491_4F6C_DD1D);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// An irregular closed ring: a circle of `radius_m` around `center` with `n` vertices
/// whose radii are perturbed by up to ±25%, counter-clockwise.
pub(super) fn blob(center: Point, radius_m: f64, n: usize, seed: u64) -> Vec<Point> {
    let kx = DEG_PER_M / center.lat.to_radians().cos();
    let mut ring: Vec<Point> = (0..n)
        .map(|k| {
            let angle = std::f64::consts::TAU * k as f64 / n as f64;
            let r = radius_m * (1.0 + 0.25 * noise(seed, k as u64, 7));
            pt(
                center.lng + r * angle.cos() * kx,
                center.lat + r * angle.sin() * DEG_PER_M,
            )
        })
        .collect();
    ring.push(ring[0]);
    ring
}

pub(super) fn single(exterior: Vec<Point>, holes: Vec<Vec<Point>>) -> Boundary {
    Boundary {
        polygons: vec![Polygon { exterior, holes }],
    }
}

/// A tiling of `nx × ny` irregular quadrilateral-ish grids sharing their edges: a
/// lattice of jittered corners, each lattice edge a polyline of `subdiv` wiggling
/// intermediate points shared by the two grids on either side.
pub(super) struct Tiling {
    pub nx: usize,
    pub ny: usize,
    pub grids: Vec<(String, Boundary)>,
    /// The outline of the union, as one polygon.
    pub outline: Boundary,
    /// Polylines of interior edges (shared by two grids).
    pub interior_edges: Vec<Vec<Point>>,
    /// Polylines of edges on the outline.
    pub outer_edges: Vec<Vec<Point>>,
}

pub(super) fn tiling(nx: usize, ny: usize, cell_m: f64, subdiv: usize, seed: u64) -> Tiling {
    let cell_lat = cell_m * DEG_PER_M;
    let cell_lng = cell_lat / GUIDONG.lat.to_radians().cos();
    let corner = |i: usize, j: usize| {
        let (i64_, j64) = (i as u64, j as u64);
        let jx = 0.15 * noise(seed, i64_ * 1000 + j64, 1);
        let jy = 0.15 * noise(seed, i64_ * 1000 + j64, 2);
        pt(
            GUIDONG.lng + (i as f64 + jx) * cell_lng,
            GUIDONG.lat + (j as f64 + jy) * cell_lat,
        )
    };
    // The polyline from corner a to corner b, identified by `id` for its wiggles.
    let polyline = |a: Point, b: Point, id: u64| {
        let mut line = vec![a];
        let (dx, dy) = (b.lng - a.lng, b.lat - a.lat);
        for k in 1..=subdiv {
            let t = k as f64 / (subdiv + 1) as f64;
            let off = 0.08 * (std::f64::consts::PI * t).sin() * noise(seed, id, k as u64 + 10);
            line.push(pt(a.lng + t * dx - off * dy, a.lat + t * dy + off * dx));
        }
        line.push(b);
        line
    };
    let horizontal =
        |i: usize, j: usize| polyline(corner(i, j), corner(i + 1, j), (i * 1000 + j) as u64 * 2);
    let vertical = |i: usize, j: usize| {
        polyline(
            corner(i, j),
            corner(i, j + 1),
            (i * 1000 + j) as u64 * 2 + 1,
        )
    };
    let reversed = |mut line: Vec<Point>| {
        line.reverse();
        line
    };
    let mut grids = Vec::new();
    for j in 0..ny {
        for i in 0..nx {
            let mut ring = Vec::new();
            for side in [
                horizontal(i, j),
                vertical(i + 1, j),
                reversed(horizontal(i, j + 1)),
                reversed(vertical(i, j)),
            ] {
                ring.pop(); // the corner shared with the previous side
                ring.extend(side);
            }
            grids.push((format!("G{j:02}{i:02}"), single(ring, vec![])));
        }
    }
    let mut outline = Vec::new();
    let bottom = (0..nx).map(|i| horizontal(i, 0));
    let right = (0..ny).map(|j| vertical(nx, j));
    let top = (0..nx).rev().map(|i| reversed(horizontal(i, ny)));
    let left = (0..ny).rev().map(|j| reversed(vertical(0, j)));
    let mut outer_edges = Vec::new();
    for side in bottom.chain(right).chain(top).chain(left) {
        outline.pop();
        outline.extend(side.iter().copied());
        outer_edges.push(side);
    }
    let mut interior_edges = Vec::new();
    for j in 0..ny {
        for i in 0..nx {
            if j > 0 {
                interior_edges.push(horizontal(i, j));
            }
            if i > 0 {
                interior_edges.push(vertical(i, j));
            }
        }
    }
    Tiling {
        nx,
        ny,
        grids,
        outline: single(outline, vec![]),
        interior_edges,
        outer_edges,
    }
}

/// Points exactly on a polyline: its vertices, and the midpoint and quarter points of
/// each segment (exact thanks to the snapping; checked with integer arithmetic).
pub(super) fn points_on(line: &[Point]) -> Vec<Point> {
    let mut points = line.to_vec();
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        for t in [0.25, 0.5, 0.75] {
            let p = Point::new(a.lng + t * (b.lng - a.lng), a.lat + t * (b.lat - a.lat));
            assert_eq!(exact_orient(a, b, p), 0, "{p:?} not exactly on {a:?}–{b:?}");
            points.push(p);
        }
    }
    points
}

/// A coordinate as an exact integer multiple of 2⁻⁵² (all test coordinates are).
pub(super) fn exact_int(x: f64) -> i128 {
    let scaled = x * (1u64 << 52) as f64;
    assert_eq!(scaled.fract(), 0.0, "{x} is not a multiple of 2^-52");
    scaled as i128
}

/// The sign of (a − c) × (b − c) in exact integer arithmetic.
pub(super) fn exact_orient(a: Point, b: Point, c: Point) -> i32 {
    let (ax, ay) = (exact_int(a.lng), exact_int(a.lat));
    let (bx, by) = (exact_int(b.lng), exact_int(b.lat));
    let (cx, cy) = (exact_int(c.lng), exact_int(c.lat));
    let det = (ax - cx) * (by - cy) - (ay - cy) * (bx - cx);
    det.signum() as i32
}

/// How many of the grids claim `p`.
pub(super) fn claims(grids: &[(String, Boundary)], p: Point) -> usize {
    grids.iter().filter(|(_, b)| b.contains(p)).count()
}

/// The smallest code claiming `p`, by testing every grid.
pub(super) fn brute_force(grids: &[(String, Boundary)], p: Point) -> Option<&str> {
    grids
        .iter()
        .filter(|(_, b)| b.contains(p))
        .map(|(code, _)| code.as_str())
        .min()
}

#[test]
fn fixtures_are_real_shaped() {
    let t = tiling(3, 3, 400.0, 6, 1);
    for (code, b) in &t.grids {
        let n = b.polygons[0].exterior.len() - 1;
        assert!((20..=80).contains(&n), "{code} has {n} vertices");
        assert_eq!(
            b.polygons[0].exterior.first(),
            b.polygons[0].exterior.last()
        );
        assert!(b.area_m2() > 0.5 * 400.0 * 400.0 && b.area_m2() < 1.6 * 400.0 * 400.0);
    }
    let total: f64 = t.grids.iter().map(|(_, b)| b.area_m2()).sum();
    let outline = t.outline.area_m2();
    assert!(
        (total - outline).abs() < 1e-6 * outline,
        "{total} vs {outline}"
    );
    assert_eq!(t.interior_edges.len(), 12);
    assert_eq!(t.outer_edges.len(), 12);
    assert_eq!((t.nx, t.ny), (3, 3));
}

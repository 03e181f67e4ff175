//! The crossing-number test with the half-open convention (see the module docs of
//! [`geo`](super) for the rule and what it guarantees).

use super::orient::orient2d;
use super::Point;

/// Whether the polygon given by its exterior and holes owns `p`: the parity of the
/// crossings over all its rings.
#[inline]
pub(crate) fn polygon_contains(exterior: &[Point], holes: &[Vec<Point>], p: Point) -> bool {
    holes.iter().fold(ring_parity(exterior, p), |inside, hole| {
        inside ^ ring_parity(hole, p)
    })
}

/// The parity of the crossings of an eastward ray from `p` with the edges of `ring`.
///
/// The ring may be closed (last position repeats the first) or open: the edge from the
/// last position back to the first is always included, and is a zero-length edge — which
/// never counts — when the ring is closed.
#[inline]
pub(crate) fn ring_parity(ring: &[Point], p: Point) -> bool {
    let Some(&last) = ring.last() else {
        return false;
    };
    let mut inside = false;
    let mut prev = last;
    for &cur in ring {
        if crosses(prev, cur, p) {
            inside = !inside;
        }
        prev = cur;
    }
    inside
}

/// Whether the eastward ray from `p` crosses the edge `a`–`b` under the half-open
/// convention. Symmetric in `a` and `b`, so an edge shared by two grids (walked in
/// opposite directions) gives both grids the same answer.
#[inline(always)]
fn crosses(a: Point, b: Point, p: Point) -> bool {
    let a_above = a.lat > p.lat;
    if a_above == (b.lat > p.lat) {
        return false;
    }
    // Exactly one endpoint is strictly north of p; orient the edge south → north.
    let (lo, hi) = if a_above { (b, a) } else { (a, b) };
    // The crossing longitude x lies between the endpoints' longitudes: decide the easy
    // cases by comparison, which is exact.
    if p.lng < lo.lng.min(hi.lng) {
        return true;
    }
    if p.lng >= lo.lng.max(hi.lng) {
        return false;
    }
    // p.lng < x  ⇔  p lies strictly left of the upward line lo → hi.
    orient2d(lo, hi, p) > 0.0
}

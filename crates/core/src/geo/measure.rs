//! Bounding box, area and centroid.

use super::{Boundary, Point};

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// `(min, max)` over the given positions; the inverted infinite box when empty.
pub(crate) fn bbox(points: impl Iterator<Item = Point>) -> (Point, Point) {
    let mut min = Point::new(f64::INFINITY, f64::INFINITY);
    let mut max = Point::new(f64::NEG_INFINITY, f64::NEG_INFINITY);
    for p in points {
        min.lng = min.lng.min(p.lng);
        min.lat = min.lat.min(p.lat);
        max.lng = max.lng.max(p.lng);
        max.lat = max.lat.max(p.lat);
    }
    (min, max)
}

/// Area and first moments of a boundary in degree space, relative to `origin` (so that
/// the products stay small and precise), holes subtracted.
struct Moments {
    /// Area in square degrees.
    area: f64,
    /// ∫x dA and ∫y dA, x and y measured from the origin.
    mx: f64,
    my: f64,
}

/// Shoelace area (signed, counter-clockwise positive) and moments of one ring.
fn ring_moments(ring: &[Point], origin: Point) -> Moments {
    let mut m = Moments {
        area: 0.0,
        mx: 0.0,
        my: 0.0,
    };
    let Some(&last) = ring.last() else {
        return m;
    };
    let mut prev = (last.lng - origin.lng, last.lat - origin.lat);
    for p in ring {
        let cur = (p.lng - origin.lng, p.lat - origin.lat);
        let cross = prev.0 * cur.1 - cur.0 * prev.1;
        m.area += cross;
        m.mx += (prev.0 + cur.0) * cross;
        m.my += (prev.1 + cur.1) * cross;
        prev = cur;
    }
    m.area /= 2.0;
    m.mx /= 6.0;
    m.my /= 6.0;
    m
}

fn moments(boundary: &Boundary, origin: Point) -> Moments {
    let mut total = Moments {
        area: 0.0,
        mx: 0.0,
        my: 0.0,
    };
    for poly in &boundary.polygons {
        // Whatever the winding on input, exteriors add and holes subtract.
        let rings =
            std::iter::once((&poly.exterior, 1.0)).chain(poly.holes.iter().map(|h| (h, -1.0)));
        for (ring, role) in rings {
            let m = ring_moments(ring, origin);
            let sign = role * if m.area < 0.0 { -1.0 } else { 1.0 };
            total.area += sign * m.area;
            total.mx += sign * m.mx;
            total.my += sign * m.my;
        }
    }
    total
}

/// The first exterior position, as the local origin.
fn origin(boundary: &Boundary) -> Option<Point> {
    boundary
        .polygons
        .iter()
        .find_map(|poly| poly.exterior.first().copied())
}

pub(crate) fn centroid(boundary: &Boundary) -> Point {
    let Some(origin) = origin(boundary) else {
        return Point::new(0.0, 0.0);
    };
    let m = moments(boundary, origin);
    if m.area.abs() > 0.0 && m.mx.is_finite() && m.my.is_finite() {
        return Point::new(origin.lng + m.mx / m.area, origin.lat + m.my / m.area);
    }
    vertex_mean(boundary).unwrap_or(origin)
}

/// The mean of the exterior vertices (the closing repeat excluded).
fn vertex_mean(boundary: &Boundary) -> Option<Point> {
    let mut n = 0usize;
    let (mut sx, mut sy) = (0.0, 0.0);
    for poly in &boundary.polygons {
        let ring = &poly.exterior;
        let open = match (ring.first(), ring.last()) {
            (Some(first), Some(last)) if ring.len() > 1 && first == last => &ring[..ring.len() - 1],
            _ => &ring[..],
        };
        for p in open {
            sx += p.lng;
            sy += p.lat;
            n += 1;
        }
    }
    (n > 0).then(|| Point::new(sx / n as f64, sy / n as f64))
}

pub(crate) fn area_m2(boundary: &Boundary) -> f64 {
    let Some(origin) = origin(boundary) else {
        return 0.0;
    };
    let m = moments(boundary, origin);
    let lat0 = if m.area.abs() > 0.0 {
        origin.lat + m.my / m.area
    } else {
        origin.lat
    };
    let metres_per_degree = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    let area = m.area * metres_per_degree * metres_per_degree * lat0.to_radians().cos();
    area.max(0.0)
}

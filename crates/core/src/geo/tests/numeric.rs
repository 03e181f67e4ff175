//! The exact predicate, and area / centroid / bbox.

use super::*;
use crate::geo::orient::orient2d;

fn sign(x: f64) -> i32 {
    if x > 0.0 {
        1
    } else if x < 0.0 {
        -1
    } else {
        0
    }
}

fn ulps(x: f64, k: i64) -> f64 {
    f64::from_bits((x.to_bits() as i64 + k) as u64)
}

#[test]
fn orient2d_is_exact_near_the_line() {
    let mut checked = [0usize; 3];
    for n in 0..20_000u64 {
        // Endpoints of an edge around 桂东 (lat ≥ 16 so every value is a multiple of
        // 2⁻⁵², which the integer reference needs), then a point within a few ulps of
        // the line through them.
        let a = Point::new(
            113.94 + 0.01 * noise(n, 1, 0),
            25.98 + 0.01 * noise(n, 2, 0),
        );
        let b = Point::new(
            113.94 + 0.01 * noise(n, 3, 0),
            25.98 + 0.01 * noise(n, 4, 0),
        );
        let t = (noise(n, 5, 0) + 1.0) / 2.0;
        let on = Point::new(a.lng + t * (b.lng - a.lng), a.lat + t * (b.lat - a.lat));
        let k = (n % 7) as i64 - 3;
        let c = Point::new(ulps(on.lng, k), ulps(on.lat, (n / 7 % 5) as i64 - 2));
        let expected = exact_orient(a, b, c);
        assert_eq!(sign(orient2d(a, b, c)), expected, "{a:?} {b:?} {c:?}");
        // Symmetries the boundary rule relies on.
        assert_eq!(sign(orient2d(b, a, c)), -expected);
        assert_eq!(sign(orient2d(c, a, b)), expected);
        checked[(expected + 1) as usize] += 1;
    }
    // Exact collinearity: endpoints, dyadic midpoints.
    let (a, b) = (pt(113.93, 25.97), pt(113.95, 25.99));
    let mid = Point::new((a.lng + b.lng) / 2.0, (a.lat + b.lat) / 2.0);
    assert_eq!(exact_orient(a, b, mid), 0);
    assert_eq!(orient2d(a, b, mid), 0.0);
    assert_eq!(orient2d(a, b, a), 0.0);
    assert_eq!(orient2d(a, a, b), 0.0);
    assert!(checked[0] > 1000 && checked[2] > 1000, "{checked:?}");
}

/// `p·n − q·m = 1` for coprime `p, q` (extended Euclid), as `(m, n)`.
fn unit_cofactors(p: i64, q: i64) -> (i64, i64) {
    // Invariants: r0 = p·s0 + q·t0, r1 = p·s1 + q·t1.
    let (mut r0, mut r1, mut s0, mut s1, mut t0, mut t1) = (p, q, 1i64, 0i64, 0i64, 1i64);
    while r1 != 0 {
        let k = r0 / r1;
        (r0, r1) = (r1, r0 - k * r1);
        (s0, s1) = (s1, s0 - k * s1);
        (t0, t1) = (t1, t0 - k * t1);
    }
    assert_eq!(r0, 1, "{p} and {q} are not coprime");
    // p·s0 + q·t0 = 1, so with n = s0 and m = −t0: p·n − q·m = 1.
    (-t0, s0)
}

#[test]
fn orient2d_is_exact_when_rounding_hides_the_sign() {
    // Long nearly collinear edges: a → b spans (p, q) ulps, c sits at a determinant of
    // a few ulp² from the line, far below the products' rounding error. A plain
    // evaluation gets many of these wrong; the exact fallback must not.
    let (ux, uy) = (2f64.powi(-46), 2f64.powi(-48)); // ulps at lng ≈ 113.9, lat ≈ 25.9
    let mut hard = 0;
    for n in 0..3_000u64 {
        let p = 1_000_000 + (noise(n, 1, 9).abs() * 1e9) as i64;
        let mut q = 1_000_000 + (noise(n, 2, 9).abs() * 1e9) as i64;
        while gcd(p, q) != 1 {
            q += 1;
        }
        let (m, k) = unit_cofactors(p, q);
        let a = pt(
            113.93 + 0.01 * noise(n, 3, 9),
            25.97 + 0.01 * noise(n, 4, 9),
        );
        let b = Point::new(a.lng + p as f64 * ux, a.lat + q as f64 * uy);
        for s in -2i64..=2 {
            for along in [-1i64, 0, 1] {
                let c = Point::new(
                    a.lng + (s * m + along * p) as f64 * ux,
                    a.lat + (s * k + along * q) as f64 * uy,
                );
                let expected = exact_orient(a, b, c);
                assert_eq!(expected, s.signum() as i32);
                assert_eq!(sign(orient2d(a, b, c)), expected, "{a:?} {b:?} {c:?}");
                assert_eq!(sign(orient2d(b, a, c)), -expected);
                let det = (a.lng - c.lng) * (b.lat - c.lat) - (a.lat - c.lat) * (b.lng - c.lng);
                if sign(det) != expected {
                    hard += 1;
                }
            }
        }
    }
    assert!(
        hard > 1_000,
        "only {hard} cases defeat the plain evaluation"
    );
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

#[test]
fn orient2d_far_from_the_line_takes_the_fast_path_correctly() {
    for n in 0..2_000u64 {
        let p = |k: u64| {
            Point::new(
                113.94 + 0.05 * noise(n, k, 1),
                25.98 + 0.05 * noise(n, k, 2),
            )
        };
        let (a, b, c) = (p(1), p(2), p(3));
        assert_eq!(sign(orient2d(a, b, c)), exact_orient(a, b, c));
    }
}

#[test]
fn area_of_a_square_kilometre_near_guidong() {
    // 1 km × 1 km at lat 25.98: Δlat = 1000 / 111195, Δlng = Δlat / cos(lat).
    let dlat = 1000.0 / 111_195.0;
    let dlng = dlat / 25.98_f64.to_radians().cos();
    let (x0, y0) = (113.94, 25.98 - dlat / 2.0);
    let square = |s: f64, x: f64, y: f64| {
        vec![
            Point::new(x, y),
            Point::new(x + s * dlng, y),
            Point::new(x + s * dlng, y + s * dlat),
            Point::new(x, y + s * dlat),
            Point::new(x, y),
        ]
    };
    let b = single(square(1.0, x0, y0), vec![]);
    let area = b.area_m2();
    assert!((area - 1.0e6).abs() < 1.0e6 * 1e-3, "{area}");
    let c = b.centroid();
    assert!(
        (c.lng - (x0 + dlng / 2.0)).abs() < 1e-12 && (c.lat - 25.98).abs() < 1e-12,
        "{c:?}"
    );
    let (min, max) = b.bbox();
    assert_eq!(
        (min, max),
        (Point::new(x0, y0), Point::new(x0 + dlng, y0 + dlat))
    );
    // Winding does not matter; a hole of a quarter of the area is subtracted and pulls
    // the centroid away from it.
    let mut cw = square(1.0, x0, y0);
    cw.reverse();
    assert!((single(cw, vec![]).area_m2() - area).abs() < 1e-6);
    let holed = single(square(1.0, x0, y0), vec![square(0.5, x0, y0)]);
    assert!(
        (holed.area_m2() - 0.75e6).abs() < 1.0e3,
        "{}",
        holed.area_m2()
    );
    let hc = holed.centroid();
    assert!(hc.lng > c.lng && hc.lat > c.lat, "{hc:?}");
    // Two equal parts: the centroid is between them, the area doubles.
    let two = Boundary {
        polygons: vec![
            Polygon {
                exterior: square(1.0, x0, y0),
                holes: vec![],
            },
            Polygon {
                exterior: square(1.0, x0 + 2.0 * dlng, y0),
                holes: vec![],
            },
        ],
    };
    assert!((two.area_m2() - 2.0e6).abs() < 2.0e3);
    assert!((two.centroid().lng - (x0 + 1.5 * dlng)).abs() < 1e-12);
}

#[test]
fn area_and_centroid_of_irregular_and_degenerate_boundaries() {
    let b = single(blob(GUIDONG, 1000.0, 80, 77), vec![]);
    let area = b.area_m2();
    // A circle of 1 km radius perturbed by ±25%: between (0.75 km)² π and (1.25 km)² π.
    assert!(
        area > 0.75_f64.powi(2) * std::f64::consts::PI * 1e6,
        "{area}"
    );
    assert!(
        area < 1.25_f64.powi(2) * std::f64::consts::PI * 1e6,
        "{area}"
    );
    let c = b.centroid();
    assert!(b.contains(c));
    assert!((c.lng - GUIDONG.lng).abs() < 0.003 && (c.lat - GUIDONG.lat).abs() < 0.003);

    let flat = single(
        vec![
            pt(113.9, 25.9),
            pt(113.91, 25.9),
            pt(113.92, 25.9),
            pt(113.9, 25.9),
        ],
        vec![],
    );
    assert_eq!(flat.area_m2(), 0.0);
    let fc = flat.centroid();
    assert!(
        (fc.lng - 113.91).abs() < 1e-6 && (fc.lat - 25.9).abs() < 1e-6,
        "{fc:?}"
    );

    let empty = Boundary { polygons: vec![] };
    assert_eq!(empty.area_m2(), 0.0);
    assert_eq!(empty.centroid(), Point::new(0.0, 0.0));
    let (min, max) = empty.bbox();
    assert!(min.lng > max.lng && min.lat > max.lat);
}

//! `GridIndex::locate` against brute force.

use super::*;
use crate::geo::GridIndex;

#[test]
fn a_lattice_of_10000_points_over_an_8x8_tiling() {
    let t = tiling(8, 8, 300.0, 5, 42);
    let index = GridIndex::new(t.grids.clone());
    assert_eq!(index.len(), 64);
    assert!(!index.is_empty());
    let (min, max) = t.outline.bbox();
    // A 100 × 100 lattice over the bounding box plus a margin, snapped like the
    // vertices so that many points share a vertex's latitude or longitude exactly.
    let (w, h) = (max.lng - min.lng, max.lat - min.lat);
    let mut points: Vec<Point> = (0..100)
        .flat_map(|j| {
            (0..100).map(move |i| {
                pt(
                    min.lng - 0.05 * w + 1.1 * w * i as f64 / 99.0,
                    min.lat - 0.05 * h + 1.1 * h * j as f64 / 99.0,
                )
            })
        })
        .collect();
    assert_eq!(points.len(), 10_000);
    // And every point exactly on an edge or at a vertex.
    for line in t.interior_edges.iter().chain(&t.outer_edges) {
        points.extend(points_on(line));
    }
    let (mut inside, mut outside) = (0, 0);
    for p in points {
        let covered = t.outline.contains(p);
        let owners = claims(&t.grids, p);
        assert_eq!(owners, usize::from(covered), "{p:?}");
        let expected = brute_force(&t.grids, p);
        assert_eq!(index.locate(p), expected, "{p:?}");
        if covered {
            inside += 1;
        } else {
            outside += 1;
        }
    }
    assert!(
        inside > 7_000 && outside > 1_000,
        "{inside} inside, {outside} outside"
    );
}

#[test]
fn points_outside_every_grid_are_none() {
    let t = tiling(3, 3, 400.0, 6, 9);
    let index = GridIndex::new(t.grids.clone());
    let (min, max) = t.outline.bbox();
    for p in [
        Point::new(min.lng - 0.001, min.lat),
        Point::new(max.lng + 1e-9, max.lat),
        Point::new(min.lng, max.lat + 0.01),
        Point::new(0.0, 0.0),
        Point::new(-180.0, -90.0),
        Point::new(f64::NAN, GUIDONG.lat),
        Point::new(GUIDONG.lng, f64::INFINITY),
    ] {
        assert_eq!(index.locate(p), None, "{p:?}");
    }
    let empty = GridIndex::new(vec![]);
    assert!(empty.is_empty());
    assert_eq!(empty.len(), 0);
    assert_eq!(empty.locate(GUIDONG), None);
}

#[test]
fn holes_and_multipolygons_through_the_index() {
    let outer = blob(GUIDONG, 900.0, 64, 21);
    let hole = blob(GUIDONG, 300.0, 32, 22);
    let far = pt(GUIDONG.lng + 0.05, GUIDONG.lat + 0.01);
    let enclave = Boundary {
        polygons: vec![
            Polygon {
                exterior: hole.clone(),
                holes: vec![],
            },
            Polygon {
                exterior: blob(far, 400.0, 25, 23),
                holes: vec![],
            },
        ],
    };
    let grids = vec![
        ("431027001".to_string(), single(outer, vec![hole.clone()])),
        ("431027002".to_string(), enclave),
    ];
    let index = GridIndex::new(grids.clone());
    assert_eq!(index.len(), 2);
    assert_eq!(index.locate(GUIDONG), Some("431027002"));
    assert_eq!(index.locate(far), Some("431027002"));
    assert_eq!(
        index.locate(pt(GUIDONG.lng, GUIDONG.lat + 0.006)),
        Some("431027001")
    );
    for p in points_on(&hole) {
        assert_eq!(claims(&grids, p), 1);
        assert_eq!(index.locate(p), brute_force(&grids, p));
    }
}

#[test]
fn overlapping_grids_resolve_to_the_smallest_code() {
    let a = blob(GUIDONG, 500.0, 30, 31);
    let b = blob(pt(GUIDONG.lng + 0.003, GUIDONG.lat), 500.0, 36, 32);
    let only_b = pt(GUIDONG.lng + 0.009, GUIDONG.lat);
    for order in [["zz", "aa"], ["aa", "zz"]] {
        let grids = vec![
            (order[0].to_string(), single(a.clone(), vec![])),
            (order[1].to_string(), single(b.clone(), vec![])),
        ];
        let index = GridIndex::new(grids.clone());
        let both = pt(GUIDONG.lng + 0.0015, GUIDONG.lat);
        assert_eq!(claims(&grids, both), 2);
        assert_eq!(index.locate(both), Some("aa"));
        assert_eq!(index.locate(only_b), Some(order[1]));
    }
    // The same grid listed twice under one code is harmless.
    let twice = GridIndex::new(vec![
        ("x".to_string(), single(a.clone(), vec![])),
        ("x".to_string(), single(a, vec![])),
    ]);
    assert_eq!(twice.locate(GUIDONG), Some("x"));
}

#[test]
fn degenerate_boundaries_do_not_break_the_index() {
    let t = tiling(2, 2, 300.0, 4, 3);
    let mut grids = t.grids.clone();
    grids.push(("empty".to_string(), Boundary { polygons: vec![] }));
    grids.push(("no-points".to_string(), single(vec![], vec![])));
    grids.push((
        "nan".to_string(),
        single(vec![Point::new(f64::NAN, 1.0), GUIDONG, GUIDONG], vec![]),
    ));
    let index = GridIndex::new(grids);
    assert_eq!(index.len(), 7);
    for line in &t.interior_edges {
        for p in points_on(line) {
            assert_eq!(index.locate(p), brute_force(&t.grids, p));
            let covered = t.outline.contains(p);
            assert_eq!(index.locate(p).is_some(), covered, "{p:?}");
        }
    }
}

//! The boundary rule: inside/outside, holes, shared edges and vertices.

use super::*;

#[test]
fn inside_and_outside_an_irregular_grid() {
    let ring = blob(GUIDONG, 600.0, 48, 11);
    let b = single(ring.clone(), vec![]);
    assert!(b.contains(GUIDONG));
    // 300 m away in each direction is inside (radius ≥ 450 m); 900 m is outside.
    for (dx, dy) in [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0), (0.7, 0.7)] {
        let near = pt(GUIDONG.lng + dx * 0.003, GUIDONG.lat + dy * 0.0027);
        let far = pt(GUIDONG.lng + dx * 0.009, GUIDONG.lat + dy * 0.0081);
        assert!(b.contains(near), "{near:?}");
        assert!(!b.contains(far), "{far:?}");
    }
    // Winding does not matter.
    let mut reversed = ring;
    reversed.reverse();
    assert!(single(reversed, vec![]).contains(GUIDONG));
    // Nothing contains NaN.
    assert!(!b.contains(Point::new(f64::NAN, GUIDONG.lat)));
}

#[test]
fn a_concave_grid() {
    // A "C" shape open to the east: the mouth is outside, the arms inside.
    let p = |x: f64, y: f64| pt(GUIDONG.lng + x * 0.001, GUIDONG.lat + y * 0.001);
    let c = single(
        vec![
            p(0., 0.),
            p(3., 0.),
            p(3., 1.),
            p(1., 1.),
            p(1., 2.),
            p(3., 2.),
            p(3., 3.),
            p(0., 3.),
            p(0., 0.),
        ],
        vec![],
    );
    assert!(c.contains(p(2., 0.5)));
    assert!(c.contains(p(2., 2.5)));
    assert!(c.contains(p(0.5, 1.5)));
    assert!(!c.contains(p(2., 1.5)));
    assert!(!c.contains(p(4., 1.5)));
    // Rays through vertices at the same latitude as the point.
    assert!(
        !c.contains(p(2., 1.0)),
        "on the mouth's lower edge: north of it is outside"
    );
    assert!(
        c.contains(p(2., 2.0)),
        "on the mouth's upper edge: north of it is inside"
    );
    assert!(c.contains(p(0.5, 1.0)));
    assert!(c.contains(p(0.5, 2.0)));
}

#[test]
fn axis_aligned_squares_give_edges_to_the_east_and_north() {
    // 2×2 squares; the rule nudges a point east, then (less) north.
    let p = |x: f64, y: f64| pt(GUIDONG.lng + x * 0.01, GUIDONG.lat + y * 0.01);
    let square = |x: f64, y: f64| {
        single(
            vec![
                p(x, y),
                p(x + 1., y),
                p(x + 1., y + 1.),
                p(x, y + 1.),
                p(x, y),
            ],
            vec![],
        )
    };
    let grids = [
        ("SW".to_string(), square(0., 0.)),
        ("SE".to_string(), square(1., 0.)),
        ("NW".to_string(), square(0., 1.)),
        ("NE".to_string(), square(1., 1.)),
    ];
    let owner = |x, y| {
        let owners: Vec<&str> = grids
            .iter()
            .filter(|(_, b)| b.contains(p(x, y)))
            .map(|(c, _)| c.as_str())
            .collect();
        assert!(owners.len() <= 1, "{x},{y} owned by {owners:?}");
        owners.first().copied()
    };
    assert_eq!(owner(1., 1.), Some("NE"), "the shared centre vertex");
    assert_eq!(owner(1., 0.5), Some("SE"), "a vertical shared edge → east");
    assert_eq!(owner(1., 1.5), Some("NE"));
    assert_eq!(
        owner(0.5, 1.),
        Some("NW"),
        "a horizontal shared edge → north"
    );
    assert_eq!(owner(1.5, 1.), Some("NE"));
    assert_eq!(
        owner(0., 0.),
        Some("SW"),
        "the south-west corner of the union"
    );
    assert_eq!(owner(0., 0.5), Some("SW"), "the west outline");
    assert_eq!(owner(0.5, 0.), Some("SW"), "the south outline");
    assert_eq!(owner(2., 0.5), None, "the east outline");
    assert_eq!(owner(0.5, 2.), None, "the north outline");
    assert_eq!(owner(2., 2.), None);
    assert_eq!(owner(1., 2.), None);
    assert_eq!(owner(1., 0.), Some("SE"));
}

/// Every point on an interior edge is owned by exactly one grid; points on the outline
/// (including the outline ends of interior edges) by at most one, and exactly when the
/// outline polygon owns them.
fn assert_partition(t: &Tiling) {
    for line in &t.interior_edges {
        for p in points_on(line) {
            if t.outer_edges.iter().any(|o| o.contains(&p)) {
                // An interior edge's end on the outline.
                continue;
            }
            assert_eq!(claims(&t.grids, p), 1, "interior edge point {p:?}");
        }
    }
    for line in &t.outer_edges {
        for p in points_on(line) {
            let expected = usize::from(t.outline.contains(p));
            assert_eq!(claims(&t.grids, p), expected, "outline point {p:?}");
        }
    }
}

#[test]
fn shared_edges_and_vertices_of_2x2_grids_have_one_owner() {
    for seed in 0..20 {
        assert_partition(&tiling(2, 2, 350.0, 6, seed));
    }
}

#[test]
fn shared_edges_and_vertices_of_3x3_grids_have_one_owner() {
    for seed in 100..110 {
        let t = tiling(3, 3, 500.0, 12, seed);
        assert_partition(&t);
        // The four interior lattice corners, where four grids meet.
        for line in &t.interior_edges {
            for p in [line[0], line[line.len() - 1]] {
                if !t.outer_edges.iter().any(|o| o.contains(&p)) {
                    assert_eq!(claims(&t.grids, p), 1, "{p:?}");
                }
            }
        }
    }
}

#[test]
fn points_within_rounding_of_a_shared_edge_have_one_owner() {
    // Points at t = k/7 along each segment are not representable exactly: they lie a
    // rounding error to one side or the other, where a plain floating-point test can
    // let both or neither grid claim them.
    let t = tiling(3, 3, 500.0, 12, 7);
    let ulp_steps = |x: f64, k: i64| f64::from_bits((x.to_bits() as i64 + k) as u64);
    for line in &t.interior_edges {
        for w in line.windows(2) {
            let (a, b) = (w[0], w[1]);
            for k in 1..7 {
                let s = k as f64 / 7.0;
                let p = Point::new(a.lng + s * (b.lng - a.lng), a.lat + s * (b.lat - a.lat));
                for (dx, dy) in [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (2, -2)] {
                    let q = Point::new(ulp_steps(p.lng, dx), ulp_steps(p.lat, dy));
                    assert_eq!(claims(&t.grids, q), 1, "{q:?}");
                }
            }
        }
    }
}

#[test]
fn a_point_in_a_hole_is_outside_and_the_grid_filling_it_gets_it() {
    let outer = blob(GUIDONG, 900.0, 64, 3);
    let hole = blob(GUIDONG, 300.0, 32, 4);
    let grids = vec![
        ("A-holed".to_string(), single(outer, vec![hole.clone()])),
        ("B-inner".to_string(), single(hole.clone(), vec![])),
    ];
    let holed = &grids[0].1;
    assert!(!holed.contains(GUIDONG), "the hole is outside");
    assert_eq!(brute_force(&grids, GUIDONG), Some("B-inner"));
    let between = pt(GUIDONG.lng + 0.006, GUIDONG.lat);
    assert_eq!(brute_force(&grids, between), Some("A-holed"));
    assert_eq!(claims(&grids, between), 1);
    // On the hole's edge: exactly one of the two, whichever way the hole is wound.
    let mut reversed = hole.clone();
    reversed.reverse();
    let flipped = vec![
        grids[0].clone(),
        ("B-inner".to_string(), single(reversed, vec![])),
    ];
    for p in points_on(&hole) {
        assert_eq!(claims(&grids, p), 1, "{p:?}");
        assert_eq!(claims(&flipped, p), 1, "{p:?}");
    }
    // Without the inner grid, the hole is simply not covered.
    assert_eq!(claims(&grids[..1], GUIDONG), 0);
}

#[test]
fn multipolygon_grids_own_all_their_parts() {
    let east = pt(GUIDONG.lng + 0.02, GUIDONG.lat);
    let west = pt(GUIDONG.lng - 0.02, GUIDONG.lat);
    let island = Boundary {
        polygons: vec![
            Polygon {
                exterior: blob(east, 500.0, 30, 5),
                holes: vec![],
            },
            Polygon {
                exterior: blob(west, 500.0, 40, 6),
                holes: vec![blob(west, 150.0, 20, 8)],
            },
        ],
    };
    assert!(island.contains(east));
    assert!(!island.contains(west), "in the second part's hole");
    assert!(island.contains(pt(west.lng, west.lat + 0.003)));
    assert!(!island.contains(GUIDONG), "between the parts");
    let (min, max) = island.bbox();
    assert!(min.lng < west.lng && max.lng > east.lng);
    assert!(min.lat < GUIDONG.lat && max.lat > GUIDONG.lat);
}

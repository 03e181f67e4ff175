//! Point → grid lookup over ~100,000 grids.
//!
//! A 317 × 316 lattice (100,172 grids) of irregular polygons tiling an area around
//! 桂东县: jittered lattice corners, each lattice edge a polyline with 2 wiggling
//! intermediate points shared by both neighbours (12 vertices per grid), cells of
//! ~60 m. `locate` is measured on 4,096 random points over the tiling's bounding box;
//! criterion reports lookups per second as element throughput.
//!
//! Run: `cargo bench -p wangge-core --bench point_in_grid`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wangge_core::geo::{Boundary, GridIndex, Point, Polygon};

const NX: usize = 317;
const NY: usize = 316;
const SUBDIV: usize = 2;
const CELL_LAT: f64 = 0.000_55;
const CELL_LNG: f64 = 0.000_61;
const ORIGIN: Point = Point {
    lng: 113.84,
    lat: 25.89,
};

/// Deterministic noise in [-1, 1) (SplitMix64).
fn noise(a: u64, b: u64) -> f64 {
    let mut z = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(0x2545_F491_4F6C_DD1D);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

fn corner(i: usize, j: usize) -> Point {
    let id = (i * 10_000 + j) as u64;
    Point::new(
        ORIGIN.lng + (i as f64 + 0.15 * noise(id, 1)) * CELL_LNG,
        ORIGIN.lat + (j as f64 + 0.15 * noise(id, 2)) * CELL_LAT,
    )
}

/// The shared polyline from corner `a` to corner `b`, without `b`.
fn side(a: Point, b: Point, id: u64, forward: bool) -> Vec<Point> {
    let (dx, dy) = (b.lng - a.lng, b.lat - a.lat);
    let mut line = vec![a];
    for k in 1..=SUBDIV {
        let t = k as f64 / (SUBDIV + 1) as f64;
        let off = 0.08 * noise(id, k as u64 + 10);
        line.push(Point::new(
            a.lng + t * dx - off * dy,
            a.lat + t * dy + off * dx,
        ));
    }
    line.push(b);
    if !forward {
        line.reverse();
    }
    line.pop();
    line
}

fn grids() -> Vec<(String, Boundary)> {
    let h = |i: usize, j: usize, fwd| {
        side(
            corner(i, j),
            corner(i + 1, j),
            (i * 10_000 + j) as u64 * 2,
            fwd,
        )
    };
    let v = |i: usize, j: usize, fwd| {
        side(
            corner(i, j),
            corner(i, j + 1),
            (i * 10_000 + j) as u64 * 2 + 1,
            fwd,
        )
    };
    let mut out = Vec::with_capacity(NX * NY);
    for j in 0..NY {
        for i in 0..NX {
            let mut ring = h(i, j, true);
            ring.extend(v(i + 1, j, true));
            ring.extend(h(i, j + 1, false));
            ring.extend(v(i, j, false));
            ring.push(ring[0]);
            let boundary = Boundary {
                polygons: vec![Polygon {
                    exterior: ring,
                    holes: vec![],
                }],
            };
            out.push((format!("4310271{j:03}{i:03}"), boundary));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let grids = grids();
    let index = GridIndex::new(grids);
    let points: Vec<Point> = (0..4096u64)
        .map(|n| {
            Point::new(
                ORIGIN.lng + (noise(n, 101) + 1.0) / 2.0 * NX as f64 * CELL_LNG,
                ORIGIN.lat + (noise(n, 102) + 1.0) / 2.0 * NY as f64 * CELL_LAT,
            )
        })
        .collect();
    let found = points
        .iter()
        .filter(|p| index.locate(**p).is_some())
        .count();
    println!(
        "{} grids indexed; {found} of {} query points fall in a grid",
        index.len(),
        points.len()
    );

    let mut group = c.benchmark_group("point_in_grid");
    group.throughput(Throughput::Elements(points.len() as u64));
    group.bench_function("locate_100k_grids", |b| {
        b.iter(|| {
            for p in &points {
                black_box(index.locate(black_box(*p)));
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);

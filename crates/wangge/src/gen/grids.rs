//! Grid polygons: every village owns a block of 3 × 2 lattice cells and its grids fill
//! the first cells of it. A cell is an octagon through its four corners and four edge
//! midpoints, each moved by a hash of its lattice position, so neighbouring cells share
//! exactly the same vertices (no gaps, no overlaps); under each grid a 片 → 组 → 邻 chain.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use wangge_core::geo::{Boundary, Point, Polygon};
use wangge_store::grids::GridRow;

use super::names::{mix, unit, zh_number};
use super::place::{region, Grid, World};

/// Cell size in degrees (about 1.2 km each way at 26° N).
pub const DLNG: f64 = 0.0135;
pub const DLAT: f64 = 0.011;
/// How far a shared vertex may move, in cells; points drawn in [0.25, 0.75] stay inside.
const JITTER: f64 = 0.18;

/// The position of a lattice vertex (in doubled cell units: corners at even, edge
/// midpoints at odd coordinates), moved by a hash of where it is.
fn vertex(seed: u64, county: usize, x2: usize, y2: usize, origin: (f64, f64)) -> Point {
    let h = mix(seed ^ ((county as u64) << 44) ^ ((x2 as u64) << 22) ^ y2 as u64);
    let dx = unit(h) * JITTER;
    let dy = unit(mix(h)) * JITTER;
    let lng = origin.0 + (x2 as f64 / 2.0 + dx) * DLNG;
    let lat = origin.1 + (y2 as f64 / 2.0 + dy) * DLAT;
    Point::new((lng * 1e6).round() / 1e6, (lat * 1e6).round() / 1e6)
}

/// The boundary of lattice cell `cell` as a grid row: an octagon through the cell's
/// corners and edge midpoints, shared exactly with its neighbours. The demo draws its
/// grids with it too.
pub(crate) fn cell_row(
    seed: u64,
    county: usize,
    cell: (usize, usize),
    origin: (f64, f64),
    code: &str,
    at: i64,
) -> GridRow {
    let ring: Vec<Point> = [
        (0, 0),
        (1, 0),
        (2, 0),
        (2, 1),
        (2, 2),
        (1, 2),
        (0, 2),
        (0, 1),
        (0, 0),
    ]
    .iter()
    .map(|&(dx, dy)| vertex(seed, county, cell.0 * 2 + dx, cell.1 * 2 + dy, origin))
    .collect();
    let boundary = Boundary {
        polygons: vec![Polygon {
            exterior: ring,
            holes: Vec::new(),
        }],
    };
    let (min, max) = boundary.bbox();
    GridRow {
        code: code.to_string(),
        boundary: boundary.to_geojson_geometry().to_string(),
        min_lng: min.lng,
        min_lat: min.lat,
        max_lng: max.lng,
        max_lat: max.lat,
        area_m2: boundary.area_m2(),
        updated_at: at,
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn add_grids(
    w: &mut World,
    rng: &mut ChaCha8Rng,
    seed: u64,
    county: usize,
    v: usize,
    block: (usize, usize),
    origin: (f64, f64),
    n: usize,
    at: i64,
) -> anyhow::Result<()> {
    let first = w.grids.len();
    let first_post = w.leader_posts.len();
    let vcode = w.villages[v].code.clone();
    let short = w.villages[v].short.clone();
    let (mut blocks, mut groups, mut neighbors) = (0, 0, 0);
    for g in 0..n {
        let (cx, cy) = (block.0 + g % 3, block.1 + g / 3);
        let code = format!("{vcode}{:03}", g + 1);
        w.regions.push(region(
            &code,
            &format!("{short}第{}网格", zh_number(g + 1)),
            at,
        )?);
        w.grid_rows
            .push(cell_row(seed, county, (cx, cy), origin, &code, at));
        // 片 → 组 → 邻 under the grid.
        for b in 0..rng.gen_range(1..=2_usize) {
            blocks += 1;
            let bcode = format!("{code}{:02}", b + 1);
            w.regions.push(region(
                &bcode,
                &format!("{short}第{}片", zh_number(blocks)),
                at,
            )?);
            w.leader_posts.push((bcode.clone(), "block_leader"));
            for gr in 0..rng.gen_range(1..=3_usize) {
                groups += 1;
                let gcode = format!("{bcode}{:02}", gr + 1);
                w.regions.push(region(
                    &gcode,
                    &format!("{short}第{}组", zh_number(groups)),
                    at,
                )?);
                w.leader_posts.push((gcode.clone(), "group_leader"));
                for nb in 0..rng.gen_range(2..=3_usize) {
                    neighbors += 1;
                    let ncode = format!("{gcode}{:02}", nb + 1);
                    let name = format!("{short}第{}邻", zh_number(neighbors));
                    w.regions.push(region(&ncode, &name, at)?);
                    w.leader_posts.push((ncode.clone(), "neighbor_leader"));
                    w.villages[v].neighbors.push(ncode);
                }
            }
        }
        w.grids.push(Grid {
            code,
            lng0: origin.0 + cx as f64 * DLNG,
            lat0: origin.1 + cy as f64 * DLAT,
        });
    }
    w.villages[v].grids = first..w.grids.len();
    w.villages[v].posts = first_post..w.leader_posts.len();
    Ok(())
}

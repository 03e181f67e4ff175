//! The places: 桂东县 (431027) from the official list, plus synthetic counties with
//! real-shaped codes (townships 1xx 镇 / 2xx 乡, villages 0xx 社区 / 2xx 村); under each
//! village 2–6 grids with polygons, and a 片 → 组 → 邻 chain under each grid.
//!
//! Grid polygons tile each county: every village owns a block of 3 × 2 lattice cells and
//! its grids fill the first cells of it. A cell is an octagon through its four corners
//! and four edge midpoints, each moved by a hash of its lattice position, so neighbouring
//! cells share exactly the same vertices (no gaps, no overlaps).

use std::collections::HashSet;
use std::ops::Range;

use anyhow::{bail, Context};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use wangge_core::region::{Level, RegionCode};
use wangge_store::grids::GridRow;

use super::grids::{add_grids, DLAT, DLNG};

use super::names::place;
use super::rows::RegionOut;

const BLOCKS_PER_ROW: usize = 16;

const CHENZHOU: [(&str, &str); 10] = [
    ("431002", "北湖区"),
    ("431003", "苏仙区"),
    ("431021", "桂阳县"),
    ("431022", "宜章县"),
    ("431023", "永兴县"),
    ("431024", "嘉禾县"),
    ("431025", "临武县"),
    ("431026", "汝城县"),
    ("431028", "安仁县"),
    ("431081", "资兴市"),
];
const PREFECTURES: [(&str, &str); 13] = [
    ("4310", "郴州市"),
    ("4311", "永州市"),
    ("4312", "怀化市"),
    ("4313", "娄底市"),
    ("4301", "长沙市"),
    ("4302", "株洲市"),
    ("4303", "湘潭市"),
    ("4304", "衡阳市"),
    ("4305", "邵阳市"),
    ("4306", "岳阳市"),
    ("4307", "常德市"),
    ("4308", "张家界市"),
    ("4309", "益阳市"),
];

pub struct County {
    pub code6: String,
    pub name: String,
    pub villages: Range<usize>,
}

pub struct Village {
    pub code: String,
    /// Without 村委会/居委会, as people say it.
    pub short: String,
    pub township_name: String,
    pub county: usize,
    pub grids: Range<usize>,
    pub neighbors: Vec<String>,
    /// Its 片/组/邻 leader posts in `World::leader_posts`.
    pub posts: Range<usize>,
}

pub struct Grid {
    pub code: String,
    /// Lower-left corner of the unmoved cell.
    pub lng0: f64,
    pub lat0: f64,
}

impl Grid {
    /// A point well inside the grid's polygon.
    pub fn point<R: Rng>(&self, rng: &mut R) -> (f64, f64) {
        let lng = self.lng0 + rng.gen_range(0.25..0.75) * DLNG;
        let lat = self.lat0 + rng.gen_range(0.25..0.75) * DLAT;
        ((lat * 1e6).round() / 1e6, (lng * 1e6).round() / 1e6)
    }
}

#[derive(Default)]
pub struct World {
    pub counties: Vec<County>,
    pub villages: Vec<Village>,
    pub grids: Vec<Grid>,
    pub regions: Vec<RegionOut>,
    /// How many region rows were made (kept when `regions` is handed to the writer).
    pub region_count: usize,
    pub grid_rows: Vec<GridRow>,
    /// (region code, post) of every 片/组/邻 leader post, for `posts`.
    pub leader_posts: Vec<(String, &'static str)>,
}

pub(super) fn region(code: &str, name: &str, at: i64) -> anyhow::Result<RegionOut> {
    let c =
        RegionCode::parse("code", code).map_err(|e| anyhow::anyhow!("{code}: {}", e.message))?;
    Ok(RegionOut {
        code: c.to_string(),
        name: name.to_string(),
        level: c.level().as_str(),
        parent_code: c.parent().map(|p| p.to_string()),
        at,
    })
}

/// The codes and names of `k` counties: 桂东县 first, then the rest of 郴州市, then other
/// prefectures of 湖南省.
fn county_codes(k: usize) -> anyhow::Result<Vec<(String, String, usize)>> {
    let mut out = vec![("431027".to_string(), String::new(), 0)];
    let mut taken: HashSet<String> = out.iter().map(|c| c.0.clone()).collect();
    for (code, name) in CHENZHOU {
        out.push((code.to_string(), name.to_string(), 0));
        taken.insert(code.to_string());
    }
    for (p, _) in PREFECTURES.iter().enumerate() {
        for n in 1..100 {
            let code = format!("{}{n:02}", PREFECTURES[p].0);
            if taken.insert(code.clone()) {
                out.push((code, String::new(), p));
            }
        }
    }
    if k == 0 || k > out.len() {
        bail!("--counties 应在 1 至 {} 之间", out.len());
    }
    out.truncate(k);
    Ok(out)
}

/// Builds every place. `guidong` is the official list (rows of code, name).
pub fn build(
    rng: &mut ChaCha8Rng,
    seed: u64,
    counties: usize,
    guidong: &[(RegionCode, String)],
    at: i64,
) -> anyhow::Result<World> {
    let mut w = World::default();
    let codes = county_codes(counties)?;
    let mut used_prefectures = HashSet::new();
    for (code, name) in guidong {
        if code.level() <= Level::County {
            w.regions.push(region(code.as_str(), name, at)?);
            used_prefectures.insert(code.as_str()[..4].to_string());
        }
    }
    // Layout: counties side by side, eight to a row.
    let (mut x0, mut y0, mut row_h) = (113.70, 25.80, 0.0_f64);
    for (ci, (code6, name, pref)) in codes.iter().enumerate() {
        if ci > 0 && ci % 8 == 0 {
            x0 = 113.70;
            y0 += row_h + 0.05;
            row_h = 0.0;
        }
        let (pcode, pname) = PREFECTURES[*pref];
        if used_prefectures.insert(pcode.to_string()) {
            w.regions
                .push(region(&format!("{pcode}00000000"), pname, at)?);
        }
        let first_village = w.villages.len();
        let county_name = if ci == 0 {
            guidong
                .iter()
                .find(|(c, _)| c.level() == Level::County)
                .map(|(_, n)| n.clone())
                .context("431027 县级行")?
        } else if name.is_empty() {
            format!("{}县", place(rng))
        } else {
            name.clone()
        };
        if ci == 0 {
            add_guidong_villages(&mut w, guidong, at)?;
        } else {
            w.regions
                .push(region(&format!("{code6}000000"), &county_name, at)?);
            add_synthetic_villages(&mut w, rng, code6, ci, at)?;
        }
        let villages = first_village..w.villages.len();
        let rows = villages.len().div_ceil(BLOCKS_PER_ROW);
        for (i, v) in villages.clone().enumerate() {
            let bx = (i % BLOCKS_PER_ROW) * 3;
            let by = (i / BLOCKS_PER_ROW) * 2;
            let n_grids = rng.gen_range(2..=6_usize);
            add_grids(&mut w, rng, seed, ci, v, (bx, by), (x0, y0), n_grids, at)?;
        }
        w.counties.push(County {
            code6: code6.clone(),
            name: county_name,
            villages,
        });
        x0 += BLOCKS_PER_ROW as f64 * 3.0 * DLNG + 0.05;
        row_h = row_h.max(rows as f64 * 2.0 * DLAT);
    }
    w.region_count = w.regions.len();
    Ok(w)
}

fn short_name(name: &str) -> String {
    name.trim_end_matches("村民委员会")
        .trim_end_matches("村委会")
        .trim_end_matches("居委会")
        .to_string()
}

fn add_guidong_villages(
    w: &mut World,
    rows: &[(RegionCode, String)],
    at: i64,
) -> anyhow::Result<()> {
    let mut township = String::new();
    for (code, name) in rows {
        match code.level() {
            Level::Township => {
                w.regions.push(region(code.as_str(), name, at)?);
                township = name.clone();
            }
            Level::Village => {
                w.regions.push(region(code.as_str(), name, at)?);
                w.villages.push(Village {
                    code: code.to_string(),
                    short: short_name(name),
                    township_name: township.clone(),
                    county: w.counties.len(),
                    grids: 0..0,
                    neighbors: Vec::new(),
                    posts: 0..0,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

fn add_synthetic_villages(
    w: &mut World,
    rng: &mut ChaCha8Rng,
    code6: &str,
    ci: usize,
    at: i64,
) -> anyhow::Result<()> {
    let towns = rng.gen_range(8..=18_usize);
    let zhen = rng.gen_range(4..=10_usize).min(towns);
    let mut names = HashSet::new();
    for t in 0..towns {
        let (suffix, code3) = if t < zhen {
            ("镇", 100 + t)
        } else {
            ("乡", 200 + t - zhen)
        };
        let tname = loop {
            let n = format!("{}{suffix}", place(rng));
            if names.insert(n.clone()) {
                break n;
            }
        };
        let tcode = format!("{code6}{code3:03}");
        w.regions.push(region(&format!("{tcode}000"), &tname, at)?);
        let n_villages = rng.gen_range(10..=30_usize);
        let communities = match t {
            0 => rng.gen_range(2..=4_usize),
            _ if t < zhen => rng.gen_range(0..=1_usize),
            _ => 0,
        };
        let mut next_cun = 200;
        for v in 0..n_villages {
            let short = loop {
                let n = place(rng);
                if names.insert(n.clone()) {
                    break n;
                }
            };
            let (vcode, full) = if v < communities {
                (v + 1, format!("{short}社区居委会"))
            } else {
                next_cun += if rng.gen_bool(0.2) {
                    rng.gen_range(2..=4)
                } else {
                    1
                };
                (next_cun, format!("{short}村村委会"))
            };
            let code = format!("{tcode}{vcode:03}");
            w.regions.push(region(&code, &full, at)?);
            w.villages.push(Village {
                code,
                short: if v < communities {
                    format!("{short}社区")
                } else {
                    format!("{short}村")
                },
                township_name: tname.clone(),
                county: ci,
                grids: 0..0,
                neighbors: Vec::new(),
                posts: 0..0,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use wangge_core::geo::GridIndex;
    use wangge_core::geo::{Boundary, Point};

    #[test]
    fn grids_tile_and_points_fall_in_their_grid() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let rows = crate::import::parse_regions(crate::demo::GUIDONG_CSV, false).expect("csv");
        let guidong: Vec<_> = rows.into_iter().map(|r| (r.1, r.2)).collect();
        let w = build(&mut rng, 3, 2, &guidong, 0).expect("world");
        assert_eq!(w.counties.len(), 2);
        let items: Vec<(String, Boundary)> = w
            .grid_rows
            .iter()
            .map(|g| {
                let v: serde_json::Value = serde_json::from_str(&g.boundary).expect("json");
                (
                    g.code.clone(),
                    Boundary::from_geojson_geometry(&v).expect("geometry"),
                )
            })
            .collect();
        let index = GridIndex::new(items);
        for g in &w.grids {
            for _ in 0..5 {
                let (lat, lng) = g.point(&mut rng);
                assert_eq!(index.locate(Point::new(lng, lat)), Some(g.code.as_str()));
            }
        }
        let codes: HashSet<&str> = w.regions.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes.len(), w.regions.len(), "codes are unique");
        for r in &w.regions {
            if let Some(p) = &r.parent_code {
                assert!(
                    codes.contains(p.as_str()) || r.level == "province",
                    "{}",
                    r.code
                );
            }
        }
    }
}

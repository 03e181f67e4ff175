//! GeoJSON (RFC 7946) reading and writing of grid boundaries.
//!
//! Internally errors carry paths relative to the value being read (`coordinates[0][3]`,
//! or the empty path for the value itself); callers prefix them with
//! [`GeoError::under`].

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::{Boundary, GeoError, Point, Polygon};

/// Reads a Polygon or MultiPolygon geometry object.
pub(crate) fn parse_geometry(v: &Value) -> Result<Boundary, GeoError> {
    let obj = v
        .as_object()
        .ok_or_else(|| GeoError::new("", "几何必须是 GeoJSON 对象"))?;
    let kind = match obj.get("type") {
        None | Some(Value::Null) => return Err(GeoError::new("type", "缺少几何类型")),
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(GeoError::new("type", "几何类型必须是字符串")),
    };
    if kind != "Polygon" && kind != "MultiPolygon" {
        return Err(GeoError::new(
            "type",
            format!("不支持的几何类型“{kind}”，只接受 Polygon 或 MultiPolygon"),
        ));
    }
    let coordinates = match obj.get("coordinates") {
        None | Some(Value::Null) => return Err(GeoError::new("coordinates", "缺少坐标")),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(GeoError::new("coordinates", "坐标必须是数组")),
    };
    let polygons = if kind == "Polygon" {
        vec![parse_polygon(coordinates, "coordinates")?]
    } else {
        if coordinates.is_empty() {
            return Err(GeoError::new("coordinates", "至少需要一个多边形"));
        }
        coordinates
            .iter()
            .enumerate()
            .map(|(i, poly)| {
                let path = format!("coordinates[{i}]");
                let rings = poly
                    .as_array()
                    .ok_or_else(|| GeoError::new(path.as_str(), "多边形必须是环的数组"))?;
                parse_polygon(rings, &path)
            })
            .collect::<Result<_, _>>()?
    };
    Ok(Boundary { polygons })
}

/// Reads the rings of one polygon: the exterior first, then holes.
fn parse_polygon(rings: &[Value], path: &str) -> Result<Polygon, GeoError> {
    if rings.is_empty() {
        return Err(GeoError::new(path, "多边形至少需要一个外环"));
    }
    let mut parsed = rings
        .iter()
        .enumerate()
        .map(|(i, ring)| parse_ring(ring, &format!("{path}[{i}]")));
    let exterior = parsed
        .next()
        .ok_or_else(|| GeoError::new(path, "多边形至少需要一个外环"))??;
    let holes = parsed.collect::<Result<_, _>>()?;
    Ok(Polygon { exterior, holes })
}

/// Reads one linear ring and closes it if open.
fn parse_ring(v: &Value, path: &str) -> Result<Vec<Point>, GeoError> {
    let positions = v
        .as_array()
        .ok_or_else(|| GeoError::new(path, "环必须是坐标数组"))?;
    let mut ring = positions
        .iter()
        .enumerate()
        .map(|(i, pos)| parse_position(pos, &format!("{path}[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    if let (Some(&first), Some(&last)) = (ring.first(), ring.last()) {
        if first != last {
            ring.push(first);
        }
    }
    if ring.len() < 4 {
        return Err(GeoError::new(
            path,
            format!("环至少需要 4 个坐标（首尾闭合后），实际 {} 个", ring.len()),
        ));
    }
    let mut distinct: Vec<Point> = Vec::with_capacity(3);
    for p in &ring {
        if !distinct.contains(p) {
            distinct.push(*p);
            if distinct.len() == 3 {
                return Ok(ring);
            }
        }
    }
    Err(GeoError::new(path, "环至少需要 3 个不同的顶点"))
}

/// Reads `[lng, lat]` or `[lng, lat, altitude]`.
fn parse_position(v: &Value, path: &str) -> Result<Point, GeoError> {
    let shape_error = || GeoError::new(path, "坐标必须是 [经度, 纬度] 数组");
    let items = v.as_array().ok_or_else(shape_error)?;
    if items.len() < 2 || items.len() > 3 {
        return Err(shape_error());
    }
    let mut numbers = [0.0; 3];
    for (slot, item) in numbers.iter_mut().zip(items) {
        *slot = item
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| GeoError::new(path, "坐标必须是有限数值"))?;
    }
    let [lng, lat, _] = numbers;
    if !(-180.0..=180.0).contains(&lng) {
        return Err(GeoError::new(
            path,
            format!("坐标超出范围：经度 {lng} 不在 [-180, 180] 内"),
        ));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(GeoError::new(
            path,
            format!("坐标超出范围：纬度 {lat} 不在 [-90, 90] 内"),
        ));
    }
    Ok(Point { lng, lat })
}

/// Writes the boundary as a Polygon (one polygon) or MultiPolygon geometry.
pub(crate) fn geometry_value(boundary: &Boundary) -> Value {
    let ring_value = |ring: &Vec<Point>| -> Value {
        Value::Array(ring.iter().map(|p| json!([p.lng, p.lat])).collect())
    };
    let polygon_value = |poly: &Polygon| -> Value {
        Value::Array(
            std::iter::once(&poly.exterior)
                .chain(poly.holes.iter())
                .map(ring_value)
                .collect(),
        )
    };
    match boundary.polygons.as_slice() {
        [single] => json!({ "type": "Polygon", "coordinates": polygon_value(single) }),
        many => json!({
            "type": "MultiPolygon",
            "coordinates": Value::Array(many.iter().map(polygon_value).collect()),
        }),
    }
}

/// Reads a FeatureCollection of grids: each Feature carries `properties.code` (the
/// grid's code, a non-empty string, unique within the collection) and optionally
/// `properties.name` (a string; empty or null means none). Code and name are trimmed.
/// Errors name the full path, e.g. `features[3].geometry.coordinates[0][1]`.
pub fn parse_feature_collection(
    v: &Value,
) -> Result<Vec<(String, Option<String>, Boundary)>, GeoError> {
    let obj = v
        .as_object()
        .ok_or_else(|| GeoError::new("type", "必须是 GeoJSON FeatureCollection 对象"))?;
    if obj.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(GeoError::new("type", "类型必须是 FeatureCollection"));
    }
    let features = match obj.get("features") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => return Err(GeoError::new("features", "缺少 features")),
        Some(_) => return Err(GeoError::new("features", "features 必须是数组")),
    };
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(features.len());
    let mut grids = Vec::with_capacity(features.len());
    for (i, feature) in features.iter().enumerate() {
        let prefix = format!("features[{i}]");
        let (code, name, boundary) = parse_feature(feature).map_err(|e| e.under(&prefix))?;
        if let Some(first) = seen.insert(code.clone(), i) {
            return Err(GeoError::new(
                format!("{prefix}.properties.code"),
                format!("网格编码“{code}”重复（与 features[{first}] 相同）"),
            ));
        }
        grids.push((code, name, boundary));
    }
    Ok(grids)
}

fn parse_feature(v: &Value) -> Result<(String, Option<String>, Boundary), GeoError> {
    let obj = v
        .as_object()
        .ok_or_else(|| GeoError::new("", "必须是 GeoJSON Feature 对象"))?;
    if obj.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(GeoError::new("type", "类型必须是 Feature"));
    }
    let empty = Map::new();
    let properties = match obj.get("properties") {
        Some(Value::Object(map)) => map,
        None | Some(Value::Null) => &empty,
        Some(_) => return Err(GeoError::new("properties", "properties 必须是对象")),
    };
    let code = match properties.get("code") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        None | Some(Value::Null) => return Err(GeoError::new("properties.code", "缺少网格编码")),
        Some(Value::String(_)) => return Err(GeoError::new("properties.code", "网格编码为空")),
        Some(_) => return Err(GeoError::new("properties.code", "网格编码必须是字符串")),
    };
    let name = match properties.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Some(_) => return Err(GeoError::new("properties.name", "网格名称必须是字符串")),
    };
    let boundary = match obj.get("geometry") {
        None | Some(Value::Null) => return Err(GeoError::new("geometry", "缺少几何")),
        Some(geometry) => parse_geometry(geometry).map_err(|e| e.under("geometry"))?,
    };
    Ok((code, name, boundary))
}

/// Writes grids `(code, name, boundary)` as a FeatureCollection with
/// `properties: {code, name}`.
pub fn feature_collection(items: &[(String, String, Boundary)]) -> Value {
    let features: Vec<Value> = items
        .iter()
        .map(|(code, name, boundary)| {
            json!({
                "type": "Feature",
                "properties": { "code": code, "name": name },
                "geometry": geometry_value(boundary),
            })
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}

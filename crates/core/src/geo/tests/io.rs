//! GeoJSON import/export and its validation errors.

use serde_json::{json, Value};

use super::*;
use crate::geo::{feature_collection, parse_feature_collection, GeoError};
use crate::FieldError;

fn coords(ring: &[Point]) -> Value {
    Value::Array(ring.iter().map(|p| json!([p.lng, p.lat])).collect())
}

fn err(v: Value) -> GeoError {
    match Boundary::from_geojson_geometry(&v) {
        Ok(b) => panic!("accepted {v} as {b:?}"),
        Err(e) => e,
    }
}

fn fc_err(v: Value) -> GeoError {
    match parse_feature_collection(&v) {
        Ok(items) => panic!("accepted {v} as {items:?}"),
        Err(e) => e,
    }
}

#[test]
fn polygon_round_trip_keeps_holes() {
    let b = single(
        blob(GUIDONG, 800.0, 50, 1),
        vec![blob(GUIDONG, 200.0, 20, 2)],
    );
    let v = b.to_geojson_geometry();
    assert_eq!(v["type"], "Polygon");
    assert_eq!(v["coordinates"].as_array().map(Vec::len), Some(2));
    assert_eq!(Boundary::from_geojson_geometry(&v), Ok(b.clone()));
    // Through text, too. serde_json's default float parser (without its
    // `float_roundtrip` feature) may be off by one ulp (~1e-14°), harmless: equal text
    // still parses to equal numbers, so shared vertices stay shared.
    let text = v.to_string();
    let reparsed: Value = serde_json::from_str(&text).expect("valid JSON");
    let again = Boundary::from_geojson_geometry(&reparsed).expect("valid");
    let rings = |b: &Boundary| -> Vec<Point> {
        let poly = &b.polygons[0];
        poly.exterior
            .iter()
            .chain(poly.holes.iter().flatten())
            .copied()
            .collect()
    };
    let (before, after) = (rings(&b), rings(&again));
    assert_eq!(before.len(), after.len());
    for (p, q) in before.iter().zip(&after) {
        assert!((p.lng - q.lng).abs() < 1e-12 && (p.lat - q.lat).abs() < 1e-12);
    }
    let reparsed_again: Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(Boundary::from_geojson_geometry(&reparsed_again), Ok(again));
}

#[test]
fn multipolygon_round_trip() {
    let b = Boundary {
        polygons: vec![
            Polygon {
                exterior: blob(GUIDONG, 500.0, 22, 3),
                holes: vec![],
            },
            Polygon {
                exterior: blob(pt(GUIDONG.lng + 0.03, GUIDONG.lat), 500.0, 70, 4),
                holes: vec![blob(pt(GUIDONG.lng + 0.03, GUIDONG.lat), 100.0, 20, 5)],
            },
        ],
    };
    let v = b.to_geojson_geometry();
    assert_eq!(v["type"], "MultiPolygon");
    let once = Boundary::from_geojson_geometry(&v).expect("valid");
    assert_eq!(once, b);
    assert_eq!(
        Boundary::from_geojson_geometry(&once.to_geojson_geometry()),
        Ok(b)
    );
}

#[test]
fn feature_collection_round_trip() {
    let t = tiling(3, 3, 400.0, 6, 5);
    let items: Vec<(String, String, Boundary)> = t
        .grids
        .iter()
        .map(|(code, b)| (code.clone(), format!("第{code}网格"), b.clone()))
        .collect();
    let v = feature_collection(&items);
    assert_eq!(v["features"][4]["properties"]["code"], "G0101");
    assert_eq!(v["features"][4]["properties"]["name"], "第G0101网格");
    let parsed = parse_feature_collection(&v).expect("valid");
    assert_eq!(parsed.len(), 9);
    for ((code, name, b), (code2, name2, b2)) in items.iter().zip(&parsed) {
        assert_eq!((code, Some(name), b), (code2, name2.as_ref(), b2));
    }
}

#[test]
fn an_open_ring_is_closed_and_altitude_dropped() {
    let (a, b, c) = (pt(113.94, 25.98), pt(113.95, 25.98), pt(113.95, 25.99));
    let v = json!({"type": "Polygon", "coordinates": [[[a.lng, a.lat, 310.0], [b.lng, b.lat], [c.lng, c.lat]]]});
    let parsed = Boundary::from_geojson_geometry(&v).expect("open ring is fine");
    assert_eq!(parsed.polygons[0].exterior, vec![a, b, c, a]);
    assert!(parsed.contains(pt(113.949, 25.981)));
    // Feature properties: name optional, code and name trimmed.
    let fc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": " 431027101 "}, "geometry": v},
        {"type": "Feature", "properties": {"code": "431027102", "name": "沤江镇一网格", "extra": 1}, "geometry": v},
        {"type": "Feature", "properties": {"code": "431027103", "name": "  "}, "geometry": v},
    ]});
    let items = parse_feature_collection(&fc).expect("valid");
    assert_eq!(items[0].0, "431027101");
    assert_eq!(items[0].1, None);
    assert_eq!(items[1].1.as_deref(), Some("沤江镇一网格"));
    assert_eq!(items[2].1, None);
}

#[test]
fn every_geometry_error_names_its_path() {
    let ring = blob(GUIDONG, 300.0, 20, 9);
    let good = coords(&ring);
    let with = |i: usize, pos: Value| {
        let mut r = good.clone();
        r[i] = pos;
        r
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!([1, 2]), "geometry", "对象"),
        (json!({"coordinates": [good]}), "type", "缺少几何类型"),
        (
            json!({"type": "Point", "coordinates": [113.9, 25.9]}),
            "type",
            "不支持的几何类型",
        ),
        (json!({"type": 7, "coordinates": [good]}), "type", "字符串"),
        (json!({"type": "Polygon"}), "coordinates", "缺少坐标"),
        (
            json!({"type": "Polygon", "coordinates": null}),
            "coordinates",
            "缺少坐标",
        ),
        (
            json!({"type": "Polygon", "coordinates": "x"}),
            "coordinates",
            "数组",
        ),
        (
            json!({"type": "Polygon", "coordinates": []}),
            "coordinates",
            "外环",
        ),
        (
            json!({"type": "Polygon", "coordinates": [good, 5]}),
            "coordinates[1]",
            "环",
        ),
        (
            json!({"type": "Polygon", "coordinates": [[[113.9, 25.9], [113.91, 25.9], [113.9, 25.9]]]}),
            "coordinates[0]",
            "4 个坐标",
        ),
        (
            json!({"type": "Polygon", "coordinates": [[[113.9, 25.9], [113.91, 25.9]]]}),
            "coordinates[0]",
            "4 个坐标",
        ),
        (
            json!({"type": "Polygon", "coordinates": [[]]}),
            "coordinates[0]",
            "4 个坐标",
        ),
        (
            json!({"type": "Polygon", "coordinates": [[[113.9, 25.9], [113.91, 25.9], [113.9, 25.9], [113.91, 25.9]]]}),
            "coordinates[0]",
            "不同的顶点",
        ),
        (
            json!({"type": "Polygon", "coordinates": [with(3, json!([f64::NAN, 25.9]))]}),
            "coordinates[0][3]",
            "有限数值",
        ),
        (
            json!({"type": "Polygon", "coordinates": [with(2, json!([113.9, "25.9"]))]}),
            "coordinates[0][2]",
            "有限数值",
        ),
        (
            json!({"type": "Polygon", "coordinates": [with(3, json!([200.0, 25.9]))]}),
            "coordinates[0][3]",
            "坐标超出范围",
        ),
        (
            json!({"type": "Polygon", "coordinates": [with(4, json!([113.9, -90.5]))]}),
            "coordinates[0][4]",
            "坐标超出范围",
        ),
        (
            json!({"type": "Polygon", "coordinates": [with(1, json!([113.9]))]}),
            "coordinates[0][1]",
            "[经度, 纬度]",
        ),
        (
            json!({"type": "Polygon", "coordinates": [with(1, json!([113.9, 25.9, 1.0, 2.0]))]}),
            "coordinates[0][1]",
            "[经度, 纬度]",
        ),
        (
            json!({"type": "Polygon", "coordinates": [with(1, json!({"lng": 113.9}))]}),
            "coordinates[0][1]",
            "[经度, 纬度]",
        ),
        (
            json!({"type": "Polygon", "coordinates": [good, with(5, json!([181, 25.9]))]}),
            "coordinates[1][5]",
            "经度 181",
        ),
        (
            json!({"type": "MultiPolygon", "coordinates": []}),
            "coordinates",
            "至少需要一个多边形",
        ),
        (
            json!({"type": "MultiPolygon", "coordinates": [[good], 3]}),
            "coordinates[1]",
            "多边形",
        ),
        (
            json!({"type": "MultiPolygon", "coordinates": [[good], []]}),
            "coordinates[1]",
            "外环",
        ),
        (
            json!({"type": "MultiPolygon", "coordinates": [[good], [good, with(2, json!([113.9, 95]))]]}),
            "coordinates[1][1][2]",
            "纬度 95",
        ),
    ];
    for (v, path, message) in cases {
        let e = err(v.clone());
        assert_eq!(e.path, path, "{v} gave {e}");
        assert!(
            e.message.contains(message),
            "{v} gave {e}, expected “{message}”"
        );
    }
}

#[test]
fn every_feature_collection_error_names_its_path() {
    let geometry = single(blob(GUIDONG, 300.0, 24, 12), vec![]).to_geojson_geometry();
    let feature = |code: Value| json!({"type": "Feature", "properties": {"code": code}, "geometry": geometry});
    let fc = |features: Vec<Value>| json!({"type": "FeatureCollection", "features": features});
    let mut broken = geometry.clone();
    broken["coordinates"][0][1] = json!([113.9, 91.0]);
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!("x"), "type", "FeatureCollection"),
        (json!({"type": "Feature"}), "type", "FeatureCollection"),
        (json!({"type": "FeatureCollection"}), "features", "缺少"),
        (
            json!({"type": "FeatureCollection", "features": {}}),
            "features",
            "数组",
        ),
        (
            fc(vec![feature(json!("a")), json!(3)]),
            "features[1]",
            "Feature",
        ),
        (
            fc(vec![json!({"type": "Point"})]),
            "features[0].type",
            "Feature",
        ),
        (
            fc(vec![
                feature(json!("a")),
                json!({"type": "Feature", "geometry": geometry}),
            ]),
            "features[1].properties.code",
            "缺少网格编码",
        ),
        (
            fc(vec![feature(json!("a")), feature(json!(null))]),
            "features[1].properties.code",
            "缺少网格编码",
        ),
        (
            fc(vec![feature(json!(" "))]),
            "features[0].properties.code",
            "为空",
        ),
        (
            fc(vec![feature(json!(431027))]),
            "features[0].properties.code",
            "字符串",
        ),
        (
            fc(vec![
                json!({"type": "Feature", "properties": [], "geometry": geometry}),
            ]),
            "features[0].properties",
            "对象",
        ),
        (
            fc(vec![
                json!({"type": "Feature", "properties": {"code": "a", "name": 5}, "geometry": geometry}),
            ]),
            "features[0].properties.name",
            "字符串",
        ),
        (
            fc(vec![
                json!({"type": "Feature", "properties": {"code": "a"}}),
            ]),
            "features[0].geometry",
            "缺少几何",
        ),
        (
            fc(vec![
                json!({"type": "Feature", "properties": {"code": "a"}, "geometry": 1}),
            ]),
            "features[0].geometry",
            "对象",
        ),
        (
            fc(vec![
                feature(json!("a")),
                feature(json!("b")),
                feature(json!("c")),
                json!({"type": "Feature", "properties": {"code": "d"}, "geometry": broken}),
            ]),
            "features[3].geometry.coordinates[0][1]",
            "坐标超出范围",
        ),
        (
            fc(vec![
                json!({"type": "Feature", "properties": {"code": "a"}, "geometry": {"type": "LineString", "coordinates": []}}),
            ]),
            "features[0].geometry.type",
            "不支持",
        ),
        (
            fc(vec![
                feature(json!("a")),
                feature(json!("b")),
                feature(json!("a")),
            ]),
            "features[2].properties.code",
            "重复",
        ),
    ];
    for (v, path, message) in cases {
        let e = fc_err(v.clone());
        assert_eq!(e.path, path, "{v} gave {e}");
        assert!(
            e.message.contains(message),
            "{v} gave {e}, expected “{message}”"
        );
    }
    assert_eq!(parse_feature_collection(&fc(vec![])), Ok(vec![]));
}

#[test]
fn geo_errors_become_field_errors() {
    let e = err(
        json!({"type": "Polygon", "coordinates": [[[113.9, 25.9], [200.0, 25.9], [113.9, 26.0]]]}),
    );
    assert_eq!(
        e.to_string(),
        "coordinates[0][1]: 坐标超出范围：经度 200 不在 [-180, 180] 内"
    );
    let f = FieldError::from(e);
    assert_eq!(f.field, "coordinates[0][1]");
    assert_eq!(f.code, "geometry_invalid");
    assert!(f.message.starts_with("坐标超出范围"));
    let nested = GeoError::new("coordinates[0]", "x").under("features[1].geometry");
    assert_eq!(nested.path, "features[1].geometry.coordinates[0]");
}

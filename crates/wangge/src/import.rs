//! Region import from CSV (`code,name`, `#` comments) or JSON (`[{"code","name"}]`).
//! The whole file is one transaction: any bad row refuses the file, naming the row.

use anyhow::bail;
use serde::Deserialize;
use serde_json::json;
use wangge_core::region::RegionCode;
use wangge_server::access::{audit_entry, RequestCtx};
use wangge_store::regions::{self, Region};
use wangge_store::{audit, Store, StoreError};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
}

pub fn parse_regions(
    text: &str,
    is_json: bool,
) -> anyhow::Result<Vec<(usize, RegionCode, String)>> {
    let rows: Vec<(usize, RegionRow)> = if is_json {
        let v: Vec<RegionRow> = serde_json::from_str(text).map_err(|e| {
            anyhow::anyhow!("JSON 格式错误: {e}（应为 [{{\"code\":…,\"name\":…}}]）")
        })?;
        v.into_iter().enumerate().map(|(i, r)| (i + 1, r)).collect()
    } else {
        // Comment lines are blanked, not removed, so reported line numbers are the file's.
        let body: String = text
            .lines()
            .map(|l| {
                if l.trim_start().starts_with('#') {
                    ""
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(body.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|e| anyhow::anyhow!("CSV 表头无法读取: {e}"))?
            .clone();
        let names: Vec<&str> = headers.iter().collect();
        if names != ["code", "name"] {
            bail!("CSV 表头应为 code,name，实际为 {}", names.join(","));
        }
        let mut out = Vec::new();
        for rec in rdr.records() {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    bail!("第 {line} 行: CSV 格式错误（{e}）");
                }
            };
            let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
            if rec.len() != 2 {
                bail!(
                    "第 {line} 行: 应有 2 列（code,name），实际 {} 列",
                    rec.len()
                );
            }
            out.push((
                line,
                RegionRow {
                    code: rec[0].to_string(),
                    name: rec[1].to_string(),
                },
            ));
        }
        out
    };
    let mut parsed = Vec::with_capacity(rows.len());
    for (n, r) in rows {
        let code = RegionCode::parse("code", &r.code)
            .map_err(|e| anyhow::anyhow!("第 {n} 行 code={:?}: {}", r.code, e.message))?;
        let name = r.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            bail!("第 {n} 行 name: 名称须为1至100个字符");
        }
        if name.chars().any(char::is_control) {
            bail!("第 {n} 行 name: 名称含有控制字符（如换行），请检查引号是否配对");
        }
        parsed.push((n, code, name.to_string()));
    }
    // Parents before children, whatever the file's order.
    parsed.sort_by(|a, b| (a.1.level(), &a.1).cmp(&(b.1.level(), &b.1)));
    Ok(parsed)
}

#[derive(Debug, Default)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

pub async fn import_regions(
    store: &Store,
    rows: &[(usize, RegionCode, String)],
    actor: &str,
    now_ms: i64,
) -> anyhow::Result<ImportReport> {
    let mut report = ImportReport::default();
    let mut tx = store.begin().await?;
    for (n, code, name) in rows {
        let region = Region {
            code: code.to_string(),
            name: name.clone(),
            level: code.level().as_str().to_string(),
            parent_code: code.parent().map(|p| p.to_string()),
        };
        if let Some(parent) = &region.parent_code {
            // Ancestors above the first imported level may be absent: a county's file
            // need not carry its province. Only a gap inside the file is an error.
            if let Err(StoreError::NotFound) = regions::get(&mut tx, parent).await {
                let in_file = rows.iter().any(|(_, c, _)| c.as_str() == parent);
                if in_file {
                    bail!("第 {n} 行: 上级 {parent} 导入失败");
                }
                let top = rows.iter().map(|(_, c, _)| c.level()).min();
                if top != Some(code.level()) {
                    bail!("第 {n} 行 code={code}: 上级区划 {parent} 不存在");
                }
                // A top-level row of this file whose parent is unknown: keep it as a root.
                let root = Region {
                    parent_code: None,
                    ..region.clone()
                };
                if regions::upsert(&mut tx, &root, now_ms).await? {
                    report.created += 1;
                } else {
                    report.updated += 1;
                }
                continue;
            }
        }
        match regions::get(&mut tx, &region.code).await {
            Ok(existing) if existing.name == region.name => {
                report.unchanged += 1;
                continue;
            }
            Ok(_) | Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        if regions::upsert(&mut tx, &region, now_ms).await? {
            report.created += 1;
        } else {
            report.updated += 1;
        }
    }
    let top = rows
        .first()
        .map(|(_, c, _)| c.to_string())
        .unwrap_or_default();
    let ctx = RequestCtx {
        ip: "cli".into(),
        request_id: String::new(),
    };
    audit::append(
        &mut tx,
        audit_entry(
            &ctx,
            actor,
            now_ms,
            "region.import",
            "region",
            &top,
            &top,
            json!({"rows": rows.len(), "created": report.created, "updated": report.updated}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_guidong_file_parses() {
        let rows = parse_regions(crate::demo::GUIDONG_CSV, false).unwrap();
        assert_eq!(rows[0].1.as_str(), "430000000000");
        let townships = rows
            .iter()
            .filter(|r| r.1.level() == wangge_core::region::Level::Township)
            .count();
        let villages = rows
            .iter()
            .filter(|r| r.1.level() == wangge_core::region::Level::Village)
            .count();
        assert_eq!((townships, villages), (12, 113));
    }

    #[test]
    fn bad_rows_are_named() {
        let e = parse_regions("code,name\n431027100000,沤江镇\n43102710,坏\n", false).unwrap_err();
        assert!(e.to_string().contains("第 3 行"), "file line numbers: {e}");
        let e = parse_regions("431027100000,沤江镇\n", false).unwrap_err();
        assert!(e.to_string().contains("表头"), "{e}");
        let e = parse_regions(
            "code,name\n431027100000,\"沤江镇\n431027100001,东华\n",
            false,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("控制字符") || e.to_string().contains("CSV"),
            "{e}"
        );
        let e =
            parse_regions(r#"[{"code":"431027100000","name":"沤江镇","x":1}]"#, true).unwrap_err();
        assert!(e.to_string().contains("x"), "{e}");
        let e = parse_regions(r#"[{"code":"431027100000","name":" "}]"#, true).unwrap_err();
        assert!(e.to_string().contains("第 1 行 name"), "{e}");
    }
}

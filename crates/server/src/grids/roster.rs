//! Roster import (households and residents from Excel/CSV), shared by `POST
//! /api/v1/imports/roster` and `wangge import roster`. Rows were read and checked by
//! `wangge-importers`; here they are checked against the database (region exists and is in
//! the caller's scope; a 身份证号 already registered in another household) and written in
//! ONE transaction — either the valid rows, or nothing at all when any row is bad
//! (all-or-nothing). Re-importing updates people (matched by 身份证号) instead of
//! duplicating them.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use wangge_core::id_number::{IdNumber, Sex};
use wangge_core::region::RegionCode;
use wangge_crypto::FieldCipher;
use wangge_importers::{Parsed, RosterRow, RowError};
use wangge_store::residents::ResidentFields;
use wangge_store::{audit, households, regions, Store, StoreError};

use crate::access::{audit_entry, RequestCtx};
use crate::error::ApiResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Import the valid rows; report the others.
    ValidRows,
    /// Import nothing if any row is bad.
    AllOrNothing,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "valid_rows" | "valid-rows" => Some(Mode::ValidRows),
            "all_or_nothing" | "all-or-nothing" => Some(Mode::AllOrNothing),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Outcome {
    pub total_rows: usize,
    pub valid_rows: usize,
    pub error_rows: usize,
    /// Whether anything was written (all-or-nothing with errors writes nothing).
    pub written: bool,
    pub households_created: usize,
    pub households_updated: usize,
    pub residents_created: usize,
    pub residents_updated: usize,
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<RowError>,
}

fn row_error(r: &RosterRow, column: &str, value: &str, code: &str, reason: String) -> RowError {
    RowError {
        row: r.row,
        column: column.to_string(),
        value: value.to_string(),
        code: code.to_string(),
        reason,
    }
}

/// Checks the parsed rows against the database and writes them (see the module doc).
/// `scope`: the caller's region ranges (`None`: unrestricted, for the CLI).
/// `progress(done, total)` is called as rows are written.
#[allow(clippy::too_many_arguments)]
pub async fn import(
    store: &Store,
    cipher: &FieldCipher,
    parsed: Parsed,
    mode: Mode,
    scope: Option<&[(String, String)]>,
    actor: &str,
    ctx: &RequestCtx,
    now_ms: i64,
    progress: &(dyn Fn(usize, usize) + Send + Sync),
) -> ApiResult<Outcome> {
    let mut errors = parsed.errors;
    let covers = |code: &str| {
        scope.is_none_or(|ranges| {
            ranges
                .iter()
                .any(|(lo, hi)| code >= lo.as_str() && code < hi.as_str())
        })
    };
    let mut conn = store.read().await?;
    // Regions: each distinct code once.
    let mut region_ok: HashMap<String, Result<(), (&'static str, String)>> = HashMap::new();
    for r in &parsed.rows {
        if region_ok.contains_key(&r.region_code) {
            continue;
        }
        let verdict = if !covers(&r.region_code) {
            Err(("region_out_of_scope", "区划不在您的管辖范围内".to_string()))
        } else {
            match regions::get(&mut conn, &r.region_code).await {
                Ok(_) => Ok(()),
                Err(StoreError::NotFound) => Err(("region_unknown", "区划代码不存在".to_string())),
                Err(e) => return Err(e.into()),
            }
        };
        region_ok.insert(r.region_code.clone(), verdict);
    }
    // People already registered in another household.
    let mut bad_households: HashMap<String, ()> = HashMap::new();
    // A household with a bad row in the file is left out whole, like one refused by the database.
    for no in &parsed.rejected_households {
        bad_households.insert(no.clone(), ());
    }
    let mut household_no_of: HashMap<i64, String> = HashMap::new();
    for r in &parsed.rows {
        if let Some(Err((code, reason))) = region_ok.get(&r.region_code) {
            errors.push(row_error(
                r,
                "区划代码",
                &r.region_code,
                code,
                reason.clone(),
            ));
            bad_households.insert(r.household_no.clone(), ());
            continue;
        }
        let hash = cipher.search_hash("id_number", &r.id_number);
        if let Some((_, Some(hid))) = households::resident_by_id_hash(&mut conn, &hash).await? {
            let no = match household_no_of.get(&hid) {
                Some(no) => no.clone(),
                None => {
                    let no = households::get(&mut conn, hid).await?.household_no;
                    household_no_of.insert(hid, no.clone());
                    no
                }
            };
            if no != r.household_no {
                errors.push(row_error(
                    r,
                    "身份证号",
                    &wangge_core::id_number::mask(&r.id_number),
                    "duplicate_in_database",
                    format!("该身份证号已登记在户{no}，同一人不能属于两户"),
                ));
                bad_households.insert(r.household_no.clone(), ());
            }
        }
    }
    drop(conn);
    // A household with any bad row is left out whole, so no household is half-imported.
    let mut by_household: BTreeMap<&str, Vec<&RosterRow>> = BTreeMap::new();
    for r in &parsed.rows {
        if !bad_households.contains_key(&r.household_no) {
            by_household
                .entry(r.household_no.as_str())
                .or_default()
                .push(r);
        }
    }
    for r in &parsed.rows {
        if bad_households.contains_key(&r.household_no) && !errors.iter().any(|e| e.row == r.row) {
            errors.push(row_error(
                r,
                "户编号",
                &r.household_no,
                "household_rejected",
                "同户其他成员有错误，整户未导入".into(),
            ));
        }
    }
    errors.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
    let mut error_rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
    error_rows.dedup();
    let valid_rows: usize = by_household.values().map(Vec::len).sum();
    let mut out = Outcome {
        total_rows: parsed.total_rows,
        valid_rows,
        error_rows: error_rows.len(),
        errors,
        ..Default::default()
    };
    if mode == Mode::AllOrNothing && !out.errors.is_empty() {
        return Ok(out);
    }
    let total = valid_rows;
    let mut done = 0;
    let mut tx = store.begin().await?;
    for (no, rows) in &by_household {
        let head = rows[0];
        let (hid, created) =
            households::upsert(&mut tx, no, &head.region_code, &head.address, now_ms).await?;
        if created {
            out.households_created += 1;
        } else {
            out.households_updated += 1;
        }
        for r in rows {
            let id = IdNumber::parse(
                "id_number",
                &r.id_number,
                wangge_core::date::Date::from_unix_millis_cst(now_ms),
            )?;
            let fields = ResidentFields {
                region_code: RegionCode::parse("region_code", &r.region_code)?.to_string(),
                name: r.name.clone(),
                sex: Some(match id.sex() {
                    Sex::Male => "male".into(),
                    Sex::Female => "female".into(),
                }),
                birth_date: Some(id.birth_date().to_string()),
                id_number_enc: Some(cipher.encrypt("id_number", id.as_str())),
                id_number_hash: Some(cipher.search_hash("id_number", id.as_str())),
                phone_enc: r.phone.as_ref().map(|p| cipher.encrypt("phone", p)),
                phone_hash: r.phone.as_ref().map(|p| cipher.search_hash("phone", p)),
            };
            if households::upsert_member(&mut tx, hid, &r.relation, &fields, now_ms).await? {
                out.residents_created += 1;
            } else {
                out.residents_updated += 1;
            }
            done += 1;
            if done % 500 == 0 {
                progress(done, total);
            }
        }
    }
    let first_region = by_household
        .values()
        .next()
        .map(|r| r[0].region_code.clone())
        .unwrap_or_default();
    audit::append(
        &mut tx,
        audit_entry(ctx, actor, now_ms, "roster.import", "roster", "", &first_region, json!({
            "mode": mode, "rows": out.total_rows, "valid_rows": out.valid_rows, "error_rows": out.error_rows,
            "households_created": out.households_created, "households_updated": out.households_updated,
            "residents_created": out.residents_created, "residents_updated": out.residents_updated,
        })),
    )
    .await?;
    tx.commit().await?;
    progress(total, total);
    out.written = true;
    Ok(out)
}

//! Open311 GeoReport v2 at `/open311/v2`, so existing Open311 clients work unchanged.
//! Services are the catalogue's second-level categories; requests are cases raised through
//! the `open311` channel (only those are listed publicly, and never with personal data).
//! POST needs an `api_key`: a wangge API token, whose user's scope bounds where it may report.
//! Errors use the spec's format: `[{"code", "description"}]` or `<errors><error>…`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use wangge_core::region::RegionCode;
use wangge_core::role::Role;
use wangge_store::cases::{self, CaseFilter, CaseRow, CaseSort};
use wangge_store::{sessions, users, StoreError};

use crate::access::{AuthKind, Caller, RequestCtx};
use crate::cases::create::{create_case, NewCaseRequest};
use crate::views::rfc3339;
use crate::AppState;

/// The case type Open311 requests become.
pub const CASE_TYPE: &str = "general";
pub const SOURCE: &str = "open311";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(top_get).post(top_post))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

fn split(file: &str) -> Option<(&str, Format)> {
    if let Some(stem) = file.strip_suffix(".json") {
        Some((stem, Format::Json))
    } else {
        file.strip_suffix(".xml").map(|stem| (stem, Format::Xml))
    }
}

/// An Open311 error in the spec's shape.
struct Open311Error {
    status: StatusCode,
    description: String,
    format: Format,
}

fn err(status: StatusCode, description: impl Into<String>, format: Format) -> Open311Error {
    Open311Error {
        status,
        description: description.into(),
        format,
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let code = self.status.as_u16();
        match self.format {
            Format::Json => (
                self.status,
                json_body(&json!([{"code": code, "description": self.description}])),
            )
                .into_response(),
            Format::Xml => {
                let mut x = Xml::new();
                x.open("errors")
                    .open("error")
                    .leaf("code", &code.to_string())
                    .leaf("description", &self.description)
                    .close()
                    .close();
                (self.status, x.finish()).into_response()
            }
        }
    }
}

type Result<T> = std::result::Result<T, Open311Error>;

fn json_body(v: &Value) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        v.to_string(),
    )
}

/// A tiny XML writer; every text node is escaped.
struct Xml {
    out: String,
    stack: Vec<&'static str>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

impl Xml {
    fn new() -> Self {
        Self {
            out: String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
            stack: Vec::new(),
        }
    }
    fn open(&mut self, tag: &'static str) -> &mut Self {
        self.out.push_str(&format!("<{tag}>"));
        self.stack.push(tag);
        self
    }
    fn close(&mut self) -> &mut Self {
        if let Some(tag) = self.stack.pop() {
            self.out.push_str(&format!("</{tag}>"));
        }
        self
    }
    fn leaf(&mut self, tag: &str, text: &str) -> &mut Self {
        if text.is_empty() {
            self.out.push_str(&format!("<{tag}/>"));
        } else {
            self.out
                .push_str(&format!("<{tag}>{}</{tag}>", escape(text)));
        }
        self
    }
    /// One element per key of a flat JSON object, in the order given.
    fn object(&mut self, v: &Value, keys: &[&str]) -> &mut Self {
        for k in keys {
            let text = match &v[*k] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            self.leaf(k, &text);
        }
        self
    }
    fn finish(&mut self) -> impl IntoResponse {
        while !self.stack.is_empty() {
            self.close();
        }
        (
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            std::mem::take(&mut self.out),
        )
    }
}

const SERVICE_KEYS: [&str; 7] = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
];
const REQUEST_KEYS: [&str; 17] = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];

fn services(state: &AppState) -> Vec<Value> {
    state
        .cases
        .catalogue
        .leaf_categories()
        .map(|(p, c)| {
            json!({"service_code": c.id, "service_name": c.name, "description": format!("{} / {}", p.name, c.name),
                   "metadata": false, "type": "realtime", "keywords": p.name, "group": p.name})
        })
        .collect()
}

async fn top_get(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((stem, format)) = split(&file) else {
        return err(
            StatusCode::NOT_FOUND,
            "unknown resource; use .json or .xml",
            Format::Json,
        )
        .into_response();
    };
    match stem {
        "services" => {
            let list = services(&state);
            match format {
                Format::Json => json_body(&Value::Array(list)).into_response(),
                Format::Xml => {
                    let mut x = Xml::new();
                    x.open("services");
                    for s in &list {
                        x.open("service").object(s, &SERVICE_KEYS).close();
                    }
                    x.finish().into_response()
                }
            }
        }
        "requests" => match list_requests(&state, q.as_deref().unwrap_or(""), format).await {
            Ok(list) => requests_response(list, format),
            Err(e) => e.into_response(),
        },
        _ => err(StatusCode::NOT_FOUND, "unknown resource", format).into_response(),
    }
}

fn requests_response(list: Vec<Value>, format: Format) -> Response {
    match format {
        Format::Json => json_body(&Value::Array(list)).into_response(),
        Format::Xml => {
            let mut x = Xml::new();
            x.open("service_requests");
            for r in &list {
                x.open("request").object(r, &REQUEST_KEYS).close();
            }
            x.finish().into_response()
        }
    }
}

fn request_json(state: &AppState, c: &CaseRow, note: Option<String>) -> Value {
    let service_name = state
        .cases
        .catalogue
        .category(&c.category)
        .map(|(_, l)| l.name.clone())
        .unwrap_or_default();
    json!({
        "service_request_id": c.number,
        "status": if c.terminal != 0 { "closed" } else { "open" },
        "status_notes": note,
        "service_name": service_name,
        "service_code": c.category,
        "description": c.description,
        "agency_responsible": c.handling_region,
        "service_notice": Value::Null,
        "requested_datetime": rfc3339(c.created_at),
        "updated_datetime": rfc3339(c.updated_at),
        "expected_datetime": c.state_due_at.map(rfc3339),
        "address": Value::Null,
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": c.lat,
        "long": c.lng,
        "media_url": Value::Null,
    })
}

fn parse_form(text: &str) -> HashMap<String, String> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

fn parse_datetime(field: &str, s: &str, format: Format) -> Result<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            err(
                StatusCode::BAD_REQUEST,
                format!("{field} must be a W3C datetime, e.g. 2026-01-01T00:00:00+08:00"),
                format,
            )
        })?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

async fn list_requests(state: &AppState, query: &str, format: Format) -> Result<Vec<Value>> {
    let q = parse_form(query);
    let db = |e: StoreError| {
        tracing::error!(error = %e, "open311 list");
        err(StatusCode::INTERNAL_SERVER_ERROR, "internal error", format)
    };
    let mut conn = state.store.read().await.map_err(db)?;
    let mut out = Vec::new();
    if let Some(ids) = q.get("service_request_id") {
        for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match cases::get_by_number(&mut conn, id).await {
                Ok(c) if c.source == SOURCE => out.push(request_json(state, &c, None)),
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(db(e)),
            }
        }
        return Ok(out);
    }
    let now = state.clock.now_ms();
    let end = q
        .get("end_date")
        .map(|s| parse_datetime("end_date", s, format))
        .transpose()?
        .unwrap_or(now + 1);
    let start = q
        .get("start_date")
        .map(|s| parse_datetime("start_date", s, format))
        .transpose()?
        .unwrap_or(end - 90 * 86_400_000);
    let status = q.get("status").map(String::as_str);
    if status.is_some_and(|s| s != "open" && s != "closed") {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "status must be open or closed",
            format,
        ));
    }
    let codes: Vec<&str> = q
        .get("service_code")
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let filter = CaseFilter {
        source: Some(SOURCE),
        created_from: Some(start),
        created_to: Some(end),
        open_only: status == Some("open"),
        ..Default::default()
    };
    let (rows, _) = cases::list(
        &mut conn,
        state.store.backend(),
        None,
        &filter,
        CaseSort::Newest,
        1000,
        0,
    )
    .await
    .map_err(db)?;
    for c in rows {
        if status == Some("closed") && c.terminal == 0 {
            continue;
        }
        if !codes.is_empty() && !codes.contains(&c.category.as_str()) {
            continue;
        }
        out.push(request_json(state, &c, None));
    }
    Ok(out)
}

async fn one_request(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((id, format)) = split(&file) else {
        return err(StatusCode::NOT_FOUND, "use .json or .xml", Format::Json).into_response();
    };
    let Ok(mut conn) = state.store.read().await else {
        return err(StatusCode::INTERNAL_SERVER_ERROR, "internal error", format).into_response();
    };
    match cases::get_by_number(&mut conn, id).await {
        Ok(c) if c.source == SOURCE => {
            // Public: the state's name only, never the staff's internal notes.
            let note = state
                .cases
                .workflows
                .get(&c.case_type)
                .and_then(|w| w.state(&c.state))
                .map(|st| st.name.clone());
            requests_response(vec![request_json(&state, &c, note)], format)
        }
        Ok(_) | Err(StoreError::NotFound) => err(
            StatusCode::NOT_FOUND,
            format!("service_request_id {id} not found"),
            format,
        )
        .into_response(),
        Err(_) => err(StatusCode::INTERNAL_SERVER_ERROR, "internal error", format).into_response(),
    }
}

async fn token(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((t, format)) = split(&file) else {
        return err(StatusCode::NOT_FOUND, "use .json or .xml", Format::Json).into_response();
    };
    let Ok(mut conn) = state.store.read().await else {
        return err(StatusCode::INTERNAL_SERVER_ERROR, "internal error", format).into_response();
    };
    // Requests are created synchronously, so a token is the request's own number.
    match cases::get_by_number(&mut conn, t).await {
        Ok(c) if c.source == SOURCE => {
            let v = json!({"service_request_id": c.number, "token": c.number});
            match format {
                Format::Json => json_body(&json!([v])).into_response(),
                Format::Xml => {
                    let mut x = Xml::new();
                    x.open("service_requests")
                        .open("request")
                        .object(&v, &["service_request_id", "token"]);
                    x.finish().into_response()
                }
            }
        }
        _ => err(
            StatusCode::NOT_FOUND,
            format!("token {t} not found"),
            format,
        )
        .into_response(),
    }
}

async fn service_definition(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = split(&file) else {
        return err(StatusCode::NOT_FOUND, "use .json or .xml", Format::Json).into_response();
    };
    if state.cases.catalogue.category(code).is_none() {
        return err(
            StatusCode::NOT_FOUND,
            format!("service_code {code} not found"),
            format,
        )
        .into_response();
    }
    // No extra attributes: every service takes the standard fields only.
    match format {
        Format::Json => json_body(&json!({"service_code": code, "attributes": []})).into_response(),
        Format::Xml => {
            let mut x = Xml::new();
            x.open("service_definition")
                .leaf("service_code", code)
                .leaf("attributes", "");
            x.finish().into_response()
        }
    }
}

async fn top_post(
    State(state): State<AppState>,
    Path(file): Path<String>,
    ctx: RequestCtx,
    body: Bytes,
) -> Response {
    let Some(("requests", format)) = split(&file) else {
        return err(
            StatusCode::NOT_FOUND,
            "POST requests.json or requests.xml",
            Format::Json,
        )
        .into_response();
    };
    match post_request(&state, ctx, &body, format).await {
        Ok(v) => {
            let (status, r) = (StatusCode::CREATED, requests_post_response(&v, format));
            (status, r).into_response()
        }
        Err(e) => e.into_response(),
    }
}

fn requests_post_response(v: &Value, format: Format) -> Response {
    match format {
        Format::Json => json_body(&json!([v])).into_response(),
        Format::Xml => {
            let mut x = Xml::new();
            x.open("service_requests")
                .open("request")
                .object(v, &["service_request_id", "service_notice", "account_id"]);
            x.finish().into_response()
        }
    }
}

async fn post_request(
    state: &AppState,
    ctx: RequestCtx,
    body: &[u8],
    format: Format,
) -> Result<Value> {
    let form = parse_form(&String::from_utf8_lossy(body));
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "open311 post");
        err(StatusCode::INTERNAL_SERVER_ERROR, "internal error", format)
    };
    let api_key = form.get("api_key").map(String::as_str).unwrap_or("");
    if api_key.is_empty() {
        return Err(err(StatusCode::FORBIDDEN, "api_key is required", format));
    }
    let mut conn = state.store.read().await.map_err(|e| internal(&e))?;
    let user_id =
        match sessions::token_user(&mut conn, &wangge_crypto::token::digest(api_key)).await {
            Ok(u) => u,
            Err(StoreError::NotFound) => {
                return Err(err(StatusCode::FORBIDDEN, "invalid api_key", format))
            }
            Err(e) => return Err(internal(&e)),
        };
    let user = users::by_id(&mut conn, user_id)
        .await
        .map_err(|e| internal(&e))?;
    drop(conn);
    if !crate::access::may_act(&user) {
        return Err(err(
            StatusCode::FORBIDDEN,
            "the api_key's account is disabled or must change its initial password",
            format,
        ));
    }
    let role = Role::parse(&user.row.role).ok_or_else(|| internal(&"unknown role"))?;
    let caller = Caller::new(&user, role, AuthKind::ApiToken, None, ctx);
    let code = form.get("service_code").map(String::as_str).unwrap_or("");
    let Some((_, leaf)) = state.cases.catalogue.category(code) else {
        return Err(err(
            StatusCode::BAD_REQUEST,
            format!("service_code {code:?} is not a known service"),
            format,
        ));
    };
    let num = |k: &str| {
        form.get(k)
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse::<f64>())
    };
    let (lat, lng) = match (num("lat"), num("long")) {
        (Some(Ok(a)), Some(Ok(b))) => (Some(a), Some(b)),
        (Some(Err(_)), _) | (_, Some(Err(_))) => {
            return Err(err(
                StatusCode::BAD_REQUEST,
                "lat and long must be numbers",
                format,
            ))
        }
        _ => (None, None),
    };
    let address = form.get("address_string").filter(|s| !s.trim().is_empty());
    if lat.is_none() && address.is_none() && !form.contains_key("address_id") {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "a location is required: lat and long, address_string or address_id",
            format,
        ));
    }
    let description = form.get("description").cloned().unwrap_or_default();
    if description.chars().count() > 4000 {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "description is longer than 4000 characters",
            format,
        ));
    }
    // Where: the grid whose boundary holds the point (when in the key's scope), else a
    // jurisdiction_id that is a region code inside the key's scope, else the key holder's
    // first region.
    let located = match (lat, lng) {
        (Some(la), Some(lo)) => state
            .grid_index
            .locate(&state.store, lo, la)
            .await
            .ok()
            .flatten()
            .filter(|g| caller.covers(g)),
        _ => None,
    };
    let region = match form
        .get("jurisdiction_id")
        .and_then(|j| RegionCode::parse("jurisdiction_id", j).ok())
    {
        _ if located.is_some() => located.clone().unwrap_or_default(),
        Some(r) if caller.covers(r.as_str()) => r.to_string(),
        _ => user
            .regions
            .first()
            .cloned()
            .ok_or_else(|| err(StatusCode::FORBIDDEN, "api_key has no region", format))?,
    };
    let mut text = description.clone();
    if let Some(a) = address {
        text = format!("{text}\n地址：{a}");
    }
    let title: String = if description.trim().is_empty() {
        leaf.name.clone()
    } else {
        description.chars().take(30).collect()
    };
    let name = [form.get("last_name"), form.get("first_name")]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<String>();
    let req = NewCaseRequest {
        case_type: CASE_TYPE.into(),
        category: code.into(),
        source: SOURCE.into(),
        region_code: region,
        title,
        description: text,
        lat,
        lng,
        priority: None,
        reporter_name: (!name.is_empty()).then_some(name),
        reporter_phone: form.get("phone").cloned(),
        parties: Vec::new(),
        dispute: None,
    };
    let created = create_case(state, &caller, &req, None).await.map_err(|e| {
        let status = match e.status {
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => StatusCode::FORBIDDEN,
            s if s.is_client_error() => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        err(status, e.message, format)
    })?;
    let mut conn = state.store.read().await.map_err(|e| internal(&e))?;
    let c = cases::get(&mut conn, created.id)
        .await
        .map_err(|e| internal(&e))?;
    Ok(
        json!({"service_request_id": c.number, "service_notice": format!("已受理，编号{}", c.number), "account_id": Value::Null}),
    )
}

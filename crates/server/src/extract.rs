//! Extractors that turn bad input into the one error body, naming the field: JSON bodies
//! (unknown or missing fields, wrong types, oversize) and query strings.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::ApiError;

/// A JSON body. Request types use `#[serde(deny_unknown_fields)]`, so a misspelt field is
/// refused instead of silently ignored.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "请求体须为JSON（Content-Type: application/json）",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "请求体过大",
                )
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", "无法读取请求体")
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner();
        let text = inner.to_string();
        let (field, code, message) = if inner.is_syntax() || inner.is_eof() {
            (
                String::new(),
                "invalid_json",
                format!("JSON格式错误（第{}行第{}列）", inner.line(), inner.column()),
            )
        } else if let Some(name) = between(&text, "unknown field `", "`") {
            // For unknown fields the path already ends at the offending key.
            let field = if path.is_empty() || path == "." {
                name.to_string()
            } else {
                path.clone()
            };
            (field, "unknown_field", format!("不支持的字段“{name}”"))
        } else if let Some(name) = between(&text, "missing field `", "`") {
            (
                join(&path, name),
                "missing_field",
                format!("缺少必填字段“{name}”"),
            )
        } else {
            (
                path.clone(),
                "invalid_value",
                format!("字段“{path}”的值无效：{}", strip_position(&text)),
            )
        };
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message.clone(),
        )
        .with_details(json!({"field": field, "reason": code, "message": message}))
    })
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() || path == "." {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn strip_position(s: &str) -> &str {
    s.split(" at line ").next().unwrap_or(s)
}

/// A query string, refused with the one error body when it does not parse.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let text = e.inner().to_string();
                let field = between(&text, "field `", "`")
                    .map(str::to_string)
                    .unwrap_or_else(|| e.path().to_string());
                let message = format!("查询参数“{field}”无效：{text}");
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message.clone())
                    .with_details(
                        json!({"field": field, "reason": "invalid_query", "message": message}),
                    )
            })
    }
}

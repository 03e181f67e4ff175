//! Photos and scans: checked by declared type, by their first bytes and by size, stored
//! as files named by SHA-256 outside the database, served only to those who may read the case.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;
use wangge_core::role::Permission;
use wangge_store::audit;
use wangge_store::cases::{self, AttachmentRow};

use crate::access::Caller;
use crate::cases::view::{attachment_view, AttachmentView};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::idempotency::{self, RequestKey};
use crate::routes::cases::load_visible;
use crate::AppState;

/// Accepted types and the bytes their files start with.
const TYPES: [(&str, &[u8]); 4] = [
    ("image/jpeg", b"\xFF\xD8\xFF"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/webp", b"RIFF"),
    ("application/pdf", b"%PDF-"),
];

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// Original file name, e.g. `现场照片.jpg`.
    pub filename: String,
}

/// 上传附件（照片、扫描件）：请求体为文件本身，Content-Type 为 image/jpeg、image/png、image/webp 或 application/pdf。
/// 带 `Idempotency-Key` 头重试时返回同一个附件，绝不重复保存。
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", tag = "cases",
    params(("id" = i64, Path), UploadQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "客户端生成的唯一键；重试时原样带上")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentView), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "输入有误，或该 Idempotency-Key 已用于另一个请求", body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, HeaderMap, Json<AttachmentView>)> {
    let name = q.filename.trim();
    if name.is_empty() || name.chars().count() > 200 || name.contains(['/', '\\']) {
        return Err(ApiError::field(
            "filename",
            "invalid_value",
            "文件名须为1至200个字符，且不含路径",
        ));
    }
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Some((content_type, magic)) = TYPES.iter().find(|(t, _)| *t == declared) else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "只接受 JPEG、PNG、WebP 图片或 PDF 文件",
        )
        .with_details(json!({"field": "Content-Type", "reason": "unsupported_media_type"})));
    };
    if body.is_empty() {
        return Err(ApiError::field("body", "empty", "文件为空"));
    }
    if body.len() > state.cases.max_attachment_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "文件不能超过{}MB",
                state.cases.max_attachment_bytes / 1024 / 1024
            ),
        ));
    }
    if !body.starts_with(magic) {
        return Err(ApiError::field(
            "body",
            "content_mismatch",
            format!("文件内容与声明的类型 {content_type} 不符"),
        ));
    }
    let sha = hex::encode(Sha256::digest(&body));
    let key = idempotency::from_headers(
        &headers,
        "attachment.upload",
        &format!("{id}\n{name}\n{content_type}"),
        &sha,
    )?;
    let earlier = {
        let mut conn = state.store.read().await?;
        let case = load_visible(&mut conn, &caller, id).await?;
        caller.authorize(Permission::ReadCases, &case.region_code)?;
        idempotency::seen(&mut conn, caller.user_id, key.as_ref()).await?
    };
    let (aid, replayed) = match earlier {
        Some(aid) => (aid, true),
        None => {
            let outcome = store(
                &state,
                &caller,
                id,
                name,
                content_type,
                &sha,
                &body,
                key.as_ref(),
            )
            .await;
            idempotency::settle(&state, caller.user_id, key.as_ref(), outcome).await?
        }
    };
    let mut conn = state.store.read().await?;
    let saved = cases::attachment(&mut conn, aid).await?;
    Ok((
        StatusCode::CREATED,
        idempotency::replay_headers(replayed),
        Json(attachment_view(saved)),
    ))
}

#[allow(clippy::too_many_arguments)]
async fn store(
    state: &AppState,
    caller: &Caller,
    id: i64,
    name: &str,
    content_type: &str,
    sha: &str,
    body: &[u8],
    key: Option<&RequestKey>,
) -> ApiResult<i64> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let case = load_visible(&mut tx, caller, id).await?;
    caller.authorize(Permission::ReadCases, &case.region_code)?;
    // The file first (idempotent by name), then the row; a failed commit leaves at most an
    // unreferenced file, never a row without its file.
    let dir = state.cases.attachments_dir.join(&sha[..2]);
    let path = dir.join(sha);
    if !path.exists() {
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(ApiError::internal)?;
        let tmp = dir.join(format!("{sha}.{}.tmp", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&tmp, body)
            .await
            .map_err(ApiError::internal)?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(ApiError::internal)?;
    }
    let row = AttachmentRow {
        id: 0,
        case_id: id,
        filename: name.to_string(),
        content_type: content_type.to_string(),
        size: body.len() as i64,
        sha256: sha.to_string(),
        created_by: Some(caller.user_id),
        created_at: now,
    };
    let aid = cases::add_attachment(&mut tx, &row).await?;
    idempotency::remember(&mut tx, caller.user_id, key, aid, now).await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "case.attach",
            "case",
            id,
            &case.region_code,
            json!({"attachment": aid, "size": row.size}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(aid)
}

/// 下载附件。
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "文件内容"), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let mut conn = state.store.read().await?;
    let a = cases::attachment(&mut conn, id).await?;
    load_visible(&mut conn, &caller, a.case_id).await?;
    let path = state
        .cases
        .attachments_dir
        .join(&a.sha256[..2])
        .join(&a.sha256);
    let bytes = tokio::fs::read(&path).await.map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, a.content_type.clone()),
            (header::CONTENT_DISPOSITION, "attachment".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response())
}

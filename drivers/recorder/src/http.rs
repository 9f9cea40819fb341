//! The upload protocol over HTTP: a signed client through the relay's central client, and the
//! reference server routes the central mounts.
//!
//! Implements: [`HttpUploader`] — an [`Uploader`] over `motcua_relay::HttpCentral` (same
//! base URL, device id and HMAC signing as `/v1/events:batch`); [`upload_routes`] — the
//! server side of the mapping over any [`Uploader`] (e.g. a store in the central), so the
//! client and the endpoint are tested against each other.
//!
//! Does not implement: request authentication on the server side. The central wraps these
//! routes in its own signature check (`Central::authenticate`) before they reach the store.
//!
//! The mapping (see also [`crate::upload`]):
//!
//! | call | request | success |
//! |---|---|---|
//! | begin | `POST /v1/recordings`, JSON [`UploadRequest`] | `200 {"upload_id","confirmed_offset","finished"}` |
//! | status | `GET /v1/recordings/{upload_id}` | `200 {"confirmed_offset","finished"}` |
//! | put_chunk | `PUT /v1/recordings/{upload_id}/chunks/{offset}`, raw bytes, header `x-motcua-chunk-sha256` | `200 {"confirmed_offset"}` |
//! | finish | `POST /v1/recordings/{upload_id}/finish`, JSON `{"bytes","sha256"}` | `200 {}` |
//!
//! Errors are the central's `ApiError` body (`code`, `message`) with: `404 not_found` (unknown
//! upload id), `409 offset_mismatch` (+ `confirmed_offset`), `422 checksum_mismatch`,
//! `422 rejected`, `503 unavailable`, `500 internal`. The signature covers the chunk bytes
//! (the body hash), so a chunk cannot be swapped in transit either.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};

use crate::upload::{UploadError, UploadRequest, UploadStatus, Uploader};

/// Header carrying the hex SHA-256 of a chunk.
pub const H_CHUNK_SHA256: &str = "x-motcua-chunk-sha256";

/// Reply of `POST /v1/recordings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeginReply {
    /// The upload id.
    pub upload_id: String,
    /// Bytes already confirmed (resume point).
    pub confirmed_offset: u64,
    /// Already finished earlier.
    pub finished: bool,
}

/// Reply of a chunk `PUT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkReply {
    /// Bytes confirmed after this chunk.
    pub confirmed_offset: u64,
}

/// Body of `POST …/finish`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinishRequest {
    /// File length.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
}

/// Error body (the central's `ApiError` plus `confirmed_offset` for `offset_mismatch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadApiError {
    /// Machine-readable code.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// The receiver's confirmed offset, with `offset_mismatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_offset: Option<u64>,
}

/// [`Uploader`] over HTTP, signed like the relay's event batches.
#[derive(Debug, Clone)]
pub struct HttpUploader {
    central: motcua_relay::HttpCentral,
}

impl HttpUploader {
    /// Uses the relay's configured central client (base URL, device id, key, timeout).
    pub fn new(central: motcua_relay::HttpCentral) -> Self {
        Self { central }
    }

    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
        chunk_sha: Option<String>,
    ) -> Result<T, UploadError> {
        let mut req = self.central.signed(method, path, body);
        if let Some(sha) = chunk_sha {
            req = req.header(H_CHUNK_SHA256, sha);
        }
        let resp = req.send().await.map_err(|e| UploadError::Transport(chain(&e)))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| UploadError::Transport(chain(&e)))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| UploadError::Transport(format!("malformed reply from the central: {e}")));
        }
        let api: Option<UploadApiError> = serde_json::from_slice(&bytes).ok();
        let code = api.as_ref().map_or("unknown", |a| a.code.as_str());
        Err(match (status.as_u16(), code) {
            (409, "offset_mismatch") => match api.as_ref().and_then(|a| a.confirmed_offset) {
                Some(c) => UploadError::OffsetMismatch { confirmed: c },
                None => UploadError::Transport("409 without confirmed_offset".into()),
            },
            (422, "checksum_mismatch") => UploadError::ChecksumMismatch,
            (404, _) => UploadError::UnknownUpload,
            (503, _) => UploadError::Unavailable,
            (s, _) if s >= 500 || s == 401 || s == 408 || s == 429 => {
                // 401 is transient here: a clock-skewed or replay-flagged request succeeds
                // once the clock is fixed; the relay's health page reports it.
                UploadError::Transport(format!("central replied {s} {code}"))
            }
            (s, _) => UploadError::Rejected(format!(
                "central replied {s} {code}: {}",
                api.as_ref().map_or_else(|| String::from_utf8_lossy(&bytes).into_owned(), |a| a.message.clone())
            )),
        })
    }
}

fn chain(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

fn json<T: Serialize>(v: &T) -> Result<Vec<u8>, UploadError> {
    serde_json::to_vec(v).map_err(|e| UploadError::Local(e.to_string()))
}

/// Percent-encodes an id for a path segment (ids are ours, but be safe).
fn seg(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Uploader for HttpUploader {
    async fn begin(&self, req: &UploadRequest) -> Result<(String, UploadStatus), UploadError> {
        let r: BeginReply = self.call(reqwest::Method::POST, "/v1/recordings", json(req)?, None).await?;
        Ok((r.upload_id, UploadStatus { confirmed_offset: r.confirmed_offset, finished: r.finished }))
    }

    async fn status(&self, upload_id: &str) -> Result<UploadStatus, UploadError> {
        self.call(reqwest::Method::GET, &format!("/v1/recordings/{}", seg(upload_id)), Vec::new(), None).await
    }

    async fn put_chunk(
        &self,
        upload_id: &str,
        offset: u64,
        bytes: &[u8],
        sha256: [u8; 32],
    ) -> Result<u64, UploadError> {
        let path = format!("/v1/recordings/{}/chunks/{offset}", seg(upload_id));
        let r: ChunkReply = self.call(reqwest::Method::PUT, &path, bytes.to_vec(), Some(hex::encode(sha256))).await?;
        Ok(r.confirmed_offset)
    }

    async fn finish(&self, upload_id: &str, bytes: u64, sha256: &str) -> Result<(), UploadError> {
        let path = format!("/v1/recordings/{}/finish", seg(upload_id));
        let body = json(&FinishRequest { bytes, sha256: sha256.to_owned() })?;
        let _: serde_json::Value = self.call(reqwest::Method::POST, &path, body, None).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Server side

fn api_err(status: StatusCode, code: &str, message: String, confirmed_offset: Option<u64>) -> Response {
    (status, axum::Json(UploadApiError { code: code.into(), message, confirmed_offset })).into_response()
}

fn error_response(e: &UploadError) -> Response {
    let msg = e.to_string();
    match e {
        UploadError::OffsetMismatch { confirmed } => {
            api_err(StatusCode::CONFLICT, "offset_mismatch", msg, Some(*confirmed))
        }
        UploadError::ChecksumMismatch => api_err(StatusCode::UNPROCESSABLE_ENTITY, "checksum_mismatch", msg, None),
        UploadError::UnknownUpload => api_err(StatusCode::NOT_FOUND, "not_found", msg, None),
        UploadError::Unavailable => api_err(StatusCode::SERVICE_UNAVAILABLE, "unavailable", msg, None),
        UploadError::Rejected(_) | UploadError::Local(_) => {
            api_err(StatusCode::UNPROCESSABLE_ENTITY, "rejected", msg, None)
        }
        UploadError::Transport(_) | UploadError::GaveUp { .. } => {
            api_err(StatusCode::INTERNAL_SERVER_ERROR, "internal", msg, None)
        }
    }
}

/// The reference server routes over `store` (unauthenticated: wrap them in the central's
/// signature check). Chunks up to 16 MiB.
pub fn upload_routes<U: Uploader + Clone + 'static>(store: U) -> Router {
    Router::new()
        .route("/v1/recordings", post(begin_h::<U>))
        .route("/v1/recordings/{id}", get(status_h::<U>))
        .route("/v1/recordings/{id}/chunks/{offset}", put(chunk_h::<U>))
        .route("/v1/recordings/{id}/finish", post(finish_h::<U>))
        .layer(axum::extract::DefaultBodyLimit::max(16 << 20))
        .with_state(store)
}

async fn begin_h<U: Uploader + Clone + 'static>(State(u): State<U>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<UploadRequest>(&body) else {
        return api_err(StatusCode::BAD_REQUEST, "bad_request", "body is not an UploadRequest".into(), None);
    };
    match u.begin(&req).await {
        Ok((upload_id, st)) => {
            axum::Json(BeginReply { upload_id, confirmed_offset: st.confirmed_offset, finished: st.finished })
                .into_response()
        }
        Err(e) => error_response(&e),
    }
}

async fn status_h<U: Uploader + Clone + 'static>(State(u): State<U>, Path(id): Path<String>) -> Response {
    match u.status(&id).await {
        Ok(st) => axum::Json(st).into_response(),
        Err(e) => error_response(&e),
    }
}

async fn chunk_h<U: Uploader + Clone + 'static>(
    State(u): State<U>,
    Path((id, offset)): Path<(String, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let sha = headers
        .get(H_CHUNK_SHA256)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok());
    let Some(sha) = sha else {
        return api_err(StatusCode::BAD_REQUEST, "bad_request", format!("missing or bad {H_CHUNK_SHA256}"), None);
    };
    match u.put_chunk(&id, offset, &body, sha).await {
        Ok(confirmed_offset) => axum::Json(ChunkReply { confirmed_offset }).into_response(),
        Err(e) => error_response(&e),
    }
}

async fn finish_h<U: Uploader + Clone + 'static>(State(u): State<U>, Path(id): Path<String>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<FinishRequest>(&body) else {
        return api_err(StatusCode::BAD_REQUEST, "bad_request", "body is not a FinishRequest".into(), None);
    };
    match u.finish(&id, req.bytes, &req.sha256).await {
        Ok(()) => axum::Json(serde_json::json!({})).into_response(),
        Err(e) => error_response(&e),
    }
}

//! Live MJPEG preview for supervisors on the LAN.
//!
//! Implements: [`preview_router`] — `GET /preview/{counter}` answers a
//! `multipart/x-mixed-replace` stream of the counter camera's latest JPEG (what browsers and
//! VLC show as live video), behind `Authorization: Bearer <token>` (compared in constant time).
//!
//! Does not implement: TLS, token issuance or rotation (the lead mounts the router behind the
//! hub's listener and passes its configured token), audio.
//!
//! **Latest wins.** Each feed is a `watch` channel the capture thread overwrites without
//! waiting; a client task sends whatever frame is newest when its socket is ready again, so a
//! slow client skips frames and can never hold up capture or other clients.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use subtle::ConstantTimeEq;

use crate::recorder::PreviewFeed;

/// The multipart boundary.
pub const BOUNDARY: &str = "motcuaframe";

#[derive(Clone)]
struct PreviewState {
    feeds: Arc<HashMap<String, PreviewFeed>>,
    token: Arc<[u8]>,
}

/// A router serving `GET /preview/{counter}` for the given feeds (counter id → feed), for
/// requests carrying `Authorization: Bearer <token>`. An empty token refuses everyone.
pub fn preview_router(feeds: HashMap<String, PreviewFeed>, token: &str) -> Router {
    let state = PreviewState { feeds: Arc::new(feeds), token: Arc::from(token.as_bytes()) };
    Router::new().route("/preview/{counter}", get(stream)).with_state(state)
}

fn authorised(headers: &HeaderMap, token: &[u8]) -> bool {
    let Some(given) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    !token.is_empty() && bool::from(given.trim().as_bytes().ct_eq(token))
}

/// One multipart part holding a JPEG.
pub fn part(jpeg: &[u8]) -> Bytes {
    let mut v = Vec::with_capacity(jpeg.len() + 96);
    v.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n", jpeg.len()).as_bytes(),
    );
    v.extend_from_slice(jpeg);
    v.extend_from_slice(b"\r\n");
    Bytes::from(v)
}

async fn stream(State(st): State<PreviewState>, Path(counter): Path<String>, headers: HeaderMap) -> Response {
    if !authorised(&headers, &st.token) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "bearer token required\n")
            .into_response();
    }
    let Some(feed) = st.feeds.get(&counter).cloned() else {
        return (StatusCode::NOT_FOUND, "no such counter\n").into_response();
    };
    let frames = futures_util::stream::unfold((feed, true), |(mut feed, first)| async move {
        // The first part is the current frame (if any); after that, wait for a newer one.
        if !first || feed.borrow().is_none() {
            feed.changed().await.ok()?;
        }
        let jpeg = feed.borrow_and_update().clone()?;
        Some((Ok::<_, std::convert::Infallible>(part(&jpeg)), (feed, false)))
    });
    (
        [
            (header::CONTENT_TYPE, format!("multipart/x-mixed-replace; boundary={BOUNDARY}")),
            (header::CACHE_CONTROL, "no-cache, no-store".to_owned()),
        ],
        Body::from_stream(frames),
    )
        .into_response()
}

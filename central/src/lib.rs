//! The reference central system: implements `docs/central-openapi.yaml` (v1) over SQLite.
//!
//! It verifies each request's HMAC signature (replay window + nonce cache), stores events once
//! by id (the idempotency key), serves seeded dossiers, the catalog and office configuration,
//! takes device health reports, receives counter recordings ([`recordings`]: `/v1/recordings…`
//! behind the same device signature, clips stored in `recordings/` next to the database), and
//! can be told to misbehave ([`Fault`]) for tests.

pub mod bench;
pub mod conformance;
pub mod recordings;
mod seed;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use motcua_relay::wire::{self, Ack, AckStatus, ApiError, BatchReply, BatchRequest, WireEvent};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use tokio::net::TcpListener;

pub use bench::{BenchFigures, bench_relay};
pub use recordings::StoredRecording;
pub use seed::SeedDossier;

/// A device allowed to call the central.
#[derive(Debug, Clone)]
pub struct DeviceCred {
    /// Device id (header `x-motcua-device`).
    pub device_id: String,
    /// The office it may send events for; `*` for any.
    pub office_id: String,
    /// HMAC key.
    pub key: Vec<u8>,
}

/// Central settings.
#[derive(Debug, Clone)]
pub struct CentralConfig {
    /// SQLite file (created if missing).
    pub db_path: PathBuf,
    /// Known devices.
    pub devices: Vec<DeviceCred>,
    /// Accepted |request time − central time|; nonces are remembered this long.
    pub replay_window: Duration,
    /// Serve `PUT /_test/fault` (body: a [`Fault::parse`] string, unsigned) so a test harness
    /// in another process can make the central misbehave. Never enable in production.
    pub test_fault_endpoint: bool,
}

impl CentralConfig {
    /// Defaults for a loopback central: 300 s replay window, no test endpoint.
    pub fn new(db_path: PathBuf, devices: Vec<DeviceCred>) -> Self {
        Self { db_path, devices, replay_window: Duration::from_secs(300), test_fault_endpoint: false }
    }
}

/// A misbehaviour, settable at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    /// Behave.
    #[default]
    None,
    /// Every request: 503 `unavailable`.
    Down,
    /// Process, then wait this long before replying.
    Slow(Duration),
    /// Event batches: 500 `internal`, nothing stored.
    ServerError,
    /// Event batches: process, then abort the connection mid-reply.
    Reset,
    /// Event batches: process, then reply 200 with truncated JSON.
    Malformed,
    /// Event batches: process and acknowledge only the first half.
    PartialAcks,
    /// The central's clock runs this many seconds ahead (negative: behind).
    ClockSkew(i64),
}

impl Fault {
    /// Parse `none`, `down`, `slow:<ms>`, `5xx`, `reset`, `malformed`, `partial`, `skew:<secs>`.
    pub fn parse(s: &str) -> Option<Fault> {
        let (name, arg) = s.trim().split_once(':').map_or((s.trim(), None), |(a, b)| (a, Some(b)));
        Some(match (name, arg) {
            ("none", None) => Fault::None,
            ("down", None) => Fault::Down,
            ("slow", Some(ms)) => Fault::Slow(Duration::from_millis(ms.parse().ok()?)),
            ("5xx", None) => Fault::ServerError,
            ("reset", None) => Fault::Reset,
            ("malformed", None) => Fault::Malformed,
            ("partial", None) => Fault::PartialAcks,
            ("skew", Some(secs)) => Fault::ClockSkew(secs.parse().ok()?),
            _ => return None,
        })
    }
}

/// Errors of opening or serving.
#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    /// SQLite failed.
    #[error("central storage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Socket failed.
    #[error("central socket: {0}")]
    Io(#[from] std::io::Error),
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    office_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    via_device TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS dossiers (code TEXT PRIMARY KEY, secret TEXT NOT NULL, doc TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS device_health (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    report TEXT NOT NULL
) STRICT;
";

struct Inner {
    db: Mutex<Connection>,
    devices: HashMap<String, DeviceCred>,
    window: Duration,
    fault: Mutex<Fault>,
    test_fault_endpoint: bool,
    nonces: Mutex<HashMap<(String, String), jiff::Timestamp>>,
    duplicates: Mutex<u64>,
    recordings_dir: PathBuf,
}

/// A reference central: open it, keep the handle (faults, inspection), serve it.
#[derive(Clone)]
pub struct CentralServer(Arc<Inner>);

impl std::fmt::Debug for CentralServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CentralServer").field("fault", &self.fault()).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// One stored event, as the receiver holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Event id.
    pub id: String,
    /// Office.
    pub office_id: String,
    /// Per-office seq.
    pub seq: u64,
}

impl CentralServer {
    /// Open (and seed) the database.
    pub fn open(cfg: CentralConfig) -> Result<Self, CentralError> {
        let conn = Connection::open(&cfg.db_path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(recordings::SCHEMA)?;
        let recordings_dir = cfg.db_path.parent().unwrap_or(std::path::Path::new(".")).join("recordings");
        std::fs::create_dir_all(&recordings_dir)?;
        for d in seed::dossiers() {
            conn.execute(
                "INSERT OR IGNORE INTO dossiers (code, secret, doc) VALUES (?1, ?2, ?3)",
                params![d.code, d.secret, d.doc.to_string()],
            )?;
        }
        Ok(Self(Arc::new(Inner {
            db: Mutex::new(conn),
            devices: cfg.devices.into_iter().map(|d| (d.device_id.clone(), d)).collect(),
            window: cfg.replay_window,
            fault: Mutex::new(Fault::None),
            test_fault_endpoint: cfg.test_fault_endpoint,
            nonces: Mutex::new(HashMap::new()),
            duplicates: Mutex::new(0),
            recordings_dir,
        })))
    }

    /// Set the current misbehaviour.
    pub fn set_fault(&self, f: Fault) {
        *lock(&self.0.fault) = f;
    }

    /// The current misbehaviour.
    pub fn fault(&self) -> Fault {
        *lock(&self.0.fault)
    }

    /// Events held, in arrival order.
    pub fn stored_events(&self) -> Result<Vec<StoredEvent>, CentralError> {
        let db = lock(&self.0.db);
        let mut st = db.prepare("SELECT id, office_id, seq FROM events ORDER BY n")?;
        let rows = st.query_map([], |r| {
            Ok(StoredEvent { id: r.get(0)?, office_id: r.get(1)?, seq: r.get::<_, i64>(2)? as u64 })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Number of events held.
    pub fn event_count(&self) -> Result<u64, CentralError> {
        let db = lock(&self.0.db);
        Ok(db.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Events received again (same id) and dropped since start.
    pub fn duplicates_dropped(&self) -> u64 {
        *lock(&self.0.duplicates)
    }

    /// Counter recordings held (finished and in progress), oldest first.
    pub fn recordings(&self) -> Result<Vec<StoredRecording>, CentralError> {
        Ok(recordings::RecordingStore::new(self.clone()).list()?)
    }

    /// Where finished recordings are stored: `recordings/<device>/<clip_id>.mkv` next to the
    /// database.
    pub fn recordings_dir(&self) -> &std::path::Path {
        &self.0.recordings_dir
    }

    /// The seeded dossiers (code, secret), for demos and tests.
    pub fn seeded_dossiers() -> Vec<SeedDossier> {
        seed::dossiers()
    }

    /// The router.
    pub fn router(&self) -> Router {
        let r = if self.0.test_fault_endpoint {
            Router::new().route("/_test/fault", axum::routing::put(set_fault))
        } else {
            Router::new()
        };
        r.route("/v1/events:batch", post(events_batch))
            .route("/v1/dossiers/{code}", get(dossier))
            .route("/v1/catalog", get(catalog))
            .route("/v1/offices/{id}/config", get(office_config))
            .route("/v1/devices/health", post(device_health))
            // A full batch (1000 events) with large payloads stays well under this.
            .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024))
            .with_state(self.clone())
            // Counter recordings: the recorder's own mapping over the durable store, behind
            // the same signature check (chunk bodies are raw bytes whatever the content type).
            .merge(
                motcua_recorder::http::upload_routes(recordings::RecordingStore::new(self.clone())).route_layer(
                    axum::middleware::from_fn_with_state(self.clone(), recordings::authenticate_recording),
                ),
            )
    }

    /// Serve on `listener` until `shutdown` resolves.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), CentralError> {
        axum::serve(listener, self.router()).with_graceful_shutdown(shutdown).await?;
        Ok(())
    }

    fn now(&self) -> jiff::Timestamp {
        let now = jiff::Timestamp::now();
        match self.fault() {
            Fault::ClockSkew(s) => now.checked_add(jiff::SignedDuration::from_secs(s)).unwrap_or(now),
            _ => now,
        }
    }

    /// Check the signature headers; returns the device.
    // The error is the reply itself, returned straight from the handler: boxing buys nothing.
    #[allow(clippy::result_large_err)]
    fn authenticate(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<DeviceCred, Response> {
        let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        let (device, ts, nonce, sig) =
            (h(wire::H_DEVICE), h(wire::H_TIMESTAMP), h(wire::H_NONCE), h(wire::H_SIGNATURE));
        if device.is_empty() || ts.is_empty() || nonce.is_empty() || sig.is_empty() {
            return Err(err(StatusCode::UNAUTHORIZED, "unauthorized", "missing signature headers"));
        }
        let Some(cred) = self.0.devices.get(device) else {
            return Err(err(StatusCode::UNAUTHORIZED, "unknown_device", "unknown device"));
        };
        let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
        if !wire::verify(&cred.key, method.as_str(), path, body, ts, nonce, sig) {
            return Err(err(StatusCode::UNAUTHORIZED, "bad_signature", "signature does not match"));
        }
        let now = self.now();
        let Ok(t) = ts.parse::<jiff::Timestamp>() else {
            return Err(err(StatusCode::UNAUTHORIZED, "bad_timestamp", "timestamp is not RFC 3339 with offset"));
        };
        let skew = now.duration_since(t).unsigned_abs();
        if skew > self.0.window {
            let body = ApiError {
                code: "clock_skew".into(),
                message: format!(
                    "request time {ts} is {}s from the central's clock; the window is ±{}s",
                    skew.as_secs(),
                    self.0.window.as_secs()
                ),
                server_time: Some(wire::timestamp_rfc3339(now)),
            };
            return Err((StatusCode::UNAUTHORIZED, axum::Json(body)).into_response());
        }
        let mut nonces = lock(&self.0.nonces);
        let window = self.0.window;
        if nonces.len() > 100_000 {
            nonces.retain(|_, seen| now.duration_since(*seen).unsigned_abs() <= window);
        }
        if nonces.insert((device.to_string(), nonce.to_string()), now).is_some() {
            return Err(err(StatusCode::UNAUTHORIZED, "replayed_nonce", "nonce already used"));
        }
        Ok(cred.clone())
    }

    fn down(&self) -> Option<Response> {
        (self.fault() == Fault::Down).then(|| err(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "central is down"))
    }

    fn store(&self, cred: &DeviceCred, events: &[WireEvent]) -> Result<Vec<Ack>, rusqlite::Error> {
        let now = wire::timestamp_rfc3339(self.now());
        let mut db = lock(&self.0.db);
        let tx = db.transaction()?;
        let mut acks = Vec::with_capacity(events.len());
        let mut dups = 0u64;
        {
            let mut ins = tx.prepare_cached(
                "INSERT OR IGNORE INTO events (id, office_id, device_id, seq, kind, occurred_at, payload, received_at, via_device)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for ev in events {
                if let Some(reason) = invalid(cred, ev) {
                    acks.push(Ack { id: ev.id.clone(), status: AckStatus::Rejected, reason: Some(reason) });
                    continue;
                }
                let n = ins.execute(params![
                    ev.id,
                    ev.office_id,
                    ev.device_id,
                    ev.seq as i64,
                    ev.kind,
                    ev.occurred_at,
                    ev.payload.to_string(),
                    now,
                    cred.device_id
                ])?;
                let status = if n == 1 {
                    AckStatus::Accepted
                } else {
                    dups += 1;
                    AckStatus::Duplicate
                };
                acks.push(Ack { id: ev.id.clone(), status, reason: None });
            }
        }
        tx.commit()?;
        *lock(&self.0.duplicates) += dups;
        Ok(acks)
    }
}

fn invalid(cred: &DeviceCred, ev: &WireEvent) -> Option<String> {
    if uuid::Uuid::parse_str(&ev.id).is_err() {
        return Some("id is not a UUID".into());
    }
    if cred.office_id != "*" && cred.office_id != ev.office_id {
        return Some(format!("device {} may not send events for office {}", cred.device_id, ev.office_id));
    }
    if ev.kind.is_empty() {
        return Some("kind is empty".into());
    }
    if ev.occurred_at.parse::<jiff::Timestamp>().is_err() {
        return Some("occurred_at is not RFC 3339 with offset".into());
    }
    None
}

fn err(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(ApiError { code: code.into(), message: message.into(), server_time: None })).into_response()
}

async fn events_batch(
    State(s): State<CentralServer>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = s.down() {
        return r;
    }
    let cred = match s.authenticate(&method, &uri, &headers, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let fault = s.fault();
    if fault == Fault::ServerError {
        return err(StatusCode::INTERNAL_SERVER_ERROR, "internal", "injected server error");
    }
    let req: BatchRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return err(StatusCode::BAD_REQUEST, "bad_request", &e.to_string()),
    };
    let take = if fault == Fault::PartialAcks { req.events.len().div_ceil(2) } else { req.events.len() };
    let acks = match s.store(&cred, &req.events[..take]) {
        Ok(a) => a,
        Err(e) => return err(StatusCode::INTERNAL_SERVER_ERROR, "internal", &e.to_string()),
    };
    match fault {
        Fault::Slow(d) => tokio::time::sleep(d).await,
        Fault::Malformed => {
            return (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{\"acks\": [{\"id\": ")
                .into_response();
        }
        Fault::Reset => {
            let chunks: Vec<Result<Bytes, std::io::Error>> =
                vec![Ok(Bytes::from_static(b"{\"acks\":[")), Err(std::io::Error::other("injected reset"))];
            return (StatusCode::OK, Body::from_stream(futures_util::stream::iter(chunks))).into_response();
        }
        _ => {}
    }
    axum::Json(BatchReply { acks }).into_response()
}

async fn set_fault(State(s): State<CentralServer>, body: String) -> Response {
    match Fault::parse(&body) {
        Some(f) => {
            s.set_fault(f);
            (StatusCode::OK, format!("{f:?}")).into_response()
        }
        None => err(StatusCode::BAD_REQUEST, "bad_request", "unknown fault"),
    }
}

#[derive(Debug, Deserialize)]
struct SecretQuery {
    secret: Option<String>,
}

async fn dossier(
    State(s): State<CentralServer>,
    Path(code): Path<String>,
    Query(q): Query<SecretQuery>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = s.down() {
        return r;
    }
    if let Err(r) = s.authenticate(&method, &uri, &headers, &body) {
        return r;
    }
    let found: Result<Option<(String, String)>, rusqlite::Error> = {
        let db = lock(&s.0.db);
        db.query_row("SELECT secret, doc FROM dossiers WHERE code = ?1", [&code], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    };
    match found {
        // Same 404 for a wrong secret as for an unknown code: the secret guards existence too.
        Ok(Some((secret, doc)))
            if subtle::ConstantTimeEq::ct_eq(secret.as_bytes(), q.secret.unwrap_or_default().as_bytes()).into() =>
        {
            ([(header::CONTENT_TYPE, "application/json")], doc).into_response()
        }
        Ok(_) => err(StatusCode::NOT_FOUND, "not_found", "no dossier with this code and secret"),
        Err(e) => err(StatusCode::INTERNAL_SERVER_ERROR, "internal", &e.to_string()),
    }
}

async fn catalog(
    State(s): State<CentralServer>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = s.down() {
        return r;
    }
    if let Err(r) = s.authenticate(&method, &uri, &headers, &body) {
        return r;
    }
    axum::Json(seed::catalog()).into_response()
}

async fn office_config(
    State(s): State<CentralServer>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = s.down() {
        return r;
    }
    let cred = match s.authenticate(&method, &uri, &headers, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if cred.office_id != "*" && cred.office_id != id {
        return err(StatusCode::FORBIDDEN, "forbidden", "device belongs to another office");
    }
    axum::Json(seed::office_config(&id)).into_response()
}

async fn device_health(
    State(s): State<CentralServer>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = s.down() {
        return r;
    }
    let cred = match s.authenticate(&method, &uri, &headers, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return err(StatusCode::BAD_REQUEST, "bad_request", "body is not JSON");
    }
    let now = wire::timestamp_rfc3339(s.now());
    let r = {
        let db = lock(&s.0.db);
        db.execute(
            "INSERT INTO device_health (device_id, received_at, report) VALUES (?1, ?2, ?3)",
            params![cred.device_id, now, String::from_utf8_lossy(&body)],
        )
    };
    match r {
        Ok(_) => (StatusCode::ACCEPTED, axum::Json(serde_json::json!({"received_at": now}))).into_response(),
        Err(e) => err(StatusCode::INTERNAL_SERVER_ERROR, "internal", &e.to_string()),
    }
}

/// Open and serve until `shutdown` (what `motcua central` runs).
pub async fn serve(
    cfg: CentralConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CentralError> {
    CentralServer::open(cfg)?.serve(listener, shutdown).await
}

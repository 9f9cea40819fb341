//! Counter recordings at the reference central (issue 8): the receiving end of the recorder's
//! chunked, resumable, checksummed upload.
//!
//! Implements: [`RecordingStore`], a durable [`Uploader`] over the central's SQLite database
//! (table `recordings`) and a directory next to it (`<db dir>/recordings/<device>/`), mounted
//! through the recorder's own HTTP mapping ([`motcua_recorder::http::upload_routes`]) behind
//! the same HMAC device authentication as `/v1/events:batch` ([`authenticate_recording`]).
//!
//! Does not implement: playback, retention or deletion at the central, quotas per device.
//!
//! **Files.** Chunks are appended to `<device>/<upload_id>.part` only when their offset equals
//! the confirmed offset and their SHA-256 matches; the confirmed offset is committed to SQLite
//! after the chunk is synced, and the file is cut back to it before each write, so a crash or a
//! torn request can never leave unconfirmed bytes in the result. `finish` checks the length and
//! the whole-file SHA-256 against the declaration and renames the file to
//! `<device>/<clip_id>.mkv`; a mismatch discards the data (the client starts again from 0).
//!
//! **Devices.** An upload belongs to the device that began it: another device asking about it
//! gets `404`, and the same `clip_id` from two devices are two uploads.

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use motcua_recorder::upload::{UploadError, UploadRequest, UploadStatus, Uploader};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::{CentralServer, lock};

/// Largest request body on the recording routes (a chunk; the client sends 1 MiB).
pub const RECORDING_BODY_LIMIT: usize = 16 << 20;

/// Largest clip accepted (a counter session at 640x480/15 fps is well under 1 GiB).
pub const MAX_CLIP_BYTES: u64 = 8 << 30;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS recordings (
    upload_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    clip_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    counter TEXT NOT NULL,
    flagged INTEGER NOT NULL,
    meta TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    confirmed INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    UNIQUE (device_id, clip_id)
) STRICT;
";

tokio::task_local! {
    /// The device the signature middleware authenticated for the request being handled.
    static DEVICE: String;
}

/// One recording the central holds (finished or still uploading).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecording {
    /// Upload id.
    pub upload_id: String,
    /// Device that uploaded it.
    pub device_id: String,
    /// Clip id (`COUNTER-SESSION-STARTMS`).
    pub clip_id: String,
    /// Service session id.
    pub session_id: String,
    /// Counter id.
    pub counter: String,
    /// Rated "Không hài lòng".
    pub flagged: bool,
    /// Declared length.
    pub bytes: u64,
    /// Declared SHA-256 (lower-case hex).
    pub sha256: String,
    /// Bytes confirmed so far.
    pub confirmed: u64,
    /// The finished file (`None` while uploading).
    pub path: Option<PathBuf>,
}

/// The central's store of uploaded recordings; see the module docs.
#[derive(Clone, Debug)]
pub struct RecordingStore {
    server: CentralServer,
}

/// A file-name-safe id: ASCII letters, digits, `-`, `_`, `.`; not starting with `.`.
fn safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with('.')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn internal(what: &str, e: impl std::fmt::Display) -> UploadError {
    tracing::warn!("recordings: {what}: {e}");
    // Mapped to `500 internal` by the routes: the client retries.
    UploadError::Transport(format!("{what}: {e}"))
}

fn current_device() -> Result<String, UploadError> {
    DEVICE.try_with(Clone::clone).map_err(|_| UploadError::Rejected("request not authenticated".into()))
}

struct Row {
    device_id: String,
    clip_id: String,
    bytes: u64,
    sha256: String,
    confirmed: u64,
    finished: bool,
}

impl RecordingStore {
    pub(crate) fn new(server: CentralServer) -> Self {
        Self { server }
    }

    fn device_dir(&self, device: &str) -> PathBuf {
        self.server.0.recordings_dir.join(device)
    }

    fn part_path(&self, device: &str, upload_id: &str) -> PathBuf {
        self.device_dir(device).join(format!("{upload_id}.part"))
    }

    fn row(db: &rusqlite::Connection, device: &str, upload_id: &str) -> Result<Row, UploadError> {
        db.query_row(
            "SELECT device_id, clip_id, bytes, sha256, confirmed, finished_at IS NOT NULL
             FROM recordings WHERE upload_id = ?1 AND device_id = ?2",
            params![upload_id, device],
            |r| {
                Ok(Row {
                    device_id: r.get(0)?,
                    clip_id: r.get(1)?,
                    bytes: r.get::<_, i64>(2)? as u64,
                    sha256: r.get(3)?,
                    confirmed: r.get::<_, i64>(4)? as u64,
                    finished: r.get(5)?,
                })
            },
        )
        .optional()
        .map_err(|e| internal("reading the upload", e))?
        .ok_or(UploadError::UnknownUpload)
    }

    /// Recordings held, oldest first.
    pub(crate) fn list(&self) -> Result<Vec<StoredRecording>, rusqlite::Error> {
        let db = lock(&self.server.0.db);
        let mut st = db.prepare(
            "SELECT upload_id, device_id, clip_id, session_id, counter, flagged, bytes, sha256, confirmed,
                    finished_at IS NOT NULL
             FROM recordings ORDER BY created_at, upload_id",
        )?;
        let rows = st.query_map([], |r| {
            let device_id: String = r.get(1)?;
            let clip_id: String = r.get(2)?;
            let finished: bool = r.get(9)?;
            Ok(StoredRecording {
                path: finished.then(|| self.device_dir(&device_id).join(format!("{clip_id}.mkv"))),
                upload_id: r.get(0)?,
                device_id,
                clip_id,
                session_id: r.get(3)?,
                counter: r.get(4)?,
                flagged: r.get(5)?,
                bytes: r.get::<_, i64>(6)? as u64,
                sha256: r.get(7)?,
                confirmed: r.get::<_, i64>(8)? as u64,
            })
        })?;
        rows.collect()
    }
}

fn now() -> String {
    motcua_relay::wire::timestamp_rfc3339(jiff::Timestamp::now())
}

fn fsync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Uploader for RecordingStore {
    async fn begin(&self, req: &UploadRequest) -> Result<(String, UploadStatus), UploadError> {
        let device = current_device()?;
        let m = &req.meta;
        if !safe_segment(&device) {
            return Err(UploadError::Rejected(format!("device id {device:?} cannot name a directory")));
        }
        if !safe_segment(&m.clip_id) {
            return Err(UploadError::Rejected(format!("clip id {:?} is not file-name safe", m.clip_id)));
        }
        if !is_sha256_hex(&req.sha256) {
            return Err(UploadError::Rejected("sha256 must be 64 lower-case hex digits".into()));
        }
        if req.bytes == 0 || req.bytes > MAX_CLIP_BYTES {
            return Err(UploadError::Rejected(format!("clip length {} out of range", req.bytes)));
        }
        let meta = serde_json::to_string(req).map_err(|e| internal("encoding metadata", e))?;
        let db = lock(&self.server.0.db);
        let existing: Option<(String, u64, String, u64, bool)> = db
            .query_row(
                "SELECT upload_id, bytes, sha256, confirmed, finished_at IS NOT NULL
                 FROM recordings WHERE device_id = ?1 AND clip_id = ?2",
                params![device, m.clip_id],
                |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get(2)?, r.get::<_, i64>(3)? as u64, r.get(4)?)),
            )
            .optional()
            .map_err(|e| internal("reading the upload", e))?;
        match existing {
            // Resume (or an already finished clip): the rating may have changed since.
            Some((id, bytes, sha, confirmed, finished)) if bytes == req.bytes && sha == req.sha256 => {
                db.execute(
                    "UPDATE recordings SET flagged = ?1, meta = ?2 WHERE upload_id = ?3",
                    params![req.flagged, meta, id],
                )
                .map_err(|e| internal("updating the upload", e))?;
                Ok((id, UploadStatus { confirmed_offset: confirmed, finished }))
            }
            Some((_, _, _, _, true)) => Err(UploadError::Rejected(format!(
                "clip {} was already received with another length or checksum",
                m.clip_id
            ))),
            Some((id, ..)) => {
                // The device declares a different file for an unfinished upload: start over.
                let _ = std::fs::remove_file(self.part_path(&device, &id));
                db.execute(
                    "UPDATE recordings SET bytes = ?1, sha256 = ?2, confirmed = 0, flagged = ?3, meta = ?4
                     WHERE upload_id = ?5",
                    params![req.bytes as i64, req.sha256, req.flagged, meta, id],
                )
                .map_err(|e| internal("updating the upload", e))?;
                Ok((id, UploadStatus { confirmed_offset: 0, finished: false }))
            }
            None => {
                std::fs::create_dir_all(self.device_dir(&device))
                    .map_err(|e| internal("creating the recordings directory", e))?;
                let id = uuid::Uuid::now_v7().to_string();
                db.execute(
                    "INSERT INTO recordings (upload_id, device_id, clip_id, session_id, counter, flagged, meta,
                                             bytes, sha256, confirmed, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10)",
                    params![
                        id,
                        device,
                        m.clip_id,
                        m.session_id,
                        m.counter,
                        req.flagged,
                        meta,
                        req.bytes as i64,
                        req.sha256,
                        now()
                    ],
                )
                .map_err(|e| internal("recording the upload", e))?;
                tracing::info!(%device, clip = %m.clip_id, bytes = req.bytes, "recording upload begun");
                Ok((id, UploadStatus { confirmed_offset: 0, finished: false }))
            }
        }
    }

    async fn status(&self, upload_id: &str) -> Result<UploadStatus, UploadError> {
        let device = current_device()?;
        let db = lock(&self.server.0.db);
        let row = Self::row(&db, &device, upload_id)?;
        Ok(UploadStatus { confirmed_offset: row.confirmed, finished: row.finished })
    }

    async fn put_chunk(
        &self,
        upload_id: &str,
        offset: u64,
        bytes: &[u8],
        sha256: [u8; 32],
    ) -> Result<u64, UploadError> {
        let device = current_device()?;
        // The database lock also serialises chunks of one upload.
        let db = lock(&self.server.0.db);
        let row = Self::row(&db, &device, upload_id)?;
        if row.finished {
            return Err(UploadError::Rejected("upload already finished".into()));
        }
        if offset != row.confirmed {
            return Err(UploadError::OffsetMismatch { confirmed: row.confirmed });
        }
        let got: [u8; 32] = Sha256::digest(bytes).into();
        if got != sha256 {
            return Err(UploadError::ChecksumMismatch);
        }
        let end = offset.saturating_add(bytes.len() as u64);
        if end > row.bytes {
            return Err(UploadError::Rejected(format!("chunk ends at {end}, past the declared {} bytes", row.bytes)));
        }
        let path = self.part_path(&row.device_id, upload_id);
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new().create(true).write(true).truncate(false).open(&path)?;
            // Bytes past the confirmed offset are from a chunk whose commit never happened.
            f.set_len(offset)?;
            f.seek(SeekFrom::Start(offset))?;
            f.write_all(bytes)?;
            f.sync_data()
        };
        write().map_err(|e| internal("storing the chunk", e))?;
        db.execute(
            "UPDATE recordings SET confirmed = ?1 WHERE upload_id = ?2 AND confirmed = ?3",
            params![end as i64, upload_id, offset as i64],
        )
        .map_err(|e| internal("confirming the chunk", e))?;
        Ok(end)
    }

    async fn finish(&self, upload_id: &str, bytes: u64, sha256: &str) -> Result<(), UploadError> {
        let device = current_device()?;
        let db = lock(&self.server.0.db);
        let row = Self::row(&db, &device, upload_id)?;
        if row.finished {
            return if row.bytes == bytes && row.sha256 == sha256 {
                Ok(())
            } else {
                Err(UploadError::ChecksumMismatch)
            };
        }
        let part = self.part_path(&row.device_id, upload_id);
        let actual = if row.confirmed == bytes && row.bytes == bytes && row.sha256 == sha256 {
            motcua_recorder::storage::file_sha256(&part).map_err(|e| internal("hashing the clip", e))?
        } else {
            String::new()
        };
        if actual != sha256 {
            // Whatever arrived is not the declared file: discard it, the client starts over.
            let _ = std::fs::remove_file(&part);
            db.execute("UPDATE recordings SET confirmed = 0 WHERE upload_id = ?1", params![upload_id])
                .map_err(|e| internal("resetting the upload", e))?;
            return Err(UploadError::ChecksumMismatch);
        }
        let dir = self.device_dir(&row.device_id);
        std::fs::rename(&part, dir.join(format!("{}.mkv", row.clip_id)))
            .map_err(|e| internal("storing the clip", e))?;
        fsync_dir(&dir);
        db.execute("UPDATE recordings SET finished_at = ?1 WHERE upload_id = ?2", params![now(), upload_id])
            .map_err(|e| internal("finishing the upload", e))?;
        tracing::info!(device = %row.device_id, clip = %row.clip_id, bytes, "recording received");
        Ok(())
    }
}

/// Middleware of the recording routes: refuses while the central is [`crate::Fault::Down`],
/// checks the HMAC signature over method, path and the whole body exactly as for
/// `/v1/events:batch`, and runs the route with the authenticated device known to the store.
pub async fn authenticate_recording(State(s): State<CentralServer>, req: Request, next: Next) -> Response {
    if let Some(r) = s.down() {
        return r;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, RECORDING_BODY_LIMIT).await else {
        return crate::err(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "request body too large or interrupted",
        );
    };
    let cred = match s.authenticate(&parts.method, &parts.uri, &parts.headers, &bytes) {
        Ok(c) => c,
        Err(r) => return r,
    };
    DEVICE.scope(cred.device_id, next.run(Request::from_parts(parts, Body::from(bytes)))).await
}

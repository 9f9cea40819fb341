//! Chunked, resumable, checksummed clip upload: the [`Uploader`] protocol, the driver that
//! pushes one clip through it, and an in-memory reference receiver with fault injection.
//!
//! Implements: [`Uploader`] (begin / status / put_chunk / finish), [`upload_clip`] (resume from
//! the receiver's confirmed offset, SHA-256 per chunk and for the whole file, bounded retries),
//! [`MemoryReceiver`] (verifies every checksum; can drop a connection mid-chunk, corrupt a
//! chunk in transit, or be unavailable).
//!
//! Does not implement: HTTP (see [`crate::http`]: the signed client and the reference routes)
//! or scheduling (call [`upload_clip`] for each of
//! [`crate::storage::Store::pending_uploads`] when the relay is online).
//!
//! # Suggested HTTP mapping (for the reference central)
//!
//! Every request is HMAC-signed like `/v1/events:batch` (`x-motcua-device`, `-timestamp`,
//! `-nonce`, `-signature`; the signed body hash covers the chunk bytes).
//!
//! | call | HTTP | reply |
//! |---|---|---|
//! | `begin(meta)` | `POST /v1/recordings` body [`UploadRequest`] JSON ([`ClipMeta`] fields + `bytes`, `sha256`, `flagged`) | `200 {"upload_id","confirmed_offset","finished"}` — idempotent by `clip_id`: the same clip gets the same id back |
//! | `status(id)` | `GET /v1/recordings/{upload_id}` | `200 {"confirmed_offset","finished"}`; `404 not_found` → begin again |
//! | `put_chunk(id, off, bytes, sha)` | `PUT /v1/recordings/{upload_id}/chunks/{offset}`, raw bytes as the body, header `x-motcua-chunk-sha256: <hex>` | `200 {"confirmed_offset"}`; `409 offset_mismatch {"confirmed_offset"}` when `offset` ≠ the confirmed offset; `422 checksum_mismatch` (chunk discarded) |
//! | `finish(id, len, sha)` | `POST /v1/recordings/{upload_id}/finish` body `{"bytes","sha256"}` | `200 {}`; `422 checksum_mismatch` (the receiver discards the data and resets the offset to 0) |
//!
//! The receiver appends a chunk only when its SHA-256 matches and its offset equals the
//! confirmed offset, so a torn or replayed request can never corrupt the stored file; a
//! client that lost a reply asks `status` and continues from there.

use std::collections::HashMap;
use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::storage::{ClipMeta, ClipRecord};

/// Why an upload call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// Connection refused/reset/timed out; nothing is known about the request: ask `status`.
    #[error("upload transport: {0}")]
    Transport(String),
    /// The receiver is temporarily unavailable; retry later.
    #[error("upload receiver unavailable")]
    Unavailable,
    /// A chunk (or the whole file) did not match its checksum at the receiver.
    #[error("checksum mismatch at the receiver")]
    ChecksumMismatch,
    /// The chunk's offset is not the receiver's confirmed offset.
    #[error("offset mismatch: receiver has {confirmed} bytes")]
    OffsetMismatch {
        /// The receiver's confirmed offset.
        confirmed: u64,
    },
    /// The receiver does not know this upload id (expired): begin again.
    #[error("unknown upload id")]
    UnknownUpload,
    /// The receiver refuses this clip for good.
    #[error("upload rejected: {0}")]
    Rejected(String),
    /// The local clip changed or could not be read.
    #[error("local clip: {0}")]
    Local(String),
    /// Gave up after the retry budget.
    #[error("gave up after {attempts} attempts; last error: {last}")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last: String,
    },
}

impl UploadError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            UploadError::Transport(_)
                | UploadError::Unavailable
                | UploadError::ChecksumMismatch
                | UploadError::OffsetMismatch { .. }
                | UploadError::UnknownUpload
                | UploadError::GaveUp { .. }
        )
    }
}

/// What `begin` sends besides the session metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRequest {
    /// Session metadata.
    #[serde(flatten)]
    pub meta: ClipMeta,
    /// File length.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
    /// Rated "Không hài lòng".
    pub flagged: bool,
}

/// Receiver state of one upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadStatus {
    /// Bytes stored and verified so far.
    pub confirmed_offset: u64,
    /// `finish` succeeded.
    pub finished: bool,
}

/// The receiving side of clip uploads (the central, reached through the relay).
pub trait Uploader: Send + Sync {
    /// Starts (or finds, by `clip_id`) an upload; returns its id and state.
    fn begin(&self, req: &UploadRequest) -> impl Future<Output = Result<(String, UploadStatus), UploadError>> + Send;
    /// The receiver's state of an upload.
    fn status(&self, upload_id: &str) -> impl Future<Output = Result<UploadStatus, UploadError>> + Send;
    /// Appends `bytes` at `offset` (which must be the confirmed offset); `sha256` is of `bytes`.
    /// Returns the new confirmed offset.
    fn put_chunk(
        &self,
        upload_id: &str,
        offset: u64,
        bytes: &[u8],
        sha256: [u8; 32],
    ) -> impl Future<Output = Result<u64, UploadError>> + Send;
    /// Completes the upload; the receiver checks the length and whole-file SHA-256.
    fn finish(&self, upload_id: &str, bytes: u64, sha256: &str)
    -> impl Future<Output = Result<(), UploadError>> + Send;
}

/// Upload driver settings.
#[derive(Debug, Clone, Copy)]
pub struct UploadConfig {
    /// Chunk size in bytes.
    pub chunk_bytes: usize,
    /// Failed calls tolerated within one [`upload_clip`] run before it gives up.
    pub max_failures: u32,
    /// Pause after a failed call (doubles each time, capped at 16×).
    pub retry_delay: Duration,
}

impl Default for UploadConfig {
    fn default() -> Self {
        Self { chunk_bytes: 1 << 20, max_failures: 8, retry_delay: Duration::from_millis(500) }
    }
}

/// Progress report of [`upload_clip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadOutcome {
    /// Offset the upload resumed from (0 for a fresh upload).
    pub resumed_from: u64,
    /// Chunks accepted in this run.
    pub chunks_sent: u64,
    /// Failed calls that were retried.
    pub retries: u32,
}

fn read_chunk(f: &mut std::fs::File, offset: u64, len: usize) -> Result<Vec<u8>, UploadError> {
    let local = |e: std::io::Error| UploadError::Local(e.to_string());
    f.seek(SeekFrom::Start(offset)).map_err(local)?;
    let mut buf = Vec::with_capacity(len);
    f.by_ref().take(len as u64).read_to_end(&mut buf).map_err(local)?;
    Ok(buf)
}

/// Uploads one finished clip at `path`, resuming where the receiver is. `on_upload_id` is
/// called once the upload id is known (store it: [`crate::storage::Store::set_upload_id`]).
/// On success the caller marks the clip uploaded ([`crate::storage::Store::mark_uploaded`]).
pub async fn upload_clip<U: Uploader>(
    uploader: &U,
    clip: &ClipRecord,
    path: &Path,
    cfg: UploadConfig,
    mut on_upload_id: impl FnMut(&str),
) -> Result<UploadOutcome, UploadError> {
    let mut f = std::fs::File::open(path).map_err(|e| UploadError::Local(e.to_string()))?;
    let len = f.metadata().map_err(|e| UploadError::Local(e.to_string()))?.len();
    if len != clip.bytes {
        return Err(UploadError::Local(format!("clip is {len} bytes on disk, {} in the index", clip.bytes)));
    }
    let req = UploadRequest {
        meta: clip.meta.clone(),
        bytes: clip.bytes,
        sha256: clip.sha256.clone(),
        flagged: clip.flagged,
    };
    let chunk = cfg.chunk_bytes.max(1);
    let mut out = UploadOutcome::default();
    let mut failures = 0u32;
    let mut id: Option<String> = None;
    let mut confirmed: Option<u64> = None;
    let mut first = true;
    loop {
        let step: Result<bool, UploadError> = async {
            let upload_id = match &id {
                Some(i) => i.clone(),
                None => {
                    let (i, st) = uploader.begin(&req).await?;
                    on_upload_id(&i);
                    id = Some(i.clone());
                    confirmed = Some(st.confirmed_offset);
                    if st.finished {
                        return Ok(true);
                    }
                    i
                }
            };
            let offset = match confirmed {
                Some(o) => o,
                None => {
                    let st = uploader.status(&upload_id).await?;
                    if st.finished {
                        return Ok(true);
                    }
                    confirmed = Some(st.confirmed_offset);
                    st.confirmed_offset
                }
            };
            if first {
                out.resumed_from = offset;
                first = false;
            }
            if offset > len {
                return Err(UploadError::Rejected(format!("receiver has {offset} bytes of a {len}-byte clip")));
            }
            if offset == len {
                uploader.finish(&upload_id, len, &clip.sha256).await?;
                return Ok(true);
            }
            let bytes = read_chunk(&mut f, offset, chunk)?;
            if bytes.is_empty() {
                return Err(UploadError::Local("clip shrank while uploading".into()));
            }
            let sha: [u8; 32] = Sha256::digest(&bytes).into();
            let next = uploader.put_chunk(&upload_id, offset, &bytes, sha).await?;
            out.chunks_sent += 1;
            confirmed = Some(next);
            Ok(false)
        }
        .await;
        match step {
            Ok(true) => return Ok(out),
            Ok(false) => {}
            Err(e) if !e.is_transient() => return Err(e),
            Err(e) => {
                failures += 1;
                out.retries += 1;
                if failures > cfg.max_failures {
                    return Err(UploadError::GaveUp { attempts: failures, last: e.to_string() });
                }
                match e {
                    UploadError::UnknownUpload => id = None,
                    UploadError::OffsetMismatch { confirmed: c } => confirmed = Some(c),
                    // After a whole-file mismatch the receiver reset to 0; after anything else
                    // we do not know what arrived: ask.
                    _ => confirmed = None,
                }
                let backoff = cfg.retry_delay.saturating_mul(1 << (failures - 1).min(4));
                tokio::time::sleep(backoff).await;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reference receiver

/// A misbehaviour of [`MemoryReceiver`], applied to the next `put_chunk` (or any call for
/// `Unavailable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiverFault {
    /// The connection drops after this many bytes of the chunk arrived: nothing is stored,
    /// the client sees a transport error.
    DropMidChunk {
        /// Bytes that arrived before the drop.
        after: usize,
    },
    /// One byte of the chunk is flipped in transit (the receiver's checksum catches it).
    CorruptChunk,
    /// The chunk is stored but the reply is lost (the client must ask `status`).
    LoseReply,
    /// The next call fails with 503.
    Unavailable,
}

#[derive(Debug, Default)]
struct Upload {
    req: Option<UploadRequest>,
    data: Vec<u8>,
    finished: bool,
}

#[derive(Debug, Default)]
struct RxState {
    uploads: HashMap<String, Upload>,
    by_clip: HashMap<String, String>,
    faults: Vec<ReceiverFault>,
    next_id: u64,
    rejected_chunks: u64,
    torn_chunks: u64,
}

/// In-memory reference receiver: verifies chunk and file checksums, keeps finished files.
#[derive(Debug, Clone, Default)]
pub struct MemoryReceiver {
    state: Arc<Mutex<RxState>>,
}

impl MemoryReceiver {
    /// An empty receiver.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, RxState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues faults, applied in order.
    pub fn inject(&self, fault: ReceiverFault) {
        self.lock().faults.push(fault);
    }

    /// The finished file of a clip, if its upload completed.
    pub fn finished_file(&self, clip_id: &str) -> Option<Vec<u8>> {
        let st = self.lock();
        let id = st.by_clip.get(clip_id)?;
        st.uploads.get(id).filter(|u| u.finished).map(|u| u.data.clone())
    }

    /// Bytes confirmed for a clip (finished or not).
    pub fn confirmed(&self, clip_id: &str) -> Option<u64> {
        let st = self.lock();
        let id = st.by_clip.get(clip_id)?;
        st.uploads.get(id).map(|u| u.data.len() as u64)
    }

    /// (chunks refused for a bad checksum, chunks torn by a dropped connection).
    pub fn fault_counts(&self) -> (u64, u64) {
        let st = self.lock();
        (st.rejected_chunks, st.torn_chunks)
    }

    fn take_fault(st: &mut RxState, want: impl Fn(&ReceiverFault) -> bool) -> Option<ReceiverFault> {
        let i = st.faults.iter().position(want)?;
        Some(st.faults.remove(i))
    }
}

impl Uploader for MemoryReceiver {
    async fn begin(&self, req: &UploadRequest) -> Result<(String, UploadStatus), UploadError> {
        let mut st = self.lock();
        if Self::take_fault(&mut st, |f| *f == ReceiverFault::Unavailable).is_some() {
            return Err(UploadError::Unavailable);
        }
        if let Some(id) = st.by_clip.get(&req.meta.clip_id).cloned() {
            let u = st.uploads.get(&id).ok_or(UploadError::UnknownUpload)?;
            return Ok((id, UploadStatus { confirmed_offset: u.data.len() as u64, finished: u.finished }));
        }
        st.next_id += 1;
        let id = format!("up-{}", st.next_id);
        st.uploads.insert(id.clone(), Upload { req: Some(req.clone()), ..Upload::default() });
        st.by_clip.insert(req.meta.clip_id.clone(), id.clone());
        Ok((id, UploadStatus { confirmed_offset: 0, finished: false }))
    }

    async fn status(&self, upload_id: &str) -> Result<UploadStatus, UploadError> {
        let mut st = self.lock();
        if Self::take_fault(&mut st, |f| *f == ReceiverFault::Unavailable).is_some() {
            return Err(UploadError::Unavailable);
        }
        let u = st.uploads.get(upload_id).ok_or(UploadError::UnknownUpload)?;
        Ok(UploadStatus { confirmed_offset: u.data.len() as u64, finished: u.finished })
    }

    async fn put_chunk(
        &self,
        upload_id: &str,
        offset: u64,
        bytes: &[u8],
        sha256: [u8; 32],
    ) -> Result<u64, UploadError> {
        let mut st = self.lock();
        let fault = Self::take_fault(&mut st, |_| true);
        let mut arrived = bytes.to_vec();
        match fault {
            Some(ReceiverFault::Unavailable) => return Err(UploadError::Unavailable),
            Some(ReceiverFault::DropMidChunk { after }) => {
                // The receiver saw a short body: it never stores a chunk whose body is short.
                st.torn_chunks += 1;
                return Err(UploadError::Transport(format!("connection reset after {after} bytes")));
            }
            Some(ReceiverFault::CorruptChunk) => {
                let mid = arrived.len() / 2;
                if let Some(b) = arrived.get_mut(mid) {
                    *b ^= 0x5A;
                }
            }
            Some(ReceiverFault::LoseReply) | None => {}
        }
        let u = st.uploads.get_mut(upload_id).ok_or(UploadError::UnknownUpload)?;
        if u.finished {
            return Err(UploadError::Rejected("upload already finished".into()));
        }
        let confirmed = u.data.len() as u64;
        if offset != confirmed {
            return Err(UploadError::OffsetMismatch { confirmed });
        }
        let got: [u8; 32] = Sha256::digest(&arrived).into();
        if got != sha256 {
            st.rejected_chunks += 1;
            return Err(UploadError::ChecksumMismatch);
        }
        u.data.extend_from_slice(&arrived);
        let now = u.data.len() as u64;
        if fault == Some(ReceiverFault::LoseReply) {
            return Err(UploadError::Transport("reply lost".into()));
        }
        Ok(now)
    }

    async fn finish(&self, upload_id: &str, bytes: u64, sha256: &str) -> Result<(), UploadError> {
        let mut st = self.lock();
        if Self::take_fault(&mut st, |f| *f == ReceiverFault::Unavailable).is_some() {
            return Err(UploadError::Unavailable);
        }
        let u = st.uploads.get_mut(upload_id).ok_or(UploadError::UnknownUpload)?;
        let declared = u.req.as_ref().map(|r| (r.bytes, r.sha256.clone()));
        let actual = hex::encode(Sha256::digest(&u.data));
        let ok =
            u.data.len() as u64 == bytes && actual == sha256 && declared.is_none_or(|(b, s)| b == bytes && s == sha256);
        if !ok {
            u.data.clear();
            return Err(UploadError::ChecksumMismatch);
        }
        u.finished = true;
        Ok(())
    }
}

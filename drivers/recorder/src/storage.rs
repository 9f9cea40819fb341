//! The clip store: a directory of finished clips, a JSON index, a disk budget, retention, and
//! start-up recovery of partial recordings.
//!
//! Implements: [`Store`] — admission against the budget with oldest-first eviction of clips
//! already uploaded, deletion after confirmed upload plus the retention period (longer for
//! clips flagged "Không hài lòng"), upload progress that survives restarts, and recovery of
//! `NAME.mkv.partial` files (finalised through [`crate::mkv::recover`] or discarded).
//!
//! Does not implement: uploading (see [`crate::upload`]) or a wall clock: every time-dependent
//! call takes `now` in Unix seconds, so tests drive time.
//!
//! **Files.** A recording is written to `ID.mkv.partial` next to a sidecar `ID.json` holding
//! its session metadata; finishing fsyncs and renames it to `ID.mkv`, then records it in
//! `index.json` (written to a temporary file, fsynced and renamed) and removes the sidecar.
//! A crash at any step leaves a sidecar whose clip is not indexed; [`Store::open`] then
//! re-scans that clip (partial or renamed) and indexes it, or deletes it. A partial file is
//! never indexed as-is, so it can never be uploaded.
//!
//! **Budget.** Finished clips plus the reservation of the recording in progress must fit the
//! budget. To admit a recording, uploaded clips are evicted oldest first (unflagged before
//! flagged). Clips not yet uploaded are never evicted: if they alone leave no room, the
//! recording is refused with [`Error::BudgetExhausted`] and [`Store::health`] says so.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::mkv::{self, Recovery};

/// The citizen's rating of the session (the national levels of QĐ 766/QĐ-TTg).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// Rất hài lòng.
    VerySatisfied,
    /// Hài lòng.
    Satisfied,
    /// Không hài lòng: the clip is flagged and kept longer.
    Unsatisfied,
}

/// Who and what a clip is about; sent with the upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClipMeta {
    /// Unique clip id (`COUNTER-SESSION-STARTMS`, file-name safe).
    pub clip_id: String,
    /// Service session id (from the hub).
    pub session_id: String,
    /// Counter id.
    pub counter: String,
    /// Officer id.
    pub officer: String,
    /// Ticket number.
    pub ticket: String,
    /// Wall-clock start, Unix milliseconds.
    pub started_at_ms: u64,
    /// Container and codecs, for the receiver: `video/x-matroska; codecs="mjpeg,pcm_s16le"`.
    pub content_type: String,
}

/// One finished clip in the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClipRecord {
    /// Session metadata.
    pub meta: ClipMeta,
    /// The session's rating, if the citizen rated.
    pub rating: Option<Rating>,
    /// Rated "Không hài lòng": kept for the flagged retention.
    pub flagged: bool,
    /// Finalised by start-up recovery after a crash (the end of the session may be missing).
    pub recovered: bool,
    /// Length in bytes.
    pub bytes: u64,
    /// Duration in milliseconds.
    pub duration_ms: u64,
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
    /// When it was indexed (Unix seconds): the eviction order.
    pub created_at: u64,
    /// When the central confirmed the whole upload (Unix seconds).
    pub uploaded_at: Option<u64>,
    /// The receiver's upload id, once `begin` succeeded (kept for resuming).
    pub upload_id: Option<String>,
}

impl ClipRecord {
    /// File name of the finished clip.
    pub fn file_name(&self) -> String {
        format!("{}.mkv", self.meta.clip_id)
    }
}

/// Store settings.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Directory holding clips and the index (created if missing).
    pub dir: PathBuf,
    /// Disk budget for finished clips plus the recording in progress.
    pub budget_bytes: u64,
    /// Space a new recording reserves (size of the longest expected session).
    pub reserve_bytes: u64,
    /// How long an uploaded clip is kept locally, in seconds.
    pub retention_secs: u64,
    /// How long an uploaded flagged ("Không hài lòng") clip is kept locally, in seconds.
    pub flagged_retention_secs: u64,
}

impl StoreConfig {
    /// Defaults: 8 GiB budget, 200 MiB reserve (about 10 min at 640x480/15 fps), 7 days
    /// retention, 90 days for flagged clips.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            budget_bytes: 8 << 30,
            reserve_bytes: 200 << 20,
            retention_secs: 7 * 86_400,
            flagged_retention_secs: 90 * 86_400,
        }
    }
}

/// What the disk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Usage {
    /// Finished clips.
    pub clips: usize,
    /// Bytes of all finished clips.
    pub bytes: u64,
    /// Bytes of clips not yet uploaded.
    pub unuploaded_bytes: u64,
    /// The budget.
    pub budget_bytes: u64,
}

/// What happened to one file at start-up or during a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreEvent {
    /// A partial recording was finalised and indexed.
    Recovered {
        /// Clip id.
        clip_id: String,
        /// Its length after recovery.
        duration_ms: u64,
    },
    /// A partial recording was unusable and deleted.
    Discarded {
        /// Clip id (or file name when there was no sidecar).
        clip_id: String,
        /// Why.
        reason: String,
    },
    /// An uploaded clip was evicted to make room.
    Evicted {
        /// Clip id.
        clip_id: String,
    },
    /// An uploaded clip passed its retention and was deleted.
    Expired {
        /// Clip id.
        clip_id: String,
    },
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct IndexFile {
    version: u32,
    clips: Vec<ClipRecord>,
}

const INDEX: &str = "index.json";

/// The clip store. Not thread-safe by itself: share it as `Arc<Mutex<Store>>`.
#[derive(Debug)]
pub struct Store {
    cfg: StoreConfig,
    clips: Vec<ClipRecord>,
    refused: Option<String>,
}

/// SHA-256 of a file, streamed.
pub fn file_sha256(path: &Path) -> Result<String, Error> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex::encode(h.finalize()))
}

fn fsync_dir(dir: &Path) {
    // Makes the rename durable; not all filesystems allow opening a directory, so best effort.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Store {
    /// Opens (or creates) the store, then recovers or discards every unindexed recording.
    pub fn open(cfg: StoreConfig, now: u64) -> Result<(Self, Vec<StoreEvent>), Error> {
        std::fs::create_dir_all(&cfg.dir)?;
        let index_path = cfg.dir.join(INDEX);
        let clips = match std::fs::read(&index_path) {
            Ok(b) => serde_json::from_slice::<IndexFile>(&b).map_err(|e| Error::Index(e.to_string()))?.clips,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut store = Self { cfg, clips, refused: None };
        // Drop index entries whose file vanished (deleted by hand).
        let dir = store.cfg.dir.clone();
        store.clips.retain(|c| dir.join(c.file_name()).exists());
        let events = store.recover_all(now)?;
        store.save()?;
        Ok((store, events))
    }

    fn recover_all(&mut self, now: u64) -> Result<Vec<StoreEvent>, Error> {
        let mut events = Vec::new();
        let mut names: Vec<String> = std::fs::read_dir(&self.cfg.dir)?
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        for name in &names {
            if let Some(id) = name.strip_suffix(".json").filter(|_| name != INDEX) {
                if self.clips.iter().any(|c| c.meta.clip_id == id) {
                    let _ = std::fs::remove_file(self.cfg.dir.join(name));
                    continue;
                }
                events.push(self.recover_one(id, now)?);
            } else if let Some(stem) = name.strip_suffix(".mkv.partial") {
                // A partial without a sidecar cannot be attributed to a session.
                if !names.iter().any(|n| n == &format!("{stem}.json")) {
                    std::fs::remove_file(self.cfg.dir.join(name))?;
                    events
                        .push(StoreEvent::Discarded { clip_id: stem.to_owned(), reason: "no session sidecar".into() });
                }
            } else if name.ends_with(".tmp") {
                let _ = std::fs::remove_file(self.cfg.dir.join(name));
            }
        }
        Ok(events)
    }

    fn recover_one(&mut self, id: &str, now: u64) -> Result<StoreEvent, Error> {
        let sidecar = self.cfg.dir.join(format!("{id}.json"));
        let partial = self.cfg.dir.join(format!("{id}.mkv.partial"));
        let done = self.cfg.dir.join(format!("{id}.mkv"));
        let meta = std::fs::read(&sidecar).ok().and_then(|b| serde_json::from_slice::<ClipMeta>(&b).ok());
        let path = if partial.exists() { partial.clone() } else { done.clone() };
        let discard = |this: &Self, reason: String| -> Result<StoreEvent, Error> {
            for p in [&partial, &done, &sidecar] {
                match std::fs::remove_file(p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
            fsync_dir(&this.cfg.dir);
            Ok(StoreEvent::Discarded { clip_id: id.to_owned(), reason })
        };
        let Some(meta) = meta.filter(|m| m.clip_id == id) else {
            return discard(self, "unreadable session sidecar".into());
        };
        if !path.exists() {
            return discard(self, "no media file".into());
        }
        let summary = match mkv::recover(&path)? {
            Recovery::Finalised(s) => s,
            Recovery::Discard(why) => return discard(self, why),
        };
        if path == partial {
            std::fs::rename(&partial, &done)?;
            fsync_dir(&self.cfg.dir);
        }
        let record = ClipRecord {
            sha256: file_sha256(&done)?,
            meta,
            rating: None,
            flagged: false,
            recovered: true,
            bytes: summary.bytes,
            duration_ms: summary.duration_ms,
            created_at: now,
            uploaded_at: None,
            upload_id: None,
        };
        let ev = StoreEvent::Recovered { clip_id: id.to_owned(), duration_ms: summary.duration_ms };
        self.clips.push(record);
        self.save()?;
        let _ = std::fs::remove_file(&sidecar);
        Ok(ev)
    }

    /// The settings.
    pub fn config(&self) -> &StoreConfig {
        &self.cfg
    }

    fn save(&self) -> Result<(), Error> {
        use std::io::Write;
        let tmp = self.cfg.dir.join("index.json.tmp");
        let body = serde_json::to_vec_pretty(&IndexFile { version: 1, clips: self.clips.clone() })
            .map_err(|e| Error::Index(e.to_string()))?;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&body)?;
        f.sync_all()?;
        std::fs::rename(&tmp, self.cfg.dir.join(INDEX))?;
        fsync_dir(&self.cfg.dir);
        Ok(())
    }

    /// Disk usage of finished clips.
    pub fn usage(&self) -> Usage {
        Usage {
            clips: self.clips.len(),
            bytes: self.clips.iter().map(|c| c.bytes).sum(),
            unuploaded_bytes: self.clips.iter().filter(|c| c.uploaded_at.is_none()).map(|c| c.bytes).sum(),
            budget_bytes: self.cfg.budget_bytes,
        }
    }

    /// `Err(message)` while new recordings are refused for lack of space (cleared by the next
    /// successful admission).
    pub fn health(&self) -> Result<(), String> {
        match &self.refused {
            Some(m) => Err(m.clone()),
            None => Ok(()),
        }
    }

    /// Makes room for one new recording: evicts uploaded clips oldest first (unflagged before
    /// flagged) until finished clips plus the reservation fit the budget; refuses if the clips
    /// not yet uploaded alone leave no room.
    pub fn admit(&mut self) -> Result<Vec<StoreEvent>, Error> {
        let need = self.cfg.reserve_bytes;
        let unuploaded = self.usage().unuploaded_bytes;
        if unuploaded.saturating_add(need) > self.cfg.budget_bytes {
            let e = Error::BudgetExhausted {
                unuploaded_bytes: unuploaded,
                budget_bytes: self.cfg.budget_bytes,
                needed_bytes: need,
            };
            self.refused = Some(e.to_string());
            return Err(e);
        }
        let mut events = Vec::new();
        while self.usage().bytes.saturating_add(need) > self.cfg.budget_bytes {
            let victim = self
                .clips
                .iter()
                .enumerate()
                .filter(|(_, c)| c.uploaded_at.is_some())
                .min_by_key(|(_, c)| (c.flagged, c.created_at))
                .map(|(i, _)| i);
            let Some(i) = victim else { break };
            let clip = self.clips.remove(i);
            self.delete_file(&clip)?;
            events.push(StoreEvent::Evicted { clip_id: clip.meta.clip_id });
        }
        self.save()?;
        self.refused = None;
        Ok(events)
    }

    fn delete_file(&self, clip: &ClipRecord) -> Result<(), Error> {
        match std::fs::remove_file(self.cfg.dir.join(clip.file_name())) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Starts a new recording's files: writes its session sidecar `ID.json` (durably) and
    /// returns the path of the partial media file `ID.mkv.partial` to create.
    pub fn begin_recording(&self, meta: &ClipMeta) -> Result<PathBuf, Error> {
        use std::io::Write;
        let sidecar = self.cfg.dir.join(format!("{}.json", meta.clip_id));
        let mut f = std::fs::File::create(&sidecar)?;
        f.write_all(&serde_json::to_vec(meta).map_err(|e| Error::Index(e.to_string()))?)?;
        f.sync_all()?;
        Ok(self.cfg.dir.join(format!("{}.mkv.partial", meta.clip_id)))
    }

    /// Indexes a finished recording: fsyncs and renames the partial file, records it, removes
    /// the sidecar.
    pub fn commit_recording(
        &mut self,
        meta: ClipMeta,
        rating: Option<Rating>,
        summary: mkv::MuxSummary,
        now: u64,
    ) -> Result<ClipRecord, Error> {
        let partial = self.cfg.dir.join(format!("{}.mkv.partial", meta.clip_id));
        std::fs::File::open(&partial)?.sync_all()?;
        let done = self.cfg.dir.join(format!("{}.mkv", meta.clip_id));
        std::fs::rename(&partial, &done)?;
        fsync_dir(&self.cfg.dir);
        let record = ClipRecord {
            sha256: file_sha256(&done)?,
            flagged: rating == Some(Rating::Unsatisfied),
            rating,
            recovered: false,
            bytes: summary.bytes,
            duration_ms: summary.duration_ms,
            created_at: now,
            uploaded_at: None,
            upload_id: None,
            meta,
        };
        self.clips.push(record.clone());
        self.save()?;
        let _ = std::fs::remove_file(self.cfg.dir.join(format!("{}.json", record.meta.clip_id)));
        Ok(record)
    }

    /// Deletes a recording that was abandoned before it could be finished.
    pub fn abandon_recording(&self, clip_id: &str) {
        let _ = std::fs::remove_file(self.cfg.dir.join(format!("{clip_id}.mkv.partial")));
        let _ = std::fs::remove_file(self.cfg.dir.join(format!("{clip_id}.json")));
    }

    /// Sets the rating of an indexed clip (the rating may arrive after the clip was closed).
    pub fn set_rating(&mut self, clip_id: &str, rating: Option<Rating>) -> Result<(), Error> {
        let clip = self.find_mut(clip_id)?;
        clip.rating = rating;
        clip.flagged = rating == Some(Rating::Unsatisfied);
        self.save()
    }

    fn find_mut(&mut self, clip_id: &str) -> Result<&mut ClipRecord, Error> {
        self.clips
            .iter_mut()
            .find(|c| c.meta.clip_id == clip_id)
            .ok_or_else(|| Error::Unsupported(format!("no clip {clip_id}")))
    }

    /// Records the receiver's upload id (so a restart resumes rather than restarts).
    pub fn set_upload_id(&mut self, clip_id: &str, upload_id: &str) -> Result<(), Error> {
        self.find_mut(clip_id)?.upload_id = Some(upload_id.to_owned());
        self.save()
    }

    /// The central confirmed the whole clip at `now`.
    pub fn mark_uploaded(&mut self, clip_id: &str, now: u64) -> Result<(), Error> {
        self.find_mut(clip_id)?.uploaded_at = Some(now);
        self.save()
    }

    /// Clips waiting for upload, flagged first, then oldest first.
    pub fn pending_uploads(&self) -> Vec<ClipRecord> {
        let mut v: Vec<_> = self.clips.iter().filter(|c| c.uploaded_at.is_none()).cloned().collect();
        v.sort_by_key(|c| (!c.flagged, c.created_at));
        v
    }

    /// Every indexed clip, oldest first.
    pub fn clips(&self) -> &[ClipRecord] {
        &self.clips
    }

    /// Path of a finished clip.
    pub fn clip_path(&self, clip: &ClipRecord) -> PathBuf {
        self.cfg.dir.join(clip.file_name())
    }

    /// Deletes uploaded clips whose retention has passed at `now`.
    pub fn sweep(&mut self, now: u64) -> Result<Vec<StoreEvent>, Error> {
        let (keep, expired): (Vec<_>, Vec<_>) = std::mem::take(&mut self.clips).into_iter().partition(|c| {
            let keep_for = if c.flagged { self.cfg.flagged_retention_secs } else { self.cfg.retention_secs };
            c.uploaded_at.is_none_or(|at| now < at.saturating_add(keep_for))
        });
        self.clips = keep;
        let mut events = Vec::new();
        for c in expired {
            self.delete_file(&c)?;
            events.push(StoreEvent::Expired { clip_id: c.meta.clip_id });
        }
        if !events.is_empty() {
            self.save()?;
        }
        Ok(events)
    }
}

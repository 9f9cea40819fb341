//! The session recorder of one counter: continuous capture, one clip per service session.
//!
//! Implements: [`Recorder`] — a video and an audio capture thread feeding a writer thread; the
//! latest frame goes to the live preview ([`Recorder::preview_feed`]); [`Recorder::start`] at
//! the call and [`Recorder::stop`] at the end of the rating window cut one clip from the
//! capture clock's `t0` to `t1` (audio trimmed to the sample), a per-counter enable switch, and
//! the [`Indicator`] the counter screen or keypad LED shows.
//!
//! Does not implement: deciding when a session starts or ends (the hub's session events call
//! `start`/`stop`), uploading (see [`crate::upload`]).
//!
//! **Never block capture.** Capture threads hand media to the writer with `try_send` on a
//! bounded queue: when the disk stalls, frames are dropped and counted
//! ([`Recorder::dropped`]), never queued without bound, and the preview keeps running.
//! `start` and `stop` block the caller until the writer has acted (`stop` until the clip is
//! finalised and indexed, normally well under a second): call them from a blocking thread
//! (`tokio::task::spawn_blocking`) in async code.

use std::collections::VecDeque;
use std::io::BufWriter;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::watch;

use crate::Error;
use crate::mkv::{MkvWriter, TrackConfig};
use crate::source::{AudioChunk, AudioSource, Clock, VideoFrame, VideoSource};
use crate::storage::{ClipMeta, ClipRecord, Rating, Store};

/// The latest JPEG of a camera (`None` before the first frame).
pub type PreviewFeed = watch::Receiver<Option<Arc<[u8]>>>;

/// What the citizen-facing indicator shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Indicator {
    /// Recording is switched off at this counter.
    Disabled,
    /// Ready, not recording.
    Idle,
    /// Recording the session (LED on).
    Recording {
        /// The session being recorded.
        session_id: String,
    },
    /// A recording could not start or failed (disk budget, disk error, device); LED off.
    Fault {
        /// Human-readable reason for the health page.
        reason: String,
    },
}

/// What [`Recorder::start`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// A new clip is being recorded.
    Started {
        /// Its id.
        clip_id: String,
    },
    /// This session is already being recorded.
    AlreadyRecording,
    /// Recording is disabled at this counter; nothing recorded.
    Disabled,
}

/// The session details `start` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Service session id.
    pub session_id: String,
    /// Officer id.
    pub officer: String,
    /// Ticket number.
    pub ticket: String,
}

/// Recorder settings.
#[derive(Debug, Clone)]
pub struct RecorderConfig {
    /// Counter id (goes into clip ids and metadata).
    pub counter: String,
    /// Initial state of the per-counter switch.
    pub enabled: bool,
    /// Media queue between capture and writer, in messages (about 64 ≈ 2-4 s).
    pub queue: usize,
    /// Real time `stop` waits for media captured before `t1` to arrive.
    pub stop_grace: Duration,
}

impl RecorderConfig {
    /// Defaults for `counter`: enabled, queue 64, grace 2 s.
    pub fn new(counter: impl Into<String>) -> Self {
        Self { counter: counter.into(), enabled: true, queue: 64, stop_grace: Duration::from_secs(2) }
    }
}

type Reply<T> = SyncSender<Result<T, Error>>;

enum Msg {
    Video(VideoFrame),
    Audio(AudioChunk),
    Start { info: SessionInfo, t0: Duration, reply: Reply<StartOutcome> },
    Stop { session_id: String, t1: Duration, rating: Option<Rating>, reply: Reply<Option<ClipRecord>> },
    Shutdown,
}

struct Shared {
    enabled: AtomicBool,
    running: AtomicBool,
    dropped: AtomicU64,
    device_errors: AtomicU64,
    last_device_error: Mutex<Option<String>>,
    indicator: watch::Sender<Indicator>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// File-name-safe form of an id.
fn safe(s: &str) -> String {
    let t: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).take(48).collect();
    if t.is_empty() { "x".into() } else { t }
}

/// One counter's recorder. Dropping it stops capture and finalises any open clip.
pub struct Recorder {
    tx: SyncSender<Msg>,
    shared: Arc<Shared>,
    clock: Clock,
    preview: PreviewFeed,
    threads: Vec<JoinHandle<()>>,
    counter: String,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("counter", &self.counter).finish_non_exhaustive()
    }
}

impl Recorder {
    /// Starts capture from `video` and `audio` (both stamped by `clock`) into `store`.
    pub fn spawn<V, A>(
        video: V,
        audio: A,
        clock: Clock,
        store: Arc<Mutex<Store>>,
        cfg: RecorderConfig,
    ) -> Result<Self, Error>
    where
        V: VideoSource + 'static,
        A: AudioSource + 'static,
    {
        let (w, h, fps) = video.format();
        let tracks = TrackConfig { width: w, height: h, fps, sample_rate: audio.sample_rate(), title: String::new() };
        if w == 0 || h == 0 || fps == 0 || tracks.sample_rate == 0 {
            return Err(Error::Unsupported(format!("source format {w}x{h}@{fps}, {} Hz", tracks.sample_rate)));
        }
        let (tx, rx) = mpsc::sync_channel(cfg.queue.max(4));
        let initial = if cfg.enabled { Indicator::Idle } else { Indicator::Disabled };
        let shared = Arc::new(Shared {
            enabled: AtomicBool::new(cfg.enabled),
            running: AtomicBool::new(true),
            dropped: AtomicU64::new(0),
            device_errors: AtomicU64::new(0),
            last_device_error: Mutex::new(None),
            indicator: watch::Sender::new(initial),
        });
        let (ptx, prx) = watch::channel(None);
        let mut threads = Vec::new();
        threads.push(spawn_named("rec-video", {
            let (tx, shared) = (tx.clone(), Arc::clone(&shared));
            move || video_loop(video, &tx, &shared, &ptx)
        })?);
        threads.push(spawn_named("rec-audio", {
            let (tx, shared) = (tx.clone(), Arc::clone(&shared));
            move || audio_loop(audio, &tx, &shared)
        })?);
        let writer = Writer {
            store,
            tracks,
            shared: Arc::clone(&shared),
            counter: cfg.counter.clone(),
            grace: cfg.stop_grace,
            active: None,
        };
        threads.push(spawn_named("rec-writer", move || writer.run(&rx))?);
        Ok(Self { tx, shared, clock, preview: prx, threads, counter: cfg.counter })
    }

    /// Starts recording a session (at the call). If another session is still being recorded,
    /// it is closed first (without rating).
    pub fn start(&self, session_id: &str, officer: &str, ticket: &str) -> Result<StartOutcome, Error> {
        let (reply, rx) = mpsc::sync_channel(1);
        let info = SessionInfo { session_id: session_id.into(), officer: officer.into(), ticket: ticket.into() };
        self.tx.send(Msg::Start { info, t0: self.clock.now(), reply }).map_err(|_| Error::Stopped)?;
        rx.recv().map_err(|_| Error::Stopped)?
    }

    /// Stops recording a session (end of the rating window) and indexes the clip with its
    /// rating; `Ok(None)` when that session was not being recorded.
    pub fn stop(&self, session_id: &str, rating: Option<Rating>) -> Result<Option<ClipRecord>, Error> {
        let (reply, rx) = mpsc::sync_channel(1);
        let msg = Msg::Stop { session_id: session_id.into(), t1: self.clock.now(), rating, reply };
        self.tx.send(msg).map_err(|_| Error::Stopped)?;
        rx.recv().map_err(|_| Error::Stopped)?
    }

    /// The per-counter switch. Switching off does not cut a recording in progress; the next
    /// `start` is refused with [`StartOutcome::Disabled`].
    pub fn set_enabled(&self, on: bool) {
        self.shared.enabled.store(on, Ordering::SeqCst);
        self.shared.indicator.send_modify(|i| match (on, &*i) {
            (false, Indicator::Idle) => *i = Indicator::Disabled,
            (true, Indicator::Disabled) => *i = Indicator::Idle,
            _ => {}
        });
    }

    /// Whether recording is enabled at this counter.
    pub fn enabled(&self) -> bool {
        self.shared.enabled.load(Ordering::SeqCst)
    }

    /// The indicator state now.
    pub fn indicator(&self) -> Indicator {
        self.shared.indicator.borrow().clone()
    }

    /// Subscribes to indicator changes (counter UI, keypad LED).
    pub fn watch_indicator(&self) -> watch::Receiver<Indicator> {
        self.shared.indicator.subscribe()
    }

    /// The live preview feed (latest frame wins).
    pub fn preview_feed(&self) -> PreviewFeed {
        self.preview.clone()
    }

    /// Media dropped because the writer fell behind.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Capture errors so far and the last one (for the health page).
    pub fn device_errors(&self) -> (u64, Option<String>) {
        (self.shared.device_errors.load(Ordering::Relaxed), lock(&self.shared.last_device_error).clone())
    }

    /// Stops capture, finalises an open clip, joins the threads.
    pub fn shutdown(mut self) {
        self.stop_threads();
    }

    fn stop_threads(&mut self) {
        self.shared.running.store(false, Ordering::SeqCst);
        let _ = self.tx.send(Msg::Shutdown);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop_threads();
    }
}

fn spawn_named(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, Error> {
    Ok(std::thread::Builder::new().name(name.into()).spawn(f)?)
}

fn device_error(shared: &Shared, e: &Error) {
    shared.device_errors.fetch_add(1, Ordering::Relaxed);
    *lock(&shared.last_device_error) = Some(e.to_string());
    tracing::warn!("capture error: {e}");
    // A pulled camera fails fast; do not spin.
    std::thread::sleep(Duration::from_millis(200));
}

fn video_loop<V: VideoSource>(
    mut src: V,
    tx: &SyncSender<Msg>,
    shared: &Shared,
    preview: &watch::Sender<Option<Arc<[u8]>>>,
) {
    while shared.running.load(Ordering::SeqCst) {
        match src.next_frame() {
            Ok(f) => {
                preview.send_replace(Some(Arc::clone(&f.jpeg)));
                match tx.try_send(Msg::Video(f)) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        shared.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TrySendError::Disconnected(_)) => return,
                }
            }
            Err(e) => device_error(shared, &e),
        }
    }
}

fn audio_loop<A: AudioSource>(mut src: A, tx: &SyncSender<Msg>, shared: &Shared) {
    while shared.running.load(Ordering::SeqCst) {
        match src.next_chunk() {
            Ok(c) => match tx.try_send(Msg::Audio(c)) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => return,
            },
            Err(e) => device_error(shared, &e),
        }
    }
}

struct Stopping {
    t1: Duration,
    rating: Option<Rating>,
    reply: Option<Reply<Option<ClipRecord>>>,
    deadline: Instant,
    video_done: bool,
    audio_done: bool,
}

/// One open clip.
///
/// Frames are written in capture-time order across the two tracks: a video frame waits in
/// `pending` until the audio before it has been written, and an audio chunk is split at the
/// frames that fall inside it. A cluster (cut at a video frame) then holds exactly the audio
/// of its own time span, so a clip cut short by a crash ends with both tracks within one frame
/// of each other. Audio arrives one period after capture, hence the wait.
struct Active {
    meta: ClipMeta,
    t0: Duration,
    mux: MkvWriter<BufWriter<std::fs::File>>,
    stopping: Option<Stopping>,
    pending: VecDeque<VideoFrame>,
    /// Capture-clock end of the audio written so far.
    audio_end: Option<Duration>,
}

impl Active {
    fn write_frame(&mut self, f: &VideoFrame) -> Result<(), Error> {
        self.mux.write_video(f.ts.saturating_sub(self.t0), &f.jpeg)
    }

    /// Writes pending frames the audio has caught up with; past one second of backlog (the
    /// microphone stalled) frames go out regardless.
    fn release_video(&mut self, fps: usize) -> Result<(), Error> {
        while let Some(f) = self.pending.front() {
            let covered = self.audio_end.is_some_and(|e| f.ts <= e);
            if !covered && self.pending.len() <= fps.max(1) {
                break;
            }
            if let Some(f) = self.pending.pop_front() {
                self.write_frame(&f)?;
            }
        }
        Ok(())
    }

    /// Writes every pending frame (the clip is closing).
    fn flush_video(&mut self) -> Result<(), Error> {
        while let Some(f) = self.pending.pop_front() {
            self.write_frame(&f)?;
        }
        Ok(())
    }

    /// Writes the part of `c` inside [t0, t1), split at pending video frames.
    fn write_audio(&mut self, c: &AudioChunk, rate: u32) -> Result<(), Error> {
        let rate = f64::from(rate.max(1));
        let index =
            |t: Duration| -> usize { if t <= c.ts { 0 } else { ((t - c.ts).as_secs_f64() * rate).ceil() as usize } };
        let at = |i: usize| c.ts + Duration::from_secs_f64(i as f64 / rate);
        let mut cur = index(self.t0);
        let mut last = c.samples.len();
        if let Some(s) = self.stopping.as_mut() {
            let to_t1 = index(s.t1);
            if to_t1 <= last {
                last = to_t1;
                s.audio_done = true;
            }
        }
        while cur < last {
            // Split at the next pending frame that starts inside the rest of this chunk.
            let split = self.pending.front().map(|f| index(f.ts).clamp(cur, last)).filter(|k| *k < last);
            let end = split.unwrap_or(last);
            if let Some(samples) = c.samples.get(cur..end)
                && !samples.is_empty()
            {
                self.mux.write_audio(at(cur).saturating_sub(self.t0), samples)?;
                self.audio_end = Some(at(end));
            }
            if split.is_some()
                && let Some(f) = self.pending.pop_front()
            {
                self.write_frame(&f)?;
            }
            cur = end;
        }
        Ok(())
    }
}

struct Writer {
    store: Arc<Mutex<Store>>,
    tracks: TrackConfig,
    shared: Arc<Shared>,
    counter: String,
    grace: Duration,
    active: Option<Active>,
}

impl Writer {
    fn run(mut self, rx: &Receiver<Msg>) {
        loop {
            let timeout = self
                .active
                .as_ref()
                .and_then(|a| a.stopping.as_ref())
                .map_or(Duration::from_secs(3600), |s| s.deadline.saturating_duration_since(Instant::now()));
            match rx.recv_timeout(timeout) {
                Ok(Msg::Video(f)) => self.on_video(&f),
                Ok(Msg::Audio(c)) => self.on_audio(&c),
                Ok(Msg::Start { info, t0, reply }) => {
                    let r = self.on_start(info, t0);
                    let _ = reply.send(r);
                }
                Ok(Msg::Stop { session_id, t1, rating, reply }) => self.on_stop(&session_id, t1, rating, reply),
                Ok(Msg::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                    self.finish_active();
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            let done = self
                .active
                .as_ref()
                .and_then(|a| a.stopping.as_ref())
                .is_some_and(|s| (s.video_done && s.audio_done) || Instant::now() >= s.deadline);
            if done {
                self.finish_active();
            }
        }
    }

    fn fault(&mut self, e: &Error) {
        tracing::error!("recording failed: {e}");
        self.shared.indicator.send_replace(Indicator::Fault { reason: e.to_string() });
    }

    fn on_video(&mut self, f: &VideoFrame) {
        let Some(a) = self.active.as_mut() else { return };
        if f.ts < a.t0 {
            return;
        }
        if let Some(s) = a.stopping.as_mut()
            && f.ts >= s.t1
        {
            s.video_done = true;
            return;
        }
        a.pending.push_back(f.clone());
        let fps = self.tracks.fps as usize;
        if let Err(e) = a.release_video(fps) {
            self.abort(&e);
        }
    }

    fn on_audio(&mut self, c: &AudioChunk) {
        let Some(a) = self.active.as_mut() else { return };
        let rate = self.tracks.sample_rate;
        let fps = self.tracks.fps as usize;
        if let Err(e) = a.write_audio(c, rate).and_then(|()| a.release_video(fps)) {
            self.abort(&e);
        }
    }

    /// A write failed: the partial file and its sidecar stay for start-up recovery.
    fn abort(&mut self, e: &Error) {
        if let Some(mut a) = self.active.take()
            && let Some(s) = a.stopping.as_mut()
            && let Some(r) = s.reply.take()
        {
            let _ = r.send(Err(Error::Unsupported(format!("recording failed: {e}"))));
        }
        self.fault(e);
    }

    fn on_start(&mut self, info: SessionInfo, t0: Duration) -> Result<StartOutcome, Error> {
        if let Some(a) = &self.active {
            if a.meta.session_id == info.session_id && a.stopping.is_none() {
                return Ok(StartOutcome::AlreadyRecording);
            }
            self.finish_active();
        }
        if !self.shared.enabled.load(Ordering::SeqCst) {
            self.shared.indicator.send_replace(Indicator::Disabled);
            return Ok(StartOutcome::Disabled);
        }
        let started = unix_now();
        let started_ms = u64::try_from(started.as_millis()).unwrap_or(0);
        let meta = ClipMeta {
            clip_id: format!("{}-{}-{started_ms}", safe(&self.counter), safe(&info.session_id)),
            session_id: info.session_id.clone(),
            counter: self.counter.clone(),
            officer: info.officer,
            ticket: info.ticket,
            started_at_ms: started_ms,
            content_type: "video/x-matroska; codecs=\"mjpeg,pcm_s16le\"".into(),
        };
        let opened = (|| {
            let mut store = lock(&self.store);
            store.admit()?;
            let path = store.begin_recording(&meta)?;
            drop(store);
            let file = std::fs::File::create(&path)?;
            let tracks = TrackConfig {
                title: format!("motcua session {} counter {} ticket {}", meta.session_id, meta.counter, meta.ticket),
                ..self.tracks.clone()
            };
            MkvWriter::new(BufWriter::with_capacity(256 << 10, file), tracks)
        })();
        match opened {
            Ok(mux) => {
                let clip_id = meta.clip_id.clone();
                self.shared.indicator.send_replace(Indicator::Recording { session_id: info.session_id });
                self.active = Some(Active { meta, t0, mux, stopping: None, pending: VecDeque::new(), audio_end: None });
                Ok(StartOutcome::Started { clip_id })
            }
            Err(e) => {
                lock(&self.store).abandon_recording(&meta.clip_id);
                self.fault(&e);
                Err(e)
            }
        }
    }

    fn on_stop(&mut self, session_id: &str, t1: Duration, rating: Option<Rating>, reply: Reply<Option<ClipRecord>>) {
        match self.active.as_mut() {
            Some(a) if a.meta.session_id == session_id && a.stopping.is_none() => {
                a.stopping = Some(Stopping {
                    t1,
                    rating,
                    reply: Some(reply),
                    deadline: Instant::now() + self.grace,
                    video_done: false,
                    audio_done: false,
                });
            }
            _ => {
                // Not recording this session (disabled, refused, or already closed): the
                // rating may still belong to a clip closed by a newer `start`.
                let _ = reply.send(Ok(None));
            }
        }
    }

    fn finish_active(&mut self) {
        let Some(mut a) = self.active.take() else { return };
        let (rating, reply) = match a.stopping.take() {
            Some(mut s) => (s.rating, s.reply.take()),
            None => (None, None),
        };
        let result = (|| {
            a.flush_video()?;
            let (w, summary) = a.mux.finish()?;
            let file = w.into_inner().map_err(|e| Error::Io(e.into_error()))?;
            file.sync_all()?;
            drop(file);
            let secs = unix_now().as_secs();
            lock(&self.store).commit_recording(a.meta.clone(), rating, summary, secs)
        })();
        match &result {
            Ok(_) => {
                let idle =
                    if self.shared.enabled.load(Ordering::SeqCst) { Indicator::Idle } else { Indicator::Disabled };
                self.shared.indicator.send_replace(idle);
            }
            Err(e) => self.fault(e),
        }
        if let Some(r) = reply {
            let _ = r.send(result.map(Some));
        }
    }
}

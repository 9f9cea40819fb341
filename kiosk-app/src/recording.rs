//! Counter recording (issue 8): one camera-and-microphone clip per service session, from the
//! call to the end of the rating window, uploaded to the central in the background.
//!
//! Implements: [`SessionRecorder`], which follows a counter [`Station`](crate::counter::Station)'s
//! events and last hub reply and starts and stops a [`motcua_recorder::Recorder`] on a worker
//! thread (the keypad loop never waits for the disk); [`IndicatorKeypad`], which lights keypad
//! LED 15 ([`RECORDING_LED`]) while a session is being recorded; [`spawn_uploads`], the
//! background thread that uploads finished clips through the central's signed HTTP API and
//! applies the store's retention; [`open_recorder`] for `motcua counter --record`.
//!
//! Does not implement: capture, muxing, storage or the upload protocol (all in
//! `motcua-recorder`), the supervisors' live preview (mounted on the hub's listener).
//!
//! **Sessions.** A call ([`StationEvent::Called`]) starts a clip for the ticket the hub called;
//! [`StationEvent::WindowOpened`] for that ticket keeps recording until the rating window
//! closes; a rating ([`StationEvent::Rated`]) or the window's deadline stops it, with the
//! rating's national level (a "Không hài lòng" clip is flagged and kept longer); a skipped
//! ticket stops it unrated. A call while a rating window is still open (the officer pressed
//! "next" without "finish") closes the earlier clip unrated; a rating that arrives afterwards is
//! still written to that clip's index entry.
//!
//! **Session id.** The clip's `session_id` is the hub's service session of the call (from the
//! called ticket in the [`CounterReply`]), the same id the hub's `ticket_called` and
//! `rating_recorded` events carry, so the central joins clips to sessions and ratings. A hub
//! too old to send it gives the ticket id instead.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use motcua_device::keypad::KeyPress;
use motcua_hub::api::{CounterReply, RatingScale, TicketStatus};
use motcua_hub::config::NationalLevel;
use motcua_recorder::http::HttpUploader;
use motcua_recorder::source::{AudioChunk, VideoFrame};
use motcua_recorder::storage::StoreEvent;
use motcua_recorder::upload::{UploadConfig, upload_clip};
use motcua_recorder::{
    AudioSource, ClipRecord, Clock, Error, Indicator, JpegFileSource, PcmSource, Rating, Recorder, RecorderConfig,
    StartOutcome, Store, StoreConfig, VideoSource,
};
use tokio::sync::watch;

use crate::counter::{CounterKeypad, StationEvent};

/// Keypad LED bit lit while a session is being recorded: LED 15, the last bit of the mask,
/// which no key uses (wire the recording lamp facing the citizen to it; see `hardware.md`).
pub const RECORDING_LED: u16 = 1 << 15;

/// Capture format at the counter (what `motcua bench av` measures).
pub const WIDTH: u32 = 640;
/// Capture height.
pub const HEIGHT: u32 = 480;
/// Frames per second.
pub const FPS: u32 = 15;
/// Microphone sample rate (mono).
pub const SAMPLE_RATE: u32 = 16_000;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unix_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// What the recording worker did, for the terminal and the health log.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordingEvent {
    /// A clip began.
    Started {
        /// Session id.
        session_id: String,
        /// Clip id.
        clip_id: String,
    },
    /// A session was not recorded (switched off, disk budget, device).
    NotRecorded {
        /// Session id.
        session_id: String,
        /// Why.
        reason: String,
    },
    /// A clip was finished and indexed (ready for upload).
    Stopped(Box<ClipRecord>),
    /// A rating that came after its clip was closed was written to the clip's index entry.
    RatingApplied {
        /// Clip id.
        clip_id: String,
        /// The rating.
        rating: Rating,
    },
    /// Stopping or rating failed.
    Failed(String),
}

enum Cmd {
    Start { session_id: String, ticket: String },
    Stop { session_id: String, rating: Option<Rating> },
    Rate { session_id: String, rating: Rating },
}

/// One service session as the recorder knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Session {
    id: String,
    number: String,
}

/// Follows a station and records one clip per service session; see the module docs.
pub struct SessionRecorder {
    cmds: Option<SyncSender<Cmd>>,
    events: Receiver<RecordingEvent>,
    worker: Option<JoinHandle<()>>,
    indicator: watch::Receiver<Indicator>,
    scale: RatingScale,
    /// Being recorded, rating window not open yet.
    serving: Option<Session>,
    /// Being recorded until the rating window closes.
    rating: Option<(Session, Instant)>,
    /// The last clip closed before its rating window did (rating may still come).
    late: Option<Session>,
    dropped_cmds: u64,
}

impl std::fmt::Debug for SessionRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecorder")
            .field("serving", &self.serving)
            .field("rating", &self.rating)
            .field("dropped_cmds", &self.dropped_cmds)
            .finish_non_exhaustive()
    }
}

impl SessionRecorder {
    /// Drives `recorder` (whose clips go to `store`) for an officer, with the hub's rating
    /// scale (key levels, window length). `uploads` is woken when a clip is finished.
    pub fn new(
        recorder: Recorder,
        store: Arc<Mutex<Store>>,
        scale: RatingScale,
        officer: Option<String>,
        uploads: Option<SyncSender<()>>,
    ) -> std::io::Result<Self> {
        let (cmd_tx, cmd_rx) = mpsc::sync_channel::<Cmd>(64);
        let (ev_tx, ev_rx) = mpsc::sync_channel::<RecordingEvent>(256);
        let indicator = recorder.watch_indicator();
        let officer = officer.unwrap_or_default();
        let worker = std::thread::Builder::new()
            .name("counter-recording".into())
            .spawn(move || worker(recorder, &store, &officer, &cmd_rx, &ev_tx, uploads.as_ref()))?;
        Ok(Self {
            cmds: Some(cmd_tx),
            events: ev_rx,
            worker: Some(worker),
            indicator,
            scale,
            serving: None,
            rating: None,
            late: None,
            dropped_cmds: 0,
        })
    }

    /// The recording indicator (for [`IndicatorKeypad`] or a counter screen).
    pub fn indicator(&self) -> watch::Receiver<Indicator> {
        self.indicator.clone()
    }

    /// The session being recorded, if any.
    pub fn recording_session(&self) -> Option<&str> {
        self.serving.as_ref().or(self.rating.as_ref().map(|(s, _)| s)).map(|s| s.id.as_str())
    }

    /// Takes what the station did in one turn (`events`) with its last hub reply, and checks
    /// the rating window's deadline at `now`.
    pub fn observe(&mut self, events: &[StationEvent], reply: Option<&CounterReply>, now: Instant) {
        for ev in events {
            match ev {
                StationEvent::Called(number) if !number.is_empty() => self.on_call(number, reply),
                // The station reports a skip (the ticket left the counter) as an empty call.
                StationEvent::Called(_) => {
                    if let Some(s) = self.serving.take() {
                        self.send(Cmd::Stop { session_id: s.id, rating: None });
                    }
                }
                StationEvent::WindowOpened { number, .. } => self.on_window(number, reply, now),
                StationEvent::Rated { key } => self.on_rated(*key, reply),
                StationEvent::NothingWaiting
                | StationEvent::Refused(_)
                | StationEvent::Repeat
                | StationEvent::SignedIn => {}
            }
        }
        self.poll(now);
    }

    /// Stops the recording when its rating window has closed unrated.
    pub fn poll(&mut self, now: Instant) {
        if self.rating.as_ref().is_some_and(|(_, until)| now >= *until)
            && let Some((s, _)) = self.rating.take()
        {
            self.send(Cmd::Stop { session_id: s.id, rating: None });
        }
    }

    /// The next thing the worker reported, without waiting.
    pub fn try_event(&self) -> Option<RecordingEvent> {
        self.events.try_recv().ok()
    }

    /// The next thing the worker reports, waiting up to `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Option<RecordingEvent> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Commands dropped because the worker was behind (it is normally idle).
    pub fn dropped_commands(&self) -> u64 {
        self.dropped_cmds
    }

    fn on_call(&mut self, number: &str, reply: Option<&CounterReply>) {
        let ticket = reply.and_then(|r| r.ticket.as_ref()).filter(|t| t.number == number);
        let Some(ticket) = ticket else {
            tracing::warn!(%number, "recording: the hub's reply does not name the called ticket; not recorded");
            return;
        };
        if matches!(ticket.status, TicketStatus::Called | TicketStatus::Serving)
            && self.serving.as_ref().is_some_and(|s| s.id == session_of(ticket))
        {
            return; // a recall: same session
        }
        // A rating window still open belongs to the previous citizen: close that clip now.
        if let Some((s, _)) = self.rating.take() {
            self.send(Cmd::Stop { session_id: s.id.clone(), rating: None });
            self.late = Some(s);
        }
        if let Some(s) = self.serving.take() {
            self.send(Cmd::Stop { session_id: s.id.clone(), rating: None });
            // Next while serving finished it at the hub and opened its window.
            if reply.and_then(|r| r.rating.as_ref()).is_some_and(|w| w.open && w.number == s.number) {
                self.late = Some(s);
            }
        }
        let session = Session { id: session_of(ticket), number: number.to_owned() };
        self.send(Cmd::Start { session_id: session.id.clone(), ticket: session.number.clone() });
        self.serving = Some(session);
    }

    fn on_window(&mut self, number: &str, reply: Option<&CounterReply>, now: Instant) {
        let Some(s) = self.serving.take_if(|s| s.number == number) else { return };
        let secs = reply
            .and_then(|r| r.rating.as_ref())
            .filter(|w| w.number == number)
            .and_then(|w| remaining_secs(&w.closes_at))
            .unwrap_or(self.scale.window_secs);
        self.rating = Some((s, now + Duration::from_secs(u64::from(secs))));
    }

    fn on_rated(&mut self, key: u8, reply: Option<&CounterReply>) {
        let window = reply.and_then(|r| r.rating.as_ref());
        let level =
            window.and_then(|w| w.level).or_else(|| self.scale.keys.iter().find(|k| k.key == key).map(|k| k.level));
        let Some(rating) = level.map(rating_of) else {
            tracing::warn!(key, "recording: rating key without a level");
            return;
        };
        let rated = window.map(|w| w.number.as_str());
        if let Some((s, _)) = self.rating.take_if(|(s, _)| rated.is_none_or(|n| n == s.number)) {
            self.send(Cmd::Stop { session_id: s.id, rating: Some(rating) });
        } else if let Some(s) = self.late.take_if(|s| rated.is_none_or(|n| n == s.number)) {
            self.send(Cmd::Rate { session_id: s.id, rating });
        }
    }

    fn send(&mut self, cmd: Cmd) {
        let Some(tx) = &self.cmds else { return };
        match tx.try_send(cmd) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped_cmds += 1;
                tracing::warn!("recording: worker busy, command dropped");
            }
            Err(TrySendError::Disconnected(_)) => tracing::warn!("recording: worker stopped"),
        }
    }
}

impl Drop for SessionRecorder {
    /// Finishes the clip in progress (unrated) and stops capture.
    fn drop(&mut self) {
        drop(self.cmds.take());
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

fn rating_of(level: NationalLevel) -> Rating {
    match level {
        NationalLevel::VerySatisfied => Rating::VerySatisfied,
        NationalLevel::Satisfied => Rating::Satisfied,
        NationalLevel::Unsatisfied => Rating::Unsatisfied,
    }
}

/// Seconds from now until an RFC 3339 instant (0 when past), `None` when unparsable: the same
/// reading of the window as the station's.
fn remaining_secs(rfc3339: &str) -> Option<u32> {
    let until: jiff::Timestamp = rfc3339.parse().ok()?;
    let left = (until - jiff::Timestamp::now()).get_seconds();
    Some(u32::try_from(left.max(0)).unwrap_or(u32::MAX))
}

fn worker(
    recorder: Recorder,
    store: &Mutex<Store>,
    officer: &str,
    cmds: &Receiver<Cmd>,
    events: &SyncSender<RecordingEvent>,
    uploads: Option<&SyncSender<()>>,
) {
    let report = |e: RecordingEvent| {
        tracing::info!(event = ?e, "recording");
        let _ = events.try_send(e);
    };
    while let Ok(cmd) = cmds.recv() {
        match cmd {
            Cmd::Start { session_id, ticket } => match recorder.start(&session_id, officer, &ticket) {
                Ok(StartOutcome::Started { clip_id }) => report(RecordingEvent::Started { session_id, clip_id }),
                Ok(StartOutcome::AlreadyRecording) => {}
                Ok(StartOutcome::Disabled) => report(RecordingEvent::NotRecorded {
                    session_id,
                    reason: "recording is switched off at this counter".into(),
                }),
                Err(e) => report(RecordingEvent::NotRecorded { session_id, reason: e.to_string() }),
            },
            Cmd::Stop { session_id, rating } => match recorder.stop(&session_id, rating) {
                Ok(Some(clip)) => {
                    report(RecordingEvent::Stopped(Box::new(clip)));
                    if let Some(u) = uploads {
                        let _ = u.try_send(());
                    }
                }
                Ok(None) => {}
                Err(e) => report(RecordingEvent::Failed(format!("stopping {session_id}: {e}"))),
            },
            Cmd::Rate { session_id, rating } => {
                let mut s = lock(store);
                let clip =
                    s.clips().iter().rev().find(|c| c.meta.session_id == session_id).map(|c| c.meta.clip_id.clone());
                if let Some(clip_id) = clip {
                    match s.set_rating(&clip_id, Some(rating)) {
                        Ok(()) => report(RecordingEvent::RatingApplied { clip_id, rating }),
                        Err(e) => report(RecordingEvent::Failed(format!("rating {clip_id}: {e}"))),
                    }
                }
            }
        }
    }
    // The station is gone: finish the clip in progress and stop capture.
    recorder.shutdown();
}

/// A counter keypad that also shows the recording indicator: LED [`RECORDING_LED`] is lit, on
/// top of whatever key LEDs the station sets, while a session is being recorded.
#[derive(Debug)]
pub struct IndicatorKeypad<P> {
    inner: P,
    indicator: Option<watch::Receiver<Indicator>>,
    mask: u16,
    lit: bool,
}

impl<P: CounterKeypad> IndicatorKeypad<P> {
    /// Wraps `inner`; without an indicator it only passes calls through.
    pub fn new(inner: P, indicator: Option<watch::Receiver<Indicator>>) -> Self {
        Self { inner, indicator, mask: 0, lit: false }
    }

    /// The wrapped keypad.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// The wrapped keypad, mutably.
    pub fn inner_mut(&mut self) -> &mut P {
        &mut self.inner
    }

    /// Whether the recording LED is lit.
    pub fn recording_lit(&self) -> bool {
        self.lit
    }

    fn refresh(&mut self) {
        let Some(rx) = self.indicator.as_mut() else { return };
        if !rx.has_changed().unwrap_or(false) {
            return;
        }
        let on = matches!(*rx.borrow_and_update(), Indicator::Recording { .. });
        if on != self.lit {
            self.lit = on;
            let mask = self.mask | if on { RECORDING_LED } else { 0 };
            self.inner.leds(mask);
        }
    }
}

impl<P: CounterKeypad> CounterKeypad for IndicatorKeypad<P> {
    fn turn(&mut self) -> Result<(), String> {
        let r = self.inner.turn();
        self.refresh();
        r
    }
    fn next_key(&mut self) -> Option<KeyPress> {
        self.inner.next_key()
    }
    fn open_window(&mut self, window_id: u32, timeout_s: u16) {
        self.inner.open_window(window_id, timeout_s);
    }
    fn close_window(&mut self) {
        self.inner.close_window();
    }
    fn show(&mut self, lines: &[String]) {
        self.inner.show(lines);
    }
    fn leds(&mut self, mask: u16) {
        self.mask = mask & !RECORDING_LED;
        self.inner.leds(self.mask | if self.lit { RECORDING_LED } else { 0 });
    }
    fn buzz(&mut self, pattern: u8, ms: u16) {
        self.inner.buzz(pattern, ms);
    }
    fn rating_led_mask(&self) -> u16 {
        self.inner.rating_led_mask() & !RECORDING_LED
    }
    fn connected(&self) -> bool {
        self.inner.connected()
    }
}

/// The counter's camera: the generated test card (`sim`) or a V4L2 MJPEG camera.
#[derive(Debug)]
pub enum CounterVideo {
    /// A generated, pre-encoded 640x480 test card (no camera).
    Sim(JpegFileSource),
    /// A V4L2 camera (feature `camera`).
    #[cfg(feature = "camera")]
    V4l2(motcua_recorder::v4l::V4l2Camera),
}

impl VideoSource for CounterVideo {
    fn next_frame(&mut self) -> Result<VideoFrame, Error> {
        match self {
            CounterVideo::Sim(s) => s.next_frame(),
            #[cfg(feature = "camera")]
            CounterVideo::V4l2(c) => c.next_frame(),
        }
    }
    fn format(&self) -> (u32, u32, u32) {
        match self {
            CounterVideo::Sim(s) => s.format(),
            #[cfg(feature = "camera")]
            CounterVideo::V4l2(c) => c.format(),
        }
    }
}

/// The counter's microphone: a generated tone (`sim`) or an ALSA input.
#[derive(Debug)]
pub enum CounterAudio {
    /// A generated 16 kHz tone (no microphone).
    Sim(PcmSource),
    /// An ALSA input (feature `microphone`).
    #[cfg(feature = "microphone")]
    Alsa(motcua_recorder::alsa::AlsaMicrophone),
}

impl AudioSource for CounterAudio {
    fn next_chunk(&mut self) -> Result<AudioChunk, Error> {
        match self {
            CounterAudio::Sim(s) => s.next_chunk(),
            #[cfg(feature = "microphone")]
            CounterAudio::Alsa(m) => m.next_chunk(),
        }
    }
    fn sample_rate(&self) -> u32 {
        match self {
            CounterAudio::Sim(s) => s.sample_rate(),
            #[cfg(feature = "microphone")]
            CounterAudio::Alsa(m) => m.sample_rate(),
        }
    }
}

/// Opens `--camera`: `sim` or a device path (`/dev/v4l/by-id/…-video-index0`).
pub fn open_camera(spec: &str, clock: Clock) -> Result<CounterVideo, Error> {
    if spec == "sim" {
        return Ok(CounterVideo::Sim(JpegFileSource::generated(WIDTH, HEIGHT, FPS, 30, clock)?));
    }
    open_v4l2(spec, clock)
}

#[cfg(feature = "camera")]
fn open_v4l2(spec: &str, clock: Clock) -> Result<CounterVideo, Error> {
    let cam = motcua_recorder::v4l::V4l2Camera::open_path(std::path::Path::new(spec), WIDTH, HEIGHT, FPS, clock)?;
    Ok(CounterVideo::V4l2(cam))
}

#[cfg(not(feature = "camera"))]
fn open_v4l2(spec: &str, _clock: Clock) -> Result<CounterVideo, Error> {
    Err(Error::Unsupported(format!(
        "--camera {spec}: this motcua was built without camera support; use --camera sim, or build with \
         `cargo build --release -p motcua-kiosk-app --features camera` (needs libv4l-dev, libclang-dev, pkg-config)"
    )))
}

/// Opens `--microphone`: `sim`, or an ALSA device name (`default`, `plughw:CARD=Device,DEV=0`).
pub fn open_microphone(spec: &str, clock: Clock) -> Result<CounterAudio, Error> {
    if spec == "sim" {
        return Ok(CounterAudio::Sim(PcmSource::tone(SAMPLE_RATE, 100, clock)?));
    }
    open_alsa(spec, clock)
}

#[cfg(feature = "microphone")]
fn open_alsa(spec: &str, clock: Clock) -> Result<CounterAudio, Error> {
    let name = (spec != "default").then_some(spec);
    Ok(CounterAudio::Alsa(motcua_recorder::alsa::AlsaMicrophone::open(name, SAMPLE_RATE, 100, clock)?))
}

#[cfg(not(feature = "microphone"))]
fn open_alsa(spec: &str, _clock: Clock) -> Result<CounterAudio, Error> {
    Err(Error::Unsupported(format!(
        "--microphone {spec}: this motcua was built without microphone support; use --microphone sim, or build \
         with `cargo build --release -p motcua-kiosk-app --features microphone` (needs libasound2-dev, pkg-config)"
    )))
}

/// Opens the clip store in `dir` (recovering clips cut short by a crash) and starts capture
/// for counter `counter` from `--camera` and `--microphone`.
pub fn open_recorder(
    dir: &std::path::Path,
    counter: u32,
    camera: &str,
    microphone: &str,
) -> Result<(Recorder, Arc<Mutex<Store>>), Error> {
    let (store, recovered) = Store::open(StoreConfig::new(dir.to_path_buf()), unix_secs())?;
    for ev in recovered {
        tracing::warn!(event = ?ev, "recording store start-up");
    }
    let store = Arc::new(Mutex::new(store));
    let clock = Clock::real_time();
    let video = open_camera(camera, clock)?;
    let audio = open_microphone(microphone, clock)?;
    let recorder =
        Recorder::spawn(video, audio, clock, Arc::clone(&store), RecorderConfig::new(format!("Q{counter}")))?;
    Ok((recorder, store))
}

/// The background upload thread; see [`spawn_uploads`].
#[derive(Debug)]
pub struct Uploads {
    wake: SyncSender<()>,
    _thread: JoinHandle<()>,
}

impl Uploads {
    /// A handle that makes the thread run a pass now (e.g. when a clip was finished).
    pub fn waker(&self) -> SyncSender<()> {
        self.wake.clone()
    }
}

/// Starts the thread that, every `every` and whenever woken, deletes clips past their
/// retention and (with a central) uploads finished clips, flagged first, marking each
/// uploaded once the central confirmed it. Without a central, clips stay on the disk (the
/// store's budget then refuses new recordings when they fill it).
pub fn spawn_uploads(
    store: Arc<Mutex<Store>>,
    uploader: Option<HttpUploader>,
    every: Duration,
) -> std::io::Result<Uploads> {
    let (wake, rx) = mpsc::sync_channel::<()>(1);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let thread = std::thread::Builder::new().name("recording-upload".into()).spawn(move || {
        loop {
            upload_pass(&rt, &store, uploader.as_ref());
            match rx.recv_timeout(every) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    })?;
    Ok(Uploads { wake, _thread: thread })
}

/// One pass: retention sweep, then uploads until the central stops answering.
pub fn upload_pass(rt: &tokio::runtime::Runtime, store: &Mutex<Store>, uploader: Option<&HttpUploader>) {
    match lock(store).sweep(unix_secs()) {
        Ok(events) => {
            for ev in events {
                if let StoreEvent::Expired { clip_id } = ev {
                    tracing::info!(%clip_id, "recording deleted after its retention");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "recording retention sweep failed"),
    }
    let Some(up) = uploader else { return };
    let pending = lock(store).pending_uploads();
    for clip in pending {
        let path = lock(store).clip_path(&clip);
        let id = clip.meta.clip_id.clone();
        let result = rt.block_on(upload_clip(up, &clip, &path, UploadConfig::default(), |upload_id| {
            if let Err(e) = lock(store).set_upload_id(&id, upload_id) {
                tracing::warn!(clip_id = %id, error = %e, "recording upload id not saved");
            }
        }));
        match result {
            Ok(out) => {
                tracing::info!(clip_id = %id, resumed_from = out.resumed_from, chunks = out.chunks_sent, "recording uploaded");
                if let Err(e) = lock(store).mark_uploaded(&id, unix_secs()) {
                    tracing::warn!(clip_id = %id, error = %e, "recording uploaded but not marked");
                }
            }
            Err(e) if e.is_transient() => {
                tracing::warn!(clip_id = %id, error = %e, "recording upload interrupted; retrying later");
                return;
            }
            Err(e) => tracing::error!(clip_id = %id, error = %e, "recording refused by the central"),
        }
    }
}

/// The hub's service session of a called ticket (the ticket id from a hub that does not send it).
fn session_of(t: &motcua_hub::api::Ticket) -> String {
    t.session_id.clone().unwrap_or_else(|| t.id.clone())
}

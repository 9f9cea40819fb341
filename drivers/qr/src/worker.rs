//! The camera worker: a capture thread pulls frames from a [`FrameSource`] into a single-slot
//! mailbox (the newest frame replaces one not yet decoded, which is counted as dropped), and a
//! decode thread takes the newest frame, decodes it, runs the [`Confirmer`] and emits [`Event`]s.
//! A slow decode therefore never builds a queue: the kiosk always works on what the camera sees
//! now. The newest frame is also kept for the live preview.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{ConfirmConfig, Confirmer, Decoder, DecoderConfig, Error, GrayFrame, Reject, Scan, load_png};

/// Where frames come from: a camera, a directory of images, a test. A source lives on the
/// worker's capture thread (it need not be `Send`: see [`CameraWorker::spawn_with`]).
pub trait FrameSource: 'static {
    /// The next frame, blocking until it is there; `Ok(None)` when the source has ended.
    fn next_frame(&mut self) -> Result<Option<GrayFrame>, Error>;
}

/// Turns a frame into a [`Scan`]. [`Decoder`] is the real one; tests put slow or scripted ones in.
pub trait FrameScanner: Send + 'static {
    /// Decodes one frame.
    fn scan(&mut self, frame: &GrayFrame) -> Scan;
}

impl FrameScanner for Decoder {
    fn scan(&mut self, frame: &GrayFrame) -> Scan {
        self.decode(frame.luma())
    }
}

/// What the worker tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A payload confirmed by the [`Confirmer`]: start the lookup.
    Decoded(String),
    /// The view has no readable code (sent when that becomes so, not for every frame): show
    /// "Đưa mã QR vào khung".
    NoCode,
    /// A code is in view and reads, but not as acceptable text (sent when that becomes so).
    Unreadable(Reject),
    /// The frame source failed; the worker has stopped.
    Error(Error),
    /// The frame source ended; the worker has stopped.
    Ended,
}

/// Worker settings.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerConfig {
    /// Payload confirmation.
    pub confirm: ConfirmConfig,
    /// Room for events the owner has not read yet. `NoCode`/`Unreadable` feedback is dropped
    /// (and counted) when full; `Decoded`, `Error` and `Ended` wait for room.
    pub event_capacity: usize,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self { confirm: ConfirmConfig::default(), event_capacity: 16 }
    }
}

/// Frame counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Frames delivered by the source.
    pub captured: u64,
    /// Frames decoded.
    pub decoded: u64,
    /// Frames replaced in the mailbox before the decoder got to them.
    pub dropped: u64,
    /// Feedback events dropped because the owner was not reading.
    pub events_dropped: u64,
}

#[derive(Debug, Default)]
struct Slot {
    frame: Option<Arc<GrayFrame>>,
    closed: bool,
}

#[derive(Debug, Default)]
struct Shared {
    slot: Mutex<Slot>,
    ready: Condvar,
    latest: Mutex<Option<Arc<GrayFrame>>>,
    stop: AtomicBool,
    captured: AtomicU64,
    decoded: AtomicU64,
    dropped: AtomicU64,
    events_dropped: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic on the other thread must not take this one down with it.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    fn close(&self) {
        lock(&self.slot).closed = true;
        self.ready.notify_all();
    }
}

/// A running worker. Dropping it stops both threads (the capture thread finishes the
/// `next_frame` call it is in first).
#[derive(Debug)]
pub struct CameraWorker {
    shared: Arc<Shared>,
    events: Receiver<Event>,
    threads: Vec<JoinHandle<()>>,
}

impl CameraWorker {
    /// Starts a worker on `source` with the default decoder.
    pub fn spawn<S: FrameSource + Send>(source: S, config: WorkerConfig) -> Self {
        Self::spawn_with(move || Ok(source), Decoder::with_config(DecoderConfig::default()), config)
    }

    /// Starts a worker whose source is made by `open` on the capture thread (camera handles are
    /// often not `Send`), with a given scanner. If `open` fails, the worker reports
    /// [`Event::Error`] and stops.
    pub fn spawn_with<S, F, D>(open: F, scanner: D, config: WorkerConfig) -> Self
    where
        S: FrameSource,
        F: FnOnce() -> Result<S, Error> + Send + 'static,
        D: FrameScanner,
    {
        let shared = Arc::new(Shared::default());
        let (tx, events) = sync_channel(config.event_capacity.max(1));
        let capture = {
            let shared = shared.clone();
            let tx = tx.clone();
            std::thread::Builder::new()
                .name("qr-capture".into())
                .spawn(move || match open() {
                    Ok(source) => capture_loop(source, &shared, &tx),
                    Err(e) => {
                        shared.close();
                        let _ = tx.send(Event::Error(e));
                    }
                })
                .expect("spawning the capture thread")
        };
        let decode = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("qr-decode".into())
                .spawn(move || decode_loop(scanner, config.confirm, &shared, &tx))
                .expect("spawning the decode thread")
        };
        Self { shared, events, threads: vec![capture, decode] }
    }

    /// The events.
    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// The newest frame, for the live preview.
    pub fn latest_frame(&self) -> Option<Arc<GrayFrame>> {
        lock(&self.shared.latest).clone()
    }

    /// Frame counters so far.
    pub fn stats(&self) -> WorkerStats {
        let s = &self.shared;
        WorkerStats {
            captured: s.captured.load(Ordering::Relaxed),
            decoded: s.decoded.load(Ordering::Relaxed),
            dropped: s.dropped.load(Ordering::Relaxed),
            events_dropped: s.events_dropped.load(Ordering::Relaxed),
        }
    }

    /// Stops the worker and waits for its threads.
    pub fn stop(mut self) -> WorkerStats {
        self.shutdown();
        self.stats()
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.close();
        // Unblock a decode thread waiting for room in the event channel.
        while self.events.try_recv().is_ok() {}
        for t in self.threads.drain(..) {
            while !t.is_finished() {
                while self.events.try_recv().is_ok() {}
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = t.join();
        }
    }
}

impl Drop for CameraWorker {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn capture_loop<S: FrameSource>(mut source: S, shared: &Shared, tx: &SyncSender<Event>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match source.next_frame() {
            Ok(Some(frame)) => {
                let frame = Arc::new(frame);
                shared.captured.fetch_add(1, Ordering::Relaxed);
                *lock(&shared.latest) = Some(frame.clone());
                let mut slot = lock(&shared.slot);
                if slot.frame.replace(frame).is_some() {
                    shared.dropped.fetch_add(1, Ordering::Relaxed);
                }
                drop(slot);
                shared.ready.notify_one();
            }
            Ok(None) => {
                shared.close();
                return;
            }
            Err(e) => {
                shared.close();
                if !shared.stop.load(Ordering::SeqCst) {
                    let _ = tx.send(Event::Error(e));
                }
                return;
            }
        }
    }
    shared.close();
}

fn decode_loop<D: FrameScanner>(mut scanner: D, confirm: ConfirmConfig, shared: &Shared, tx: &SyncSender<Event>) {
    let mut confirmer = Confirmer::new(confirm);
    // What the last frame showed, for edge-triggered feedback.
    #[derive(PartialEq)]
    enum View {
        Unknown,
        Empty,
        Code,
        Bad(Reject),
    }
    let mut view = View::Unknown;
    let feedback = |ev: Event| match tx.try_send(ev) {
        Ok(()) | Err(TrySendError::Disconnected(_)) => {}
        Err(TrySendError::Full(_)) => {
            shared.events_dropped.fetch_add(1, Ordering::Relaxed);
        }
    };
    loop {
        let frame = {
            let mut slot = lock(&shared.slot);
            loop {
                if shared.stop.load(Ordering::SeqCst) {
                    return;
                }
                if let Some(f) = slot.frame.take() {
                    break f;
                }
                if slot.closed {
                    // source ended: nothing left to decode
                    drop(slot);
                    if !shared.stop.load(Ordering::SeqCst) {
                        let _ = tx.send(Event::Ended);
                    }
                    return;
                }
                slot = shared.ready.wait(slot).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        };
        let scan = scanner.scan(&frame);
        shared.decoded.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        match scan {
            Scan::Text(t) => {
                view = View::Code;
                if let Some(p) = confirmer.observe(Some(&t), now)
                    && tx.send(Event::Decoded(p)).is_err()
                {
                    return;
                }
            }
            Scan::Rejected(r) => {
                confirmer.observe(None, now);
                if view != View::Bad(r) {
                    view = View::Bad(r);
                    feedback(Event::Unreadable(r));
                }
            }
            Scan::NoCode => {
                confirmer.observe(None, now);
                if view != View::Empty {
                    view = View::Empty;
                    feedback(Event::NoCode);
                }
            }
        }
    }
}

/// Frames from the PNG files of a directory, in name order, looping; optionally paced to a frame
/// rate (a camera twin for the kiosk and the tests).
#[derive(Debug)]
pub struct DirSource {
    files: Vec<PathBuf>,
    next: usize,
    interval: Option<Duration>,
    last: Option<Instant>,
    loops: Option<usize>,
}

impl DirSource {
    /// All `*.png` files of `dir`.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let rd = std::fs::read_dir(dir).map_err(|e| Error::Io(format!("{}: {e}", dir.display())))?;
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("png")))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(Error::Io(format!("{}: no PNG files", dir.display())));
        }
        Ok(Self { files, next: 0, interval: None, last: None, loops: None })
    }

    /// Delivers at most `fps` frames a second.
    pub fn with_fps(mut self, fps: f32) -> Self {
        self.interval = (fps > 0.0).then(|| Duration::from_secs_f32(1.0 / fps));
        self
    }

    /// Ends after going through the files `n` times (default: loops forever).
    pub fn with_loops(mut self, n: usize) -> Self {
        self.loops = Some(n);
        self
    }
}

impl FrameSource for DirSource {
    fn next_frame(&mut self) -> Result<Option<GrayFrame>, Error> {
        if self.loops.is_some_and(|n| self.next >= n * self.files.len()) {
            return Ok(None);
        }
        if let (Some(iv), Some(last)) = (self.interval, self.last) {
            let due = last + iv;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        self.last = Some(Instant::now());
        let path = &self.files[self.next % self.files.len()];
        self.next += 1;
        load_png(path).map(Some)
    }
}

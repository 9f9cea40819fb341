//! The camera worker: drop-when-busy, confirmation, feedback events, the file-backed source.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Scene, png_bytes, receipt, render};
use motcua_qr::worker::{CameraWorker, DirSource, Event, FrameScanner, FrameSource, WorkerConfig};
use motcua_qr::{Decoder, Error, GrayFrame, Reject, Scan};
use qrcode::EcLevel;

/// Frames numbered in their first four bytes, as fast as asked, then the end.
struct Numbered {
    next: u32,
    count: u32,
    pause: Duration,
}

impl FrameSource for Numbered {
    fn next_frame(&mut self) -> Result<Option<GrayFrame>, Error> {
        if self.next == self.count {
            return Ok(None);
        }
        std::thread::sleep(self.pause);
        let mut data = vec![0u8; 64];
        data[..4].copy_from_slice(&self.next.to_le_bytes());
        self.next += 1;
        GrayFrame::new(8, 8, data).map(Some)
    }
}

fn number(f: &GrayFrame) -> u32 {
    u32::from_le_bytes([f.data()[0], f.data()[1], f.data()[2], f.data()[3]])
}

/// A scanner that takes its time and remembers which frames it saw.
struct Slow {
    seen: Arc<Mutex<Vec<u32>>>,
    delay: Duration,
}

impl FrameScanner for Slow {
    fn scan(&mut self, frame: &GrayFrame) -> Scan {
        self.seen.lock().unwrap().push(number(frame));
        std::thread::sleep(self.delay);
        Scan::NoCode
    }
}

fn events_until_end(w: &CameraWorker, limit: Duration) -> Vec<Event> {
    let mut out = Vec::new();
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        match w.events().recv_timeout(Duration::from_millis(50)) {
            Ok(ev) => {
                let end = matches!(ev, Event::Ended | Event::Error(_));
                out.push(ev);
                if end {
                    return out;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => break,
        }
    }
    out
}

#[test]
fn busy_decoder_drops_frames_instead_of_queueing() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let source = Numbered { next: 0, count: 200, pause: Duration::from_micros(200) };
    let scanner = Slow { seen: seen.clone(), delay: Duration::from_millis(8) };
    let w = CameraWorker::spawn_with(move || Ok(source), scanner, WorkerConfig::default());
    let events = events_until_end(&w, Duration::from_secs(20));
    assert_eq!(events.last(), Some(&Event::Ended));
    let stats = w.stop();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(stats.captured, 200);
    assert_eq!(stats.decoded as usize, seen.len());
    assert_eq!(stats.captured, stats.decoded + stats.dropped, "{stats:?}");
    assert!(stats.dropped > 100, "a slow decoder must drop, not queue: {stats:?}");
    assert!(seen.windows(2).all(|p| p[0] < p[1]), "frames in order, newest first: {seen:?}");
    assert_eq!(seen.last(), Some(&199), "the newest frame is decoded");
}

/// Replays scripted scans, one per frame, and tells the source when it may send the next one.
struct Script(Vec<Scan>, std::sync::mpsc::Sender<()>);

impl FrameScanner for Script {
    fn scan(&mut self, frame: &GrayFrame) -> Scan {
        let _ = self.1.send(());
        self.0.get(number(frame) as usize).cloned().unwrap_or(Scan::NoCode)
    }
}

/// Numbered frames, each only after the scanner took the previous one: nothing is ever dropped,
/// however loaded the machine is.
struct Lockstep {
    inner: Numbered,
    taken: std::sync::mpsc::Receiver<()>,
}

impl FrameSource for Lockstep {
    fn next_frame(&mut self) -> Result<Option<GrayFrame>, Error> {
        if self.inner.next > 0 {
            let _ = self.taken.recv_timeout(Duration::from_secs(10));
        }
        self.inner.next_frame()
    }
}

#[test]
fn confirmation_and_feedback_events() {
    let a = || Scan::Text("000.00.12.H62-201105-0004".into());
    let script = vec![
        Scan::NoCode,
        Scan::NoCode,
        a(),
        Scan::Rejected(Reject::InvalidUtf8),
        a(),
        a(),
        a(),
        Scan::NoCode,
        a(),
        a(),
    ];
    let n = script.len() as u32;
    let (taken_tx, taken) = std::sync::mpsc::channel();
    let source = Lockstep { inner: Numbered { next: 0, count: n, pause: Duration::ZERO }, taken };
    let w = CameraWorker::spawn_with(move || Ok(source), Script(script, taken_tx), WorkerConfig::default());
    let events = events_until_end(&w, Duration::from_secs(10));
    let stats = w.stop();
    assert_eq!(stats.dropped, 0, "lockstep source: nothing dropped");
    assert_eq!(
        events,
        vec![
            Event::NoCode,
            Event::Unreadable(Reject::InvalidUtf8),
            Event::Decoded("000.00.12.H62-201105-0004".into()),
            Event::NoCode,
            Event::Ended,
        ],
        "two consecutive reads release once; a rejected code resets; the code held on is not released again"
    );
}

#[test]
fn dir_source_drives_the_real_decoder_and_preview() {
    let dir = tempfile::tempdir().unwrap();
    let text = receipt(12);
    let frame = render(text.as_bytes(), EcLevel::M, &Scene { module: 4.0, angle: 8.0, ..Scene::default() });
    for i in 0..2 {
        std::fs::write(dir.path().join(format!("{i:04}.png")), png_bytes(&frame)).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not a frame").unwrap();
    let source = DirSource::open(dir.path()).unwrap().with_fps(20.0).with_loops(3);
    let w = CameraWorker::spawn(source, WorkerConfig::default());
    let events = events_until_end(&w, Duration::from_secs(30));
    let preview = w.latest_frame().expect("a preview frame");
    assert_eq!((preview.width(), preview.height()), (320, 240));
    let stats = w.stop();
    assert_eq!(stats.captured, 6);
    let decoded: Vec<&Event> = events.iter().filter(|e| matches!(e, Event::Decoded(_))).collect();
    assert_eq!(decoded, vec![&Event::Decoded(text)], "one receipt held up, one lookup: {events:?}");
    assert_eq!(events.last(), Some(&Event::Ended));
}

#[test]
fn dir_source_needs_pngs() {
    let dir = tempfile::tempdir().unwrap();
    assert!(DirSource::open(dir.path()).is_err());
    assert!(DirSource::open(&dir.path().join("missing")).is_err());
}

struct Failing;

impl FrameSource for Failing {
    fn next_frame(&mut self) -> Result<Option<GrayFrame>, Error> {
        Err(Error::Camera("unplugged".into()))
    }
}

#[test]
fn source_errors_are_reported_and_stop_the_worker() {
    let w = CameraWorker::spawn(Failing, WorkerConfig::default());
    let events = events_until_end(&w, Duration::from_secs(5));
    assert_eq!(events, vec![Event::Error(Error::Camera("unplugged".into()))]);
    drop(w);

    let w = CameraWorker::spawn_with(
        || Err::<Failing, _>(Error::Camera("no /dev/video0".into())),
        Decoder::new(),
        WorkerConfig::default(),
    );
    let events = events_until_end(&w, Duration::from_secs(5));
    assert_eq!(events, vec![Event::Error(Error::Camera("no /dev/video0".into()))]);
}

#[test]
fn stopping_an_endless_source_returns() {
    let source = Numbered { next: 0, count: u32::MAX, pause: Duration::from_millis(1) };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let w = CameraWorker::spawn_with(
        move || Ok(source),
        Slow { seen, delay: Duration::from_millis(2) },
        WorkerConfig::default(),
    );
    std::thread::sleep(Duration::from_millis(50));
    let stats = w.stop();
    assert!(stats.captured > 0 && stats.decoded > 0, "{stats:?}");
}

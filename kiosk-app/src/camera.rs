//! The kiosk's camera for receipt QR codes: frames decoded on the device by `motcua-qr`'s
//! worker (which drops frames while busy), a live preview on the lookup screen, and feedback.
//!
//! Implements: opening the camera from `kiosk.toml` (`[camera]`: `none`, `dir` — a directory of
//! PNG frames, the camera twin — or `v4l2` with the `camera` cargo feature), and [`attach`],
//! which forwards confirmed payloads to the screen as scans (the same route as a code scanner:
//! only a payload read in two consecutive frames arrives, and it is routed by its shape), shows
//! "Đưa mã QR vào khung" feedback, and refreshes the preview while the lookup screen is up.

use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use motcua_qr::worker::{CameraWorker, DirSource, Event, WorkerConfig};
use slint::{ComponentHandle, Image, Rgb8Pixel, SharedPixelBuffer};

use crate::bridge::CommandSender;
use crate::config::CameraSection;
use crate::controllers::UiCommand;
use crate::ui::{self, AppWindow, LookupAdapter};

/// How often the preview is refreshed (and the feedback read) while the lookup screen shows.
pub const PREVIEW_EVERY: Duration = Duration::from_millis(100);

/// The camera `kiosk.toml` names, started, or `None` for `kind = "none"`.
pub fn open(cfg: &CameraSection) -> Result<Option<CameraWorker>> {
    let config = WorkerConfig::default();
    match cfg.kind.as_str() {
        "none" => Ok(None),
        "dir" => {
            let src = DirSource::open(Path::new(&cfg.device))
                .with_context(|| format!("camera frames in {}", cfg.device))?
                .with_fps(cfg.fps as f32);
            Ok(Some(CameraWorker::spawn(src, config)))
        }
        "v4l2" => open_v4l2(cfg, config),
        other => bail!("camera.kind {other:?}: use none, dir or v4l2"),
    }
}

#[cfg(feature = "camera")]
fn open_v4l2(cfg: &CameraSection, config: WorkerConfig) -> Result<Option<CameraWorker>> {
    let index: u32 = cfg
        .device
        .trim_start_matches("/dev/video")
        .parse()
        .with_context(|| format!("camera.device {:?}: use /dev/videoN", cfg.device))?;
    let cam = motcua_qr::camera::CameraConfig { index, fps: cfg.fps, ..motcua_qr::camera::CameraConfig::default() };
    let decoder = motcua_qr::Decoder::with_config(motcua_qr::DecoderConfig::default());
    Ok(Some(CameraWorker::spawn_with(move || motcua_qr::camera::V4l2Source::open(&cam), decoder, config)))
}

#[cfg(not(feature = "camera"))]
fn open_v4l2(_cfg: &CameraSection, _config: WorkerConfig) -> Result<Option<CameraWorker>> {
    bail!("camera.kind = \"v4l2\" needs motcua built with the `camera` feature (cargo build --features camera)")
}

/// Keeps the preview timer running; drop it to stop.
pub struct CameraHandle {
    _timer: slint::Timer,
}

impl std::fmt::Debug for CameraHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraHandle").finish_non_exhaustive()
    }
}

/// Wires `worker` to the window: payloads become scans, feedback and preview reach the lookup
/// screen. Call on the UI thread.
pub fn attach(ui: &AppWindow, commands: &CommandSender, worker: CameraWorker) -> CameraHandle {
    let worker = Rc::new(worker);
    let timer = slint::Timer::default();
    let (weak, tx, w) = (ui.as_weak(), commands.clone(), Rc::clone(&worker));
    let mut shown: Option<Arc<motcua_qr::GrayFrame>> = None;
    timer.start(slint::TimerMode::Repeated, PREVIEW_EVERY, move || {
        let Some(ui) = weak.upgrade() else { return };
        let adapter = ui.global::<LookupAdapter>();
        while let Ok(ev) = w.events().try_recv() {
            match ev {
                Event::Decoded(text) => ui::send(&ui, &tx, UiCommand::Scanned(text)),
                Event::NoCode => adapter.set_camera_hint(1),
                Event::Unreadable(_) => adapter.set_camera_hint(2),
                Event::Error(e) => {
                    tracing::error!(error = %e, "camera stopped");
                    adapter.set_has_preview(false);
                }
                Event::Ended => adapter.set_has_preview(false),
            }
        }
        // The preview costs a copy per frame: only while the lookup screen shows.
        if ui::screen(&ui) != crate::controllers::Screen::Lookup {
            return;
        }
        if let Some(frame) = w.latest_frame().filter(|f| !shown.as_ref().is_some_and(|s| Arc::ptr_eq(s, f))) {
            adapter.set_preview(to_image(&frame));
            adapter.set_has_preview(true);
            shown = Some(frame);
        }
    });
    CameraHandle { _timer: timer }
}

/// A grey frame as a Slint image.
pub fn to_image(frame: &motcua_qr::GrayFrame) -> Image {
    let mut buf = SharedPixelBuffer::<Rgb8Pixel>::new(frame.width(), frame.height());
    for (px, &g) in buf.make_mut_slice().iter_mut().zip(frame.data()) {
        *px = Rgb8Pixel { r: g, g, b: g };
    }
    Image::from_rgb8(buf)
}

//! The kiosk in a real window: Slint's event loop on this thread, the controller on its own.
//!
//! Two backends: winit (a desktop window, X11 or Wayland) and, in builds with the `kms` feature
//! (the Raspberry Pi package), linuxkms: the kiosk draws straight on the screen through DRM/KMS
//! with Slint's software renderer and reads the touchscreen through libinput, no X or Wayland and
//! no seat manager (the service user is in the `video`, `render` and `input` groups). The backend
//! is chosen at run time by `SLINT_BACKEND` (`linuxkms-software` in the kiosk's systemd unit,
//! `winit` by default) or by [`select_backend`] (`motcua kiosk --backend NAME`).
//!
//! Full screen on a desktop kiosk: set `SLINT_FULLSCREEN=1` in the service's environment (Slint's
//! winit backend reads it); linuxkms always fills the screen. The window size below is what a
//! desktop session gets.

use std::sync::Arc;

use anyhow::Context;
use slint::ComponentHandle;

use crate::backend::KioskContext;
use crate::bridge::{ControllerThread, SlintSink, command_channel};
use crate::controllers::TakeNumber;
use crate::ui::{self, AppWindow};

/// Whether this build has the linuxkms backend (cargo feature `kms`).
pub const HAS_LINUXKMS: bool = cfg!(feature = "kms");

/// Chooses Slint's backend before the first window opens: `linuxkms` (or `linuxkms-software`),
/// `winit` (or `winit-software`, ...). `None` leaves the choice to `SLINT_BACKEND` and Slint's
/// default (winit, then linuxkms when there is no windowing system).
pub fn select_backend(name: Option<&str>) -> anyhow::Result<()> {
    let Some(name) = name else { return Ok(()) };
    if name.starts_with("linuxkms") && !HAS_LINUXKMS {
        anyhow::bail!(
            "backend {name:?}: this motcua was built without the linuxkms backend (cargo feature `kms`); use winit"
        );
    }
    slint::BackendSelector::new()
        .backend_name(name.to_owned())
        .select()
        .with_context(|| format!("starting Slint's {name} backend (is there a display?)"))
}

/// Whether the kiosk runs as a kiosk (full screen through `SLINT_FULLSCREEN`, or on linuxkms)
/// rather than in a developer's window: then closing the window is refused.
pub fn locked_down() -> bool {
    let fullscreen = std::env::var("SLINT_FULLSCREEN").is_ok_and(|v| !v.is_empty() && v != "0");
    let kms = std::env::var("SLINT_BACKEND").is_ok_and(|b| b.starts_with("linuxkms"));
    fullscreen || kms
}

/// Opens the kiosk window sized from `ctx.settings` and runs it until it is closed. Must be
/// called on the main thread (Slint's event loop lives there).
pub fn run_window(
    ctx: KioskContext,
    scanner: Option<Box<dyn motcua_device::scanner::CodeScanner>>,
    camera: Option<motcua_qr::worker::CameraWorker>,
) -> anyhow::Result<()> {
    let window = AppWindow::new().context("creating the kiosk window (is there a display?)")?;
    window.window().set_size(slint::LogicalSize::new(ctx.settings.width as f32, ctx.settings.height as f32));
    if locked_down() {
        // A kiosk on its screen: a citizen can't close it (a window manager's close, Alt+F4).
        // Staff restart it from the admin screen or with systemctl.
        window.window().on_close_requested(|| {
            tracing::warn!("close request ignored: the kiosk is locked down");
            slint::CloseRequestResponse::KeepWindowShown
        });
    }

    let (commands, rx) = command_channel();
    let controller = ControllerThread::spawn(TakeNumber::new(&ctx), rx, Arc::new(SlintSink::new(window.as_weak())))
        .context("starting the kiosk controller thread")?;

    ui::attach(&window, &ctx.settings, &commands);
    if let Some(scanner) = scanner {
        let (weak, tx) = (window.as_weak(), commands.clone());
        crate::scanning::spawn(scanner, move |text| {
            let tx = tx.clone();
            weak.upgrade_in_event_loop(move |ui| ui::send(&ui, &tx, crate::controllers::UiCommand::Scanned(text)))
                .is_ok()
        })
        .context("starting the scanner thread")?;
    }
    let _camera = camera.map(|worker| crate::camera::attach(&window, &commands, worker));
    let clock = ui::app_adapter::start_clock(&window, &ctx.settings);
    let result = window.run().context("running the kiosk window");

    drop(clock);
    drop(commands);
    controller.stop_and_join();
    drop(window);
    result
}

//! The kiosk in a real window (winit): Slint's event loop on this thread, the controller on its own.
//!
//! Full screen on the kiosk: set `SLINT_FULLSCREEN=1` in the service's environment (Slint's winit
//! backend reads it); the window size below is what a desktop session gets.

use std::sync::Arc;

use anyhow::Context;
use slint::ComponentHandle;

use crate::backend::KioskContext;
use crate::bridge::{ControllerThread, SlintSink, command_channel};
use crate::controllers::TakeNumber;
use crate::ui::{self, AppWindow};

/// Opens the kiosk window sized from `ctx.settings` and runs it until it is closed. Must be
/// called on the main thread (Slint's event loop lives there).
pub fn run_window(
    ctx: KioskContext,
    scanner: Option<Box<dyn motcua_device::scanner::CodeScanner>>,
    camera: Option<motcua_qr::worker::CameraWorker>,
) -> anyhow::Result<()> {
    let window = AppWindow::new().context("creating the kiosk window (is there a display?)")?;
    window.window().set_size(slint::LogicalSize::new(ctx.settings.width as f32, ctx.settings.height as f32));

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

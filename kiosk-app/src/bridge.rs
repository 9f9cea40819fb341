//! The bridge between Slint's event loop (main thread) and the controllers (a tokio runtime on
//! its own thread).
//!
//! UI → controller: [`CommandSender::send`] puts a [`UiCommand`] on a bounded tokio channel with
//! `try_send`, so a tap never blocks the UI; when the queue is full (the controller is stuck on a
//! slow hub) the tap is dropped and logged — the busy overlay is up in that case anyway.
//!
//! Controller → UI: an [`UpdateSink`]. In a window, [`SlintSink`] hands every update to the event
//! loop with `slint::Weak::upgrade_in_event_loop`. The headless platform uses [`QueueSink`]
//! instead and drains it itself: Slint's event-loop proxy is one per process (a global
//! `OnceCell`), while headless windows live one per test thread.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use crate::controllers::{Envelope, Tagged, TakeNumber, UiCommand, UpdateSink};
use crate::ui::AppWindow;

/// Commands the UI may have queued before the controller takes them.
pub const COMMAND_QUEUE: usize = 32;

/// The UI's end of the command channel; cheap to clone into every callback.
#[derive(Debug, Clone)]
pub struct CommandSender {
    tx: mpsc::Sender<Envelope>,
}

impl CommandSender {
    /// Queues `cmd`, sent in the UI's `session`, without waiting; `false` (and a log line) when
    /// it had to be dropped.
    pub fn send(&self, session: u64, cmd: UiCommand) -> bool {
        match self.tx.try_send(Envelope { session, command: cmd }) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(cmd)) => {
                tracing::warn!(?cmd, "controller busy: command dropped");
                false
            }
            Err(mpsc::error::TrySendError::Closed(cmd)) => {
                tracing::warn!(?cmd, "controller stopped: command dropped");
                false
            }
        }
    }
}

/// A bounded command channel: the sender for the UI, the receiver for the controller.
pub fn command_channel() -> (CommandSender, mpsc::Receiver<Envelope>) {
    let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
    (CommandSender { tx }, rx)
}

/// Delivers updates into a window's Slint event loop.
#[derive(Clone)]
pub struct SlintSink {
    ui: slint::Weak<AppWindow>,
}

impl std::fmt::Debug for SlintSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlintSink").finish_non_exhaustive()
    }
}

impl SlintSink {
    /// A sink applying updates to `ui` (which may be gone by the time they arrive).
    pub fn new(ui: slint::Weak<AppWindow>) -> Self {
        Self { ui }
    }
}

impl UpdateSink for SlintSink {
    fn send(&self, update: Tagged) {
        if let Err(e) = self.ui.upgrade_in_event_loop(move |ui| crate::ui::apply(&ui, update)) {
            // The window closed; nothing left to show it on.
            tracing::debug!(error = %e, "update after the event loop ended");
        }
    }
}

/// Collects updates for a UI thread that drains them itself (the headless platform).
#[derive(Debug)]
pub struct QueueSink {
    tx: Mutex<std::sync::mpsc::Sender<Tagged>>,
}

impl QueueSink {
    /// A sink and the receiver the UI thread drains.
    pub fn new() -> (Self, std::sync::mpsc::Receiver<Tagged>) {
        let (tx, rx) = std::sync::mpsc::channel();
        (Self { tx: Mutex::new(tx) }, rx)
    }
}

impl UpdateSink for QueueSink {
    fn send(&self, update: Tagged) {
        let tx = match self.tx.lock() {
            Ok(tx) => tx,
            Err(poisoned) => poisoned.into_inner(),
        };
        // A closed receiver means the headless window is gone; dropping is right then.
        let _ = tx.send(update);
    }
}

/// The controller's thread: a current-thread tokio runtime (its blocking pool runs the hub and
/// printer calls). It ends on [`ControllerThread::stop_and_join`], or when every
/// [`CommandSender`] is dropped.
#[derive(Debug)]
pub struct ControllerThread {
    handle: JoinHandle<()>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl ControllerThread {
    /// Starts `controller` on its own thread, reading `commands` and writing to `sink`.
    pub fn spawn(
        controller: TakeNumber,
        commands: mpsc::Receiver<Envelope>,
        sink: Arc<dyn UpdateSink>,
    ) -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = std::thread::Builder::new().name("motcua-kiosk-ui-ctl".into()).spawn(move || {
            rt.block_on(controller.run(commands, sink, async {
                // Dropping the sender without sending also means stop.
                let _ = stopped.await;
            }));
            // A hub call stuck past its timeout must not keep the window from closing.
            rt.shutdown_timeout(std::time::Duration::from_secs(2));
        })?;
        Ok(Self { handle, stop })
    }

    /// Stops the controller (abandoning a command in progress) and waits for its thread.
    pub fn stop_and_join(self) {
        let _ = self.stop.send(());
        if self.handle.join().is_err() {
            tracing::error!("the kiosk controller thread panicked");
        }
    }
}

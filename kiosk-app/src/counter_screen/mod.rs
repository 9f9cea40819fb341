//! `motcua counter-screen`: the officer's monitor at a counter that has one.
//!
//! Implements issue 6, item 5: the officer signs in (officer id and PIN, checked by the hub),
//! sees the number called or served and who waits for the counter's fields, calls next,
//! recalls, skips, starts, finishes and transfers to another field, and types the citizen's
//! dossier code on the counter's keyboard; the code is checked here with the scanner crate's
//! parser before it reaches the hub, so a typo is explained, not sent. The actions also have
//! function keys (F2 call next, F3 recall, F4 skip, F5 start, F6 finish, F7 transfer), which
//! work while the dossier box has the focus.
//!
//! Layers: [`model`] (what is shown, plain data), [`controller`] (commands → hub actions, no
//! Slint, blocking, unit-tested with a fake hub), [`view`] (the Slint glue). In a window the
//! controller runs on a worker thread that also re-reads the queue every [`REFRESH`]; the UI
//! thread only sends commands over a bounded channel and applies views.
//!
//! Does not implement: the SSE feed (polling every 2 s is enough for one officer's screen and
//! survives a dropped link by itself), transfer to a named counter (the hub supports it; the
//! screen offers fields only), the officer's full name (the hub's API does not expose it).

pub mod controller;
pub mod model;
pub mod view;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use slint::ComponentHandle;

use crate::hubclient::RemoteHub;
use crate::ui::{CounterAdapter, CounterWindow};
use controller::{Command, CounterScreen, ScreenHub};
use model::CounterView;

/// How often the queue is re-read when the officer does nothing.
pub const REFRESH: Duration = Duration::from_secs(2);

/// Commands the UI may queue while the worker waits for the hub; more are dropped (logged).
const QUEUE: usize = 8;

/// How the counter screen runs.
#[derive(Debug, Clone)]
pub struct CounterScreenOptions {
    /// Hub base URL (`http://host:8700`).
    pub hub_url: String,
    /// This counter device's bearer token.
    pub token: String,
    /// Counter number.
    pub counter: u32,
    /// Office time zone for the clock.
    pub timezone: String,
    /// A window instead of full screen.
    pub windowed: bool,
}

/// Run `screen` until `commands` closes: each command (or, after [`REFRESH`] of silence, a
/// refresh) is handled and its view handed to `publish`; `publish` returns `false` to stop.
pub fn drive<H: ScreenHub>(
    mut screen: CounterScreen<H>,
    commands: &mpsc::Receiver<Command>,
    every: Duration,
    mut publish: impl FnMut(CounterView) -> bool,
) {
    if !publish(screen.handle(Command::Refresh)) {
        return;
    }
    loop {
        let cmd = match commands.recv_timeout(every) {
            Ok(cmd) => cmd,
            Err(mpsc::RecvTimeoutError::Timeout) => Command::Refresh,
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        if !publish(screen.handle(cmd)) {
            return;
        }
    }
}

fn set_clock(ui: &CounterWindow, tz: &jiff::tz::TimeZone) {
    let now = jiff::Timestamp::now().to_zoned(tz.clone());
    ui.global::<CounterAdapter>().set_time_text(now.strftime("%H:%M").to_string().into());
}

/// Open the counter screen and run until the window is closed. Main thread only.
pub fn run_counter_screen(opts: &CounterScreenOptions) -> Result<()> {
    let ui = CounterWindow::new().context("creating the counter screen (is there a display?)")?;
    ui.window().set_size(slint::LogicalSize::new(1920.0, 1080.0));
    ui.window().set_fullscreen(!opts.windowed);
    let tz = jiff::tz::TimeZone::get(&opts.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    set_clock(&ui, &tz);
    let clock = slint::Timer::default();
    {
        let weak = ui.as_weak();
        clock.start(slint::TimerMode::Repeated, Duration::from_secs(1), move || {
            if let Some(ui) = weak.upgrade() {
                set_clock(&ui, &tz);
            }
        });
    }
    let (tx, rx) = mpsc::sync_channel::<Command>(QUEUE);
    view::wire(&ui, move |cmd| {
        if let Err(e) = tx.try_send(cmd) {
            tracing::warn!(error = %e, "counter screen: hub busy, command dropped");
        }
    });
    let screen = CounterScreen::new(RemoteHub::new(&opts.hub_url, &opts.token), opts.counter);
    let weak = ui.as_weak();
    std::thread::Builder::new()
        .name("counter-screen".into())
        .spawn(move || {
            drive(screen, &rx, REFRESH, move |v| {
                // Err: the window is gone; stop.
                weak.upgrade_in_event_loop(move |ui| view::show(&ui, &v)).is_ok()
            });
        })
        .context("starting the counter screen worker")?;
    ui.run().context("running the counter screen")
}

/// What is typed in the screen's boxes when it is rendered headless.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    /// Officer id box.
    pub officer: String,
    /// PIN box (shown masked).
    pub pin: String,
    /// Dossier code box.
    pub code: String,
    /// Clock text (`09:15`).
    pub time: String,
    /// The transfer dialog is open.
    pub transfer_open: bool,
}

/// Render the counter screen showing `v` (with `typed` in its boxes) to a 1920x1080 PNG with
/// the headless renderer (no window system). Installs the headless platform on this thread.
pub fn render_png(v: &CounterView, typed: &Typed, path: &Path) -> Result<()> {
    let clock = crate::headless::install()?;
    let ui = CounterWindow::new().context("creating the counter screen")?;
    let window = crate::headless::take_last_window(&clock).context("no headless window")?;
    window.set_size(slint::PhysicalSize::new(1920, 1080));
    let a = ui.global::<CounterAdapter>();
    a.set_time_text(typed.time.as_str().into());
    a.set_officer_text(typed.officer.as_str().into());
    a.set_pin_text(typed.pin.as_str().into());
    a.set_code_text(typed.code.as_str().into());
    view::show(&ui, v);
    a.set_transfer_open(typed.transfer_open && v.current.is_some());
    ui.show().context("showing the counter screen")?;
    clock.advance(Duration::from_millis(16));
    crate::headless::render_png(&window, path)
}

/// `motcua counter-screen --headless`: read the hub once and render what the screen shows
/// (signed out) into `dir/counter-screen-N.png`. Returns the file.
pub fn render_headless(opts: &CounterScreenOptions, dir: &Path) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut screen = CounterScreen::new(RemoteHub::new(&opts.hub_url, &opts.token), opts.counter);
    let v = screen.handle(Command::Refresh);
    let path = dir.join(format!("counter-screen-{}.png", opts.counter));
    let tz = jiff::tz::TimeZone::get(&opts.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let time = jiff::Timestamp::now().to_zoned(tz).strftime("%H:%M").to_string();
    render_png(&v, &Typed { time, ..Typed::default() }, &path)?;
    if !v.connected {
        anyhow::bail!("{} written, but the hub at {} did not answer", path.display(), opts.hub_url);
    }
    if v.notice.is_error() {
        anyhow::bail!("{} written, but the hub at {} refused: {:?}", path.display(), opts.hub_url, v.notice);
    }
    Ok(path)
}

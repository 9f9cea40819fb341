//! The kiosk without a display: Slint's software renderer in a [`MinimalSoftwareWindow`], taps
//! simulated with pointer events, screens written as PNG files, time on a virtual clock.
//!
//! Used by `motcua kiosk --headless` ([`run_headless`]) and by the UI tests. Measured in
//! `/work/shared/docs/PLATFORM.md` §3: no X server, pixel-identical to the winit-software window.
//!
//! Slint keeps its platform per thread: [`install`] sets ours on the calling thread once and
//! every window created on that thread afterwards is headless. Two rules follow from Slint's
//! internals:
//! - Slint's event-loop proxy (behind `invoke_from_event_loop`) is one per process, so the
//!   headless platform has none; a [`HeadlessKiosk`] drains its controller's updates itself
//!   ([`QueueSink`]) whenever it is told to [`settle`](HeadlessKiosk::settle).
//! - Timers run on the platform's clock, which here is virtual: it only moves when
//!   [`HeadlessKiosk::advance`] moves it, so the idle timeout is tested without sleeping.
//!
//! Fonts: the UI embeds Noto Sans, so the pixels do not depend on the machine's fonts; but
//! fontique still needs fontconfig to find at least one system font, or Slint panics when the
//! platform is set (see PLATFORM.md §3).

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, PlatformError, PointerEventButton, WindowAdapter, WindowEvent};
use slint::{ComponentHandle, LogicalPosition, PhysicalSize, Rgb8Pixel};

use crate::backend::KioskContext;
use crate::bridge::{CommandSender, ControllerThread, QueueSink, command_channel};
use crate::controllers::{Lang, Screen, Tagged, TakeNumber, UiCommand, UiUpdate};
use crate::ui::{self, AppWindow, HitRect};

/// How long [`HeadlessKiosk::settle`] waits for the controller (hub and printer calls included).
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Shared {
    now: Cell<Duration>,
    last_window: RefCell<Option<Rc<MinimalSoftwareWindow>>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("now", &self.now.get()).finish_non_exhaustive()
    }
}

struct HeadlessPlatform {
    shared: Rc<Shared>,
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        *self.shared.last_window.borrow_mut() = Some(Rc::clone(&window));
        Ok(window)
    }

    fn duration_since_start(&self) -> Duration {
        self.shared.now.get()
    }
}

thread_local! {
    static INSTALLED: RefCell<Option<Rc<Shared>>> = const { RefCell::new(None) };
}

/// The headless platform's clock on this thread. Slint's timers and animations read it.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    shared: Rc<Shared>,
}

impl VirtualClock {
    /// Time since the platform was installed, as Slint sees it.
    pub fn now(&self) -> Duration {
        self.shared.now.get()
    }

    /// Moves the clock forward and fires the timers that became due.
    pub fn advance(&self, by: Duration) {
        self.shared.now.set(self.shared.now.get() + by);
        slint::platform::update_timers_and_animations();
    }
}

/// Installs the headless platform on this thread, or returns the one installed before. Fails if
/// another Slint platform (a winit window) already runs on this thread.
pub fn install() -> anyhow::Result<VirtualClock> {
    if let Some(shared) = INSTALLED.with(|i| i.borrow().clone()) {
        return Ok(VirtualClock { shared });
    }
    let shared = Rc::new(Shared::default());
    slint::platform::set_platform(Box::new(HeadlessPlatform { shared: Rc::clone(&shared) }))
        .map_err(|e| anyhow::anyhow!("cannot install the headless Slint platform on this thread: {e}"))?;
    INSTALLED.with(|i| *i.borrow_mut() = Some(Rc::clone(&shared)));
    Ok(VirtualClock { shared })
}

/// The window the headless platform made for the component created last on this thread.
pub fn take_last_window(clock: &VirtualClock) -> Option<Rc<MinimalSoftwareWindow>> {
    clock.shared.last_window.borrow_mut().take()
}

/// An RGB screenshot.
#[derive(Clone, PartialEq, Eq)]
pub struct Screenshot {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes, RGB, row-major.
    pub rgb: Vec<u8>,
}

impl std::fmt::Debug for Screenshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screenshot").field("width", &self.width).field("height", &self.height).finish_non_exhaustive()
    }
}

impl Screenshot {
    /// The pixel at (x, y), if inside.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        Some([self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]])
    }

    /// PNG bytes.
    pub fn to_png(&self) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.width, self.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().context("PNG header")?;
        writer.write_image_data(&self.rgb).context("PNG data")?;
        writer.finish().context("PNG end")?;
        Ok(out)
    }

    /// Writes the PNG to `path`.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, self.to_png()?).with_context(|| format!("writing {}", path.display()))
    }
}

/// Renders `window` (a component shown on the headless platform) as it looks now.
pub fn render_window(window: &MinimalSoftwareWindow) -> Screenshot {
    slint::platform::update_timers_and_animations();
    let size = window.size();
    let (w, h) = (size.width, size.height);
    let mut buf = vec![Rgb8Pixel::new(0, 0, 0); w as usize * h as usize];
    window.request_redraw();
    window.draw_if_needed(|renderer| {
        renderer.render(&mut buf, w as usize);
    });
    let rgb = buf.iter().flat_map(|p| [p.r, p.g, p.b]).collect();
    Screenshot { width: w, height: h, rgb }
}

/// Renders and writes one PNG of `window`.
pub fn render_png(window: &MinimalSoftwareWindow, path: &Path) -> anyhow::Result<()> {
    render_window(window).save(path)
}

/// A kiosk window on the headless platform with its controller running: tap, settle, render.
pub struct HeadlessKiosk {
    ui: AppWindow,
    window: Rc<MinimalSoftwareWindow>,
    clock: VirtualClock,
    commands: Option<CommandSender>,
    updates: std::sync::mpsc::Receiver<Tagged>,
    controller: Option<ControllerThread>,
    next_sync: Cell<u64>,
    camera: std::cell::RefCell<Option<crate::camera::CameraHandle>>,
}

impl std::fmt::Debug for HeadlessKiosk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadlessKiosk").field("size", &self.window.size()).finish_non_exhaustive()
    }
}

impl HeadlessKiosk {
    /// Installs the headless platform on this thread if needed, opens a window of
    /// `ctx.settings.width` × `ctx.settings.height`, starts the controller and waits until the
    /// start screen shows the catalog's office name.
    pub fn start(ctx: KioskContext) -> anyhow::Result<Self> {
        let clock = install()?;
        let ui = AppWindow::new().context("creating the kiosk window")?;
        let window = clock.shared.last_window.borrow_mut().take().context("the headless platform created no window")?;
        window.set_size(PhysicalSize::new(ctx.settings.width, ctx.settings.height));
        ui.show().context("showing the kiosk window")?;

        let (commands, rx) = command_channel();
        let (sink, updates) = QueueSink::new();
        let controller = ControllerThread::spawn(TakeNumber::new(&ctx), rx, Arc::new(sink))
            .context("starting the kiosk controller thread")?;
        ui::attach(&ui, &ctx.settings, &commands);
        let kiosk = Self {
            ui,
            window,
            clock,
            commands: Some(commands),
            updates,
            controller: Some(controller),
            next_sync: Cell::new(1),
            camera: std::cell::RefCell::new(None),
        };
        kiosk.settle()?;
        Ok(kiosk)
    }

    /// The Slint component (for reading adapters in tests).
    pub fn ui(&self) -> &AppWindow {
        &self.ui
    }

    /// The headless window.
    pub fn window(&self) -> &MinimalSoftwareWindow {
        &self.window
    }

    /// The virtual clock of this thread.
    pub fn clock(&self) -> &VirtualClock {
        &self.clock
    }

    /// The screen shown now.
    pub fn screen(&self) -> Screen {
        ui::screen(&self.ui)
    }

    /// The language shown now.
    pub fn language(&self) -> Lang {
        ui::language(&self.ui)
    }

    /// Whether the current screen's layout fits the window.
    pub fn layout_fits(&self) -> bool {
        self.ui.get_layout_fits()
    }

    /// Where the tappable element `id` (with `index` for list items) of the current screen is;
    /// `None` when it is not on screen. Ids: see `locate` in `ui/app.slint`.
    pub fn locate(&self, id: &str, index: usize) -> Option<HitRect> {
        let r = self.ui.invoke_locate(id.into(), i32::try_from(index).unwrap_or(i32::MAX));
        (r.width > 0.0 && r.height > 0.0).then_some(r)
    }

    /// Taps the centre of element `id` (see [`locate`](Self::locate)) and waits until the
    /// controller has handled what the tap caused.
    pub fn tap(&self, id: &str, index: usize) -> anyhow::Result<()> {
        let Some(r) = self.locate(id, index) else {
            bail!("{id:?} #{index} is not on the {:?} screen", self.screen());
        };
        self.tap_at(r.x + r.width / 2.0, r.y + r.height / 2.0);
        self.settle()
    }

    /// A finger down and up at (x, y) in logical pixels (no waiting for the controller).
    pub fn tap_at(&self, x: f32, y: f32) {
        let position = LogicalPosition::new(x, y);
        let button = PointerEventButton::Left;
        let w = self.ui.window();
        w.dispatch_event(WindowEvent::PointerMoved { position });
        w.dispatch_event(WindowEvent::PointerPressed { position, button });
        w.dispatch_event(WindowEvent::PointerReleased { position, button });
        w.dispatch_event(WindowEvent::PointerExited);
        slint::platform::update_timers_and_animations();
    }

    /// Applies the controller's pending updates and fires due timers, without waiting.
    pub fn pump(&self) {
        while let Ok(t) = self.updates.try_recv() {
            ui::apply(&self.ui, t);
        }
        slint::platform::update_timers_and_animations();
    }

    /// Waits until the controller has handled every command sent so far and applies all it
    /// answered.
    pub fn settle(&self) -> anyhow::Result<()> {
        let n = self.next_sync.get();
        self.next_sync.set(n + 1);
        let Some(commands) = &self.commands else { bail!("kiosk stopped") };
        if !commands.send(ui::app_adapter::session(&self.ui), UiCommand::Sync(n)) {
            bail!("the controller does not take commands");
        }
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let t = self.updates.recv_timeout(left).map_err(|e| anyhow::anyhow!("controller did not answer: {e}"))?;
            if t.update == UiUpdate::Synced(n) {
                break;
            }
            ui::apply(&self.ui, t);
        }
        slint::platform::update_timers_and_animations();
        Ok(())
    }

    /// Attaches a QR camera worker, as the windowed kiosk does with `[camera]`.
    pub fn attach_camera(&self, worker: motcua_qr::worker::CameraWorker) -> anyhow::Result<()> {
        let Some(commands) = &self.commands else { bail!("kiosk stopped") };
        *self.camera.borrow_mut() = Some(crate::camera::attach(&self.ui, commands, worker));
        Ok(())
    }

    /// A code scanner (or the camera) read `text`: the kiosk routes it as a real scan, then settles.
    pub fn scan(&self, text: &str) -> anyhow::Result<()> {
        let Some(commands) = &self.commands else { bail!("kiosk stopped") };
        if !commands.send(ui::app_adapter::session(&self.ui), UiCommand::Scanned(text.to_owned())) {
            bail!("the controller does not take commands");
        }
        self.settle()
    }

    /// Types `text` on the lookup keypad, key by key (the keypad types `.` and `-` itself).
    pub fn type_on_keypad(&self, text: &str) -> anyhow::Result<()> {
        for c in text.chars().filter(|c| !matches!(c, '.' | '-')) {
            let keys = ui::lookup_adapter::keys(&self.ui);
            let Some(i) = keys.iter().position(|k| k.chars().eq(std::iter::once(c))) else {
                bail!("the keypad offers no {c:?} now (it offers {keys:?})");
            };
            self.tap("key", i)?;
        }
        Ok(())
    }

    /// Moves the virtual clock forward (firing due timers) and settles.
    pub fn advance(&self, by: Duration) -> anyhow::Result<()> {
        self.clock.advance(by);
        self.settle()
    }

    /// Renders the window as it looks now.
    pub fn render(&self) -> Screenshot {
        render_window(&self.window)
    }

    /// Renders the window into the PNG file `path` and returns the path.
    pub fn save_png(&self, path: &Path) -> anyhow::Result<PathBuf> {
        self.render().save(path)?;
        Ok(path.to_path_buf())
    }
}

impl Drop for HeadlessKiosk {
    fn drop(&mut self) {
        self.commands = None;
        let _ = self.ui.hide();
        if let Some(c) = self.controller.take() {
            c.stop_and_join();
        }
    }
}

/// A dossier the reference central seeds (`motcua_central::seed`), with its lookup secret.
pub const SAMPLE_DOSSIER: (&str, &str) = ("000.00.12.H62-261103-0001", "104729");

/// Walks the real take-a-number flow with simulated taps in Vietnamese and English, portrait
/// and landscape, and writes one PNG per screen into `out_dir`. Returns the files in order.
/// Every walk takes a real ticket from `ctx.hub` and prints it on `ctx.printer`.
pub fn run_headless(ctx: KioskContext, out_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let mut files = Vec::new();
    for (orientation, width, height) in [("portrait", 1080, 1920), ("landscape", 1920, 1080)] {
        for lang in [Lang::Vi, Lang::En] {
            let mut c = ctx.clone();
            c.settings.width = width;
            c.settings.height = height;
            let kiosk = HeadlessKiosk::start(c)?;
            if kiosk.language() != lang {
                kiosk.tap(&format!("lang-{}", lang.code()), 0)?;
            }
            let name = |step: &str| out_dir.join(format!("{orientation}-{}-{step}.png", lang.code()));
            files.push(kiosk.save_png(&name("1-home"))?);

            kiosk.tap("take-number", 0)?;
            expect(&kiosk, Screen::Picker)?;
            files.push(kiosk.save_png(&name("2-picker"))?);

            kiosk.tap("field", 0)?;
            if kiosk.screen() == Screen::Identify {
                // The optional CCCD step: the simulated card's citizen (CAN 012345) by chip.
                files.push(kiosk.save_png(&name("2b-identify"))?);
                if kiosk.locate("chip", 0).is_some() {
                    kiosk.tap("chip", 0)?;
                    for d in [0, 1, 2, 3, 4, 5] {
                        kiosk.tap("key", d)?;
                    }
                    kiosk.tap("submit", 0)?;
                    files.push(kiosk.save_png(&name("2c-identified"))?);
                }
                let next = if kiosk.locate("accept", 0).is_some() { "accept" } else { "skip" };
                kiosk.tap(next, 0)?;
            }
            if kiosk.screen() == Screen::Priority {
                files.push(kiosk.save_png(&name("3-priority"))?);
                kiosk.tap("none", 0)?;
            }
            expect(&kiosk, Screen::Confirmation)?;
            files.push(kiosk.save_png(&name("4-confirmation"))?);
            kiosk.tap("done", 0)?;

            // "Hoàn tất" ends the session in the default language; walk on in ours.
            if kiosk.language() != lang {
                kiosk.tap(&format!("lang-{}", lang.code()), 0)?;
            }
            kiosk.tap("lookup", 0)?;
            expect(&kiosk, Screen::Lookup)?;
            kiosk.type_on_keypad(SAMPLE_DOSSIER.0.get(..11).unwrap_or_default())?;
            files.push(kiosk.save_png(&name("5-lookup"))?);
            // A receipt held to the scanner: one of the reference central's seeded dossiers.
            kiosk.scan(&format!("{}|{}", SAMPLE_DOSSIER.0, SAMPLE_DOSSIER.1))?;
            files.push(kiosk.save_png(&name("6-lookup-result"))?);
            kiosk.tap("back", 0)?;
            expect(&kiosk, Screen::Home)?;
        }
    }
    Ok(files)
}

fn expect(kiosk: &HeadlessKiosk, screen: Screen) -> anyhow::Result<()> {
    let now = kiosk.screen();
    if now != screen {
        bail!("expected the {screen:?} screen, the kiosk shows {now:?}");
    }
    Ok(())
}

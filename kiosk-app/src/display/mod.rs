//! `motcua display`: the hall display. The feed thread keeps a [`model::DisplayModel`] from the
//! hub's snapshot and push stream; each change is copied into the Slint view on the event loop,
//! and each call is handed to the announcer thread (serialised, never cut off).

pub mod feed;
pub mod model;

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::ui::{CallRow, DisplayAdapter, DisplayWindow, WaitingRow};
use model::{CallAnnouncement, DisplayModel};

/// How the display runs.
#[derive(Debug, Clone)]
pub struct DisplayOptions {
    /// Hub base URL (`http://host:8700`).
    pub hub_url: String,
    /// This display's bearer token.
    pub token: String,
    /// Portrait layout.
    pub portrait: bool,
    /// Office time zone for the clock.
    pub timezone: String,
    /// ALSA device for announcements (`default`, `plughw:1,0`, `null`), or `sim` for the
    /// simulated output.
    pub audio_device: String,
    /// How announcements sound.
    pub voice: VoiceOptions,
    /// A window instead of full screen (for trying it on a desktop).
    pub windowed: bool,
}

/// How announcements sound.
#[derive(Debug, Clone)]
pub struct VoiceOptions {
    /// Wording template with `{number}` and `{counter}`.
    pub wording: String,
    /// espeak-ng voice: `vi` (Northern), `vi-vn-x-central`, `vi-vn-x-south`.
    pub espeak_voice: String,
    /// Directory of recorded clips (README of motcua-voice); espeak-ng when absent or incomplete.
    pub clips: Option<std::path::PathBuf>,
    /// Volume schedule, e.g. `07:30=80,11:30=40,13:30=80,17:00=0`; empty for 100 % all day.
    pub volume_schedule: String,
}

impl Default for VoiceOptions {
    fn default() -> Self {
        Self {
            wording: motcua_voice::wording::DEFAULT_TEMPLATE.to_owned(),
            espeak_voice: "vi".to_owned(),
            clips: None,
            volume_schedule: String::new(),
        }
    }
}

impl VoiceOptions {
    /// The player these options describe, or what is wrong with them.
    pub fn player(&self) -> Result<motcua_voice::player::Player> {
        let wording = motcua_voice::Wording::new(&self.wording, true)
            .with_context(|| format!("wording {:?} must contain {{number}}", self.wording))?;
        let entries: Vec<(&str, u8)> = self
            .volume_schedule
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| {
                let (t, v) = e.split_once('=').with_context(|| format!("volume entry {e:?}: use HH:MM=PERCENT"))?;
                Ok((t, v.trim().parse::<u8>().with_context(|| format!("volume entry {e:?}: bad percent"))?))
            })
            .collect::<Result<_>>()?;
        let schedule = motcua_voice::schedule::VolumeSchedule::new(&entries).map_err(anyhow::Error::msg)?;
        Ok(motcua_voice::player::Player {
            wording,
            clips: self.clips.as_deref().map(motcua_voice::voice::ClipVoice::new),
            espeak: motcua_voice::voice::EspeakVoice { voice: self.espeak_voice.clone(), ..Default::default() },
            schedule,
        })
    }
}

/// Copy the model into the view.
pub fn show(ui: &DisplayWindow, m: &DisplayModel) {
    let a = ui.global::<DisplayAdapter>();
    a.set_office_name(m.office_name.as_str().into());
    a.set_connected(m.connected);
    match m.calls.front() {
        Some(c) => {
            a.set_newest_number(c.number.as_str().into());
            a.set_newest_counter(c.counter.to_string().into());
            a.set_newest_recall(c.recall);
        }
        None => {
            a.set_newest_number(SharedString::new());
            a.set_newest_counter(SharedString::new());
            a.set_newest_recall(false);
        }
    }
    let recent: Vec<CallRow> = m
        .calls
        .iter()
        .skip(1)
        .map(|c| CallRow {
            number: c.number.as_str().into(),
            counter: c.counter.to_string().into(),
            time: c.time.as_str().into(),
        })
        .collect();
    a.set_recent(ModelRc::new(VecModel::from(recent)));
    let waiting: Vec<WaitingRow> = m
        .fields_in_order()
        .into_iter()
        .map(|f| WaitingRow {
            letter: f.letter.as_str().into(),
            name: f.name.as_str().into(),
            waiting: i32::try_from(f.waiting).unwrap_or(i32::MAX),
        })
        .collect();
    a.set_waiting(ModelRc::new(VecModel::from(waiting)));
}

fn set_clock(ui: &DisplayWindow, tz: &jiff::tz::TimeZone) {
    let now = jiff::Timestamp::now().to_zoned(tz.clone());
    let a = ui.global::<DisplayAdapter>();
    a.set_time_text(now.strftime("%H:%M").to_string().into());
    a.set_date_text(now.strftime("%d/%m/%Y").to_string().into());
}

/// Say calls one after another on a thread of their own, through `out`.
fn spawn_announcer(
    tz: jiff::tz::TimeZone,
    mut player: motcua_voice::player::Player,
    mut out: Box<dyn motcua_device::audio::AudioOut>,
) -> Result<mpsc::Sender<CallAnnouncement>> {
    use motcua_voice::announcer::Event;
    use motcua_voice::{Announcement, Announcer, Kind};
    let (tx, rx) = mpsc::channel::<CallAnnouncement>();
    std::thread::Builder::new().name("announcer".into()).spawn(move || {
        let mut queue = Announcer::new(20, Duration::from_secs(10));
        let origin = Instant::now();
        while let Ok(c) = rx.recv() {
            let kind = if c.recall { Kind::Recall } else { Kind::Call };
            queue.handle_call(Announcement { number: c.number, counter: c.counter, kind });
            while let Some(ev) = queue.poll_play(origin.elapsed(), |_| Duration::from_secs(8)) {
                match ev {
                    Event::Play { id, announcement } => {
                        let minute = jiff::Timestamp::now().to_zoned(tz.clone());
                        let minute = u16::try_from(minute.hour()).unwrap_or(0) * 60
                            + u16::try_from(minute.minute()).unwrap_or(0);
                        match player.play(&announcement, minute, out.as_mut()) {
                            Ok(_) => queue.handle_finished(id),
                            // The device hung and its player was killed: let the queue's
                            // watchdog policy decide (replay once, then move on).
                            Err(motcua_voice::Error::Device(e)) if e.kind() == motcua_device::ErrorKind::Timeout => {
                                queue.handle_timeout(Duration::MAX);
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, number = %announcement.number, "announcement failed");
                                queue.handle_finished(id);
                            }
                        }
                    }
                    Event::Stuck { id } => tracing::warn!(id, "announcement stuck; audio restarted"),
                    Event::Lagging(n) => tracing::warn!(waiting = n, "announcements are lagging behind the calls"),
                }
            }
        }
    })?;
    Ok(tx)
}

/// Open the display window and run until it is closed.
pub fn run_display(opts: DisplayOptions) -> Result<()> {
    let ui = DisplayWindow::new().context("creating the display window (is there a display?)")?;
    let (w, h) = if opts.portrait { (1080.0, 1920.0) } else { (1920.0, 1080.0) };
    ui.window().set_size(slint::LogicalSize::new(w, h));
    // A hall display has nothing else on its screen.
    ui.window().set_fullscreen(!opts.windowed);
    ui.global::<DisplayAdapter>().set_portrait(opts.portrait);
    let tz = jiff::tz::TimeZone::get(&opts.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    set_clock(&ui, &tz);
    let clock = slint::Timer::default();
    {
        let weak = ui.as_weak();
        let tz = tz.clone();
        clock.start(slint::TimerMode::Repeated, Duration::from_secs(1), move || {
            if let Some(ui) = weak.upgrade() {
                set_clock(&ui, &tz);
            }
        });
    }
    let weak = ui.as_weak();
    let out: Box<dyn motcua_device::audio::AudioOut> = if opts.audio_device == "sim" {
        Box::new(motcua_device::sim::SimAudioOut::new())
    } else {
        Box::new(motcua_voice::aplay::AplayOut::new(&opts.audio_device))
    };
    spawn_pipeline(&opts, tz, out, move |m| {
        let m = m.clone();
        // Err: the window is gone, stop the feed.
        weak.upgrade_in_event_loop(move |ui| show(&ui, &m)).is_ok()
    })?;
    ui.run().context("running the display window")
}

/// The display's work without its window: the feed thread keeps the model from the hub's push
/// stream, calls `on_change` after every change (return `false` to stop), and hands each call
/// to the announcer thread, which says it through `out`.
pub fn spawn_pipeline(
    opts: &DisplayOptions,
    tz: jiff::tz::TimeZone,
    out: Box<dyn motcua_device::audio::AudioOut>,
    mut on_change: impl FnMut(&DisplayModel) -> bool + Send + 'static,
) -> Result<()> {
    let say = spawn_announcer(tz, opts.voice.player()?, out)?;
    let (url, token) = (opts.hub_url.clone(), opts.token.clone());
    std::thread::Builder::new().name("display-feed".into()).spawn(move || {
        let mut model = DisplayModel::default();
        feed::run(&url, &token, |msg| {
            match msg {
                feed::FeedMsg::Snapshot(s) => model.apply_snapshot(&s.0, &s.1),
                feed::FeedMsg::Event(ev) => {
                    if let Some(call) = model.apply_event(&ev) {
                        let _ = say.send(call);
                    }
                }
                feed::FeedMsg::Disconnected(_) => model.connected = false,
            }
            on_change(&model)
        });
    })?;
    Ok(())
}

/// Render the display for `model` to a PNG with the headless renderer (no window system).
pub fn render_png(model: &DisplayModel, portrait: bool, path: &Path) -> Result<()> {
    let clock = crate::headless::install()?;
    let ui = DisplayWindow::new().context("creating the display")?;
    let window = crate::headless::take_last_window(&clock).context("no headless window")?;
    let (w, h) = if portrait { (1080, 1920) } else { (1920, 1080) };
    window.set_size(slint::PhysicalSize::new(w, h));
    ui.global::<DisplayAdapter>().set_portrait(portrait);
    let a = ui.global::<DisplayAdapter>();
    a.set_time_text("09:15".into());
    a.set_date_text("23/11/2026".into());
    show(&ui, model);
    ui.show().context("showing the display")?;
    clock.advance(Duration::from_millis(16));
    crate::headless::render_png(&window, path)
}

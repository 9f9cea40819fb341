//! The `motcua` command line: one binary, one subcommand per role.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use motcua_device::printer::Printer;
use motcua_device::ticket::PaperWidth;
use motcua_hub::{Config, Hub, SystemClock};

use crate::backend::{HubClient, KioskContext};
use crate::config::KioskConfig;
use crate::hubclient::{LocalHub, RemoteHub};

/// motcua — kiosk, counters and hub of a one-stop office (Bộ phận một cửa).
#[derive(Debug, Parser)]
#[command(name = "motcua", version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    kiosk: KioskArgs,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// The touchscreen kiosk (the default): take a number, look up a dossier.
    Kiosk(KioskArgs),
    /// The office hub alone: queue engine, durable store and LAN API.
    Hub(HubArgs),
    /// The hall display: the calls as they happen, waiting counts, voice announcements.
    Display(DisplayArgs),
    /// A counter's rating keypad: officer keys call, recall, skip and finish; citizens rate.
    Counter(CounterArgs),
    /// A counter's screen: the officer signs in, calls, serves, transfers, links dossier codes.
    CounterScreen(CounterScreenArgs),
    /// Print the `pin_sha256` line of an officer for office.toml.
    OfficerPin {
        /// Officer id.
        officer: String,
        /// The PIN (digits). Read from MOTCUA_OFFICER_PIN when not given.
        #[arg(env = "MOTCUA_OFFICER_PIN")]
        pin: String,
    },
    /// Benchmarks; each prints a table and, as its last line, one JSON object.
    Bench {
        #[command(subcommand)]
        which: BenchCmd,
    },
    /// Check the devices and the queue database and say what to do about any problem.
    Doctor {
        /// Check the simulated twin of every device family.
        #[arg(long)]
        simulate: bool,
        /// Disconnect a simulated device first (printer, reader, scanner, keypad, camera,
        /// microphone, audio); repeatable.
        #[arg(long)]
        unplug: Vec<String>,
        /// Also print a test ticket.
        #[arg(long)]
        print_test: bool,
        /// The hub's data directory to check.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The kiosk settings whose devices must be there (default: /etc/motcua/kiosk.toml when
        /// it exists and --simulate is not given).
        #[arg(long, env = "MOTCUA_KIOSK_CONFIG")]
        kiosk_config: Option<PathBuf>,
        /// A counter's rating keypad that must be there (e.g. /dev/motcua/keypad).
        #[arg(long)]
        keypad: Option<String>,
        /// Read sys/, proc/, dev/ and run/ under this directory instead of / (tests).
        #[arg(long, hide = true)]
        sys_root: Option<PathBuf>,
        /// Wait for someone to scan any code at the configured scanner (20 s).
        #[arg(long)]
        scan_test: bool,
        /// Measure a microphone's level for one second (ALSA device: default, hw:1,0, …).
        #[arg(long)]
        microphone: Option<String>,
    },
    /// The reference central system (provincial side): event intake, dossier status.
    Central {
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:8800")]
        listen: SocketAddr,
        /// Database file.
        #[arg(long, default_value = "central.db")]
        db: PathBuf,
        /// A device allowed to send: DEVICE_ID=HEX_KEY (repeatable).
        #[arg(long = "device", value_name = "ID=HEXKEY")]
        devices: Vec<String>,
        /// Misbehave for tests: none, down, slow:MS, 5xx, reset, malformed, partial, skew:SECS.
        #[arg(long, default_value = "none")]
        fault: String,
    },
    /// Check an endpoint that claims the central contract (auth, idempotency, ordering, error
    /// shapes): for provincial integrators testing their adapter.
    Conformance {
        /// Base URL of the endpoint.
        #[arg(long)]
        url: String,
        /// A device id the endpoint knows.
        #[arg(long, default_value = "hub")]
        device: String,
        /// Its HMAC key, hex.
        #[arg(long, env = "MOTCUA_CENTRAL_KEY")]
        key: String,
        /// An office this device may send events for.
        #[arg(long, default_value = "000.00.12.H62")]
        office: String,
    },
    /// Print the hub's OpenAPI document.
    Openapi,
    /// Read a CCCD chip once and report how (reader, ATR, access method, files, APDUs, timing,
    /// passive/active/chip authentication); personal data only with --show-data. Exit 0 usable,
    /// 1 not read, 3 a check failed.
    ReadCard(crate::readcard::ReadCardArgs),
    /// Put the simulated CCCD chip on pcscd's virtual reader (vsmartcard-vpcd), with the
    /// misbehaviour switches, so the real PC/SC path can read it.
    SimCard(crate::readcard::SimCardArgs),
    /// Print a test page (every Vietnamese letter, each strategy) and report the printer's status;
    /// with --output, write the bytes to a file instead.
    PrintTest {
        /// Printer profile (epson-tm-t20, generic-58, generic-80, kiosk-80).
        #[arg(long, default_value = "generic-80")]
        profile: String,
        /// The standard sample ticket instead of the test page.
        #[arg(long)]
        ticket: bool,
        /// Write the bytes to this file (no printer).
        #[arg(long)]
        output: Option<PathBuf>,
        /// The printer: a /dev/usb/lp* path, tcp://host:9100, or serial:/dev/ttyUSB0@9600.
        #[arg(long)]
        device: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCmd {
    /// Read the simulated CCCD chip (15 KB face) through a model of the contactless link:
    /// APDUs and bytes from the real session, time modelled; adaptive (extended length) vs
    /// fixed 0xDF reads.
    Card {
        /// Link bit rate in kbit/s (ISO/IEC 14443: 106, 212, 424, 848).
        #[arg(long, default_value_t = 424)]
        kbps: u32,
        /// Fixed reader + card turnaround per APDU, in milliseconds.
        #[arg(long, default_value_t = 6.0)]
        per_apdu_ms: f64,
        /// Size of the face image in bytes.
        #[arg(long, default_value_t = 15_000)]
        face_bytes: usize,
    },
    /// Tickets from concurrent clients over the hub's HTTP API.
    Issue {
        /// Concurrent clients.
        #[arg(long, default_value_t = 50)]
        clients: usize,
        /// Tickets in total.
        #[arg(long, default_value_t = 5000)]
        tickets: usize,
        /// Directory on the disk to measure (default: the system temp dir).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Bytes, build time and link time of the standard ticket per printing strategy.
    Ticket {
        /// Builds to time per strategy (the median is reported).
        #[arg(long, default_value_t = 101)]
        rounds: usize,
    },
    /// Drain a backlog of events to the loopback reference central.
    Relay {
        /// Events in the backlog.
        #[arg(long, default_value_t = 100_000)]
        events: u64,
    },
    /// Decode every camera-like frame listed in DIR/truth.tsv (file, payload, level) on one
    /// thread: decoded, wrong, per level, CPU per frame.
    Qr {
        /// Corpus directory (`bench/qr/make_corpus.py DIR 300 565` makes one).
        dir: PathBuf,
    },
    /// From an officer's call-next to the first audio sample of the announcement.
    Announce {
        /// Calls to time.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// Record 640x480 MJPEG at 15 fps plus 16 kHz mono audio from file sources in real time;
    /// CPU (% of one core) and peak memory.
    Av {
        /// Seconds to record.
        #[arg(long, default_value_t = 60)]
        seconds: u32,
    },
}

#[derive(Debug, Args, Clone, Default)]
struct Common {
    /// Office configuration (fields, counters, priority classes). Default: the bundled sample.
    #[arg(long, env = "MOTCUA_CONFIG")]
    config: Option<PathBuf>,
    /// Where the hub keeps its database. Default: /var/lib/motcua if writable, else ~/.local/share/motcua.
    #[arg(long, env = "MOTCUA_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The provincial central system the relay delivers events to. Default: a reference central
    /// in this process on loopback (`<data-dir>/central.db`).
    #[arg(long, env = "MOTCUA_CENTRAL_URL")]
    central_url: Option<String>,
    /// This office box's device id at the central.
    #[arg(long, env = "MOTCUA_CENTRAL_DEVICE", default_value = "hub")]
    central_device: String,
    /// Its HMAC key, hex.
    #[arg(long, env = "MOTCUA_CENTRAL_KEY")]
    central_key: Option<String>,
}

impl Common {
    fn central_target(&self) -> Result<crate::uplink::CentralTarget> {
        Ok(match &self.central_url {
            None => crate::uplink::CentralTarget::Embedded,
            Some(url) => {
                let key = self.central_key.as_deref().context("--central-url needs --central-key (hex)")?;
                let key = hex::decode(key.trim()).context("--central-key must be hex")?;
                crate::uplink::CentralTarget::Remote { url: url.clone(), device_id: self.central_device.clone(), key }
            }
        })
    }
}

#[derive(Debug, Args, Clone, Default)]
struct KioskArgs {
    #[command(flatten)]
    common: Common,
    /// This kiosk's settings (kiosk.toml). Default: built-in defaults (see assets/config/kiosk.example.toml).
    #[arg(long, env = "MOTCUA_KIOSK_CONFIG")]
    kiosk_config: Option<PathBuf>,
    /// Talk to the office hub at this URL instead of running one in-process.
    #[arg(long)]
    hub_url: Option<String>,
    /// Bearer token for --hub-url.
    #[arg(long, env = "MOTCUA_HUB_TOKEN")]
    hub_token: Option<String>,
    /// No window: render the screens to PNG files and keep the hub and devices running.
    #[arg(long)]
    headless: bool,
    /// Where --headless writes its PNG files.
    #[arg(long, default_value = "motcua-screens")]
    screens_dir: PathBuf,
    /// With --headless: exit after writing the screens instead of serving until Ctrl-C.
    #[arg(long)]
    exit_after_render: bool,
    /// Override the orientation: portrait (1080x1920) or landscape (1920x1080).
    #[arg(long)]
    orientation: Option<String>,
    /// Slint backend: `linuxkms` (straight on the screen, no X or Wayland; builds with the
    /// `kms` feature) or `winit` (a desktop window); default: $SLINT_BACKEND, else winit.
    #[arg(long)]
    backend: Option<String>,
}

#[derive(Debug, Args, Clone)]
struct DisplayArgs {
    /// The office hub (the kiosk's embedded hub serves on http://127.0.0.1:8700).
    #[arg(long, default_value = "http://127.0.0.1:8700")]
    hub_url: String,
    /// This display's bearer token from office.toml ([[device]] with role "display").
    #[arg(long, env = "MOTCUA_HUB_TOKEN")]
    hub_token: String,
    /// Portrait layout (default landscape).
    #[arg(long)]
    portrait: bool,
    /// Office time zone of the clock.
    #[arg(long, default_value = "Asia/Ho_Chi_Minh")]
    timezone: String,
    /// ALSA device for the voice (`default`, `plughw:1,0`, `null` for silence), or `sim`.
    #[arg(long, default_value = "default")]
    audio_device: String,
    /// Announcement wording; `{number}` and `{counter}` are filled in.
    #[arg(long, default_value = motcua_voice::wording::DEFAULT_TEMPLATE)]
    wording: String,
    /// espeak-ng voice: vi (Northern), vi-vn-x-central, vi-vn-x-south.
    #[arg(long, default_value = "vi")]
    voice: String,
    /// Directory of recorded clips (layout in drivers/voice/README.md).
    #[arg(long)]
    clips: Option<PathBuf>,
    /// Volume by time of day, e.g. "07:30=80,11:30=40,13:30=80,17:00=0".
    #[arg(long, default_value = "")]
    volume_schedule: String,
    /// A window instead of full screen.
    #[arg(long)]
    windowed: bool,
}

#[derive(Debug, Args, Clone)]
struct CounterArgs {
    /// The office hub (the kiosk's embedded hub serves on http://127.0.0.1:8700).
    #[arg(long, default_value = "http://127.0.0.1:8700")]
    hub_url: String,
    /// This counter device's bearer token from office.toml ([[device]] with role "counter").
    #[arg(long, env = "MOTCUA_HUB_TOKEN")]
    hub_token: String,
    /// Counter number.
    #[arg(long)]
    counter: u32,
    /// The keypad: a serial port (/dev/ttyACM0, /dev/serial/by-id/...) or `sim` (a simulated
    /// keypad on a pseudo-terminal, its keys typed on this terminal).
    #[arg(long, default_value = "sim")]
    keypad: String,
    /// Rating keys on the keypad (3 to 5); officer keys follow them.
    #[arg(long, default_value_t = 3)]
    rating_keys: u8,
    /// Officer signing in.
    #[arg(long)]
    officer: Option<String>,
    /// The officer's PIN (required when office.toml lists officers).
    #[arg(long, env = "MOTCUA_OFFICER_PIN", hide_env_values = true)]
    pin: Option<String>,
    /// Record each service session (camera and microphone) from the call to the end of the
    /// rating window; keypad LED 15 is lit while recording. Clips are uploaded to
    /// --central-url (signed with --central-device/--central-key); without it they stay here.
    #[arg(long)]
    record: bool,
    /// Where --record keeps clips. Default: `recordings` in the data directory.
    #[arg(long, env = "MOTCUA_RECORDINGS_DIR")]
    recordings_dir: Option<PathBuf>,
    /// Camera for --record: `sim` (a test card) or a V4L2 MJPEG camera by path
    /// (/dev/v4l/by-id/...-video-index0; needs a build with the `camera` feature).
    #[arg(long, default_value = "sim")]
    camera: String,
    /// Microphone for --record: `sim` (a tone) or an ALSA device (`default`,
    /// `plughw:CARD=...,DEV=0`; needs a build with the `microphone` feature).
    #[arg(long, default_value = "sim")]
    microphone: String,
    /// With --record: serve the live camera picture to supervisors on the LAN at
    /// `http://ADDR/preview/COUNTER` (MJPEG), e.g. `0.0.0.0:8710`. Off by default.
    #[arg(long)]
    preview_listen: Option<SocketAddr>,
    /// Bearer token supervisors must send for the live picture (at least 16 characters).
    #[arg(long, env = "MOTCUA_PREVIEW_TOKEN", hide_env_values = true)]
    preview_token: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args, Clone)]
struct CounterScreenArgs {
    /// The office hub (the kiosk's embedded hub serves on http://127.0.0.1:8700).
    #[arg(long, default_value = "http://127.0.0.1:8700")]
    hub_url: String,
    /// This counter device's bearer token from office.toml ([[device]] with role "counter").
    #[arg(long, env = "MOTCUA_HUB_TOKEN", hide_env_values = true)]
    hub_token: String,
    /// Counter number.
    #[arg(long)]
    counter: u32,
    /// Office time zone of the clock.
    #[arg(long, default_value = "Asia/Ho_Chi_Minh")]
    timezone: String,
    /// A window instead of full screen.
    #[arg(long)]
    windowed: bool,
    /// No window: read the hub once, render the screen to a PNG in --screens-dir and exit.
    #[arg(long)]
    headless: bool,
    /// Where --headless writes its PNG file.
    #[arg(long, default_value = "motcua-screens")]
    screens_dir: PathBuf,
}

#[derive(Debug, Args, Clone)]
struct HubArgs {
    #[command(flatten)]
    common: Common,
    /// Address of the LAN API.
    #[arg(long, default_value = "0.0.0.0:8700")]
    listen: SocketAddr,
}

/// Parse the command line and run the chosen role.
pub fn main() -> Result<()> {
    let cli = Cli::parse();
    init_tracing();
    match cli.cmd {
        None => run_kiosk(cli.kiosk),
        Some(Cmd::Kiosk(a)) => run_kiosk(a),
        Some(Cmd::Hub(a)) => run_hub(a),
        Some(Cmd::Display(a)) => {
            if !display_available() {
                eprintln!("{NO_DISPLAY}");
                std::process::exit(2);
            }
            // systemd: ready; the watchdog is fed while Slint's event loop answers.
            crate::sdnotify::ready_with_watchdog(|| ui_alive(std::time::Duration::from_secs(10)));
            crate::display::run_display(crate::display::DisplayOptions {
                hub_url: a.hub_url,
                token: a.hub_token,
                portrait: a.portrait,
                timezone: a.timezone,
                audio_device: a.audio_device,
                voice: crate::display::VoiceOptions {
                    wording: a.wording,
                    espeak_voice: a.voice,
                    clips: a.clips,
                    volume_schedule: a.volume_schedule,
                },
                windowed: a.windowed,
            })
        }
        Some(Cmd::Bench { which: BenchCmd::Issue { clients, tickets, dir } }) => {
            crate::bench::run_issue(&crate::bench::IssueBench { clients, tickets, dir })
        }
        Some(Cmd::Bench { which: BenchCmd::Announce { rounds } }) => crate::bench::run_announce(rounds),
        Some(Cmd::Bench { which: BenchCmd::Qr { dir } }) => {
            let report =
                motcua_qr::bench::run(&dir).with_context(|| format!("decoding the corpus in {}", dir.display()))?;
            println!("{}", report.table());
            println!("{}", report.json());
            Ok(())
        }
        Some(Cmd::Bench { which: BenchCmd::Av { seconds } }) => {
            let report = motcua_recorder::bench_av(seconds).context("A/V recording bench")?;
            print!("{}", report.table());
            println!("{}", report.json());
            Ok(())
        }
        Some(Cmd::Bench { which: BenchCmd::Ticket { rounds } }) => crate::printcmd::run_bench_ticket(rounds),
        Some(Cmd::PrintTest { profile, ticket, output, device }) => {
            crate::printcmd::run_print_test(&profile, ticket, output.as_deref(), device.as_deref())
        }
        Some(Cmd::Doctor {
            simulate,
            unplug,
            print_test,
            data_dir,
            kiosk_config,
            keypad,
            sys_root,
            scan_test,
            microphone,
        }) => {
            let kiosk_config = crate::doctor::load_kiosk_config(kiosk_config.as_deref(), simulate)?;
            let opts = crate::doctor::DoctorOptions {
                simulate,
                unplug,
                print_test,
                data_dir,
                kiosk_config,
                keypad,
                root: sys_root,
                scan_test,
                microphone,
            };
            std::process::exit(crate::doctor::report(&crate::doctor::run_checks(&opts)));
        }
        Some(Cmd::Bench { which: BenchCmd::Relay { events } }) => crate::bench::run_relay(events),
        Some(Cmd::Bench { which: BenchCmd::Card { kbps, per_apdu_ms, face_bytes } }) => {
            crate::bench::run_card(kbps, per_apdu_ms, face_bytes)
        }
        Some(Cmd::ReadCard(a)) => crate::readcard::run_read_card(a),
        Some(Cmd::SimCard(a)) => crate::readcard::run_sim_card(a),
        Some(Cmd::Central { listen, db, devices, fault }) => run_central(listen, db, &devices, &fault),
        Some(Cmd::Conformance { url, device, key, office }) => {
            let key = hex::decode(key.trim()).context("--key must be hex")?;
            let target =
                motcua_central::conformance::ConformanceTarget { url, device_id: device, key, office_id: office };
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let results = rt.block_on(motcua_central::conformance::run_conformance(&target));
            for r in &results {
                println!("{} {:<28} {}", if r.ok { "[ OK ]" } else { "[FAIL]" }, r.name, r.detail);
            }
            let failed = results.iter().filter(|r| !r.ok).count();
            println!("{} passed, {} failed", results.len() - failed, failed);
            std::process::exit(i32::from(failed > 0));
        }
        Some(Cmd::Counter(a)) => run_counter(a),
        Some(Cmd::CounterScreen(a)) => run_counter_screen(a),
        Some(Cmd::OfficerPin { officer, pin }) => {
            println!("pin_sha256 = \"{}\"", motcua_hub::config::pin_hash(&officer, &pin));
            Ok(())
        }
        Some(Cmd::Openapi) => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{}", motcua_hub::server::openapi_json()) {
                // A reader that stops early (`motcua openapi | head`) is not an error.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            }
        }
    }
}

fn run_counter_screen(a: CounterScreenArgs) -> Result<()> {
    let opts = crate::counter_screen::CounterScreenOptions {
        hub_url: a.hub_url,
        token: a.hub_token,
        counter: a.counter,
        timezone: a.timezone,
        windowed: a.windowed,
    };
    if a.headless {
        let file = crate::counter_screen::render_headless(&opts, &a.screens_dir)?;
        println!("{}", file.display());
        return Ok(());
    }
    if !display_available() {
        eprintln!("{NO_DISPLAY}");
        std::process::exit(2);
    }
    crate::counter_screen::run_counter_screen(&opts)
}

fn run_counter(a: CounterArgs) -> Result<()> {
    use motcua_keypad::{KeyMap, KeypadDriver, SerialConfig, SerialConnector, SystemClock as KClock};
    if !(3..=5).contains(&a.rating_keys) {
        anyhow::bail!("--rating-keys must be 3, 4 or 5");
    }
    let session = u32::try_from(jiff::Timestamp::now().as_second() & 0xFFFF_FFFF).unwrap_or(1);
    let mut cfg = motcua_keypad::Config::new(session);
    cfg.keymap = KeyMap::new(a.rating_keys);
    let hub = RemoteHub::new(&a.hub_url, &a.hub_token);
    let keymap = cfg.keymap.clone();
    let mut recording = if a.record { Some(start_recording(&a, &hub)?) } else { None };
    let indicator = recording.as_ref().map(|(r, _)| r.indicator());
    if a.keypad == "sim" {
        let (mut twin, end) = motcua_keypad::sim::KeypadTwin::pair(KClock::new(), session ^ 0x5A5A)
            .context("cannot create the simulated keypad's pseudo-terminal")?;
        let mut end = Some(end);
        let connector = move || end.take().ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound));
        let driver =
            crate::recording::IndicatorKeypad::new(KeypadDriver::new(connector, KClock::new(), cfg), indicator);
        let mut station = crate::counter::Station::new(a.counter, hub, driver)
            .with_context(|| format!("hub at {} did not answer", a.hub_url))?;
        match (a.officer.clone(), a.pin.clone()) {
            // No PIN given: the officer types it on the keypad.
            (Some(officer), None) => station.begin_keypad_sign_in(&officer),
            (officer, pin) => station.sign_in(officer, pin).context("the counter could not be opened")?,
        }
        let keys = spawn_key_reader(keymap);
        eprintln!(
            "Simulated keypad for counter {}: n = next, r = recall, s = skip, f = finish, 1-{} = rating, q = quit.",
            a.counter, a.rating_keys
        );
        let mut shown = Vec::new();
        let mut pending: (Vec<String>, std::time::Instant) = (Vec::new(), std::time::Instant::now());
        loop {
            match keys.try_recv() {
                Ok(Some(id)) => {
                    if let Err(e) = twin.press(id) {
                        eprintln!("keypad: {e}");
                    }
                }
                Ok(None) | Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
            }
            let events = station.turn(std::time::Instant::now());
            observe_recording(recording.as_mut(), &events, station.last_reply());
            for ev in events {
                eprintln!("{ev:?}");
            }
            let _ = twin.poll();
            // Print the keypad's screen once its lines have settled (they arrive one by one).
            let lines: Vec<String> = twin.lines().values().cloned().collect();
            if lines != pending.0 {
                pending = (lines, std::time::Instant::now());
            } else if pending.0 != shown && pending.1.elapsed() > std::time::Duration::from_millis(150) {
                eprintln!("┌ keypad ─────────────────\n│ {}\n└─────────────────────────", pending.0.join("\n│ "));
                shown = pending.0.clone();
            }
        }
        return Ok(());
    }
    let connector = SerialConnector::new(SerialConfig::new(a.keypad.clone()));
    let driver = crate::recording::IndicatorKeypad::new(KeypadDriver::new(connector, KClock::new(), cfg), indicator);
    let mut station = crate::counter::Station::new(a.counter, hub, driver)
        .with_context(|| format!("hub at {} did not answer", a.hub_url))?;
    match (a.officer.clone(), a.pin.clone()) {
        // No PIN given: the officer types it on the keypad.
        (Some(officer), None) => station.begin_keypad_sign_in(&officer),
        (officer, pin) => station.sign_in(officer, pin).context("the counter could not be opened")?,
    }
    tracing::info!(counter = a.counter, keypad = %a.keypad, "counter station running");
    // Alive while the loop turns (each turn waits at most the keypad read timeout).
    let started = std::time::Instant::now();
    let last_turn = Arc::new(std::sync::atomic::AtomicU64::new(0));
    {
        let last_turn = Arc::clone(&last_turn);
        crate::sdnotify::ready_with_watchdog(move || {
            let now = started.elapsed().as_secs();
            now.saturating_sub(last_turn.load(std::sync::atomic::Ordering::Relaxed)) < 10
        });
    }
    loop {
        let events = station.turn(std::time::Instant::now());
        observe_recording(recording.as_mut(), &events, station.last_reply());
        for ev in events {
            tracing::info!(event = ?ev, "counter");
        }
        last_turn.store(started.elapsed().as_secs(), std::sync::atomic::Ordering::Relaxed);
    }
}

type CounterRecording = (crate::recording::SessionRecorder, crate::recording::Uploads);

/// `motcua counter --record`: capture, the session follower and the upload thread.
fn start_recording(a: &CounterArgs, hub: &RemoteHub) -> Result<CounterRecording> {
    use crate::counter::CounterHub as _;
    let dir = a.recordings_dir.clone().unwrap_or_else(|| data_dir(&a.common).join("recordings"));
    let scale = hub.rating_scale().with_context(|| format!("hub at {} did not answer", a.hub_url))?;
    let (recorder, store) = crate::recording::open_recorder(&dir, a.counter, &a.camera, &a.microphone)
        .with_context(|| format!("starting the counter recorder (clips in {})", dir.display()))?;
    if let Some(addr) = a.preview_listen {
        let token =
            a.preview_token.clone().filter(|t| t.len() >= 16).context(
                "--preview-listen needs --preview-token (or MOTCUA_PREVIEW_TOKEN) of at least 16 characters",
            )?;
        let feeds = std::collections::HashMap::from([(a.counter.to_string(), recorder.preview_feed())]);
        let router = motcua_recorder::preview::preview_router(feeds, &token);
        std::thread::Builder::new().name("motcua-preview".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return tracing::error!(error = %e, "live preview not started"),
            };
            rt.block_on(async move {
                match tokio::net::TcpListener::bind(addr).await {
                    Ok(l) => {
                        tracing::info!(%addr, "live camera preview for supervisors");
                        if let Err(e) = axum::serve(l, router).await {
                            tracing::error!(error = %e, "live preview stopped");
                        }
                    }
                    Err(e) => tracing::error!(%addr, error = %e, "live preview not started"),
                }
            });
        })?;
    }
    let uploader = match a.common.central_target()? {
        crate::uplink::CentralTarget::Embedded => {
            tracing::warn!(dir = %dir.display(), "--record without --central-url: clips are kept here, not uploaded");
            None
        }
        crate::uplink::CentralTarget::Remote { url, device_id, key } => {
            let cfg = motcua_relay::HttpCentralConfig {
                base_url: url,
                device_id,
                key,
                timeout: std::time::Duration::from_secs(60),
            };
            let central = motcua_relay::HttpCentral::new(cfg).map_err(|e| anyhow::anyhow!("central client: {e}"))?;
            Some(motcua_recorder::http::HttpUploader::new(central))
        }
    };
    let uploads = crate::recording::spawn_uploads(store.clone(), uploader, std::time::Duration::from_secs(300))
        .context("starting the recording upload thread")?;
    let rec = crate::recording::SessionRecorder::new(recorder, store, scale, a.officer.clone(), Some(uploads.waker()))
        .context("starting the recording worker")?;
    tracing::info!(dir = %dir.display(), camera = %a.camera, microphone = %a.microphone, "recording service sessions");
    Ok((rec, uploads))
}

fn observe_recording(
    rec: Option<&mut CounterRecording>,
    events: &[crate::counter::StationEvent],
    reply: Option<&motcua_hub::api::CounterReply>,
) {
    if let Some((r, _)) = rec {
        r.observe(events, reply, std::time::Instant::now());
        // The worker logs what it did; drain its reports so they do not pile up.
        while r.try_event().is_some() {}
    }
}

/// Keys typed on the terminal for the simulated keypad, as key ids; `None` on quit.
fn spawn_key_reader(keymap: motcua_keypad::KeyMap) -> std::sync::mpsc::Receiver<Option<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        loop {
            line.clear();
            match std::io::stdin().read_line(&mut line) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(_) => {}
            }
            for c in line.trim().chars() {
                let id = match c {
                    'n' => Some(keymap.next),
                    'r' => Some(keymap.recall),
                    's' => Some(keymap.skip),
                    'f' => Some(keymap.finish),
                    'q' => {
                        let _ = tx.send(None);
                        return;
                    }
                    d => d
                        .to_digit(10)
                        .and_then(|d| keymap.rating.get(usize::try_from(d).ok()?.checked_sub(1)?).copied()),
                };
                if id.is_some() && tx.send(id).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// The uplink's dossier client, shared with the relay's credentials.
struct SharedDossiers(Arc<crate::lookup::CentralDossiers>);

impl crate::lookup::DossierSource for SharedDossiers {
    fn fetch(&self, code: &str, secret: &str) -> Result<serde_json::Value, crate::lookup::LookupError> {
        self.0.fetch(code, secret)
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MOTCUA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: under systemd the log goes to journald as plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).try_init();
}

fn office_config(common: &Common) -> Result<Config> {
    match &common.config {
        Some(p) => Ok(Config::load(p)?),
        None => {
            tracing::info!("no --config given: running with the sample office (assets/config/office.example.toml)");
            Ok(Config::sample())
        }
    }
}

fn data_dir(common: &Common) -> PathBuf {
    if let Some(d) = &common.data_dir {
        return d.clone();
    }
    let system = Path::new("/var/lib/motcua");
    if system.is_dir() && std::fs::metadata(system).is_ok_and(|m| !m.permissions().readonly()) {
        return system.to_path_buf();
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/motcua"),
        None => PathBuf::from("motcua-data"),
    }
}

/// Whether a windowing system or a KMS display is there for Slint to open a window on.
pub fn display_available() -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    set("DISPLAY") || set("WAYLAND_DISPLAY") || std::env::var("SLINT_BACKEND").is_ok_and(|b| b.starts_with("linuxkms"))
}

const NO_DISPLAY: &str = "\
Không tìm thấy màn hình: chưa có DISPLAY hay WAYLAND_DISPLAY, nên ki-ốt không mở được cửa sổ.
No display found: neither DISPLAY nor WAYLAND_DISPLAY is set, so the kiosk cannot open a window.

Chạy không màn hình / run headless (screens rendered to PNG, hub and simulated devices running):
    motcua kiosk --headless --screens-dir motcua-screens
Or start a virtual display first:  xvfb-run -s '-screen 0 1080x1920x24' motcua kiosk";

/// On a terminal, ask whether to go on headless; `false` when nobody can answer.
fn offer_headless() -> bool {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("\nChạy ở chế độ không màn hình ngay bây giờ? / Run headless now? [C/k, Y/n] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_lowercase().as_str(), "" | "c" | "có" | "y" | "yes")
}

fn run_kiosk(mut args: KioskArgs) -> Result<()> {
    let kms_flag = args.backend.as_deref().is_some_and(|b| b.starts_with("linuxkms"));
    if !args.headless && !kms_flag && !display_available() {
        eprintln!("{NO_DISPLAY}");
        if !offer_headless() {
            std::process::exit(2);
        }
        args.headless = true;
    }
    let mut kcfg = match &args.kiosk_config {
        Some(p) => KioskConfig::load(p)?,
        None => KioskConfig::default(),
    };
    if let Some(o) = &args.orientation {
        kcfg.kiosk.orientation = o.clone();
    }
    if let Some(u) = &args.hub_url {
        kcfg.hub.url = u.clone();
    }
    if let Some(t) = &args.hub_token {
        kcfg.hub.token = t.clone();
    }
    kcfg.validate()?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("motcua-rt")
        .enable_all()
        .build()
        .context("tokio runtime")?;

    let mut office_tz = None;
    let mut embedded: Option<Hub> = None;
    let mut dossiers: Option<Box<dyn crate::lookup::DossierSource>> = None;
    let hub: Arc<dyn HubClient> = if kcfg.hub.url.is_empty() {
        let cfg = office_config(&args.common)?;
        office_tz = Some(cfg.office.timezone.clone());
        let dir = data_dir(&args.common);
        let hub = Hub::open(cfg, &dir.join("hub.db"), Arc::new(SystemClock))
            .with_context(|| format!("opening the hub database in {}", dir.display()))?;
        tracing::info!(db = %hub.db_path().display(), "embedded hub running");
        let uplink = crate::uplink::start(&rt, hub.db_path(), &dir, args.common.central_target()?)?;
        hub.add_health_source(Arc::new(crate::uplink::RelayHealth(uplink.metrics)));
        dossiers = Some(Box::new(SharedDossiers(uplink.dossiers)));
        if !kcfg.hub.listen.is_empty() {
            let addr: SocketAddr = kcfg.hub.listen.parse().context("hub.listen")?;
            match rt.block_on(tokio::net::TcpListener::bind(addr)) {
                Ok(listener) => {
                    tracing::info!(%addr, "hub LAN API listening");
                    rt.spawn(motcua_hub::server::serve(hub.clone(), listener, std::future::pending()));
                }
                // The kiosk still works without its LAN API (e.g. a second instance on one box).
                Err(e) => tracing::warn!(%addr, error = %e, "hub LAN API not started"),
            }
        }
        embedded = Some(hub.clone());
        Arc::new(LocalHub::new(hub, kcfg.kiosk.device_id.clone()))
    } else {
        tracing::info!(url = %kcfg.hub.url, "using the office hub");
        if let crate::uplink::CentralTarget::Remote { url, device_id, key } = args.common.central_target()? {
            dossiers = Some(Box::new(crate::lookup::CentralDossiers::new(&url, &device_id, key)));
        }
        Arc::new(RemoteHub::new(&kcfg.hub.url, &kcfg.hub.token))
    };
    let lookup = match dossiers {
        Some(source) => {
            let path = data_dir(&args.common).join("kiosk-cache.db");
            let cache = crate::lookup::DossierCache::open(&path)
                .or_else(|e| {
                    tracing::warn!(error = %e, path = %path.display(), "dossier cache unavailable; kept in memory");
                    crate::lookup::DossierCache::in_memory()
                })
                .context("dossier cache")?;
            Some(Arc::new(crate::lookup::Lookup::new(source, cache)))
        }
        None => {
            tracing::warn!("no central system configured for this kiosk: dossier lookup is off");
            None
        }
    };

    let paper = if kcfg.printer.paper_mm == 58 { PaperWidth::Mm58 } else { PaperWidth::Mm80 };
    let printer: Arc<Mutex<dyn Printer>> =
        crate::printcmd::kiosk_printer(&kcfg.printer.kind, &kcfg.printer.device, &kcfg.printer.profile, paper)
            .context("opening the ticket printer")?;
    tracing::info!(kind = %kcfg.printer.kind, profile = %kcfg.printer.profile, "printer: {} mm", kcfg.printer.paper_mm);
    // Paper near end, cover open, ... on the embedded hub's health page, metrics and journal.
    let monitor = crate::printer_health::PrinterMonitor::spawn(Arc::clone(&printer)).context("printer monitor")?;
    if let Some(h) = &embedded {
        h.add_health_source(Arc::new(monitor));
    }

    let mut settings = kcfg.settings();
    if let Some(tz) = office_tz {
        settings.timezone = tz;
    }
    let ctx = KioskContext { hub, printer, settings, lookup };
    // systemd: ready now; the watchdog is fed while the embedded hub commits and (with a window)
    // while Slint's event loop answers.
    let windowed = !args.headless;
    crate::sdnotify::ready_with_watchdog(move || {
        let hub_ok = embedded.as_ref().is_none_or(|h| h.blocking_ping(std::time::Duration::from_secs(10)));
        hub_ok && (!windowed || ui_alive(std::time::Duration::from_secs(10)))
    });
    if args.headless {
        std::fs::create_dir_all(&args.screens_dir)?;
        let files = crate::headless::run_headless(ctx, &args.screens_dir)?;
        for f in &files {
            println!("{}", f.display());
        }
        println!("{} màn hình đã lưu vào / screens written to {}", files.len(), args.screens_dir.display());
        if args.exit_after_render {
            return Ok(());
        }
        println!(
            "Hub và thiết bị mô phỏng đang chạy; Ctrl-C để dừng. / Hub and simulated devices running; Ctrl-C to stop."
        );
        rt.block_on(async {
            let _ = tokio::signal::ctrl_c().await;
        });
        return Ok(());
    }
    // Slint's event loop owns this (main) thread until the window closes.
    let scanner = crate::scanning::open(&kcfg.scanner);
    if scanner.is_some() {
        tracing::info!(kind = %kcfg.scanner.kind, device = %kcfg.scanner.device, "code scanner");
    }
    let camera = crate::camera::open(&kcfg.camera).context("opening the QR camera")?;
    if camera.is_some() {
        tracing::info!(kind = %kcfg.camera.kind, device = %kcfg.camera.device, "QR camera");
    }
    crate::window::select_backend(args.backend.as_deref())?;
    let result = crate::window::run_window(ctx, scanner, camera);
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    if let Err(e) = &result {
        let msg = format!("{e:#}");
        if msg.contains("display") || msg.contains("Display") || msg.contains("backend") {
            eprintln!("{NO_DISPLAY}\n\n({msg})");
            std::process::exit(2);
        }
    }
    result
}

/// Whether Slint's event loop runs a closure within `timeout` (a hung UI thread fails this).
fn ui_alive(timeout: std::time::Duration) -> bool {
    let (tx, rx) = std::sync::mpsc::channel();
    if slint::invoke_from_event_loop(move || {
        let _ = tx.send(());
    })
    .is_err()
    {
        return false;
    }
    rx.recv_timeout(timeout).is_ok()
}

/// Whether a tokio runtime runs a task within `timeout` (a wedged runtime fails this).
fn runtime_alive(handle: &tokio::runtime::Handle, timeout: std::time::Duration) -> bool {
    let (tx, rx) = std::sync::mpsc::channel();
    handle.spawn(async move {
        let _ = tx.send(());
    });
    rx.recv_timeout(timeout).is_ok()
}

fn run_central(listen: SocketAddr, db: PathBuf, devices: &[String], fault: &str) -> Result<()> {
    let mut creds = Vec::new();
    for d in devices {
        let (id, key) = d.split_once('=').with_context(|| format!("--device {d:?}: use ID=HEXKEY"))?;
        let key = hex::decode(key).with_context(|| format!("--device {id}: key must be hex"))?;
        creds.push(motcua_central::DeviceCred { device_id: id.to_owned(), office_id: "*".into(), key });
    }
    if creds.is_empty() {
        tracing::warn!("no --device given: the central will refuse every signed request");
    }
    let fault = motcua_central::Fault::parse(fault).with_context(|| format!("--fault {fault:?} not understood"))?;
    let server = motcua_central::CentralServer::open(motcua_central::CentralConfig::new(db, creds))
        .map_err(|e| anyhow::anyhow!("opening the central: {e}"))?;
    server.set_fault(fault);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
        println!("listening on http://{}", listener.local_addr()?);
        // systemd: ready; the watchdog is fed while this runtime still runs tasks.
        let handle = tokio::runtime::Handle::current();
        crate::sdnotify::ready_with_watchdog(move || runtime_alive(&handle, std::time::Duration::from_secs(10)));
        server
            .serve(listener, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| anyhow::anyhow!("central: {e}"))
    })
}

fn run_hub(args: HubArgs) -> Result<()> {
    let cfg = office_config(&args.common)?;
    let dir = data_dir(&args.common);
    let hub = Hub::open(cfg, &dir.join("hub.db"), Arc::new(SystemClock))
        .with_context(|| format!("opening the hub database in {}", dir.display()))?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let uplink = crate::uplink::start(&rt, hub.db_path(), &dir, args.common.central_target()?)?;
    hub.add_health_source(Arc::new(crate::uplink::RelayHealth(uplink.metrics)));
    rt.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("binding {}", args.listen))?;
        let addr = listener.local_addr()?;
        // Tests and scripts read this line to find the port when --listen ends in :0.
        println!("listening on http://{addr}");
        let h = hub.clone();
        crate::sdnotify::ready_with_watchdog(move || h.blocking_ping(std::time::Duration::from_secs(10)));
        tracing::info!(%addr, db = %hub.db_path().display(), "hub running");
        motcua_hub::server::serve(hub, listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        Ok(())
    })
}

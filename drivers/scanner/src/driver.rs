//! The scanner driver: one polled loop over a [`ByteSource`] and a scanner core.
//!
//! Implements: [`ScannerDriver`], generic over the core, so [`SerialScanner`] (serial core)
//! and [`HidScanner`] (HID core) share one read / feed / timer / reconnect loop. Each
//! [`ScannerDriver::poll`] is one turn: open the device if due (exponential backoff after a
//! failure), read what arrived (waiting at most [`DriverConfig::read_timeout`]), feed the core
//! with the time from the [`Clock`], run its inter-character timer, and return the next code
//! or rejection. A device that fails is dropped and reported once as [`Error::Lost`] (a scan
//! in progress becomes a half-scan rejection, never a truncated code), then reopened.
//! It implements `motcua_device::scanner::CodeScanner`.
//!
//! Why polled and not the Handle/Runner pair of house style §3: the `CodeScanner` seam is
//! polled and read-only (a scanner takes no commands), so a Runner thread would only forward
//! events; the kiosk's device thread calls `poll_code` in its loop, as with the keypad.
//!
//! Does not implement: what a code means (see [`crate::payload`]).

use std::io;
use std::time::Duration;

use motcua_device::scanner::{CodeScanner, ScannedCode};
use motcua_device::{DeviceFamily, DeviceInfo};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::proto::{Config, Event, HidCore, ScanCore, SerialCore, Stats};
use crate::transport::{ByteSource, Connect};

/// Driver settings (the scanner's own framing settings are in [`Config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverConfig {
    /// How long one [`ScannerDriver::poll`] waits for input. Short: the caller's loop also
    /// runs the timers.
    pub read_timeout: Duration,
    /// First wait before reopening a lost device; doubles per failure up to `backoff_max_ms`.
    pub backoff_min_ms: u64,
    /// Longest wait between reopen attempts.
    pub backoff_max_ms: u64,
    /// Name for `doctor` and the health page, e.g. "Máy quét Honeywell 7580g (USB serial)".
    pub name: String,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig {
            read_timeout: Duration::from_millis(20),
            backoff_min_ms: 250,
            backoff_max_ms: 5_000,
            name: "Code scanner".to_owned(),
        }
    }
}

/// Device health for the health page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// The device is open.
    pub open: bool,
    /// Whether its keystrokes are grabbed (HID only; `Some(false)` for the simulated input).
    pub grabbed: Option<bool>,
    /// Times the device was opened.
    pub opens: u32,
    /// Failed opens plus failures of the open device.
    pub errors: u32,
    /// The last device error, for the operator.
    pub last_error: Option<String>,
    /// The core's counters (codes, repeats, rejections).
    pub scans: Stats,
}

/// A scanner driver; see the module docs.
#[derive(Debug)]
pub struct ScannerDriver<C: Connect, K: Clock, P: ScanCore> {
    connector: C,
    clock: K,
    core: P,
    config: DriverConfig,
    source: Option<C::Source>,
    health: Health,
    next_open_at: u64,
    backoff_ms: u64,
    rx: Vec<u8>,
}

/// A USB-serial / USB-CDC scanner.
pub type SerialScanner<C, K> = ScannerDriver<C, K, SerialCore>;
/// A HID keyboard-wedge scanner read through evdev.
pub type HidScanner<C, K> = ScannerDriver<C, K, HidCore>;

impl<C: Connect, K: Clock> ScannerDriver<C, K, SerialCore> {
    /// A serial scanner driver that opens its port on the first poll.
    pub fn serial(connector: C, clock: K, scanner: Config, config: DriverConfig) -> Self {
        Self::with_core(connector, clock, SerialCore::new(scanner), config)
    }
}

impl<C: Connect, K: Clock> ScannerDriver<C, K, HidCore> {
    /// A HID scanner driver that opens (and grabs) its device on the first poll.
    pub fn hid(connector: C, clock: K, scanner: Config, config: DriverConfig) -> Self {
        Self::with_core(connector, clock, HidCore::new(scanner), config)
    }
}

#[cfg(feature = "serial")]
impl SerialScanner<crate::SerialConnector, crate::SystemClock> {
    /// The production serial scanner: opens `port` (and reopens it after a replug) on the
    /// system clock.
    pub fn open_serial(port: crate::SerialConfig, scanner: Config, config: DriverConfig) -> Self {
        Self::serial(crate::SerialConnector::new(port), crate::SystemClock::new(), scanner, config)
    }
}

#[cfg(feature = "evdev")]
impl HidScanner<crate::EvdevConnector, crate::SystemClock> {
    /// The production HID scanner: opens and grabs the event device at `path` (e.g.
    /// `/dev/input/by-id/usb-<vendor>_<model>-event-kbd`), reopening it after a replug, on the
    /// system clock.
    pub fn open_evdev(path: impl Into<std::path::PathBuf>, scanner: Config, config: DriverConfig) -> Self {
        Self::hid(crate::EvdevConnector::new(path), crate::SystemClock::new(), scanner, config)
    }
}

impl<C: Connect, K: Clock, P: ScanCore> ScannerDriver<C, K, P> {
    /// A driver around any core.
    pub fn with_core(connector: C, clock: K, core: P, config: DriverConfig) -> Self {
        let now = clock.now_ms();
        ScannerDriver {
            connector,
            clock,
            core,
            backoff_ms: config.backoff_min_ms,
            config,
            source: None,
            health: Health::default(),
            next_open_at: now,
            rx: vec![0; 4096],
        }
    }

    /// One turn; returns the next code or rejection, `Ok(None)` when nothing happened.
    ///
    /// Errors: [`Error::Disconnected`] while the device is not open, [`Error::Lost`] once when
    /// it fails. Keep calling: it is reopened with backoff, and events already produced (a half
    /// scan cut off by the failure) are returned by the next calls.
    pub fn poll(&mut self) -> Result<Option<Event>> {
        if let Some(ev) = self.core.poll_event() {
            return Ok(Some(ev));
        }
        self.ensure_open()?;
        let timeout = self.config.read_timeout;
        let read = match self.source.as_mut() {
            Some(s) => s.read(&mut self.rx, timeout),
            None => return Err(Error::Disconnected),
        };
        let now = self.clock.now_ms();
        match read {
            Ok(n) => {
                let data = self.rx.get(..n).unwrap_or_default();
                self.core.feed(now, data);
            }
            Err(e) => return Err(self.lose(now, e)),
        }
        self.core.handle_timeout(now);
        Ok(self.core.poll_event())
    }

    /// The next code already decoded, without touching the device.
    pub fn try_event(&mut self) -> Option<Event> {
        self.core.poll_event()
    }

    /// Health (a snapshot).
    pub fn health(&self) -> Health {
        Health { scans: self.core.stats().clone(), ..self.health.clone() }
    }

    /// Whether the device is open.
    pub fn is_open(&self) -> bool {
        self.source.is_some()
    }

    fn ensure_open(&mut self) -> Result<()> {
        if self.source.is_some() {
            return Ok(());
        }
        let now = self.clock.now_ms();
        if now < self.next_open_at {
            return Err(Error::Disconnected);
        }
        match self.connector.connect() {
            Ok(source) => {
                tracing::info!(name = %self.config.name, grabbed = ?source.grabbed(), "scanner opened");
                self.health.grabbed = source.grabbed();
                self.source = Some(source);
                self.health.open = true;
                self.health.opens = self.health.opens.saturating_add(1);
                self.backoff_ms = self.config.backoff_min_ms;
                Ok(())
            }
            Err(e) => {
                tracing::debug!(error = %e, retry_in_ms = self.backoff_ms, "scanner open failed");
                self.note_error(&e);
                self.next_open_at = now.saturating_add(self.backoff_ms);
                self.backoff_ms = self.backoff_ms.saturating_mul(2).min(self.config.backoff_max_ms);
                Err(Error::Disconnected)
            }
        }
    }

    fn note_error(&mut self, e: &io::Error) {
        self.health.errors = self.health.errors.saturating_add(1);
        self.health.last_error = Some(e.to_string());
    }

    fn lose(&mut self, now: u64, e: io::Error) -> Error {
        tracing::warn!(name = %self.config.name, error = %e, "scanner lost");
        self.note_error(&e);
        self.core.handle_disconnect(now);
        self.source = None;
        self.health.open = false;
        self.backoff_ms = self.config.backoff_min_ms;
        self.next_open_at = now.saturating_add(self.backoff_ms);
        Error::Lost(e)
    }
}

impl<C, K, P> CodeScanner for ScannerDriver<C, K, P>
where
    C: Connect + Send,
    C::Source: Send,
    K: Clock + Send,
    P: ScanCore + Send,
{
    /// One turn of [`ScannerDriver::poll`]: a code, `Ok(None)`, a rejection as a `Protocol`
    /// error (once; the next scan is read normally) or `Disconnected`.
    fn poll_code(&mut self) -> std::result::Result<Option<ScannedCode>, motcua_device::Error> {
        match self.poll()? {
            Some(Event::Code(code)) => Ok(Some(code)),
            Some(Event::Rejected(r)) => Err(Error::Rejected(r).into()),
            None => Ok(None),
        }
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo { family: DeviceFamily::CodeScanner, name: self.config.name.clone(), simulated: false }
    }
}

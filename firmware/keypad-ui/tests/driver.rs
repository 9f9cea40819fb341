//! End to end against the real host driver: `motcua_keypad::KeypadDriver` (what the hub runs)
//! talks to this crate's [`Keypad`] over an in-memory wire on virtual time, so the firmware
//! logic and the driver are checked to speak the same protocol, including a cable pull in the
//! middle of a rating window.

// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keypad_ui::config::{Config, FIRMWARE_VERSION};
use keypad_ui::keypad::{Keypad, LinkState};
use keypad_ui::screen::Screen;
use motcua_device::keypad::{Key, KeyPress};
use motcua_keypad::{ByteTransport, Clock, KeypadDriver, ManualClock};
use motcua_keypad_proto::MAX_WIRE_LEN;

#[derive(Debug, Default)]
struct WireState {
    to_keypad: Vec<u8>,
    to_host: Vec<u8>,
    /// The cable is out: the host's port fails and nothing crosses.
    unplugged: bool,
    /// Every frame written either way arrives twice.
    duplicate: bool,
}

#[derive(Debug, Clone, Default)]
struct Wire(Arc<Mutex<WireState>>);

impl Wire {
    fn with<R>(&self, f: impl FnOnce(&mut WireState) -> R) -> R {
        f(&mut self.0.lock().expect("wire lock"))
    }
}

/// The host's end of the wire, as the driver's serial port.
#[derive(Debug)]
struct HostPort(Wire);

impl ByteTransport for HostPort {
    fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> io::Result<usize> {
        self.0.with(|w| {
            if w.unplugged {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            let n = w.to_host.len().min(buf.len());
            buf[..n].copy_from_slice(&w.to_host[..n]);
            w.to_host.drain(..n);
            Ok(n)
        })
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.0.with(|w| {
            if w.unplugged {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            w.to_keypad.extend_from_slice(data);
            if w.duplicate {
                w.to_keypad.extend_from_slice(data);
            }
            Ok(())
        })
    }
}

type Driver = KeypadDriver<Box<dyn FnMut() -> io::Result<HostPort>>, ManualClock>;

struct Rig {
    wire: Wire,
    clock: ManualClock,
    driver: Driver,
    keypad: Keypad,
    keys: Vec<KeyPress>,
}

impl Rig {
    fn new() -> Self {
        let wire = Wire::default();
        let clock = ManualClock::new();
        let w = wire.clone();
        let connect: Box<dyn FnMut() -> io::Result<HostPort>> = Box::new(move || {
            if w.with(|s| s.unplugged) {
                Err(io::Error::from(io::ErrorKind::NotFound))
            } else {
                Ok(HostPort(w.clone()))
            }
        });
        let driver = KeypadDriver::new(connect, clock.clone(), motcua_keypad::Config::new(0xAB));
        let keypad = Keypad::new(Config::new(5, 0x5EED), 0);
        Rig { wire, clock, driver, keypad, keys: Vec::new() }
    }

    fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Runs the driver and the keypad for `ms` in 10-ms turns.
    fn run(&mut self, ms: u64) {
        for _ in 0..ms / 10 {
            self.clock.advance(10);
            let now = self.now();
            let _ = self.driver.poll();
            while let Some(k) = self.driver.try_key() {
                self.keys.push(k);
            }
            let input = self.wire.with(|w| std::mem::take(&mut w.to_keypad));
            self.keypad.handle_all_input(now, &input);
            self.keypad.handle_timeout(now);
            let mut buf = [0u8; MAX_WIRE_LEN];
            while let Some(n) = self.keypad.poll_transmit(now, &mut buf) {
                self.wire.with(|w| {
                    if !w.unplugged {
                        w.to_host.extend_from_slice(&buf[..n]);
                        if w.duplicate {
                            w.to_host.extend_from_slice(&buf[..n]);
                        }
                    }
                });
            }
        }
    }

    fn press(&mut self, key_id: u8) {
        self.keypad.key_down(self.now(), key_id);
    }

    fn connected() -> Self {
        let mut rig = Rig::new();
        rig.run(300);
        assert!(rig.driver.is_connected(), "{:?}", rig.driver.health());
        assert_eq!(rig.keypad.link_state(), LinkState::Connected);
        rig
    }
}

#[test]
fn the_driver_sees_the_keypad_identity() {
    let rig = Rig::connected();
    let h = rig.driver.health();
    let peer = h.peer.expect("peer hello");
    assert_eq!(peer.keys, 9);
    assert_eq!(peer.firmware_version, FIRMWARE_VERSION);
    assert_eq!(peer.session, 0x5EED);
    assert_eq!(h.version_mismatch, None);
}

#[test]
fn driver_screen_and_leds_reach_the_keypad() {
    let mut rig = Rig::connected();
    let lines: Vec<String> =
        ["Quầy số 3", "Đang phục vụ số", "1023", "CB: Nguyễn Hằng"].iter().map(|s| s.to_string()).collect();
    rig.driver.show(&lines).expect("show");
    rig.driver.set_leds(0b1_0000_0000).expect("leds");
    rig.driver.buzz(1, 400).expect("buzz");
    rig.run(300);
    let shown: Vec<&str> = rig.keypad.lines().iter().map(|l| l.as_str()).collect();
    assert_eq!(shown, lines.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(matches!(rig.keypad.screen(rig.now()), Screen::Host { .. }));
    assert_eq!(rig.keypad.leds(), 0b1_0000_0000);
    // A shorter screen blanks the lines left over.
    rig.driver.show(&["Quầy số 3".to_string()]).expect("show");
    rig.run(300);
    assert_eq!(rig.keypad.lines()[0].as_str(), "Quầy số 3");
    assert!(rig.keypad.lines()[1..].iter().all(|l| l.as_str().is_empty()));
}

#[test]
fn officer_keys_and_a_rating_map_to_the_driver_keys() {
    let mut rig = Rig::connected();
    rig.press(5); // next
    rig.press(8); // finish
    rig.run(300);
    rig.driver.open_rating_window(42, 30).expect("open");
    rig.run(300);
    assert_eq!(rig.keypad.open_window(), Some(42));
    rig.press(3); // "Không hài lòng"
    rig.run(300);
    assert_eq!(
        rig.keys,
        vec![
            KeyPress { key: Key::Next, seq: 0 },
            KeyPress { key: Key::Finish, seq: 1 },
            KeyPress { key: Key::Rating(4), seq: 2 },
        ]
    );
    assert_eq!(rig.keypad.screen(rig.now()), Screen::Thanks { label: "Không hài lòng" });
}

#[test]
fn rating_across_a_cable_pull_mid_window_reaches_the_driver_once() {
    let mut rig = Rig::connected();
    rig.driver.show(&["Quầy số 3".to_string()]).expect("show");
    rig.driver.open_rating_window(43, 30).expect("open");
    rig.run(300);
    assert_eq!(rig.keypad.open_window(), Some(43));
    rig.wire.with(|w| w.unplugged = true);
    rig.run(4_000);
    assert_eq!(rig.keypad.link_state(), LinkState::Lost);
    assert!(!rig.driver.is_connected());
    rig.press(0); // "Rất hài lòng", while the cable is out
    assert_eq!(rig.keypad.screen(rig.now()), Screen::Thanks { label: "Rất hài lòng" });
    rig.run(2_000);
    assert!(rig.keys.is_empty());
    rig.wire.with(|w| {
        w.unplugged = false;
        w.duplicate = true;
    });
    rig.run(6_000);
    assert!(rig.driver.is_connected());
    assert_eq!(rig.keys, vec![KeyPress { key: Key::Rating(1), seq: 0 }], "delivered exactly once");
    // The driver re-sent its open window 43 on reconnect; the keypad, already rated, ignores it.
    assert_eq!(rig.keypad.open_window(), None);
    assert!(rig.keypad.stats().windows_repeated >= 1);
    assert_eq!(rig.keypad.stats().ratings, 1);
    assert_eq!(rig.keypad.unacknowledged(), 0);
    assert!(matches!(rig.keypad.screen(rig.now()), Screen::Host { .. }));
}

#[test]
fn keypad_restart_is_seen_by_the_driver() {
    let mut rig = Rig::connected();
    rig.driver.show(&["Quầy số 3".to_string()]).expect("show");
    rig.run(300);
    rig.keypad = Keypad::new(Config::new(5, 0x5EEE), rig.now());
    rig.run(1_000);
    let h = rig.driver.health();
    assert_eq!(h.peer_restarts, 1);
    assert_eq!(rig.keypad.lines()[0].as_str(), "Quầy số 3", "the driver re-sent its screen");
}

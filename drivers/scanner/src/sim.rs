//! Simulated scanners that speak the same bytes as real ones, attached at the lowest seam.
//!
//! Implements:
//! - [`SerialScannerTwin`]: a scanner in serial mode behind a pseudo-terminal pair. The driver
//!   opens the pty slave *by path* (or through a stable link the twin keeps pointing at the
//!   current pty, like `/dev/serial/by-id/...`) with the real [`crate::SerialConnector`], so
//!   the whole serial path runs. It frames codes as configured (prefix, AIM identifier,
//!   suffix, terminator), and sends half scans, garbage and repeats; [`SerialScannerTwin::yank`]
//!   closes the pty (the driver's reads fail as with a pulled cable) and
//!   [`SerialScannerTwin::replug`] makes a new one.
//! - [`HidTwin`]: a keyboard-wedge scanner that writes raw `input_event` records — the kernel's
//!   24-byte layout, each key as `EV_MSC/MSC_SCAN`, `EV_KEY`, `EV_SYN/SYN_REPORT` — into a
//!   Unix socketpair whose other end is an [`crate::EvdevTransport`], read and decoded by the
//!   same code as `/dev/input/eventN`. Only the grab is skipped (a socket is not an event
//!   device; the transport says so). It types ASCII on a US layout with Shift (or with Caps
//!   Lock on), and everything else through Alt+numpad decimal codes, as 2D scanners do for
//!   Vietnamese.
//!
//! Does not implement: scanner configuration by barcode, timing of real scanners (bytes go out
//! at once; tests move time with a manual clock).

use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use serialport::{SerialPort, TTYPort};

use crate::proto::frame::Terminator;
use crate::proto::hid::{INPUT_EVENT_SIZE, InputEvent, codes::*, keypad_key, letter};
use crate::transport::evdev::EvdevTransport;

/// How the serial twin frames a code (mirror of the scanner's own setup).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TwinFraming {
    /// Sent before each code.
    pub prefix: String,
    /// AIM identifier sent after the prefix (e.g. `"]Q1"`); empty for none.
    pub aim: String,
    /// Sent after each code, before the terminator.
    pub suffix: String,
    /// The terminator.
    pub terminator: Terminator,
}

fn terminator_bytes(t: Terminator) -> &'static [u8] {
    match t {
        Terminator::Cr => b"\r",
        Terminator::Lf => b"\n",
        Terminator::CrLf => b"\r\n",
        Terminator::Tab => b"\t",
        Terminator::None => b"",
    }
}

/// The simulated serial scanner; see the module docs.
#[derive(Debug)]
pub struct SerialScannerTwin {
    /// `(master, slave)`: the twin writes to the master; it keeps the slave open too so the
    /// pty stays up until the driver opens it.
    pty: Option<(TTYPort, TTYPort)>,
    path: String,
    link: Option<PathBuf>,
    framing: TwinFraming,
}

impl SerialScannerTwin {
    /// A twin on a fresh pty pair, framing codes with a CR terminator.
    pub fn new() -> io::Result<Self> {
        let (pty, path) = new_pty()?;
        Ok(SerialScannerTwin { pty: Some(pty), path, link: None, framing: TwinFraming::default() })
    }

    /// The slave's path (`/dev/pts/N`), changes on every [`replug`](Self::replug).
    pub fn pty_path(&self) -> &str {
        &self.path
    }

    /// Keeps a symbolic link at `link` pointing at the current pty (as udev keeps
    /// `/dev/serial/by-id/...`); returns `link` for the driver's config.
    pub fn link_at(&mut self, link: &Path) -> io::Result<PathBuf> {
        point_link(link, &self.path)?;
        self.link = Some(link.to_path_buf());
        Ok(link.to_path_buf())
    }

    /// Sets the framing of later scans.
    pub fn set_framing(&mut self, framing: TwinFraming) {
        self.framing = framing;
    }

    /// Scans `text`: prefix, AIM identifier, text, suffix, terminator.
    pub fn scan(&mut self, text: &str) -> io::Result<()> {
        let mut out = self.head(text);
        out.extend_from_slice(self.framing.suffix.as_bytes());
        out.extend_from_slice(terminator_bytes(self.framing.terminator));
        self.send_raw(&out)
    }

    /// The first `keep` bytes of the framed scan of `text`, then nothing (the receipt moved).
    pub fn half_scan(&mut self, text: &str, keep: usize) -> io::Result<()> {
        let out = self.head(text);
        self.send_raw(out.get(..keep.min(out.len())).unwrap_or_default())
    }

    fn head(&self, text: &str) -> Vec<u8> {
        let f = &self.framing;
        [f.prefix.as_bytes(), f.aim.as_bytes(), text.as_bytes()].concat()
    }

    /// Writes raw bytes (noise, partial frames).
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let (master, _) = self.pty.as_mut().ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        master.write_all(bytes)?;
        master.flush()
    }

    /// Pulls the cable: the pty closes and the driver's open port fails. The link, if any,
    /// is removed, as udev removes `/dev/serial/by-id/...` (and the freed pty number may be
    /// reused by someone else).
    pub fn yank(&mut self) {
        self.pty = None;
        if let Some(link) = &self.link {
            let _ = std::fs::remove_file(link);
        }
    }

    /// Plugs the scanner back in: a new pty (new path; the link, if any, follows it).
    pub fn replug(&mut self) -> io::Result<()> {
        let (pty, path) = new_pty()?;
        self.pty = Some(pty);
        self.path = path;
        if let Some(link) = &self.link {
            point_link(link, &self.path)?;
        }
        Ok(())
    }
}

fn new_pty() -> io::Result<((TTYPort, TTYPort), String)> {
    let (master, slave) = TTYPort::pair().map_err(io::Error::from)?;
    let path = slave.name().ok_or_else(|| io::Error::other("pty without a name"))?;
    Ok(((master, slave), path))
}

fn point_link(link: &Path, target: &str) -> io::Result<()> {
    match std::fs::remove_file(link) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::os::unix::fs::symlink(target, link)
}

/// The simulated HID keyboard-wedge scanner; see the module docs.
#[derive(Debug)]
pub struct HidTwin {
    sock: Option<UnixStream>,
    /// Timestamp of the next record, µs (advances 1 ms per key event).
    t_us: i64,
    caps_lock: bool,
    terminator: Terminator,
}

/// The twin's first record timestamp (2026-11-23 00:00:00 UTC), in µs.
const T0_US: i64 = 1_795_392_000_000_000;

impl HidTwin {
    /// A twin and the driver-side transport reading its records.
    pub fn pair() -> io::Result<(Self, EvdevTransport)> {
        let (sock, transport) = socket_pair()?;
        Ok((HidTwin { sock: Some(sock), t_us: T0_US, caps_lock: false, terminator: Terminator::Cr }, transport))
    }

    /// Sets the key sent after each code: Enter for CR/LF/CRLF, Tab, or nothing.
    pub fn set_terminator(&mut self, terminator: Terminator) {
        self.terminator = terminator;
    }

    /// Presses Caps Lock if it is not in the wanted state; later letters are typed so that
    /// the text comes out right (as a scanner with "Caps Lock compensation" does).
    pub fn set_caps_lock(&mut self, on: bool) -> io::Result<()> {
        if self.caps_lock != on {
            self.tap(KEY_CAPSLOCK)?;
            self.caps_lock = on;
        }
        Ok(())
    }

    /// Types `text` and the terminator key.
    pub fn scan(&mut self, text: &str) -> io::Result<()> {
        self.type_text(text)?;
        match self.terminator {
            Terminator::Cr | Terminator::Lf | Terminator::CrLf => self.tap(KEY_ENTER),
            Terminator::Tab => self.tap(KEY_TAB),
            Terminator::None => Ok(()),
        }
    }

    /// Types `text` without the terminator (a half scan when nothing follows).
    pub fn type_text(&mut self, text: &str) -> io::Result<()> {
        let mut records = Vec::new();
        for c in text.chars() {
            self.char_records(c, &mut records);
        }
        self.send_records(&records)
    }

    fn char_records(&mut self, c: char, out: &mut Vec<InputEvent>) {
        match us_key(c) {
            Some((code, shift)) => {
                let shift = if c.is_ascii_alphabetic() { shift != self.caps_lock } else { shift };
                if shift {
                    self.key_records(KEY_LEFTSHIFT, 1, out);
                }
                self.key_records(code, 1, out);
                self.key_records(code, 0, out);
                if shift {
                    self.key_records(KEY_LEFTSHIFT, 0, out);
                }
            }
            None => {
                // Alt + the code point in decimal on the keypad (the Unicode form).
                self.key_records(KEY_LEFTALT, 1, out);
                for d in u32::from(c).to_string().chars().filter_map(|d| d.to_digit(10)) {
                    let key = keypad_key(d).unwrap_or(KEY_KP0);
                    self.key_records(key, 1, out);
                    self.key_records(key, 0, out);
                }
                self.key_records(KEY_LEFTALT, 0, out);
            }
        }
    }

    /// One key event as the kernel reports it: scancode, key, report.
    fn key_records(&mut self, code: u16, value: i32, out: &mut Vec<InputEvent>) {
        let (sec, usec) = (self.t_us / 1_000_000, self.t_us % 1_000_000);
        let at = |kind, code, value| InputEvent { sec, usec, kind, code, value };
        out.push(at(EV_MSC, MSC_SCAN, hid_usage(code)));
        out.push(at(EV_KEY, code, value));
        out.push(at(EV_SYN, SYN_REPORT, 0));
        self.t_us += 1_000;
    }

    /// Presses and releases one key.
    pub fn tap(&mut self, code: u16) -> io::Result<()> {
        let mut records = Vec::new();
        self.key_records(code, 1, &mut records);
        self.key_records(code, 0, &mut records);
        self.send_records(&records)
    }

    /// One key event (`value` 1 press, 0 release, 2 repeat).
    pub fn key(&mut self, code: u16, value: i32) -> io::Result<()> {
        let mut records = Vec::new();
        self.key_records(code, value, &mut records);
        self.send_records(&records)
    }

    /// Writes records as they are.
    pub fn send_records(&mut self, records: &[InputEvent]) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(records.len() * INPUT_EVENT_SIZE);
        for r in records {
            bytes.extend_from_slice(&r.to_bytes());
        }
        self.send_raw(&bytes)
    }

    /// Writes raw bytes (need not be whole records).
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let sock = self.sock.as_mut().ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        sock.write_all(bytes)
    }

    /// Pulls the USB cable: the driver's reads hit end of stream.
    pub fn yank(&mut self) {
        self.sock = None;
    }

    /// Plugs it back in; returns the new driver-side transport (for the driver's connector).
    /// Caps Lock is off again, as on a freshly enumerated keyboard.
    pub fn replug(&mut self) -> io::Result<EvdevTransport> {
        let (sock, transport) = socket_pair()?;
        self.sock = Some(sock);
        self.caps_lock = false;
        Ok(transport)
    }
}

fn socket_pair() -> io::Result<(UnixStream, EvdevTransport)> {
    let (twin, reader) = UnixStream::pair()?;
    reader.set_nonblocking(true)?;
    let transport = EvdevTransport::from_fd(OwnedFd::from(reader))?;
    Ok((twin, transport))
}

/// The US-layout key (and Shift) that types an ASCII character.
fn us_key(c: char) -> Option<(u16, bool)> {
    if c.is_ascii_alphabetic() {
        let lower = c.to_ascii_lowercase();
        let rows: [(u16, &[u8]); 3] = [(KEY_Q, b"qwertyuiop"), (KEY_A, b"asdfghjkl"), (KEY_Z, b"zxcvbnm")];
        for (start, keys) in rows {
            if let Some(i) = keys.iter().position(|&k| char::from(k) == lower) {
                let code = start + u16::try_from(i).ok()?;
                return Some((code, c.is_ascii_uppercase()));
            }
        }
        return None;
    }
    if let Some(i) = "1234567890".find(c) {
        return Some((KEY_1 + u16::try_from(i).ok()?, false));
    }
    if let Some(i) = "!@#$%^&*()".find(c) {
        return Some((KEY_1 + u16::try_from(i).ok()?, true));
    }
    let pairs: [(char, char, u16); 12] = [
        ('-', '_', KEY_MINUS),
        ('=', '+', KEY_EQUAL),
        ('[', '{', KEY_LEFTBRACE),
        (']', '}', KEY_RIGHTBRACE),
        (';', ':', KEY_SEMICOLON),
        ('\'', '"', KEY_APOSTROPHE),
        ('`', '~', KEY_GRAVE),
        ('\\', '|', KEY_BACKSLASH),
        (',', '<', KEY_COMMA),
        ('.', '>', KEY_DOT),
        ('/', '?', KEY_SLASH),
        (' ', ' ', KEY_SPACE),
    ];
    pairs.iter().find_map(|&(plain, shifted, code)| {
        if c == plain {
            Some((code, false))
        } else if c == shifted {
            Some((code, true))
        } else {
            None
        }
    })
}

/// The HID usage (page 7) a USB keyboard reports in `MSC_SCAN` for common keys; other keys
/// report their Linux code (the reader ignores the value).
fn hid_usage(code: u16) -> i32 {
    let usage = match code {
        c if letter(c).is_some() => 0x04 + i32::from(letter(c).unwrap_or(b'a') - b'a'),
        KEY_1..=KEY_0 => 0x1E + i32::from(code - KEY_1),
        KEY_ENTER => 0x28,
        KEY_TAB => 0x2B,
        KEY_SPACE => 0x2C,
        KEY_LEFTSHIFT => 0xE1,
        KEY_LEFTALT => 0xE2,
        KEY_CAPSLOCK => 0x39,
        KEY_KP1..=KEY_KP3 => 0x59 + i32::from(code - KEY_KP1),
        KEY_KP4..=KEY_KP6 => 0x5C + i32::from(code - KEY_KP4),
        KEY_KP7..=KEY_KP9 => 0x5F + i32::from(code - KEY_KP7),
        KEY_KP0 => 0x62,
        other => return i32::from(other),
    };
    0x70000 | usage
}

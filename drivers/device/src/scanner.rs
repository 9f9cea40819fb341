//! The code-scanner seam (QR and barcodes on dossier receipts and CCCD cards) and the line
//! assembler that turns a scanner's byte stream into codes.
//!
//! Implements: the [`CodeScanner`] trait and [`LineAssembler`], a sans-IO core (bytes in,
//! codes out, no I/O, no clock) for scanners in serial / USB-CDC mode, which send each code
//! as text followed by CR, LF or CR LF. The simulated twin feeds its bytes through the same
//! assembler a serial driver will use.
//!
//! Does not implement: a serial transport (a later driver crate), HID keyboard-wedge
//! scanners, AIM symbology identifiers (`]Q1` prefixes are left in the text, because data
//! may itself start with `]`), or parsing of what the code means (dossier code, CCCD QR).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::{DeviceInfo, Error};

/// One decoded code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScannedCode {
    /// The payload as text.
    pub text: String,
    /// Symbology when the scanner reports it (e.g. "QR", "Code128"); `None` when unknown.
    pub symbology: Option<String>,
}

/// A QR / barcode scanner.
pub trait CodeScanner: Send {
    /// The next scanned code if one is waiting; `Ok(None)` when nothing was scanned.
    ///
    /// A malformed line (too long, not UTF-8) is returned once as `Err` with kind
    /// [`crate::ErrorKind::Protocol`]; polling again continues with the next line.
    fn poll_code(&mut self) -> Result<Option<ScannedCode>, Error>;

    /// What this device is.
    fn info(&self) -> DeviceInfo;
}

/// Default longest line, in bytes. A CCCD QR is about 100 bytes, a dossier receipt QR far
/// less; 4096 leaves room for any sane code while bounding memory on a stuck stream.
pub const MAX_LINE: usize = 4096;

const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Assembles CR / LF / CR LF terminated lines from a byte stream.
///
/// Feed bytes as they arrive with [`feed`](Self::feed), then take complete lines with
/// [`poll_line`](Self::poll_line). Rules:
/// - CR, LF and CR LF all end a line (a CR LF split across two feeds counts once);
/// - empty lines are ignored (scanners never send an empty code; blank lines are noise);
/// - a UTF-8 byte order mark at the start of a line is stripped;
/// - a line longer than the limit yields one [`Error::LineTooLong`] and is discarded up to
///   its terminator (resynchronising there);
/// - a line that is not UTF-8 yields [`Error::InvalidUtf8`];
/// - bytes after the last terminator wait for more input; [`finish`](Self::finish) reports
///   them as an error at the end of the stream.
#[derive(Debug)]
pub struct LineAssembler {
    buf: Vec<u8>,
    max_len: usize,
    /// The previous byte was CR: an LF right after it belongs to the same terminator.
    after_cr: bool,
    /// The current line overflowed; drop bytes until the next terminator.
    discarding: bool,
    ready: VecDeque<Result<String, Error>>,
}

impl Default for LineAssembler {
    fn default() -> Self {
        Self::new()
    }
}

impl LineAssembler {
    /// An assembler with the default limit [`MAX_LINE`].
    pub fn new() -> Self {
        Self::with_max_len(MAX_LINE)
    }

    /// An assembler that rejects lines longer than `max_len` bytes (BOM not counted).
    pub fn with_max_len(max_len: usize) -> Self {
        Self { buf: Vec::new(), max_len, after_cr: false, discarding: false, ready: VecDeque::new() }
    }

    /// Feeds bytes from the scanner.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let after_cr = std::mem::replace(&mut self.after_cr, b == b'\r');
            match b {
                b'\n' if after_cr => {}
                b'\r' | b'\n' => self.end_line(),
                _ if self.discarding => {}
                _ => {
                    self.buf.push(b);
                    if self.buf.starts_with(BOM) {
                        self.buf.drain(..BOM.len());
                    }
                    if self.buf.len() > self.max_len {
                        self.buf.clear();
                        self.discarding = true;
                        self.ready.push_back(Err(Error::LineTooLong { max: self.max_len }));
                    }
                }
            }
        }
    }

    /// The next complete line (or line error), oldest first.
    pub fn poll_line(&mut self) -> Option<Result<String, Error>> {
        self.ready.pop_front()
    }

    /// Bytes waiting for a terminator.
    pub fn pending_len(&self) -> usize {
        self.buf.len()
    }

    /// Ends the stream: an unterminated partial line is dropped and reported as
    /// [`Error::Protocol`] (a scanner always terminates its codes).
    pub fn finish(&mut self) -> Result<(), Error> {
        self.after_cr = false;
        self.discarding = false;
        if self.buf.is_empty() {
            return Ok(());
        }
        let n = self.buf.len();
        self.buf.clear();
        Err(Error::Protocol(format!("stream ended inside a line ({n} bytes without CR/LF)")))
    }

    fn end_line(&mut self) {
        if std::mem::take(&mut self.discarding) {
            return;
        }
        if self.buf.is_empty() {
            return;
        }
        let line = std::mem::take(&mut self.buf);
        self.ready.push_back(
            String::from_utf8(line).map_err(|e| Error::InvalidUtf8 { valid_up_to: e.utf8_error().valid_up_to() }),
        );
    }
}

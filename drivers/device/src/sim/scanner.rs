//! The simulated serial code scanner (bytes through the real `LineAssembler`).

use std::sync::{Arc, Mutex};

use super::lock;
use crate::scanner::{CodeScanner, LineAssembler, ScannedCode};
use crate::{DeviceFamily, DeviceInfo, Error};

#[derive(Debug)]
struct State {
    connected: bool,
    /// Bytes "on the wire", not yet read by the scanner driver.
    wire: Vec<u8>,
}

/// Simulated serial code scanner: bytes injected through its handle go through the same
/// [`LineAssembler`] a serial scanner driver uses. Codes carry no symbology.
#[derive(Debug)]
pub struct SimCodeScanner {
    shared: Arc<Mutex<State>>,
    lines: LineAssembler,
}

/// Cloneable view of a [`SimCodeScanner`]: scan codes, send raw bytes, pull the cable.
#[derive(Debug, Clone)]
pub struct SimCodeScannerHandle {
    shared: Arc<Mutex<State>>,
}

impl Default for SimCodeScanner {
    fn default() -> Self {
        Self::new()
    }
}

impl SimCodeScanner {
    /// A connected scanner with nothing scanned.
    pub fn new() -> Self {
        Self { shared: Arc::new(Mutex::new(State { connected: true, wire: Vec::new() })), lines: LineAssembler::new() }
    }

    /// A handle on this scanner.
    pub fn handle(&self) -> SimCodeScannerHandle {
        SimCodeScannerHandle { shared: Arc::clone(&self.shared) }
    }
}

impl CodeScanner for SimCodeScanner {
    fn poll_code(&mut self) -> Result<Option<ScannedCode>, Error> {
        {
            let mut state = lock(&self.shared);
            if !state.connected {
                return Err(Error::Disconnected);
            }
            let bytes = std::mem::take(&mut state.wire);
            self.lines.feed(&bytes);
        }
        match self.lines.poll_line() {
            None => Ok(None),
            Some(Ok(text)) => Ok(Some(ScannedCode { text, symbology: None })),
            Some(Err(e)) => Err(e),
        }
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo { family: DeviceFamily::CodeScanner, name: "Simulated code scanner".to_owned(), simulated: true }
    }
}

impl SimCodeScannerHandle {
    /// Scans `text`: sends its UTF-8 bytes followed by CR LF, as a scanner in serial mode does.
    /// Ignored while disconnected.
    pub fn scan(&self, text: &str) {
        let mut bytes = text.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        self.send_bytes(&bytes);
    }

    /// Puts raw bytes on the wire (for malformed input). Ignored while disconnected.
    pub fn send_bytes(&self, bytes: &[u8]) {
        let mut state = lock(&self.shared);
        if state.connected {
            state.wire.extend_from_slice(bytes);
        }
    }

    /// Plugs or pulls the scanner: while disconnected `poll_code` fails with
    /// [`Error::Disconnected`] and scans are lost.
    pub fn set_connected(&self, connected: bool) {
        lock(&self.shared).connected = connected;
    }
}

//! The simulated twin of a printer link: [`VirtualEscposDevice`], a [`ByteTransport`] in memory
//! over the [`VirtualPrinter`], on a virtual clock.
//!
//! Implements: faults armed to happen after a number of bytes (paper out, cover open, cutter
//! error mid-job), near end, a slow link (e.g. 9600 baud 8N1 = 960 bytes/s: a write takes
//! virtual time and times out like a real UART would), a dead link. Reads that find nothing
//! advance the virtual clock by their timeout, so every timeout path runs without waiting.
//!
//! Does not implement: flow control (the virtual printer's buffer is unbounded).

use std::collections::VecDeque;
use std::time::Duration;

use motcua_device::Error;

use crate::transport::ByteTransport;
use crate::virtual_printer::{SimState, VirtualPrinter};

/// A printer link in memory (see the module docs).
#[derive(Debug)]
pub struct VirtualEscposDevice {
    printer: VirtualPrinter,
    now: Duration,
    bytes_per_second: Option<u32>,
    written: u64,
    faults: Vec<(u64, SimState)>,
    rx: VecDeque<u8>,
    connected: bool,
}

impl VirtualEscposDevice {
    /// A fast link (like USB) to `printer`.
    pub fn new(printer: VirtualPrinter) -> Self {
        Self {
            printer,
            now: Duration::ZERO,
            bytes_per_second: None,
            written: 0,
            faults: Vec::new(),
            rx: VecDeque::new(),
            connected: true,
        }
    }

    /// A serial link at `baud` (8N1: 10 bits a byte).
    pub fn with_baud(mut self, baud: u32) -> Self {
        self.bytes_per_second = Some((baud / 10).max(1));
        self
    }

    /// The printer behind the link.
    pub fn printer(&self) -> &VirtualPrinter {
        &self.printer
    }

    /// The printer behind the link, to change its state or take the ticket.
    pub fn printer_mut(&mut self) -> &mut VirtualPrinter {
        &mut self.printer
    }

    /// Sets `state` once `after_bytes` more bytes have been written (mid-job faults).
    pub fn fault_after(&mut self, after_bytes: u64, state: SimState) {
        self.faults.push((self.written + after_bytes, state));
        self.faults.sort_by_key(|f| f.0);
    }

    /// Unplugs (false) or plugs the link back in.
    pub fn set_connected(&mut self, connected: bool) {
        self.connected = connected;
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    fn transfer_time(&self, bytes: usize) -> Duration {
        match self.bytes_per_second {
            Some(bps) => Duration::from_secs_f64(bytes as f64 / f64::from(bps)),
            None => Duration::ZERO,
        }
    }

    fn deliver(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let split = match self.faults.first() {
                Some(&(at, _)) if at < self.written + data.len() as u64 => {
                    usize::try_from(at.saturating_sub(self.written)).unwrap_or(0)
                }
                _ => data.len(),
            };
            let (now, rest) = data.split_at(split);
            self.printer.feed(now);
            self.written += now.len() as u64;
            data = rest;
            if !data.is_empty() && !self.faults.is_empty() {
                let (_, state) = self.faults.remove(0);
                self.printer.set_state(state);
            }
        }
        while self.faults.first().is_some_and(|f| f.0 <= self.written) {
            let (_, state) = self.faults.remove(0);
            self.printer.set_state(state);
        }
        self.rx.extend(self.printer.take_output());
    }
}

impl ByteTransport for VirtualEscposDevice {
    fn write_all(&mut self, data: &[u8], timeout: Duration) -> Result<(), Error> {
        if !self.connected {
            return Err(Error::Disconnected);
        }
        let needed = self.transfer_time(data.len());
        if needed > timeout {
            // What a UART manages before the timeout; the rest never leaves the host.
            let fits = match self.bytes_per_second {
                Some(bps) => (timeout.as_secs_f64() * f64::from(bps)) as usize,
                None => data.len(),
            };
            self.deliver(&data[..fits.min(data.len())]);
            self.now += timeout;
            return Err(Error::Timeout);
        }
        self.deliver(data);
        self.now += needed;
        Ok(())
    }

    fn read_available(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        if !self.connected {
            return Err(Error::Disconnected);
        }
        self.rx.extend(self.printer.take_output());
        if self.rx.is_empty() {
            self.now += timeout;
            return Ok(0);
        }
        let n = buf.len().min(self.rx.len());
        for (slot, b) in buf.iter_mut().zip(self.rx.drain(..n)) {
            *slot = b;
        }
        self.now += self.transfer_time(n);
        Ok(n)
    }

    fn bytes_per_second(&self) -> Option<u32> {
        self.bytes_per_second
    }

    fn now(&self) -> Duration {
        self.now
    }
}

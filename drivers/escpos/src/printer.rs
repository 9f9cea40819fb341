//! [`EscposPrinter`]: the [`Printer`] seam for ESC/POS printers, over any [`ByteTransport`].
//!
//! Implements the print-confirmation flow of ESCPOS.md §3:
//! 1. **Pre-flight**: `DLE EOT 1–4` (real-time, answered even when offline); paper out, cover
//!    open, cutter error or offline refuse the job with the matching [`Error`] before a byte of
//!    it is sent.
//! 2. Encode ([`crate::encode()`]) and send the job, ending with the cut.
//! 3. **Completion barrier** after the cut, chosen by the profile: `GS ( H` process ID on
//!    Epson-class printers (answered once everything before it has *printed*); otherwise a
//!    `GS r 1` barrier (answered in sequence, after everything before it was processed); on
//!    presenter printers additionally "ticket present" in the kiosk full status.
//!    While waiting, `DLE EOT` is polled so a fault during the job fails it at once.
//! 4. A final `DLE EOT` round: a fault raised by the cut itself (cutter jam) fails the job.
//!
//! `Ok` is returned only after all of that; a successful `write` proves nothing (the bytes may
//! sit in the printer's buffer behind an open cover). The timeout is computed from the job's
//! length and the link speed ([`completion_timeout`]).
//!
//! Does not implement: the async Handle/Runner split (the kiosk calls `print` from a blocking
//! task), automatic status back (`GS a`) subscriptions, presenter retract/eject commands.

use std::time::Duration;

use motcua_device::printer::{PaperLevel, PrintOutcome, Printer, PrinterStatus};
use motcua_device::ticket::TicketDoc;
use motcua_device::{DeviceFamily, DeviceInfo, Error};

use crate::proto::commands;
use crate::proto::status::{Request, StatusDecoder, StatusEvent};
use crate::proto::{Profile, Strategy, encode};
use crate::transport::ByteTransport;

/// How long one status round (`DLE EOT 1–4`) may take.
const STATUS_TIMEOUT: Duration = Duration::from_millis(1500);
/// Read slice while waiting.
const POLL: Duration = Duration::from_millis(50);
/// How often `DLE EOT` is polled during a job.
const STATUS_EVERY: Duration = Duration::from_millis(500);

/// Time to wait for the completion barrier of a `job_len`-byte job: the transfer at the link
/// speed (twice, for flow-control stalls), plus the mechanism's time (about 1 s per 2 000 bytes
/// at the slowest thermal printers for raster-heavy jobs, never less than 3 s for feed and cut).
pub fn completion_timeout(job_len: usize, bytes_per_second: Option<u32>) -> Duration {
    let transfer = transfer_time(job_len, bytes_per_second);
    Duration::from_secs(3) + transfer * 2 + Duration::from_secs_f64(job_len as f64 / 2000.0)
}

/// The time to move `len` bytes over a link of `bytes_per_second` (zero when unknown/fast).
pub fn transfer_time(len: usize, bytes_per_second: Option<u32>) -> Duration {
    bytes_per_second.map_or(Duration::ZERO, |bps| Duration::from_secs_f64(len as f64 / f64::from(bps.max(1))))
}

/// Which completion barrier a profile gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Barrier {
    /// `GS ( H` fn 48 process ID (Epson-class).
    ProcessId,
    /// `GS r 1`, answered in sequence (clones).
    TransmitStatus,
    /// `GS r 1`, then "ticket present" from the kiosk full status (presenter printers).
    Presenter,
}

impl Barrier {
    /// The barrier for `profile`.
    pub fn for_profile(profile: &Profile) -> Self {
        if profile.presenter {
            Barrier::Presenter
        } else if profile.process_id {
            Barrier::ProcessId
        } else {
            Barrier::TransmitStatus
        }
    }
}

/// An ESC/POS printer on transport `T`.
#[derive(Debug)]
pub struct EscposPrinter<T> {
    transport: T,
    profile: Profile,
    strategy: Strategy,
    decoder: StatusDecoder,
    name: String,
    simulated: bool,
    next_job: u64,
    last_status: Option<PrinterStatus>,
}

impl<T: ByteTransport> EscposPrinter<T> {
    /// A printer of `profile` on `transport`, encoding with [`Strategy::Auto`].
    pub fn new(transport: T, profile: Profile) -> Self {
        let name = format!("ESC/POS {}", profile.name);
        Self {
            transport,
            profile,
            strategy: Strategy::Auto,
            decoder: StatusDecoder::new(),
            name,
            simulated: false,
            next_job: 1,
            last_status: None,
        }
    }

    /// Uses `strategy` for every job.
    pub fn with_strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Marks the device as a simulated twin in [`Printer::info`].
    pub fn simulated(mut self, simulated: bool) -> Self {
        self.simulated = simulated;
        self
    }

    /// The transport (for the simulated twin: the virtual printer).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutable.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The status read at the end of the last job or status query (near end shows here as a
    /// warning while jobs still succeed).
    pub fn last_status(&self) -> Option<PrinterStatus> {
        self.last_status
    }

    /// Sends raw, already encoded bytes followed by the profile's completion barrier and
    /// waits for confirmation (used by `print` and by the test page).
    pub fn print_bytes(&mut self, bytes: &[u8]) -> Result<PrintOutcome, Error> {
        let before = self.query_status()?;
        if let Some(e) = before.blocking_error() {
            return Err(e);
        }
        let job_id = self.next_job;
        self.next_job += 1;
        let barrier = Barrier::for_profile(&self.profile);
        let tag = job_tag(job_id);
        let mut job = bytes.to_vec();
        match barrier {
            Barrier::ProcessId => job.extend_from_slice(&commands::process_id(tag)),
            Barrier::TransmitStatus | Barrier::Presenter => {
                job.extend_from_slice(&Request::PaperSensor.bytes());
            }
        }
        let bps = self.transport.bytes_per_second();
        let write_timeout = Duration::from_secs(2) + transfer_time(job.len(), bps) * 2;
        self.decoder.forget_expectations();
        if barrier != Barrier::ProcessId {
            self.decoder.expect(Request::PaperSensor);
        }
        if let Err(e) = self.transport.write_all(&job, write_timeout) {
            self.decoder.forget_expectations();
            return Err(e);
        }
        let deadline = self.transport.now() + completion_timeout(job.len(), bps);
        self.wait_barrier(barrier, tag, deadline)?;
        // A fault raised by the cut itself (cutter jam) fails the job even after the barrier.
        let after = self.query_status()?;
        if let Some(e) = after.blocking_error() {
            return Err(e);
        }
        Ok(PrintOutcome { job_id, bytes_sent: job.len() })
    }

    fn wait_barrier(&mut self, barrier: Barrier, tag: [u8; 4], deadline: Duration) -> Result<(), Error> {
        let mut barrier_done = false;
        let mut next_status = self.transport.now() + STATUS_EVERY;
        let mut status_asked = false;
        let mut full_asked = false;
        // Rate limit for the presenter question, so a fast link cannot spin without time passing.
        let mut next_full = Duration::ZERO;
        let mut buf = [0u8; 256];
        loop {
            let now = self.transport.now();
            if now >= deadline {
                self.decoder.forget_expectations();
                return Err(Error::Timeout);
            }
            if !status_asked && now >= next_status {
                self.ask_status()?;
                status_asked = true;
            }
            if barrier_done && barrier == Barrier::Presenter && !full_asked && now >= next_full {
                self.decoder.expect(Request::FullStatus);
                self.transport.write_all(&Request::FullStatus.bytes(), STATUS_TIMEOUT)?;
                full_asked = true;
            }
            let n = self.transport.read_available(&mut buf, POLL.min(deadline - now))?;
            self.decoder.feed(&buf[..n]);
            let mut status_done = false;
            while let Some(ev) = self.decoder.poll_event() {
                match ev {
                    StatusEvent::ProcessIdCompleted(id) if barrier == Barrier::ProcessId && id == tag => {
                        barrier_done = true;
                    }
                    StatusEvent::PaperSensor { .. } if barrier != Barrier::ProcessId => barrier_done = true,
                    StatusEvent::RollPaper { .. } => status_done = true,
                    StatusEvent::FullStatus { ticket_present, .. } => {
                        full_asked = false;
                        next_full = self.transport.now() + POLL;
                        if ticket_present && barrier_done {
                            return Ok(());
                        }
                    }
                    _ => {}
                }
            }
            if status_done {
                status_asked = false;
                next_status = self.transport.now() + STATUS_EVERY;
                let st = self.current_status();
                self.last_status = Some(st);
                if let Some(e) = st.blocking_error() {
                    self.decoder.forget_expectations();
                    return Err(e);
                }
            }
            if barrier_done && barrier != Barrier::Presenter {
                return Ok(());
            }
        }
    }

    fn ask_status(&mut self) -> Result<(), Error> {
        let mut bytes = Vec::with_capacity(12);
        for r in [Request::PrinterStatus, Request::OfflineCause, Request::ErrorCause, Request::RollPaper] {
            self.decoder.expect(r);
            bytes.extend_from_slice(&r.bytes());
        }
        self.transport.write_all(&bytes, STATUS_TIMEOUT)
    }

    fn current_status(&self) -> PrinterStatus {
        let s = self.decoder.state();
        let cover_open = s.cover_open.unwrap_or(false);
        let cutter_error = s.cutter_error.unwrap_or(false);
        let paper = s.paper.unwrap_or(PaperLevel::Ok);
        let online = s.online.unwrap_or(false) && !cover_open && !cutter_error && paper != PaperLevel::Out;
        PrinterStatus { online, paper, cover_open, cutter_error }
    }

    /// One `DLE EOT 1–4` round; `Timeout` when the printer does not answer.
    fn query_status(&mut self) -> Result<PrinterStatus, Error> {
        self.decoder.forget_expectations();
        self.ask_status()?;
        let deadline = self.transport.now() + STATUS_TIMEOUT;
        let mut buf = [0u8; 64];
        loop {
            let now = self.transport.now();
            if now >= deadline {
                self.decoder.forget_expectations();
                return Err(Error::Timeout);
            }
            let n = self.transport.read_available(&mut buf, POLL.min(deadline - now))?;
            self.decoder.feed(&buf[..n]);
            let mut done = false;
            while let Some(ev) = self.decoder.poll_event() {
                done |= matches!(ev, StatusEvent::RollPaper { .. });
            }
            if done {
                let st = self.current_status();
                self.last_status = Some(st);
                return Ok(st);
            }
        }
    }
}

/// The 4-byte `GS ( H` tag of job `id`: its last four decimal digits as ASCII.
fn job_tag(id: u64) -> [u8; 4] {
    let n = id % 10_000;
    [b'0' + (n / 1000) as u8, b'0' + (n / 100 % 10) as u8, b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8]
}

impl<T: ByteTransport + Send> Printer for EscposPrinter<T> {
    fn print(&mut self, doc: &TicketDoc) -> Result<PrintOutcome, Error> {
        let job = encode(doc, &self.profile, self.strategy)?;
        self.print_bytes(&job.bytes)
    }

    fn status(&mut self) -> Result<PrinterStatus, Error> {
        self.query_status()
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo { family: DeviceFamily::Printer, name: self.name.clone(), simulated: self.simulated }
    }
}

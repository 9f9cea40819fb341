//! The printer seam: print a [`TicketDoc`], read the printer's status.
//!
//! Implements: the [`Printer`] trait and its status types. The contract that matters to the
//! citizen is on [`Printer::print`]: `Ok` means the device confirmed the job, so the hub may
//! count the ticket as issued; `Err` means it did not print (and must not be counted).
//!
//! Does not implement: a real driver. The ESC/POS encoder and the USB/serial transport arrive
//! in a later crate (see `/work/shared/docs/ESCPOS.md` for how a real driver confirms a job:
//! DLE EOT pre-flight, then `GS ( H` / `GS r` after the cut). [`crate::sim::SimPrinter`] is the
//! simulated twin.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::ticket::TicketDoc;

pub use crate::{DeviceFamily, DeviceInfo};

/// Paper supply as the near-end and end sensors report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum PaperLevel {
    /// Enough paper.
    #[default]
    Ok,
    /// The near-end sensor tripped: the printer still prints, someone should change the roll.
    NearEnd,
    /// No paper: nothing prints.
    Out,
}

/// A printer's state, as ESC/POS `DLE EOT` (or the sim) reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrinterStatus {
    /// The printer accepts jobs (no cover open, paper present, no error).
    pub online: bool,
    /// Paper supply.
    pub paper: PaperLevel,
    /// The cover (paper door) is open.
    pub cover_open: bool,
    /// The auto-cutter reported an error.
    pub cutter_error: bool,
}

impl PrinterStatus {
    /// All good: online, paper ok, cover closed, cutter fine.
    pub const READY: PrinterStatus =
        PrinterStatus { online: true, paper: PaperLevel::Ok, cover_open: false, cutter_error: false };

    /// The error a print would fail with in this state, if any (cover first: an open cover
    /// also trips the paper sensor on most mechanisms, and "close the cover" is the fix).
    pub fn blocking_error(&self) -> Option<Error> {
        if self.cover_open {
            Some(Error::CoverOpen)
        } else if self.paper == PaperLevel::Out {
            Some(Error::PaperOut)
        } else if self.cutter_error {
            Some(Error::CutterError)
        } else if !self.online {
            Some(Error::Hardware("printer is offline".to_owned()))
        } else {
            None
        }
    }
}

/// A job the device confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrintOutcome {
    /// Identifier of the job on this printer (increasing).
    pub job_id: u64,
    /// Bytes sent to the device for this job.
    pub bytes_sent: usize,
}

/// A ticket printer.
pub trait Printer: Send {
    /// Prints `doc` and waits for the device to confirm it.
    ///
    /// `Ok` only when the device confirmed the job. `Err` (paper out, cover open, cutter
    /// error, disconnected, timeout) means the ticket was not printed.
    fn print(&mut self, doc: &TicketDoc) -> Result<PrintOutcome, Error>;

    /// Reads the printer's current status. `Err` when the printer cannot be reached.
    fn status(&mut self) -> Result<PrinterStatus, Error>;

    /// What this device is.
    fn info(&self) -> DeviceInfo;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn ready_status_does_not_block_and_faults_do() {
        assert!(PrinterStatus::READY.blocking_error().is_none());
        let near_end = PrinterStatus { paper: PaperLevel::NearEnd, ..PrinterStatus::READY };
        assert!(near_end.blocking_error().is_none());
        let out = PrinterStatus { paper: PaperLevel::Out, online: false, ..PrinterStatus::READY };
        assert!(matches!(out.blocking_error(), Some(Error::PaperOut)));
        let cover = PrinterStatus { cover_open: true, ..PrinterStatus::READY };
        assert_eq!(cover.blocking_error().map(|e| e.kind()), Some(ErrorKind::Hardware));
    }
}

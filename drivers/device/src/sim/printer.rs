//! The simulated thermal printer (renders jobs with `crate::render`, refuses them on faults).

use std::sync::{Arc, Mutex};

use super::lock;
use crate::Error;
use crate::printer::{DeviceFamily, DeviceInfo, PaperLevel, PrintOutcome, Printer, PrinterStatus};
use crate::render::{Raster, render};
use crate::ticket::{PaperWidth, TicketDoc};

/// A job the simulated printer confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedJob {
    /// The id returned in [`PrintOutcome::job_id`].
    pub job_id: u64,
    /// The document as given to [`Printer::print`].
    pub doc: TicketDoc,
    /// The paper as it came out (rendered at the printer's own paper width).
    pub raster: Raster,
}

#[derive(Debug)]
struct State {
    paper_width: PaperWidth,
    paper: PaperLevel,
    cover_open: bool,
    cutter_error: bool,
    connected: bool,
    next_job_id: u64,
    jobs: Vec<PrintedJob>,
}

impl State {
    fn status(&self) -> PrinterStatus {
        PrinterStatus {
            online: !self.cover_open && self.paper != PaperLevel::Out && !self.cutter_error,
            paper: self.paper,
            cover_open: self.cover_open,
            cutter_error: self.cutter_error,
        }
    }
}

/// Simulated thermal printer: renders each job with [`render`] and keeps it.
///
/// A job is refused (and nothing recorded) when the printer is disconnected, out of paper,
/// has its cover open or a cutter error, exactly as the real driver must refuse it. A
/// document laid out for another paper width is rendered at this printer's width, as the
/// physical printer would wrap it (and a warning is logged: the kiosk should lay out for the
/// printer it has). [`PrintOutcome::bytes_sent`] is what a raster driver would send for the
/// job (`GS v 0` header plus one bit per dot), since no ESC/POS encoder exists yet.
#[derive(Debug)]
pub struct SimPrinter {
    shared: Arc<Mutex<State>>,
}

/// Cloneable view of a [`SimPrinter`]: printed jobs and fault injection.
#[derive(Debug, Clone)]
pub struct SimPrinterHandle {
    shared: Arc<Mutex<State>>,
}

impl SimPrinter {
    /// A connected, ready printer loaded with `paper`.
    pub fn new(paper: PaperWidth) -> Self {
        Self {
            shared: Arc::new(Mutex::new(State {
                paper_width: paper,
                paper: PaperLevel::Ok,
                cover_open: false,
                cutter_error: false,
                connected: true,
                next_job_id: 1,
                jobs: Vec::new(),
            })),
        }
    }

    /// A handle on this printer's state.
    pub fn handle(&self) -> SimPrinterHandle {
        SimPrinterHandle { shared: Arc::clone(&self.shared) }
    }
}

impl Printer for SimPrinter {
    fn print(&mut self, doc: &TicketDoc) -> Result<PrintOutcome, Error> {
        // The lock is held while rendering (a few ms) so that a fault injected meanwhile
        // cannot land between the status check and the recording of the job.
        let mut state = lock(&self.shared);
        if !state.connected {
            return Err(Error::Disconnected);
        }
        if let Some(e) = state.status().blocking_error() {
            return Err(e);
        }
        let raster = if doc.paper == state.paper_width {
            render(doc)
        } else {
            tracing::warn!(
                doc = ?doc.paper,
                printer = ?state.paper_width,
                "document laid out for another paper width"
            );
            render(&TicketDoc { paper: state.paper_width, blocks: doc.blocks.clone() })
        };
        let job_id = state.next_job_id;
        state.next_job_id += 1;
        // What a raster driver would send: GS v 0 header (8 bytes) + 1 bit per dot.
        let bytes_sent = 8 + (raster.width as usize).div_ceil(8) * raster.height as usize;
        tracing::debug!(job_id, height = raster.height, "simulated print");
        state.jobs.push(PrintedJob { job_id, doc: doc.clone(), raster });
        Ok(PrintOutcome { job_id, bytes_sent })
    }

    fn status(&mut self) -> Result<PrinterStatus, Error> {
        let state = lock(&self.shared);
        if !state.connected {
            return Err(Error::Disconnected);
        }
        Ok(state.status())
    }

    fn info(&self) -> DeviceInfo {
        let paper = match lock(&self.shared).paper_width {
            PaperWidth::Mm58 => "58 mm",
            PaperWidth::Mm80 => "80 mm",
        };
        DeviceInfo {
            family: DeviceFamily::Printer,
            name: format!("Simulated thermal printer ({paper})"),
            simulated: true,
        }
    }
}

impl SimPrinterHandle {
    /// Every confirmed job, oldest first.
    pub fn jobs(&self) -> Vec<PrintedJob> {
        lock(&self.shared).jobs.clone()
    }

    /// The paper of the last confirmed job.
    pub fn last_raster(&self) -> Option<Raster> {
        lock(&self.shared).jobs.last().map(|j| j.raster.clone())
    }

    /// Forgets the recorded jobs (job ids keep increasing).
    pub fn clear_jobs(&self) {
        lock(&self.shared).jobs.clear();
    }

    /// Sets what the paper sensors report.
    pub fn set_paper(&self, level: PaperLevel) {
        lock(&self.shared).paper = level;
    }

    /// Opens or closes the cover.
    pub fn set_cover_open(&self, open: bool) {
        lock(&self.shared).cover_open = open;
    }

    /// Raises or clears a cutter error (a jam).
    pub fn set_cutter_error(&self, error: bool) {
        lock(&self.shared).cutter_error = error;
    }

    /// Plugs or pulls the cable: while disconnected, `print` and `status` fail with
    /// [`Error::Disconnected`].
    pub fn set_connected(&self, connected: bool) {
        lock(&self.shared).connected = connected;
    }
}

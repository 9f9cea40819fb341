//! The ticket printer on the hub's health page and metrics, with alarms in the log.
//!
//! Implements: [`PrinterMonitor`], which asks the printer for its status every
//! [`POLL_EVERY`] (never while a job holds the printer: it skips that round), keeps the latest
//! answer for the health page, and logs a warning when the paper nears its end and an error
//! when the printer stops (paper out, cover open, cutter error, unreachable), so office IT
//! sees it on the health page, in `/metrics` and in the journal before citizens do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use motcua_device::printer::{PaperLevel, Printer, PrinterStatus};

/// How often the printer is asked.
pub const POLL_EVERY: Duration = Duration::from_secs(15);

/// What the monitor last learned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrinterHealth {
    /// The last status, when the printer answered.
    pub status: Option<PrinterStatus>,
    /// Why the last status request failed, if it did.
    pub error: Option<String>,
    /// Status requests that failed in a row.
    pub failures: u32,
}

/// Polls a printer's status for the health page.
#[derive(Debug, Clone)]
pub struct PrinterMonitor {
    state: Arc<Mutex<PrinterHealth>>,
}

impl PrinterMonitor {
    /// Starts polling `printer` on a thread of its own.
    pub fn spawn(printer: Arc<Mutex<dyn Printer>>) -> std::io::Result<Self> {
        let monitor = PrinterMonitor { state: Arc::new(Mutex::new(PrinterHealth::default())) };
        let m = monitor.clone();
        std::thread::Builder::new().name("motcua-printer-health".into()).spawn(move || {
            loop {
                m.poll_once(&printer);
                std::thread::sleep(POLL_EVERY);
            }
        })?;
        Ok(monitor)
    }

    /// A monitor fed by hand (tests).
    pub fn manual() -> Self {
        PrinterMonitor { state: Arc::new(Mutex::new(PrinterHealth::default())) }
    }

    /// Asks the printer once, unless a job holds it now.
    pub fn poll_once(&self, printer: &Arc<Mutex<dyn Printer>>) {
        let answer = match printer.try_lock() {
            Ok(mut p) => p.status().map_err(|e| e.to_string()),
            Err(std::sync::TryLockError::WouldBlock) => return,
            Err(std::sync::TryLockError::Poisoned(_)) => Err("printer lock poisoned".to_owned()),
        };
        self.record(answer);
    }

    /// Records one answer, logging the alarms that changed.
    pub fn record(&self, answer: Result<PrinterStatus, String>) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let before = s.clone();
        match answer {
            Ok(st) => {
                alarm_changes(before.status.as_ref(), &st);
                if before.error.is_some() {
                    tracing::info!("printer answers again");
                }
                s.status = Some(st);
                s.error = None;
                s.failures = 0;
            }
            Err(e) => {
                if before.error.is_none() {
                    tracing::error!(error = %e, "printer does not answer: tickets will be shown on screen only");
                }
                s.error = Some(e);
                s.failures = s.failures.saturating_add(1);
            }
        }
    }

    /// The latest health.
    pub fn health(&self) -> PrinterHealth {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn alarm_changes(before: Option<&PrinterStatus>, now: &PrinterStatus) {
    let was = |f: fn(&PrinterStatus) -> bool| before.is_some_and(f);
    if now.paper == PaperLevel::NearEnd && !was(|b| b.paper == PaperLevel::NearEnd) {
        tracing::warn!("printer paper near its end: change the roll soon");
    }
    if now.paper == PaperLevel::Out && !was(|b| b.paper == PaperLevel::Out) {
        tracing::error!("printer out of paper: tickets are shown on screen only");
    }
    if now.cover_open && !was(|b| b.cover_open) {
        tracing::error!("printer cover open");
    }
    if now.cutter_error && !was(|b| b.cutter_error) {
        tracing::error!("printer cutter error");
    }
}

impl motcua_hub::HealthSource for PrinterMonitor {
    fn title(&self) -> String {
        "Máy in vé / Ticket printer".into()
    }

    fn rows(&self) -> Vec<(String, String)> {
        let h = self.health();
        let Some(st) = h.status.filter(|_| h.error.is_none()) else {
            return vec![(
                "Trạng thái / State".into(),
                match h.error {
                    Some(e) => format!("KHÔNG TRẢ LỜI / NOT ANSWERING ({e})"),
                    None => "chưa kiểm tra / not checked yet".into(),
                },
            )];
        };
        let paper = match st.paper {
            PaperLevel::Ok => "đủ / ok",
            PaperLevel::NearEnd => "SẮP HẾT — thay cuộn giấy / NEAR END — change the roll",
            PaperLevel::Out => "HẾT GIẤY / OUT",
        };
        let yes_no = |b: bool| if b { "CÓ / YES" } else { "không / no" };
        vec![
            ("Sẵn sàng / Online".into(), if st.online { "có / yes".into() } else { "KHÔNG / NO".into() }),
            ("Giấy / Paper".into(), paper.into()),
            ("Nắp mở / Cover open".into(), yes_no(st.cover_open).into()),
            ("Lỗi dao cắt / Cutter error".into(), yes_no(st.cutter_error).into()),
        ]
    }

    fn metrics(&self) -> Vec<(String, String, f64)> {
        let h = self.health();
        let st = h.status.filter(|_| h.error.is_none());
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        vec![
            (
                "motcua_printer_answering".into(),
                "The printer answered its last status request".into(),
                flag(st.is_some()),
            ),
            ("motcua_printer_online".into(), "The printer accepts jobs".into(), flag(st.is_some_and(|s| s.online))),
            (
                "motcua_printer_paper_near_end".into(),
                "The paper near-end sensor tripped".into(),
                flag(st.is_some_and(|s| s.paper == PaperLevel::NearEnd)),
            ),
            (
                "motcua_printer_paper_out".into(),
                "No paper".into(),
                flag(st.is_some_and(|s| s.paper == PaperLevel::Out)),
            ),
            ("motcua_printer_cover_open".into(), "Cover open".into(), flag(st.is_some_and(|s| s.cover_open))),
            ("motcua_printer_cutter_error".into(), "Cutter error".into(), flag(st.is_some_and(|s| s.cutter_error))),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use motcua_device::sim::SimPrinter;
    use motcua_device::ticket::PaperWidth;
    use motcua_hub::HealthSource as _;

    #[test]
    fn near_end_and_paper_out_reach_the_health_page_and_metrics() {
        let sim = SimPrinter::new(PaperWidth::Mm80);
        let handle = sim.handle();
        let printer: Arc<Mutex<dyn Printer>> = Arc::new(Mutex::new(sim));
        let m = PrinterMonitor::manual();
        m.poll_once(&printer);
        assert!(m.rows().iter().any(|(k, v)| k.starts_with("Giấy") && v == "đủ / ok"));
        handle.set_paper(PaperLevel::NearEnd);
        m.poll_once(&printer);
        assert!(m.rows().iter().any(|(_, v)| v.contains("SẮP HẾT")), "{:?}", m.rows());
        let metric = |name: &str| m.metrics().into_iter().find(|(n, _, _)| n == name).map(|x| x.2);
        assert_eq!(metric("motcua_printer_paper_near_end"), Some(1.0));
        handle.set_paper(PaperLevel::Out);
        m.poll_once(&printer);
        assert_eq!(metric("motcua_printer_paper_out"), Some(1.0));
        assert_eq!(metric("motcua_printer_online"), Some(0.0));
    }

    #[test]
    fn a_printer_that_does_not_answer_is_shown_as_such() {
        let m = PrinterMonitor::manual();
        m.record(Err("no such device".into()));
        assert!(m.rows()[0].1.contains("KHÔNG TRẢ LỜI"));
        assert_eq!(m.health().failures, 1);
        m.record(Ok(PrinterStatus::READY));
        assert_eq!(m.health().failures, 0);
    }
}

//! The kiosk's code scanner: a thread that polls the configured scanner and hands every code it
//! reads to the screen, which routes it by its shape (a dossier receipt opens the lookup).
//!
//! Implements: opening the scanner from `kiosk.toml` (`[scanner]`) and the polling thread.
//! Rejected scans (half scans, garbage) are logged without their content and dropped; a yanked
//! scanner is reopened by its driver.

use std::time::Duration;

use motcua_device::scanner::CodeScanner;

use crate::config::ScannerSection;

/// The scanner `kiosk.toml` names, or `None` for `kind = "none"`.
pub fn open(cfg: &ScannerSection) -> Option<Box<dyn CodeScanner>> {
    let framing = motcua_scanner::Config::default();
    let driver = motcua_scanner::DriverConfig::default();
    match cfg.kind.as_str() {
        "serial" => {
            let mut port = motcua_scanner::SerialConfig::new(cfg.device.clone());
            port.baud_rate = cfg.baud;
            Some(Box::new(motcua_scanner::SerialScanner::open_serial(port, framing, driver)))
        }
        "hid" => Some(Box::new(motcua_scanner::HidScanner::open_evdev(cfg.device.clone(), framing, driver))),
        _ => None,
    }
}

/// Polls `scanner` on a thread of its own, calling `deliver` with each code read. Runs until
/// `deliver` returns `false` (the screen is gone).
pub fn spawn(
    mut scanner: Box<dyn CodeScanner>,
    deliver: impl Fn(String) -> bool + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new().name("motcua-scanner".into()).spawn(move || {
        loop {
            match scanner.poll_code() {
                Ok(Some(code)) => {
                    if !deliver(code.text) {
                        return;
                    }
                }
                // The driver waits for input itself; this only bounds a busy loop on a driver
                // that returns at once (a disconnected device between reopen attempts).
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => {
                    tracing::info!(error = %e, "scan rejected");
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    })?;
    Ok(())
}

//! systemd service notification (`sd_notify`): `READY=1` once a role is serving, then
//! `WATCHDOG=1` at half the unit's `WatchdogSec` — but only while a liveness check passes, so a
//! wedged hub (writer thread stuck, disk hung) is restarted by systemd instead of pinging forever.
//!
//! The protocol is one datagram per message on the unix socket named by `$NOTIFY_SOCKET`
//! (sd_notify(3)); without that variable (not under systemd) every call is a no-op. Abstract
//! socket names (a leading `@`) are not supported: systemd uses a path for services.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// Send one notification; `false` if not under systemd or the send failed.
pub fn notify(state: &str) -> bool {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else { return false };
    if path.to_string_lossy().starts_with('@') {
        tracing::debug!("abstract NOTIFY_SOCKET not supported");
        return false;
    }
    match UnixDatagram::unbound().and_then(|s| s.send_to(state.as_bytes(), &path)) {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(error = %e, "sd_notify failed");
            false
        }
    }
}

/// The watchdog interval systemd asked for (`$WATCHDOG_USEC`), if any.
pub fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

/// Tell systemd the service is ready, and start pinging its watchdog from a thread for as long
/// as `alive()` returns true. The thread lives until the process ends.
pub fn ready_with_watchdog(alive: impl Fn() -> bool + Send + 'static) {
    notify("READY=1");
    let Some(interval) = watchdog_interval() else { return };
    let spawned = std::thread::Builder::new().name("sd-watchdog".into()).spawn(move || {
        loop {
            std::thread::sleep(interval / 2);
            if alive() {
                notify("WATCHDOG=1");
            } else {
                tracing::error!("liveness check failed; letting the systemd watchdog restart the service");
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the watchdog thread");
    }
}

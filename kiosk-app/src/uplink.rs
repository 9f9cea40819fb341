//! The office's link to the provincial system: the relay that drains the hub's outbox to the
//! central system, and — when no central is configured — the reference central itself,
//! in-process on loopback, so a one-box office (and a developer's machine) runs the whole chain.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use motcua_relay::{HttpCentral, HttpCentralConfig, MetricsHandle, RelayConfig, SqliteOutbox};

/// Where events go.
#[derive(Debug, Clone)]
pub enum CentralTarget {
    /// The reference central in this process (`<data-dir>/central.db`), with a fresh key.
    Embedded,
    /// The provincial system.
    Remote {
        /// Base URL.
        url: String,
        /// This office box's device id at the central.
        device_id: String,
        /// Its HMAC key.
        key: Vec<u8>,
    },
}

/// A running uplink.
#[derive(Debug, Clone)]
pub struct Uplink {
    /// Relay figures (mode, backlog, oldest age, ...).
    pub metrics: MetricsHandle,
    /// The embedded central's address, if one runs.
    pub embedded_central: Option<SocketAddr>,
}

/// Start the relay (and the embedded central) on `rt`. The tasks live as long as the runtime.
pub fn start(rt: &tokio::runtime::Runtime, hub_db: &Path, data_dir: &Path, target: CentralTarget) -> Result<Uplink> {
    let (url, device_id, key, embedded_central) = match target {
        CentralTarget::Remote { url, device_id, key } => (url, device_id, key, None),
        CentralTarget::Embedded => {
            let key: Vec<u8> = (0..32).map(|_| fastrand::u8(..)).collect();
            let cfg = motcua_central::CentralConfig::new(
                data_dir.join("central.db"),
                vec![motcua_central::DeviceCred { device_id: "hub".into(), office_id: "*".into(), key: key.clone() }],
            );
            let server = motcua_central::CentralServer::open(cfg).context("opening the embedded central")?;
            let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
            let addr = listener.local_addr()?;
            rt.spawn(async move {
                if let Err(e) = server.serve(listener, std::future::pending()).await {
                    tracing::error!(error = %e, "embedded central stopped");
                }
            });
            tracing::info!(%addr, "embedded reference central running (no central URL configured)");
            (format!("http://{addr}"), "hub".to_owned(), key, Some(addr))
        }
    };
    let outbox = SqliteOutbox::open(hub_db).context("opening the outbox for the relay")?;
    let central =
        HttpCentral::new(HttpCentralConfig { base_url: url, device_id, key, timeout: Duration::from_secs(30) })
            .map_err(|e| anyhow::anyhow!("central client: {e}"))?;
    let metrics = MetricsHandle::default();
    let m = metrics.clone();
    rt.spawn(async move {
        if let Err(e) = motcua_relay::run(outbox, central, RelayConfig::default(), m, std::future::pending()).await {
            tracing::error!(error = %e, "relay stopped");
        }
    });
    Ok(Uplink { metrics, embedded_central })
}

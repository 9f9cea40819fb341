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
    /// Dossier status from the same central, with the same device credentials.
    pub dossiers: std::sync::Arc<crate::lookup::CentralDossiers>,
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
    let dossiers = std::sync::Arc::new(crate::lookup::CentralDossiers::new(&url, &device_id, key.clone()));
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
    Ok(Uplink { metrics, embedded_central, dossiers })
}

/// The relay's figures on the hub's health page and metrics.
#[derive(Debug, Clone)]
pub struct RelayHealth(pub MetricsHandle);

impl motcua_hub::HealthSource for RelayHealth {
    fn title(&self) -> String {
        "Chuyển dữ liệu về hệ thống tỉnh / Relay to the provincial system".into()
    }

    fn rows(&self) -> Vec<(String, String)> {
        let m = self.0.snapshot();
        let mode = match m.mode {
            motcua_relay::Mode::Online => "đang kết nối / online",
            motcua_relay::Mode::BackingOff => "mất kết nối, đang thử lại / backing off",
            motcua_relay::Mode::CatchingUp => "đang gửi bù / catching up",
        };
        let mut rows = vec![
            ("Chế độ / Mode".into(), mode.into()),
            ("Chưa gửi / Backlog".into(), m.backlog.to_string()),
            (
                "Cũ nhất / Oldest".into(),
                m.oldest_undelivered_age_s.map_or("—".into(), |s| format!("{:.0} phút / min", s / 60.0)),
            ),
            ("Đã gửi / Delivered".into(), m.delivered.to_string()),
            ("Bị từ chối (cách ly) / Quarantined".into(), m.quarantined.to_string()),
            ("Thử lại / Retries".into(), m.retries.to_string()),
            (
                "Dung lượng / Disk".into(),
                format!(
                    "{} / {} MB{}",
                    m.disk_bytes / 1_000_000,
                    m.disk_limit_bytes / 1_000_000,
                    if m.disk_alarm { " — SẮP ĐẦY / NEARLY FULL" } else { "" }
                ),
            ),
        ];
        if let Some(e) = m.last_error {
            rows.push(("Lỗi gần nhất / Last error".into(), e));
        }
        rows
    }

    fn metrics(&self) -> Vec<(String, String, f64)> {
        let m = self.0.snapshot();
        let mode = match m.mode {
            motcua_relay::Mode::Online => 0.0,
            motcua_relay::Mode::BackingOff => 1.0,
            motcua_relay::Mode::CatchingUp => 2.0,
        };
        vec![
            ("motcua_relay_mode".into(), "0 online, 1 backing off, 2 catching up.".into(), mode),
            ("motcua_relay_backlog".into(), "Events the relay has not delivered yet.".into(), m.backlog as f64),
            (
                "motcua_relay_oldest_undelivered_seconds".into(),
                "Age of the oldest undelivered event.".into(),
                m.oldest_undelivered_age_s.unwrap_or(0.0),
            ),
            ("motcua_relay_delivered".into(), "Events delivered since start.".into(), m.delivered as f64),
            ("motcua_relay_quarantined".into(), "Events the central rejected.".into(), m.quarantined as f64),
            (
                "motcua_relay_disk_alarm".into(),
                "1 when the outbox nears its disk bound.".into(),
                f64::from(u8::from(m.disk_alarm)),
            ),
        ]
    }
}

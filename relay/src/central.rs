//! The adapter seam between the delivery loop and a wire format: [`Central`]. [`HttpCentral`]
//! speaks `docs/central-openapi.yaml` v1 (reqwest, rustls, HMAC-signed requests); an
//! iGate/OpenCPS-style provincial API would be another implementation.

use std::future::Future;
use std::time::Duration;

use crate::wire::{self, Ack, ApiError, BatchReply, BatchRequest, WireEvent};

/// Why a batch was not acknowledged. Every variant means: nothing was acknowledged, retry later.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Connection refused/reset, TLS failure, timeout.
    #[error("transport: {0}")]
    Transport(String),
    /// Non-2xx reply.
    #[error("central replied {status}: {code}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// `ApiError.code` (or `unknown`).
        code: String,
        /// `ApiError.message` (or the body's start).
        message: String,
    },
    /// Our clock and the central's differ beyond its replay window: fix the clock (NTP).
    #[error(
        "clock skew: the central's time is {server_time}, ours is {our_time}; requests fall outside its replay window"
    )]
    ClockSkew {
        /// Central's clock.
        server_time: String,
        /// Ours.
        our_time: String,
    },
    /// 2xx with a body that is not a `BatchReply`.
    #[error("malformed reply: {0}")]
    Malformed(String),
}

/// A central system that takes event batches.
pub trait Central: Send + Sync {
    /// Send events (in seq order); the acks cover a subset (usually all) of them.
    fn send_batch(&self, events: &[WireEvent]) -> impl Future<Output = Result<Vec<Ack>, SendError>> + Send;
}

/// HTTP client settings.
#[derive(Debug, Clone)]
pub struct HttpCentralConfig {
    /// Base URL, e.g. `https://motcua.example.gov.vn` (no trailing slash needed).
    pub base_url: String,
    /// This relay's device id at the central.
    pub device_id: String,
    /// Its HMAC key.
    pub key: Vec<u8>,
    /// Whole-request timeout.
    pub timeout: Duration,
}

/// The v1 HTTP adapter.
#[derive(Debug, Clone)]
pub struct HttpCentral {
    cfg: HttpCentralConfig,
    client: reqwest::Client,
}

impl HttpCentral {
    /// Build the client (rustls; no OpenSSL).
    pub fn new(cfg: HttpCentralConfig) -> Result<Self, SendError> {
        let client = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .build()
            .map_err(|e| SendError::Transport(format!("{e:#}")))?;
        Ok(Self { cfg, client })
    }

    /// A signed request. `path` begins with `/` and includes any query string.
    pub fn signed(&self, method: reqwest::Method, path: &str, body: Vec<u8>) -> reqwest::RequestBuilder {
        let ts = wire::now_rfc3339();
        let nonce = wire::nonce();
        let sig = wire::sign(&self.cfg.key, method.as_str(), path, &body, &ts, &nonce);
        let url = format!("{}{}", self.cfg.base_url.trim_end_matches('/'), path);
        self.client
            .request(method, url)
            .header(wire::H_DEVICE, &self.cfg.device_id)
            .header(wire::H_TIMESTAMP, ts)
            .header(wire::H_NONCE, nonce)
            .header(wire::H_SIGNATURE, sig)
            .header("content-type", "application/json")
            .body(body)
    }
}

fn transport(e: &reqwest::Error) -> SendError {
    // The source chain carries the useful part (refused, reset, TLS alert, timeout).
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    SendError::Transport(msg)
}

impl Central for HttpCentral {
    async fn send_batch(&self, events: &[WireEvent]) -> Result<Vec<Ack>, SendError> {
        let body = serde_json::to_vec(&BatchRequest { events: events.to_vec() })
            .map_err(|e| SendError::Malformed(format!("encoding the batch: {e}")))?;
        let resp =
            self.signed(reqwest::Method::POST, "/v1/events:batch", body).send().await.map_err(|e| transport(&e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| transport(&e))?;
        if status.is_success() {
            let reply: BatchReply = serde_json::from_slice(&bytes)
                .map_err(|e| SendError::Malformed(format!("{e} (body starts {:?})", preview(&bytes))))?;
            return Ok(reply.acks);
        }
        match serde_json::from_slice::<ApiError>(&bytes) {
            Ok(err) if err.code == "clock_skew" => Err(SendError::ClockSkew {
                server_time: err.server_time.unwrap_or_else(|| "unknown".into()),
                our_time: wire::now_rfc3339(),
            }),
            Ok(err) => Err(SendError::Status { status: status.as_u16(), code: err.code, message: err.message }),
            Err(_) => {
                Err(SendError::Status { status: status.as_u16(), code: "unknown".into(), message: preview(&bytes) })
            }
        }
    }
}

fn preview(b: &[u8]) -> String {
    String::from_utf8_lossy(&b[..b.len().min(80)]).into_owned()
}

//! The wire format of `docs/central-openapi.yaml` (v1) and request signing, shared by the relay
//! (client side) and the reference central (server side).

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Header: the signing device's id.
pub const H_DEVICE: &str = "x-motcua-device";
/// Header: the request time, RFC 3339 with offset (the relay sends +07:00).
pub const H_TIMESTAMP: &str = "x-motcua-timestamp";
/// Header: a fresh random nonce (hex, 16 bytes), never reused within the replay window.
pub const H_NONCE: &str = "x-motcua-nonce";
/// Header: hex HMAC-SHA256 of [`canonical`] under the device key.
pub const H_SIGNATURE: &str = "x-motcua-signature";

/// One event as it travels: the hub's `EventEnvelope`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireEvent {
    /// UUIDv7, the idempotency key.
    pub id: String,
    /// Office id.
    pub office_id: String,
    /// Device that caused the event.
    pub device_id: String,
    /// Per-office sequence number.
    pub seq: u64,
    /// Event kind.
    pub kind: String,
    /// RFC 3339 with offset (+07:00).
    pub occurred_at: String,
    /// Kind-specific body.
    pub payload: serde_json::Value,
}

/// Body of `POST /v1/events:batch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRequest {
    /// Events in per-office seq order.
    pub events: Vec<WireEvent>,
}

/// Outcome of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckStatus {
    /// Stored now.
    Accepted,
    /// Already stored earlier (same id): also a success.
    Duplicate,
    /// Will never be accepted; `reason` says why.
    Rejected,
}

/// Acknowledgement of one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Event id.
    pub id: String,
    /// Outcome.
    pub status: AckStatus,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Reply of `POST /v1/events:batch`: acks for a prefix (possibly all) of the batch. Events
/// without an ack were not processed and must be sent again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReply {
    /// Per-event acks.
    pub acks: Vec<Ack>,
}

/// Error body of every non-2xx reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Machine-readable code: `bad_signature`, `clock_skew`, `replayed_nonce`, `unknown_device`,
    /// `unavailable`, `internal`, `not_found`, `bad_request`.
    pub code: String,
    /// Human-readable message (English).
    pub message: String,
    /// The central's clock (RFC 3339), sent with `clock_skew`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time: Option<String>,
}

/// Lower-case hex SHA-256 of a body.
pub fn body_sha256(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The string that is signed: method, path with query, body hash, timestamp, nonce, one a line.
pub fn canonical(method: &str, path_and_query: &str, body: &[u8], timestamp: &str, nonce: &str) -> String {
    format!("{}\n{}\n{}\n{}\n{}", method.to_ascii_uppercase(), path_and_query, body_sha256(body), timestamp, nonce)
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this never fails.
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    }
}

#[allow(clippy::panic)]
fn unreachable_hmac() -> ! {
    panic!("HMAC-SHA256 accepts keys of any length")
}

/// Hex HMAC-SHA256 signature of a request.
pub fn sign(key: &[u8], method: &str, path_and_query: &str, body: &[u8], timestamp: &str, nonce: &str) -> String {
    let mut m = mac(key);
    m.update(canonical(method, path_and_query, body, timestamp, nonce).as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Constant-time check of a hex signature.
pub fn verify(
    key: &[u8],
    method: &str,
    path_and_query: &str,
    body: &[u8],
    timestamp: &str,
    nonce: &str,
    signature_hex: &str,
) -> bool {
    let Ok(sig) = hex::decode(signature_hex) else { return false };
    let mut m = mac(key);
    m.update(canonical(method, path_and_query, body, timestamp, nonce).as_bytes());
    m.verify_slice(&sig).is_ok()
}

/// A fresh nonce: 16 random bytes, hex.
pub fn nonce() -> String {
    let a = fastrand::u64(..);
    let b = fastrand::u64(..);
    format!("{a:016x}{b:016x}")
}

/// Now as RFC 3339 in +07:00 (Vietnam has no DST).
pub fn now_rfc3339() -> String {
    timestamp_rfc3339(jiff::Timestamp::now())
}

/// A timestamp as RFC 3339 in +07:00.
pub fn timestamp_rfc3339(ts: jiff::Timestamp) -> String {
    let off = jiff::tz::Offset::constant(7);
    ts.to_zoned(jiff::tz::TimeZone::fixed(off)).strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_roundtrip_and_tamper() {
        let s = sign(b"k", "POST", "/v1/events:batch", b"{}", "2026-01-01T00:00:00+07:00", "n1");
        assert!(verify(b"k", "POST", "/v1/events:batch", b"{}", "2026-01-01T00:00:00+07:00", "n1", &s));
        assert!(!verify(b"k", "POST", "/v1/events:batch", b"{ }", "2026-01-01T00:00:00+07:00", "n1", &s));
        assert!(!verify(b"x", "POST", "/v1/events:batch", b"{}", "2026-01-01T00:00:00+07:00", "n1", &s));
        assert!(now_rfc3339().ends_with("+07:00"));
    }
}

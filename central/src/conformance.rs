//! `motcua conformance --url URL`: checks an endpoint that claims `docs/central-openapi.yaml` v1
//! (auth, replay protection, idempotency, ordering of acks, error shapes). It sends a few real
//! events of kind `conformance_probe` for the given office.

use std::time::Duration;

use motcua_relay::wire::{self, AckStatus, ApiError, WireEvent};
use motcua_relay::{Central, HttpCentral, HttpCentralConfig};

/// Where and as whom to check.
#[derive(Debug, Clone)]
pub struct ConformanceTarget {
    /// Base URL.
    pub url: String,
    /// A device the endpoint knows.
    pub device_id: String,
    /// Its key.
    pub key: Vec<u8>,
    /// An office this device may send events for.
    pub office_id: String,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckResult {
    /// Check name.
    pub name: &'static str,
    /// Passed?
    pub ok: bool,
    /// What was seen.
    pub detail: String,
}

fn probe(office: &str, n: usize) -> Vec<WireEvent> {
    (0..n)
        .map(|i| WireEvent {
            id: uuid::Uuid::now_v7().to_string(),
            office_id: office.into(),
            device_id: "conformance".into(),
            seq: i as u64 + 1,
            kind: "conformance_probe".into(),
            occurred_at: wire::now_rfc3339(),
            payload: serde_json::json!({"probe": i}),
        })
        .collect()
}

fn client(t: &ConformanceTarget, key: &[u8]) -> Result<HttpCentral, String> {
    HttpCentral::new(HttpCentralConfig {
        base_url: t.url.clone(),
        device_id: t.device_id.clone(),
        key: key.to_vec(),
        timeout: Duration::from_secs(10),
    })
    .map_err(|e| e.to_string())
}

/// Run every check; never panics, each failure is a `CheckResult` with `ok: false`.
pub async fn run_conformance(t: &ConformanceTarget) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let good = match client(t, &t.key) {
        Ok(c) => c,
        Err(e) => {
            out.push(CheckResult { name: "client", ok: false, detail: e });
            return out;
        }
    };
    // Ordering and acceptance: acks come in batch order, all accepted.
    let evs = probe(&t.office_id, 5);
    let r = good.send_batch(&evs).await;
    let (ok, detail) = match &r {
        Ok(acks) => {
            let ids: Vec<&str> = acks.iter().map(|a| a.id.as_str()).collect();
            let want: Vec<&str> = evs.iter().map(|e| e.id.as_str()).collect();
            let all_accepted = acks.iter().all(|a| a.status == AckStatus::Accepted);
            (
                ids == want && all_accepted,
                format!("{} acks, in order: {}, all accepted: {all_accepted}", acks.len(), ids == want),
            )
        }
        Err(e) => (false, e.to_string()),
    };
    out.push(CheckResult { name: "batch_acks_in_order", ok, detail });
    // Idempotency: the same events again are duplicates.
    let (ok, detail) = match good.send_batch(&evs).await {
        Ok(acks) => (
            acks.len() == evs.len() && acks.iter().all(|a| a.status == AckStatus::Duplicate),
            format!("{:?}", acks.iter().map(|a| a.status).collect::<Vec<_>>()),
        ),
        Err(e) => (false, e.to_string()),
    };
    out.push(CheckResult { name: "idempotent_resend_is_duplicate", ok, detail });
    // Bad signature: 401 bad_signature, nothing stored (a later correct send is accepted).
    let fresh = probe(&t.office_id, 1);
    let bad = client(t, b"definitely-not-the-key");
    let (ok, detail) = match bad {
        Ok(bad) => match bad.send_batch(&fresh).await {
            Err(motcua_relay::SendError::Status { status: 401, code, .. }) if code == "bad_signature" => {
                match good.send_batch(&fresh).await {
                    Ok(a) if a.len() == 1 && a[0].status == AckStatus::Accepted => {
                        (true, "401 bad_signature; not stored".into())
                    }
                    other => (false, format!("after a refused send, the real send gave {other:?}")),
                }
            }
            other => (false, format!("expected 401 bad_signature, got {other:?}")),
        },
        Err(e) => (false, e),
    };
    out.push(CheckResult { name: "bad_signature_401", ok, detail });
    // Replay: the same signed request twice; the second is 401 replayed_nonce.
    let req = good.signed(reqwest::Method::GET, "/v1/catalog", Vec::new()).build();
    let (ok, detail) = match req {
        Ok(req) => match req.try_clone() {
            Some(again) => {
                let c = reqwest::Client::new();
                let first = c.execute(req).await.map(|r| r.status().as_u16()).ok();
                match c.execute(again).await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let body: Result<ApiError, _> = r.json().await;
                        let code = body.map(|b| b.code).unwrap_or_default();
                        (
                            first == Some(200) && status == 401 && code == "replayed_nonce",
                            format!("first {first:?}, replay {status} {code}"),
                        )
                    }
                    Err(e) => (false, e.to_string()),
                }
            }
            None => (false, "request not clonable".into()),
        },
        Err(e) => (false, e.to_string()),
    };
    out.push(CheckResult { name: "replayed_nonce_401", ok, detail });
    // Error shape: an unknown dossier is 404 with an ApiError body.
    let (ok, detail) = match good
        .signed(reqwest::Method::GET, "/v1/dossiers/000.00.00.X00-000000-0000?secret=x", Vec::new())
        .send()
        .await
    {
        Ok(r) => {
            let status = r.status().as_u16();
            let body: Result<ApiError, _> = r.json().await;
            (status == 404 && body.is_ok(), format!("{status}, ApiError body: {}", body.is_ok()))
        }
        Err(e) => (false, e.to_string()),
    };
    out.push(CheckResult { name: "error_shape_404", ok, detail });
    out
}

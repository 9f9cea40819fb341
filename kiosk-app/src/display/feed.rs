//! The display's link to the hub: a snapshot over HTTP, then the Server-Sent Events push stream,
//! reconnecting with backoff. Never polls.
//!
//! The stream is read over a plain `TcpStream` with a read timeout, not an HTTP client's body
//! reader: the hub sends a keep-alive comment every 15 s, so 45 s of silence means the link is
//! dead (a pulled cable sends no FIN) and the display must say "mất kết nối" instead of showing
//! a stale queue as if it were live. LAN only: `http://` URLs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use motcua_hub::api::{Catalog, EventEnvelope, QueueSnapshot};

/// What the feed reports.
#[derive(Debug, Clone)]
pub enum FeedMsg {
    /// (Re)connected: the full picture.
    Snapshot(Box<(Catalog, QueueSnapshot)>),
    /// One pushed event.
    Event(Box<EventEnvelope>),
    /// The link dropped; reconnecting.
    Disconnected(String),
}

/// Silence after which the stream is declared dead (the hub pings every 15 s).
pub const SILENCE: Duration = Duration::from_secs(45);

/// Split `http://host:port` into an address string and check the scheme.
fn host_port(base: &str) -> Result<String, String> {
    let rest = base.strip_prefix("http://").ok_or_else(|| format!("{base}: only http:// is supported on the LAN"))?;
    let hp = rest.split('/').next().unwrap_or(rest);
    Ok(if hp.contains(':') { hp.to_owned() } else { format!("{hp}:80") })
}

fn get_json<T: serde::de::DeserializeOwned>(base: &str, token: &str, path: &str) -> Result<T, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build().into();
    agent
        .get(format!("{}{path}", base.trim_end_matches('/')))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .map_err(|e| format!("GET {path}: {e}"))?
        .body_mut()
        .read_json()
        .map_err(|e| format!("GET {path}: {e}"))
}

/// Reads an HTTP/1.1 body that may be chunked, as a byte stream.
struct Body<R> {
    inner: R,
    chunked: bool,
    left: usize,
}

impl<R: BufRead> Read for Body<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.chunked {
            return self.inner.read(buf);
        }
        if self.left == 0 {
            let mut line = String::new();
            // Chunk size line (after the CRLF ending the previous chunk, if any).
            loop {
                line.clear();
                if self.inner.read_line(&mut line)? == 0 {
                    return Ok(0);
                }
                if !line.trim().is_empty() {
                    break;
                }
            }
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad chunk size"))?;
            if size == 0 {
                return Ok(0);
            }
            self.left = size;
        }
        let n = buf.len().min(self.left);
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got;
        Ok(got)
    }
}

/// One connection: snapshot, then events until the stream ends or goes silent.
fn session(base: &str, token: &str, out: &mut dyn FnMut(FeedMsg) -> bool) -> Result<(), String> {
    let addr = host_port(base)?;
    let sock = addr
        .to_socket_addrs()
        .map_err(|e| format!("{addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("{addr}: no address"))?;
    let mut stream = TcpStream::connect_timeout(&sock, Duration::from_secs(5)).map_err(|e| format!("{addr}: {e}"))?;
    stream.set_read_timeout(Some(SILENCE)).map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET /api/v1/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    if !line.starts_with("HTTP/1.1 200") {
        return Err(format!("push stream refused: {}", line.trim()));
    }
    let mut chunked = false;
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let l = line.trim();
        if l.is_empty() {
            break;
        }
        if l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.to_ascii_lowercase().contains("chunked") {
            chunked = true;
        }
    }
    // Subscribed first, snapshot second: nothing can fall between the two (replays are dropped
    // by sequence number in the model).
    let catalog: Catalog = get_json(base, token, "/api/v1/catalog")?;
    let snapshot: QueueSnapshot = get_json(base, token, "/api/v1/queue")?;
    if !out(FeedMsg::Snapshot(Box::new((catalog, snapshot)))) {
        return Ok(());
    }
    let mut events = BufReader::new(Body { inner: reader, chunked, left: 0 });
    let mut data = String::new();
    loop {
        line.clear();
        let n = events.read_line(&mut line).map_err(|e| format!("push stream: {e}"))?;
        if n == 0 {
            return Err("push stream closed by the hub".into());
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if let Some(d) = l.strip_prefix("data:") {
            data.push_str(d.trim_start());
        } else if l.is_empty() && !data.is_empty() {
            match serde_json::from_str::<EventEnvelope>(&data) {
                Ok(ev) => {
                    if !out(FeedMsg::Event(Box::new(ev))) {
                        return Ok(());
                    }
                }
                // `lagged` and other non-event data: resync from a fresh snapshot.
                Err(_) => return Err("push stream lagged; resynchronising".into()),
            }
            data.clear();
        }
    }
}

/// Run the feed until `out` returns false: connect, stream, and on any failure report
/// `Disconnected` and retry after a backoff growing from 1 s to 10 s.
pub fn run(base: &str, token: &str, mut out: impl FnMut(FeedMsg) -> bool) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let started = std::time::Instant::now();
        match session(base, token, &mut out) {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, "display feed");
                if !out(FeedMsg::Disconnected(e)) {
                    return;
                }
            }
        }
        if started.elapsed() > Duration::from_secs(30) {
            backoff = Duration::from_secs(1); // It was up for a while: retry quickly.
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

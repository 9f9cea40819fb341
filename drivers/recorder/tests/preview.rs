//! The live MJPEG preview: bearer auth, multipart framing, latest frame wins, slow clients
//! never hold up the producer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use motcua_recorder::preview::BOUNDARY;
use motcua_recorder::preview_router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

fn jpeg(n: u32, len: usize) -> Arc<[u8]> {
    let mut v = vec![0xFF, 0xD8];
    v.extend_from_slice(&n.to_be_bytes());
    v.resize(len, 0x55);
    v.extend_from_slice(&[0xFF, 0xD9]);
    Arc::from(v)
}

async fn serve(feeds: HashMap<String, motcua_recorder::PreviewFeed>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = preview_router(feeds, "s3cret");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn get(addr: std::net::SocketAddr, path: &str, auth: Option<&str>) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: kiosk\r\n");
    if let Some(a) = auth {
        req.push_str(&format!("Authorization: {a}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s
}

/// Reads until `needle` has been seen `times` times (or 5 s pass); returns the bytes.
async fn read_until(s: &mut TcpStream, needle: &[u8], times: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    let (mut seen, mut scanned) = (0usize, 0usize);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut chunk = vec![0u8; 1 << 20];
    while seen < times && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(500), s.read(&mut chunk)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            _ => {}
        }
        // Scan only the new bytes (plus an overlap for a needle split across reads).
        let from = scanned.saturating_sub(needle.len() - 1);
        seen += buf[from..].windows(needle.len()).filter(|w| *w == needle).count();
        scanned = buf.len();
    }
    buf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn needs_the_bearer_token() {
    let (_tx, rx) = watch::channel(Some(jpeg(1, 100)));
    let addr = serve(HashMap::from([("Q1".to_owned(), rx)])).await;
    for auth in [None, Some("Bearer wrong"), Some("Basic s3cret"), Some("Bearer ")] {
        let mut s = get(addr, "/preview/Q1", auth).await;
        let r = read_until(&mut s, b"\r\n\r\n", 1).await;
        assert!(r.starts_with(b"HTTP/1.1 401"), "{auth:?}: {}", String::from_utf8_lossy(&r));
    }
    let mut s = get(addr, "/preview/Q9", Some("Bearer s3cret")).await;
    assert!(read_until(&mut s, b"\r\n\r\n", 1).await.starts_with(b"HTTP/1.1 404"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_latest_frames_and_slow_clients_never_block_capture() {
    let (tx, rx) = watch::channel(Some(jpeg(1, 1000)));
    let addr = serve(HashMap::from([("Q1".to_owned(), rx)])).await;
    // A client that never reads.
    let _stalled = get(addr, "/preview/Q1", Some("Bearer s3cret")).await;
    let mut s = get(addr, "/preview/Q1", Some("Bearer s3cret")).await;
    let first = read_until(&mut s, format!("--{BOUNDARY}").as_bytes(), 1).await;
    let text = String::from_utf8_lossy(&first);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains(&format!("multipart/x-mixed-replace; boundary={BOUNDARY}")), "{text}");
    // The producer publishes 2000 frames of 100 KiB as fast as it can: never waits.
    let (filler, last) = (jpeg(2, 100 * 1024), jpeg(2001, 100 * 1024));
    let t = Instant::now();
    for _ in 2..2001 {
        tx.send_replace(Some(Arc::clone(&filler)));
    }
    tx.send_replace(Some(last));
    assert!(t.elapsed() < Duration::from_secs(2), "publishing blocked: {:?}", t.elapsed());
    // The reading client catches up to the latest frame (2001) without receiving them all.
    let body = read_until(&mut s, &[0xFF, 0xD8, 0, 0, 0x07, 0xD1], 1).await;
    assert!(
        body.windows(6).any(|w| w == [0xFF, 0xD8, 0, 0, 0x07, 0xD1]),
        "latest frame arrives; got {} bytes: {:?}",
        body.len(),
        String::from_utf8_lossy(&body[..body.len().min(600)])
    );
    let parts = body.windows(BOUNDARY.len()).filter(|w| *w == BOUNDARY.as_bytes()).count();
    assert!(parts < 100, "latest-wins: the client skipped frames (got {parts} parts)");
    assert!(String::from_utf8_lossy(&body).contains("Content-Type: image/jpeg"));
}

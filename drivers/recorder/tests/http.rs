//! The HTTP mapping: the signed client against the reference routes, with receiver faults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use motcua_recorder::http::{HttpUploader, upload_routes};
use motcua_recorder::storage::Store;
use motcua_recorder::upload::{ReceiverFault, UploadConfig, UploadError, upload_clip};
use motcua_recorder::{MemoryReceiver, Uploader};
use motcua_relay::{HttpCentral, HttpCentralConfig};

async fn server(rx: MemoryReceiver) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, upload_routes(rx)).await });
    format!("http://{addr}")
}

fn client(base_url: String) -> HttpUploader {
    HttpUploader::new(
        HttpCentral::new(HttpCentralConfig {
            base_url,
            device_id: "kiosk-1".into(),
            key: b"k".to_vec(),
            timeout: Duration::from_secs(5),
        })
        .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_http_through_faults() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = Store::open(common::store_cfg(dir.path()), 0).unwrap();
    let clip = common::add_clip(&mut store, "h1", 3000, 5);
    let path = store.clip_path(&clip);
    let rx = MemoryReceiver::new();
    let up = client(server(rx.clone()).await);
    rx.inject(ReceiverFault::CorruptChunk);
    rx.inject(ReceiverFault::DropMidChunk { after: 100 });
    rx.inject(ReceiverFault::Unavailable);
    let cfg = UploadConfig { chunk_bytes: 8192, max_failures: 6, retry_delay: Duration::from_millis(1) };
    let out = upload_clip(&up, &clip, &path, cfg, |_| {}).await.unwrap();
    assert_eq!(out.retries, 3, "{out:?}");
    assert_eq!(rx.finished_file("h1").unwrap(), std::fs::read(&path).unwrap());
    // Protocol errors come back typed.
    let (id, st) = up
        .begin(&motcua_recorder::upload::UploadRequest {
            meta: common::meta("h2"),
            bytes: 10,
            sha256: "00".repeat(32),
            flagged: true,
        })
        .await
        .unwrap();
    assert_eq!(st.confirmed_offset, 0);
    let e = up.put_chunk(&id, 5, b"abc", [0; 32]).await.unwrap_err();
    assert_eq!(e, UploadError::OffsetMismatch { confirmed: 0 });
    let e = up.put_chunk(&id, 0, b"abc", [0; 32]).await.unwrap_err();
    assert_eq!(e, UploadError::ChecksumMismatch);
    assert_eq!(up.status("nope").await.unwrap_err(), UploadError::UnknownUpload);
    assert_eq!(up.finish(&id, 10, &"00".repeat(32)).await.unwrap_err(), UploadError::ChecksumMismatch);
}

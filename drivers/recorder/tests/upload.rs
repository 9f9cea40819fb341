//! Chunked, resumable, checksummed upload against the reference receiver with injected faults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use motcua_recorder::storage::{Store, file_sha256};
use motcua_recorder::upload::{ReceiverFault, UploadConfig, UploadError, upload_clip};
use motcua_recorder::{MemoryReceiver, Uploader};

fn cfg(max_failures: u32) -> UploadConfig {
    UploadConfig { chunk_bytes: 4096, max_failures, retry_delay: Duration::from_millis(1) }
}

#[tokio::test]
async fn resumes_after_dropped_corrupted_and_lost_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = Store::open(common::store_cfg(dir.path()), 0).unwrap();
    let clip = common::add_clip(&mut store, "up1", 3000, 5);
    let path = store.clip_path(&clip);
    let rx = MemoryReceiver::new();
    rx.inject(ReceiverFault::DropMidChunk { after: 1000 });
    rx.inject(ReceiverFault::CorruptChunk);
    rx.inject(ReceiverFault::LoseReply);
    rx.inject(ReceiverFault::Unavailable);
    let mut ids = Vec::new();
    let out = upload_clip(&rx, &clip, &path, cfg(8), |id| ids.push(id.to_owned())).await.unwrap();
    assert_eq!(out.retries, 4, "{out:?}");
    assert_eq!(rx.fault_counts(), (1, 1), "one chunk refused by checksum, one torn");
    let got = rx.finished_file("up1").expect("finished at the receiver");
    assert_eq!(got, std::fs::read(&path).unwrap(), "byte-identical");
    assert_eq!(ids.len(), 1);
    store.mark_uploaded("up1", 9).unwrap();
    assert!(store.pending_uploads().is_empty());
}

#[tokio::test]
async fn a_failed_run_resumes_from_the_confirmed_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = Store::open(common::store_cfg(dir.path()), 0).unwrap();
    let clip = common::add_clip(&mut store, "up2", 3000, 5);
    let path = store.clip_path(&clip);
    let rx = MemoryReceiver::new();
    // Let 3 chunks through, then the link dies for longer than the retry budget.
    let mut sent = 0;
    let (id, _) = rx
        .begin(&motcua_recorder::upload::UploadRequest {
            meta: clip.meta.clone(),
            bytes: clip.bytes,
            sha256: clip.sha256.clone(),
            flagged: false,
        })
        .await
        .unwrap();
    let data = std::fs::read(&path).unwrap();
    for c in data.chunks(4096).take(3) {
        use sha2::Digest;
        sent = rx.put_chunk(&id, sent, c, sha2::Sha256::digest(c).into()).await.unwrap();
    }
    for _ in 0..3 {
        rx.inject(ReceiverFault::DropMidChunk { after: 10 });
    }
    let err = upload_clip(&rx, &clip, &path, cfg(1), |_| {}).await.unwrap_err();
    assert!(matches!(err, UploadError::GaveUp { .. }), "{err}");
    assert!(rx.finished_file("up2").is_none());
    assert_eq!(rx.confirmed("up2"), Some(3 * 4096));
    // Next run (e.g. after a restart): resumes at 12288, does not resend.
    let out = upload_clip(&rx, &clip, &path, cfg(8), |_| {}).await.unwrap();
    assert_eq!(out.resumed_from, 3 * 4096);
    assert_eq!(out.chunks_sent, (data.len() as u64 - 3 * 4096).div_ceil(4096));
    assert_eq!(rx.finished_file("up2").unwrap(), data);
    assert_eq!(clip.sha256, file_sha256(&path).unwrap());
}

#[tokio::test]
async fn a_changed_local_file_is_refused_not_uploaded() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = Store::open(common::store_cfg(dir.path()), 0).unwrap();
    let clip = common::add_clip(&mut store, "up3", 3000, 5);
    let path = store.clip_path(&clip);
    // Same length, one byte changed after indexing: the whole-file checksum must catch it.
    let mut data = std::fs::read(&path).unwrap();
    let last = data.len() - 1;
    data[last] ^= 1;
    std::fs::write(&path, &data).unwrap();
    let rx = MemoryReceiver::new();
    let err = upload_clip(&rx, &clip, &path, cfg(2), |_| {}).await.unwrap_err();
    assert!(matches!(err, UploadError::GaveUp { .. }), "{err}");
    assert!(rx.finished_file("up3").is_none(), "a file that does not match its checksum never completes");
}

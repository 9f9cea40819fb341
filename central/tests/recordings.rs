//! Counter recordings uploaded to the reference central over loopback: the recorder's signed
//! client against the central's durable store, behind the events endpoint's authentication.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use motcua_central::{CentralConfig, CentralServer, DeviceCred, Fault};
use motcua_recorder::Uploader;
use motcua_recorder::http::HttpUploader;
use motcua_recorder::mkv::{MkvWriter, TrackConfig};
use motcua_recorder::storage::{ClipMeta, ClipRecord, Rating, Store, StoreConfig};
use motcua_recorder::upload::{UploadConfig, UploadError, UploadRequest, upload_clip};
use motcua_relay::{HttpCentral, HttpCentralConfig};

const KEY_A: &[u8] = b"counter-a-key";
const KEY_B: &[u8] = b"counter-b-key";

async fn start_central(dir: &Path) -> (CentralServer, String) {
    let devices = vec![
        DeviceCred { device_id: "counter-a".into(), office_id: "*".into(), key: KEY_A.to_vec() },
        DeviceCred { device_id: "counter-b".into(), office_id: "*".into(), key: KEY_B.to_vec() },
    ];
    std::fs::create_dir_all(dir).unwrap();
    let central = CentralServer::open(CentralConfig::new(dir.join("central.db"), devices)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let c = central.clone();
    tokio::spawn(async move { c.serve(listener, std::future::pending()).await });
    (central, url)
}

fn uploader(url: &str, device: &str, key: &[u8]) -> HttpUploader {
    HttpUploader::new(
        HttpCentral::new(HttpCentralConfig {
            base_url: url.into(),
            device_id: device.into(),
            key: key.to_vec(),
            timeout: Duration::from_secs(5),
        })
        .unwrap(),
    )
}

/// A finished, indexed clip of `frames` frames (15 fps) rated `rating`.
fn clip(store: &mut Store, id: &str, frames: u32, rating: Option<Rating>) -> ClipRecord {
    let meta = ClipMeta {
        clip_id: id.into(),
        session_id: format!("session-{id}"),
        counter: "Q1".into(),
        officer: "cb01".into(),
        ticket: "A001".into(),
        started_at_ms: 1_700_000_000_000,
        content_type: "video/x-matroska; codecs=\"mjpeg,pcm_s16le\"".into(),
    };
    let path = store.begin_recording(&meta).unwrap();
    let cfg = TrackConfig { width: 640, height: 480, fps: 15, sample_rate: 16_000, title: "test".into() };
    let mut w = MkvWriter::new(std::fs::File::create(path).unwrap(), cfg).unwrap();
    let jpeg: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    for n in 0..frames {
        let ts = Duration::from_millis(u64::from(n) * 1000 / 15);
        w.write_video(ts, &jpeg).unwrap();
        w.write_audio(ts, &vec![n as i16; 16_000 / 15]).unwrap();
    }
    let (_, summary) = w.finish().unwrap();
    store.commit_recording(meta, rating, summary, 10).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_clip_is_stored_byte_identical_and_unsigned_requests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (central, url) = start_central(&dir.path().join("central")).await;
    let (mut store, _) = Store::open(StoreConfig::new(dir.path().join("clips")), 0).unwrap();
    let rec = clip(&mut store, "Q1-s1-1", 30, Some(Rating::Unsatisfied));
    let local = store.clip_path(&rec);
    assert!(rec.flagged);

    // Small chunks so the clip takes many signed PUTs (each body is raw MKV bytes).
    let up = uploader(&url, "counter-a", KEY_A);
    let cfg = UploadConfig { chunk_bytes: 16 << 10, max_failures: 2, retry_delay: Duration::from_millis(1) };
    let mut ids = Vec::new();
    let out = upload_clip(&up, &rec, &local, cfg, |id| ids.push(id.to_owned())).await.unwrap();
    assert_eq!(out.retries, 0, "{out:?}");
    assert_eq!(out.chunks_sent, rec.bytes.div_ceil(16 << 10));

    let held = central.recordings().unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    let r = &held[0];
    assert_eq!(
        (r.device_id.as_str(), r.clip_id.as_str(), r.session_id.as_str()),
        ("counter-a", "Q1-s1-1", "session-Q1-s1-1")
    );
    assert!(r.flagged);
    assert_eq!((r.bytes, r.confirmed, r.sha256.as_str()), (rec.bytes, rec.bytes, rec.sha256.as_str()));
    let stored = r.path.clone().expect("finished");
    assert_eq!(stored, central.recordings_dir().join("counter-a").join("Q1-s1-1.mkv"));
    assert!(stored.starts_with(dir.path().join("central")), "next to the database: {}", stored.display());
    assert_eq!(std::fs::read(&stored).unwrap(), std::fs::read(&local).unwrap(), "byte-identical");

    // Uploading again (e.g. after a lost reply to finish) is a no-op that reports success.
    let again = upload_clip(&up, &rec, &local, cfg, |_| {}).await.unwrap();
    assert_eq!((again.chunks_sent, again.resumed_from), (0, 0));
    assert_eq!(central.recordings().unwrap().len(), 1);

    // Unsigned: refused before the store sees it, like /v1/events:batch.
    let http = reqwest::Client::new();
    let body = serde_json::to_vec(&UploadRequest {
        meta: rec.meta.clone(),
        bytes: rec.bytes,
        sha256: rec.sha256.clone(),
        flagged: false,
    })
    .unwrap();
    let resp = http.post(format!("{url}/v1/recordings")).body(body.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "unauthorized");
    let resp = http
        .put(format!("{url}/v1/recordings/{}/chunks/0", ids[0]))
        .header("x-motcua-chunk-sha256", "00".repeat(32))
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // Signed with the wrong key: refused too.
    let forged = uploader(&url, "counter-a", b"not-the-key");
    assert!(matches!(forged.status(&ids[0]).await, Err(UploadError::Transport(m)) if m.contains("401")));
    // Another device does not see counter-a's upload.
    let b = uploader(&url, "counter-b", KEY_B);
    assert_eq!(b.status(&ids[0]).await.unwrap_err(), UploadError::UnknownUpload);
    // The file did not change.
    assert_eq!(std::fs::read(&stored).unwrap(), std::fs::read(&local).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_upload_resumes_and_a_bad_file_is_never_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (central, url) = start_central(&dir.path().join("central")).await;
    let (mut store, _) = Store::open(StoreConfig::new(dir.path().join("clips")), 0).unwrap();
    let rec = clip(&mut store, "Q1-s2-2", 20, None);
    let local = store.clip_path(&rec);
    let data = std::fs::read(&local).unwrap();
    let up = uploader(&url, "counter-a", KEY_A);

    // Two chunks arrive, then the counter goes away.
    let req = UploadRequest { meta: rec.meta.clone(), bytes: rec.bytes, sha256: rec.sha256.clone(), flagged: false };
    let (id, st) = up.begin(&req).await.unwrap();
    assert_eq!(st.confirmed_offset, 0);
    let mut off = 0;
    for c in data.chunks(4096).take(2) {
        use sha2::Digest;
        off = up.put_chunk(&id, off, c, sha2::Sha256::digest(c).into()).await.unwrap();
    }
    // Wrong offset, bad checksum and a chunk past the declared length are refused, typed.
    let c = &data[off as usize..off as usize + 100];
    assert_eq!(up.put_chunk(&id, 0, c, [0; 32]).await.unwrap_err(), UploadError::OffsetMismatch { confirmed: 8192 });
    assert_eq!(up.put_chunk(&id, off, c, [0; 32]).await.unwrap_err(), UploadError::ChecksumMismatch);
    // Finishing early discards what arrived: nothing partial is ever kept as a clip.
    assert_eq!(up.finish(&id, rec.bytes, &rec.sha256).await.unwrap_err(), UploadError::ChecksumMismatch);
    assert_eq!(up.status(&id).await.unwrap().confirmed_offset, 0);
    assert!(central.recordings().unwrap()[0].path.is_none());

    // The central is down for a while: the upload retries and completes.
    central.set_fault(Fault::Down);
    let cfg = UploadConfig { chunk_bytes: 4096, max_failures: 1, retry_delay: Duration::from_millis(1) };
    let e = upload_clip(&up, &rec, &local, cfg, |_| {}).await.unwrap_err();
    assert!(matches!(e, UploadError::GaveUp { .. }), "{e}");
    central.set_fault(Fault::None);
    let out = upload_clip(&up, &rec, &local, cfg, |got| assert_eq!(got, id)).await.unwrap();
    assert_eq!(out.chunks_sent, rec.bytes.div_ceil(4096));
    let held = central.recordings().unwrap();
    let stored = held[0].path.clone().expect("finished");
    assert_eq!(std::fs::read(stored).unwrap(), data);
    // No leftovers of the upload next to the clip.
    let names: Vec<_> = std::fs::read_dir(central.recordings_dir().join("counter-a"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["Q1-s2-2.mkv"]);
}

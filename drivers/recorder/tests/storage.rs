//! Disk budget, eviction order, refusal, retention and an index that survives restarts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use motcua_recorder::Error;
use motcua_recorder::storage::{Rating, Store, StoreConfig, StoreEvent};

fn cfg(dir: &std::path::Path, clip: u64) -> StoreConfig {
    let mut c = StoreConfig::new(dir.to_path_buf());
    // Room for exactly 4 clips plus a one-clip reservation.
    c.budget_bytes = clip * 5 - 1;
    c.reserve_bytes = clip;
    c.retention_secs = 100;
    c.flagged_retention_secs = 1000;
    c
}

fn clip_size() -> u64 {
    let (c, _) = common::tiny_mkv(std::io::Cursor::new(Vec::new()), 15, 2000);
    c.into_inner().len() as u64
}

#[test]
fn fills_budget_and_evicts_uploaded_clips_oldest_first_never_unuploaded() {
    let dir = tempfile::tempdir().unwrap();
    let size = clip_size();
    let (mut store, _) = Store::open(cfg(dir.path(), size), 0).unwrap();
    // c0..c3 fill the budget (4 clips + 1 reservation).
    for (i, t) in [(0, 10), (1, 20), (2, 30), (3, 40)] {
        assert!(store.admit().unwrap().is_empty(), "room for clip {i}");
        common::add_clip(&mut store, &format!("c{i}"), 2000, t);
    }
    assert_eq!(store.usage().bytes, size * 4);
    // Upload c2, c0 and c1 (not in age order); flag c0.
    for id in ["c2", "c0", "c1"] {
        store.mark_uploaded(id, 50).unwrap();
    }
    store.set_rating("c0", Some(Rating::Unsatisfied)).unwrap();
    // Next admission must evict one uploaded clip: the oldest unflagged (c1), not c0 (flagged)
    // and never c3 (not uploaded).
    assert_eq!(store.admit().unwrap(), vec![StoreEvent::Evicted { clip_id: "c1".into() }]);
    common::add_clip(&mut store, "c4", 2000, 60);
    assert_eq!(store.admit().unwrap(), vec![StoreEvent::Evicted { clip_id: "c2".into() }]);
    common::add_clip(&mut store, "c5", 2000, 70);
    // Only the flagged uploaded clip is left to evict.
    assert_eq!(store.admit().unwrap(), vec![StoreEvent::Evicted { clip_id: "c0".into() }]);
    common::add_clip(&mut store, "c6", 2000, 80);
    assert!(!dir.path().join("c1.mkv").exists() && !dir.path().join("c0.mkv").exists());
    // Now c3..c6 are all unuploaded and fill the budget: refuse, with a clear health error.
    let err = store.admit().unwrap_err();
    assert!(matches!(err, Error::BudgetExhausted { .. }), "{err}");
    let health = store.health().unwrap_err();
    assert!(health.contains("not yet uploaded") && health.contains("refused"), "{health}");
    let ids: Vec<_> = store.clips().iter().map(|c| c.meta.clip_id.clone()).collect();
    assert_eq!(ids, ["c3", "c4", "c5", "c6"], "no unuploaded clip was evicted");
    // Once one uploads, recording resumes and the health error clears.
    store.mark_uploaded("c4", 90).unwrap();
    assert_eq!(store.admit().unwrap(), vec![StoreEvent::Evicted { clip_id: "c4".into() }]);
    assert!(store.health().is_ok());
}

#[test]
fn retention_deletes_after_upload_flagged_kept_longer_and_index_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let size = clip_size();
    {
        let (mut store, _) = Store::open(cfg(dir.path(), size), 0).unwrap();
        for id in ["a", "b", "c"] {
            common::add_clip(&mut store, id, 2000, 10);
        }
        store.set_rating("b", Some(Rating::Unsatisfied)).unwrap();
        store.mark_uploaded("a", 100).unwrap();
        store.mark_uploaded("b", 100).unwrap();
        store.set_upload_id("c", "up-9").unwrap();
    }
    // Reopen: the index came back.
    let (mut store, events) = Store::open(cfg(dir.path(), size), 150).unwrap();
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(store.clips().len(), 3);
    assert!(store.clips().iter().any(|c| c.meta.clip_id == "b" && c.flagged));
    assert_eq!(store.clips().iter().find(|c| c.meta.clip_id == "c").unwrap().upload_id.as_deref(), Some("up-9"));
    // Pending uploads: only c.
    assert_eq!(store.pending_uploads().iter().map(|c| c.meta.clip_id.as_str()).collect::<Vec<_>>(), ["c"]);
    assert!(store.sweep(199).unwrap().is_empty(), "retention not over yet");
    assert_eq!(store.sweep(200).unwrap(), vec![StoreEvent::Expired { clip_id: "a".into() }]);
    assert!(!dir.path().join("a.mkv").exists());
    assert!(store.sweep(1099).unwrap().is_empty(), "flagged clip kept longer");
    assert_eq!(store.sweep(1100).unwrap(), vec![StoreEvent::Expired { clip_id: "b".into() }]);
    // Never uploaded: never expires.
    assert!(store.sweep(u64::MAX / 2).unwrap().is_empty());
    assert_eq!(store.clips().len(), 1);
}

#[test]
fn corrupt_index_is_an_error_not_a_silent_reset() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.json"), b"{not json").unwrap();
    let err = Store::open(cfg(dir.path(), 1000), 0).unwrap_err();
    assert!(matches!(err, Error::Index(_)), "{err}");
}

//! A commit that fails (disk full, I/O error, a broken database) must not leave anything
//! half-done: no caller is told "issued" for a ticket that is not on disk, the in-memory queue
//! goes back to what the disk holds, and the numbers continue without a gap or a repeat once
//! writes work again — also for groups the pipeline had already decided on the discarded state.

use std::collections::HashSet;
use std::sync::Arc;

use motcua_hub::api::IssueRequest;
use motcua_hub::{Config, Error, Hub, SystemClock};
use rusqlite::Connection;

fn req(field: &str) -> IssueRequest {
    IssueRequest { field_id: field.into(), priority_class: None, hold_for_print: false, citizen: None }
}

/// Make every outbox insert fail while the trigger exists: the commit stage's transaction
/// aborts like it would on an I/O error.
fn break_writes(db: &std::path::Path) {
    let c = Connection::open(db).expect("db");
    c.busy_timeout(std::time::Duration::from_secs(5)).expect("busy timeout");
    c.execute_batch(
        "CREATE TRIGGER injected_failure BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'injected I/O error'); END;",
    )
    .expect("trigger");
}

fn repair_writes(db: &std::path::Path) {
    let c = Connection::open(db).expect("db");
    c.busy_timeout(std::time::Duration::from_secs(5)).expect("busy timeout");
    c.execute_batch("DROP TRIGGER injected_failure;").expect("drop trigger");
}

#[test]
fn a_failed_commit_acknowledges_nothing_and_numbers_continue_from_the_disk() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("hub.db");
    let hub = Hub::open(Config::sample(), &db, Arc::new(SystemClock)).expect("open hub");
    assert_eq!(hub.blocking_issue("k", &req("ho-tich")).expect("issue").number, "A001");

    break_writes(&db);
    // Many clients at once, so that several groups are decided while the first one fails.
    let results: Vec<Result<String, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..40)
            .map(|_| {
                let hub = hub.clone();
                s.spawn(move || hub.blocking_issue("k", &req("ho-tich")).map(|t| t.number))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("client thread")).collect()
    });
    for r in &results {
        assert!(matches!(r, Err(Error::NotStored(_))), "a failed write must be refused, got {r:?}");
    }
    let stale = results.iter().filter(|r| matches!(r, Err(Error::NotStored(m)) if m.contains("earlier write"))).count();
    eprintln!("refused as decided on a discarded state: {stale} of {}", results.len());
    // Memory is back to the disk: only A001 waits.
    let snap = hub.snapshot();
    assert_eq!(snap.waiting.iter().map(|t| t.number.as_str()).collect::<Vec<_>>(), ["A001"]);

    repair_writes(&db);
    assert_eq!(hub.blocking_issue("k", &req("ho-tich")).expect("issue after repair").number, "A002");

    // A second round while clients keep issuing: every acknowledged ticket is on disk, exactly
    // once, and the acknowledged numbers have no repeats.
    break_writes(&db);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let acked: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let hub = hub.clone();
                let stop = &stop;
                s.spawn(move || {
                    let mut got = Vec::new();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        if let Ok(t) = hub.blocking_issue("k", &req("ho-tich")) {
                            got.push(t.number);
                        }
                    }
                    got
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(150));
        repair_writes(&db);
        std::thread::sleep(std::time::Duration::from_millis(150));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        handles.into_iter().flat_map(|h| h.join().expect("client thread")).collect()
    });
    assert!(!acked.is_empty(), "writes work again after the repair");
    let unique: HashSet<&String> = acked.iter().collect();
    assert_eq!(unique.len(), acked.len(), "a number was acknowledged twice");

    drop(hub);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let c = Connection::open(&db).expect("db");
    let on_disk: Vec<String> = c
        .prepare("SELECT number FROM tickets ORDER BY seq")
        .expect("q")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("numbers");
    for n in &acked {
        assert!(on_disk.contains(n), "acknowledged {n} is not on disk");
    }
    // Numbers on disk are gapless from A001: nothing was skipped by a discarded group.
    for (i, n) in on_disk.iter().enumerate() {
        assert_eq!(n, &format!("A{:03}", i + 1));
    }
    let events: i64 =
        c.query_row("SELECT COUNT(*) FROM outbox WHERE kind = 'ticket_issued'", [], |r| r.get(0)).expect("count");
    assert_eq!(events as usize, on_disk.len(), "one outbox event per ticket");
}

//! Citizen data from a CCCD identification: kept with the ticket for the visit only, never the
//! raw ID, only the ID hash in the outbox, purged after the visit plus the grace and at the
//! office's local midnight — from memory, the table and the database files.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use motcua_hub::api::{CitizenClaim, CitizenVerification, CounterAction, IssueRequest};
use motcua_hub::{Clock, Config, Hub};
use rusqlite::Connection;

/// A clock the test moves.
struct TestClock(Mutex<Timestamp>);

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TestClock {
    fn advance(&self, by: SignedDuration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t = t.checked_add(by).unwrap_or(*t);
    }
}

const NAME: &str = "Nguyễn Văn Tư";
const HASH: &str = "3b5d5c3712955042212316173ccf37be800acb61bbc8eb7a3d17f1b8e57dcf28";

fn claim(masked: &str) -> CitizenClaim {
    CitizenClaim {
        display_name: NAME.into(),
        masked_id: masked.into(),
        id_hash: HASH.into(),
        birth_year: Some(1950),
        verification: CitizenVerification::Verified,
    }
}

fn req(citizen: Option<CitizenClaim>) -> IssueRequest {
    IssueRequest {
        field_id: "ho-tich".into(),
        priority_class: Some("nguoi-cao-tuoi".into()),
        hold_for_print: true,
        citizen,
    }
}

/// 10:00 in Ho Chi Minh City on a weekday.
fn morning() -> Timestamp {
    "2026-11-23T03:00:00Z".parse().unwrap_or(Timestamp::UNIX_EPOCH)
}

fn file_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Ok(b) = std::fs::read(e.path()) {
            all.extend_from_slice(&b);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn citizen_rows(db: &std::path::Path) -> i64 {
    let conn = Connection::open(db).expect("db");
    conn.query_row("SELECT COUNT(*) FROM ticket_citizens", [], |r| r.get(0)).expect("count")
}

#[test]
fn the_citizen_is_kept_for_the_visit_then_purged_from_memory_table_and_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("hub.db");
    let clock = Arc::new(TestClock(Mutex::new(morning())));
    let hub = Hub::open(Config::sample(), &db, clock.clone()).expect("hub");
    assert_eq!(hub.config().privacy.citizen_grace_minutes, 30);

    let t = hub.blocking_issue("kiosk-1", &req(Some(claim("001******345")))).expect("issue");
    let t = hub.blocking_confirm("kiosk-1", &t.id, motcua_hub::api::Delivery::Printed).expect("confirm");
    let shown = t.citizen.as_ref().expect("the ticket carries the citizen");
    assert_eq!((shown.display_name.as_str(), shown.masked_id.as_str()), (NAME, "001******345"));
    assert_eq!(citizen_rows(&db), 1);

    // The outbox carries the hash and the status, never the name or the masked ID.
    let conn = Connection::open(&db).expect("db");
    let payloads: Vec<String> = conn
        .prepare("SELECT payload FROM outbox ORDER BY seq")
        .expect("q")
        .query_map([], |r| r.get(0))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(!payloads.is_empty());
    for p in &payloads {
        assert!(!p.contains("Nguy") && !p.contains("******"), "outbox leaks the citizen: {p}");
    }
    assert!(payloads.iter().any(|p| p.contains(HASH) && p.contains("\"verification\":\"verified\"")));
    drop(conn);

    // Served: called, started, finished. Within the grace the officer still sees the name.
    hub.blocking_counter("c", 1, CounterAction::Open { officer_id: Some("cb01".into()), pin: None }).expect("open");
    let called = hub.blocking_counter("c", 1, CounterAction::CallNext).expect("call");
    assert_eq!(called.ticket.and_then(|t| t.citizen).map(|c| c.masked_id).as_deref(), Some("001******345"));
    hub.blocking_counter("c", 1, CounterAction::Start).expect("start");
    hub.blocking_counter("c", 1, CounterAction::Finish).expect("finish");
    clock.advance(SignedDuration::from_mins(29));
    assert_eq!(hub.purge_citizens_now().expect("purge"), 0, "still within the grace");
    assert_eq!(citizen_rows(&db), 1);
    assert!(contains(&file_bytes(dir.path()), NAME), "before the purge the name is on disk (the check below can fail)");

    // Past the grace: gone from the table, the hub's memory and the bytes of every file.
    clock.advance(SignedDuration::from_mins(2));
    assert_eq!(hub.purge_citizens_now().expect("purge"), 1);
    assert_eq!(citizen_rows(&db), 0);
    assert!(hub.snapshot().counters.iter().all(|c| c.current.as_ref().is_none_or(|t| t.citizen.is_none())));
    let bytes = file_bytes(dir.path());
    assert!(!contains(&bytes, NAME), "the name is still in the database files");
    assert!(!contains(&bytes, "001******345"), "the masked ID is still in the database files");
    assert!(!contains(&bytes, "001099012345"), "a raw ID is in the database files");
}

#[test]
fn a_citizen_still_waiting_at_midnight_is_purged_and_a_restart_brings_nothing_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("hub.db");
    // 23:50 office time.
    let late: Timestamp = "2026-11-23T16:50:00Z".parse().unwrap_or(Timestamp::UNIX_EPOCH);
    let clock = Arc::new(TestClock(Mutex::new(late)));
    {
        let hub = Hub::open(Config::sample(), &db, clock.clone()).expect("hub");
        let t = hub.blocking_issue("kiosk-1", &req(Some(claim("079******001")))).expect("issue");
        hub.blocking_confirm("kiosk-1", &t.id, motcua_hub::api::Delivery::Printed).expect("confirm");
        assert_eq!(hub.purge_citizens_now().expect("purge"), 0, "waiting, same day: kept");
        // A restart before midnight reloads the citizen for the counters.
        drop(hub);
        std::thread::sleep(std::time::Duration::from_millis(100));
        let hub = Hub::open(Config::sample(), &db, clock.clone()).expect("reopen");
        assert_eq!(
            hub.snapshot().waiting.first().and_then(|t| t.citizen.clone()).map(|c| c.masked_id).as_deref(),
            Some("079******001")
        );
        // Past midnight: purged although the ticket never finished.
        clock.advance(SignedDuration::from_mins(11));
        assert_eq!(hub.purge_citizens_now().expect("purge"), 1);
        assert_eq!(citizen_rows(&db), 0);
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let bytes = file_bytes(dir.path());
    assert!(!contains(&bytes, NAME));
    assert!(!contains(&bytes, "079******001"));
}

#[test]
fn a_raw_id_in_place_of_the_masked_one_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("hub.db");
    let hub = Hub::open(Config::sample(), &db, Arc::new(TestClock(Mutex::new(morning())))).expect("hub");
    let bad = hub.blocking_issue("kiosk-1", &req(Some(claim("001099012345"))));
    assert!(bad.is_err(), "an unmasked ID must not be accepted");
    let mut c = claim("001******345");
    c.id_hash = "001099012345".into();
    assert!(hub.blocking_issue("kiosk-1", &req(Some(c))).is_err(), "a raw ID in the hash field must not be accepted");
    assert_eq!(citizen_rows(&db), 0);
    assert!(!contains(&file_bytes(dir.path()), "001099012345"));
}

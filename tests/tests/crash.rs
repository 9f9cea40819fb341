//! Crash safety: a hub process killed with SIGKILL at random points while many threads issue
//! tickets loses no acknowledged ticket, never reuses a number, and leaves exactly one outbox
//! event per ticket, with a gapless sequence.
//!
//! The child is this same test binary re-run with `MOTCUA_CRASH_CHILD` set: it opens the hub on
//! the given database and prints `ACK <day> <number> <id>` for every ticket the hub acknowledged.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use motcua_hub::api::IssueRequest;
use rusqlite::Connection;

const CHILD_ENV: &str = "MOTCUA_CRASH_CHILD";

/// The child's body; does nothing in a normal test run.
#[test]
fn crash_child_entry() {
    let Ok(db) = std::env::var(CHILD_ENV) else { return };
    let hub = motcua_tests::open_hub(std::path::Path::new(&db));
    let fields = ["ho-tich", "dat-dai", "lao-dong", "kinh-doanh"];
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let hub = hub.clone();
            std::thread::spawn(move || {
                for n in 0.. {
                    let req = IssueRequest {
                        field_id: fields[(i + n) % fields.len()].into(),
                        priority_class: None,
                        hold_for_print: false,
                        citizen: None,
                    };
                    match hub.blocking_issue("kiosk-crash", &req) {
                        Ok(t) => {
                            let mut out = std::io::stdout().lock();
                            let _ = writeln!(out, "ACK {} {} {}", t.service_day, t.number, t.id);
                            let _ = out.flush();
                        }
                        Err(e) => eprintln!("issue failed: {e}"),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

/// A small deterministic generator for kill delays (no extra crate needed).
struct Lcg(u64);

impl Lcg {
    fn next_ms(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        lo + (self.0 >> 33) % (hi - lo)
    }
}

#[test]
fn sigkill_while_issuing_loses_no_acknowledged_ticket_and_reuses_no_number() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("hub.db");
    let exe = std::env::current_exe().expect("exe");
    let mut rng = Lcg(0x5eed_1234);
    let mut acked: HashMap<(String, String), String> = HashMap::new();
    let rounds = 6;
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args(["crash_child_entry", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut parts = line.split_whitespace();
                if parts.next() == Some("ACK")
                    && let (Some(day), Some(num), Some(id)) = (parts.next(), parts.next(), parts.next())
                {
                    acks.push((day.to_owned(), num.to_owned(), id.to_owned()));
                }
            }
            acks
        });
        // Let it start and issue for a random while, then kill it without warning.
        std::thread::sleep(Duration::from_millis(rng.next_ms(300, 1200)));
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        let acks = reader.join().expect("reader");
        assert!(!acks.is_empty(), "round {round}: the child acknowledged nothing");
        for (day, num, id) in acks {
            let prev = acked.insert((day.clone(), num.clone()), id.clone());
            assert!(prev.is_none(), "round {round}: number {num} of {day} acknowledged twice");
        }
        check_database(&db, &acked, round);
    }
    assert!(acked.len() > 50, "too few tickets to mean anything: {}", acked.len());
}

fn check_database(db: &std::path::Path, acked: &HashMap<(String, String), String>, round: usize) {
    let conn = Connection::open(db).expect("open db");
    let mut st = conn.prepare("SELECT service_day, number, id FROM tickets").expect("q");
    let rows: Vec<(String, String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("rows");
    let mut stored: HashMap<(String, String), String> = HashMap::new();
    for (day, num, id) in rows {
        let dup = stored.insert((day.clone(), num.clone()), id);
        assert!(dup.is_none(), "round {round}: number {num} stored twice");
    }
    for (key, id) in acked {
        assert_eq!(stored.get(key), Some(id), "round {round}: acknowledged ticket {key:?} lost");
    }
    // Exactly one ticket_issued event per ticket, and no event for a ticket that does not exist.
    let mut st = conn
        .prepare("SELECT json_extract(payload, '$.ticket.id') FROM outbox WHERE kind = 'ticket_issued'")
        .expect("q");
    let ids: Vec<String> = st.query_map([], |r| r.get(0)).expect("q").collect::<Result<_, _>>().expect("rows");
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "round {round}: a ticket has two outbox events");
    let ticket_ids: HashSet<&String> = stored.values().collect();
    assert_eq!(unique, ticket_ids, "round {round}: tickets and outbox events differ");
    let (count, max): (i64, i64) = conn
        .query_row("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM outbox", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("q");
    assert_eq!(count, max, "round {round}: outbox sequence has a gap");
}

//! The durable store: restart, outbox, concurrency, HTTP API.

use std::collections::HashSet;
use std::sync::Arc;

use motcua_hub::api::{CounterAction, IssueRequest};
use motcua_hub::{Config, Hub, SystemClock};
use rusqlite::Connection;

fn req(field: &str) -> IssueRequest {
    IssueRequest { field_id: field.into(), priority_class: None, hold_for_print: false, citizen: None }
}

fn open(dir: &tempfile::TempDir) -> Hub {
    Hub::open(Config::sample(), &dir.path().join("hub.db"), Arc::new(SystemClock)).expect("open hub")
}

#[test]
fn numbers_and_queue_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    {
        let hub = open(&dir);
        assert_eq!(hub.blocking_issue("k", &req("ho-tich")).expect("issue").number, "A001");
        assert_eq!(hub.blocking_issue("k", &req("ho-tich")).expect("issue").number, "A002");
        hub.blocking_counter("c", 1, CounterAction::Open { officer_id: Some("cb01".into()), pin: None }).expect("open");
        let r = hub.blocking_counter("c", 1, CounterAction::CallNext).expect("call");
        assert_eq!(r.ticket.map(|t| t.number).as_deref(), Some("A001"));
    }
    // Give the writer thread of the dropped hub a moment to finish its last group.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let hub = open(&dir);
    assert_eq!(hub.blocking_issue("k", &req("ho-tich")).expect("issue").number, "A003");
    let snap = hub.snapshot();
    let c1 = snap.counters.iter().find(|c| c.number == 1).expect("counter 1");
    assert!(c1.open);
    assert_eq!(c1.current.as_ref().map(|t| t.number.as_str()), Some("A001"));
    assert_eq!(snap.waiting.iter().map(|t| t.number.as_str()).collect::<Vec<_>>(), ["A002", "A003"]);
}

#[test]
fn ping_answers_after_a_durable_commit() {
    let dir = tempfile::tempdir().expect("tmp");
    let hub = open(&dir);
    assert!(hub.blocking_ping(std::time::Duration::from_secs(5)));
}

#[test]
fn every_state_change_has_exactly_one_outbox_event_with_gapless_seq() {
    let dir = tempfile::tempdir().expect("tmp");
    let hub = open(&dir);
    for _ in 0..5 {
        hub.blocking_issue("kiosk-1", &req("dat-dai")).expect("issue");
    }
    hub.blocking_counter("counter-3", 3, CounterAction::Open { officer_id: None, pin: None }).expect("open");
    hub.blocking_counter("counter-3", 3, CounterAction::CallNext).expect("call");
    assert!(hub.blocking_issue("kiosk-1", &req("nope")).is_err());
    let conn = Connection::open(dir.path().join("hub.db")).expect("db");
    let mut st =
        conn.prepare("SELECT seq, kind, device_id, office_id, occurred_at, id FROM outbox ORDER BY seq").expect("q");
    let rows: Vec<(i64, String, String, String, String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    let kinds: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "day_started",
            "ticket_issued",
            "ticket_issued",
            "ticket_issued",
            "ticket_issued",
            "ticket_issued",
            "counter_opened",
            "ticket_called"
        ]
    );
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.0, i as i64 + 1, "gapless");
        assert_eq!(r.3, "000.00.12.H62");
        assert!(r.4.ends_with("+07:00"), "{}", r.4);
        assert_eq!(uuid::Uuid::parse_str(&r.5).expect("uuid").get_version_num(), 7);
    }
    assert_eq!(rows[1].2, "kiosk-1");
    assert_eq!(rows[7].2, "counter-3");
    let tickets: i64 = conn.query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0)).expect("count");
    assert_eq!(tickets, 5);
}

#[test]
fn concurrent_issuers_never_get_the_same_number() {
    let dir = tempfile::tempdir().expect("tmp");
    let hub = open(&dir);
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let hub = hub.clone();
            std::thread::spawn(move || {
                (0..25).map(|_| hub.blocking_issue("k", &req("ho-tich")).expect("issue").number).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in threads {
        all.extend(t.join().expect("thread"));
    }
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 400);
    assert_eq!(unique.len(), 400, "duplicates issued");
    let expected: HashSet<String> = (1..=400).map(|i| format!("A{i:03}")).collect();
    assert_eq!(unique.into_iter().cloned().collect::<HashSet<_>>(), expected, "gap or stray number");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_api_needs_a_token_and_issues_tickets_and_pushes_events() {
    let dir = tempfile::tempdir().expect("tmp");
    let hub = open(&dir);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(motcua_hub::server::serve(hub.clone(), listener, async {
        let _ = stop_rx.await;
    }));
    let mut events = hub.subscribe();
    let base = format!("http://{addr}");
    let result = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let r = agent.get(format!("{base}/api/v1/catalog")).call().expect("call");
        assert_eq!(r.status(), 401);
        let r = agent
            .post(format!("{base}/api/v1/tickets"))
            .header("Authorization", "Bearer change-me-display-1-000000000000000")
            .send_json(req("ho-tich"))
            .expect("call");
        assert_eq!(r.status(), 403, "a display may not issue tickets");
        let mut r = agent
            .post(format!("{base}/api/v1/tickets"))
            .header("Authorization", "Bearer change-me-kiosk-1-0000000000000000")
            .send_json(req("ho-tich"))
            .expect("call");
        assert_eq!(r.status(), 201);
        let t: motcua_hub::api::Ticket = r.body_mut().read_json().expect("json");
        assert_eq!(t.number, "A001");
        assert!(t.issued_at.ends_with("+07:00"));
        let mut r = agent
            .post(format!("{base}/api/v1/tickets"))
            .header("Authorization", "Bearer change-me-kiosk-1-0000000000000000")
            .send_json(req("khong-co"))
            .expect("call");
        assert_eq!(r.status(), 404);
        let e: motcua_hub::api::ApiError = r.body_mut().read_json().expect("json");
        assert_eq!(e.code, "unknown_field");
        // A counter device acts only for its own counters.
        let r = agent
            .post(format!("{base}/api/v1/counters/2/actions"))
            .header("Authorization", "Bearer change-me-counter-1-000000000000000")
            .send_json(serde_json::json!({"action": "open"}))
            .expect("call");
        assert_eq!(r.status(), 403);
        let r = agent
            .post(format!("{base}/api/v1/counters/1/actions"))
            .header("Authorization", "Bearer change-me-counter-1-000000000000000")
            .send_json(serde_json::json!({"action": "open", "officer_id": "cb01"}))
            .expect("call");
        assert_eq!(r.status(), 200);
        let mut r2 = agent
            .post(format!("{base}/api/v1/counters/1/actions"))
            .header("Authorization", "Bearer change-me-counter-1-000000000000000")
            .send_json(serde_json::json!({"action": "call_next"}))
            .expect("call");
        let reply: motcua_hub::api::CounterReply = r2.body_mut().read_json().expect("json");
        assert_eq!(reply.ticket.map(|t| t.number).as_deref(), Some("A001"));
        let mut r = agent.get(format!("{base}/api/v1/openapi.json")).call().expect("call");
        let doc: serde_json::Value = r.body_mut().read_json().expect("json");
        assert!(doc["paths"]["/api/v1/tickets"]["post"].is_object(), "{doc}");
        assert!(doc["components"]["schemas"]["Ticket"].is_object());
        let text =
            agent.get(format!("{base}/metrics")).call().expect("call").body_mut().read_to_string().expect("text");
        assert!(text.contains("motcua_outbox_backlog 4"), "{text}");
        assert!(text.contains("motcua_queue_waiting{field=\"ho-tich\"} 0"), "{text}");
        assert!(text.contains("motcua_counter_open{counter=\"1\"} 1"), "{text}");
        let page = agent.get(format!("{base}/")).call().expect("call").body_mut().read_to_string().expect("html");
        assert!(page.contains("Hàng đợi gửi về hệ thống tỉnh") && page.contains("Hộ tịch – Chứng thực"), "{page}");
        let mut r = agent.get(format!("{base}/health")).call().expect("call");
        let h: serde_json::Value = r.body_mut().read_json().expect("json");
        assert_eq!(h["outbox_backlog"], 4, "day_started, ticket_issued, counter_opened, ticket_called");
    })
    .await;
    result.expect("client");
    let mut kinds = Vec::new();
    while let Ok(ev) = events.try_recv() {
        kinds.push(ev.kind);
    }
    assert_eq!(kinds, ["day_started", "ticket_issued", "counter_opened", "ticket_called"]);
    let _ = stop_tx.send(());
    server.await.expect("join").expect("serve");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_stream_delivers_committed_events_to_http_subscribers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().expect("tmp");
    let hub = open(&dir);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(motcua_hub::server::serve(hub.clone(), listener, std::future::pending()));
    let mut sock = tokio::net::TcpStream::connect(addr).await.expect("connect");
    sock.write_all(
        b"GET /api/v1/events HTTP/1.1\r\nHost: hub\r\nAccept: text/event-stream\r\n\
          Authorization: Bearer change-me-display-1-000000000000000\r\n\r\n",
    )
    .await
    .expect("request");
    // Wait for the response head so the subscription exists before the event is made.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&buf).contains("\r\n\r\n") {
        let n = sock.read(&mut chunk).await.expect("read");
        assert!(n > 0, "closed");
        buf.extend_from_slice(&chunk[..n]);
    }
    assert!(String::from_utf8_lossy(&buf).contains("text/event-stream"));
    let h = hub.clone();
    tokio::task::spawn_blocking(move || h.blocking_issue("kiosk-1", &req("lao-dong")).expect("issue"))
        .await
        .expect("join");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let text = String::from_utf8_lossy(&buf).to_string();
        if text.contains("event: ticket_issued") && text.contains("\"C001\"") {
            break;
        }
        let n = tokio::time::timeout_at(deadline, sock.read(&mut chunk)).await.expect("event in time").expect("read");
        assert!(n > 0, "stream closed");
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[test]
fn a_rating_window_survives_a_restart_and_takes_one_rating() {
    let dir = tempfile::tempdir().expect("tmp");
    let window = {
        let hub = open(&dir);
        hub.blocking_issue("k", &req("ho-tich")).expect("issue");
        hub.blocking_counter("c", 1, CounterAction::Open { officer_id: Some("cb01".into()), pin: None }).expect("open");
        hub.blocking_counter("c", 1, CounterAction::CallNext).expect("call");
        let code = "000.00.12.H62-201105-0004".to_owned();
        hub.blocking_counter("c", 1, CounterAction::LinkDossier { code }).expect("link");
        let r = hub.blocking_counter("c", 1, CounterAction::Finish).expect("finish");
        let w = r.rating.expect("window opened");
        assert!(w.open && w.rated_key.is_none());
        w.window_id
    };
    std::thread::sleep(std::time::Duration::from_millis(100));
    let hub = open(&dir);
    let snap = hub.snapshot();
    let c1 = snap.counters.iter().find(|c| c.number == 1).expect("counter 1");
    assert_eq!(c1.rating.as_ref().map(|w| (w.window_id, w.open)), Some((window, true)));
    for _ in 0..3 {
        let r = hub
            .blocking_counter("keypad-1", 1, CounterAction::Rate { key: 3, window_id: Some(window) })
            .expect("rate (again)");
        assert_eq!(r.rating.as_ref().and_then(|w| w.rated_key), Some(3));
    }
    let conn = Connection::open(dir.path().join("hub.db")).expect("db");
    let payloads: Vec<String> = conn
        .prepare("SELECT payload FROM outbox WHERE kind = 'rating_recorded'")
        .expect("q")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("read");
    assert_eq!(payloads.len(), 1, "exactly one rating event");
    let p: serde_json::Value = serde_json::from_str(&payloads[0]).expect("json");
    assert_eq!(p["level"], "unsatisfied");
    assert_eq!(p["officer_id"], "cb01");
    assert_eq!(p["dossier_code"], "000.00.12.H62-201105-0004");
    assert_eq!(p["number"], "A001");
    assert_eq!(p["window_id"], window);
    assert!(p["session_id"].as_str().is_some_and(|s| s.len() == 36), "{p}");
}

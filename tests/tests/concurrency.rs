//! Many clients issuing tickets at once through the hub's HTTP API never get the same number.

use std::collections::HashSet;

use motcua_hub::api::{IssueRequest, Ticket};

#[test]
fn many_http_clients_at_once_never_get_a_duplicate_number() {
    let dir = tempfile::tempdir().expect("tmp");
    let hub = motcua_tests::open_hub(&dir.path().join("hub.db"));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(motcua_hub::server::serve(hub.clone(), listener, std::future::pending()));

    let clients = 32;
    let each = 25;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(clients));
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let agent = ureq::Agent::new_with_defaults();
                barrier.wait();
                (0..each)
                    .map(|i| {
                        // Half the clients hammer one field, the rest spread over two.
                        let field = if c % 2 == 0 {
                            "ho-tich"
                        } else if i % 2 == 0 {
                            "dat-dai"
                        } else {
                            "ho-tich"
                        };
                        let t: Ticket = agent
                            .post(format!("http://{addr}/api/v1/tickets"))
                            .header("Authorization", format!("Bearer {}", motcua_tests::TEST_KIOSK_TOKEN))
                            .send_json(IssueRequest {
                                field_id: field.into(),
                                priority_class: None,
                                hold_for_print: false,
                                citizen: None,
                            })
                            .expect("issue")
                            .body_mut()
                            .read_json()
                            .expect("ticket");
                        t.number
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in threads {
        all.extend(t.join().expect("client"));
    }
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), clients * each);
    assert_eq!(unique.len(), all.len(), "duplicate numbers issued");
    let a = all.iter().filter(|n| n.starts_with('A')).count();
    let b = all.len() - a;
    // Each series is dense: A001..A{a}, B001..B{b}.
    for i in 1..=a {
        assert!(unique.contains(&format!("A{i:03}")), "A{i:03} missing");
    }
    for i in 1..=b {
        assert!(unique.contains(&format!("B{i:03}")), "B{i:03} missing");
    }
}

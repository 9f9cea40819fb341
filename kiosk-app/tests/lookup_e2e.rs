//! Dossier lookup against the reference central over HTTP (signed requests, seeded dossiers):
//! the right secret shows the status, a wrong one shows nothing, and with the central down the
//! kiosk answers from its cache with the time of the answer, or says it cannot reach it.

use std::sync::Arc;

use motcua_central::{CentralConfig, CentralServer, DeviceCred, Fault};
use motcua_kiosk_app::lookup::{CentralDossiers, DossierCache, Lookup, LookupError};

fn central(rt: &tokio::runtime::Runtime, dir: &std::path::Path, key: &[u8]) -> (CentralServer, String) {
    let cfg = CentralConfig::new(
        dir.join("central.db"),
        vec![DeviceCred { device_id: "kiosk-1".into(), office_id: "*".into(), key: key.to_vec() }],
    );
    let server = CentralServer::open(cfg).expect("central");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let s = server.clone();
    rt.spawn(async move {
        let _ = s.serve(listener, std::future::pending()).await;
    });
    (server, format!("http://{addr}"))
}

#[test]
fn status_by_code_and_secret_then_from_the_cache_when_the_central_is_down() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let dir = tempfile::tempdir().expect("tmp");
    let key = b"0123456789abcdef0123456789abcdef".to_vec();
    let (server, url) = central(&rt, dir.path(), &key);
    let seeded = CentralServer::seeded_dossiers();
    let (a, b) = (&seeded[1], &seeded[2]);
    let lookup = Arc::new(Lookup::new(
        Box::new(CentralDossiers::new(&url, "kiosk-1", key.clone())),
        DossierCache::open(&dir.path().join("cache.db")).expect("cache"),
    ));
    let now = jiff::Timestamp::now();

    let ans = lookup.status(&a.code, &a.secret, now).expect("status");
    assert_eq!(ans.as_of, None);
    assert_eq!(ans.doc["code"], a.code.as_str());
    assert_eq!(ans.doc["status"], a.doc["status"]);

    // A wrong secret and an unknown code get the same answer: nothing.
    assert_eq!(lookup.status(&a.code, "000000", now), Err(LookupError::NotFound));
    assert_eq!(lookup.status("000.00.12.H62-261130-9999", &a.secret, now), Err(LookupError::NotFound));

    // A wrong key is not a device of the central: no status either.
    let stranger = CentralDossiers::new(&url, "kiosk-1", b"not-the-key-not-the-key-not-the-".to_vec());
    assert!(motcua_kiosk_app::lookup::DossierSource::fetch(&stranger, &a.code, &a.secret).is_err());

    server.set_fault(Fault::Down);
    let later = now + jiff::SignedDuration::from_mins(30);
    let cached = lookup.status(&a.code, &a.secret, later).expect("cached");
    assert_eq!(cached.as_of.map(|t| t.as_second()), Some(now.as_second()));
    assert_eq!(cached.doc["code"], a.code.as_str());
    assert!(matches!(lookup.status(&b.code, &b.secret, later), Err(LookupError::Unavailable(_))));
    assert!(matches!(lookup.status(&a.code, "000000", later), Err(LookupError::Unavailable(_))), "no hint");
}

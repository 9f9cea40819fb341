//! Real transports on loopback: TCP 9100 against the virtual printer on 127.0.0.1:0, and the
//! lp transport on a plain file.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use motcua_device::printer::Printer;
use motcua_device::ticket::PaperWidth;
use motcua_escpos::transport::ByteTransport;
use motcua_escpos::transport::lp::LpTransport;
use motcua_escpos::transport::tcp::TcpTransport;
use motcua_escpos::virtual_printer::VirtualPrinter;
use motcua_escpos::{EscposPrinter, Profile};

/// Serves one connection with a virtual printer; returns it when the client hangs up.
fn serve(profile: Profile) -> (String, mpsc::Receiver<VirtualPrinter>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut vp = VirtualPrinter::new(profile);
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                vp.feed(&buf[..n]);
                let out = vp.take_output();
                if !out.is_empty() && s.write_all(&out).is_err() {
                    break;
                }
            }
        }
        let _ = tx.send(vp);
    });
    (addr, rx)
}

#[test]
fn tcp_9100_prints_a_confirmed_ticket() {
    for name in ["epson-tm-t20", "generic-80"] {
        let profile = Profile::by_name(name).expect("profile");
        let (addr, rx) = serve(profile.clone());
        let t = TcpTransport::connect(&addr, Duration::from_secs(2)).expect("connect");
        let mut p = EscposPrinter::new(t, profile);
        let doc = common::sample(PaperWidth::Mm80);
        p.print(&doc).expect("confirmed over TCP");
        assert!(p.status().expect("status").online);
        drop(p);
        let vp = rx.recv_timeout(Duration::from_secs(5)).expect("server done");
        assert_eq!(vp.cuts(), 1);
        assert_eq!(common::printed_text(&vp.texts()), common::expected_text(&doc));
    }
}

#[test]
fn tcp_read_times_out_with_zero_and_refused_connect_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let mut t = TcpTransport::connect(&addr, Duration::from_secs(2)).expect("connect");
    let mut buf = [0u8; 8];
    assert_eq!(t.read_available(&mut buf, Duration::from_millis(20)).ok(), Some(0));
    drop(listener);
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let gone = closed.local_addr().expect("addr").to_string();
    drop(closed);
    assert!(TcpTransport::connect(&gone, Duration::from_millis(500)).is_err());
}

#[test]
fn lp_transport_writes_the_bytes_and_reads_nothing_from_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("lp0");
    std::fs::write(&path, b"").expect("create");
    let mut t = LpTransport::open(&path).expect("open");
    t.write_all(b"\x1b@hello\n", Duration::from_millis(100)).expect("write");
    let mut buf = [0u8; 8];
    assert_eq!(t.read_available(&mut buf, Duration::from_millis(10)).ok(), Some(0));
    assert_eq!(std::fs::read(&path).expect("read"), b"\x1b@hello\n");
    assert!(LpTransport::open(dir.path().join("missing")).is_err());
}

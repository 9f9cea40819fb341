//! `bench::run` on a tiny corpus in the make_corpus.py layout.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Scene, png_bytes, receipt, render};
use qrcode::EcLevel;

#[test]
fn bench_counts_right_wrong_and_missed_by_level() {
    let dir = tempfile::tempdir().unwrap();
    let mut truth = String::new();
    let frames = [
        (receipt(1), receipt(1), "0", Scene { module: 4.0, ..Scene::default() }),
        (receipt(2), receipt(2), "1", Scene { module: 3.5, angle: 70.0, blur: 0.8, ..Scene::default() }),
        // the truth says something else: a wrong decode
        (receipt(3), receipt(4), "1", Scene { module: 4.0, angle: -20.0, ..Scene::default() }),
        // far too small to read: missed
        (receipt(5), receipt(5), "2", Scene { module: 0.8, blur: 1.5, ..Scene::default() }),
    ];
    for (i, (drawn, said, level, scene)) in frames.iter().enumerate() {
        let f = render(drawn.as_bytes(), EcLevel::M, scene);
        std::fs::write(dir.path().join(format!("{i:04}.png")), png_bytes(&f)).unwrap();
        truth += &format!("{i:04}.png\t{said}\t{level}\n");
    }
    std::fs::write(dir.path().join("truth.tsv"), truth).unwrap();

    let r = motcua_qr::bench::run(dir.path()).unwrap();
    assert_eq!((r.total, r.decoded, r.wrong), (4, 2, 1));
    assert_eq!(r.by_level["0"], (1, 1));
    assert_eq!(r.by_level["1"], (1, 2));
    assert_eq!(r.by_level["2"], (0, 1));
    assert_eq!(r.missed_files, vec!["0003.png".to_owned()]);
    assert!(r.cpu_ms_median() > 0.0 && r.cpu_ms_p95() >= r.cpu_ms_median());

    let json: serde_json::Value = serde_json::from_str(&r.json()).unwrap();
    let obj = json.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["by_level", "cpu_ms_median", "cpu_ms_p95", "decoded", "total", "wrong"]);
    assert_eq!(json["by_level"], serde_json::json!({"0": 1, "1": 1, "2": 0}));
    assert_eq!(json["total"], 4);
    assert!(!r.json().contains('\n'));
    let table = r.table();
    assert!(table.contains("median") && table.contains("1/2"), "{table}");
}

#[test]
fn bench_reports_a_missing_or_malformed_corpus() {
    let dir = tempfile::tempdir().unwrap();
    assert!(motcua_qr::bench::run(dir.path()).is_err());
    std::fs::write(dir.path().join("truth.tsv"), "0000.png\tonly two columns\n").unwrap();
    assert!(motcua_qr::bench::run(dir.path()).is_err());
}

#[test]
fn thread_cpu_clock_advances() {
    let t0 = motcua_qr::bench::thread_cpu_time();
    let mut x = 0u64;
    for i in 0..2_000_000u64 {
        x = x.wrapping_mul(31).wrapping_add(i);
    }
    std::hint::black_box(x);
    assert!(motcua_qr::bench::thread_cpu_time() > t0);
}

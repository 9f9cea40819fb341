//! `motcua read-card --simulate` as IT staff run it: the report, the exit codes, and no
//! personal data unless `--show-data`.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn read_card(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["read-card", "--simulate"])
        .args(args)
        .env("MOTCUA_LOG", "warn")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Strings of the simulated citizen that must never appear without --show-data.
const PERSONAL: [&str; 7] = ["001099012345", "099012345", "NGUYEN", "Nguyễn Văn A", "15/03/1999", "990315", "Phường P"];

#[test]
fn a_genuine_card_is_reported_verified_without_personal_data() {
    let r = read_card(&[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for expected in [
        "ATR",
        "3B 85 80 01 80 73 C0 21 40 56",
        "extended length",
        "PACE-CAN",
        "DG1",
        "DG2",
        "DG13",
        "DG14",
        "DG15",
        "EF.SOD",
        "APDUs",
        "verified (issuer in the trust list)",
        "active auth (DG15)",
        "chip auth (DG14)",
        "DG1 = DG13 (ID, date of birth, sex, name)",
        "Result: verified",
        "personal data",
        "hidden",
    ] {
        assert!(r.stdout.contains(expected), "missing {expected:?} in\n{}", r.stdout);
    }
    for secret in PERSONAL {
        assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret), "{secret:?} leaked:\n{}", r.stdout);
    }
}

#[test]
fn show_data_prints_the_personal_data_but_never_the_face_bytes() {
    let r = read_card(&["--show-data"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for expected in ["001099012345", "Nguyễn Văn A", "NGUYEN", "15/03/1999", "JPEG, 240x320 px, 15000 bytes"] {
        assert!(r.stdout.contains(expected), "missing {expected:?} in\n{}", r.stdout);
    }
    // The report is a page of text, not an image dump.
    assert!(r.stdout.len() < 6000, "{} bytes of output", r.stdout.len());
}

#[test]
fn an_altered_data_group_exits_3_with_data_altered() {
    let r = read_card(&["--alter-dg", "13"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("data altered"), "{}", r.stdout);
    assert!(r.stdout.contains("DG13"), "{}", r.stdout);
}

#[test]
fn an_unknown_signer_is_consistent_but_not_verified() {
    let r = read_card(&["--unknown-signer"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("chip consistent, issuer not verified"), "{}", r.stdout);
    assert!(!r.stdout.contains("Result: verified"), "{}", r.stdout);
}

#[test]
fn a_chip_refusing_pace_is_read_over_bac_and_says_why() {
    let r = read_card(&["--refuse-pace", "--short-apdus"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("BAC (3DES secure messaging), because PACE failed"), "{}", r.stdout);
    assert!(r.stdout.contains("223 bytes per READ BINARY"), "{}", r.stdout);
}

#[test]
fn a_clone_is_clone_suspected() {
    let r = read_card(&["--clone"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("clone suspected"), "{}", r.stdout);
}

#[test]
fn a_card_lifted_mid_read_exits_1_asking_to_keep_it_on_the_reader() {
    let r = read_card(&["--drop-after-apdus", "10"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("giữ thẻ trên đầu đọc"), "{}", r.stderr);
    assert!(r.stderr.contains("keep it on the reader"), "{}", r.stderr);
    assert!(!r.stdout.contains("Result:"), "no half result: {}", r.stdout);
}

#[test]
fn a_bad_can_is_refused_before_reading() {
    let r = read_card(&["--can", "12ab"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("--can must be 6 digits"), "{}", r.stderr);
}

//! EscposPrinter through the simulated twin (the same code path as hardware): success per
//! barrier kind, refusals before the job, faults during the job, near end, a slow link.

mod common;

use std::time::Duration;

use motcua_device::Error;
use motcua_device::printer::{PaperLevel, Printer};
use motcua_device::ticket::PaperWidth;
use motcua_escpos::printer::{Barrier, completion_timeout};
use motcua_escpos::sim::VirtualEscposDevice;
use motcua_escpos::transport::ByteTransport;
use motcua_escpos::virtual_printer::{SimState, VirtualPrinter};
use motcua_escpos::{EscposPrinter, Profile, Strategy};

fn printer(name: &str) -> EscposPrinter<VirtualEscposDevice> {
    let profile = Profile::by_name(name).expect("built-in profile");
    let dev = VirtualEscposDevice::new(VirtualPrinter::new(profile.clone()));
    EscposPrinter::new(dev, profile).simulated(true)
}

fn vp(p: &EscposPrinter<VirtualEscposDevice>) -> &VirtualPrinter {
    p.transport().printer()
}

#[test]
fn prints_and_confirms_on_every_profile() {
    for name in ["epson-tm-t20", "generic-80", "kiosk-80", "generic-58"] {
        let mut p = printer(name);
        let paper = p.profile().paper;
        let doc = common::sample(paper);
        let out = p.print(&doc).expect("confirmed");
        assert_eq!(out.job_id, 1);
        assert_eq!(vp(&p).cuts(), 1, "{name}");
        assert_eq!(common::printed_text(&vp(&p).texts()), common::expected_text(&doc), "{name}");
        assert_eq!(vp(&p).realtime_in_data(), 0);
        assert!(p.info().simulated);
    }
}

#[test]
fn barrier_follows_the_profile() {
    let by = |n: &str| Barrier::for_profile(&Profile::by_name(n).expect("profile"));
    assert_eq!(by("epson-tm-t20"), Barrier::ProcessId);
    assert_eq!(by("generic-80"), Barrier::TransmitStatus);
    assert_eq!(by("kiosk-80"), Barrier::Presenter);
}

#[test]
fn second_job_gets_the_next_id() {
    let mut p = printer("epson-tm-t20");
    let doc = common::sample(PaperWidth::Mm80);
    assert_eq!(p.print(&doc).map(|o| o.job_id).ok(), Some(1));
    assert_eq!(p.print(&doc).map(|o| o.job_id).ok(), Some(2));
    assert_eq!(vp(&p).cuts(), 2);
}

fn refused(state: SimState) -> Error {
    let mut p = printer("generic-80");
    p.transport_mut().printer_mut().set_state(state);
    let e = p.print(&common::sample(PaperWidth::Mm80)).expect_err("must refuse");
    assert_eq!(vp(&p).cuts(), 0);
    assert!(vp(&p).texts().is_empty(), "nothing of the job printed");
    e
}

#[test]
fn refuses_before_the_job_on_each_fault() {
    let out = SimState { paper: PaperLevel::Out, ..SimState::default() };
    assert!(matches!(refused(out), Error::PaperOut));
    assert!(matches!(refused(SimState { cover_open: true, ..SimState::default() }), Error::CoverOpen));
    assert!(matches!(refused(SimState { cutter_error: true, ..SimState::default() }), Error::CutterError));
}

/// Arms `state` at `at` (0.0 = start, 1.0 = end of the job's bytes; 12 status bytes go first).
fn failed_mid_job(name: &str, state: SimState, at: f64) -> Error {
    let mut p = printer(name);
    let doc = common::sample(PaperWidth::Mm80);
    let len = motcua_escpos::encode(&doc, p.profile(), Strategy::Auto).expect("encode").bytes.len();
    p.transport_mut().fault_after(12 + (len as f64 * at) as u64, state);
    let e = p.print(&doc).expect_err("must fail");
    assert_eq!(vp(&p).cuts(), 0, "{name}: the job must not have completed");
    e
}

#[test]
fn fault_during_the_job_fails_it() {
    for name in ["epson-tm-t20", "generic-80", "kiosk-80"] {
        let cover = SimState { cover_open: true, ..SimState::default() };
        assert!(matches!(failed_mid_job(name, cover, 0.3), Error::CoverOpen), "{name}");
        let out = SimState { paper: PaperLevel::Out, ..SimState::default() };
        assert!(matches!(failed_mid_job(name, out, 0.5), Error::PaperOut), "{name}");
        let cut = SimState { cutter_error: true, ..SimState::default() };
        assert!(matches!(failed_mid_job(name, cut, 0.99), Error::CutterError), "{name}");
    }
}

#[test]
fn near_end_prints_with_a_warning() {
    let mut p = printer("generic-80");
    p.transport_mut().printer_mut().set_state(SimState { paper: PaperLevel::NearEnd, ..SimState::default() });
    p.print(&common::sample(PaperWidth::Mm80)).expect("near end still prints");
    assert_eq!(p.last_status().map(|s| s.paper), Some(PaperLevel::NearEnd));
    let st = p.status().expect("status");
    assert_eq!(st.paper, PaperLevel::NearEnd);
    assert!(st.online && st.blocking_error().is_none());
}

#[test]
fn slow_9600_baud_link_in_virtual_time() {
    let profile = Profile::by_name("generic-80").expect("profile");
    let dev = VirtualEscposDevice::new(VirtualPrinter::new(profile.clone())).with_baud(9600);
    let mut p = EscposPrinter::new(dev, profile);
    let out = p.print(&common::sample(PaperWidth::Mm80)).expect("confirmed");
    let secs = p.transport().now().as_secs_f64();
    assert!(secs >= out.bytes_sent as f64 / 960.0, "virtual time {secs} s for {} bytes", out.bytes_sent);
    assert!(completion_timeout(out.bytes_sent, Some(960)) > Duration::from_secs_f64(secs));
}

#[test]
fn unplugged_and_silent_printers_fail() {
    let mut p = printer("generic-80");
    p.transport_mut().set_connected(false);
    assert!(matches!(p.print(&common::sample(PaperWidth::Mm80)), Err(Error::Disconnected)));
    assert!(matches!(p.status(), Err(Error::Disconnected)));
}

#[test]
fn presenter_waits_for_the_ticket_to_be_taken_between_jobs() {
    let mut p = printer("kiosk-80");
    let doc = common::sample(PaperWidth::Mm80);
    p.print(&doc).expect("first");
    p.transport_mut().printer_mut().take_ticket();
    p.print(&doc).expect("second");
    assert!(vp(&p).state().ticket_present);
}

/// Answers `DLE EOT` with "all fine" but never confirms anything (a printer that swallowed the
/// job, or a clone that ignores `GS r`/`GS ( H`), on a virtual clock.
#[derive(Debug, Default)]
struct Swallower {
    now: Duration,
    rx: Vec<u8>,
    silent: bool,
}

impl ByteTransport for Swallower {
    fn write_all(&mut self, data: &[u8], _timeout: Duration) -> Result<(), Error> {
        if !self.silent {
            let asks = data.windows(3).filter(|w| w[0] == 0x10 && w[1] == 0x04 && (1..=4).contains(&w[2]));
            self.rx.extend(asks.map(|_| 0x12u8));
        }
        Ok(())
    }

    fn read_available(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        if self.rx.is_empty() {
            self.now += timeout;
            return Ok(0);
        }
        let n = buf.len().min(self.rx.len());
        buf[..n].copy_from_slice(&self.rx[..n]);
        self.rx.drain(..n);
        Ok(n)
    }

    fn now(&self) -> Duration {
        self.now
    }
}

#[test]
fn no_confirmation_means_timeout_not_ok() {
    for name in ["epson-tm-t20", "generic-80", "kiosk-80"] {
        let profile = Profile::by_name(name).expect("profile");
        let mut p = EscposPrinter::new(Swallower::default(), profile);
        let doc = common::sample(PaperWidth::Mm80);
        assert!(matches!(p.print(&doc), Err(Error::Timeout)), "{name}");
        let waited = p.transport().now();
        assert!(waited >= Duration::from_secs(3) && waited < Duration::from_secs(10), "{name}: {waited:?}");
    }
    let mut silent =
        EscposPrinter::new(Swallower { silent: true, ..Swallower::default() }, Profile::generic(PaperWidth::Mm80));
    assert!(matches!(silent.status(), Err(Error::Timeout)));
    assert!(matches!(silent.print(&common::sample(PaperWidth::Mm80)), Err(Error::Timeout)));
}

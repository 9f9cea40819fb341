//! The status decoder, alone and against the virtual printer's replies.

mod common;

use common::{Rng, sample};
use motcua_device::printer::PaperLevel;
use motcua_device::ticket::PaperWidth;
use motcua_escpos::proto::commands;
use motcua_escpos::proto::status::{Request, StatusDecoder, StatusEvent};
use motcua_escpos::virtual_printer::{SimState, VirtualPrinter};
use motcua_escpos::{Profile, Strategy, encode};

fn events(d: &mut StatusDecoder) -> Vec<StatusEvent> {
    std::iter::from_fn(|| d.poll_event()).collect()
}

#[test]
fn dle_eot_replies_are_read_by_what_was_asked() {
    let mut d = StatusDecoder::new();
    for r in [Request::PrinterStatus, Request::OfflineCause, Request::ErrorCause, Request::RollPaper] {
        d.expect(r);
    }
    // offline; cover open + paper end stop; cutter error; near end + paper end.
    d.feed(&[0x1A, 0x36, 0x1A, 0x7E]);
    assert_eq!(
        events(&mut d),
        [
            StatusEvent::Printer { online: false, waiting_recovery: false, feed_button: false },
            StatusEvent::OfflineCause { cover_open: true, feed_button: false, paper_end_stop: true, error: false },
            StatusEvent::ErrorCause { recoverable: false, cutter: true, unrecoverable: false, auto_recoverable: false },
            StatusEvent::RollPaper { near_end: true, paper_out: true },
        ]
    );
    let s = d.state();
    assert_eq!(
        (s.online, s.cover_open, s.paper, s.cutter_error),
        (Some(false), Some(true), Some(PaperLevel::Out), Some(true))
    );
    assert_eq!((d.pending(), d.skipped_bytes()), (0, 0));
}

#[test]
fn unasked_dle_eot_byte_is_skipped_and_counted() {
    let mut d = StatusDecoder::new();
    d.feed(&[0x12, 0x12]);
    assert_eq!(d.poll_event(), None);
    assert_eq!(d.skipped_bytes(), 2);
}

#[test]
fn realtime_reply_overtakes_a_pending_gs_r_barrier() {
    let mut d = StatusDecoder::new();
    d.expect(Request::PaperSensor); // GS r 1 sent after the job
    d.expect(Request::RollPaper); // DLE EOT 4 while polling
    d.feed(&[0x12]); // the real-time answer comes first
    d.feed(&[0x03]); // then the barrier: near end
    assert_eq!(
        events(&mut d),
        [
            StatusEvent::RollPaper { near_end: false, paper_out: false },
            StatusEvent::PaperSensor { near_end: true, paper_out: false }
        ]
    );
}

#[test]
fn automatic_status_back_and_process_id_are_framed_unasked_in_any_split() {
    let stream = [0x10, 0x00, 0x03, 0x00, 0x37, 0x22, b'T', b'0', b'0', b'1', 0x00, 0x38, 0x04, 0x0F, 0x00];
    for split in 0..stream.len() {
        let mut d = StatusDecoder::new();
        d.feed(&stream[..split]);
        d.feed(&stream[split..]);
        let ev = events(&mut d);
        assert_eq!(ev.len(), 3, "split {split}: {ev:?}");
        assert!(matches!(ev[0], StatusEvent::Automatic(a) if a.online && a.near_end && !a.paper_out));
        assert_eq!(ev[1], StatusEvent::ProcessIdCompleted(*b"T001"));
        assert!(
            matches!(ev[2], StatusEvent::Automatic(a) if !a.online && a.cover_open && a.cutter_error && a.paper_out)
        );
        assert_eq!(d.skipped_bytes(), 0);
    }
}

#[test]
fn random_bytes_never_panic_and_the_decoder_resyncs() {
    let mut rng = Rng(42);
    for _ in 0..500 {
        let mut d = StatusDecoder::new();
        if rng.below(2) == 0 {
            d.expect(Request::FullStatus);
            d.expect(Request::PaperSensor);
        }
        let noise: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
        d.feed(&noise);
        while d.poll_event().is_some() {}
        d.forget_expectations();
        // A valid process-ID frame, twice: a torn frame in the noise may swallow the first.
        let frame = [0x37, 0x22, b'A', b'0', b'2', b'3', 0x00];
        d.feed(&frame);
        d.feed(&frame);
        let ids = events(&mut d).into_iter().filter(|e| *e == StatusEvent::ProcessIdCompleted(*b"A023")).count();
        assert!(ids >= 1, "no resync after {noise:02x?}");
    }
}

#[test]
fn virtual_printer_reports_faults_the_decoder_understands() {
    let mut vp = VirtualPrinter::new(Profile::generic(PaperWidth::Mm80));
    let mut d = StatusDecoder::new();
    vp.set_state(SimState { paper: PaperLevel::NearEnd, ..SimState::default() });
    for r in [Request::PrinterStatus, Request::RollPaper] {
        d.expect(r);
        vp.feed(&r.bytes());
    }
    d.feed(&vp.take_output());
    assert_eq!(d.state().online, Some(true));
    assert_eq!(d.state().paper, Some(PaperLevel::NearEnd));

    vp.set_state(SimState { cover_open: true, ..SimState::default() });
    for r in [Request::PrinterStatus, Request::OfflineCause] {
        d.expect(r);
        vp.feed(&r.bytes());
    }
    d.feed(&vp.take_output());
    assert_eq!((d.state().online, d.state().cover_open), (Some(false), Some(true)));
}

#[test]
fn process_id_arrives_only_after_the_job_printed_and_faults_cleared() {
    let profile = Profile::epson_tm_t20();
    let job = encode(&sample(profile.paper), &profile, Strategy::Auto).expect("must encode");
    let mut vp = VirtualPrinter::new(profile);
    vp.set_state(SimState { cover_open: true, ..SimState::default() });
    vp.feed(&job.bytes);
    vp.feed(&commands::process_id(*b"0001"));
    vp.feed(&Request::OfflineCause.bytes()); // real-time: answered while offline
    let mut d = StatusDecoder::new();
    d.expect(Request::OfflineCause);
    d.feed(&vp.take_output());
    assert_eq!(events(&mut d).len(), 1);
    assert_eq!(d.state().cover_open, Some(true));
    assert!(vp.texts().is_empty(), "printed while the cover was open");

    vp.set_state(SimState::default());
    d.feed(&vp.take_output());
    assert_eq!(events(&mut d), [StatusEvent::ProcessIdCompleted(*b"0001")]);
    assert_eq!(vp.cuts(), 1);
}

#[test]
fn gs_r_barrier_and_asb_come_back_from_the_virtual_printer() {
    let mut vp = VirtualPrinter::new(Profile::generic(PaperWidth::Mm58));
    let mut d = StatusDecoder::new();
    vp.feed(&commands::automatic_status_back(0xFF));
    d.expect(Request::PaperSensor);
    vp.feed(&Request::PaperSensor.bytes());
    vp.set_state(SimState { paper: PaperLevel::Out, ..SimState::default() });
    d.feed(&vp.take_output());
    let ev = events(&mut d);
    assert!(matches!(ev[0], StatusEvent::Automatic(a) if a.online));
    assert_eq!(ev[1], StatusEvent::PaperSensor { near_end: false, paper_out: false });
    assert!(matches!(ev[2], StatusEvent::Automatic(a) if !a.online && a.paper_out));
    assert_eq!(d.state().paper, Some(PaperLevel::Out));
}

#[test]
fn presenter_reports_ticket_present_until_taken() {
    let profile = Profile::kiosk_80();
    let job = encode(&sample(profile.paper), &profile, Strategy::Auto).expect("must encode");
    let mut vp = VirtualPrinter::new(profile);
    vp.feed(&job.bytes);
    let mut d = StatusDecoder::new();
    d.expect(Request::FullStatus);
    vp.feed(&commands::full_status());
    d.feed(&vp.take_output());
    assert!(matches!(d.poll_event(), Some(StatusEvent::FullStatus { ticket_present: true, .. })));
    vp.take_ticket();
    d.expect(Request::FullStatus);
    vp.feed(&commands::full_status());
    d.feed(&vp.take_output());
    assert!(matches!(d.poll_event(), Some(StatusEvent::FullStatus { ticket_present: false, paper_out: false, .. })));
}

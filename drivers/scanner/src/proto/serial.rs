//! The serial scanner core: bytes from a USB-CDC or USB-serial scanner in, codes out.
//!
//! Implements: framing on the configured [`Terminator`], with the shared checks of
//! [`super::frame`] (prefix, suffix, length, garbage, AIM identifiers, half scans on the
//! inter-character timeout, fast repeats). Sans-IO: [`SerialCore::feed`] takes the bytes and
//! the millisecond time they arrived; [`SerialCore::poll_timeout`] says when to call
//! [`SerialCore::handle_timeout`] if nothing else arrives.
//!
//! Line terminators are read tolerantly, because scanners are often set up by scanning a
//! barcode from a manual and CR versus CR LF is easy to get wrong: with [`Terminator::Cr`],
//! [`Terminator::Lf`] or [`Terminator::CrLf`], CR and LF bytes before a scan's first data byte
//! are skipped (the LF of a CR LF after a CR terminator), and a CR right before the LF that
//! ends a scan is dropped. Any other CR or LF is a control character and rejects the scan.
//!
//! Does not implement: the port (see `transport::serial`), code-page conversion (scanners
//! must be set to UTF-8 output; anything else is rejected as not UTF-8).

use super::frame::{Config, Event, Framer, Stats, Terminator};

const CR: u8 = b'\r';
const LF: u8 = b'\n';
const TAB: u8 = b'\t';

/// The serial scanner core; see the module docs.
#[derive(Debug)]
pub struct SerialCore {
    framer: Framer,
}

impl SerialCore {
    /// A core for a scanner set up as `config` says.
    pub fn new(config: Config) -> Self {
        SerialCore { framer: Framer::new(config) }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.framer.config()
    }

    /// Bytes that arrived at `now` (milliseconds on any monotonic clock).
    pub fn feed(&mut self, now: u64, bytes: &[u8]) {
        self.framer.check_pause(now);
        let terminator = self.framer.config().terminator;
        let suffix_ends = terminator == Terminator::None && !self.framer.config().suffix.is_empty();
        for &b in bytes {
            match (terminator, b) {
                (Terminator::Cr | Terminator::Lf | Terminator::CrLf, CR | LF) if !self.framer.in_scan() => {}
                (Terminator::Cr, CR) | (Terminator::Tab, TAB) => self.framer.end(now),
                (Terminator::Lf | Terminator::CrLf, LF) => {
                    if self.framer.buffered().last() == Some(&CR) {
                        self.framer.drop_last();
                    }
                    self.framer.end(now);
                }
                _ => {
                    self.framer.push(now, b);
                    if suffix_ends && self.framer.buffered().ends_with(self.framer.config().suffix.as_bytes()) {
                        self.framer.end(now);
                    }
                }
            }
        }
    }

    /// Runs the inter-character timer at `now`.
    pub fn handle_timeout(&mut self, now: u64) {
        self.framer.handle_timeout(now);
    }

    /// When [`handle_timeout`](Self::handle_timeout) must run next if no bytes arrive; `None`
    /// when no scan is in progress.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.framer.poll_timeout()
    }

    /// The port closed: a scan in progress is rejected as a half scan.
    pub fn handle_disconnect(&mut self, now: u64) {
        self.framer.cut_off(now);
    }

    /// The next code or rejection, oldest first.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.framer.poll_event()
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        self.framer.stats()
    }
}

#[cfg(test)]
mod tests {
    use motcua_device::scanner::ScannedCode;

    use super::*;
    use crate::error::ScanError;
    use crate::proto::frame::AimMode;

    fn core(config: Config) -> SerialCore {
        SerialCore::new(config)
    }

    fn events(c: &mut SerialCore) -> Vec<Event> {
        std::iter::from_fn(|| c.poll_event()).collect()
    }

    fn code(text: &str) -> Event {
        Event::Code(ScannedCode { text: text.to_owned(), symbology: None })
    }

    #[test]
    fn cr_lf_and_crlf_all_end_a_scan_with_a_cr_terminator() {
        let mut c = core(Config { repeat_window_ms: 0, ..Config::default() });
        c.feed(0, b"A1\rB2\r\nC3\n\n\r");
        // "C3\n" is not terminated by CR: the LF inside the scan is a control character.
        c.feed(1, b"D4\r");
        let ev = events(&mut c);
        assert_eq!(ev[..2], [code("A1"), code("B2")]);
        assert_eq!(ev[2], Event::Rejected(ScanError::ControlChar { code: 0x0A, offset: 2 }));
        assert_eq!(ev[3], code("D4"));
    }

    #[test]
    fn crlf_terminator_drops_the_cr_and_accepts_a_bare_lf() {
        let mut c = core(Config { terminator: Terminator::CrLf, repeat_window_ms: 0, ..Config::default() });
        c.feed(0, b"A1\r");
        c.feed(1, b"\nB2\n");
        assert_eq!(events(&mut c), [code("A1"), code("B2")]);
    }

    #[test]
    fn split_feeds_assemble_one_scan() {
        let mut c = core(Config::default());
        for (t, chunk) in [(0, &b"000.00"[..]), (5, b".12.H62-2011"), (9, b"05-0004\r")] {
            c.feed(t, chunk);
        }
        assert_eq!(events(&mut c), [code("000.00.12.H62-201105-0004")]);
    }

    #[test]
    fn pause_inside_a_scan_rejects_it_as_half_scan() {
        let mut c = core(Config { inter_char_timeout_ms: 100, ..Config::default() });
        c.feed(0, b"000.00.12");
        assert_eq!(c.poll_timeout(), Some(100));
        c.handle_timeout(99);
        assert!(c.poll_event().is_none());
        c.handle_timeout(100);
        assert_eq!(events(&mut c), [Event::Rejected(ScanError::HalfScan { len: 9 })]);
        // The rest of the cut-off scan arriving late is its own (bad) scan, never glued on.
        c.feed(500, b".H62\r");
        c.feed(600, b"OK\r");
        assert_eq!(events(&mut c), [code(".H62"), code("OK")]);
    }

    #[test]
    fn late_bytes_cut_off_the_waiting_scan_before_being_read() {
        let mut c = core(Config { inter_char_timeout_ms: 100, ..Config::default() });
        c.feed(0, b"ABC");
        c.feed(150, b"DEF\r");
        assert_eq!(events(&mut c), [Event::Rejected(ScanError::HalfScan { len: 3 }), code("DEF")]);
    }

    #[test]
    fn no_terminator_mode_ends_scans_on_the_pause() {
        let mut c = core(Config { terminator: Terminator::None, inter_char_timeout_ms: 50, ..Config::default() });
        c.feed(0, b"AB");
        c.feed(10, b"CD");
        c.handle_timeout(59);
        assert!(c.poll_event().is_none());
        c.handle_timeout(60);
        assert_eq!(events(&mut c), [code("ABCD")]);
    }

    #[test]
    fn prefix_and_suffix_are_required_and_removed() {
        let config = Config { prefix: "\u{2}".into(), suffix: "\u{3}".into(), ..Config::default() };
        let mut c = core(config);
        c.feed(0, b"\x02CODE\x03\r");
        c.feed(10, b"CODE\x03\r");
        c.feed(20, b"\x02CODE2\r");
        assert_eq!(
            events(&mut c),
            [code("CODE"), Event::Rejected(ScanError::MissingPrefix), Event::Rejected(ScanError::MissingSuffix)]
        );
    }

    #[test]
    fn suffix_ends_the_scan_when_there_is_no_terminator() {
        let config = Config { terminator: Terminator::None, suffix: "\u{3}".into(), ..Config::default() };
        let mut c = core(config);
        c.feed(0, b"AB\x03CD\x03");
        assert_eq!(events(&mut c), [code("AB"), code("CD")]);
    }

    #[test]
    fn too_long_scan_is_dropped_up_to_its_terminator() {
        let mut c = core(Config { max_len: 8, ..Config::default() });
        c.feed(0, b"0123456789ABCDEF\rSHORT\r");
        assert_eq!(events(&mut c), [Event::Rejected(ScanError::TooLong { max: 8 }), code("SHORT")]);
    }

    #[test]
    fn garbage_is_rejected_with_its_reason() {
        let mut c = core(Config { repeat_window_ms: 0, ..Config::default() });
        c.feed(0, b"\x00\xff\xfe\r");
        c.feed(1, b"AB\xC3\r");
        c.feed(2, b"A\x1bB\r");
        c.feed(3, "x\u{85}y\r".as_bytes());
        c.feed(4, b"   \r");
        assert_eq!(
            events(&mut c),
            [
                Event::Rejected(ScanError::InvalidUtf8 { valid_up_to: 1 }),
                Event::Rejected(ScanError::InvalidUtf8 { valid_up_to: 2 }),
                Event::Rejected(ScanError::ControlChar { code: 0x1B, offset: 1 }),
                Event::Rejected(ScanError::ControlChar { code: 0x85, offset: 1 }),
                Event::Rejected(ScanError::Empty),
            ]
        );
    }

    #[test]
    fn noise_that_stops_is_reported_as_noise_not_as_half_scan() {
        let mut c = core(Config { inter_char_timeout_ms: 10, ..Config::default() });
        c.feed(0, b"\xff\x00\xf8");
        c.handle_timeout(10);
        assert_eq!(events(&mut c), [Event::Rejected(ScanError::InvalidUtf8 { valid_up_to: 0 })]);
    }

    #[test]
    fn vietnamese_utf8_and_aim_identifiers_pass() {
        let mut c = core(Config { aim: AimMode::Strip, ..Config::default() });
        c.feed(0, "]Q1Nguyễn Văn A\r".as_bytes());
        assert_eq!(
            events(&mut c),
            [Event::Code(ScannedCode { text: "Nguyễn Văn A".into(), symbology: Some("QR".into()) })]
        );
    }

    #[test]
    fn fast_repeat_is_one_scan_and_a_later_one_is_new() {
        let mut c = core(Config::default());
        c.feed(0, b"X1\r");
        c.feed(400, b"X1\r");
        c.feed(700, b"Y2\r");
        c.feed(5_000, b"X1\r");
        assert_eq!(events(&mut c), [code("X1"), code("Y2"), code("X1")]);
        assert_eq!(c.stats().repeats_suppressed, 1);
    }

    #[test]
    fn disconnect_mid_scan_is_a_half_scan() {
        let mut c = core(Config::default());
        c.feed(0, b"000.00");
        c.handle_disconnect(1);
        assert_eq!(events(&mut c), [Event::Rejected(ScanError::HalfScan { len: 6 })]);
        assert_eq!(c.stats().half_scans, 1);
    }
}

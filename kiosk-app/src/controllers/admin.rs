//! The kiosk's admin screen gate: a hidden gesture opens a PIN pad, and the PIN (checked
//! against a hash in the kiosk configuration) opens the admin screen (printer test, restart).
//!
//! Citizens must not get out of the kiosk: there is no visible admin button, the gesture is
//! five taps on the top-left corner within three seconds, and wrong PINs lock the pad — three
//! wrong PINs lock it for 60 s, every further lockout doubles, up to 15 minutes. Time is passed
//! in, so the rules are tested without waiting.

use std::time::{Duration, Instant};

/// Taps on the corner that open the PIN pad.
pub const SECRET_TAPS: usize = 5;
/// Within this time.
pub const SECRET_WINDOW: Duration = Duration::from_secs(3);
/// Wrong PINs before a lockout.
pub const TRIES: u32 = 3;
/// The first lockout; each further one doubles.
pub const FIRST_LOCKOUT: Duration = Duration::from_secs(60);
/// The longest lockout.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);

/// The officer id under which the admin PIN is hashed: `motcua officer-pin kiosk-admin PIN`
/// prints the value for `[admin] pin_sha256`.
pub const ADMIN_ID: &str = "kiosk-admin";

/// Recognises the hidden gesture: [`SECRET_TAPS`] taps on the corner within [`SECRET_WINDOW`].
#[derive(Debug, Default, Clone)]
pub struct SecretTaps {
    taps: Vec<Instant>,
}

impl SecretTaps {
    /// A tap on the corner at `now`; `true` when it completes the gesture (which then starts over).
    pub fn tap(&mut self, now: Instant) -> bool {
        self.taps.retain(|t| now.saturating_duration_since(*t) <= SECRET_WINDOW);
        self.taps.push(now);
        if self.taps.len() >= SECRET_TAPS {
            self.taps.clear();
            return true;
        }
        false
    }

    /// A tap anywhere else breaks the sequence.
    pub fn reset(&mut self) {
        self.taps.clear();
    }
}

/// What a PIN attempt gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlock {
    /// Right PIN: show the admin screen.
    Granted,
    /// Wrong PIN; this many tries are left before a lockout.
    Wrong {
        /// Tries left.
        left: u32,
    },
    /// Locked: try again after this long (the PIN was not even checked).
    Locked {
        /// Time left.
        remaining: Duration,
    },
    /// No admin PIN is configured: the admin screen can't be opened from the touchscreen.
    Disabled,
}

/// The PIN check with its lockout.
#[derive(Debug, Clone)]
pub struct AdminGate {
    pin_sha256: Option<String>,
    wrong: u32,
    lockouts: u32,
    locked_until: Option<Instant>,
}

impl AdminGate {
    /// A gate for the configured PIN hash (`None` or empty: the admin screen is off).
    pub fn new(pin_sha256: Option<&str>) -> AdminGate {
        let pin_sha256 = pin_sha256.map(str::trim).filter(|h| !h.is_empty()).map(str::to_ascii_lowercase);
        AdminGate { pin_sha256, wrong: 0, lockouts: 0, locked_until: None }
    }

    /// Whether an admin PIN is configured.
    pub fn enabled(&self) -> bool {
        self.pin_sha256.is_some()
    }

    /// How long the pad is still locked at `now`, if it is.
    pub fn locked_for(&self, now: Instant) -> Option<Duration> {
        self.locked_until.map(|u| u.saturating_duration_since(now)).filter(|d| !d.is_zero())
    }

    /// Check a PIN at `now`.
    pub fn try_pin(&mut self, pin: &str, now: Instant) -> Unlock {
        let Some(expected) = &self.pin_sha256 else { return Unlock::Disabled };
        if let Some(remaining) = self.locked_for(now) {
            return Unlock::Locked { remaining };
        }
        let ok = {
            use subtle::ConstantTimeEq as _;
            let given = motcua_hub::config::pin_hash(ADMIN_ID, pin);
            bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
        };
        if ok {
            self.wrong = 0;
            self.lockouts = 0;
            self.locked_until = None;
            tracing::info!("admin screen opened");
            return Unlock::Granted;
        }
        self.wrong += 1;
        tracing::warn!(wrong = self.wrong, "wrong admin PIN");
        if self.wrong >= TRIES {
            self.wrong = 0;
            let factor = 1u32 << self.lockouts.min(10);
            let lock = FIRST_LOCKOUT.saturating_mul(factor).min(MAX_LOCKOUT);
            self.lockouts = self.lockouts.saturating_add(1);
            self.locked_until = Some(now + lock);
            tracing::warn!(seconds = lock.as_secs(), "admin PIN pad locked");
            return Unlock::Locked { remaining: lock };
        }
        Unlock::Wrong { left: TRIES - self.wrong }
    }
}

/// The citizen-facing (well, staff-facing) text of an attempt, Vietnamese then English.
pub fn unlock_message(u: Unlock) -> (String, String) {
    match u {
        Unlock::Granted => (String::new(), String::new()),
        Unlock::Wrong { left } => {
            let tries = if left == 1 { "try" } else { "tries" };
            (format!("Mã PIN không đúng. Còn {left} lần thử."), format!("Wrong PIN. {left} {tries} left."))
        }
        Unlock::Locked { remaining } => {
            let secs = remaining.as_secs().max(1);
            (
                format!("Nhập sai quá nhiều lần. Vui lòng thử lại sau {secs} giây."),
                format!("Too many wrong PINs. Try again in {secs} s."),
            )
        }
        Unlock::Disabled => (
            "Chưa cấu hình mã PIN quản trị ([admin] pin_sha256).".to_owned(),
            "No admin PIN is configured ([admin] pin_sha256).".to_owned(),
        ),
    }
}

/// What the admin screen shows after the PIN: one line per device or service, bilingual (the
/// screen is for staff; the lines are the same in both UI languages), and the outcome of the
/// last action (`true`: it failed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdminView {
    /// "Máy in / Printer: …", "Máy chủ hàng đợi / Queue hub: …", …
    pub status_lines: Vec<String>,
    /// The last action's outcome and whether it failed.
    pub message: Option<(String, bool)>,
}

/// The printer's line: its name and status (`None`: it did not answer).
pub fn printer_line(name: &str, status: Option<&motcua_device::printer::PrinterStatus>) -> String {
    use motcua_device::printer::PaperLevel;
    let Some(s) = status else {
        return format!(
            "Máy in / Printer ({name}): không phản hồi — kiểm tra cáp và nguồn / not answering — check cable and power"
        );
    };
    let mut parts: Vec<&str> = Vec::new();
    match s.paper {
        PaperLevel::Ok => {}
        PaperLevel::NearEnd => parts.push("sắp hết giấy / paper near end"),
        PaperLevel::Out => parts.push("hết giấy / paper out"),
    }
    if s.cover_open {
        parts.push("nắp mở / cover open");
    }
    if s.cutter_error {
        parts.push("lỗi dao cắt / cutter error");
    }
    if parts.is_empty() {
        parts.push(if s.online { "sẵn sàng / ready" } else { "không sẵn sàng / offline" });
    }
    format!("Máy in / Printer ({name}): {}", parts.join(", "))
}

/// The hub's line: how many fields its catalog has, or why it did not answer.
pub fn hub_line(catalog: Result<usize, &str>) -> String {
    match catalog {
        Ok(n) => format!("Máy chủ hàng đợi / Queue hub: kết nối tốt, {n} lĩnh vực / connected, {n} fields"),
        Err(_) => {
            "Máy chủ hàng đợi / Queue hub: mất kết nối — kiểm tra mạng / unreachable — check the network".to_owned()
        }
    }
}

/// The CCCD step's line.
pub fn identify_line(enabled: bool) -> String {
    if enabled {
        "Đầu đọc CCCD / ID card reader: đang dùng / in use".to_owned()
    } else {
        "Đầu đọc CCCD / ID card reader: không dùng / not used".to_owned()
    }
}

/// The admin test ticket: every Vietnamese letter, a QR code and a cut, so one look at the
/// paper shows the font, the code and the cutter work.
pub fn test_ticket(paper: motcua_device::ticket::PaperWidth, printed_at: &str) -> motcua_device::ticket::TicketDoc {
    use motcua_device::ticket::{Align, Block, TextStyle, TicketDoc};
    let (upper, lower) = crate::printcmd::vietnamese_letters();
    let mut doc = TicketDoc::new(paper);
    doc.push_text("PHIẾU IN THỬ / PRINTER TEST", TextStyle::PLAIN.with_bold(true).with_align(Align::Center));
    doc.push_text(printed_at, TextStyle::PLAIN.with_align(Align::Center));
    doc.push_text(&upper, TextStyle::PLAIN);
    doc.push_text(&lower, TextStyle::PLAIN);
    doc.push_qr("motcua printer test", 4);
    doc.push(Block::Feed { lines: 3 });
    doc.push(Block::Cut);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> AdminGate {
        AdminGate::new(Some(&motcua_hub::config::pin_hash(ADMIN_ID, "246810")))
    }

    #[test]
    fn five_quick_corner_taps_open_the_pad_and_slow_ones_do_not() {
        let t0 = Instant::now();
        let mut s = SecretTaps::default();
        for i in 0..4 {
            assert!(!s.tap(t0 + Duration::from_millis(300 * i)));
        }
        assert!(s.tap(t0 + Duration::from_millis(1500)));
        // Starts over after a success.
        assert!(!s.tap(t0 + Duration::from_millis(1600)));
        let mut slow = SecretTaps::default();
        for i in 0..10 {
            assert!(!slow.tap(t0 + Duration::from_millis(900 * i)), "tap {i} spread over 9 s");
        }
        let mut broken = SecretTaps::default();
        for i in 0..3 {
            broken.tap(t0 + Duration::from_millis(100 * i));
        }
        broken.reset();
        assert!(!broken.tap(t0 + Duration::from_millis(400)));
        assert!(!broken.tap(t0 + Duration::from_millis(500)));
    }

    #[test]
    fn the_right_pin_opens_and_resets_the_count() {
        let t0 = Instant::now();
        let mut g = gate();
        assert_eq!(g.try_pin("111111", t0), Unlock::Wrong { left: 2 });
        assert_eq!(g.try_pin("246810", t0), Unlock::Granted);
        assert_eq!(g.try_pin("111111", t0), Unlock::Wrong { left: 2 });
    }

    #[test]
    fn three_wrong_pins_lock_the_pad_and_lockouts_grow() {
        let t0 = Instant::now();
        let mut g = gate();
        assert_eq!(g.try_pin("1", t0), Unlock::Wrong { left: 2 });
        assert_eq!(g.try_pin("2", t0), Unlock::Wrong { left: 1 });
        assert_eq!(g.try_pin("3", t0), Unlock::Locked { remaining: FIRST_LOCKOUT });
        // Even the right PIN is not checked while locked.
        assert!(matches!(g.try_pin("246810", t0 + Duration::from_secs(59)), Unlock::Locked { .. }));
        let t1 = t0 + Duration::from_secs(61);
        assert_eq!(g.locked_for(t1), None);
        for pin in ["4", "5"] {
            assert!(matches!(g.try_pin(pin, t1), Unlock::Wrong { .. }));
        }
        assert_eq!(g.try_pin("6", t1), Unlock::Locked { remaining: FIRST_LOCKOUT * 2 });
        // Capped.
        let mut t = t1;
        for _ in 0..10 {
            t += MAX_LOCKOUT + Duration::from_secs(1);
            g.try_pin("7", t);
            g.try_pin("8", t);
            g.try_pin("9", t);
        }
        assert_eq!(g.locked_for(t), Some(MAX_LOCKOUT));
        assert_eq!(g.try_pin("246810", t + MAX_LOCKOUT), Unlock::Granted);
    }

    #[test]
    fn without_a_configured_pin_the_admin_screen_stays_closed() {
        let mut g = AdminGate::new(None);
        assert!(!g.enabled());
        assert_eq!(g.try_pin("", Instant::now()), Unlock::Disabled);
        assert_eq!(AdminGate::new(Some("  ")).try_pin("0000", Instant::now()), Unlock::Disabled);
    }

    #[test]
    fn status_lines_say_what_is_wrong() {
        use motcua_device::printer::{PaperLevel, PrinterStatus};
        let ok = PrinterStatus { online: true, paper: PaperLevel::Ok, cover_open: false, cutter_error: false };
        assert!(printer_line("TM-T82", Some(&ok)).ends_with("sẵn sàng / ready"));
        let bad = PrinterStatus { online: false, paper: PaperLevel::Out, cover_open: true, cutter_error: false };
        let line = printer_line("TM-T82", Some(&bad));
        assert!(line.contains("hết giấy") && line.contains("nắp mở") && !line.contains("sẵn sàng"), "{line}");
        assert!(printer_line("x", None).contains("không phản hồi"));
        assert!(hub_line(Ok(4)).contains("4 lĩnh vực"));
        assert!(hub_line(Err("timeout")).contains("mất kết nối"));
    }

    #[test]
    fn messages_are_vietnamese_first() {
        let (vi, en) = unlock_message(Unlock::Wrong { left: 1 });
        assert_eq!(vi, "Mã PIN không đúng. Còn 1 lần thử.");
        assert_eq!(en, "Wrong PIN. 1 try left.");
        let (vi, _) = unlock_message(Unlock::Locked { remaining: Duration::from_secs(60) });
        assert!(vi.contains("60 giây"));
    }
}

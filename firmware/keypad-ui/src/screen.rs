//! What the display shows, as a value: the [`Screen`] the keypad state machine computes and
//! [`crate::draw`] paints. It owns its data, so the firmware keeps the last screen it drew and
//! repaints (about 25 ms of I2C) only when the new one differs.

use motcua_keypad_proto::{DisplayText, FirmwareVersion, ProtoVersion};

use crate::keypad::LINES;

/// Text rows below a header (the 128x64 OLED holds four 16-px rows).
pub const BODY_ROWS: usize = 3;

/// Rating labels shown per page at most (fewer when a label needs two rows).
pub const LABELS_PER_PAGE: usize = 3;

/// The firmware's own words (everything else on screen comes from the host or the labels).
pub mod text {
    /// Start screen title.
    pub const CONNECTING: &str = "Đang kết nối";
    /// Start screen, second row.
    pub const CONNECTING_2: &str = "máy chủ...";
    /// Start screen: "keys" after the key count.
    pub const KEYS: &str = "phím";
    /// Link-lost title.
    pub const LINK_LOST: &str = "Mất kết nối";
    /// Link-lost rows.
    pub const LINK_LOST_2: &str = "Đang kết nối lại";
    /// Link-lost rows.
    pub const LINK_LOST_3: &str = "Xin chờ giây lát";
    /// Version screen title.
    pub const VERSION: &str = "Lỗi phiên bản";
    /// Version screen: the host's protocol.
    pub const VERSION_HOST: &str = "Máy chủ: v";
    /// Version screen: ours.
    pub const VERSION_OURS: &str = "Bàn phím: v";
    /// Version screen: what to do.
    pub const VERSION_FIX: &str = "Cần cập nhật";
    /// Host screen with no text yet.
    pub const READY: &str = "Sẵn sàng";
    /// Rating prompt title.
    pub const RATE: &str = "Xin đánh giá";
    /// Thank-you title.
    pub const THANKS: &str = "Cảm ơn ông/bà!";
    /// Thank-you, before the chosen label.
    pub const RECORDED: &str = "Đã ghi nhận:";

    /// Every fixed string, for the glyph-coverage test.
    pub const ALL: [&str; 15] = [
        CONNECTING,
        CONNECTING_2,
        KEYS,
        LINK_LOST,
        LINK_LOST_2,
        LINK_LOST_3,
        VERSION,
        VERSION_HOST,
        VERSION_OURS,
        VERSION_FIX,
        READY,
        RATE,
        THANKS,
        RECORDED,
        "0123456789s,/.:?",
    ];
}

/// One screen; see the variants for their layout.
// No heap on the keypad: the host variant carries its 4 x 64 bytes inline, on purpose.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Boot, no host yet: title, firmware version and key count.
    Connecting {
        /// Our firmware version.
        version: FirmwareVersion,
        /// Our key count.
        keys: u8,
    },
    /// The host was there and went silent.
    LinkLost,
    /// The host speaks another protocol major version.
    VersionMismatch {
        /// The host's protocol version.
        host: ProtoVersion,
    },
    /// The host's lines: line 0 as an inverted title bar, lines 1–3 below, each centred
    /// (left-aligned and clipped when wider than the screen, 16 characters).
    Host {
        /// The lines (a copy, so the firmware can keep the screen it last drew).
        lines: [DisplayText; LINES],
    },
    /// The rating prompt: title with the seconds left in a badge, then the labels numbered by key, a page
    /// of up to three rows at a time (a label too wide for one row wraps onto a second).
    RatingPrompt {
        /// Labels, leftmost key first.
        labels: &'static [&'static str],
        /// Page counter (increments every page period; the page shown is this modulo the pages).
        page: usize,
        /// Seconds left in the window.
        remaining_s: u16,
    },
    /// The thank-you with the rating given.
    Thanks {
        /// Label of the key pressed.
        label: &'static str,
    },
}

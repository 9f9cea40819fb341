//! Sans-IO decoder for everything an ESC/POS printer sends back, framed from one byte stream.
//!
//! Implements (ESCPOS.md §3, Epson ESC/POS reference):
//! * `DLE EOT n` replies, n = 1..4: one byte `0xx1xx10`. The byte does not say which `n` it
//!   answers, so the decoder must be told what was asked ([`StatusDecoder::expect`]); real-time
//!   replies overtake buffered data, so they are matched to the oldest *real-time* request.
//! * `GS a` automatic status back: 4 bytes, the first `0xx1xx00`, the others `0xx0xxxx`; pushed
//!   by the printer unasked.
//! * `GS r 1/2` replies: one byte `0xx0xxxx`, matched to the oldest in-band request (they are
//!   answered in sequence, after everything sent before them).
//! * `GS ( H` fn 48 process-ID replies: `37 22 d1 d2 d3 d4 00`, unasked as far as framing goes.
//! * Kiosk full status (`DLE EOT 20` → `10 0F` + 4 bytes), only while one is expected (a lone
//!   `10` is also a valid ASB first byte). Its bit layout comes from Custom OEM manuals
//!   (KPM150 / KPM-216) and is **not confirmed** for the VKP80 family.
//!
//! Anything else — a reply nobody asked for, noise, a torn frame — is counted
//! ([`StatusDecoder::skipped_bytes`]) and skipped one byte at a time, so the decoder resyncs on
//! the next valid frame. It never panics and never buffers more than one frame.
//!
//! Does not implement: Epson's extended `DLE EOT 7/8/18`, ASB extended (`GS ( E`), or the
//! timeouts (a transport's job: call [`StatusDecoder::forget_expectations`] when it gives up).

use std::collections::VecDeque;

use motcua_device::printer::PaperLevel;

/// A status request the host sent; tells the decoder how to read the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Request {
    /// `DLE EOT 1`: printer status.
    PrinterStatus,
    /// `DLE EOT 2`: offline cause.
    OfflineCause,
    /// `DLE EOT 3`: error cause.
    ErrorCause,
    /// `DLE EOT 4`: roll paper sensor.
    RollPaper,
    /// `GS r 1`: paper sensor, in sequence (a barrier).
    PaperSensor,
    /// `GS r 2`: drawer kick connector, in sequence.
    Drawer,
    /// `DLE EOT 20`: kiosk printers' full status.
    FullStatus,
}

impl Request {
    /// The bytes that ask for it.
    pub fn bytes(self) -> [u8; 3] {
        match self {
            Request::PrinterStatus => [0x10, 0x04, 1],
            Request::OfflineCause => [0x10, 0x04, 2],
            Request::ErrorCause => [0x10, 0x04, 3],
            Request::RollPaper => [0x10, 0x04, 4],
            Request::PaperSensor => [0x1D, 0x72, 1],
            Request::Drawer => [0x1D, 0x72, 2],
            Request::FullStatus => [0x10, 0x04, 0x14],
        }
    }

    /// Answered at once, ahead of buffered data.
    pub fn is_realtime(self) -> bool {
        !matches!(self, Request::PaperSensor | Request::Drawer)
    }
}

/// `GS a` automatic status back block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AutoStatus {
    /// Printer online.
    pub online: bool,
    /// Cover open.
    pub cover_open: bool,
    /// Paper is being fed by the feed button.
    pub feed_button: bool,
    /// Auto-cutter error.
    pub cutter_error: bool,
    /// Unrecoverable error.
    pub unrecoverable_error: bool,
    /// Automatically recoverable error (e.g. head overheat).
    pub auto_recoverable_error: bool,
    /// Roll paper near end.
    pub near_end: bool,
    /// Roll paper end.
    pub paper_out: bool,
    /// The four bytes as received.
    pub raw: [u8; 4],
}

/// One decoded message from the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusEvent {
    /// `DLE EOT 1` reply.
    Printer {
        /// Not offline (bit 3 clear).
        online: bool,
        /// Waiting for online recovery (bit 5).
        waiting_recovery: bool,
        /// Feed button pressed (bit 6).
        feed_button: bool,
    },
    /// `DLE EOT 2` reply.
    OfflineCause {
        /// Cover open (bit 2).
        cover_open: bool,
        /// Paper fed by the feed button (bit 3).
        feed_button: bool,
        /// Printing stopped by paper end (bit 5).
        paper_end_stop: bool,
        /// An error occurred (bit 6).
        error: bool,
    },
    /// `DLE EOT 3` reply.
    ErrorCause {
        /// Recoverable error (bit 2).
        recoverable: bool,
        /// Auto-cutter error (bit 3).
        cutter: bool,
        /// Unrecoverable error (bit 5).
        unrecoverable: bool,
        /// Automatically recoverable error (bit 6).
        auto_recoverable: bool,
    },
    /// `DLE EOT 4` reply (bits 2–3 near end, bits 5–6 paper end).
    RollPaper {
        /// Near end.
        near_end: bool,
        /// Paper end.
        paper_out: bool,
    },
    /// `GS r 1` reply: also proves everything sent before the request was processed.
    PaperSensor {
        /// Near end (bits 0–1).
        near_end: bool,
        /// Paper end (bits 2–3).
        paper_out: bool,
    },
    /// `GS r 2` reply.
    Drawer {
        /// Drawer kick connector pin 3 high (bit 0).
        pin_high: bool,
    },
    /// `GS a` automatic status back.
    Automatic(AutoStatus),
    /// `GS ( H` process ID: everything before it has printed.
    ProcessIdCompleted([u8; 4]),
    /// Kiosk full status (`10 0F` + 4 bytes; layout unconfirmed, see module docs).
    FullStatus {
        /// Paper end (first byte, bit 0).
        paper_out: bool,
        /// Near end (first byte, bit 2).
        near_end: bool,
        /// Ticket present in the presenter's output (first byte, bit 5).
        ticket_present: bool,
        /// The four status bytes as received.
        raw: [u8; 4],
    },
}

/// What the decoder has learnt so far about the printer (`None` = never reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PrinterState {
    /// Online.
    pub online: Option<bool>,
    /// Cover open.
    pub cover_open: Option<bool>,
    /// Paper supply.
    pub paper: Option<PaperLevel>,
    /// Auto-cutter error.
    pub cutter_error: Option<bool>,
    /// Recoverable error (includes automatically recoverable ones).
    pub recoverable_error: Option<bool>,
    /// Unrecoverable error.
    pub unrecoverable_error: Option<bool>,
}

fn paper(near_end: bool, out: bool) -> PaperLevel {
    if out {
        PaperLevel::Out
    } else if near_end {
        PaperLevel::NearEnd
    } else {
        PaperLevel::Ok
    }
}

/// The decoder. Feed it every byte read from the printer; take events out with
/// [`StatusDecoder::poll_event`].
#[derive(Debug, Default)]
pub struct StatusDecoder {
    buf: VecDeque<u8>,
    pending: VecDeque<Request>,
    events: VecDeque<StatusEvent>,
    skipped: u64,
    state: PrinterState,
}

const BIT: fn(u8, u8) -> bool = |b, n| b & (1 << n) != 0;

impl StatusDecoder {
    /// A decoder expecting nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `request` was sent, so its reply can be told apart.
    pub fn expect(&mut self, request: Request) {
        self.pending.push_back(request);
    }

    /// Requests still waiting for a reply.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Drops every expectation (after a timeout or a reconnect); bytes of late replies will
    /// then be skipped instead of being read as answers to the wrong request.
    pub fn forget_expectations(&mut self) {
        self.pending.clear();
    }

    /// Bytes skipped because they formed no expected frame.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped
    }

    /// Everything learnt so far.
    pub fn state(&self) -> PrinterState {
        self.state
    }

    /// Puts bytes received from the printer into the decoder.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend(bytes);
        self.parse();
    }

    /// The next decoded event, oldest first.
    pub fn poll_event(&mut self) -> Option<StatusEvent> {
        self.events.pop_front()
    }

    fn take_pending(&mut self, pred: impl Fn(Request) -> bool) -> Option<Request> {
        let i = self.pending.iter().position(|&r| pred(r))?;
        self.pending.remove(i)
    }

    fn skip(&mut self) {
        self.buf.pop_front();
        self.skipped += 1;
    }

    fn parse(&mut self) {
        while let Some(&b0) = self.buf.front() {
            let at = |i: usize| self.buf.get(i).copied();
            // Process ID: 37 22 d1 d2 d3 d4 00.
            if b0 == 0x37 {
                match (at(1), at(6)) {
                    (None, _) => return,
                    (Some(0x22), None) => return,
                    (Some(0x22), Some(0x00)) => {
                        let id = [at(2), at(3), at(4), at(5)].map(|b| b.unwrap_or(0));
                        self.buf.drain(..7);
                        self.emit(StatusEvent::ProcessIdCompleted(id));
                    }
                    _ => self.skip(),
                }
                continue;
            }
            // Kiosk full status, only while one is expected.
            if b0 == 0x10 && self.pending.contains(&Request::FullStatus) {
                match at(1) {
                    None => return,
                    Some(0x0F) => {
                        if self.buf.len() < 6 {
                            return;
                        }
                        let raw = [at(2), at(3), at(4), at(5)].map(|b| b.unwrap_or(0));
                        self.buf.drain(..6);
                        self.take_pending(|r| r == Request::FullStatus);
                        self.emit(StatusEvent::FullStatus {
                            paper_out: BIT(raw[0], 0),
                            near_end: BIT(raw[0], 2),
                            ticket_present: BIT(raw[0], 5),
                            raw,
                        });
                        continue;
                    }
                    Some(_) => {} // fall through: maybe an ASB block
                }
            }
            if b0 & 0x93 == 0x12 {
                // DLE EOT reply 0xx1xx10.
                let req = self.take_pending(|r| r.is_realtime() && r != Request::FullStatus);
                match req {
                    Some(r) => {
                        self.buf.pop_front();
                        self.emit(realtime_event(r, b0));
                    }
                    None => self.skip(),
                }
            } else if b0 & 0x93 == 0x10 {
                // ASB 0xx1xx00 + three 0xx0xxxx bytes.
                let tail: Vec<u8> = self.buf.iter().skip(1).take(3).copied().collect();
                if tail.iter().any(|b| b & 0x90 != 0) {
                    self.skip();
                    continue;
                }
                if tail.len() < 3 {
                    return;
                }
                let raw = [b0, tail[0], tail[1], tail[2]];
                self.buf.drain(..4);
                self.emit(StatusEvent::Automatic(AutoStatus {
                    online: !BIT(raw[0], 3),
                    cover_open: BIT(raw[0], 5),
                    feed_button: BIT(raw[0], 6),
                    cutter_error: BIT(raw[1], 2),
                    unrecoverable_error: BIT(raw[1], 3),
                    auto_recoverable_error: BIT(raw[1], 5),
                    near_end: raw[2] & 0x03 != 0,
                    paper_out: raw[2] & 0x0C != 0,
                    raw,
                }));
            } else if b0 & 0x90 == 0 {
                // GS r reply 0xx0xxxx.
                match self.take_pending(|r| !r.is_realtime()) {
                    Some(Request::Drawer) => {
                        self.buf.pop_front();
                        self.emit(StatusEvent::Drawer { pin_high: BIT(b0, 0) });
                    }
                    Some(_) => {
                        self.buf.pop_front();
                        self.emit(StatusEvent::PaperSensor { near_end: b0 & 0x03 != 0, paper_out: b0 & 0x0C != 0 });
                    }
                    None => self.skip(),
                }
            } else {
                self.skip();
            }
        }
    }

    fn emit(&mut self, ev: StatusEvent) {
        let s = &mut self.state;
        match ev {
            StatusEvent::Printer { online, .. } => s.online = Some(online),
            StatusEvent::OfflineCause { cover_open, paper_end_stop, .. } => {
                s.cover_open = Some(cover_open);
                if paper_end_stop {
                    s.paper = Some(PaperLevel::Out);
                }
            }
            StatusEvent::ErrorCause { recoverable, cutter, unrecoverable, auto_recoverable } => {
                s.cutter_error = Some(cutter);
                s.recoverable_error = Some(recoverable || auto_recoverable);
                s.unrecoverable_error = Some(unrecoverable);
            }
            StatusEvent::RollPaper { near_end, paper_out } | StatusEvent::PaperSensor { near_end, paper_out } => {
                s.paper = Some(paper(near_end, paper_out));
            }
            StatusEvent::FullStatus { paper_out, near_end, .. } => s.paper = Some(paper(near_end, paper_out)),
            StatusEvent::Automatic(a) => {
                s.online = Some(a.online);
                s.cover_open = Some(a.cover_open);
                s.paper = Some(paper(a.near_end, a.paper_out));
                s.cutter_error = Some(a.cutter_error);
                s.unrecoverable_error = Some(a.unrecoverable_error);
                s.recoverable_error = Some(a.auto_recoverable_error);
            }
            StatusEvent::Drawer { .. } | StatusEvent::ProcessIdCompleted(_) => {}
        }
        self.events.push_back(ev);
    }
}

fn realtime_event(r: Request, b: u8) -> StatusEvent {
    match r {
        Request::OfflineCause => StatusEvent::OfflineCause {
            cover_open: BIT(b, 2),
            feed_button: BIT(b, 3),
            paper_end_stop: BIT(b, 5),
            error: BIT(b, 6),
        },
        Request::ErrorCause => StatusEvent::ErrorCause {
            recoverable: BIT(b, 2),
            cutter: BIT(b, 3),
            unrecoverable: BIT(b, 5),
            auto_recoverable: BIT(b, 6),
        },
        Request::RollPaper => StatusEvent::RollPaper { near_end: b & 0x0C != 0, paper_out: b & 0x60 != 0 },
        _ => StatusEvent::Printer { online: !BIT(b, 3), waiting_recovery: BIT(b, 5), feed_button: BIT(b, 6) },
    }
}

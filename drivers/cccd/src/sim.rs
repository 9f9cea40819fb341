//! A simulated CCCD chip: the card side of the eMRTD applet with BAC and 3DES secure
//! messaging, serving configurable files, for use as a
//! [`SimIdCardReader`](motcua_device::sim::SimIdCardReader) responder.
//!
//! It can misbehave on purpose: a wrong MAC or a truncated response on chosen READ BINARY
//! commands, `67 00` on reads longer than a limit, or refusing BAC.
//!
//! Does not implement: PACE, chip/active authentication, an SOD, DG2 content (add files
//! with [`SimCccdChip::with_file`]). Its "random" numbers are deterministic (SHA-1 of a
//! counter): it is a test twin, not a card.

use std::collections::BTreeMap;

use motcua_device::sim::ApduResponder;
use sha1::{Digest, Sha1};

use crate::proto::bac::{BacKey, chip_answer};
use crate::proto::dg13::{build_dg13, sample_fields};
use crate::proto::lds::build_dg1;
use crate::proto::sm::{Command, SecureChannel};

/// The synthetic citizen's TD1 MRZ from CCCD.md §3.1 (made-up data).
pub const SAMPLE_MRZ: &str =
    "IDVNM0990123459001099012345<<0\n9903159M2403155VNM<<<<<<<<<<<2\nNGUYEN<<VAN<A<<<<<<<<<<<<<<<<<";

/// EF.COM listing DG1, DG2, DG3, DG13, DG15, DG14 (the CCCD list, CCCD.md §2.1).
pub const SAMPLE_EF_COM: &[u8] = &[
    0x60, 0x18, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x37, 0x5F, 0x36, 0x06, 0x30, 0x34, 0x30, 0x30, 0x30, 0x30, 0x5C,
    0x06, 0x61, 0x75, 0x63, 0x6D, 0x6F, 0x6E,
];

/// Ways the simulated chip can misbehave.
#[derive(Debug, Clone, Default)]
pub struct Misbehaviour {
    /// 0-based READ BINARY commands whose response carries a wrong MAC.
    pub corrupt_mac_on_reads: Vec<u32>,
    /// 0-based READ BINARY commands whose response is cut short.
    pub truncate_reads: Vec<u32>,
    /// Answer `67 00` to READ BINARY asking for more than this (or for Le = 00).
    pub max_read: Option<u8>,
    /// Answer `6C xx` (protected) to READ BINARY asking for more than `xx`.
    pub wrong_length_hint: Option<u8>,
    /// Answer `63 00` to EXTERNAL AUTHENTICATE whatever the key.
    pub refuse_bac: bool,
}

/// The simulated chip.
pub struct SimCccdChip {
    key: BacKey,
    files: BTreeMap<u16, Vec<u8>>,
    misbehaviour: Misbehaviour,
    applet_selected: bool,
    rnd_icc: Option<[u8; 8]>,
    channel: Option<SecureChannel>,
    selected: Option<u16>,
    random_counter: u64,
    reads: u32,
}

impl std::fmt::Debug for SimCccdChip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCccdChip")
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .field("secure", &self.channel.is_some())
            .field("reads", &self.reads)
            .finish_non_exhaustive()
    }
}

const SW_OK: [u8; 2] = [0x90, 0x00];

impl SimCccdChip {
    /// A chip with no files that accepts `key` for BAC.
    pub fn new(key: BacKey) -> Self {
        Self {
            key,
            files: BTreeMap::new(),
            misbehaviour: Misbehaviour::default(),
            applet_selected: false,
            rnd_icc: None,
            channel: None,
            selected: None,
            random_counter: 0,
            reads: 0,
        }
    }

    /// The synthetic citizen of CCCD.md: EF.COM, DG1 from [`SAMPLE_MRZ`] and DG13 from
    /// [`sample_fields`].
    pub fn sample() -> Self {
        Self::new(BacKey::new("099012345", "990315", "240315"))
            .with_file(0x011E, SAMPLE_EF_COM.to_vec())
            .with_file(0x0101, build_dg1(SAMPLE_MRZ))
            .with_file(0x010D, build_dg13(&sample_fields()))
    }

    /// Adds or replaces a file.
    pub fn with_file(mut self, fid: u16, content: Vec<u8>) -> Self {
        self.files.insert(fid, content);
        self
    }

    /// Sets how the chip misbehaves.
    pub fn with_misbehaviour(mut self, m: Misbehaviour) -> Self {
        self.misbehaviour = m;
        self
    }

    /// Wraps the chip as a responder for the simulated reader.
    pub fn into_responder(mut self) -> ApduResponder {
        Box::new(move |apdu: &[u8]| self.respond(apdu))
    }

    fn random<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let mut filled = 0;
        while filled < N {
            self.random_counter += 1;
            let d = Sha1::digest(self.random_counter.to_be_bytes());
            for (o, b) in out.iter_mut().skip(filled).zip(d.iter()) {
                *o = *b;
                filled += 1;
            }
        }
        out
    }

    /// Answers one command APDU.
    pub fn respond(&mut self, apdu: &[u8]) -> Vec<u8> {
        if self.channel.is_some() {
            return self.respond_secure(apdu);
        }
        match apdu {
            [0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01] => {
                self.applet_selected = true;
                SW_OK.to_vec()
            }
            [0x00, 0x84, 0x00, 0x00, 0x08] if self.applet_selected => {
                let rnd: [u8; 8] = self.random();
                self.rnd_icc = Some(rnd);
                let mut r = rnd.to_vec();
                r.extend_from_slice(&SW_OK);
                r
            }
            [0x00, 0x82, 0x00, 0x00, 0x28, data @ .., 0x28] if data.len() == 40 => {
                let Some(rnd_icc) = self.rnd_icc.take() else { return vec![0x69, 0x85] };
                if self.misbehaviour.refuse_bac {
                    return vec![0x63, 0x00];
                }
                let k_icc: [u8; 16] = self.random();
                match chip_answer(&self.key, rnd_icc, k_icc, data) {
                    Ok((mut answer, channel)) => {
                        self.channel = Some(channel);
                        answer.extend_from_slice(&SW_OK);
                        answer
                    }
                    Err(_) => vec![0x63, 0x00],
                }
            }
            [_, 0xB0, ..] | [_, 0xA4, 0x02, ..] => vec![0x69, 0x82],
            _ => vec![0x6D, 0x00],
        }
    }

    fn respond_secure(&mut self, apdu: &[u8]) -> Vec<u8> {
        let Some(channel) = self.channel.as_mut() else { return vec![0x69, 0x88] };
        let cmd = match channel.unprotect_command(apdu) {
            Ok(c) => c,
            Err(_) => {
                // ICAO 9303-11 §9.8.4: an SM error ends the secure session.
                self.channel = None;
                return vec![0x69, 0x88];
            }
        };
        let (data, sw, read_index) = self.execute(&cmd);
        let Some(channel) = self.channel.as_mut() else { return vec![0x69, 0x88] };
        if sw == [0x67, 0x00] {
            channel.skip_response();
            return sw.to_vec();
        }
        let mut out = match channel.protect_response(&data, sw) {
            Ok(o) => o,
            Err(_) => return vec![0x6F, 0x00],
        };
        if let Some(i) = read_index {
            if self.misbehaviour.corrupt_mac_on_reads.contains(&i) {
                let n = out.len();
                if let Some(b) = out.get_mut(n.saturating_sub(3)) {
                    *b ^= 0x01;
                }
            }
            if self.misbehaviour.truncate_reads.contains(&i) {
                out.truncate(out.len() / 2);
            }
        }
        out
    }

    fn execute(&mut self, cmd: &Command) -> (Vec<u8>, [u8; 2], Option<u32>) {
        match (cmd.header, cmd.data.as_slice()) {
            ([0x00, 0xA4, 0x02, 0x0C], [hi, lo]) => {
                let fid = u16::from_be_bytes([*hi, *lo]);
                if self.files.contains_key(&fid) {
                    self.selected = Some(fid);
                    (Vec::new(), SW_OK, None)
                } else {
                    (Vec::new(), [0x6A, 0x82], None)
                }
            }
            ([0x00, 0xB0, p1, p2], []) if p1 & 0x80 == 0 => {
                let index = self.reads;
                self.reads += 1;
                let le = cmd.le.map_or(256, |l| if l == 0 { 256 } else { usize::from(l) });
                if self.misbehaviour.max_read.is_some_and(|m| le > usize::from(m)) {
                    return (Vec::new(), [0x67, 0x00], Some(index));
                }
                if let Some(xx) = self.misbehaviour.wrong_length_hint.filter(|x| le > usize::from(*x)) {
                    return (Vec::new(), [0x6C, xx], Some(index));
                }
                let Some(file) = self.selected.and_then(|f| self.files.get(&f)) else {
                    return (Vec::new(), [0x69, 0x86], Some(index));
                };
                let offset = usize::from(u16::from_be_bytes([p1, p2]));
                if offset > file.len() {
                    return (Vec::new(), [0x6B, 0x00], Some(index));
                }
                let end = (offset + le).min(file.len());
                (file.get(offset..end).unwrap_or_default().to_vec(), SW_OK, Some(index))
            }
            _ => (Vec::new(), [0x6D, 0x00], None),
        }
    }
}

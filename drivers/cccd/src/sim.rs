//! A simulated CCCD chip: the card side of the eMRTD applet with PACE-CAN (GM, brainpoolP256r1,
//! AES-128 secure messaging) and BAC (3DES secure messaging), serving EF.CardAccess by short
//! EF identifier and configurable files, for use as a
//! [`SimIdCardReader`](motcua_device::sim::SimIdCardReader) responder.
//!
//! [`SimCccdChip::sample`] serves the synthetic citizen: EF.COM, DG1, DG2 (a JPEG-shaped
//! image), DG13, DG14, DG15 and an EF.SOD signed by the deterministic
//! [`crate::test_pki::TestPki`], and answers chip authentication (ECDH-AES-128 on
//! brainpoolP256r1) with DG14's private key and active authentication (ECDSA P-256) with
//! DG15's; READ BINARY accepts extended Le.
//!
//! It can misbehave on purpose: a wrong MAC or a truncated response on chosen READ BINARY
//! commands, `67 00` on reads longer than a limit, refusing BAC, refusing PACE (`6A80` to
//! MSE:Set AT), a wrong PACE token, a clone without the CA or AA key, no extended length,
//! or an altered file byte after signing ([`SimCccdChip::with_altered_byte`]), or leaving the
//! reader after a number of APDUs ([`Misbehaviour::drop_after_apdus`]: in process the card is
//! pulled from the simulated reader, behind pcscd the vpcd socket is closed).
//!
//! Its ATR ([`SIM_ATR`]) announces extended Lc/Le in the card-capabilities historical bytes, so
//! a terminal that reads the ATR uses extended-length READ BINARY; with
//! [`Misbehaviour::no_extended_length`] it answers [`SIM_ATR_SHORT`] instead. [`crate::vpcd`]
//! puts the chip behind pcscd's virtual reader.
//!
//! Does not implement: RSA active authentication. Its "random" numbers are deterministic
//! (SHA-1 of a counter): it is a test twin, not a card.

use std::collections::BTreeMap;

use motcua_device::sim::{ApduResponder, SimIdCardReaderHandle};
use sha1::{Digest, Sha1};

use crate::proto::bac::{BacKey, chip_answer};
use crate::proto::dg2::{ImageFormat, build_dg2, synthetic_jpeg};
use crate::proto::dg13::{build_dg13, sample_fields};
use crate::proto::lds::{DataGroup, build_dg1};
use crate::test_pki::TestPki;

/// Size of the sample chip's synthetic face image.
pub const SAMPLE_DG2_IMAGE_LEN: usize = 2000;
use crate::proto::pace::{Can, PaceChip, Password};
use crate::proto::sm::{Command, SecureChannel};

/// EF.CardAccess of the CCCD (CCCD.md §2.1): TA info, CA info and the PACEInfo
/// id-PACE-ECDH-GM-AES-CBC-CMAC-128 version 2, parameters 13 (brainpoolP256r1).
pub const CCCD_CARD_ACCESS: &[u8] = &[
    0x31, 0x34, 0x30, 0x0D, 0x06, 0x08, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02, 0x01, 0x01, 0x30, 0x0F,
    0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02, 0x02, 0x01, 0x01, 0x30, 0x12, 0x06, 0x0A,
    0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02, 0x02, 0x01, 0x02, 0x02, 0x01, 0x0D,
];

/// The CAN of the synthetic citizen (last 6 digits of 001099012345).
pub const SAMPLE_CAN: &str = "012345";

/// The synthetic citizen's TD1 MRZ from CCCD.md §3.1 (made-up data).
pub const SAMPLE_MRZ: &str =
    "IDVNM0990123459001099012345<<0\n9903159M2403155VNM<<<<<<<<<<<2\nNGUYEN<<VAN<A<<<<<<<<<<<<<<<<<";

/// ATR of the simulated chip: T=0 and T=1, historical bytes `80 73 C0 21 40` (card
/// capabilities: selection by full and partial DF name, extended Lc and Le fields), TCK.
pub const SIM_ATR: &[u8] = &[0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0xC0, 0x21, 0x40, 0x56];

/// [`SIM_ATR`] without extended Lc/Le (card capabilities third byte `00`), for a chip with
/// [`Misbehaviour::no_extended_length`].
pub const SIM_ATR_SHORT: &[u8] = &[0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0xC0, 0x21, 0x00, 0x16];

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
    /// Answer `6A 80` to MSE:Set AT (a chip that refuses PACE).
    pub refuse_pace: bool,
    /// Send a wrong PACE token T_PICC.
    pub corrupt_pace_token: bool,
    /// A clone: run chip authentication with a private key that does not match DG14.
    pub clone_without_ca_key: bool,
    /// Answer `67 00` to READ BINARY with an extended Le (a card without extended length).
    pub no_extended_length: bool,
    /// A clone: sign INTERNAL AUTHENTICATE with a key that does not match DG15.
    pub clone_without_aa_key: bool,
    /// Leave the reader after answering this many command APDUs (counted over the chip's
    /// life, resets included): the next command gets no answer, as when the citizen lifts the
    /// card mid-read. See [`SimCccdChip::respond_or_leave`].
    pub drop_after_apdus: Option<u32>,
}

/// The simulated chip.
pub struct SimCccdChip {
    key: BacKey,
    can: Option<Can>,
    card_access: Option<Vec<u8>>,
    pace: Option<(PaceChip, u8)>,
    ca_private_key: Option<[u8; 32]>,
    aa_signer: Option<TestPki>,
    ca_selected: bool,
    pending_channel: Option<SecureChannel>,
    files: BTreeMap<u16, Vec<u8>>,
    misbehaviour: Misbehaviour,
    applet_selected: bool,
    rnd_icc: Option<[u8; 8]>,
    channel: Option<SecureChannel>,
    selected: Option<u16>,
    random_counter: u64,
    reads: u32,
    apdus: u32,
    left: bool,
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
            can: None,
            card_access: None,
            pace: None,
            ca_private_key: None,
            aa_signer: None,
            ca_selected: false,
            pending_channel: None,
            files: BTreeMap::new(),
            misbehaviour: Misbehaviour::default(),
            applet_selected: false,
            rnd_icc: None,
            channel: None,
            selected: None,
            random_counter: 0,
            reads: 0,
            apdus: 0,
            left: false,
        }
    }

    /// The synthetic citizen of CCCD.md: PACE with [`SAMPLE_CAN`] ([`CCCD_CARD_ACCESS`]), BAC,
    /// EF.COM, DG1 from [`SAMPLE_MRZ`], DG2 (a 2 KB JPEG-shaped image), DG13 from
    /// [`sample_fields`], DG14, DG15 and EF.SOD signed with [`TestPki::sample`].
    pub fn sample() -> Self {
        Self::sample_signed_by(&TestPki::sample())
    }

    /// [`SimCccdChip::sample`] with its SOD, DG14 and DG15 from `pki`.
    pub fn sample_signed_by(pki: &TestPki) -> Self {
        Self::sample_with_face(pki, SAMPLE_DG2_IMAGE_LEN)
    }

    /// [`SimCccdChip::sample_signed_by`] with a face image of `image_len` bytes (DG2 is a few
    /// dozen bytes longer); the SOD covers it.
    pub fn sample_with_face(pki: &TestPki, image_len: usize) -> Self {
        let dg1 = build_dg1(SAMPLE_MRZ);
        let dg2 = build_dg2(&synthetic_jpeg(image_len), ImageFormat::Jpeg, 240, 320);
        let dg13 = build_dg13(&sample_fields());
        let (dg14, dg15) = (pki.dg14(), pki.dg15());
        let sod = pki.sod(&[(1, &dg1), (2, &dg2), (13, &dg13), (14, &dg14), (15, &dg15)]);
        Self::new(BacKey::new("099012345", "990315", "240315"))
            .with_pace(Can::new(SAMPLE_CAN).ok(), Some(CCCD_CARD_ACCESS.to_vec()))
            .with_file(0x011E, SAMPLE_EF_COM.to_vec())
            .with_file(0x0101, dg1)
            .with_file(0x0102, dg2)
            .with_file(0x010D, dg13)
            .with_file(0x010E, dg14)
            .with_file(0x010F, dg15)
            .with_file(0x011D, sod)
            .with_chip_authentication(pki.ca_private_key)
            .with_active_authentication(pki.clone())
    }

    /// Sets the PKI whose active authentication key answers INTERNAL AUTHENTICATE.
    pub fn with_active_authentication(mut self, pki: TestPki) -> Self {
        self.aa_signer = Some(pki);
        self
    }

    /// Sets the chip authentication private key (matching DG14).
    pub fn with_chip_authentication(mut self, private_key: [u8; 32]) -> Self {
        self.ca_private_key = Some(private_key);
        self
    }

    /// Flips one bit of byte `offset` of file `fid` (after the SOD was signed): altered data.
    pub fn with_altered_byte(mut self, fid: u16, offset: usize) -> Self {
        if let Some(b) = self.files.get_mut(&fid).and_then(|f| f.get_mut(offset)) {
            *b ^= 0x01;
        }
        self
    }

    /// Flips one bit of the middle byte of data group `number` (1, 2, 13, 14 or 15) after the
    /// SOD was signed; no change for a data group the chip does not have.
    pub fn with_altered_data_group(self, number: u8) -> Self {
        match DataGroup::from_number(number) {
            Some(dg) => {
                let mid = self.files.get(&dg.fid()).map_or(0, |f| f.len() / 2);
                self.with_altered_byte(dg.fid(), mid)
            }
            None => self,
        }
    }

    /// Adds or replaces a file.
    pub fn with_file(mut self, fid: u16, content: Vec<u8>) -> Self {
        self.files.insert(fid, content);
        self
    }

    /// Sets the CAN for PACE and the EF.CardAccess served (`None`: no such file, BAC only).
    pub fn with_pace(mut self, can: Option<Can>, card_access: Option<Vec<u8>>) -> Self {
        self.can = can;
        self.card_access = card_access;
        self
    }

    /// Sets how the chip misbehaves.
    pub fn with_misbehaviour(mut self, m: Misbehaviour) -> Self {
        self.misbehaviour = m;
        self
    }

    /// Wraps the chip as a responder for the simulated reader. (It never leaves the reader:
    /// use [`SimCccdChip::insert_into`] for [`Misbehaviour::drop_after_apdus`].)
    pub fn into_responder(mut self) -> ApduResponder {
        Box::new(move |apdu: &[u8]| self.respond(apdu))
    }

    /// Puts the chip on a simulated reader with its [`SimCccdChip::atr`]. When it leaves
    /// ([`Misbehaviour::drop_after_apdus`]) it pulls itself off the reader, so the command in
    /// flight fails with `NoCard` as on a real reader.
    pub fn insert_into(self, reader: &SimIdCardReaderHandle) {
        let atr = self.atr();
        let mut chip = self;
        // The responder holds a handle on its own reader; the cycle ends when the card is
        // removed (by itself here, or by the caller).
        let handle = reader.clone();
        reader.insert_card(
            atr,
            Box::new(move |apdu: &[u8]| match chip.respond_or_leave(apdu) {
                Some(r) => r,
                None => {
                    handle.remove_card();
                    Vec::new()
                }
            }),
        );
    }

    /// The chip's ATR: [`SIM_ATR`], or [`SIM_ATR_SHORT`] without extended length.
    pub fn atr(&self) -> Vec<u8> {
        if self.misbehaviour.no_extended_length { SIM_ATR_SHORT.to_vec() } else { SIM_ATR.to_vec() }
    }

    /// A warm or cold reset (or power off): the secure channel, PACE state, the selected
    /// application and file are gone, as on a real chip. Files and misbehaviour stay.
    pub fn reset(&mut self) {
        self.pace = None;
        self.ca_selected = false;
        self.pending_channel = None;
        self.applet_selected = false;
        self.rnd_icc = None;
        self.channel = None;
        self.selected = None;
    }

    /// Answers one command APDU, or `None` when the chip has left the reader
    /// ([`Misbehaviour::drop_after_apdus`]): then and for every later command.
    pub fn respond_or_leave(&mut self, apdu: &[u8]) -> Option<Vec<u8>> {
        if self.misbehaviour.drop_after_apdus.is_some_and(|n| self.apdus >= n) {
            self.left = true;
        }
        if self.left {
            return None;
        }
        self.apdus += 1;
        Some(self.respond(apdu))
    }

    /// Whether the chip has left the reader.
    pub fn has_left(&self) -> bool {
        self.left
    }

    /// Command APDUs answered so far.
    pub fn apdus_answered(&self) -> u32 {
        self.apdus
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
            [0x00, 0xB0, 0x9C, 0x00, le] => match &self.card_access {
                Some(ca) => {
                    let n = if *le == 0 { 256 } else { usize::from(*le) };
                    let mut r = ca.get(..n.min(ca.len())).unwrap_or_default().to_vec();
                    r.extend_from_slice(&SW_OK);
                    r
                }
                None => vec![0x6A, 0x82],
            },
            [0x00, 0x22, 0xC1, 0xA4, ..] => self.mse_set_at(apdu),
            [0x00 | 0x10, 0x86, 0x00, 0x00, ..] => self.general_authenticate(apdu),
            [_, 0xB0, ..] | [_, 0xA4, 0x02, ..] => vec![0x69, 0x82],
            _ => vec![0x6D, 0x00],
        }
    }

    fn mse_set_at(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.pace = None;
        let Some(can) = self.can.as_ref() else { return vec![0x6A, 0x80] };
        if self.misbehaviour.refuse_pace {
            return vec![0x6A, 0x80];
        }
        let Ok(cmd) = Command::parse(apdu) else { return vec![0x67, 0x00] };
        let Some((0x80, oid, rest)) = crate::proto::lds::tlv(&cmd.data) else {
            return vec![0x6A, 0x80];
        };
        if oid != crate::proto::pace::ID_PACE_ECDH_GM_AES_128 || !rest.starts_with(&[0x83, 0x01, 0x02]) {
            return vec![0x6A, 0x80];
        }
        let k_pi = Password::Can(can).k_pi();
        let nonce: [u8; 16] = self.random();
        let map_sk: [u8; 32] = self.random();
        let eph_sk: [u8; 32] = self.random();
        match PaceChip::new(oid, k_pi, nonce, &map_sk, &eph_sk) {
            Ok(chip) => {
                self.pace = Some((chip, 0));
                SW_OK.to_vec()
            }
            Err(_) => vec![0x6F, 0x00],
        }
    }

    fn general_authenticate(&mut self, apdu: &[u8]) -> Vec<u8> {
        let Some((mut chip, step)) = self.pace.take() else { return vec![0x69, 0x85] };
        let Ok(cmd) = Command::parse(apdu) else { return vec![0x67, 0x00] };
        let last = cmd.header[0] == 0x00;
        let answer = match (step, last) {
            (0, false) if cmd.data == [0x7C, 0x00] => chip.encrypted_nonce().map(|r| (r, None)),
            (1, false) => chip.map(&cmd.data).map(|r| (r, None)),
            (2, false) => chip.key_agreement(&cmd.data).map(|r| (r, None)),
            (3, true) => chip.mutual_auth(&cmd.data).map(|(r, ch)| (r, Some(ch))),
            _ => return vec![0x69, 0x85],
        };
        match answer {
            Ok((mut r, channel)) => {
                if let Some(channel) = channel {
                    if let (true, Some(b)) = (self.misbehaviour.corrupt_pace_token, r.last_mut()) {
                        *b ^= 0x01;
                    }
                    self.channel = Some(channel);
                    self.applet_selected = false;
                } else {
                    self.pace = Some((chip, step + 1));
                }
                r.extend_from_slice(&SW_OK);
                r
            }
            Err(crate::Error::Authentication(_)) => vec![0x63, 0x00],
            Err(_) => vec![0x6A, 0x80],
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
        // Chip authentication: this response went out under the old keys; switch now.
        if let Some(next) = self.pending_channel.take() {
            self.channel = Some(next);
        }
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
            ([0x00, 0x22, 0x41, 0xA4], [0x80, 0x0A, oid @ ..]) => {
                self.ca_selected =
                    self.ca_private_key.is_some() && oid.get(..10) == Some(&crate::proto::dg14::ID_CA_ECDH_AES_128[..]);
                (Vec::new(), if self.ca_selected { SW_OK } else { [0x6A, 0x80] }, None)
            }
            ([0x00, 0x86, 0x00, 0x00], data) if self.ca_selected => {
                self.ca_selected = false;
                let Some(mut sk) = self.ca_private_key else { return (Vec::new(), [0x69, 0x85], None) };
                if self.misbehaviour.clone_without_ca_key {
                    sk = self.random();
                }
                match crate::proto::ca::chip_side(data, &sk) {
                    Ok((enc, mac)) => {
                        self.pending_channel = Some(SecureChannel::new_aes(enc, mac));
                        (vec![0x7C, 0x00], SW_OK, None)
                    }
                    Err(_) => (Vec::new(), [0x6A, 0x80], None),
                }
            }
            ([0x00, 0x88, 0x00, 0x00], challenge) if challenge.len() == 8 => match &self.aa_signer {
                Some(_) if self.misbehaviour.clone_without_aa_key => {
                    (TestPki::generate("clone", "TEST CSCA Clone").aa_sign(challenge), SW_OK, None)
                }
                Some(pki) => (pki.aa_sign(challenge), SW_OK, None),
                None => (Vec::new(), [0x6D, 0x00], None),
            },
            ([0x00, 0xA4, 0x04, 0x0C], [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]) => {
                self.applet_selected = true;
                (Vec::new(), SW_OK, None)
            }
            ([0x00, 0xA4, 0x02, 0x0C], [_, _]) if !self.applet_selected => (Vec::new(), [0x6A, 0x82], None),
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
                let le = cmd.le.unwrap_or(256);
                if self.misbehaviour.no_extended_length && le > 256 {
                    return (Vec::new(), [0x67, 0x00], Some(index));
                }
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

//! A card session over the [`IdCardReader`] seam, with the access state in its type.
//!
//! `Session<R, Plain>` can select the applet and run BAC; only `Session<R, Secure>` (reached by
//! [`Session::bac`]) can read data groups, so no code path reads personal data over an
//! unprotected channel. READ BINARY is sized adaptively: it starts at 0xDF bytes, and on
//! `67 00`, `62 82` (with no data) or `6C xx` it shrinks and carries on from the last byte it
//! got; a transient failure (timeout, a response that fails its MAC or is truncated) is retried
//! from the last good offset a bounded number of times. The working size is kept for the
//! session.
//!
//! Access control: [`Session::establish`] reads EF.CardAccess (short EF identifier 1C, no
//! applet selected) and, when it offers PACE-GM on brainpoolP256r1 with AES-128, runs PACE
//! with the CAN and selects the applet over the new AES channel; when EF.CardAccess is
//! absent, offers nothing this driver runs, or PACE fails for any reason other than the
//! reader, it selects the applet in the clear and runs BAC with the MRZ key (3DES), if one
//! was given. [`Session::pace`] and [`Session::bac`] run one method only.
//!
//! With [`Session::set_extended_read_size`] READ BINARY uses extended-length APDUs (far fewer
//! round trips for DG2) and falls back to short ones on `67 00` (to 4 KiB first, then 0xDF).
//! [`extended_read_size`] decides from the ATR and the reader's limit whether to. In extended
//! mode a file's first READ BINARY asks for the whole file at once instead of its 4-byte
//! TLV header first (one APDU per file instead of two); a chip that answers that with an
//! error status gets the header-first read, without shrinking the session's size.
//!
//! After passive authentication ([`Session::read_verified`]), clones are detected with
//! [`Session::chip_authenticate`] (DG14, new AES keys) or [`Session::active_authenticate`]
//! (DG15, ECDSA).
//!
//! Does not implement: odd-INS READ BINARY for offsets above 32767, re-running access control
//! after a card was removed (the caller starts a new session).

use motcua_device::id_card::{IdCardReader, split_status};

use crate::proto::aa::{internal_authenticate, verify_response};
use crate::proto::bac::{BacChallenge, BacKey, GET_CHALLENGE};
use crate::proto::ca::CaTerminal;
use crate::proto::der::{HashAlgorithm, PublicKey};
use crate::proto::dg2::{FaceImage, parse_dg2};
use crate::proto::dg13::Dg13;
use crate::proto::dg14::Dg14;
use crate::proto::dg14::parse_dg15;
use crate::proto::lds::{DataGroup, EfCom, encoded_len, parse_dg1};
use crate::proto::mrz::Mrz;
use crate::proto::pa::{PaVerdict, TrustStore, passive_authentication};
use crate::proto::pace::{Can, CardAccess, GA_NONCE, PaceTerminal, Password};
use crate::proto::sm::Cipher;
use crate::proto::sm::{Command, Response, SecureChannel};
use crate::proto::sod::Sod;
use crate::{Error, Result};

/// READ BINARY of EF.CardAccess by short EF identifier 1C (P1 = 0x80 | 0x1C), Le = 256.
pub const READ_CARD_ACCESS: [u8; 5] = [0x00, 0xB0, 0x9C, 0x00, 0x00];
/// Largest EF.CardAccess accepted (real ones are well under 256 bytes).
const MAX_CARD_ACCESS_LEN: usize = 2048;

/// SELECT the eMRTD application (AID A0000002471001), no response data.
pub const SELECT_EMRTD: [u8; 12] = [0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

/// First READ BINARY size: fits one short response under 3DES SM (CCCD.md §6).
pub const INITIAL_READ_SIZE: usize = 0xDF;
/// Fallback READ BINARY size after a `67 00`.
pub const FALLBACK_READ_SIZE: usize = 0xA0;
const MIN_READ_SIZE: usize = 0x20;
/// Largest READ BINARY size with extended length (leaves room for the SM objects in a
/// 64 KiB response).
pub const MAX_EXTENDED_READ_SIZE: usize = 0xFF00;
/// First step down from an extended size that the chip refuses with `67 00`: the I/O buffer
/// of many chips.
pub const EXTENDED_FALLBACK_READ_SIZE: usize = 0x1000;
/// Bytes a secure-messaging response adds around the data read (DO87 header and padding,
/// DO99, DO8E, SW), rounded up.
const SM_RESPONSE_OVERHEAD: usize = 64;

/// The READ BINARY size to pass to [`Session::set_extended_read_size`], or `None` for short
/// reads: extended length only when the card's ATR announces it (card capabilities,
/// `atr_extended_length`) and the reader does not report a smaller APDU limit
/// (`reader_max_apdu`: e.g. PC/SC `SCARD_ATTR_MAXINPUT`; `None` when the reader does not say,
/// then extended length is assumed to pass, as through pcscd's 64 KiB buffers).
pub fn extended_read_size(atr_extended_length: bool, reader_max_apdu: Option<usize>) -> Option<usize> {
    if !atr_extended_length {
        return None;
    }
    let size = match reader_max_apdu {
        None => MAX_EXTENDED_READ_SIZE,
        Some(max) => max.saturating_sub(SM_RESPONSE_OVERHEAD).min(MAX_EXTENDED_READ_SIZE),
    };
    (size > INITIAL_READ_SIZE).then_some(size)
}
/// Consecutive transient failures tolerated at one offset.
pub const MAX_RETRIES: u32 = 3;
/// Largest file this reader accepts (DG2 on CCCD is 10–25 KB).
pub const MAX_FILE_LEN: usize = 64 * 1024;

mod sealed {
    pub trait Sealed {}
}

/// The access state of a [`Session`].
pub trait State: sealed::Sealed {}

/// No access control yet: only the applet may be selected.
#[derive(Debug)]
pub struct Plain(());

/// BAC or PACE established: the secure channel.
#[derive(Debug)]
pub struct Secure(SecureChannel);

impl Secure {
    /// The cipher suite of the channel (3DES after BAC, AES-128 after PACE).
    pub fn cipher(&self) -> Cipher {
        self.0.cipher()
    }
}

impl sealed::Sealed for Plain {}
impl sealed::Sealed for Secure {}
impl State for Plain {}
impl State for Secure {}

/// Random input of BAC: RND.IFD and K.IFD. Must come from a CSPRNG (this crate has none, so
/// that tests can replay the ICAO vectors).
pub struct BacRandom {
    /// RND.IFD.
    pub rnd_ifd: [u8; 8],
    /// K.IFD.
    pub k_ifd: [u8; 16],
}

impl std::fmt::Debug for BacRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BacRandom(<redacted>)")
    }
}

/// Random input of PACE: the mapping and key-agreement private keys. Must come from a CSPRNG.
pub struct PaceRandom {
    /// Ephemeral private key of the Generic Mapping step.
    pub map_sk: [u8; 32],
    /// Ephemeral private key of the key agreement step.
    pub eph_sk: [u8; 32],
}

impl std::fmt::Debug for PaceRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PaceRandom(<redacted>)")
    }
}

/// Random input of [`Session::establish`]: for PACE and for the BAC fallback.
#[derive(Debug)]
pub struct SessionRandom {
    /// For PACE.
    pub pace: PaceRandom,
    /// For BAC.
    pub bac: BacRandom,
}

/// Raw data groups read by [`Session::read_verified`]: personal data, so `Debug` shows only
/// which files and their lengths, and the bytes are zeroed on drop.
pub struct RawFiles(Vec<(DataGroup, Vec<u8>)>);

impl RawFiles {
    pub(crate) fn new() -> Self {
        Self(Vec::new())
    }

    pub(crate) fn push(&mut self, dg: DataGroup, raw: Vec<u8>) {
        self.0.push((dg, raw));
    }

    /// The raw bytes of `dg`, if it was read.
    pub fn get(&self, dg: DataGroup) -> Option<&[u8]> {
        self.0.iter().find(|(d, _)| *d == dg).map(|(_, raw)| raw.as_slice())
    }

    /// How many files were read.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no file was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for RawFiles {
    fn drop(&mut self) {
        for (_, raw) in &mut self.0 {
            zeroize::Zeroize::zeroize(raw);
        }
    }
}

impl std::fmt::Debug for RawFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|(dg, raw)| (dg, raw.len()))).finish()
    }
}

/// How the secure channel was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccessMethod {
    /// PACE with the CAN (AES-128 secure messaging).
    PaceCan,
    /// BAC (3DES secure messaging).
    Bac,
    /// BAC after PACE was tried and failed with an error of this kind.
    BacAfterPaceFailed(crate::ErrorKind),
    /// BAC because EF.CardAccess is absent or offers no PACE this driver runs.
    BacNoPace,
}

/// Counters for the IT-staff view: no personal data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// APDUs sent.
    pub apdus: u32,
    /// Plain bytes read from files.
    pub bytes: usize,
    /// Transient failures retried.
    pub retries: u32,
    /// Times the read size was reduced.
    pub fallbacks: u32,
}

/// A session with the chip over reader `R`, in access state `S`.
#[derive(Debug)]
pub struct Session<R, S: State> {
    reader: R,
    state: S,
    read_size: usize,
    stats: Stats,
}

fn sw16(sw: [u8; 2]) -> u16 {
    u16::from_be_bytes(sw)
}

impl<R: IdCardReader, S: State> Session<R, S> {
    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Gives the reader back, ending the session.
    pub fn into_reader(self) -> R {
        self.reader
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>> {
        self.stats.apdus += 1;
        Ok(self.reader.transmit(apdu)?)
    }

    fn transmit_plain(&mut self, apdu: &[u8], command: &'static str) -> Result<Vec<u8>> {
        let r = self.transmit(apdu)?;
        let (data, sw) = split_status(&r).ok_or(Error::SecureMessaging("response without status word"))?;
        if sw != [0x90, 0x00] {
            return Err(Error::Status { command, sw: sw16(sw) });
        }
        Ok(data.to_vec())
    }
}

impl<R: IdCardReader> Session<R, Plain> {
    /// A session on `reader`. Nothing is sent yet.
    pub fn new(reader: R) -> Self {
        Self { reader, state: Plain(()), read_size: INITIAL_READ_SIZE, stats: Stats::default() }
    }

    /// Selects the eMRTD application. (Do not select the MF first: CCCDs answer `6D00`.)
    pub fn select_applet(&mut self) -> Result<()> {
        self.transmit_plain(&SELECT_EMRTD, "SELECT eMRTD")?;
        Ok(())
    }

    /// Reads EF.CardAccess by its short EF identifier, before any applet is selected.
    /// `Ok(None)` when the chip has none (`6A82`, `6982`, `6D00`, `6E00`, `6A86`).
    pub fn read_card_access(&mut self) -> Result<Option<CardAccess>> {
        let r = self.transmit(&READ_CARD_ACCESS)?;
        let (data, sw) = split_status(&r).ok_or(Error::SecureMessaging("response without status word"))?;
        let mut file = match sw {
            [0x90, 0x00] | [0x62, 0x82] => data.to_vec(),
            [0x6C, xx] if xx != 0 => self.transmit_plain(&[0x00, 0xB0, 0x9C, 0x00, xx], "READ BINARY EF.CardAccess")?,
            [0x6A, 0x82] | [0x69, 0x82] | [0x6D, 0x00] | [0x6E, 0x00] | [0x6A, 0x86] => return Ok(None),
            sw => return Err(Error::Status { command: "READ BINARY EF.CardAccess", sw: sw16(sw) }),
        };
        let total = encoded_len(&file).ok_or(Error::Lds("EF.CardAccess does not start with a TLV header"))?;
        if total > MAX_CARD_ACCESS_LEN {
            return Err(Error::Lds("EF.CardAccess longer than the reader accepts"));
        }
        while file.len() < total {
            let [p1, p2] = u16::try_from(file.len()).unwrap_or(u16::MAX).to_be_bytes();
            let want = u8::try_from((total - file.len()).min(INITIAL_READ_SIZE)).unwrap_or(0xDF);
            let more = self.transmit_plain(&[0x00, 0xB0, p1, p2, want], "READ BINARY EF.CardAccess")?;
            if more.is_empty() || more.len() > usize::from(want) {
                return Err(Error::Lds("EF.CardAccess read returned a wrong length"));
            }
            file.extend_from_slice(&more);
        }
        file.truncate(total);
        CardAccess::parse(&file).map(Some)
    }

    fn run_pace(
        &mut self,
        card_access: &CardAccess,
        password: Password<'_>,
        random: &PaceRandom,
    ) -> Result<SecureChannel> {
        let info = card_access.supported_pace().ok_or(Error::Pace("EF.CardAccess offers no supported PACE"))?;
        let mut t = PaceTerminal::new(info, password, &random.map_sk, &random.eph_sk)?;
        match self.transmit_plain(&t.mse_set_at(card_access.pace.len() > 1)?, "MSE:Set AT") {
            Err(Error::Status { sw, .. }) => return Err(Error::Status { command: "MSE:Set AT", sw }),
            other => other?,
        };
        let nonce = self.transmit_plain(&GA_NONCE, "GENERAL AUTHENTICATE (nonce)")?;
        let cmd = t.map_command(&nonce)?;
        let map = self.transmit_plain(&cmd, "GENERAL AUTHENTICATE (map)")?;
        let cmd = t.key_agreement_command(&map)?;
        let agree = self.transmit_plain(&cmd, "GENERAL AUTHENTICATE (key agreement)")?;
        let cmd = t.mutual_auth_command(&agree)?;
        let auth = match self.transmit_plain(&cmd, "GENERAL AUTHENTICATE (mutual authentication)") {
            Err(Error::Status { sw, .. }) if sw == 0x6300 || sw & 0xFFF0 == 0x63C0 || sw == 0x6982 => {
                return Err(Error::Authentication("chip refused the PACE token (wrong CAN?)"));
            }
            other => other?,
        };
        t.finish(&auth)
    }

    /// Runs PACE with `password` (read from EF.CardAccess first), then selects the eMRTD
    /// application over the new AES channel. On failure the session is gone.
    pub fn pace(mut self, password: Password<'_>, random: &PaceRandom) -> Result<Session<R, Secure>> {
        let ca = self.read_card_access()?.ok_or(Error::Pace("the chip has no EF.CardAccess"))?;
        let channel = self.run_pace(&ca, password, random)?;
        let mut s = self.into_secure(channel);
        s.select_applet()?;
        Ok(s)
    }

    /// Establishes a secure channel the best way the chip allows: PACE with the CAN first,
    /// BAC with `mrz_key` if PACE is not offered or fails (see the module doc). A reader error
    /// (card removed, timeout) is returned at once, never hidden by a fallback. With no
    /// `mrz_key`, a PACE failure is returned as is.
    pub fn establish(
        mut self,
        can: &Can,
        mrz_key: Option<&BacKey>,
        random: &SessionRandom,
    ) -> Result<(Session<R, Secure>, AccessMethod)> {
        let pace = match self.read_card_access() {
            Ok(Some(ca)) if ca.supported_pace().is_some() => Some(self.run_pace(&ca, Password::Can(can), &random.pace)),
            Ok(_) => None,
            Err(e) if is_reader_error(&e) => return Err(e),
            // A malformed EF.CardAccess: treat as no PACE.
            Err(_) => None,
        };
        let method = match pace {
            Some(Ok(channel)) => {
                let mut s = self.into_secure(channel);
                s.select_applet()?;
                return Ok((s, AccessMethod::PaceCan));
            }
            Some(Err(e)) if is_reader_error(&e) => return Err(e),
            Some(Err(e)) => match mrz_key {
                None => return Err(e),
                Some(_) => AccessMethod::BacAfterPaceFailed(e.kind()),
            },
            None => AccessMethod::BacNoPace,
        };
        let key = mrz_key.ok_or(Error::Authentication("the chip offers no PACE and no MRZ key was given for BAC"))?;
        self.select_applet()?;
        let s = self.bac(key, &random.bac)?;
        Ok((s, method))
    }

    fn into_secure(self, channel: SecureChannel) -> Session<R, Secure> {
        Session { reader: self.reader, state: Secure(channel), read_size: self.read_size, stats: self.stats }
    }

    /// Runs BAC and moves to the secure state. On failure the session is gone; start again
    /// from the reader (the chip has to be reset or re-selected anyway).
    pub fn bac(mut self, key: &BacKey, random: &BacRandom) -> Result<Session<R, Secure>> {
        let challenge = self.transmit_plain(&GET_CHALLENGE, "GET CHALLENGE")?;
        let rnd_icc: [u8; 8] =
            challenge.as_slice().try_into().map_err(|_| Error::Authentication("challenge is not 8 bytes"))?;
        let auth = BacChallenge::new(key, rnd_icc, random.rnd_ifd, random.k_ifd);
        let cmd = auth.external_authenticate()?;
        let answer = match self.transmit_plain(&cmd, "EXTERNAL AUTHENTICATE") {
            Err(Error::Status { sw, .. }) if sw == 0x6300 || sw == 0x6982 => {
                return Err(Error::Authentication("chip refused the BAC key (wrong MRZ data?)"));
            }
            other => other?,
        };
        let channel = auth.finish(&answer)?;
        Ok(self.into_secure(channel))
    }
}

impl<R: IdCardReader> Session<R, Secure> {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Response> {
        let protected = self.state.0.protect(apdu)?;
        let r = self.transmit(&protected);
        match r {
            Ok(r) => self.state.0.unprotect(&r),
            Err(e) => {
                // Keep the SSC in step with a chip that may have answered.
                self.state.0.skip_response();
                Err(e)
            }
        }
    }

    /// The cipher suite of the secure channel (3DES after BAC, AES-128 after PACE).
    pub fn cipher(&self) -> Cipher {
        self.state.cipher()
    }

    /// Selects the eMRTD application over secure messaging (needed after PACE, which runs at
    /// the master-file level).
    pub fn select_applet(&mut self) -> Result<()> {
        let r = self.exchange(&SELECT_EMRTD)?;
        if r.sw != [0x90, 0x00] {
            return Err(Error::Status { command: "SELECT eMRTD", sw: sw16(r.sw) });
        }
        Ok(())
    }

    /// Selects an EF by its file identifier (e.g. `0x0101` for DG1).
    pub fn select_ef(&mut self, fid: u16) -> Result<()> {
        let [hi, lo] = fid.to_be_bytes();
        let r = self.exchange(&[0x00, 0xA4, 0x02, 0x0C, 0x02, hi, lo])?;
        if r.sw != [0x90, 0x00] {
            return Err(Error::Status { command: "SELECT EF", sw: sw16(r.sw) });
        }
        Ok(())
    }

    /// The READ BINARY size currently in use.
    pub fn read_size(&self) -> usize {
        self.read_size
    }

    /// Reads up to `size` bytes per READ BINARY with extended-length APDUs (clamped to
    /// [`MAX_EXTENDED_READ_SIZE`]). Only when both reader and card support extended length
    /// (see `pcsc::atr_supports_extended_length`): a card that does not answers `67 00` and
    /// the session falls back to 0xDF, 0xA0, then halves, as for short reads.
    pub fn set_extended_read_size(&mut self, size: usize) {
        self.read_size = size.clamp(MIN_READ_SIZE, MAX_EXTENDED_READ_SIZE);
    }

    fn shrink(&mut self, to: usize) {
        let to = to.max(MIN_READ_SIZE);
        if to < self.read_size {
            self.read_size = to;
            self.stats.fallbacks += 1;
        }
    }

    /// Reads `len` bytes of the selected EF from `offset`, appending to `out`.
    fn read_range(&mut self, out: &mut Vec<u8>, end: usize) -> Result<()> {
        let mut failures = 0;
        while out.len() < end {
            let offset = u16::try_from(out.len())
                .ok()
                .filter(|o| *o <= 0x7FFF)
                .ok_or(Error::Lds("file too long for short READ BINARY"))?;
            let want = (end - out.len()).min(self.read_size);
            let [p1, p2] = offset.to_be_bytes();
            let apdu = Command { header: [0x00, 0xB0, p1, p2], data: Vec::new(), le: Some(want) }.to_bytes()?;
            let r = match self.exchange(&apdu) {
                Ok(r) => r,
                Err(e) if transient(&e) && failures < MAX_RETRIES => {
                    failures += 1;
                    self.stats.retries += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            match (r.sw, r.data.is_empty()) {
                ([0x90, 0x00] | [0x62, 0x82], false) => {
                    if r.data.len() > want {
                        return Err(Error::SecureMessaging("chip returned more bytes than asked"));
                    }
                    out.extend_from_slice(&r.data);
                    self.stats.bytes += r.data.len();
                    failures = 0;
                }
                ([0x67, 0x00] | [0x62, 0x82], _) if self.read_size > MIN_READ_SIZE => {
                    let next = if self.read_size > EXTENDED_FALLBACK_READ_SIZE {
                        EXTENDED_FALLBACK_READ_SIZE
                    } else if self.read_size > INITIAL_READ_SIZE {
                        INITIAL_READ_SIZE
                    } else if self.read_size > FALLBACK_READ_SIZE {
                        FALLBACK_READ_SIZE
                    } else {
                        self.read_size / 2
                    };
                    self.shrink(next);
                }
                ([0x6C, xx], _) if xx != 0 && usize::from(xx) < want => self.shrink(usize::from(xx)),
                (sw, _) => return Err(Error::Status { command: "READ BINARY", sw: sw16(sw) }),
            }
        }
        out.truncate(end);
        Ok(())
    }

    /// In extended mode, one READ BINARY at offset 0 for the read size: most files come whole.
    /// Leaves `out` empty when the chip answers with an error status or a transient failure
    /// (the caller then reads the header first); a reader error is returned.
    fn read_whole_at_once(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let apdu =
            Command { header: [0x00, 0xB0, 0x00, 0x00], data: Vec::new(), le: Some(self.read_size) }.to_bytes()?;
        match self.exchange(&apdu) {
            Ok(r) if matches!(r.sw, [0x90, 0x00] | [0x62, 0x82]) && r.data.len() <= self.read_size => {
                self.stats.bytes += r.data.len();
                out.extend_from_slice(&r.data);
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) if transient(&e) => {
                self.stats.retries += 1;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Reads a whole EF by identifier: its TLV header first, then the rest (in extended mode
    /// the whole file at once first, see the module doc).
    pub fn read_file(&mut self, fid: u16) -> Result<Vec<u8>> {
        self.select_ef(fid)?;
        let mut out = Vec::new();
        if self.read_size > INITIAL_READ_SIZE {
            self.read_whole_at_once(&mut out)?;
            if out.len() < 4 {
                out.clear();
            }
        }
        if out.is_empty() {
            self.read_range(&mut out, 4)?;
        }
        let total = encoded_len(&out).ok_or(Error::Lds("file does not start with a TLV header"))?;
        if total > MAX_FILE_LEN {
            return Err(Error::Lds("file longer than the reader accepts"));
        }
        if total < out.len() {
            out.truncate(total);
        } else {
            self.read_range(&mut out, total)?;
        }
        Ok(out)
    }

    /// Reads a data group (raw bytes).
    pub fn read_dg(&mut self, dg: DataGroup) -> Result<Vec<u8>> {
        self.read_file(dg.fid())
    }

    /// Reads and parses EF.COM.
    pub fn read_com(&mut self) -> Result<EfCom> {
        EfCom::parse(&self.read_dg(DataGroup::Com)?)
    }

    /// Reads and parses DG13 (Vietnamese personal data; sensitive fields are dropped).
    pub fn read_dg13(&mut self) -> Result<Dg13> {
        Dg13::parse(&self.read_dg(DataGroup::Dg13)?)
    }

    /// Reads and parses DG2: the face image, kept in memory only.
    pub fn read_dg2(&mut self) -> Result<FaceImage> {
        parse_dg2(&self.read_dg(DataGroup::Dg2)?)
    }

    /// Reads and parses DG14 (chip authentication infos and keys).
    pub fn read_dg14(&mut self) -> Result<Dg14> {
        Dg14::parse(&self.read_dg(DataGroup::Dg14)?)
    }

    /// Reads and parses EF.SOD.
    pub fn read_sod(&mut self) -> Result<Sod> {
        Sod::parse(&self.read_dg(DataGroup::Sod)?)
    }

    /// Reads `data_groups` and EF.SOD and runs passive authentication over them with `trust`.
    /// Returns the verdict and the raw files read (for parsing by the caller), in order.
    /// A data group the chip does not have (`6A82`) or guards (`6982`) is skipped.
    pub fn read_verified(&mut self, data_groups: &[DataGroup], trust: &TrustStore) -> Result<(PaVerdict, RawFiles)> {
        let mut files = RawFiles(Vec::new());
        for dg in data_groups {
            match self.read_dg(*dg) {
                Ok(raw) => files.0.push((*dg, raw)),
                Err(e) if matches!(e.kind(), crate::ErrorKind::NotFound | crate::ErrorKind::AccessDenied) => {}
                Err(e) => return Err(e),
            }
        }
        let sod = self.read_sod()?;
        let numbered: Vec<(u8, &[u8])> =
            files.0.iter().filter_map(|(dg, raw)| dg.number().map(|n| (n, raw.as_slice()))).collect();
        Ok((passive_authentication(&sod, &numbered, trust), files))
    }

    /// Runs chip authentication with DG14's ECDH-AES-128 key (DG14 must have passed passive
    /// authentication first) and restarts secure messaging with the new AES keys. Then proves
    /// the chip holds the private key by selecting EF.COM under the new keys: a clone fails
    /// there with [`Error::Authentication`]. `eph_sk`: 32 random bytes from a CSPRNG. After an
    /// error the session is unusable; start a new one.
    pub fn chip_authenticate(&mut self, dg14: &Dg14, eph_sk: &[u8; 32]) -> Result<()> {
        let (info, key) =
            dg14.ca_ecdh_aes128().ok_or(Error::Authentication("DG14 offers no ECDH-AES-128 chip authentication"))?;
        let ca = CaTerminal::new(info, key, eph_sk)?;
        let r = self.exchange(&ca.mse_set_at)?;
        if r.sw != [0x90, 0x00] {
            return Err(Error::Status { command: "MSE:Set AT (CA)", sw: sw16(r.sw) });
        }
        let r = self.exchange(&ca.general_authenticate)?;
        if r.sw != [0x90, 0x00] {
            return Err(Error::Status { command: "GENERAL AUTHENTICATE (CA)", sw: sw16(r.sw) });
        }
        let (ks_enc, ks_mac) = ca.session_keys();
        self.state.0 = SecureChannel::new_aes(ks_enc, ks_mac);
        match self.select_ef(DataGroup::Com.fid()) {
            Ok(()) => Ok(()),
            Err(e) if matches!(e, Error::Device(_)) => Err(e),
            Err(_) => Err(Error::Authentication(
                "chip authentication failed: the chip lacks DG14's private key (clone suspected)",
            )),
        }
    }

    /// Runs active authentication with DG15's ECDSA key (`key`, from a DG15 that passed passive
    /// authentication) and the hash of DG14's ActiveAuthenticationInfo. `challenge`: 8 fresh
    /// random bytes from a CSPRNG, never reused. A signature that does not verify is
    /// [`Error::Authentication`] ("clone suspected").
    pub fn active_authenticate(&mut self, key: &PublicKey, hash: HashAlgorithm, challenge: &[u8; 8]) -> Result<()> {
        let r = self.exchange(&internal_authenticate(challenge))?;
        if r.sw != [0x90, 0x00] {
            return Err(Error::Status { command: "INTERNAL AUTHENTICATE", sw: sw16(r.sw) });
        }
        if verify_response(key, hash, challenge, &r.data)? {
            Ok(())
        } else {
            Err(Error::Authentication("active authentication failed: signature does not verify (clone suspected)"))
        }
    }

    /// Reads and parses DG15 (the active authentication public key).
    pub fn read_dg15(&mut self) -> Result<PublicKey> {
        parse_dg15(&self.read_dg(DataGroup::Dg15)?)
    }

    /// Reads and parses DG1 (the MRZ).
    pub fn read_dg1(&mut self) -> Result<Mrz> {
        parse_dg1(&self.read_dg(DataGroup::Dg1)?)
    }
}

fn is_reader_error(e: &Error) -> bool {
    matches!(e, Error::Device(_))
}

fn transient(e: &Error) -> bool {
    matches!(e, Error::SecureMessaging(_) | Error::Device(motcua_device::Error::Timeout))
}

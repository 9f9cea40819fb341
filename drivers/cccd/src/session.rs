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
//! Does not implement: PACE, extended-length reads, re-running access control after a card
//! was removed (the caller starts a new session).

use motcua_device::id_card::{IdCardReader, split_status};

use crate::proto::bac::{BacChallenge, BacKey, GET_CHALLENGE};
use crate::proto::dg13::Dg13;
use crate::proto::lds::{DataGroup, EfCom, encoded_len, parse_dg1};
use crate::proto::mrz::Mrz;
use crate::proto::sm::{Response, SecureChannel};
use crate::{Error, Result};

/// SELECT the eMRTD application (AID A0000002471001), no response data.
pub const SELECT_EMRTD: [u8; 12] = [0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

/// First READ BINARY size: fits one short response under 3DES SM (CCCD.md §6).
pub const INITIAL_READ_SIZE: u8 = 0xDF;
/// Fallback READ BINARY size after a `67 00`.
pub const FALLBACK_READ_SIZE: u8 = 0xA0;
const MIN_READ_SIZE: u8 = 0x20;
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

/// BAC established: the secure channel.
#[derive(Debug)]
pub struct Secure(SecureChannel);

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
    read_size: u8,
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
        Ok(Session { reader: self.reader, state: Secure(channel), read_size: self.read_size, stats: self.stats })
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
    pub fn read_size(&self) -> u8 {
        self.read_size
    }

    fn shrink(&mut self, to: u8) {
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
            let want = u8::try_from((end - out.len()).min(usize::from(self.read_size))).unwrap_or(self.read_size);
            let [p1, p2] = offset.to_be_bytes();
            let r = match self.exchange(&[0x00, 0xB0, p1, p2, want]) {
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
                    if r.data.len() > usize::from(want) {
                        return Err(Error::SecureMessaging("chip returned more bytes than asked"));
                    }
                    out.extend_from_slice(&r.data);
                    self.stats.bytes += r.data.len();
                    failures = 0;
                }
                ([0x67, 0x00] | [0x62, 0x82], _) if self.read_size > MIN_READ_SIZE => {
                    let next =
                        if self.read_size > FALLBACK_READ_SIZE { FALLBACK_READ_SIZE } else { self.read_size / 2 };
                    self.shrink(next);
                }
                ([0x6C, xx], _) if xx != 0 && xx < want => self.shrink(xx),
                (sw, _) => return Err(Error::Status { command: "READ BINARY", sw: sw16(sw) }),
            }
        }
        out.truncate(end);
        Ok(())
    }

    /// Reads a whole EF by identifier: its TLV header first, then the rest.
    pub fn read_file(&mut self, fid: u16) -> Result<Vec<u8>> {
        self.select_ef(fid)?;
        let mut out = Vec::new();
        self.read_range(&mut out, 4)?;
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

    /// Reads and parses DG1 (the MRZ).
    pub fn read_dg1(&mut self) -> Result<Mrz> {
        parse_dg1(&self.read_dg(DataGroup::Dg1)?)
    }
}

fn transient(e: &Error) -> bool {
    matches!(e, Error::SecureMessaging(_) | Error::Device(motcua_device::Error::Timeout))
}

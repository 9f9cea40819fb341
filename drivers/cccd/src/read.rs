//! One whole read of a CCCD chip, as the kiosk and `motcua read-card` do it, over any
//! [`IdCardReader`]: access control (PACE-CAN, BAC fallback), the data groups and EF.SOD with
//! per-file counters, passive authentication, then active and chip authentication against
//! clones, summed up in a [`Verdict`] worded honestly ("verified" only with a trusted issuer).
//!
//! Either the whole read succeeds or [`read_card`] returns the error: a card lifted mid-read is
//! [`crate::ErrorKind::CardRemoved`], never a half result.
//!
//! Active authentication runs before chip authentication because a failed chip authentication
//! leaves the secure channel unusable. Both run only when passive authentication found the
//! data consistent (their keys come from DG14 and DG15, which the SOD must cover).
//!
//! Does not implement: reading EF.COM to choose the data groups (the caller names them; a
//! missing or guarded one is skipped), retrying after an error (the caller starts again).

use std::time::{Duration, Instant};

use motcua_device::id_card::{CardPresence, IdCardReader};

use crate::proto::bac::BacKey;
use crate::proto::dg14::{Dg14, parse_dg15};
use crate::proto::lds::DataGroup;
use crate::proto::pa::{PaVerdict, TrustStore, passive_authentication};
use crate::proto::sm::Cipher;
use crate::proto::sod::Sod;
use crate::session::{RawFiles, Stats, extended_read_size};
use crate::{AccessMethod, BacRandom, Can, Error, ErrorKind, PaceRandom, Result, Session, SessionRandom};

/// What the kiosk reads: the MRZ, the face, the Vietnamese personal data and the two security
/// data groups (EF.SOD is always read too).
pub const DEFAULT_DATA_GROUPS: [DataGroup; 5] =
    [DataGroup::Dg1, DataGroup::Dg2, DataGroup::Dg13, DataGroup::Dg14, DataGroup::Dg15];

/// How big the READ BINARY commands are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadSize {
    /// Extended length when the card's ATR announces it and the reader's limit (if it reports
    /// one) allows ([`extended_read_size`]); short reads otherwise.
    Auto {
        /// The reader's APDU limit, if it reports one.
        reader_max_apdu: Option<usize>,
    },
    /// Short reads only (0xDF, adaptive downwards).
    Short,
    /// Extended reads of this size.
    Extended(usize),
}

/// What to read and how.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions<'a> {
    /// The CAN (last 6 digits of the ID number) for PACE.
    pub can: &'a Can,
    /// The MRZ key for the BAC fallback, if known.
    pub mrz_key: Option<&'a BacKey>,
    /// Data groups to read, in order (EF.SOD follows).
    pub data_groups: &'a [DataGroup],
    /// Trusted CSCAs for passive authentication.
    pub trust: &'a TrustStore,
    /// READ BINARY sizing.
    pub read_size: ReadSize,
}

/// Random input of a read. Must come from a CSPRNG (this crate has none, so that tests can
/// replay); [`ReadRandom::from_bytes`] splits 128 random bytes.
pub struct ReadRandom {
    /// For PACE and BAC.
    pub session: SessionRandom,
    /// Ephemeral private key of chip authentication.
    pub ca_eph_sk: [u8; 32],
    /// Challenge of active authentication.
    pub aa_challenge: [u8; 8],
}

impl std::fmt::Debug for ReadRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadRandom(<redacted>)")
    }
}

fn take<const N: usize>(b: &[u8], at: &mut usize) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, i) in out.iter_mut().zip(*at..) {
        *o = b.get(i).copied().unwrap_or_default();
    }
    *at += N;
    out
}

impl ReadRandom {
    /// Bytes [`ReadRandom::from_bytes`] needs.
    pub const LEN: usize = 128;

    /// Splits 128 random bytes: PACE mapping and key-agreement keys, BAC RND.IFD and K.IFD,
    /// the chip authentication key and the active authentication challenge.
    pub fn from_bytes(bytes: &[u8; Self::LEN]) -> Self {
        let mut at = 0;
        let map_sk = take(bytes, &mut at);
        let eph_sk = take(bytes, &mut at);
        let rnd_ifd = take(bytes, &mut at);
        let k_ifd = take(bytes, &mut at);
        let ca_eph_sk = take(bytes, &mut at);
        let aa_challenge = take(bytes, &mut at);
        Self {
            session: SessionRandom { pace: PaceRandom { map_sk, eph_sk }, bac: BacRandom { rnd_ifd, k_ifd } },
            ca_eph_sk,
            aa_challenge,
        }
    }
}

/// One file read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRead {
    /// Which file.
    pub file: DataGroup,
    /// Its length in bytes.
    pub len: usize,
    /// APDUs spent on it (SELECT and READ BINARY, retries included).
    pub apdus: u32,
    /// Wall time spent on it.
    pub elapsed: Duration,
}

/// The outcome of active or chip authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloneCheck {
    /// The chip proved it holds the private key: not a clone.
    Passed,
    /// The chip could not prove it: clone suspected.
    Failed,
    /// The chip does not offer it (no DG14 or DG15).
    NotOffered,
    /// Not run, for this reason.
    Skipped(&'static str),
}

impl CloneCheck {
    /// English wording.
    pub fn summary(&self) -> &'static str {
        match self {
            CloneCheck::Passed => "passed",
            CloneCheck::Failed => "failed: clone suspected",
            CloneCheck::NotOffered => "not offered by the chip",
            CloneCheck::Skipped(why) => why,
        }
    }
}

/// The overall judgement of a read, worst finding first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Issued by a trusted CSCA, untouched, and the chip is not a clone (as far as it offers
    /// active or chip authentication).
    Verified,
    /// Hashes, SOD signature and clone checks hold, but no trusted CSCA issued it.
    IssuerNotVerified,
    /// A data group or the SOD was changed after signing.
    DataAltered,
    /// Active or chip authentication failed.
    CloneSuspected,
    /// The document signer claims a trusted CSCA that did not sign it.
    IssuerForged,
    /// Something could not be checked (unsupported algorithm, data outside the SOD).
    NotVerifiable,
}

impl Verdict {
    /// English wording, as in CCCD.md §4 and §8.
    pub fn summary(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::IssuerNotVerified => "chip consistent, issuer not verified",
            Verdict::DataAltered => "data altered",
            Verdict::CloneSuspected => "clone suspected",
            Verdict::IssuerForged => "issuer forged",
            Verdict::NotVerifiable => "not verifiable",
        }
    }

    /// Vietnamese wording.
    pub fn summary_vi(self) -> &'static str {
        match self {
            Verdict::Verified => "đã xác thực",
            Verdict::IssuerNotVerified => "chip nhất quán, chưa xác thực được cơ quan cấp",
            Verdict::DataAltered => "dữ liệu bị sửa đổi",
            Verdict::CloneSuspected => "nghi thẻ sao chép",
            Verdict::IssuerForged => "cơ quan cấp giả mạo",
            Verdict::NotVerifiable => "không xác thực được",
        }
    }

    /// Whether the data can be used (verified, or consistent with an unverified issuer).
    pub fn is_usable(self) -> bool {
        matches!(self, Verdict::Verified | Verdict::IssuerNotVerified)
    }
}

/// Everything a read found. The raw files are personal data: `Debug` shows only their
/// lengths.
#[derive(Debug)]
pub struct CardRead {
    /// The card's ATR.
    pub atr: Vec<u8>,
    /// How the secure channel was established.
    pub access: AccessMethod,
    /// Its cipher.
    pub cipher: Cipher,
    /// APDUs spent on access control (EF.CardAccess, PACE or BAC, applet selection).
    pub access_apdus: u32,
    /// Wall time of access control.
    pub access_elapsed: Duration,
    /// The READ BINARY size the session started with.
    pub initial_read_size: usize,
    /// The files read, EF.SOD last.
    pub files: Vec<FileRead>,
    /// Data groups asked for that the chip does not have or guards.
    pub skipped: Vec<(DataGroup, ErrorKind)>,
    /// Passive authentication.
    pub passive: PaVerdict,
    /// Active authentication (DG15).
    pub active: CloneCheck,
    /// Chip authentication (DG14).
    pub chip: CloneCheck,
    /// Session counters at the end.
    pub stats: Stats,
    /// Wall time of the whole read.
    pub elapsed: Duration,
    /// The raw files (data groups and EF.SOD), zeroed on drop.
    pub raw: RawFiles,
}

impl CardRead {
    /// The overall judgement.
    pub fn verdict(&self) -> Verdict {
        match &self.passive {
            PaVerdict::DataGroupHashMismatch(_) | PaVerdict::SignatureInvalid | PaVerdict::SignedAttributesMismatch => {
                return Verdict::DataAltered;
            }
            _ => {}
        }
        if self.active == CloneCheck::Failed || self.chip == CloneCheck::Failed {
            return Verdict::CloneSuspected;
        }
        match &self.passive {
            PaVerdict::DsCertificateInvalid => Verdict::IssuerForged,
            PaVerdict::UnknownCsca => Verdict::IssuerNotVerified,
            PaVerdict::Verified => Verdict::Verified,
            _ => Verdict::NotVerifiable,
        }
    }
}

/// Lends a reader to a [`Session`] without giving it away.
struct Lent<'a, R>(&'a mut R);

impl<R: IdCardReader> IdCardReader for Lent<'_, R> {
    fn poll_card(&mut self) -> std::result::Result<Option<CardPresence>, motcua_device::Error> {
        self.0.poll_card()
    }

    fn transmit(&mut self, apdu: &[u8]) -> std::result::Result<Vec<u8>, motcua_device::Error> {
        self.0.transmit(apdu)
    }

    fn info(&self) -> motcua_device::DeviceInfo {
        self.0.info()
    }
}

fn is_reader_error(e: &Error) -> bool {
    matches!(e, Error::Device(_))
}

/// Reads the card on `reader` (see the module doc). The reader must have a card
/// (`Err` of kind `CardRemoved` otherwise).
pub fn read_card<R: IdCardReader>(reader: &mut R, opts: &ReadOptions<'_>, random: &ReadRandom) -> Result<CardRead> {
    let started = Instant::now();
    let atr = reader.poll_card()?.ok_or(Error::Device(motcua_device::Error::NoCard))?.atr;
    let (mut s, access) = Session::new(Lent(reader)).establish(opts.can, opts.mrz_key, &random.session)?;
    let cipher = s.cipher();
    let access_apdus = s.stats().apdus;
    let access_elapsed = started.elapsed();
    let size = match opts.read_size {
        ReadSize::Auto { reader_max_apdu } => {
            extended_read_size(crate::proto::atr::supports_extended_length(&atr), reader_max_apdu)
        }
        ReadSize::Short => None,
        ReadSize::Extended(n) => Some(n),
    };
    if let Some(n) = size {
        s.set_extended_read_size(n);
    }
    let initial_read_size = s.read_size();

    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut raw = RawFiles::new();
    for dg in opts.data_groups.iter().copied().chain([DataGroup::Sod]) {
        let (t, apdus) = (Instant::now(), s.stats().apdus);
        match s.read_dg(dg) {
            Ok(bytes) => {
                files.push(FileRead {
                    file: dg,
                    len: bytes.len(),
                    apdus: s.stats().apdus - apdus,
                    elapsed: t.elapsed(),
                });
                raw.push(dg, bytes);
            }
            Err(e) if dg != DataGroup::Sod && matches!(e.kind(), ErrorKind::NotFound | ErrorKind::AccessDenied) => {
                skipped.push((dg, e.kind()));
            }
            Err(e) => return Err(e),
        }
    }
    let sod = Sod::parse(raw.get(DataGroup::Sod).unwrap_or_default())?;
    let numbered: Vec<(u8, &[u8])> =
        opts.data_groups.iter().filter_map(|dg| Some((dg.number()?, raw.get(*dg)?))).collect();
    let passive = passive_authentication(&sod, &numbered, opts.trust);

    let dg14 = raw.get(DataGroup::Dg14).map(Dg14::parse);
    let dg15 = raw.get(DataGroup::Dg15).map(parse_dg15);
    let (mut active, mut chip) = (CloneCheck::NotOffered, CloneCheck::NotOffered);
    if !passive.chip_consistent() {
        const WHY: &str = "not run: the data did not pass passive authentication";
        active = if dg15.is_some() { CloneCheck::Skipped(WHY) } else { CloneCheck::NotOffered };
        chip = if dg14.is_some() { CloneCheck::Skipped(WHY) } else { CloneCheck::NotOffered };
    } else {
        if let Some(key) = dg15 {
            let hash = dg14.as_ref().and_then(|d| d.as_ref().ok()).and_then(|d| d.aa_hash);
            active = match (key, hash) {
                (Err(_), _) => CloneCheck::Skipped("not run: DG15 does not parse"),
                (Ok(_), None) => CloneCheck::Skipped("not run: DG14 names no active authentication hash"),
                (Ok(key), Some(hash)) => match s.active_authenticate(&key, hash, &random.aa_challenge) {
                    Ok(()) => CloneCheck::Passed,
                    Err(e) if is_reader_error(&e) => return Err(e),
                    Err(_) => CloneCheck::Failed,
                },
            };
        }
        if let Some(dg14) = dg14 {
            chip = match dg14 {
                Err(_) => CloneCheck::Skipped("not run: DG14 does not parse"),
                Ok(d) if d.ca_ecdh_aes128().is_none() => CloneCheck::NotOffered,
                Ok(d) => match s.chip_authenticate(&d, &random.ca_eph_sk) {
                    Ok(()) => CloneCheck::Passed,
                    Err(e) if is_reader_error(&e) => return Err(e),
                    Err(_) => CloneCheck::Failed,
                },
            };
        }
    }
    Ok(CardRead {
        atr,
        access,
        cipher,
        access_apdus,
        access_elapsed,
        initial_read_size,
        files,
        skipped,
        passive,
        active,
        chip,
        stats: s.stats(),
        elapsed: started.elapsed(),
        raw,
    })
}

//! The optional CCCD identification step of the take-a-number flow.
//!
//! Implements: the identified [`Citizen`] as the kiosk keeps it (display name, masked ID, keyed
//! ID hash, birth date, verification status; zeroed on drop, `Debug` redacted), the keyed hash
//! of the ID number (HMAC-SHA256 with the office key, [`IdHashKey`]), the citizen from the
//! card's QR ([`citizen_from_qr`]) and from the chip ([`read_chip`]: PACE-CAN with the BAC
//! fallback through `motcua_cccd::Session`, passive authentication of DG1, DG13 and DG14, chip
//! authentication), the reader seam ([`IdCardSource`]: the simulated card, PC/SC) and the
//! screen's state machine ([`IdentifyState`] → [`IdentifyView`]).
//!
//! Privacy by construction: DG2 (the face) is never read; DG13's ethnicity and religion are
//! dropped by the parser, and every other DG13 string is zeroed as soon as the name and the
//! birth date are taken; the raw ID lives only in a zeroizing buffer during a read; logs carry
//! status words, lengths and timings only. What leaves the kiosk is [`Citizen::claim`]: name,
//! masked ID, hash, birth year only when age decides a priority class.
//!
//! Does not implement: active authentication (DG15; chip authentication covers clones on the
//! CCCD), reading DG2, cancelling a chip read from the screen (it ends by itself within the
//! configured wait).

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use motcua_cccd::proto::bac::BacKey;
use motcua_cccd::proto::crosscheck::cross_check;
use motcua_cccd::proto::date::Date;
use motcua_cccd::proto::dg13::Dg13;
use motcua_cccd::proto::dg14::Dg14;
use motcua_cccd::proto::lds::{DataGroup, parse_dg1};
use motcua_cccd::proto::pa::{PaVerdict, TrustStore};
use motcua_cccd::proto::qr::{QrData, mask_id};
use motcua_cccd::{AccessMethod, BacRandom, Can, ErrorKind, PaceRandom, Session, SessionRandom};
use motcua_device::id_card::{CardPresence, IdCardReader};
use motcua_device::{DeviceInfo, Error as DeviceError};
use motcua_hub::api::{CitizenClaim, CitizenVerification};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

/// How often the reader is asked whether a card arrived.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The office key for the ID hash. `Debug` never shows it; zeroed on drop.
pub struct IdHashKey(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for IdHashKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdHashKey({} bytes)", self.0.len())
    }
}

impl IdHashKey {
    /// A key from its bytes (at least 16).
    pub fn new(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() >= 16).then(|| Self(Zeroizing::new(bytes)))
    }

    /// A key from hex (at least 32 hex digits).
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text.trim()).ok()?;
        Self::new(bytes)
    }

    /// A random key for this run only (hashes then link visits within the run, nothing more).
    pub fn random() -> Option<Self> {
        random_bytes::<32>().ok().and_then(|b| Self::new(b.to_vec()))
    }

    /// HMAC-SHA256 of `id` (the 12-digit number), lowercase hex.
    pub fn hash(&self, id: &str) -> String {
        let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) {
            Ok(m) => m,
            // HMAC takes keys of any length; `new` guarantees a non-empty one anyway.
            Err(_) => return String::new(),
        };
        mac.update(id.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// An identified citizen, as the kiosk holds them for one visit. Zeroed on drop; `Debug` shows
/// the verification status only.
pub struct Citizen {
    display_name: String,
    masked_id: String,
    id_hash: String,
    birth: Option<Date>,
    verification: CitizenVerification,
}

impl Drop for Citizen {
    fn drop(&mut self) {
        self.display_name.zeroize();
        self.masked_id.zeroize();
        self.id_hash.zeroize();
        if let Some(d) = self.birth.as_mut() {
            d.year.zeroize();
            d.month.zeroize();
            d.day.zeroize();
        }
    }
}

impl std::fmt::Debug for Citizen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Citizen").field("verification", &self.verification).finish_non_exhaustive()
    }
}

impl Citizen {
    fn new(name: &str, id: &str, birth: Option<Date>, verification: CitizenVerification, key: &IdHashKey) -> Self {
        Self {
            display_name: name.split_whitespace().collect::<Vec<_>>().join(" "),
            masked_id: mask_id(id),
            id_hash: key.hash(id),
            birth,
            verification,
        }
    }

    /// The name as on the card.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// The ID masked to its first and last three digits.
    pub fn masked_id(&self) -> &str {
        &self.masked_id
    }

    /// How far the data could be checked.
    pub fn verification(&self) -> CitizenVerification {
        self.verification
    }

    /// Age in whole years on `today` (year, month, day), if the birth date is known.
    pub fn age_on(&self, year: i16, month: i8, day: i8) -> Option<u32> {
        let b = self.birth?;
        let mut age = i32::from(year) - i32::from(b.year);
        if (month, day) < (i8::try_from(b.month).ok()?, i8::try_from(b.day).ok()?) {
            age -= 1;
        }
        u32::try_from(age).ok()
    }

    /// What the hub gets: never the raw ID; the birth year only when `with_birth_year` (an
    /// age-based priority class was taken).
    pub fn claim(&self, with_birth_year: bool) -> CitizenClaim {
        CitizenClaim {
            display_name: self.display_name.clone(),
            masked_id: self.masked_id.clone(),
            id_hash: self.id_hash.clone(),
            birth_year: if with_birth_year { self.birth.map(|b| i32::from(b.year)) } else { None },
            verification: self.verification,
        }
    }
}

/// What went wrong, in the terms the citizen is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentifyError {
    /// No card came to the reader in time.
    NoCard,
    /// The card left the reader during the read: keep it on the reader and retry.
    CardRemoved,
    /// The chip refused access (PACE and BAC failed: a wrong CAN, or an unsupported card).
    AccessRefused,
    /// The chip's data does not match its signature, or the chip failed chip authentication
    /// (clone suspected): the data is not used.
    Altered,
    /// The reader or the chip stopped answering.
    Timeout,
    /// The reader is missing or failed.
    ReaderFailed,
    /// The chip answered something this kiosk cannot read.
    Unreadable,
    /// The scanned code is not the QR of a CCCD.
    NotCccdQr,
}

impl IdentifyError {
    /// A short status word for logs.
    pub fn code(self) -> &'static str {
        match self {
            IdentifyError::NoCard => "no_card",
            IdentifyError::CardRemoved => "card_removed",
            IdentifyError::AccessRefused => "access_refused",
            IdentifyError::Altered => "altered",
            IdentifyError::Timeout => "timeout",
            IdentifyError::ReaderFailed => "reader_failed",
            IdentifyError::Unreadable => "unreadable",
            IdentifyError::NotCccdQr => "not_cccd_qr",
        }
    }
}

fn device_error(e: &DeviceError) -> IdentifyError {
    match e {
        DeviceError::NoCard => IdentifyError::CardRemoved,
        DeviceError::Timeout => IdentifyError::Timeout,
        _ => IdentifyError::ReaderFailed,
    }
}

fn cccd_error(e: &motcua_cccd::Error, during_access: bool) -> IdentifyError {
    match e.kind() {
        ErrorKind::CardRemoved => IdentifyError::CardRemoved,
        ErrorKind::Timeout => IdentifyError::Timeout,
        ErrorKind::Device => IdentifyError::ReaderFailed,
        ErrorKind::Authentication | ErrorKind::Protocol if during_access => IdentifyError::AccessRefused,
        _ => IdentifyError::Unreadable,
    }
}

/// The keys that open the chip: the CAN (last 6 digits of the ID) for PACE and, when the QR
/// gave the birth and expiry dates, the MRZ key for BAC.
pub struct ChipKeys {
    can: Can,
    bac: Option<BacKey>,
    /// The card's QR when the keys came from it: the chip must agree with it (same ID, date of
    /// birth, sex and name), or the QR shown is not this card's. Dropped with the keys.
    qr: Option<Box<QrData>>,
}

impl std::fmt::Debug for ChipKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChipKeys").field("bac", &self.bac.is_some()).finish_non_exhaustive()
    }
}

impl ChipKeys {
    /// From the 6 digits the citizen typed (PACE only).
    pub fn from_can(digits: &str) -> Option<Self> {
        Can::new(digits).ok().map(|can| Self { can, bac: None, qr: None })
    }

    /// From the card's QR: the CAN, and the BAC key with the expiry the law gives the card.
    pub fn from_qr(qr: &QrData) -> Option<Self> {
        let can = Can::from_id_number(&qr.id_number).ok()?;
        let bac = cccd_expiry(qr.date_of_birth, qr.issue_date)
            .map(|exp| BacKey::new(qr.document_number(), &qr.date_of_birth.yymmdd(), &exp.yymmdd()));
        Some(Self { can, bac, qr: Some(Box::new(qr.clone())) })
    }
}

/// The expiry of a CCCD from the birth and issue dates: the card is renewed at 25, 40 and 60;
/// a card issued within two years before one of these ages stays valid until the next (Luật
/// Căn cước công dân 2014, Art. 21; Luật Căn cước 2023 keeps the ages). `None` for a card
/// issued at 58 or later (valid for life: no expiry to derive).
pub fn cccd_expiry(birth: Date, issued: Date) -> Option<Date> {
    [25u16, 40, 60].into_iter().find_map(|age| {
        let at = birthday(birth, birth.year.checked_add(age)?)?;
        let limit = birthday(birth, birth.year.checked_add(age - 2)?)?;
        (issued < limit).then_some(at)
    })
}

fn birthday(birth: Date, year: u16) -> Option<Date> {
    // 29 February falls back to 28 February in a common year.
    Date::new(year, birth.month, birth.day).or_else(|| Date::new(year, birth.month, birth.day.saturating_sub(1)))
}

/// The citizen from the card's printed QR (unsigned: [`CitizenVerification::QrOnly`]).
pub fn citizen_from_qr(qr: &QrData, key: &IdHashKey) -> Citizen {
    Citizen::new(&qr.full_name, &qr.id_number, Some(qr.date_of_birth), CitizenVerification::QrOnly, key)
}

/// An [`IdCardReader`] behind a mutable reference (the session takes its reader by value).
struct Borrowed<'a>(&'a mut dyn IdCardReader);

impl IdCardReader for Borrowed<'_> {
    fn poll_card(&mut self) -> Result<Option<CardPresence>, DeviceError> {
        self.0.poll_card()
    }
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, DeviceError> {
        self.0.transmit(apdu)
    }
    fn info(&self) -> DeviceInfo {
        self.0.info()
    }
}

fn random_bytes<const N: usize>() -> std::io::Result<[u8; N]> {
    use std::io::Read;
    let mut b = [0u8; N];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(b)
}

fn rng<const N: usize>() -> Result<[u8; N], IdentifyError> {
    random_bytes::<N>().map_err(|e| {
        tracing::error!(error = %e, "no random numbers for the chip session");
        IdentifyError::ReaderFailed
    })
}

/// Waits up to `wait` for a card on `reader`.
pub fn wait_for_card(reader: &mut dyn IdCardReader, wait: Duration) -> Result<(), IdentifyError> {
    let deadline = Instant::now() + wait;
    loop {
        match reader.poll_card() {
            Ok(Some(_)) => return Ok(()),
            Ok(None) => {}
            Err(e) => return Err(device_error(&e)),
        }
        if Instant::now() >= deadline {
            return Err(IdentifyError::NoCard);
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// A successful chip read.
#[derive(Debug)]
pub struct ChipRead {
    /// The citizen.
    pub citizen: Citizen,
    /// How the secure channel was set up (PACE, or BAC after PACE failed).
    pub access: AccessMethod,
}

/// Reads the citizen from the chip on `reader` (a card must be present): PACE-CAN, BAC
/// fallback when `keys` has an MRZ key, passive authentication of DG1, DG13 and DG14 against
/// `trust`, chip authentication with DG14's key. Altered data or a failed chip authentication
/// is [`IdentifyError::Altered`]: nothing read is used. `this_year` places a 2-digit MRZ birth
/// year when DG13 is missing.
pub fn read_chip(
    reader: &mut dyn IdCardReader,
    keys: &ChipKeys,
    trust: &TrustStore,
    key: &IdHashKey,
    this_year: u16,
) -> Result<ChipRead, IdentifyError> {
    let random = SessionRandom {
        pace: PaceRandom { map_sk: rng()?, eph_sk: rng()? },
        bac: BacRandom { rnd_ifd: rng()?, k_ifd: rng()? },
    };
    let (mut s, access) =
        Session::new(Borrowed(reader)).establish(&keys.can, keys.bac.as_ref(), &random).map_err(|e| {
            tracing::info!(kind = ?e.kind(), "chip access failed");
            cccd_error(&e, true)
        })?;
    let (verdict, files) =
        s.read_verified(&[DataGroup::Dg1, DataGroup::Dg13, DataGroup::Dg14], trust).map_err(|e| {
            tracing::info!(kind = ?e.kind(), "chip read failed");
            cccd_error(&e, false)
        })?;
    if !verdict.chip_consistent() {
        tracing::warn!(verdict = verdict_word(&verdict), "chip data does not match its signature; not used");
        return Err(IdentifyError::Altered);
    }
    let chip_authenticated = match files.get(DataGroup::Dg14).map(Dg14::parse) {
        Some(Ok(dg14)) if dg14.ca_ecdh_aes128().is_some() => match s.chip_authenticate(&dg14, &rng()?) {
            Ok(()) => true,
            Err(e) if e.kind() == ErrorKind::Authentication || e.kind() == ErrorKind::Protocol => {
                tracing::warn!(kind = ?e.kind(), "chip authentication failed (clone suspected); not used");
                return Err(IdentifyError::Altered);
            }
            Err(e) => return Err(cccd_error(&e, false)),
        },
        _ => false,
    };
    let verification = if verdict == PaVerdict::Verified && chip_authenticated {
        CitizenVerification::Verified
    } else {
        CitizenVerification::ChipConsistent
    };
    let mut dg13 = files.get(DataGroup::Dg13).and_then(|b| Dg13::parse(b).ok()).unwrap_or_default();
    let mrz = files.get(DataGroup::Dg1).and_then(|b| parse_dg1(b).ok());
    let id = Zeroizing::new(match (&dg13.id_number, &mrz) {
        (Some(id), _) => id.clone(),
        (None, Some(m)) => m.cccd_id_number().map(str::to_owned).unwrap_or_default(),
        (None, None) => String::new(),
    });
    let mrz_name = mrz.as_ref().map(|m| Zeroizing::new(format!("{} {}", m.surname, m.given_names)));
    let name = Zeroizing::new(dg13.full_name.clone().or_else(|| mrz_name.as_deref().cloned()).unwrap_or_default());
    let birth = dg13.date_of_birth.or_else(|| mrz.as_ref().and_then(|m| mrz_birth(&m.date_of_birth, this_year)));
    // The QR (when it opened the chip), DG1 and DG13 must tell the same story.
    let mismatches = cross_check(keys.qr.as_deref(), mrz.as_ref(), Some(&dg13));
    zeroize_dg13(&mut dg13);
    if !mismatches.is_empty() {
        let fields: Vec<_> = mismatches.iter().map(|m| (m.field, m.between)).collect();
        tracing::warn!(?fields, "the card's QR, DG1 and DG13 disagree; not used");
        return Err(IdentifyError::Altered);
    }
    let id_ok = id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit());
    if !id_ok || name.trim().is_empty() {
        tracing::warn!(id_len = id.len(), name_len = name.len(), "chip has no usable ID or name");
        return Err(IdentifyError::Unreadable);
    }
    let stats = s.stats();
    tracing::info!(
        access = ?access,
        verdict = verdict_word(&verdict),
        chip_authenticated,
        apdus = stats.apdus,
        bytes = stats.bytes,
        retries = stats.retries,
        "chip read"
    );
    Ok(ChipRead { citizen: Citizen::new(&name, &id, birth, verification, key), access })
}

fn zeroize_dg13(d: &mut Dg13) {
    for s in [
        &mut d.id_number,
        &mut d.full_name,
        &mut d.sex,
        &mut d.nationality,
        &mut d.place_of_origin,
        &mut d.residence,
        &mut d.expiry,
        &mut d.father,
        &mut d.mother,
        &mut d.spouse,
        &mut d.old_id,
    ] {
        s.zeroize();
    }
}

fn mrz_birth(yymmdd: &str, this_year: u16) -> Option<Date> {
    let n = |r: std::ops::Range<usize>| yymmdd.get(r).and_then(|s| s.parse::<u16>().ok());
    let (yy, mm, dd) = (n(0..2)?, n(2..4)?, n(4..6)?);
    let century = if yy > this_year % 100 { 1900 } else { 2000 };
    Date::new(century + yy, u8::try_from(mm).ok()?, u8::try_from(dd).ok()?)
}

fn verdict_word(v: &PaVerdict) -> &'static str {
    match v {
        PaVerdict::Verified => "verified",
        PaVerdict::UnknownCsca => "unknown_csca",
        PaVerdict::DsCertificateInvalid => "ds_certificate_invalid",
        PaVerdict::DataGroupHashMismatch(_) => "hash_mismatch",
        PaVerdict::DataGroupNotInSod(_) => "not_in_sod",
        PaVerdict::SignedAttributesMismatch => "signed_attributes_mismatch",
        PaVerdict::SignatureInvalid => "signature_invalid",
        _ => "unsupported",
    }
}

/// Where the kiosk's chip reader comes from: opened for each read.
pub trait IdCardSource: Send + Sync + 'static {
    /// Opens the reader (for the simulated card: a fresh reader with the card put on it).
    fn open(&self) -> Result<Box<dyn IdCardReader>, DeviceError>;
    /// A word for logs and `doctor` (`sim`, `pcsc`).
    fn kind(&self) -> &'static str;
}

/// Builds the simulated card put on a fresh simulated reader: its APDU responder, given the
/// reader's handle (so a test can pull the card mid-read). `None`: no card comes.
pub type SimCardFactory =
    Arc<dyn Fn(&motcua_device::sim::SimIdCardReaderHandle) -> Option<motcua_device::sim::ApduResponder> + Send + Sync>;

/// The simulated chip reader: motcua-cccd's simulated CCCD through the same session code as a
/// real reader.
pub struct SimIdCardSource {
    factory: SimCardFactory,
}

impl std::fmt::Debug for SimIdCardSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimIdCardSource")
    }
}

impl SimIdCardSource {
    /// Cards made by `factory`.
    pub fn new(factory: SimCardFactory) -> Self {
        Self { factory }
    }

    /// The synthetic citizen of CCCD.md (`SimCccdChip::sample`), tapped at once.
    pub fn sample() -> Self {
        Self::new(Arc::new(|_| Some(motcua_cccd::sim::SimCccdChip::sample().into_responder())))
    }
}

impl IdCardSource for SimIdCardSource {
    fn open(&self) -> Result<Box<dyn IdCardReader>, DeviceError> {
        let reader = motcua_device::sim::SimIdCardReader::new();
        let handle = reader.handle();
        if let Some(responder) = (self.factory)(&handle) {
            handle.insert_card(motcua_device::sim::DEFAULT_ATR.to_vec(), responder);
        }
        Ok(Box::new(reader))
    }

    fn kind(&self) -> &'static str {
        "sim"
    }
}

/// A PC/SC reader (feature `pcsc`).
#[cfg(feature = "pcsc")]
#[derive(Debug, Default)]
pub struct PcscIdCardSource {
    /// The reader's name, or the first reader.
    pub reader: Option<String>,
}

#[cfg(feature = "pcsc")]
impl IdCardSource for PcscIdCardSource {
    fn open(&self) -> Result<Box<dyn IdCardReader>, DeviceError> {
        Ok(Box::new(motcua_cccd::pcsc::PcscReader::open(self.reader.as_deref())?))
    }

    fn kind(&self) -> &'static str {
        "pcsc"
    }
}

/// Everything the identify step needs: the reader (if any), the CSCA trust list, the office
/// key, how long to wait for a card.
#[derive(Clone)]
pub struct IdCardService {
    /// The chip reader; `None`: identification by QR only.
    pub source: Option<Arc<dyn IdCardSource>>,
    /// CSCA certificates passive authentication trusts.
    pub trust: Arc<TrustStore>,
    /// The office key of the ID hash.
    pub key: Arc<IdHashKey>,
    /// How long to wait for a card after "Chạm thẻ".
    pub wait: Duration,
}

impl std::fmt::Debug for IdCardService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdCardService")
            .field("source", &self.source.as_ref().map(|s| s.kind()))
            .field("trust", &self.trust.len())
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl IdCardService {
    /// The simulated sample card, trusting the test CSCA that signed it (so the demo shows a
    /// verified card), with a random key for this run.
    pub fn sim() -> Option<Self> {
        let mut trust = TrustStore::new();
        if trust.add_der(&motcua_cccd::test_pki::TestPki::sample().csca_certificate).is_err() {
            tracing::warn!("test CSCA not loaded; the simulated card reads as not verified");
        }
        Some(Self {
            source: Some(Arc::new(SimIdCardSource::sample())),
            trust: Arc::new(trust),
            key: Arc::new(IdHashKey::random()?),
            wait: Duration::from_secs(20),
        })
    }

    /// Waits for a card and reads it, on the calling (blocking) thread. `on_card` is called
    /// once the card is there, before the read starts.
    pub fn read(&self, keys: &ChipKeys, this_year: u16, on_card: &dyn Fn()) -> Result<ChipRead, IdentifyError> {
        let source = self.source.as_ref().ok_or(IdentifyError::ReaderFailed)?;
        let mut reader = source.open().map_err(|e| {
            tracing::warn!(error = %e, "ID-card reader not available");
            device_error(&e)
        })?;
        wait_for_card(reader.as_mut(), self.wait)?;
        on_card();
        let started = Instant::now();
        let r = read_chip(reader.as_mut(), keys, &self.trust, &self.key, this_year);
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            outcome = r.as_ref().map(|_| "ok").unwrap_or_else(|e| e.code()),
            "chip identification"
        );
        r
    }
}

/// Where the identify step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdentifyStage {
    /// Choose chip, QR or skip (with the consent text).
    #[default]
    Choose,
    /// Type the last 6 digits of the ID (the CAN), or scan the card's QR.
    EnterCan,
    /// Waiting for the card on the reader.
    WaitCard,
    /// Reading the chip: keep the card on the reader.
    Reading,
    /// Waiting for the card's QR at the scanner or camera.
    WaitQr,
    /// Identified: name and masked ID shown; continue or do without.
    Done,
    /// Failed, with why.
    Failed(IdentifyError),
}

/// What the identify screen shows. `Debug` redacts the name and the ID.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentifyView {
    /// Where the step is.
    pub stage: IdentifyStage,
    /// Whether a chip reader is configured ("Chạm thẻ CCCD" offered).
    pub chip: bool,
    /// Digits typed so far (shown as dots, never the digits).
    pub can_len: usize,
    /// The identified citizen's name (on [`IdentifyStage::Done`]).
    pub name: String,
    /// Masked ID (on [`IdentifyStage::Done`]).
    pub masked_id: String,
    /// Verification status (on [`IdentifyStage::Done`]).
    pub verification: Option<CitizenVerification>,
}

impl Drop for IdentifyView {
    fn drop(&mut self) {
        self.name.zeroize();
        self.masked_id.zeroize();
    }
}

impl std::fmt::Debug for IdentifyView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentifyView")
            .field("stage", &self.stage)
            .field("chip", &self.chip)
            .field("can_len", &self.can_len)
            .field("verification", &self.verification)
            .finish_non_exhaustive()
    }
}

/// The identify step's state for one visit. Dropping it (or [`IdentifyState::reset`]) wipes
/// the citizen and the typed digits.
#[derive(Debug, Default)]
pub struct IdentifyState {
    /// Where the step is.
    pub stage: IdentifyStage,
    can: Zeroizing<String>,
    keys: Option<ChipKeys>,
    citizen: Option<Citizen>,
}

impl IdentifyState {
    /// Forgets everything of this visit.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The view for the screen.
    pub fn view(&self, chip: bool) -> IdentifyView {
        let c = self.citizen.as_ref().filter(|_| self.stage == IdentifyStage::Done);
        IdentifyView {
            stage: self.stage,
            chip,
            can_len: self.can.len(),
            name: c.map(|c| c.display_name().to_owned()).unwrap_or_default(),
            masked_id: c.map(|c| c.masked_id().to_owned()).unwrap_or_default(),
            verification: c.map(Citizen::verification),
        }
    }

    /// A keypad digit on the CAN stage (at most 6; anything but a digit is ignored).
    pub fn key(&mut self, k: &str) {
        if self.stage == IdentifyStage::EnterCan
            && self.can.len() < 6
            && k.len() == 1
            && k.bytes().all(|b| b.is_ascii_digit())
        {
            self.can.push_str(k);
        }
    }

    /// Deletes the last digit.
    pub fn backspace(&mut self) {
        self.can.pop();
    }

    /// Takes the chip keys: from a scanned QR if one came, else from the typed CAN.
    pub fn take_keys(&mut self) -> Option<ChipKeys> {
        self.keys.take().or_else(|| ChipKeys::from_can(&self.can))
    }

    /// Keeps the chip keys from a scanned QR (the CAN stage accepts the QR instead of typing).
    pub fn set_keys(&mut self, keys: ChipKeys) {
        self.keys = Some(keys);
    }

    /// Clears the typed digits.
    pub fn clear_can(&mut self) {
        self.can.zeroize();
        self.can.clear();
    }

    /// The step succeeded.
    pub fn identified(&mut self, c: Citizen) {
        self.citizen = Some(c);
        self.clear_can();
        self.keys = None;
        self.stage = IdentifyStage::Done;
    }

    /// The identified citizen, once accepted or shown.
    pub fn citizen(&self) -> Option<&Citizen> {
        self.citizen.as_ref()
    }

    /// Forgets the citizen (the citizen chose to go on without).
    pub fn forget_citizen(&mut self) {
        self.citizen = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> IdHashKey {
        IdHashKey::new(vec![7; 32]).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn the_id_hash_is_hmac_sha256_hex_and_keyed() {
        let k = key();
        let h = k.hash("001099012345");
        assert_eq!(h.len(), 64);
        assert_ne!(h, IdHashKey::new(vec![8; 32]).map(|k| k.hash("001099012345")).unwrap_or_default());
        // RFC 4231 test case 2: key "Jefe", "what do ya want for nothing?".
        let jefe = IdHashKey(Zeroizing::new(b"Jefe".to_vec()));
        assert_eq!(
            jefe.hash("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn expiry_follows_the_renewal_ages() {
        let d = |y, m, dd| Date::new(y, m, dd).unwrap_or_else(|| unreachable!());
        // Issued at 22: valid to 25.
        assert_eq!(cccd_expiry(d(1999, 3, 15), d(2021, 3, 15)), Some(d(2024, 3, 15)));
        // Issued at 23 1/2 (within two years of 25): valid to 40.
        assert_eq!(cccd_expiry(d(1999, 3, 15), d(2022, 9, 1)), Some(d(2039, 3, 15)));
        // Issued at 59: for life.
        assert_eq!(cccd_expiry(d(1960, 1, 1), d(2019, 6, 1)), None);
    }

    #[test]
    fn age_counts_whole_years() {
        let c =
            Citizen::new("Nguyễn  Văn A", "001099012345", Date::new(1960, 5, 20), CitizenVerification::QrOnly, &key());
        assert_eq!(c.display_name(), "Nguyễn Văn A");
        assert_eq!(c.masked_id(), "001******345");
        assert_eq!(c.age_on(2020, 5, 19), Some(59));
        assert_eq!(c.age_on(2020, 5, 20), Some(60));
        let claim = c.claim(false);
        assert_eq!(claim.birth_year, None);
        assert!(claim.check().is_ok());
        assert!(!format!("{c:?}{claim:?}").contains("Nguy"));
    }
}

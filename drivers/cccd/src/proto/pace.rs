//! PACE with the CAN (or the MRZ) and Generic Mapping on brainpoolP256r1 with AES-128
//! (`id-PACE-ECDH-GM-AES-CBC-CMAC-128`, standardized domain parameters 13), ICAO 9303-11 §4.4
//! and Appendix G.1; the CCCD profile of CCCD.md §2.1.
//!
//! - [`CardAccess::parse`] reads EF.CardAccess (a SET of SecurityInfos) and keeps the PACEInfos.
//! - [`PaceTerminal`] is the terminal side as a sans-IO step machine: MSE:Set AT, then four
//!   General Authenticate commands (encrypted nonce → mapping → key agreement → mutual
//!   authentication), each built from the chip's previous answer. The chip's token is verified
//!   before a [`SecureChannel`] (AES, SSC = 0) is handed out.
//! - [`PaceChip`] is the card side, for the simulated chip.
//!
//! Curve arithmetic is RustCrypto's `bp256` (feature `arithmetic`, constant-time field and
//! scalar code). Every point the other side sends is decoded as an uncompressed SEC1 point and
//! checked to be on the curve and not the identity; the mapped generator and the shared secret
//! are checked not to be the identity, and the two ephemeral public keys must differ
//! (§4.4.3.3.2).
//!
//! Randomness is the caller's: the two private keys come in as 32 bytes each (from a CSPRNG).
//! A value at or above the group order has its top bit cleared, which keeps it uniform over
//! [0, 2^255) — far more than the 128-bit security of the session keys.
//!
//! Does not implement: Integrated Mapping, Chip Authentication Mapping, DH groups, other
//! curves or ciphers (a [`PaceInfo`] for them is parsed but reported unsupported).

use bp256::elliptic_curve::ff::PrimeField;
use bp256::elliptic_curve::point::AffineCoordinates;
use bp256::elliptic_curve::sec1::{FromSec1Point, ToSec1Point};
use bp256::r1::{AffinePoint, ProjectivePoint};
use bp256::{FieldBytes, Scalar};
use sha1::{Digest, Sha1};
use zeroize::Zeroize;

use super::bac::BacKey;
use super::crypto::{Key16, mac_eq};
use super::lds::tlv;
use super::sm::{SecureChannel, aes_cbc_decrypt, aes_cbc_encrypt, aes_cmac};
use crate::{Error, Result};

/// `id-PACE-ECDH-GM-AES-CBC-CMAC-128` (0.4.0.127.0.7.2.2.4.2.2), DER content bytes.
pub const ID_PACE_ECDH_GM_AES_128: [u8; 10] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02];
/// `id-PACE` (0.4.0.127.0.7.2.2.4): prefix of every PACE protocol OID.
const ID_PACE: [u8; 8] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04];
/// Standardized domain parameters 13: brainpoolP256r1.
pub const PARAM_BRAINPOOL_P256R1: u32 = 13;
/// KDF counter for K_pi.
const KDF_PI: u32 = 3;

/// One PACEInfo of EF.CardAccess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceInfo {
    /// The protocol OID (DER content bytes).
    pub protocol: Vec<u8>,
    /// The version (2 for current chips).
    pub version: u32,
    /// The standardized domain parameter identifier, if given.
    pub parameter_id: Option<u32>,
}

impl PaceInfo {
    /// Whether this driver can run it: ECDH-GM with AES-128 on brainpoolP256r1, version 2.
    pub fn is_supported(&self) -> bool {
        self.protocol == ID_PACE_ECDH_GM_AES_128
            && self.version == 2
            && self.parameter_id == Some(PARAM_BRAINPOOL_P256R1)
    }
}

/// EF.CardAccess: the PACEInfos, and how many other SecurityInfos (TA, CA, …) it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardAccess {
    /// Every PACEInfo, supported or not, in file order.
    pub pace: Vec<PaceInfo>,
    /// SecurityInfos that are not PACEInfos.
    pub other_infos: usize,
}

/// A small non-negative DER INTEGER (at most 4 content bytes).
pub(crate) fn der_uint(v: &[u8]) -> Option<u32> {
    match v {
        [] => None,
        [first, ..] if first & 0x80 != 0 => None,
        _ if v.len() > 5 || (v.len() == 5 && v.first() != Some(&0)) => None,
        _ => Some(v.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))),
    }
}

impl CardAccess {
    /// Parses EF.CardAccess (`SET OF SecurityInfo`, ICAO 9303-11 §9.2). Trailing bytes after the
    /// SET (files padded by the card) are ignored; anything malformed inside it is an error.
    pub fn parse(b: &[u8]) -> Result<Self> {
        let (tag, mut set, _) = tlv(b).ok_or(Error::Lds("EF.CardAccess is not a TLV"))?;
        if tag != 0x31 {
            return Err(Error::Lds("EF.CardAccess is not a SET"));
        }
        let mut out = CardAccess::default();
        while !set.is_empty() {
            let (tag, info, rest) = tlv(set).ok_or(Error::Lds("EF.CardAccess: malformed SecurityInfo"))?;
            set = rest;
            if tag != 0x30 {
                return Err(Error::Lds("EF.CardAccess: SecurityInfo is not a SEQUENCE"));
            }
            let (tag, oid, rest) = tlv(info).ok_or(Error::Lds("EF.CardAccess: SecurityInfo without OID"))?;
            if tag != 0x06 {
                return Err(Error::Lds("EF.CardAccess: SecurityInfo without OID"));
            }
            if !oid.starts_with(&ID_PACE) || oid.len() != ID_PACE.len() + 2 {
                out.other_infos += 1;
                continue;
            }
            let (tag, version, rest) = tlv(rest).ok_or(Error::Lds("PACEInfo without version"))?;
            let version = der_uint(version).filter(|_| tag == 0x02).ok_or(Error::Lds("PACEInfo: bad version"))?;
            let parameter_id = match tlv(rest) {
                None if rest.is_empty() => None,
                Some((0x02, v, [])) => Some(der_uint(v).ok_or(Error::Lds("PACEInfo: bad parameterId"))?),
                _ => return Err(Error::Lds("PACEInfo: malformed parameterId")),
            };
            out.pace.push(PaceInfo { protocol: oid.to_vec(), version, parameter_id });
        }
        Ok(out)
    }

    /// The PACEInfo this driver will use, if any.
    pub fn supported_pace(&self) -> Option<&PaceInfo> {
        self.pace.iter().find(|p| p.is_supported())
    }
}

/// The Card Access Number: 6 digits, on the CCCD the last 6 digits of the 12-digit ID.
#[derive(Clone)]
pub struct Can(String);

impl std::fmt::Debug for Can {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Can(<redacted>)")
    }
}

impl Drop for Can {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Can {
    /// A CAN from its 6 digits.
    pub fn new(digits: &str) -> Result<Self> {
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits.to_owned()))
        } else {
            Err(Error::Authentication("the CAN must be 6 digits"))
        }
    }

    /// The CAN of a CCCD from its 12-digit ID number.
    pub fn from_id_number(id12: &str) -> Result<Self> {
        if id12.len() != 12 || !id12.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Authentication("the ID number must be 12 digits"));
        }
        Self::new(id12.get(6..).unwrap_or_default())
    }
}

/// The PACE password.
#[derive(Debug, Clone, Copy)]
pub enum Password<'a> {
    /// The MRZ (password reference 1): K = SHA-1(MRZ information).
    Mrz(&'a BacKey),
    /// The CAN (password reference 2): K = the digits.
    Can(&'a Can),
}

impl Password<'_> {
    /// The password reference of MSE:Set AT (DO83).
    pub fn reference(&self) -> u8 {
        match self {
            Password::Mrz(_) => 0x01,
            Password::Can(_) => 0x02,
        }
    }

    /// K_pi = KDF(K, 3) for AES-128.
    pub fn k_pi(&self) -> Key16 {
        match self {
            Password::Mrz(k) => kdf_aes128(&Sha1::digest(k.mrz_information().as_bytes()), KDF_PI),
            Password::Can(c) => kdf_aes128(c.0.as_bytes(), KDF_PI),
        }
    }
}

/// KDF(K, c) for AES-128: the first 16 bytes of SHA-1(K ‖ c) (ICAO 9303-11 §9.7.1).
pub fn kdf_aes128(seed: &[u8], counter: u32) -> Key16 {
    let mut h = Sha1::new();
    h.update(seed);
    h.update(counter.to_be_bytes());
    let d = h.finalize();
    let mut k = [0u8; 16];
    k.copy_from_slice(d.get(..16).unwrap_or(&[0u8; 16]));
    k
}

/// MSE:Set AT for PACE. DO84 (the domain parameter id) is only sent when the chip offers more
/// than one PACEInfo, as §4.4.4.1 requires; Appendix G.1 omits it.
pub fn mse_set_at(info: &PaceInfo, password_ref: u8, with_parameter_id: bool) -> Result<Vec<u8>> {
    let mut data = vec![0x80, u8::try_from(info.protocol.len()).map_err(|_| Error::Pace("protocol OID too long"))?];
    data.extend_from_slice(&info.protocol);
    data.extend_from_slice(&[0x83, 0x01, password_ref]);
    if let (true, Some(id)) = (with_parameter_id, info.parameter_id) {
        data.extend_from_slice(&[0x84, 0x01, u8::try_from(id).map_err(|_| Error::Pace("parameter id too large"))?]);
    }
    let mut apdu = vec![0x00, 0x22, 0xC1, 0xA4, u8::try_from(data.len()).map_err(|_| Error::Pace("MSE too long"))?];
    apdu.extend_from_slice(&data);
    Ok(apdu)
}

/// General Authenticate step 1: ask for the encrypted nonce.
pub const GA_NONCE: [u8; 8] = [0x10, 0x86, 0x00, 0x00, 0x02, 0x7C, 0x00, 0x00];

/// A General Authenticate command: `cla 86 00 00 Lc 7C L (tag L value) 00`.
fn ga_command(last: bool, tag: u8, value: &[u8]) -> Result<Vec<u8>> {
    let inner_len = u8::try_from(value.len()).ok().filter(|l| *l < 0x80).ok_or(Error::Pace("GA value too long"))?;
    let mut apdu = vec![if last { 0x00 } else { 0x10 }, 0x86, 0x00, 0x00, inner_len + 4, 0x7C, inner_len + 2, tag];
    apdu.push(inner_len);
    apdu.extend_from_slice(value);
    apdu.push(0x00);
    Ok(apdu)
}

/// The value of `tag` inside dynamic authentication data `7C L …` (other tags ignored).
pub fn dynamic_auth_data(data: &[u8], tag: u32) -> Result<&[u8]> {
    let (outer, mut inner, rest) = tlv(data).ok_or(Error::Pace("malformed dynamic authentication data"))?;
    if outer != 0x7C || !rest.is_empty() {
        return Err(Error::Pace("response is not dynamic authentication data (7C)"));
    }
    while !inner.is_empty() {
        let (t, v, r) = tlv(inner).ok_or(Error::Pace("malformed dynamic authentication data"))?;
        if t == tag {
            return Ok(v);
        }
        inner = r;
    }
    Err(Error::Pace("dynamic authentication data lacks the expected object"))
}

/// A scalar from 32 caller-supplied random bytes (see the module doc); never zero.
pub fn scalar_from_random(bytes: &[u8; 32]) -> Result<Scalar> {
    let direct: Option<Scalar> = Scalar::from_repr(FieldBytes::from(*bytes)).into();
    let s = direct.or_else(|| {
        let mut b = *bytes;
        b[0] &= 0x7F;
        Scalar::from_repr(FieldBytes::from(b)).into()
    });
    s.filter(|s| !bool::from(s.is_zero())).ok_or(Error::Pace("private key is zero"))
}

fn nonce_scalar(s: &[u8; 16]) -> Result<Scalar> {
    let mut b = [0u8; 32];
    b[16..].copy_from_slice(s);
    Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(b)))
        .filter(|s| !bool::from(s.is_zero()))
        .ok_or(Error::Pace("nonce is zero"))
}

/// Decodes an uncompressed SEC1 point on brainpoolP256r1, rejecting the identity.
pub fn decode_point(b: &[u8]) -> Result<ProjectivePoint> {
    if b.len() != 65 || b.first() != Some(&0x04) {
        return Err(Error::Pace("public key is not an uncompressed 65-byte point"));
    }
    let p = AffinePoint::from_sec1_bytes(b).map_err(|_| Error::Pace("public key is not on brainpoolP256r1"))?;
    Ok(ProjectivePoint::from(p))
}

/// Encodes a point uncompressed (65 bytes); the identity is an error.
pub fn encode_point(p: &ProjectivePoint) -> Result<[u8; 65]> {
    let a = AffinePoint::from(*p);
    if bool::from(a.is_identity()) {
        return Err(Error::Pace("point at infinity"));
    }
    a.to_sec1_point(false).as_bytes().try_into().map_err(|_| Error::Pace("point encoding"))
}

fn x_coordinate(p: &ProjectivePoint) -> Result<[u8; 32]> {
    let a = AffinePoint::from(*p);
    if bool::from(a.is_identity()) {
        return Err(Error::Pace("shared secret is the point at infinity"));
    }
    Ok(a.x().into())
}

/// The authentication token: CMAC(KS_mac, 7F49 { 06 oid, 86 pk })[0..8] (§4.4.3.4).
pub fn auth_token(ks_mac: &Key16, oid: &[u8], pk: &[u8; 65]) -> Result<[u8; 8]> {
    let oid_len = u8::try_from(oid.len()).map_err(|_| Error::Pace("OID too long"))?;
    let inner = 2 + oid.len() + 2 + pk.len();
    let mut d = vec![0x7F, 0x49, u8::try_from(inner).ok().filter(|l| *l < 0x80).ok_or(Error::Pace("OID too long"))?];
    d.extend_from_slice(&[0x06, oid_len]);
    d.extend_from_slice(oid);
    d.extend_from_slice(&[0x86, 0x41]);
    d.extend_from_slice(pk);
    let full = aes_cmac(ks_mac, &d);
    let mut t = [0u8; 8];
    t.copy_from_slice(full.get(..8).unwrap_or(&[0u8; 8]));
    Ok(t)
}

/// The session keys from the shared secret's x-coordinate.
fn session_keys(k: &[u8; 32]) -> (Key16, Key16) {
    (kdf_aes128(k, 1), kdf_aes128(k, 2))
}

/// Generic Mapping: G' = s·G + H, with H = sk·PK_other (§4.4.3.3.1).
fn map_generator(s: &Scalar, sk: &Scalar, pk_other: &ProjectivePoint) -> Result<ProjectivePoint> {
    let h = *pk_other * sk;
    if bool::from(AffinePoint::from(h).is_identity()) {
        return Err(Error::Pace("mapping shared point is the identity"));
    }
    let g = ProjectivePoint::GENERATOR * s + h;
    if bool::from(AffinePoint::from(g).is_identity()) {
        return Err(Error::Pace("mapped generator is the identity"));
    }
    Ok(g)
}

#[derive(Default)]
enum Stage {
    #[default]
    Start,
    Mapping {
        s: Scalar,
    },
    Agreement {
        g: ProjectivePoint,
    },
    Confirm {
        ks_enc: Key16,
        ks_mac: Key16,
        pk_pcd: [u8; 65],
    },
    Failed,
}

/// The terminal side of PACE. Call, in order: [`PaceTerminal::mse_set_at`] (send, expect
/// 9000), send [`GA_NONCE`], [`PaceTerminal::map_command`] with the answer's data, then
/// [`PaceTerminal::key_agreement_command`], [`PaceTerminal::mutual_auth_command`] and
/// [`PaceTerminal::finish`]. A call out of order is an error.
pub struct PaceTerminal {
    info: PaceInfo,
    password_ref: u8,
    k_pi: Key16,
    map_sk: Scalar,
    eph_sk: Scalar,
    stage: Stage,
}

impl std::fmt::Debug for PaceTerminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PaceTerminal(<secrets redacted>)")
    }
}

impl Drop for PaceTerminal {
    fn drop(&mut self) {
        self.k_pi.zeroize();
        if let Stage::Confirm { ks_enc, ks_mac, .. } = &mut self.stage {
            ks_enc.zeroize();
            ks_mac.zeroize();
        }
    }
}

impl PaceTerminal {
    /// A run of PACE with `info` (must be supported), `password`, and the two ephemeral private
    /// keys (mapping, key agreement) as 32 random bytes each.
    pub fn new(info: &PaceInfo, password: Password<'_>, map_sk: &[u8; 32], eph_sk: &[u8; 32]) -> Result<Self> {
        if !info.is_supported() {
            return Err(Error::Pace("unsupported PACE protocol or domain parameters"));
        }
        Ok(Self {
            info: info.clone(),
            password_ref: password.reference(),
            k_pi: password.k_pi(),
            map_sk: scalar_from_random(map_sk)?,
            eph_sk: scalar_from_random(eph_sk)?,
            stage: Stage::Start,
        })
    }

    /// MSE:Set AT for this run.
    pub fn mse_set_at(&self, with_parameter_id: bool) -> Result<Vec<u8>> {
        mse_set_at(&self.info, self.password_ref, with_parameter_id)
    }

    /// Decrypts the nonce (answer to [`GA_NONCE`]) and builds step 2 with PK_map,PCD.
    pub fn map_command(&mut self, nonce_response: &[u8]) -> Result<Vec<u8>> {
        let Stage::Start = self.stage else { return Err(Error::Pace("PACE step out of order")) };
        self.stage = Stage::Failed;
        let z = dynamic_auth_data(nonce_response, 0x80)?;
        if z.len() != 16 {
            return Err(Error::Pace("encrypted nonce is not 16 bytes"));
        }
        let mut plain = aes_cbc_decrypt(&self.k_pi, &[0u8; 16], z)?;
        let mut s = [0u8; 16];
        s.copy_from_slice(plain.get(..16).unwrap_or(&[0u8; 16]));
        plain.zeroize();
        let s_scalar = nonce_scalar(&s)?;
        s.zeroize();
        let pk = encode_point(&(ProjectivePoint::GENERATOR * self.map_sk))?;
        let cmd = ga_command(false, 0x81, &pk)?;
        self.stage = Stage::Mapping { s: s_scalar };
        Ok(cmd)
    }

    /// Maps the generator with the chip's PK_map,PICC and builds step 3 with the ephemeral key.
    pub fn key_agreement_command(&mut self, map_response: &[u8]) -> Result<Vec<u8>> {
        let Stage::Mapping { s } = std::mem::replace(&mut self.stage, Stage::Failed) else {
            return Err(Error::Pace("PACE step out of order"));
        };
        let pk_picc = decode_point(dynamic_auth_data(map_response, 0x82)?)?;
        let g = map_generator(&s, &self.map_sk, &pk_picc)?;
        let pk = encode_point(&(g * self.eph_sk))?;
        let cmd = ga_command(false, 0x83, &pk)?;
        self.stage = Stage::Agreement { g };
        Ok(cmd)
    }

    /// Agrees on the session keys with the chip's ephemeral key and builds step 4 with T_PCD.
    pub fn mutual_auth_command(&mut self, agreement_response: &[u8]) -> Result<Vec<u8>> {
        let Stage::Agreement { g } = std::mem::replace(&mut self.stage, Stage::Failed) else {
            return Err(Error::Pace("PACE step out of order"));
        };
        let pk_picc_bytes: [u8; 65] = dynamic_auth_data(agreement_response, 0x84)?
            .try_into()
            .map_err(|_| Error::Pace("public key is not an uncompressed 65-byte point"))?;
        let pk_picc = decode_point(&pk_picc_bytes)?;
        let pk_pcd = encode_point(&(g * self.eph_sk))?;
        if pk_pcd == pk_picc_bytes {
            return Err(Error::Pace("chip echoed the terminal's ephemeral key"));
        }
        let mut k = x_coordinate(&(pk_picc * self.eph_sk))?;
        let (ks_enc, ks_mac) = session_keys(&k);
        k.zeroize();
        let t_pcd = auth_token(&ks_mac, &self.info.protocol, &pk_picc_bytes)?;
        let cmd = ga_command(true, 0x85, &t_pcd)?;
        self.stage = Stage::Confirm { ks_enc, ks_mac, pk_pcd };
        Ok(cmd)
    }

    /// Verifies the chip's token T_PICC and opens the AES secure channel.
    pub fn finish(mut self, auth_response: &[u8]) -> Result<SecureChannel> {
        let Stage::Confirm { ks_enc, ks_mac, pk_pcd } = std::mem::replace(&mut self.stage, Stage::Failed) else {
            return Err(Error::Pace("PACE step out of order"));
        };
        let t_picc = dynamic_auth_data(auth_response, 0x86)?;
        if !mac_eq(&auth_token(&ks_mac, &self.info.protocol, &pk_pcd)?, t_picc) {
            return Err(Error::Authentication("PACE: chip token does not verify (wrong CAN?)"));
        }
        Ok(SecureChannel::new_aes(ks_enc, ks_mac))
    }
}

/// The chip side of PACE, for the simulated chip (fixed nonce and keys given by the caller).
pub struct PaceChip {
    oid: Vec<u8>,
    k_pi: Key16,
    nonce: [u8; 16],
    map_sk: Scalar,
    eph_sk: Scalar,
    stage: Stage,
    own_pk: Option<[u8; 65]>,
}

impl std::fmt::Debug for PaceChip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PaceChip(<secrets redacted>)")
    }
}

impl PaceChip {
    /// A run of the chip side with password key `k_pi`, nonce `s` and private keys.
    pub fn new(oid: &[u8], k_pi: Key16, nonce: [u8; 16], map_sk: &[u8; 32], eph_sk: &[u8; 32]) -> Result<Self> {
        Ok(Self {
            oid: oid.to_vec(),
            k_pi,
            nonce,
            map_sk: scalar_from_random(map_sk)?,
            eph_sk: scalar_from_random(eph_sk)?,
            stage: Stage::Start,
            own_pk: None,
        })
    }

    /// Answer to step 1: `7C 12 80 10 E(K_pi, s)`.
    pub fn encrypted_nonce(&mut self) -> Result<Vec<u8>> {
        let z = aes_cbc_encrypt(&self.k_pi, &[0u8; 16], &self.nonce)?;
        self.stage = Stage::Mapping { s: nonce_scalar(&self.nonce)? };
        let mut out = vec![0x7C, 0x12, 0x80, 0x10];
        out.extend_from_slice(&z);
        Ok(out)
    }

    /// Answer to step 2 (command data `7C 43 81 41 PK_map,PCD`).
    pub fn map(&mut self, cmd_data: &[u8]) -> Result<Vec<u8>> {
        let Stage::Mapping { s } = std::mem::replace(&mut self.stage, Stage::Failed) else {
            return Err(Error::Pace("PACE step out of order"));
        };
        let pk_pcd = decode_point(dynamic_auth_data(cmd_data, 0x81)?)?;
        let g = map_generator(&s, &self.map_sk, &pk_pcd)?;
        let pk = encode_point(&(ProjectivePoint::GENERATOR * self.map_sk))?;
        self.stage = Stage::Agreement { g };
        Ok(dad(0x82, &pk))
    }

    /// Answer to step 3 (command data `7C 43 83 41 PK_PCD`).
    pub fn key_agreement(&mut self, cmd_data: &[u8]) -> Result<Vec<u8>> {
        let Stage::Agreement { g } = std::mem::replace(&mut self.stage, Stage::Failed) else {
            return Err(Error::Pace("PACE step out of order"));
        };
        let pk_pcd_bytes: [u8; 65] = dynamic_auth_data(cmd_data, 0x83)?
            .try_into()
            .map_err(|_| Error::Pace("public key is not an uncompressed 65-byte point"))?;
        let pk_pcd = decode_point(&pk_pcd_bytes)?;
        let pk = encode_point(&(g * self.eph_sk))?;
        if pk == pk_pcd_bytes {
            return Err(Error::Pace("terminal echoed the chip's ephemeral key"));
        }
        let k = x_coordinate(&(pk_pcd * self.eph_sk))?;
        let (ks_enc, ks_mac) = session_keys(&k);
        // T_PICC is over the terminal's key, T_PCD (which the chip checks) over the chip's own.
        self.stage = Stage::Confirm { ks_enc, ks_mac, pk_pcd: pk_pcd_bytes };
        self.own_pk = Some(pk);
        Ok(dad(0x84, &pk))
    }

    /// Answer to step 4 (command data `7C 0A 85 08 T_PCD`): checks T_PCD, answers T_PICC and
    /// opens the chip's secure channel.
    pub fn mutual_auth(&mut self, cmd_data: &[u8]) -> Result<(Vec<u8>, SecureChannel)> {
        let Stage::Confirm { ks_enc, ks_mac, pk_pcd } = std::mem::replace(&mut self.stage, Stage::Failed) else {
            return Err(Error::Pace("PACE step out of order"));
        };
        let own = self.own_pk.take().ok_or(Error::Pace("PACE step out of order"))?;
        let t_pcd = dynamic_auth_data(cmd_data, 0x85)?;
        if !mac_eq(&auth_token(&ks_mac, &self.oid, &own)?, t_pcd) {
            return Err(Error::Authentication("PACE: terminal token does not verify"));
        }
        let t_picc = auth_token(&ks_mac, &self.oid, &pk_pcd)?;
        Ok((dad(0x86, &t_picc), SecureChannel::new_aes(ks_enc, ks_mac)))
    }
}

fn dad(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![0x7C, (value.len() + 2) as u8, tag, value.len() as u8];
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }
    fn a32(s: &str) -> [u8; 32] {
        h(s).try_into().unwrap()
    }

    const G1_CARD_ACCESS: &str = "31143012060A04007F0007020204020202010202010D";
    /// EF.CardAccess of the CCCD (CCCD.md §2.1): TA info, CA info, PACEInfo GM-AES-128 / 13.
    const CCCD_CARD_ACCESS: &str =
        "3134300D060804007F0007020202020101300F060A04007F000702020302020201013012060A04007F0007020204020202010202010D";
    const MAP_SK_PCD: &str = "7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99";
    const EPH_SK_PCD: &str = "A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595";
    const MAP_SK_PICC: &str = "498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560";
    const EPH_SK_PICC: &str = "107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A";
    const NONCE: &str = "3F00C4D39D153F2B2A214A078D899B22";

    /// ICAO 9303-11 Appendix G.1, the whole command/response transcript.
    const G1_TRANSCRIPT: [(&str, &str); 4] = [
        ("10860000027C0000", "7C12801095A3A016522EE98D01E76CB6B98B42C3"),
        (
            "10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00",
            "7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54",
        ),
        (
            "10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200",
            "7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094",
        ),
        ("008600000C7C0A8508C2B0BD78D94BA86600", "7C0A86083ABB9674BCE93C08"),
    ];

    fn g1_key() -> BacKey {
        // MRZ information "T22000129364081251010318" of Appendix G.1.
        BacKey::new("T22000129", "640812", "101031")
    }

    #[test]
    fn card_access_of_g1_and_cccd_parse() {
        let g1 = CardAccess::parse(&h(G1_CARD_ACCESS)).unwrap();
        assert_eq!(g1.pace.len(), 1);
        assert!(g1.supported_pace().is_some());
        let cccd = CardAccess::parse(&h(CCCD_CARD_ACCESS)).unwrap();
        assert_eq!(cccd.other_infos, 2);
        let p = cccd.supported_pace().unwrap();
        assert_eq!((p.version, p.parameter_id), (2, Some(13)));
        assert_eq!(p.protocol, ID_PACE_ECDH_GM_AES_128);
    }

    #[test]
    fn malformed_card_access_is_an_error() {
        let full = h(CCCD_CARD_ACCESS);
        for n in 0..full.len() {
            assert!(CardAccess::parse(&full[..n]).is_err(), "prefix {n}");
        }
        assert!(CardAccess::parse(&h("3003020101")).is_err());
        assert!(CardAccess::parse(&h("31053003020101")).is_err());
    }

    #[test]
    fn k_pi_for_mrz_and_can() {
        assert_eq!(Password::Mrz(&g1_key()).k_pi().to_vec(), h("89DED1B26624EC1E634C1989302849DD"));
        // CCCD.md §3.1: CAN 012345 of the synthetic citizen.
        let can = Can::from_id_number("001099012345").unwrap();
        assert_eq!(Password::Can(&can).k_pi().to_vec(), h("5E5CD537047973C8F8BFDEA168324EC0"));
        assert!(Can::new("12345").is_err());
        assert_eq!(format!("{can:?}"), "Can(<redacted>)");
    }

    #[test]
    fn mse_set_at_for_the_cccd_can() {
        let cccd = CardAccess::parse(&h(CCCD_CARD_ACCESS)).unwrap();
        let can = Can::new("012345").unwrap();
        let t = PaceTerminal::new(cccd.supported_pace().unwrap(), Password::Can(&can), &[1; 32], &[2; 32]).unwrap();
        assert_eq!(t.mse_set_at(false).unwrap(), h("0022C1A40F800A04007F00070202040202830102"));
        assert_eq!(t.mse_set_at(true).unwrap(), h("0022C1A412800A04007F0007020204020283010284010D"));
    }

    #[test]
    fn icao_g1_terminal_transcript_is_byte_exact() {
        let ca = CardAccess::parse(&h(G1_CARD_ACCESS)).unwrap();
        let info = ca.supported_pace().unwrap();
        let key = g1_key();
        let mut t = PaceTerminal::new(info, Password::Mrz(&key), &a32(MAP_SK_PCD), &a32(EPH_SK_PCD)).unwrap();
        assert_eq!(t.mse_set_at(false).unwrap(), h("0022C1A40F800A04007F00070202040202830101"));
        assert_eq!(GA_NONCE.to_vec(), h(G1_TRANSCRIPT[0].0));
        assert_eq!(t.map_command(&h(G1_TRANSCRIPT[0].1)).unwrap(), h(G1_TRANSCRIPT[1].0));
        assert_eq!(t.key_agreement_command(&h(G1_TRANSCRIPT[1].1)).unwrap(), h(G1_TRANSCRIPT[2].0));
        assert_eq!(t.mutual_auth_command(&h(G1_TRANSCRIPT[2].1)).unwrap(), h(G1_TRANSCRIPT[3].0));
        let ch = t.finish(&h(G1_TRANSCRIPT[3].1)).unwrap();
        assert_eq!(ch.ks_enc().to_vec(), h("F5F0E35C0D7161EE6724EE513A0D9A7F"));
        assert_eq!(ch.ks_mac().to_vec(), h("FE251C7858B356B24514B3BD5F4297D1"));
        assert_eq!(ch.ssc(), 0);
    }

    #[test]
    fn icao_g1_mapped_generator_and_shared_secret() {
        let s = nonce_scalar(&h(NONCE).try_into().unwrap()).unwrap();
        let sk = scalar_from_random(&a32(MAP_SK_PCD)).unwrap();
        let pk_picc = decode_point(&h(&G1_TRANSCRIPT[1].1[8..])).unwrap();
        let g = map_generator(&s, &sk, &pk_picc).unwrap();
        assert_eq!(
            encode_point(&g).unwrap().to_vec(),
            h(
                "048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E28C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522"
            )
        );
        let eph_picc = decode_point(&h(&G1_TRANSCRIPT[2].1[8..])).unwrap();
        let k = x_coordinate(&(eph_picc * scalar_from_random(&a32(EPH_SK_PCD)).unwrap())).unwrap();
        assert_eq!(k.to_vec(), h("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925"));
    }

    #[test]
    fn icao_g1_chip_side_answers_byte_exact() {
        let k_pi = Password::Mrz(&g1_key()).k_pi();
        let mut c = PaceChip::new(
            &ID_PACE_ECDH_GM_AES_128,
            k_pi,
            h(NONCE).try_into().unwrap(),
            &a32(MAP_SK_PICC),
            &a32(EPH_SK_PICC),
        )
        .unwrap();
        assert_eq!(c.encrypted_nonce().unwrap(), h(G1_TRANSCRIPT[0].1));
        let data = |apdu: &str| h(apdu)[5..h(apdu).len() - 1].to_vec();
        assert_eq!(c.map(&data(G1_TRANSCRIPT[1].0)).unwrap(), h(G1_TRANSCRIPT[1].1));
        assert_eq!(c.key_agreement(&data(G1_TRANSCRIPT[2].0)).unwrap(), h(G1_TRANSCRIPT[2].1));
        let (resp, ch) = c.mutual_auth(&data(G1_TRANSCRIPT[3].0)).unwrap();
        assert_eq!(resp, h(G1_TRANSCRIPT[3].1));
        assert_eq!(ch.ks_enc().to_vec(), h("F5F0E35C0D7161EE6724EE513A0D9A7F"));
    }

    #[test]
    fn a_wrong_token_or_point_is_rejected() {
        let info = CardAccess::parse(&h(G1_CARD_ACCESS)).unwrap().pace.remove(0);
        let key = g1_key();
        let run = |n: usize, tamper: &dyn Fn(&mut Vec<u8>)| -> Result<SecureChannel> {
            let mut t = PaceTerminal::new(&info, Password::Mrz(&key), &a32(MAP_SK_PCD), &a32(EPH_SK_PCD))?;
            let mut r: Vec<Vec<u8>> = G1_TRANSCRIPT.iter().map(|(_, r)| h(r)).collect();
            tamper(&mut r[n]);
            t.map_command(&r[0])?;
            t.key_agreement_command(&r[1])?;
            t.mutual_auth_command(&r[2])?;
            t.finish(&r[3])
        };
        assert!(run(0, &|_| ()).is_ok());
        assert_eq!(run(3, &|r| r[5] ^= 1).unwrap_err().kind(), crate::ErrorKind::Authentication);
        assert!(run(1, &|r| r[40] ^= 1).is_err(), "point off the curve");
        assert!(run(2, &|r| r[60] ^= 1).is_err(), "point off the curve");
        assert!(run(0, &|r| r.truncate(10)).is_err(), "truncated nonce");
        assert!(run(1, &|r| r[1] = 0x50).is_err(), "oversized length");
        // Out of order.
        let mut t = PaceTerminal::new(&info, Password::Mrz(&key), &a32(MAP_SK_PCD), &a32(EPH_SK_PCD)).unwrap();
        assert!(t.mutual_auth_command(&h(G1_TRANSCRIPT[2].1)).is_err());
    }

    #[test]
    fn scalars_above_the_order_are_folded_not_rejected() {
        assert!(scalar_from_random(&[0xFF; 32]).is_ok());
        assert!(scalar_from_random(&[0; 32]).is_err());
    }
}

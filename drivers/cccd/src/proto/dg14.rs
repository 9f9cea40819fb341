//! DG14 (chip authentication SecurityInfos, ICAO 9303-11 §9.2, BSI TR-03110-3 A.1.1) and DG15
//! (the active authentication public key, ICAO 9303-11 §6.1).
//!
//! DG14 is `6E { SET OF SecurityInfo }`. Kept: every `ChipAuthenticationInfo`
//! (`id-CA-ECDH-*`/`id-CA-DH-*`, version, optional keyId) and every
//! `ChipAuthenticationPublicKeyInfo` (`id-PK-ECDH`/`id-PK-DH`, SubjectPublicKeyInfo, optional
//! keyId) and the hash of an `ActiveAuthenticationInfo` with an ECDSA algorithm; other
//! SecurityInfos (PACE, TA) are counted. DG15 is `6F { SubjectPublicKeyInfo }`.
//!
//! Does not implement: DH chip authentication keys (parsed as [`PublicKey::Unsupported`]).

use super::der::{HashAlgorithm, PublicKey, Reader};
use super::pace::der_uint;
use crate::{Error, Result};

/// `id-CA` (0.4.0.127.0.7.2.2.3): prefix of every chip authentication protocol OID.
const ID_CA: [u8; 8] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03];
/// `id-PK` (0.4.0.127.0.7.2.2.1): prefix of the CA public key OIDs.
const ID_PK: [u8; 8] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01];
/// `id-CA-ECDH-AES-CBC-CMAC-128` (0.4.0.127.0.7.2.2.3.2.2).
pub const ID_CA_ECDH_AES_128: [u8; 10] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02];

/// A ChipAuthenticationInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationInfo {
    /// Protocol OID (content bytes).
    pub protocol: Vec<u8>,
    /// Version (1 or 2).
    pub version: u32,
    /// Key identifier, when the chip has several keys.
    pub key_id: Option<u32>,
}

/// A ChipAuthenticationPublicKeyInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticationPublicKey {
    /// The public key.
    pub key: PublicKey,
    /// Key identifier.
    pub key_id: Option<u32>,
}

/// `id-icao-mrtd-security-aaProtocolObject` (2.23.136.1.1.5): ActiveAuthenticationInfo.
pub const ID_AA: [u8; 6] = [0x67, 0x81, 0x08, 0x01, 0x01, 0x05];
/// `ecdsa-plain-signatures` (0.4.0.127.0.7.1.1.4.1, BSI TR-03111): prefix of the plain
/// (r ‖ s) ECDSA OIDs; the last arc is the hash (1 = SHA-1 … 5 = SHA-512).
pub const ECDSA_PLAIN_PREFIX: [u8; 9] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01];

/// DG14's SecurityInfos.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dg14 {
    /// ChipAuthenticationInfos.
    pub ca_infos: Vec<ChipAuthenticationInfo>,
    /// ChipAuthenticationPublicKeyInfos.
    pub ca_keys: Vec<ChipAuthenticationPublicKey>,
    /// The hash of ECDSA active authentication, from ActiveAuthenticationInfo.
    pub aa_hash: Option<HashAlgorithm>,
    /// Other SecurityInfos.
    pub other_infos: usize,
}

fn optional_key_id(r: &mut Reader<'_>) -> Result<Option<u32>> {
    let id = match r.optional(0x02)? {
        Some(v) => Some(der_uint(v).ok_or(Error::Lds("DG14: bad keyId"))?),
        None => None,
    };
    r.finish()?;
    Ok(id)
}

impl Dg14 {
    /// Parses DG14 (`6E …`).
    pub fn parse(b: &[u8]) -> Result<Self> {
        let mut file = Reader::new(b, "malformed DG14");
        let mut inner = Reader::new(file.expect(0x6E)?, "malformed DG14");
        let mut set = Reader::new(inner.expect(0x31)?, "malformed DG14 SecurityInfos");
        let mut out = Dg14::default();
        while !set.is_empty() {
            let mut info = Reader::new(set.expect(0x30)?, "malformed DG14 SecurityInfo");
            let oid = info.expect(0x06)?;
            if oid.starts_with(&ID_CA) && oid.len() == ID_CA.len() + 2 {
                let version = der_uint(info.expect(0x02)?).ok_or(Error::Lds("DG14: bad version"))?;
                let key_id = optional_key_id(&mut info)?;
                out.ca_infos.push(ChipAuthenticationInfo { protocol: oid.to_vec(), version, key_id });
            } else if oid.starts_with(&ID_PK) && oid.len() == ID_PK.len() + 1 {
                let key = PublicKey::parse_spki(info.expect(0x30)?)?;
                let key_id = optional_key_id(&mut info)?;
                out.ca_keys.push(ChipAuthenticationPublicKey { key, key_id });
            } else if oid == ID_AA {
                der_uint(info.expect(0x02)?).ok_or(Error::Lds("DG14: bad AA version"))?;
                let alg = info.expect(0x06)?;
                info.finish()?;
                out.aa_hash = match alg {
                    [p @ .., n] if p == ECDSA_PLAIN_PREFIX => match n {
                        1 => Some(HashAlgorithm::Sha1),
                        2 => Some(HashAlgorithm::Sha224),
                        3 => Some(HashAlgorithm::Sha256),
                        4 => Some(HashAlgorithm::Sha384),
                        5 => Some(HashAlgorithm::Sha512),
                        _ => None,
                    },
                    _ => match super::der::SignatureAlgorithm::from_oid(alg, None) {
                        super::der::SignatureAlgorithm::Ecdsa(h) => Some(h),
                        _ => None,
                    },
                };
            } else {
                out.other_infos += 1;
            }
        }
        Ok(out)
    }

    /// The ECDH-AES-128 chip authentication to run: its info and the matching key.
    pub fn ca_ecdh_aes128(&self) -> Option<(&ChipAuthenticationInfo, &ChipAuthenticationPublicKey)> {
        let info = self.ca_infos.iter().find(|i| i.protocol == ID_CA_ECDH_AES_128)?;
        let key = self
            .ca_keys
            .iter()
            .find(|k| matches!(k.key, PublicKey::Ec { .. }) && (info.key_id.is_none() || k.key_id == info.key_id))?;
        Some((info, key))
    }
}

/// Parses DG15 (`6F { SubjectPublicKeyInfo }`).
pub fn parse_dg15(b: &[u8]) -> Result<PublicKey> {
    let mut file = Reader::new(b, "malformed DG15");
    let mut inner = Reader::new(file.expect(0x6F)?, "malformed DG15");
    let spki = inner.expect(0x30)?;
    inner.finish()?;
    PublicKey::parse_spki(spki)
}

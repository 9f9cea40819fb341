//! Passive authentication (ICAO 9303-11 §5.1): the data groups read against the SOD's hashes,
//! the SOD's CMS signature against its document signer (DS) certificate, and the DS
//! certificate against a trust list of CSCA certificates.
//!
//! The result is a [`PaVerdict`], worst finding first: altered data beats a bad signature,
//! which beats an unknown issuer. Only [`PaVerdict::Verified`] means "issued by a trusted
//! CSCA"; [`PaVerdict::UnknownCsca`] is "chip consistent, issuer not verified" (CCCD.md §4).
//!
//! Does not implement: certificate validity periods (there is no clock in the core; the
//! caller may check [`Certificate`] dates), CRLs, master-list parsing, curves other than
//! P-256, P-384, brainpoolP256r1 and brainpoolP384r1 (e.g. brainpoolP512r1, reported as
//! [`PaVerdict::UnsupportedAlgorithm`]).

use super::der::{Certificate, Verification};
use super::sod::Sod;
use crate::Result;

/// Trusted CSCA certificates.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    cscas: Vec<Certificate>,
}

impl TrustStore {
    /// An empty store (every issuer is unknown).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a DER certificate.
    pub fn add_der(&mut self, der: &[u8]) -> Result<()> {
        self.cscas.push(Certificate::parse(der)?);
        Ok(())
    }

    /// Adds a parsed certificate.
    pub fn add(&mut self, cert: Certificate) {
        self.cscas.push(cert);
    }

    /// How many CSCAs are trusted.
    pub fn len(&self) -> usize {
        self.cscas.len()
    }

    /// Whether no CSCA is trusted.
    pub fn is_empty(&self) -> bool {
        self.cscas.is_empty()
    }
}

/// The outcome of passive authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaVerdict {
    /// Hashes match, the SOD signature verifies, and the DS certificate chains to a trusted
    /// CSCA.
    Verified,
    /// These data groups do not match their SOD hash: data altered.
    DataGroupHashMismatch(Vec<u8>),
    /// These data groups were read but the SOD has no hash for them.
    DataGroupNotInSod(Vec<u8>),
    /// The signed messageDigest does not match the LDS security object.
    SignedAttributesMismatch,
    /// The SOD signature does not verify with the DS certificate.
    SignatureInvalid,
    /// A CSCA with the DS certificate's issuer name is trusted, but its signature on the DS
    /// certificate does not verify.
    DsCertificateInvalid,
    /// The chip is consistent (hashes and SOD signature) but no trusted CSCA issued the DS
    /// certificate: "chip consistent, issuer not verified".
    UnknownCsca,
    /// A signature algorithm or curve this crate does not verify.
    UnsupportedAlgorithm,
}

impl PaVerdict {
    /// Whether the data is at least internally consistent (hashes and SOD signature hold).
    pub fn chip_consistent(&self) -> bool {
        matches!(self, Self::Verified | Self::UnknownCsca | Self::DsCertificateInvalid)
    }

    /// The honest wording, in English: "verified" only with a trusted issuer.
    pub fn summary(&self) -> &'static str {
        match self {
            Self::Verified => "verified (issuer in the trust list)",
            Self::DataGroupHashMismatch(_) => "data altered (a data group does not match its SOD hash)",
            Self::DataGroupNotInSod(_) => "not verifiable (a data group is not covered by the SOD)",
            Self::SignedAttributesMismatch => "data altered (the SOD's signed digest does not match)",
            Self::SignatureInvalid => "data altered (the SOD signature does not verify)",
            Self::DsCertificateInvalid => "issuer forged (the document signer is not signed by the trusted CSCA)",
            Self::UnknownCsca => "chip consistent, issuer not verified",
            Self::UnsupportedAlgorithm => "not verifiable (unsupported signature algorithm)",
        }
    }

    /// The same in Vietnamese.
    pub fn summary_vi(&self) -> &'static str {
        match self {
            Self::Verified => "đã xác thực (cơ quan cấp có trong danh sách tin cậy)",
            Self::DataGroupHashMismatch(_) => "dữ liệu bị sửa đổi (nhóm dữ liệu không khớp mã băm trong SOD)",
            Self::DataGroupNotInSod(_) => "không xác thực được (nhóm dữ liệu không có trong SOD)",
            Self::SignedAttributesMismatch => "dữ liệu bị sửa đổi (bản tóm lược đã ký trong SOD không khớp)",
            Self::SignatureInvalid => "dữ liệu bị sửa đổi (chữ ký SOD không hợp lệ)",
            Self::DsCertificateInvalid => "cơ quan cấp giả mạo (chứng thư ký tài liệu không do CSCA tin cậy ký)",
            Self::UnknownCsca => "chip nhất quán, chưa xác thực được cơ quan cấp",
            Self::UnsupportedAlgorithm => "không xác thực được (thuật toán chữ ký chưa hỗ trợ)",
        }
    }
}

/// Runs passive authentication over the data groups read (`(number, raw file)`).
pub fn passive_authentication(sod: &Sod, data_groups: &[(u8, &[u8])], trust: &TrustStore) -> PaVerdict {
    let mut mismatched = Vec::new();
    let mut missing = Vec::new();
    for (n, raw) in data_groups {
        match sod.dg_hashes.get(n) {
            None => missing.push(*n),
            Some(expected) => {
                if !super::crypto::mac_eq(&sod.hash_algorithm.digest(raw), expected) {
                    mismatched.push(*n);
                }
            }
        }
    }
    if !mismatched.is_empty() {
        return PaVerdict::DataGroupHashMismatch(mismatched);
    }
    if !missing.is_empty() {
        return PaVerdict::DataGroupNotInSod(missing);
    }
    if sod.digest_algorithm.digest(&sod.econtent) != sod.message_digest {
        return PaVerdict::SignedAttributesMismatch;
    }
    let ds = &sod.ds_certificate;
    match ds.public_key.verify(sod.signature_algorithm, &sod.signed_attrs, &sod.signature) {
        Verification::Valid => {}
        Verification::Invalid => return PaVerdict::SignatureInvalid,
        Verification::Unsupported => return PaVerdict::UnsupportedAlgorithm,
    }
    let mut candidates = trust.cscas.iter().filter(|c| c.subject == ds.issuer).peekable();
    if candidates.peek().is_none() {
        return PaVerdict::UnknownCsca;
    }
    let mut unsupported = false;
    for csca in candidates {
        match ds.verify_issued_by(csca) {
            Verification::Valid => return PaVerdict::Verified,
            Verification::Unsupported => unsupported = true,
            Verification::Invalid => {}
        }
    }
    if unsupported { PaVerdict::UnsupportedAlgorithm } else { PaVerdict::DsCertificateInvalid }
}

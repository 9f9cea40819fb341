//! EF.SOD (ICAO 9303-10 §4.6.2): tag `77` around a CMS `ContentInfo` whose `SignedData`
//! encapsulates the `LDSSecurityObject` (hash algorithm and one hash per data group), carries
//! the document signer (DS) certificate, and one `SignerInfo` with signed attributes.
//!
//! [`Sod::parse`] keeps the exact encodings that are hashed and signed: the eContent bytes and
//! the signed attributes re-tagged as a `SET` (RFC 5652 §5.4). It checks the structure, not the
//! cryptography; that is [`crate::proto::pa`]'s job.
//!
//! Does not implement: more than one SignerInfo (the first is used), `subjectKeyIdentifier`
//! signer matching (the first certificate is taken as the signer, as eMRTDs carry only the
//! DS certificate), CRLs in the SOD.

use std::collections::BTreeMap;

use super::der::{
    Certificate, HashAlgorithm, Reader, SignatureAlgorithm, algorithm_identifier, oid, signature_algorithm,
};
use super::pace::der_uint;
use crate::{Error, Result};

/// A parsed EF.SOD.
#[derive(Clone)]
pub struct Sod {
    /// Hash algorithm of the LDS security object (DG hashes).
    pub hash_algorithm: HashAlgorithm,
    /// Data group number → hash.
    pub dg_hashes: BTreeMap<u8, Vec<u8>>,
    /// The encapsulated LDSSecurityObject, as signed.
    pub econtent: Vec<u8>,
    /// The document signer certificate.
    pub ds_certificate: Certificate,
    /// Digest algorithm of the SignerInfo.
    pub digest_algorithm: HashAlgorithm,
    /// The signed attributes, DER with the `SET` tag (the bytes the signature covers).
    pub signed_attrs: Vec<u8>,
    /// The messageDigest signed attribute.
    pub message_digest: Vec<u8>,
    /// Signature algorithm of the SignerInfo.
    pub signature_algorithm: SignatureAlgorithm,
    /// The signature.
    pub signature: Vec<u8>,
}

impl std::fmt::Debug for Sod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sod")
            .field("hash_algorithm", &self.hash_algorithm)
            .field("data_groups", &self.dg_hashes.keys().collect::<Vec<_>>())
            .field("signature_algorithm", &self.signature_algorithm)
            .finish_non_exhaustive()
    }
}

fn hash_alg(v: &[u8]) -> Result<HashAlgorithm> {
    let (o, _) = algorithm_identifier(v)?;
    HashAlgorithm::from_oid(o).ok_or(Error::Lds("SOD: unsupported hash algorithm"))
}

/// Parses an LDSSecurityObject: (hash algorithm, DG number → hash).
pub fn parse_lds_security_object(b: &[u8]) -> Result<(HashAlgorithm, BTreeMap<u8, Vec<u8>>)> {
    let mut outer = Reader::new(b, "malformed LDSSecurityObject");
    let mut r = Reader::new(outer.expect(0x30)?, "malformed LDSSecurityObject");
    outer.finish()?;
    let version = der_uint(r.expect(0x02)?).ok_or(Error::Lds("LDSSecurityObject: bad version"))?;
    if version > 1 {
        return Err(Error::Lds("LDSSecurityObject: unknown version"));
    }
    let alg = hash_alg(r.expect(0x30)?)?;
    let mut hashes = Reader::new(r.expect(0x30)?, "malformed DataGroupHash");
    let mut out = BTreeMap::new();
    while !hashes.is_empty() {
        let mut h = Reader::new(hashes.expect(0x30)?, "malformed DataGroupHash");
        let n = der_uint(h.expect(0x02)?)
            .and_then(|n| u8::try_from(n).ok())
            .filter(|n| (1..=16).contains(n))
            .ok_or(Error::Lds("DataGroupHash: bad data group number"))?;
        let value = h.expect(0x04)?;
        h.finish()?;
        if value.len() != alg.digest(&[]).len() {
            return Err(Error::Lds("DataGroupHash: wrong hash length"));
        }
        if out.insert(n, value.to_vec()).is_some() {
            return Err(Error::Lds("DataGroupHash: data group listed twice"));
        }
    }
    // ldsVersionInfo (version 1) is allowed and ignored.
    Ok((alg, out))
}

impl Sod {
    /// Parses EF.SOD (starting with tag `77`).
    pub fn parse(b: &[u8]) -> Result<Self> {
        let mut file = Reader::new(b, "malformed EF.SOD");
        let ci = file.expect(0x77)?;
        let mut ci = Reader::new(ci, "malformed ContentInfo");
        let mut ci = Reader::new(ci.expect(0x30)?, "malformed ContentInfo");
        if ci.expect(0x06)? != oid::SIGNED_DATA {
            return Err(Error::Lds("EF.SOD is not CMS SignedData"));
        }
        let mut explicit = Reader::new(ci.expect(0xA0)?, "malformed ContentInfo");
        let mut sd = Reader::new(explicit.expect(0x30)?, "malformed SignedData");
        sd.expect(0x02)?;
        sd.expect(0x31)?; // digestAlgorithms
        let mut eci = Reader::new(sd.expect(0x30)?, "malformed encapContentInfo");
        if eci.expect(0x06)? != oid::LDS_SECURITY_OBJECT {
            return Err(Error::Lds("SOD does not encapsulate an LDSSecurityObject"));
        }
        let mut ec = Reader::new(eci.expect(0xA0)?, "malformed eContent");
        let econtent = ec.expect(0x04)?.to_vec();
        let (hash_algorithm, dg_hashes) = parse_lds_security_object(&econtent)?;
        let mut certs = Reader::new(
            sd.optional(0xA0)?.ok_or(Error::Lds("SOD carries no document signer certificate"))?,
            "malformed certificates",
        );
        let (tag, cert, _) = certs.any()?;
        if tag != 0x30 {
            return Err(Error::Lds("SOD: certificate is not a SEQUENCE"));
        }
        let ds_certificate = Certificate::parse(cert)?;
        sd.optional(0xA1)?;
        let mut infos = Reader::new(sd.expect(0x31)?, "malformed signerInfos");
        let mut si = Reader::new(infos.expect(0x30)?, "malformed SignerInfo");
        si.expect(0x02)?;
        si.any()?; // sid
        let digest_algorithm = hash_alg(si.expect(0x30)?)?;
        let (tag, attrs_whole, attrs) = si.any()?;
        if tag != 0xA0 {
            return Err(Error::Lds("SignerInfo has no signed attributes"));
        }
        let mut signed_attrs = attrs_whole.to_vec();
        if let Some(t) = signed_attrs.first_mut() {
            *t = 0x31;
        }
        let message_digest = message_digest(attrs)?;
        let signature_algorithm = signature_algorithm(si.expect(0x30)?, Some(digest_algorithm))?;
        let signature = si.expect(0x04)?.to_vec();
        Ok(Self {
            hash_algorithm,
            dg_hashes,
            econtent,
            ds_certificate,
            digest_algorithm,
            signed_attrs,
            message_digest,
            signature_algorithm,
            signature,
        })
    }
}

/// The messageDigest attribute's value; the contentType attribute must name the LDS object.
fn message_digest(attrs: &[u8]) -> Result<Vec<u8>> {
    let mut r = Reader::new(attrs, "malformed signed attributes");
    let (mut digest, mut content_type_ok) = (None, false);
    while !r.is_empty() {
        let mut a = Reader::new(r.expect(0x30)?, "malformed signed attribute");
        let t = a.expect(0x06)?;
        let mut values = Reader::new(a.expect(0x31)?, "malformed signed attribute");
        if t == oid::MESSAGE_DIGEST {
            if digest.is_some() {
                return Err(Error::Lds("messageDigest attribute twice"));
            }
            digest = Some(values.expect(0x04)?.to_vec());
        } else if t == oid::CONTENT_TYPE {
            content_type_ok = values.expect(0x06)? == oid::LDS_SECURITY_OBJECT;
        }
    }
    if !content_type_ok {
        return Err(Error::Lds("signed contentType is not the LDS security object"));
    }
    digest.ok_or(Error::Lds("no messageDigest signed attribute"))
}

//! A small DER toolkit for the eMRTD security objects: a bounded reader, a writer (for the
//! simulated chip's SOD and certificates), the OIDs in use, hash algorithms, public keys
//! (SubjectPublicKeyInfo), X.509 certificates and signature verification.
//!
//! Reading is strict where it matters for security (the exact bytes that are hashed or signed
//! are kept as they were received) and bounded everywhere: lengths up to 3 bytes, no
//! indefinite lengths, every slice access checked.
//!
//! Signature verification: ECDSA (DER signatures, any of the hash algorithms below, verified
//! on the pre-hash) on P-256, P-384, brainpoolP256r1 and brainpoolP384r1, named or given as
//! explicit parameters that match one of those curves exactly; RSA PKCS#1 v1.5 and RSASSA-PSS
//! (MGF1 with the same hash, any salt length) with 1024- to 4096-bit moduli, via RustCrypto
//! `rsa` 0.10 (pinned release candidate: the first line built on digest 0.11).

use bp256::elliptic_curve::ff::PrimeField;
use primeorder::PrimeCurveParams;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::lds::tlv;
use crate::{Error, Result};

/// OID content bytes.
pub mod oid {
    /// SHA-1.
    pub const SHA1: &[u8] = &[0x2B, 0x0E, 0x03, 0x02, 0x1A];
    /// SHA-224.
    pub const SHA224: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04];
    /// SHA-256.
    pub const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    /// SHA-384.
    pub const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    /// SHA-512.
    pub const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
    /// ecdsa-with-SHA1.
    pub const ECDSA_SHA1: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01];
    /// ecdsa-with-SHA224 .. SHA512 share this prefix, last byte 1..4.
    pub const ECDSA_SHA2_PREFIX: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03];
    /// ecdsa-with-SHA256.
    pub const ECDSA_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
    /// PKCS#1 prefix (1.2.840.113549.1.1).
    pub const PKCS1_PREFIX: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01];
    /// rsaEncryption.
    pub const RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
    /// id-ecPublicKey.
    pub const EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
    /// id-PK-ECDH (BSI TR-03110), used for CA keys in DG14.
    pub const PK_ECDH: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01, 0x02];
    /// prime256v1.
    pub const P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
    /// secp384r1.
    pub const P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
    /// brainpoolP256r1.
    pub const BRAINPOOL_P256R1: &[u8] = &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07];
    /// brainpoolP384r1.
    pub const BRAINPOOL_P384R1: &[u8] = &[0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B];
    /// signedData.
    pub const SIGNED_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
    /// id-icao-mrtd-security-ldsSecurityObject.
    pub const LDS_SECURITY_OBJECT: &[u8] = &[0x67, 0x81, 0x08, 0x01, 0x01, 0x01];
    /// contentType attribute.
    pub const CONTENT_TYPE: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03];
    /// messageDigest attribute.
    pub const MESSAGE_DIGEST: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04];
    /// prime-field (field type of explicit EC parameters).
    pub const PRIME_FIELD: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x01, 0x01];
}

/// A bounded DER reader over a slice.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `b`; `what` names the structure in errors.
    pub fn new(b: &'a [u8], what: &'static str) -> Self {
        Self { rest: b, what }
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The tag of the next element, if any.
    pub fn peek_tag(&self) -> Option<u32> {
        tlv(self.rest).map(|(t, _, _)| t)
    }

    /// The next element: (tag, whole encoding, value).
    pub fn any(&mut self) -> Result<(u32, &'a [u8], &'a [u8])> {
        let (tag, value, rest) = tlv(self.rest).ok_or(Error::Lds(self.what))?;
        let whole = self.rest.get(..self.rest.len() - rest.len()).ok_or(Error::Lds(self.what))?;
        self.rest = rest;
        Ok((tag, whole, value))
    }

    /// The value of the next element, which must have tag `tag`.
    pub fn expect(&mut self, tag: u32) -> Result<&'a [u8]> {
        match self.any()? {
            (t, _, v) if t == tag => Ok(v),
            _ => Err(Error::Lds(self.what)),
        }
    }

    /// The value of the next element if it has tag `tag`.
    pub fn optional(&mut self, tag: u32) -> Result<Option<&'a [u8]>> {
        if self.peek_tag() == Some(tag) { self.expect(tag).map(Some) } else { Ok(None) }
    }

    /// Errors unless everything has been read.
    pub fn finish(&self) -> Result<()> {
        if self.rest.is_empty() { Ok(()) } else { Err(Error::Lds(self.what)) }
    }
}

/// Encodes one TLV with a one- or two-byte tag.
pub fn enc(tag: &[u8], content: &[u8]) -> Vec<u8> {
    let mut v = tag.to_vec();
    super::lds::push_len(&mut v, content.len());
    v.extend_from_slice(content);
    v
}

/// Encodes a SEQUENCE of already encoded parts.
pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    enc(&[0x30], &parts.concat())
}

/// Encodes a non-negative INTEGER from big-endian magnitude bytes.
pub fn uint(mag: &[u8]) -> Vec<u8> {
    let start = mag.iter().position(|&b| b != 0).unwrap_or(mag.len().saturating_sub(1));
    let m = mag.get(start..).unwrap_or(&[0]);
    let mut c = Vec::with_capacity(m.len() + 1);
    if m.first().is_some_and(|b| b & 0x80 != 0) {
        c.push(0);
    }
    c.extend_from_slice(if m.is_empty() { &[0] } else { m });
    enc(&[0x02], &c)
}

/// Strips the sign byte of a DER INTEGER's content.
pub fn uint_bytes(v: &[u8]) -> &[u8] {
    match v {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => v,
    }
}

/// A hash algorithm of the LDS security object or a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-1.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// From an OID.
    pub fn from_oid(o: &[u8]) -> Option<Self> {
        Some(match o {
            _ if o == oid::SHA1 => Self::Sha1,
            _ if o == oid::SHA224 => Self::Sha224,
            _ if o == oid::SHA256 => Self::Sha256,
            _ if o == oid::SHA384 => Self::Sha384,
            _ if o == oid::SHA512 => Self::Sha512,
            _ => return None,
        })
    }

    /// The OID.
    pub fn oid(self) -> &'static [u8] {
        match self {
            Self::Sha1 => oid::SHA1,
            Self::Sha224 => oid::SHA224,
            Self::Sha256 => oid::SHA256,
            Self::Sha384 => oid::SHA384,
            Self::Sha512 => oid::SHA512,
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => Sha1::digest(data).to_vec(),
            Self::Sha224 => Sha224::digest(data).to_vec(),
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// Parses an AlgorithmIdentifier: (OID, parameters as their whole encoding, if any).
pub fn algorithm_identifier(v: &[u8]) -> Result<(&[u8], Option<&[u8]>)> {
    let mut r = Reader::new(v, "malformed AlgorithmIdentifier");
    let o = r.expect(0x06)?;
    let params = if r.is_empty() { None } else { Some(r.any()?.1) };
    r.finish()?;
    Ok((o, params.filter(|p| *p != [0x05, 0x00])))
}

/// A signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// ECDSA with this hash.
    Ecdsa(HashAlgorithm),
    /// RSA PKCS#1 v1.5 with this hash.
    RsaPkcs1(HashAlgorithm),
    /// RSASSA-PSS with this hash (for the message and MGF1).
    RsaPss(HashAlgorithm),
    /// Anything else.
    Unknown,
}

impl SignatureAlgorithm {
    /// From an AlgorithmIdentifier's OID (and, for CMS `ecdsa`-only OIDs, the digest algorithm).
    pub fn from_oid(o: &[u8], digest: Option<HashAlgorithm>) -> Self {
        let pkcs1 = |b: u8| -> Option<HashAlgorithm> {
            Some(match b {
                0x05 => HashAlgorithm::Sha1,
                0x0B => HashAlgorithm::Sha256,
                0x0C => HashAlgorithm::Sha384,
                0x0D => HashAlgorithm::Sha512,
                0x0E => HashAlgorithm::Sha224,
                _ => return None,
            })
        };
        match o {
            _ if o == oid::ECDSA_SHA1 => Self::Ecdsa(HashAlgorithm::Sha1),
            [p @ .., last] if p == oid::ECDSA_SHA2_PREFIX => match last {
                1 => Self::Ecdsa(HashAlgorithm::Sha224),
                2 => Self::Ecdsa(HashAlgorithm::Sha256),
                3 => Self::Ecdsa(HashAlgorithm::Sha384),
                4 => Self::Ecdsa(HashAlgorithm::Sha512),
                _ => Self::Unknown,
            },
            _ if o == oid::EC_PUBLIC_KEY => digest.map_or(Self::Unknown, Self::Ecdsa),
            [p @ .., 0x0A] if p == oid::PKCS1_PREFIX => Self::RsaPss(digest.unwrap_or(HashAlgorithm::Sha1)),
            _ if o == oid::RSA => digest.map_or(Self::Unknown, Self::RsaPkcs1),
            [p @ .., last] if p == oid::PKCS1_PREFIX => pkcs1(*last).map_or(Self::Unknown, Self::RsaPkcs1),
            _ => Self::Unknown,
        }
    }
}

/// A signature algorithm from an AlgorithmIdentifier: for RSASSA-PSS the hash comes from its
/// parameters (`[0] hashAlgorithm`, SHA-1 by default); for CMS's bare `id-ecPublicKey` and
/// `rsaEncryption`, from `digest`.
pub fn signature_algorithm(alg_id: &[u8], digest: Option<HashAlgorithm>) -> Result<SignatureAlgorithm> {
    let (o, params) = algorithm_identifier(alg_id)?;
    if matches!(o, [p @ .., 0x0A] if p == oid::PKCS1_PREFIX) {
        let mut hash = HashAlgorithm::Sha1;
        if let Some(params) = params {
            let mut outer = Reader::new(params, "malformed RSASSA-PSS parameters");
            let mut r = Reader::new(outer.expect(0x30)?, "malformed RSASSA-PSS parameters");
            if let Some(h) = r.optional(0xA0)? {
                let mut h = Reader::new(h, "malformed RSASSA-PSS hash");
                let (ho, _) = algorithm_identifier(h.expect(0x30)?)?;
                hash = HashAlgorithm::from_oid(ho).ok_or(Error::Lds("RSASSA-PSS: unsupported hash"))?;
            }
        }
        return Ok(SignatureAlgorithm::RsaPss(hash));
    }
    Ok(SignatureAlgorithm::from_oid(o, digest))
}

/// An elliptic curve this crate can compute on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Curve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
    /// brainpoolP256r1.
    BrainpoolP256r1,
    /// brainpoolP384r1.
    BrainpoolP384r1,
}

fn curve_params<C: PrimeCurveParams>() -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>)
where
    C::FieldElement: PrimeField,
{
    use bp256::elliptic_curve::bigint::Encoding;
    let a = C::EQUATION_A.to_repr().to_vec();
    let b = C::EQUATION_B.to_repr().to_vec();
    let mut g = vec![0x04];
    g.extend_from_slice(&C::GENERATOR.0.to_repr());
    g.extend_from_slice(&C::GENERATOR.1.to_repr());
    let n = C::ORDER.get().to_be_bytes().as_ref().to_vec();
    (a, b, g, n)
}

impl Curve {
    fn from_named(o: &[u8]) -> Option<Self> {
        Some(match o {
            _ if o == oid::P256 => Self::P256,
            _ if o == oid::P384 => Self::P384,
            _ if o == oid::BRAINPOOL_P256R1 => Self::BrainpoolP256r1,
            _ if o == oid::BRAINPOOL_P384R1 => Self::BrainpoolP384r1,
            _ => return None,
        })
    }

    /// The curve of explicit ECParameters, if they match a supported curve exactly (a, b, G, n).
    fn from_explicit(v: &[u8]) -> Option<Self> {
        let mut r = Reader::new(v, "explicit EC parameters");
        r.expect(0x02).ok()?;
        let mut field = Reader::new(r.expect(0x30).ok()?, "");
        if field.expect(0x06).ok()? != oid::PRIME_FIELD {
            return None;
        }
        let mut curve = Reader::new(r.expect(0x30).ok()?, "");
        let a = curve.expect(0x04).ok()?;
        let b = curve.expect(0x04).ok()?;
        let g = r.expect(0x04).ok()?;
        let n = uint_bytes(r.expect(0x02).ok()?);
        let matches = |p: (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>)| p.0 == a && p.1 == b && p.2 == g && p.3 == n;
        if matches(curve_params::<p256::NistP256>()) {
            Some(Self::P256)
        } else if matches(curve_params::<p384::NistP384>()) {
            Some(Self::P384)
        } else if matches(curve_params::<bp256::BrainpoolP256r1>()) {
            Some(Self::BrainpoolP256r1)
        } else if matches(curve_params::<bp384::BrainpoolP384r1>()) {
            Some(Self::BrainpoolP384r1)
        } else {
            None
        }
    }

    /// The named-curve OID.
    pub fn oid(self) -> &'static [u8] {
        match self {
            Self::P256 => oid::P256,
            Self::P384 => oid::P384,
            Self::BrainpoolP256r1 => oid::BRAINPOOL_P256R1,
            Self::BrainpoolP384r1 => oid::BRAINPOOL_P384R1,
        }
    }
}

/// A public key from a SubjectPublicKeyInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// An EC key on a supported curve: the SEC1 point as sent.
    Ec {
        /// The curve.
        curve: Curve,
        /// SEC1-encoded point.
        point: Vec<u8>,
    },
    /// An RSA key (modulus and exponent, sign bytes stripped).
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// An EC key on an unsupported curve, or another algorithm.
    Unsupported,
}

impl PublicKey {
    /// Parses the content of a SubjectPublicKeyInfo SEQUENCE.
    pub fn parse_spki(v: &[u8]) -> Result<Self> {
        let mut r = Reader::new(v, "malformed SubjectPublicKeyInfo");
        let (alg, params) = algorithm_identifier(r.expect(0x30)?)?;
        let bits = r.expect(0x03)?;
        r.finish()?;
        let key = match bits {
            [0, key @ ..] => key,
            _ => return Err(Error::Lds("public key BIT STRING has unused bits")),
        };
        if alg == oid::EC_PUBLIC_KEY || alg == oid::PK_ECDH {
            let curve = match params.map(|p| tlv(p)) {
                Some(Some((0x06, o, []))) => Curve::from_named(o),
                Some(Some((0x30, e, []))) => Curve::from_explicit(e),
                _ => None,
            };
            return Ok(match curve {
                Some(curve) => PublicKey::Ec { curve, point: key.to_vec() },
                None => PublicKey::Unsupported,
            });
        }
        if alg == oid::RSA {
            let mut k = Reader::new(key, "malformed RSA public key");
            let mut s = Reader::new(k.expect(0x30)?, "malformed RSA public key");
            let n = uint_bytes(s.expect(0x02)?).to_vec();
            let e = uint_bytes(s.expect(0x02)?).to_vec();
            return Ok(PublicKey::Rsa { n, e });
        }
        Ok(PublicKey::Unsupported)
    }

    /// Verifies `signature` over `message` with `alg`.
    pub fn verify(&self, alg: SignatureAlgorithm, message: &[u8], signature: &[u8]) -> Verification {
        let ok = match (alg, self) {
            (SignatureAlgorithm::Ecdsa(hash), PublicKey::Ec { curve, point }) => {
                let prehash = hash.digest(message);
                match curve {
                    Curve::P256 => verify_p256(point, &prehash, signature),
                    Curve::P384 => verify_p384(point, &prehash, signature),
                    Curve::BrainpoolP256r1 => verify_bp256(point, &prehash, signature),
                    Curve::BrainpoolP384r1 => verify_bp384(point, &prehash, signature),
                }
            }
            (SignatureAlgorithm::RsaPkcs1(hash) | SignatureAlgorithm::RsaPss(hash), PublicKey::Rsa { n, e }) => {
                rsa_verify(n, e, alg, &hash.digest(message), signature)
            }
            _ => return Verification::Unsupported,
        };
        if ok { Verification::Valid } else { Verification::Invalid }
    }
}

/// Outcome of a signature check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The signature verifies.
    Valid,
    /// It does not (or the key or signature is malformed).
    Invalid,
    /// The algorithm or curve is not supported by this crate.
    Unsupported,
}

macro_rules! ecdsa_verify_fn {
    ($name:ident, $curve:ty) => {
        fn $name(point: &[u8], prehash: &[u8], signature: &[u8]) -> bool {
            use ecdsa::signature::hazmat::PrehashVerifier;
            let Ok(vk) = ecdsa::VerifyingKey::<$curve>::from_sec1_bytes(point) else { return false };
            let Ok(sig) = ecdsa::Signature::<$curve>::from_der(signature) else { return false };
            vk.verify_prehash(prehash, &sig).is_ok()
        }
    };
}
ecdsa_verify_fn!(verify_p256, p256::NistP256);
ecdsa_verify_fn!(verify_p384, p384::NistP384);
ecdsa_verify_fn!(verify_bp256, bp256::BrainpoolP256r1);
ecdsa_verify_fn!(verify_bp384, bp384::BrainpoolP384r1);

fn rsa_verify(n: &[u8], e: &[u8], alg: SignatureAlgorithm, hashed: &[u8], signature: &[u8]) -> bool {
    use rsa::{BoxedUint, Pkcs1v15Sign, RsaPublicKey, pss::Pss};
    let Ok(key) = RsaPublicKey::new(BoxedUint::from_be_slice_vartime(n), BoxedUint::from_be_slice_vartime(e)) else {
        return false;
    };
    fn pss<D: Digest + sha2::digest::FixedOutputReset>() -> Pss<D> {
        let mut p = Pss::<D>::new();
        p.salt_len = None; // any salt length: the signer chose it
        p
    }
    let r = match alg {
        SignatureAlgorithm::RsaPkcs1(h) => key.verify(
            match h {
                HashAlgorithm::Sha1 => Pkcs1v15Sign::new::<Sha1>(),
                HashAlgorithm::Sha224 => Pkcs1v15Sign::new::<Sha224>(),
                HashAlgorithm::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
                HashAlgorithm::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
                HashAlgorithm::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
            },
            hashed,
            signature,
        ),
        SignatureAlgorithm::RsaPss(h) => match h {
            HashAlgorithm::Sha1 => key.verify(pss::<Sha1>(), hashed, signature),
            HashAlgorithm::Sha224 => key.verify(pss::<Sha224>(), hashed, signature),
            HashAlgorithm::Sha256 => key.verify(pss::<Sha256>(), hashed, signature),
            HashAlgorithm::Sha384 => key.verify(pss::<Sha384>(), hashed, signature),
            HashAlgorithm::Sha512 => key.verify(pss::<Sha512>(), hashed, signature),
        },
        _ => return false,
    };
    r.is_ok()
}

/// An X.509 certificate, with the raw parts PA needs.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The whole DER encoding.
    pub der: Vec<u8>,
    /// The TBSCertificate, as signed.
    pub tbs: Vec<u8>,
    /// Serial number (content bytes).
    pub serial: Vec<u8>,
    /// Issuer Name (whole encoding).
    pub issuer: Vec<u8>,
    /// Subject Name (whole encoding).
    pub subject: Vec<u8>,
    /// Subject public key.
    pub public_key: PublicKey,
    /// Signature algorithm of the issuer.
    pub signature_algorithm: SignatureAlgorithm,
    /// Signature value.
    pub signature: Vec<u8>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("der_len", &self.der.len())
            .field("signature_algorithm", &self.signature_algorithm)
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Parses a DER certificate (the whole `30 …`); trailing bytes are an error.
    pub fn parse(der: &[u8]) -> Result<Self> {
        let mut outer = Reader::new(der, "malformed certificate");
        let (tag, whole, v) = outer.any()?;
        outer.finish()?;
        if tag != 0x30 {
            return Err(Error::Lds("certificate is not a SEQUENCE"));
        }
        let mut r = Reader::new(v, "malformed certificate");
        let (t, tbs_whole, tbs) = r.any()?;
        if t != 0x30 {
            return Err(Error::Lds("malformed TBSCertificate"));
        }
        let signature_algorithm = signature_algorithm(r.expect(0x30)?, None)?;
        let sig_bits = r.expect(0x03)?;
        r.finish()?;
        let signature = match sig_bits {
            [0, s @ ..] => s.to_vec(),
            _ => return Err(Error::Lds("certificate signature has unused bits")),
        };
        let mut t = Reader::new(tbs, "malformed TBSCertificate");
        t.optional(0xA0)?;
        let serial = t.expect(0x02)?.to_vec();
        t.expect(0x30)?;
        let (it, issuer, _) = t.any()?;
        t.expect(0x30)?; // validity
        let (st, subject, _) = t.any()?;
        if it != 0x30 || st != 0x30 {
            return Err(Error::Lds("malformed certificate names"));
        }
        let public_key = PublicKey::parse_spki(t.expect(0x30)?)?;
        Ok(Self {
            der: whole.to_vec(),
            tbs: tbs_whole.to_vec(),
            serial,
            issuer: issuer.to_vec(),
            subject: subject.to_vec(),
            public_key,
            signature_algorithm,
            signature,
        })
    }

    /// Whether `issuer` signed this certificate (names match and the signature verifies).
    pub fn verify_issued_by(&self, issuer: &Certificate) -> Verification {
        if self.issuer != issuer.subject {
            return Verification::Invalid;
        }
        issuer.public_key.verify(self.signature_algorithm, &self.tbs, &self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uint_encoding_is_minimal_and_signed() {
        assert_eq!(uint(&[0x00, 0x00, 0x05]), vec![0x02, 0x01, 0x05]);
        assert_eq!(uint(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(&[]), vec![0x02, 0x01, 0x00]);
    }

    #[test]
    fn pss_parameters_give_the_hash() {
        let sha256 = seq(&[&enc(&[0x06], oid::SHA256)]);
        let mut pss_oid = oid::PKCS1_PREFIX.to_vec();
        pss_oid.push(0x0A);
        let params = seq(&[&enc(&[0xA0], &sha256)]);
        let alg = [enc(&[0x06], &pss_oid), params].concat();
        assert_eq!(signature_algorithm(&alg, None).unwrap(), SignatureAlgorithm::RsaPss(HashAlgorithm::Sha256));
        assert_eq!(
            signature_algorithm(&enc(&[0x06], &pss_oid), None).unwrap(),
            SignatureAlgorithm::RsaPss(HashAlgorithm::Sha1)
        );
        let ecdsa = enc(&[0x06], oid::ECDSA_SHA256);
        assert_eq!(signature_algorithm(&ecdsa, None).unwrap(), SignatureAlgorithm::Ecdsa(HashAlgorithm::Sha256));
    }

    #[test]
    fn explicit_brainpool_parameters_are_recognised() {
        let (a, b, g, n) = curve_params::<bp256::BrainpoolP256r1>();
        let p = hex::decode("A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377").unwrap();
        let params = [
            uint(&[1]),
            seq(&[&enc(&[0x06], oid::PRIME_FIELD), &uint(&p)]),
            seq(&[&enc(&[0x04], &a), &enc(&[0x04], &b)]),
            enc(&[0x04], &g),
            uint(&n),
            uint(&[1]),
        ]
        .concat();
        assert_eq!(Curve::from_explicit(&params), Some(Curve::BrainpoolP256r1));
        assert_eq!(hex::encode_upper(&n), "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7");
        let mut bad = params.clone();
        let last = bad.len() - 4;
        bad[last] ^= 1;
        assert_eq!(Curve::from_explicit(&bad), None);
    }
}

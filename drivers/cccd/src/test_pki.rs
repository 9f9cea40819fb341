//! A deterministic test PKI for the simulated chip: a CSCA (ECDSA P-384, ecdsa-with-SHA384)
//! that signs a document signer (ECDSA P-256, ecdsa-with-SHA256), which signs EF.SOD over the
//! chip's data groups; plus the chip's own chip-authentication (brainpoolP256r1) and
//! active-authentication (P-256) key pairs for DG14 and DG15.
//!
//! Every key is derived from a seed with SHA-512, so a test regenerates the same PKI in a few
//! milliseconds and no private key is checked in. It is a test fixture, not an issuer: names
//! say "TEST", validity is fixed (2025–2035), nothing here is secret.

use ecdsa::signature::hazmat::PrehashSigner;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::proto::der::{HashAlgorithm, enc, oid, seq, uint};
use crate::proto::dg14::ID_CA_ECDH_AES_128;

/// 2.5.4.3 commonName.
const CN: &[u8] = &[0x55, 0x04, 0x03];
/// 2.5.4.6 countryName.
const C: &[u8] = &[0x55, 0x04, 0x06];
/// ecdsa-with-SHA384.
const ECDSA_SHA384: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03];

fn seeded(seed: &str, label: &str, counter: u8) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update(seed.as_bytes());
    h.update([0]);
    h.update(label.as_bytes());
    h.update([counter]);
    h.finalize().into()
}

macro_rules! key_from_seed {
    ($name:ident, $curve:ty, $len:expr) => {
        fn $name(seed: &str, label: &str) -> ecdsa::SigningKey<$curve> {
            let mut counter = 0u8;
            loop {
                let bytes = seeded(seed, label, counter);
                let mut fb = bp256::elliptic_curve::FieldBytes::<$curve>::default();
                fb.copy_from_slice(bytes.get(..$len).unwrap_or(&[1u8; $len]));
                if let Ok(k) = ecdsa::SigningKey::<$curve>::from_bytes(&fb) {
                    return k;
                }
                counter = counter.wrapping_add(1);
            }
        }
    };
}
key_from_seed!(p256_key, p256::NistP256, 32);
key_from_seed!(p384_key, p384::NistP384, 48);

/// A brainpoolP256r1 key pair for chip authentication: (private scalar bytes, SEC1 point).
pub fn ca_key_pair(seed: &str) -> ([u8; 32], Vec<u8>) {
    let mut counter = 0u8;
    loop {
        let bytes = seeded(seed, "chip authentication", counter);
        let mut sk = [0u8; 32];
        sk.copy_from_slice(bytes.get(..32).unwrap_or(&[1u8; 32]));
        if let Ok(s) = crate::proto::pace::scalar_from_random(&sk) {
            use bp256::elliptic_curve::ff::PrimeField;
            let pk = bp256::r1::ProjectivePoint::GENERATOR * s;
            if let Ok(p) = crate::proto::pace::encode_point(&pk) {
                let mut canonical = [0u8; 32];
                canonical.copy_from_slice(&s.to_repr());
                return (canonical, p.to_vec());
            }
        }
        counter = counter.wrapping_add(1);
    }
}

fn name(cn: &str) -> Vec<u8> {
    let c = enc(&[0x31], &seq(&[&enc(&[0x06], C), &enc(&[0x13], b"VN")]));
    let cn = enc(&[0x31], &seq(&[&enc(&[0x06], CN), &enc(&[0x0C], cn.as_bytes())]));
    seq(&[&c, &cn])
}

/// A SubjectPublicKeyInfo for an EC point on the named curve `curve_oid`.
pub fn ec_spki(curve_oid: &[u8], point: &[u8]) -> Vec<u8> {
    let mut bits = vec![0u8];
    bits.extend_from_slice(point);
    seq(&[&seq(&[&enc(&[0x06], oid::EC_PUBLIC_KEY), &enc(&[0x06], curve_oid)]), &enc(&[0x03], &bits)])
}

fn bit_string(b: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8];
    v.extend_from_slice(b);
    enc(&[0x03], &v)
}

fn sign_p384(k: &ecdsa::SigningKey<p384::NistP384>, msg: &[u8]) -> Vec<u8> {
    let sig: Result<ecdsa::Signature<p384::NistP384>, _> = k.sign_prehash(&Sha384::digest(msg));
    sig.map(|s| s.to_der().as_bytes().to_vec()).unwrap_or_default()
}

fn sign_p256(k: &ecdsa::SigningKey<p256::NistP256>, msg: &[u8]) -> Vec<u8> {
    let sig: Result<ecdsa::Signature<p256::NistP256>, _> = k.sign_prehash(&Sha256::digest(msg));
    sig.map(|s| s.to_der().as_bytes().to_vec()).unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
fn certificate(
    serial: u8,
    issuer: &[u8],
    subject: &[u8],
    spki: &[u8],
    sig_oid: &[u8],
    sign: &dyn Fn(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let validity = seq(&[&enc(&[0x17], b"250101000000Z"), &enc(&[0x17], b"350101000000Z")]);
    let alg = seq(&[&enc(&[0x06], sig_oid)]);
    let tbs = seq(&[&enc(&[0xA0], &uint(&[2])), &uint(&[serial]), &alg, issuer, &validity, subject, spki]);
    let sig = sign(&tbs);
    seq(&[&tbs, &alg, &bit_string(&sig)])
}

/// The test PKI.
#[derive(Clone)]
pub struct TestPki {
    csca_name: Vec<u8>,
    ds_key: ecdsa::SigningKey<p256::NistP256>,
    /// The CSCA certificate (self-signed), DER: put it in the trust store.
    pub csca_certificate: Vec<u8>,
    /// The DS certificate, DER.
    pub ds_certificate: Vec<u8>,
    /// Chip authentication private key (brainpoolP256r1 scalar).
    pub ca_private_key: [u8; 32],
    /// Chip authentication public key (SEC1).
    pub ca_public_key: Vec<u8>,
    /// Active authentication public key (P-256 SEC1).
    pub aa_public_key: Vec<u8>,
    aa_key: ecdsa::SigningKey<p256::NistP256>,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPki").finish_non_exhaustive()
    }
}

impl TestPki {
    /// Generates the PKI from `seed`; `csca_cn` names the CSCA (use another name for an
    /// "unknown signer").
    pub fn generate(seed: &str, csca_cn: &str) -> Self {
        let csca_key = p384_key(seed, "csca");
        let ds_key = p256_key(seed, "document signer");
        let csca_name = name(csca_cn);
        let csca_point = csca_key.verifying_key().to_sec1_point(false).as_bytes().to_vec();
        let csca_spki = ec_spki(oid::P384, &csca_point);
        let csca_certificate =
            certificate(1, &csca_name, &csca_name, &csca_spki, ECDSA_SHA384, &|m| sign_p384(&csca_key, m));
        let ds_point = ds_key.verifying_key().to_sec1_point(false).as_bytes().to_vec();
        let ds_spki = ec_spki(oid::P256, &ds_point);
        let ds_certificate =
            certificate(2, &csca_name, &name("TEST Document Signer CCCD"), &ds_spki, ECDSA_SHA384, &|m| {
                sign_p384(&csca_key, m)
            });
        let (ca_private_key, ca_public_key) = ca_key_pair(seed);
        let aa_key = p256_key(seed, "active authentication");
        let aa_public_key = aa_key.verifying_key().to_sec1_point(false).as_bytes().to_vec();
        Self {
            csca_name,
            ds_key,
            csca_certificate,
            ds_certificate,
            ca_private_key,
            ca_public_key,
            aa_public_key,
            aa_key,
        }
    }

    /// The PKI of the sample chip: seed "motcua-cccd test", CSCA "TEST CSCA Viet Nam".
    pub fn sample() -> Self {
        Self::generate("motcua-cccd test", "TEST CSCA Viet Nam")
    }

    /// DG14 with one ChipAuthenticationInfo (ECDH-AES-128, version 1), the CA public key
    /// (named curve brainpoolP256r1) and an ActiveAuthenticationInfo (ecdsa-plain-SHA256).
    pub fn dg14(&self) -> Vec<u8> {
        let info = seq(&[&enc(&[0x06], &ID_CA_ECDH_AES_128), &uint(&[1])]);
        let key = seq(&[&enc(&[0x06], oid::PK_ECDH), &ec_spki(oid::BRAINPOOL_P256R1, &self.ca_public_key)]);
        let mut plain_sha256 = crate::proto::dg14::ECDSA_PLAIN_PREFIX.to_vec();
        plain_sha256.push(3);
        let aa = seq(&[&enc(&[0x06], &crate::proto::dg14::ID_AA), &uint(&[1]), &enc(&[0x06], &plain_sha256)]);
        enc(&[0x6E], &enc(&[0x31], &[info, key, aa].concat()))
    }

    /// The chip's answer to INTERNAL AUTHENTICATE: a plain (r ‖ s) ECDSA-SHA256 signature of
    /// the challenge with the active authentication key.
    pub fn aa_sign(&self, challenge: &[u8]) -> Vec<u8> {
        let sig: Result<ecdsa::Signature<p256::NistP256>, _> = self.aa_key.sign_prehash(&Sha256::digest(challenge));
        sig.map(|s| s.to_bytes().to_vec()).unwrap_or_default()
    }

    /// DG15 with the active authentication public key.
    pub fn dg15(&self) -> Vec<u8> {
        enc(&[0x6F], &ec_spki(oid::P256, &self.aa_public_key))
    }

    /// EF.SOD over `data_groups` (`(number, raw file)`), SHA-256, signed by the DS.
    pub fn sod(&self, data_groups: &[(u8, &[u8])]) -> Vec<u8> {
        let sha256 = seq(&[&enc(&[0x06], oid::SHA256)]);
        let hashes: Vec<u8> = data_groups
            .iter()
            .flat_map(|(n, raw)| seq(&[&uint(&[*n]), &enc(&[0x04], &HashAlgorithm::Sha256.digest(raw))]))
            .collect();
        let lds = seq(&[&uint(&[0]), &sha256, &enc(&[0x30], &hashes)]);
        let attrs = [
            seq(&[&enc(&[0x06], oid::CONTENT_TYPE), &enc(&[0x31], &enc(&[0x06], oid::LDS_SECURITY_OBJECT))]),
            seq(&[&enc(&[0x06], oid::MESSAGE_DIGEST), &enc(&[0x31], &enc(&[0x04], &Sha256::digest(&lds)))]),
        ]
        .concat();
        let signature = sign_p256(&self.ds_key, &enc(&[0x31], &attrs));
        let signer_info = seq(&[
            &uint(&[1]),
            &seq(&[&self.csca_name, &uint(&[2])]),
            &sha256,
            &enc(&[0xA0], &attrs),
            &seq(&[&enc(&[0x06], crate::proto::der::oid::ECDSA_SHA256)]),
            &enc(&[0x04], &signature),
        ]);
        let signed_data = seq(&[
            &uint(&[3]),
            &enc(&[0x31], &sha256),
            &seq(&[&enc(&[0x06], oid::LDS_SECURITY_OBJECT), &enc(&[0xA0], &enc(&[0x04], &lds))]),
            &enc(&[0xA0], &self.ds_certificate),
            &enc(&[0x31], &signer_info),
        ]);
        enc(&[0x77], &seq(&[&enc(&[0x06], oid::SIGNED_DATA), &enc(&[0xA0], &signed_data)]))
    }
}

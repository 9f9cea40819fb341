//! Active authentication (ICAO 9303-11 §6.1) with an ECDSA key in DG15: the terminal sends
//! INTERNAL AUTHENTICATE with a fresh 8-byte random challenge; the chip signs it with the
//! private key of DG15 (plain r ‖ s signature, BSI TR-03111, hash from DG14's
//! ActiveAuthenticationInfo). DG15 (and DG14) must have passed passive authentication first.
//!
//! Does not implement: RSA active authentication (ISO/IEC 9796-2 message recovery).

use super::der::{Curve, HashAlgorithm, PublicKey};
use crate::{Error, Result};

/// INTERNAL AUTHENTICATE with `challenge` (plain APDU, to be protected by the channel).
pub fn internal_authenticate(challenge: &[u8; 8]) -> Vec<u8> {
    let mut apdu = vec![0x00, 0x88, 0x00, 0x00, 0x08];
    apdu.extend_from_slice(challenge);
    apdu.push(0x00);
    apdu
}

macro_rules! plain_verify_fn {
    ($name:ident, $curve:ty) => {
        fn $name(point: &[u8], prehash: &[u8], signature: &[u8]) -> bool {
            use ecdsa::signature::hazmat::PrehashVerifier;
            let Ok(vk) = ecdsa::VerifyingKey::<$curve>::from_sec1_bytes(point) else { return false };
            let Ok(sig) = ecdsa::Signature::<$curve>::from_slice(signature) else { return false };
            vk.verify_prehash(prehash, &sig).is_ok()
        }
    };
}
plain_verify_fn!(verify_p256, p256::NistP256);
plain_verify_fn!(verify_p384, p384::NistP384);
plain_verify_fn!(verify_bp256, bp256::BrainpoolP256r1);
plain_verify_fn!(verify_bp384, bp384::BrainpoolP384r1);

/// Verifies the chip's answer (a plain ECDSA signature) over `challenge` with DG15's key.
/// `Ok(false)`: the signature does not verify (clone suspected); an error: a key this crate
/// cannot use for active authentication.
pub fn verify_response(key: &PublicKey, hash: HashAlgorithm, challenge: &[u8; 8], signature: &[u8]) -> Result<bool> {
    let PublicKey::Ec { curve, point } = key else {
        return Err(Error::Authentication("active authentication with a non-EC key is not supported"));
    };
    let prehash = hash.digest(challenge);
    Ok(match curve {
        Curve::P256 => verify_p256(point, &prehash, signature),
        Curve::P384 => verify_p384(point, &prehash, signature),
        Curve::BrainpoolP256r1 => verify_bp256(point, &prehash, signature),
        Curve::BrainpoolP384r1 => verify_bp384(point, &prehash, signature),
    })
}

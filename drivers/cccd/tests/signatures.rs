//! Signature verification against OpenSSL-made fixtures (see `tests/fixtures/signatures/`):
//! RSA PKCS#1 v1.5 and PSS, ECDSA on brainpoolP384r1 (named) and brainpoolP256r1 (explicit
//! parameters). Each must verify as made and fail once a byte of the message or signature
//! changes.
#![allow(clippy::unwrap_used, clippy::panic)]

use motcua_cccd::proto::der::{Curve, HashAlgorithm, PublicKey, Reader, SignatureAlgorithm, Verification};

const MSG: &[u8] = include_bytes!("fixtures/signatures/msg.bin");

fn spki(der: &[u8]) -> PublicKey {
    let mut r = Reader::new(der, "spki");
    PublicKey::parse_spki(r.expect(0x30).unwrap()).unwrap()
}

fn check(key: &PublicKey, alg: SignatureAlgorithm, sig: &[u8]) {
    assert_eq!(key.verify(alg, MSG, sig), Verification::Valid);
    let mut other = MSG.to_vec();
    other[0] ^= 1;
    assert_eq!(key.verify(alg, &other, sig), Verification::Invalid);
    let mut bad = sig.to_vec();
    let n = bad.len();
    bad[n - 2] ^= 0x10;
    assert_eq!(key.verify(alg, MSG, &bad), Verification::Invalid);
    assert_eq!(key.verify(alg, MSG, &sig[..n / 2]), Verification::Invalid);
}

#[test]
fn rsa_pkcs1_v15_and_pss() {
    let key = spki(include_bytes!("fixtures/signatures/rsa_pub.der"));
    assert!(matches!(&key, PublicKey::Rsa { n, .. } if n.len() == 256));
    check(
        &key,
        SignatureAlgorithm::RsaPkcs1(HashAlgorithm::Sha256),
        include_bytes!("fixtures/signatures/rsa_pkcs1_sha256.sig"),
    );
    check(
        &key,
        SignatureAlgorithm::RsaPss(HashAlgorithm::Sha256),
        include_bytes!("fixtures/signatures/rsa_pss_sha256.sig"),
    );
    // The PKCS#1 signature is not a PSS one and vice versa.
    assert_eq!(
        key.verify(
            SignatureAlgorithm::RsaPss(HashAlgorithm::Sha256),
            MSG,
            include_bytes!("fixtures/signatures/rsa_pkcs1_sha256.sig")
        ),
        Verification::Invalid
    );
}

#[test]
fn ecdsa_brainpool_p384_named() {
    let key = spki(include_bytes!("fixtures/signatures/bp384_pub.der"));
    assert!(matches!(&key, PublicKey::Ec { curve: Curve::BrainpoolP384r1, .. }));
    check(
        &key,
        SignatureAlgorithm::Ecdsa(HashAlgorithm::Sha384),
        include_bytes!("fixtures/signatures/bp384_sha384.sig"),
    );
}

#[test]
fn ecdsa_brainpool_p256_explicit_parameters() {
    let key = spki(include_bytes!("fixtures/signatures/bp256_explicit_pub.der"));
    assert!(matches!(&key, PublicKey::Ec { curve: Curve::BrainpoolP256r1, .. }), "{key:?}");
    check(
        &key,
        SignatureAlgorithm::Ecdsa(HashAlgorithm::Sha256),
        include_bytes!("fixtures/signatures/bp256_sha256.sig"),
    );
}

#[test]
fn a_key_and_algorithm_that_do_not_match_are_unsupported() {
    let key = spki(include_bytes!("fixtures/signatures/rsa_pub.der"));
    assert_eq!(
        key.verify(
            SignatureAlgorithm::Ecdsa(HashAlgorithm::Sha256),
            MSG,
            include_bytes!("fixtures/signatures/bp256_sha256.sig")
        ),
        Verification::Unsupported
    );
}

//! The 3DES primitives of BAC and its secure messaging (ICAO 9303-11 §9.7.1, §9.8.3).
//!
//! Two-key 3DES (EDE) in CBC mode with a zero IV, ISO 9797-1 padding method 2, the retail MAC
//! (ISO 9797-1 MAC algorithm 3 with DES), and the SHA-1 key derivation function with DES
//! parity adjustment. Hand-rolled CBC over the `des` block cipher keeps the dependency set
//! small; all of it is checked against ICAO 9303-11 Appendix D.

use des::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use des::{Des, TdesEde2};
use sha1::{Digest, Sha1};

use crate::{Error, Result};

/// A 16-byte two-key 3DES key (K1 ‖ K2).
pub type Key16 = [u8; 16];

/// KDF counter for the encryption key.
pub const KDF_ENC: u32 = 1;
/// KDF counter for the MAC key.
pub const KDF_MAC: u32 = 2;

/// Sets the odd-parity bit of every byte (the spec quotes keys parity-adjusted).
pub fn adjust_parity(key: &mut [u8]) {
    for b in key.iter_mut() {
        let ones = (*b & 0xFE).count_ones();
        *b = (*b & 0xFE) | u8::from(ones % 2 == 0);
    }
}

/// KDF(K, c) for 3DES: SHA-1(K ‖ c)[0..16], parity-adjusted (ICAO 9303-11 §9.7.1).
pub fn kdf_3des(seed: &[u8], counter: u32) -> Key16 {
    let mut h = Sha1::new();
    h.update(seed);
    h.update(counter.to_be_bytes());
    let digest = h.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
    adjust_parity(&mut key);
    key
}

/// ISO 9797-1 padding method 2: `80` then zeros to a multiple of 8.
pub fn pad(data: &[u8]) -> Vec<u8> {
    let mut v = data.to_vec();
    v.push(0x80);
    while !v.len().is_multiple_of(8) {
        v.push(0);
    }
    v
}

/// Removes padding method 2; `None` if it is malformed.
pub fn unpad(data: &[u8]) -> Option<&[u8]> {
    let pos = data.iter().rposition(|&b| b != 0)?;
    (data.get(pos) == Some(&0x80) && data.len() - pos <= 8).then(|| data.get(..pos)).flatten()
}

fn tdes(key: &Key16) -> TdesEde2 {
    TdesEde2::new(key.into())
}

fn block(chunk: &[u8]) -> [u8; 8] {
    let mut b = [0u8; 8];
    b.copy_from_slice(chunk);
    b
}

fn xor8(a: &mut [u8; 8], b: &[u8; 8]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// 3DES-CBC encryption with a zero IV. The input must be a multiple of 8 bytes.
pub fn tdes_cbc_encrypt(key: &Key16, data: &[u8]) -> Result<Vec<u8>> {
    if !data.len().is_multiple_of(8) {
        return Err(Error::SecureMessaging("3DES input is not a multiple of 8 bytes"));
    }
    let c = tdes(key);
    let mut iv = [0u8; 8];
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks_exact(8) {
        let mut b = block(chunk);
        xor8(&mut b, &iv);
        let mut arr = b.into();
        c.encrypt_block(&mut arr);
        iv = arr.into();
        out.extend_from_slice(&iv);
    }
    Ok(out)
}

/// 3DES-CBC decryption with a zero IV. The input must be a multiple of 8 bytes.
pub fn tdes_cbc_decrypt(key: &Key16, data: &[u8]) -> Result<Vec<u8>> {
    if !data.len().is_multiple_of(8) {
        return Err(Error::SecureMessaging("3DES cryptogram is not a multiple of 8 bytes"));
    }
    let c = tdes(key);
    let mut iv = [0u8; 8];
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks_exact(8) {
        let cb = block(chunk);
        let mut arr = cb.into();
        c.decrypt_block(&mut arr);
        let mut p: [u8; 8] = arr.into();
        xor8(&mut p, &iv);
        out.extend_from_slice(&p);
        iv = cb;
    }
    Ok(out)
}

/// Retail MAC (ISO 9797-1 MAC algorithm 3, DES, IV zero) over already padded data.
pub fn retail_mac(key: &Key16, padded: &[u8]) -> Result<[u8; 8]> {
    if !padded.len().is_multiple_of(8) || padded.is_empty() {
        return Err(Error::SecureMessaging("MAC input is not padded"));
    }
    let (k1, k2) = key.split_at(8);
    let d1 = Des::new(&block(k1).into());
    let d2 = Des::new(&block(k2).into());
    let mut h = [0u8; 8];
    for chunk in padded.chunks_exact(8) {
        xor8(&mut h, &block(chunk));
        let mut arr = h.into();
        d1.encrypt_block(&mut arr);
        h = arr.into();
    }
    let mut arr = h.into();
    d2.decrypt_block(&mut arr);
    d1.encrypt_block(&mut arr);
    Ok(arr.into())
}

/// Constant-time comparison of two MACs.
pub fn mac_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    #[test]
    fn icao_d3_encrypts_and_macs_the_ifd_cryptogram() {
        let k_enc: Key16 = h("AB94FDECF2674FDFB9B391F85D7F76F2").try_into().unwrap();
        let k_mac: Key16 = h("7962D9ECE03D1ACD4C76089DCE131543").try_into().unwrap();
        let s = h("781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B");
        let e = tdes_cbc_encrypt(&k_enc, &s).unwrap();
        assert_eq!(e, h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"));
        assert_eq!(retail_mac(&k_mac, &pad(&e)).unwrap().to_vec(), h("5F1448EEA8AD90A7"));
        assert_eq!(tdes_cbc_decrypt(&k_enc, &e).unwrap(), s);
    }

    #[test]
    fn unpad_rejects_malformed_padding() {
        assert_eq!(unpad(&pad(b"abc")), Some(&b"abc"[..]));
        assert_eq!(unpad(&[0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(unpad(&[1, 2, 3, 4, 5, 6, 7, 8]), None);
    }

    #[test]
    fn parity_adjustment_sets_odd_parity() {
        let mut k = [0x00, 0xFF, 0x0E];
        adjust_parity(&mut k);
        assert_eq!(k, [0x01, 0xFE, 0x0E]);
    }
}

//! Basic Access Control, terminal side (ICAO 9303-11 §4.3, Appendix D).
//!
//! Key seed from document number, date of birth and expiry (each with its check digit),
//! K_enc/K_mac, the EXTERNAL AUTHENTICATE cryptogram, and the session keys and SSC derived
//! from the chip's answer, whose MAC is verified before anything in it is used.
//! The random RND.IFD and K.IFD are passed in: this core has no RNG and no I/O.

use sha1::{Digest, Sha1};

use super::crypto::{KDF_ENC, KDF_MAC, Key16, kdf_3des, mac_eq, pad, retail_mac, tdes_cbc_decrypt, tdes_cbc_encrypt};
use super::mrz::check_digit;
use super::sm::SecureChannel;
use crate::{Error, Result};

/// GET CHALLENGE for the 8-byte RND.ICC.
pub const GET_CHALLENGE: [u8; 5] = [0x00, 0x84, 0x00, 0x00, 0x08];

/// The MRZ information BAC keys come from. `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct BacKey {
    info: String,
}

impl std::fmt::Debug for BacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BacKey(<redacted>)")
    }
}

fn with_cd(field: &str) -> String {
    let cd = check_digit(field).map_or('<', |d| char::from(b'0' + d));
    format!("{field}{cd}")
}

impl BacKey {
    /// From the document number (padded with `<` to 9), DOB and expiry as `YYMMDD`.
    pub fn new(document_number: &str, date_of_birth: &str, date_of_expiry: &str) -> Self {
        let mut doc = document_number.to_owned();
        while doc.len() < 9 {
            doc.push('<');
        }
        Self { info: format!("{}{}{}", with_cd(&doc), with_cd(date_of_birth), with_cd(date_of_expiry)) }
    }

    /// The MRZ information string hashed into the seed.
    pub fn mrz_information(&self) -> &str {
        &self.info
    }

    /// K_seed = SHA-1(MRZ information)[0..16].
    pub fn seed(&self) -> Key16 {
        let d = Sha1::digest(self.info.as_bytes());
        let mut k = [0u8; 16];
        k.copy_from_slice(d.get(..16).unwrap_or(&[0u8; 16]));
        k
    }

    /// (K_enc, K_mac), parity-adjusted.
    pub fn keys(&self) -> (Key16, Key16) {
        let seed = self.seed();
        (kdf_3des(&seed, KDF_ENC), kdf_3des(&seed, KDF_MAC))
    }
}

/// The terminal's half of mutual authentication, waiting for the chip's answer.
pub struct BacChallenge {
    k_enc: Key16,
    k_mac: Key16,
    rnd_icc: [u8; 8],
    rnd_ifd: [u8; 8],
    k_ifd: [u8; 16],
}

impl std::fmt::Debug for BacChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BacChallenge(<keys redacted>)")
    }
}

impl BacChallenge {
    /// Starts from the keys, the chip's RND.ICC and the terminal's fresh RND.IFD and K.IFD.
    pub fn new(key: &BacKey, rnd_icc: [u8; 8], rnd_ifd: [u8; 8], k_ifd: [u8; 16]) -> Self {
        let (k_enc, k_mac) = key.keys();
        Self { k_enc, k_mac, rnd_icc, rnd_ifd, k_ifd }
    }

    /// The EXTERNAL AUTHENTICATE command `00 82 00 00 28 E.IFD‖M.IFD 28`.
    pub fn external_authenticate(&self) -> Result<Vec<u8>> {
        let mut s = Vec::with_capacity(32);
        s.extend_from_slice(&self.rnd_ifd);
        s.extend_from_slice(&self.rnd_icc);
        s.extend_from_slice(&self.k_ifd);
        let e = tdes_cbc_encrypt(&self.k_enc, &s)?;
        let m = retail_mac(&self.k_mac, &pad(&e))?;
        let mut apdu = vec![0x00, 0x82, 0x00, 0x00, 0x28];
        apdu.extend_from_slice(&e);
        apdu.extend_from_slice(&m);
        apdu.push(0x28);
        Ok(apdu)
    }

    /// Verifies the chip's 40-byte answer (MAC first, then RND.IFD and RND.ICC) and derives the
    /// secure channel.
    pub fn finish(self, response_data: &[u8]) -> Result<SecureChannel> {
        if response_data.len() != 40 {
            return Err(Error::Authentication("EXTERNAL AUTHENTICATE answer is not 40 bytes"));
        }
        let (e, m) = response_data.split_at(32);
        if !mac_eq(&retail_mac(&self.k_mac, &pad(e))?, m) {
            return Err(Error::Authentication("chip cryptogram MAC does not verify (wrong key?)"));
        }
        let r = tdes_cbc_decrypt(&self.k_enc, e)?;
        if r.get(0..8) != Some(&self.rnd_icc[..]) || r.get(8..16) != Some(&self.rnd_ifd[..]) {
            return Err(Error::Authentication("chip answer does not echo the challenges"));
        }
        let mut seed = [0u8; 16];
        for ((s, a), b) in seed.iter_mut().zip(&self.k_ifd).zip(r.get(16..32).unwrap_or_default()) {
            *s = a ^ b;
        }
        let ssc = session_ssc(&self.rnd_icc, &self.rnd_ifd);
        Ok(SecureChannel::new(kdf_3des(&seed, KDF_ENC), kdf_3des(&seed, KDF_MAC), ssc))
    }
}

/// SSC = last 4 bytes of RND.ICC ‖ last 4 bytes of RND.IFD.
pub fn session_ssc(rnd_icc: &[u8; 8], rnd_ifd: &[u8; 8]) -> u64 {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&rnd_icc[4..]);
    b[4..].copy_from_slice(&rnd_ifd[4..]);
    u64::from_be_bytes(b)
}

/// The chip's side of BAC, for the simulated card: checks the terminal's cryptogram and
/// answers with E.ICC‖M.ICC, returning the chip's secure channel.
pub fn chip_answer(
    key: &BacKey,
    rnd_icc: [u8; 8],
    k_icc: [u8; 16],
    cmd_data: &[u8],
) -> Result<(Vec<u8>, SecureChannel)> {
    let (k_enc, k_mac) = key.keys();
    if cmd_data.len() != 40 {
        return Err(Error::Authentication("EXTERNAL AUTHENTICATE data is not 40 bytes"));
    }
    let (e, m) = cmd_data.split_at(32);
    if !mac_eq(&retail_mac(&k_mac, &pad(e))?, m) {
        return Err(Error::Authentication("terminal cryptogram MAC does not verify"));
    }
    let s = tdes_cbc_decrypt(&k_enc, e)?;
    if s.get(8..16) != Some(&rnd_icc[..]) {
        return Err(Error::Authentication("terminal did not echo RND.ICC"));
    }
    let mut rnd_ifd = [0u8; 8];
    rnd_ifd.copy_from_slice(s.get(0..8).unwrap_or(&[0u8; 8]));
    let mut r = Vec::with_capacity(32);
    r.extend_from_slice(&rnd_icc);
    r.extend_from_slice(&rnd_ifd);
    r.extend_from_slice(&k_icc);
    let e_icc = tdes_cbc_encrypt(&k_enc, &r)?;
    let m_icc = retail_mac(&k_mac, &pad(&e_icc))?;
    let mut seed = [0u8; 16];
    for ((x, a), b) in seed.iter_mut().zip(&k_icc).zip(s.get(16..32).unwrap_or_default()) {
        *x = a ^ b;
    }
    let mut answer = e_icc;
    answer.extend_from_slice(&m_icc);
    let ssc = session_ssc(&rnd_icc, &rnd_ifd);
    Ok((answer, SecureChannel::new(kdf_3des(&seed, KDF_ENC), kdf_3des(&seed, KDF_MAC), ssc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    fn icao_key() -> BacKey {
        BacKey::new("L898902C", "690806", "940623")
    }

    #[test]
    fn icao_d2_derives_seed_and_keys() {
        let k = icao_key();
        assert_eq!(k.mrz_information(), "L898902C<369080619406236");
        assert_eq!(k.seed().to_vec(), h("239AB9CB282DAF66231DC5A4DF6BFBAE"));
        let (enc, mac) = k.keys();
        assert_eq!(enc.to_vec(), h("AB94FDECF2674FDFB9B391F85D7F76F2"));
        assert_eq!(mac.to_vec(), h("7962D9ECE03D1ACD4C76089DCE131543"));
    }

    #[test]
    fn cccd_md_synthetic_bac_keys() {
        let k = BacKey::new("099012345", "990315", "240315");
        assert_eq!(k.mrz_information(), "099012345999031592403155");
        assert_eq!(k.seed().to_vec(), h("306B1EACF3B8FAD6DCFDB5DED2A01043"));
        let (enc, mac) = k.keys();
        assert_eq!(enc.to_vec(), h("2FD086DFA1B5B676CE5E7C58E0029BD0"));
        assert_eq!(mac.to_vec(), h("7F6BE6F40757C77F944A346DBFEAE0C4"));
    }

    fn icao_challenge() -> BacChallenge {
        BacChallenge::new(
            &icao_key(),
            h("4608F91988702212").try_into().unwrap(),
            h("781723860C06C226").try_into().unwrap(),
            h("0B795240CB7049B01C19B33E32804F0B").try_into().unwrap(),
        )
    }

    #[test]
    fn icao_d3_mutual_authentication_and_session_keys() {
        let c = icao_challenge();
        assert_eq!(
            c.external_authenticate().unwrap(),
            h("0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7 28")
        );
        let resp = h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449");
        let ch = c.finish(&resp).unwrap();
        assert_eq!(ch.ks_enc().to_vec(), h("979EC13B1CBFE9DCD01AB0FED307EAE5"));
        assert_eq!(ch.ks_mac().to_vec(), h("F1CB1F1FB5ADF208806B89DC579DC1F8"));
        assert_eq!(ch.ssc(), 0x887022120C06C226);
    }

    #[test]
    fn icao_d3_chip_side_reproduces_the_answer() {
        let cmd = icao_challenge().external_authenticate().unwrap();
        let (answer, ch) = chip_answer(
            &icao_key(),
            h("4608F91988702212").try_into().unwrap(),
            h("0B4F80323EB3191CB04970CB4052790B").try_into().unwrap(),
            &cmd[5..45],
        )
        .unwrap();
        assert_eq!(answer, h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449"));
        assert_eq!(ch.ssc(), 0x887022120C06C226);
    }

    #[test]
    fn a_tampered_chip_answer_is_rejected_before_decryption() {
        let mut resp = h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449");
        resp[0] ^= 1;
        assert!(matches!(icao_challenge().finish(&resp), Err(Error::Authentication(_))));
        assert!(icao_challenge().finish(&resp[..39]).is_err());
    }
}

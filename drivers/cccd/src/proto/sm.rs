//! Secure messaging (ICAO 9303-11 §9.8): 3DES after BAC (Appendix D.4) and AES-128 after PACE
//! (§9.8.6.2, BSI TR-03110 worked example).
//!
//! Commands carry DO87 (padding-indicator 01 ‖ CBC encryption of the padded data), DO97 (Le)
//! and DO8E (an 8-byte MAC over SSC ‖ padded header ‖ DOs). The SSC is incremented before each
//! command and before each response. With 3DES the SSC is 8 bytes, the IV is zero and the MAC
//! is the retail MAC; with AES the SSC is 16 bytes, the IV is `E(KS_enc, SSC)` and the MAC is
//! AES-CMAC truncated to 8 bytes; padding is method 2 to the cipher's block size in both. A
//! response's MAC is checked before its DO87 is decrypted or its status word believed. A
//! response that is only a bare status word (the chip rejected the command without SM, e.g.
//! `67 00`) is passed up as that status word with no data; nothing in it is trusted beyond
//! "it failed".
//!
//! Extended-length commands are protected with an extended Lc/Le and a 2-byte DO97.
//!
//! Does not implement: odd-INS (`B1`) READ BINARY.

use aes::Aes128;
use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use cmac::{Cmac, Mac};
use zeroize::Zeroize;

use super::crypto::{Key16, mac_eq, retail_mac, tdes_cbc_decrypt, tdes_cbc_encrypt};
use crate::{Error, Result};

/// The cipher suite of a secure channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cipher {
    /// Two-key 3DES with the retail MAC (BAC).
    Tdes,
    /// AES-128 with CMAC (PACE, chip authentication).
    Aes128,
}

impl Cipher {
    fn block(self) -> usize {
        match self {
            Cipher::Tdes => 8,
            Cipher::Aes128 => 16,
        }
    }
}

/// An established secure channel: cipher suite, session keys and the send sequence counter.
pub struct SecureChannel {
    cipher: Cipher,
    ks_enc: Key16,
    ks_mac: Key16,
    /// 3DES uses the low 64 bits.
    ssc: u128,
}

impl Drop for SecureChannel {
    fn drop(&mut self) {
        self.ks_enc.zeroize();
        self.ks_mac.zeroize();
    }
}

impl std::fmt::Debug for SecureChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecureChannel({:?}, <keys redacted>)", self.cipher)
    }
}

/// Padding method 2 to `block` bytes.
pub fn pad_to(data: &[u8], block: usize) -> Vec<u8> {
    let mut v = data.to_vec();
    v.push(0x80);
    while !v.len().is_multiple_of(block) {
        v.push(0);
    }
    v
}

/// Removes padding method 2 added to a `block`-byte boundary; `None` if malformed.
pub fn unpad_from(data: &[u8], block: usize) -> Option<&[u8]> {
    let pos = data.iter().rposition(|&b| b != 0)?;
    (data.get(pos) == Some(&0x80) && data.len() - pos <= block).then(|| data.get(..pos)).flatten()
}

/// AES-128-CBC encryption with `iv`; the input must be a multiple of 16 bytes.
pub fn aes_cbc_encrypt(key: &Key16, iv: &[u8; 16], data: &[u8]) -> Result<Vec<u8>> {
    if !data.len().is_multiple_of(16) {
        return Err(Error::SecureMessaging("AES input is not a multiple of 16 bytes"));
    }
    let c = Aes128::new(key.into());
    let mut prev = *iv;
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks_exact(16) {
        let mut b = [0u8; 16];
        for ((o, x), y) in b.iter_mut().zip(chunk).zip(&prev) {
            *o = x ^ y;
        }
        let mut arr = b.into();
        c.encrypt_block(&mut arr);
        prev = arr.into();
        out.extend_from_slice(&prev);
    }
    Ok(out)
}

/// AES-128-CBC decryption with `iv`; the input must be a multiple of 16 bytes.
pub fn aes_cbc_decrypt(key: &Key16, iv: &[u8; 16], data: &[u8]) -> Result<Vec<u8>> {
    if !data.len().is_multiple_of(16) {
        return Err(Error::SecureMessaging("AES cryptogram is not a multiple of 16 bytes"));
    }
    let c = Aes128::new(key.into());
    let mut prev = *iv;
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks_exact(16) {
        let mut cb = [0u8; 16];
        cb.copy_from_slice(chunk);
        let mut arr = cb.into();
        c.decrypt_block(&mut arr);
        let p: [u8; 16] = arr.into();
        out.extend(p.iter().zip(&prev).map(|(a, b)| a ^ b));
        prev = cb;
    }
    Ok(out)
}

/// AES-128 of one block (for the SM IV `E(KS_enc, SSC)`).
pub fn aes_encrypt_block(key: &Key16, block: [u8; 16]) -> [u8; 16] {
    let c = Aes128::new(key.into());
    let mut arr = block.into();
    c.encrypt_block(&mut arr);
    arr.into()
}

/// AES-128-CMAC of `data` (full 16 bytes; callers truncate to 8).
pub fn aes_cmac(key: &Key16, data: &[u8]) -> [u8; 16] {
    let mut m = <Cmac<Aes128> as KeyInit>::new(key.into());
    m.update(data);
    m.finalize().into_bytes().into()
}

/// A verified response: data (decrypted) and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// Plain response data.
    pub data: Vec<u8>,
    /// Status word, e.g. `[0x90, 0x00]`.
    pub sw: [u8; 2],
    /// Whether the response was protected (MAC-verified). A bare error SW is not.
    pub verified: bool,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("data_len", &self.data.len())
            .field("sw", &format_args!("{:02X}{:02X}", self.sw[0], self.sw[1]))
            .field("verified", &self.verified)
            .finish()
    }
}

/// A plain command APDU split into its parts (short or extended length, ISO 7816-4 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// CLA INS P1 P2.
    pub header: [u8; 4],
    /// Command data (may be empty).
    pub data: Vec<u8>,
    /// Ne, the number of response bytes expected, if an Le field is present: 1..=256 for a
    /// short Le (`00` = 256), up to 65536 for an extended one.
    pub le: Option<usize>,
}

fn ne_short(b: u8) -> usize {
    if b == 0 { 256 } else { usize::from(b) }
}

fn ne_ext(hi: u8, lo: u8) -> usize {
    match u16::from_be_bytes([hi, lo]) {
        0 => 65536,
        n => usize::from(n),
    }
}

impl Command {
    /// Parses a command APDU: short cases 1–4 and extended cases 2E–4E.
    pub fn parse(apdu: &[u8]) -> Result<Self> {
        let bad = Error::SecureMessaging("APDU length fields are inconsistent");
        let (header, body) =
            apdu.split_first_chunk::<4>().ok_or(Error::SecureMessaging("APDU shorter than 4 bytes"))?;
        let (data, le) = match body {
            [] => (&[][..], None),
            [le] => (&[][..], Some(ne_short(*le))),
            // Extended: a zero byte, then a 2-byte Le (case 2E) or a 2-byte Lc (cases 3E, 4E).
            [0, hi, lo] => (&[][..], Some(ne_ext(*hi, *lo))),
            [0, lc_hi, lc_lo, rest @ ..] => {
                let lc = usize::from(u16::from_be_bytes([*lc_hi, *lc_lo]));
                match rest.len().checked_sub(lc) {
                    Some(0) if lc > 0 => (rest, None),
                    Some(2) if lc > 0 => match rest.get(lc..) {
                        Some([hi, lo]) => (rest.get(..lc).unwrap_or_default(), Some(ne_ext(*hi, *lo))),
                        _ => return Err(bad),
                    },
                    _ => return Err(bad),
                }
            }
            [lc, rest @ ..] => {
                let lc = usize::from(*lc);
                match rest.len().checked_sub(lc) {
                    Some(0) if lc > 0 => (rest, None),
                    Some(1) if lc > 0 => (rest.get(..lc).unwrap_or_default(), rest.get(lc).copied().map(ne_short)),
                    _ => return Err(bad),
                }
            }
        };
        if data.is_empty() && matches!(body, [_, _, ..]) && le.is_none() {
            return Err(bad);
        }
        Ok(Self { header: *header, data: data.to_vec(), le })
    }

    /// Whether this command needs extended length fields.
    pub fn is_extended(&self) -> bool {
        self.data.len() > 255 || self.le.is_some_and(|n| n > 256)
    }

    /// Encodes the APDU, short when it fits, extended otherwise.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        encode_apdu(self.header, &self.data, self.le, self.is_extended())
    }
}

/// Encodes an APDU with short or extended length fields.
fn encode_apdu(header: [u8; 4], data: &[u8], le: Option<usize>, extended: bool) -> Result<Vec<u8>> {
    let mut v = header.to_vec();
    if le.is_some_and(|n| n == 0 || n > 65536) {
        return Err(Error::SecureMessaging("Le out of range"));
    }
    if extended {
        let lc = u16::try_from(data.len()).map_err(|_| Error::SecureMessaging("command data over 65535 bytes"))?;
        v.push(0);
        if lc > 0 {
            v.extend_from_slice(&lc.to_be_bytes());
            v.extend_from_slice(data);
        }
        if let Some(n) = le {
            v.extend_from_slice(&u16::try_from(n % 65536).unwrap_or(0).to_be_bytes());
        }
    } else {
        if !data.is_empty() {
            v.push(u8::try_from(data.len()).map_err(|_| Error::SecureMessaging("command data over 255 bytes"))?);
            v.extend_from_slice(data);
        }
        if let Some(n) = le {
            v.push(u8::try_from(n % 256).map_err(|_| Error::SecureMessaging("Le over 256 in a short APDU"))?);
        }
    }
    Ok(v)
}

fn push_len(v: &mut Vec<u8>, len: usize) -> Result<()> {
    match len {
        0..=0x7F => v.push(len as u8),
        0x80..=0xFF => v.extend_from_slice(&[0x81, len as u8]),
        0x100..=0xFFFF => v.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
        _ => return Err(Error::SecureMessaging("data object too long")),
    }
    Ok(())
}

/// Splits `tag len value` off the front of `b` (one-byte tags, BER definite lengths ≤ 2 bytes).
/// Returns (tag, the whole encoded object, value, rest).
#[allow(clippy::type_complexity)]
pub(crate) fn take_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = match l0 {
        0x00..=0x7F => (usize::from(l0), rest),
        0x81 => (usize::from(*rest.first()?), rest.get(1..)?),
        0x82 => (usize::from(*rest.first()?) << 8 | usize::from(*rest.get(1)?), rest.get(2..)?),
        _ => return None,
    };
    let value = rest.get(..len)?;
    let header_len = b.len() - rest.len();
    Some((tag, b.get(..header_len + len)?, value, rest.get(len..)?))
}

impl SecureChannel {
    /// A 3DES channel (after BAC) from session keys and the initial SSC.
    pub fn new(ks_enc: Key16, ks_mac: Key16, ssc: u64) -> Self {
        Self { cipher: Cipher::Tdes, ks_enc, ks_mac, ssc: u128::from(ssc) }
    }

    /// An AES-128 channel (after PACE or chip authentication); the SSC starts at zero.
    pub fn new_aes(ks_enc: Key16, ks_mac: Key16) -> Self {
        Self { cipher: Cipher::Aes128, ks_enc, ks_mac, ssc: 0 }
    }

    /// The cipher suite.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// KS_enc (for tests against the spec's vectors).
    pub fn ks_enc(&self) -> &Key16 {
        &self.ks_enc
    }

    /// KS_mac (for tests against the spec's vectors).
    pub fn ks_mac(&self) -> &Key16 {
        &self.ks_mac
    }

    /// The current send sequence counter (3DES: the low 64 bits).
    pub fn ssc(&self) -> u128 {
        self.ssc
    }

    fn ssc_bytes(&self) -> Vec<u8> {
        match self.cipher {
            Cipher::Tdes => (self.ssc as u64).to_be_bytes().to_vec(),
            Cipher::Aes128 => self.ssc.to_be_bytes().to_vec(),
        }
    }

    fn bump(&mut self) {
        self.ssc = match self.cipher {
            Cipher::Tdes => u128::from((self.ssc as u64).wrapping_add(1)),
            Cipher::Aes128 => self.ssc.wrapping_add(1),
        };
    }

    fn pad(&self, data: &[u8]) -> Vec<u8> {
        pad_to(data, self.cipher.block())
    }

    fn mac(&self, body: &[u8]) -> Result<[u8; 8]> {
        let mut n = self.ssc_bytes();
        n.extend_from_slice(body);
        let n = self.pad(&n);
        match self.cipher {
            Cipher::Tdes => retail_mac(&self.ks_mac, &n),
            Cipher::Aes128 => {
                let full = aes_cmac(&self.ks_mac, &n);
                let mut out = [0u8; 8];
                out.copy_from_slice(full.get(..8).unwrap_or(&[0u8; 8]));
                Ok(out)
            }
        }
    }

    fn aes_iv(&self) -> [u8; 16] {
        aes_encrypt_block(&self.ks_enc, self.ssc.to_be_bytes())
    }

    fn encrypt(&self, data: &[u8]) -> Result<Vec<u8>> {
        match self.cipher {
            Cipher::Tdes => tdes_cbc_encrypt(&self.ks_enc, &self.pad(data)),
            Cipher::Aes128 => aes_cbc_encrypt(&self.ks_enc, &self.aes_iv(), &self.pad(data)),
        }
    }

    fn decrypt(&self, enc: &[u8]) -> Result<Vec<u8>> {
        let plain = match self.cipher {
            Cipher::Tdes => tdes_cbc_decrypt(&self.ks_enc, enc)?,
            Cipher::Aes128 => aes_cbc_decrypt(&self.ks_enc, &self.aes_iv(), enc)?,
        };
        unpad_from(&plain, self.cipher.block()).map(<[u8]>::to_vec).ok_or(Error::SecureMessaging("bad padding in DO87"))
    }

    fn do87(&self, data: &[u8]) -> Result<Vec<u8>> {
        let enc = self.encrypt(data)?;
        let mut v = vec![0x87];
        push_len(&mut v, enc.len() + 1)?;
        v.push(0x01);
        v.extend_from_slice(&enc);
        Ok(v)
    }

    /// Counts a response that never arrived (transport error), keeping the SSC in step with a
    /// chip that did answer.
    pub fn skip_response(&mut self) {
        self.bump();
    }

    /// Terminal side: wraps a plain command APDU. Increments the SSC.
    pub fn protect(&mut self, apdu: &[u8]) -> Result<Vec<u8>> {
        let cmd = Command::parse(apdu)?;
        self.bump();
        let header = [cmd.header[0] | 0x0C, cmd.header[1], cmd.header[2], cmd.header[3]];
        let mut dos = Vec::new();
        if !cmd.data.is_empty() {
            dos.extend_from_slice(&self.do87(&cmd.data)?);
        }
        match cmd.le {
            Some(n) if n <= 256 => dos.extend_from_slice(&[0x97, 0x01, u8::try_from(n % 256).unwrap_or(0)]),
            Some(n) => {
                dos.extend_from_slice(&[0x97, 0x02]);
                dos.extend_from_slice(&u16::try_from(n % 65536).unwrap_or(0).to_be_bytes());
            }
            None => {}
        }
        let mut m = self.pad(&header);
        m.extend_from_slice(&dos);
        let cc = self.mac(&m)?;
        dos.extend_from_slice(&[0x8E, 0x08]);
        dos.extend_from_slice(&cc);
        // The protected response is longer than the plain one: ask for "everything" (00 / 0000).
        let extended = cmd.is_extended() || dos.len() > 255;
        encode_apdu(header, &dos, Some(if extended { 65536 } else { 256 }), extended)
    }

    /// Terminal side: verifies and decrypts a response APDU. Increments the SSC.
    pub fn unprotect(&mut self, rapdu: &[u8]) -> Result<Response> {
        self.bump();
        let (body, sw) = rapdu.split_last_chunk::<2>().ok_or(Error::SecureMessaging("response without status word"))?;
        if body.is_empty() {
            if *sw == [0x90, 0x00] {
                return Err(Error::SecureMessaging("success status without secure-messaging objects"));
            }
            return Ok(Response { data: Vec::new(), sw: *sw, verified: false });
        }
        let mut rest = body;
        let (mut d87, mut d99, mut d8e) = (None, None, None);
        let mut maced = Vec::new();
        while !rest.is_empty() {
            let (tag, whole, value, r) = take_tlv(rest).ok_or(Error::SecureMessaging("malformed data object"))?;
            match tag {
                0x87 if d87.is_none() && d99.is_none() => {
                    d87 = Some(value);
                    maced.extend_from_slice(whole);
                }
                0x99 if d99.is_none() && d8e.is_none() => {
                    d99 = Some(value);
                    maced.extend_from_slice(whole);
                }
                0x8E if d8e.is_none() && r.is_empty() => d8e = Some(value),
                _ => return Err(Error::SecureMessaging("unexpected data object")),
            }
            rest = r;
        }
        let cc = d8e.ok_or(Error::SecureMessaging("response has no MAC (DO8E)"))?;
        if !mac_eq(&self.mac(&maced)?, cc) {
            return Err(Error::SecureMessaging("response MAC does not verify"));
        }
        let sw_in: [u8; 2] =
            d99.and_then(|v| v.try_into().ok()).ok_or(Error::SecureMessaging("response has no 2-byte DO99"))?;
        if sw_in != *sw {
            return Err(Error::SecureMessaging("protected status word differs from the plain one"));
        }
        let data = match d87 {
            None => Vec::new(),
            Some([0x01, enc @ ..]) => self.decrypt(enc)?,
            Some(_) => return Err(Error::SecureMessaging("DO87 without padding indicator 01")),
        };
        Ok(Response { data, sw: sw_in, verified: true })
    }

    /// Card side (simulated chip): verifies and decrypts a protected command. Increments the SSC.
    pub fn unprotect_command(&mut self, apdu: &[u8]) -> Result<Command> {
        self.bump();
        let outer = Command::parse(apdu)?;
        if outer.header[0] & 0x0C != 0x0C {
            return Err(Error::SecureMessaging("command is not protected"));
        }
        let mut rest = outer.data.as_slice();
        let (mut data, mut le, mut cc) = (Vec::new(), None, None);
        let mut m = self.pad(&outer.header);
        while !rest.is_empty() {
            let (tag, whole, value, r) = take_tlv(rest).ok_or(Error::SecureMessaging("malformed data object"))?;
            match (tag, value) {
                (0x87, [0x01, enc @ ..]) => {
                    m.extend_from_slice(whole);
                    data = self.decrypt(enc)?;
                }
                (0x97, [l]) => {
                    m.extend_from_slice(whole);
                    le = Some(ne_short(*l));
                }
                (0x97, [hi, lo]) => {
                    m.extend_from_slice(whole);
                    le = Some(ne_ext(*hi, *lo));
                }
                (0x8E, v) => cc = Some(v.to_vec()),
                _ => return Err(Error::SecureMessaging("unexpected data object")),
            }
            rest = r;
        }
        let cc = cc.ok_or(Error::SecureMessaging("command has no MAC"))?;
        if !mac_eq(&self.mac(&m)?, &cc) {
            return Err(Error::SecureMessaging("command MAC does not verify"));
        }
        let h = outer.header;
        Ok(Command { header: [h[0] & !0x0C, h[1], h[2], h[3]], data, le })
    }

    /// Card side (simulated chip): protects a response. Increments the SSC.
    pub fn protect_response(&mut self, data: &[u8], sw: [u8; 2]) -> Result<Vec<u8>> {
        self.bump();
        let mut out = Vec::new();
        if !data.is_empty() {
            out.extend_from_slice(&self.do87(data)?);
        }
        out.extend_from_slice(&[0x99, 0x02, sw[0], sw[1]]);
        let cc = self.mac(&out)?;
        out.extend_from_slice(&[0x8E, 0x08]);
        out.extend_from_slice(&cc);
        out.extend_from_slice(&sw);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    fn icao_channel() -> SecureChannel {
        SecureChannel::new(
            h("979EC13B1CBFE9DCD01AB0FED307EAE5").try_into().unwrap(),
            h("F1CB1F1FB5ADF208806B89DC579DC1F8").try_into().unwrap(),
            0x887022120C06C226,
        )
    }

    #[test]
    fn icao_d4_select_read_binary_transcript() {
        let mut ch = icao_channel();
        assert_eq!(
            ch.protect(&h("00A4020C02011E")).unwrap(),
            h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
        );
        let r = ch.unprotect(&h("990290008E08FA855A5D4C50A8ED9000")).unwrap();
        assert_eq!((r.data.len(), r.sw, r.verified), (0, [0x90, 0x00], true));

        assert_eq!(ch.protect(&h("00B0000004")).unwrap(), h("0CB000000D9701048E08ED6705417E96BA5500"));
        let r = ch.unprotect(&h("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")).unwrap();
        assert_eq!(r.data, h("60145F01"));

        assert_eq!(ch.protect(&h("00B0000412")).unwrap(), h("0CB000040D9701128E082EA28A70F3C7B53500"));
        let r = ch
            .unprotect(&h("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"))
            .unwrap();
        assert_eq!(r.data, h("04303130365F36063034303030305C026175"));
        assert_eq!(ch.ssc(), 0x887022120C06C22C);
    }

    #[test]
    fn icao_d4_card_side_produces_the_same_responses() {
        let mut chip = icao_channel();
        let cmd = chip.unprotect_command(&h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")).unwrap();
        assert_eq!(cmd.to_bytes().unwrap(), h("00A4020C02011E"));
        assert_eq!(chip.protect_response(&[], [0x90, 0x00]).unwrap(), h("990290008E08FA855A5D4C50A8ED9000"));
        let cmd = chip.unprotect_command(&h("0CB000000D9701048E08ED6705417E96BA5500")).unwrap();
        assert_eq!(cmd.to_bytes().unwrap(), h("00B0000004"));
        assert_eq!(
            chip.protect_response(&h("60145F01"), [0x90, 0x00]).unwrap(),
            h("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")
        );
    }

    /// CCCD.md §5.5: BSI TR-03110 worked example 8 with the ICAO 9303-11 G.2 keys.
    #[test]
    fn aes_secure_messaging_vector() {
        let k = |s: &str| -> Key16 { h(s).try_into().unwrap() };
        let mut ch =
            SecureChannel::new_aes(k("2F7F46ADCC9E7E521B45D192FAFA9126"), k("805A1D27D45A5116F73C54469462B7D8"));
        let apdu = h("00 22 81 B6 11 83 0F 44 45 54 45 53 54 43 56 43 41 30 30 30 30 33");
        let protected = ch.protect(&apdu).unwrap();
        assert_eq!(
            protected,
            h("0C2281B62D872101B37BB57DA1DB37D1C49604917BD699E61D6A3074E69E4067A1B39903882336338E08F36526DE03A31A1900")
        );
        let r = ch.unprotect(&h("990290008E08EBFF08D3B20A04149000")).unwrap();
        assert_eq!((r.data.len(), r.sw, r.verified), (0, [0x90, 0x00], true));
        assert_eq!(ch.ssc(), 2);

        // The card side decodes the same command and produces the same response.
        let mut chip =
            SecureChannel::new_aes(k("2F7F46ADCC9E7E521B45D192FAFA9126"), k("805A1D27D45A5116F73C54469462B7D8"));
        assert_eq!(chip.unprotect_command(&protected).unwrap().to_bytes().unwrap(), apdu);
        assert_eq!(chip.protect_response(&[], [0x90, 0x00]).unwrap(), h("990290008E08EBFF08D3B20A04149000"));
    }

    #[test]
    fn aes_round_trip_with_data_and_tampering() {
        let mut term = SecureChannel::new_aes([1; 16], [2; 16]);
        let mut chip = SecureChannel::new_aes([1; 16], [2; 16]);
        let cmd = chip.unprotect_command(&term.protect(&h("00B0000020")).unwrap()).unwrap();
        assert_eq!(cmd.le, Some(0x20));
        let data: Vec<u8> = (0..32).collect();
        let resp = chip.protect_response(&data, [0x90, 0x00]).unwrap();
        let mut bad = resp.clone();
        bad[5] ^= 0x40;
        let mut term2 = SecureChannel::new_aes([1; 16], [2; 16]);
        term2.protect(&h("00B0000020")).unwrap();
        assert!(term2.unprotect(&bad).is_err());
        assert_eq!(term.unprotect(&resp).unwrap().data, data);
    }

    #[test]
    fn a_flipped_response_bit_is_rejected() {
        let mut ch = icao_channel();
        ch.protect(&h("00A4020C02011E")).unwrap();
        assert!(ch.unprotect(&h("990290008E08FA855A5D4C50A8EC9000")).is_err());
    }

    #[test]
    fn truncated_and_garbage_responses_are_errors_not_panics() {
        let full = h("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000");
        for n in 0..full.len() {
            let mut ch = icao_channel();
            let _ = ch.unprotect(&full[..n]);
        }
        let mut ch = icao_channel();
        assert!(ch.unprotect(&[0x90, 0x00]).is_err());
        let r = ch.unprotect(&[0x67, 0x00]).unwrap();
        assert_eq!((r.sw, r.verified), ([0x67, 0x00], false));
    }

    #[test]
    fn command_parse_handles_all_short_cases() {
        assert_eq!(Command::parse(&h("00B00000")).unwrap().le, None);
        assert_eq!(Command::parse(&h("00B0000004")).unwrap().le, Some(4));
        assert_eq!(Command::parse(&h("00A4020C02011E")).unwrap().data, h("011E"));
        assert_eq!(Command::parse(&h("00A4020C02011E00")).unwrap().le, Some(256));
        assert!(Command::parse(&h("00A4020C05011E")).is_err());
        // Extended cases.
        assert_eq!(Command::parse(&h("00B00000000800")).unwrap().le, Some(0x800));
        assert_eq!(Command::parse(&h("00B00000000000")).unwrap().le, Some(65536));
        let c = Command::parse(&h("00A4020C000002011E0000")).unwrap();
        assert_eq!((c.data, c.le), (h("011E"), Some(65536)));
        assert!(Command::parse(&h("00A4020C000003011E")).is_err());
        for apdu in ["00B0000004", "00A4020C02011E", "00A4020C02011E00", "00B00000000800", "00B00000"] {
            assert_eq!(Command::parse(&h(apdu)).unwrap().to_bytes().unwrap(), h(apdu));
        }
    }

    #[test]
    fn extended_read_binary_round_trips_through_sm() {
        for mut term in [SecureChannel::new_aes([3; 16], [4; 16]), SecureChannel::new([3; 16], [4; 16], 9)] {
            let mut chip = match term.cipher() {
                Cipher::Aes128 => SecureChannel::new_aes([3; 16], [4; 16]),
                _ => SecureChannel::new([3; 16], [4; 16], 9),
            };
            let protected = term.protect(&h("00B0000000 0800")).unwrap();
            assert_eq!(&protected[protected.len() - 2..], &[0, 0], "extended Le");
            let cmd = chip.unprotect_command(&protected).unwrap();
            assert_eq!(cmd.le, Some(0x800));
            let data: Vec<u8> = (0..0x800u32).map(|i| i as u8).collect();
            let resp = chip.protect_response(&data, [0x90, 0x00]).unwrap();
            assert_eq!(term.unprotect(&resp).unwrap().data, data);
        }
    }
}

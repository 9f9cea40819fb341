//! 3DES secure messaging after BAC (ICAO 9303-11 §9.8, Appendix D.4).
//!
//! Commands carry DO87 (padding-indicator 01 ‖ 3DES-CBC of the padded data), DO97 (Le) and
//! DO8E (retail MAC over SSC ‖ padded header ‖ DOs). The SSC is incremented before each
//! command and before each response. A response's MAC is checked before its DO87 is
//! decrypted or its status word believed. A response that is only a bare status word (the
//! chip rejected the command without SM, e.g. `67 00`) is passed up as that status word with
//! no data; nothing in it is trusted beyond "it failed".
//!
//! Does not implement: AES secure messaging (PACE), extended-length APDUs, odd-INS (`B1`)
//! READ BINARY.

use super::crypto::{Key16, mac_eq, pad, retail_mac, tdes_cbc_decrypt, tdes_cbc_encrypt, unpad};
use crate::{Error, Result};

/// An established 3DES secure channel: session keys and the send sequence counter.
pub struct SecureChannel {
    ks_enc: Key16,
    ks_mac: Key16,
    ssc: u64,
}

impl std::fmt::Debug for SecureChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecureChannel(<keys redacted>)")
    }
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

/// A plain command APDU split into its parts (short APDUs only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// CLA INS P1 P2.
    pub header: [u8; 4],
    /// Command data (may be empty).
    pub data: Vec<u8>,
    /// Le byte if present (`0x00` means 256).
    pub le: Option<u8>,
}

impl Command {
    /// Parses a short command APDU (cases 1–4).
    pub fn parse(apdu: &[u8]) -> Result<Self> {
        let (header, body) =
            apdu.split_first_chunk::<4>().ok_or(Error::SecureMessaging("APDU shorter than 4 bytes"))?;
        let (data, le) = match body {
            [] => (&[][..], None),
            [le] => (&[][..], Some(*le)),
            [lc, rest @ ..] => {
                let lc = usize::from(*lc);
                match rest.len().checked_sub(lc) {
                    Some(0) if lc > 0 => (rest, None),
                    Some(1) if lc > 0 => (rest.get(..lc).unwrap_or_default(), rest.get(lc).copied()),
                    _ => return Err(Error::SecureMessaging("APDU length fields are inconsistent")),
                }
            }
        };
        Ok(Self { header: *header, data: data.to_vec(), le })
    }

    /// Encodes as a short APDU.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut v = self.header.to_vec();
        if !self.data.is_empty() {
            v.push(u8::try_from(self.data.len()).map_err(|_| Error::SecureMessaging("command data over 255 bytes"))?);
            v.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            v.push(le);
        }
        Ok(v)
    }
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

fn do87(ks_enc: &Key16, data: &[u8]) -> Result<Vec<u8>> {
    let enc = tdes_cbc_encrypt(ks_enc, &pad(data))?;
    let mut v = vec![0x87];
    push_len(&mut v, enc.len() + 1)?;
    v.push(0x01);
    v.extend_from_slice(&enc);
    Ok(v)
}

impl SecureChannel {
    /// A channel from session keys and the initial SSC.
    pub fn new(ks_enc: Key16, ks_mac: Key16, ssc: u64) -> Self {
        Self { ks_enc, ks_mac, ssc }
    }

    /// KS_enc (for tests against the spec's vectors).
    pub fn ks_enc(&self) -> &Key16 {
        &self.ks_enc
    }

    /// KS_mac (for tests against the spec's vectors).
    pub fn ks_mac(&self) -> &Key16 {
        &self.ks_mac
    }

    /// The current send sequence counter.
    pub fn ssc(&self) -> u64 {
        self.ssc
    }

    fn mac(&self, body: &[u8]) -> Result<[u8; 8]> {
        let mut n = self.ssc.to_be_bytes().to_vec();
        n.extend_from_slice(body);
        retail_mac(&self.ks_mac, &pad(&n))
    }

    /// Counts a response that never arrived (transport error), keeping the SSC in step with a
    /// chip that did answer.
    pub fn skip_response(&mut self) {
        self.ssc = self.ssc.wrapping_add(1);
    }

    /// Terminal side: wraps a plain command APDU. Increments the SSC.
    pub fn protect(&mut self, apdu: &[u8]) -> Result<Vec<u8>> {
        let cmd = Command::parse(apdu)?;
        self.ssc = self.ssc.wrapping_add(1);
        let header = [cmd.header[0] | 0x0C, cmd.header[1], cmd.header[2], cmd.header[3]];
        let mut dos = Vec::new();
        if !cmd.data.is_empty() {
            dos.extend_from_slice(&do87(&self.ks_enc, &cmd.data)?);
        }
        if let Some(le) = cmd.le {
            dos.extend_from_slice(&[0x97, 0x01, le]);
        }
        let mut m = pad(&header);
        m.extend_from_slice(&dos);
        let cc = self.mac(&m)?;
        dos.extend_from_slice(&[0x8E, 0x08]);
        dos.extend_from_slice(&cc);
        let mut out = header.to_vec();
        out.push(u8::try_from(dos.len()).map_err(|_| Error::SecureMessaging("protected command over 255 bytes"))?);
        out.extend_from_slice(&dos);
        out.push(0x00);
        Ok(out)
    }

    /// Terminal side: verifies and decrypts a response APDU. Increments the SSC.
    pub fn unprotect(&mut self, rapdu: &[u8]) -> Result<Response> {
        self.ssc = self.ssc.wrapping_add(1);
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
            Some([0x01, enc @ ..]) => {
                let plain = tdes_cbc_decrypt(&self.ks_enc, enc)?;
                unpad(&plain).ok_or(Error::SecureMessaging("bad padding in DO87"))?.to_vec()
            }
            Some(_) => return Err(Error::SecureMessaging("DO87 without padding indicator 01")),
        };
        Ok(Response { data, sw: sw_in, verified: true })
    }

    /// Card side (simulated chip): verifies and decrypts a protected command. Increments the SSC.
    pub fn unprotect_command(&mut self, apdu: &[u8]) -> Result<Command> {
        self.ssc = self.ssc.wrapping_add(1);
        let outer = Command::parse(apdu)?;
        if outer.header[0] & 0x0C != 0x0C {
            return Err(Error::SecureMessaging("command is not protected"));
        }
        let mut rest = outer.data.as_slice();
        let (mut data, mut le, mut cc) = (Vec::new(), None, None);
        let mut m = pad(&outer.header);
        while !rest.is_empty() {
            let (tag, whole, value, r) = take_tlv(rest).ok_or(Error::SecureMessaging("malformed data object"))?;
            match (tag, value) {
                (0x87, [0x01, enc @ ..]) => {
                    m.extend_from_slice(whole);
                    let plain = tdes_cbc_decrypt(&self.ks_enc, enc)?;
                    data = unpad(&plain).ok_or(Error::SecureMessaging("bad padding in DO87"))?.to_vec();
                }
                (0x97, [l]) => {
                    m.extend_from_slice(whole);
                    le = Some(*l);
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
        self.ssc = self.ssc.wrapping_add(1);
        let mut out = Vec::new();
        if !data.is_empty() {
            out.extend_from_slice(&do87(&self.ks_enc, data)?);
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
        assert_eq!(Command::parse(&h("00A4020C02011E00")).unwrap().le, Some(0));
        assert!(Command::parse(&h("00A4020C05011E")).is_err());
    }
}

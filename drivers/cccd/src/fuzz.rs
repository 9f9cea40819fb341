//! Bounded fuzz entry points (house style §9): each takes arbitrary bytes, must never panic,
//! and checks the invariants of what it produced. This crate's `tests/fuzz.rs` drives them
//! with seeded random and mutated inputs; the workspace `fuzz/` crate can call them too.

use crate::proto::dg2::parse_dg2;
use crate::proto::dg14::{Dg14, parse_dg15};
use crate::proto::pa::{TrustStore, passive_authentication};
use crate::proto::pace::{CardAccess, PaceTerminal, Password, dynamic_auth_data};
use crate::proto::sm::{Cipher, SecureChannel};
use crate::proto::sod::Sod;

/// EF.SOD: parse, then run passive authentication over a fake DG1 (must not panic whatever
/// the SOD claims); a parsed SOD has hashes of its algorithm's length.
pub fn fuzz_sod(data: &[u8]) {
    if let Ok(sod) = Sod::parse(data) {
        let len = sod.hash_algorithm.digest(&[]).len();
        assert!(sod.dg_hashes.values().all(|h| h.len() == len));
        assert!(sod.dg_hashes.keys().all(|n| (1..=16).contains(n)));
        assert_eq!(sod.signed_attrs.first(), Some(&0x31));
        let _ = format!("{sod:?}");
        let _ = passive_authentication(&sod, &[(1, data)], &TrustStore::new());
    }
}

/// DG14 and DG15.
pub fn fuzz_dg14(data: &[u8]) {
    if let Ok(dg14) = Dg14::parse(data) {
        let _ = dg14.ca_ecdh_aes128();
    }
    let _ = parse_dg15(data);
}

/// DG2: a parsed face has a non-empty image whose magic matches its format.
pub fn fuzz_dg2(data: &[u8]) {
    if let Ok(face) = parse_dg2(data) {
        assert!(!face.bytes().is_empty());
        assert!(!format!("{face:?}").contains(&format!("{:?}", face.bytes())));
    }
}

/// EF.CardAccess, and a PACE run whose chip answers are slices of `data`.
pub fn fuzz_card_access(data: &[u8]) {
    if let Some(info) = CardAccess::parse(data).ok().as_ref().and_then(CardAccess::supported_pace) {
        assert_eq!(info.parameter_id, Some(crate::proto::pace::PARAM_BRAINPOOL_P256R1));
    }
    let _ = dynamic_auth_data(data, 0x80);
    let info = crate::proto::pace::PaceInfo {
        protocol: crate::proto::pace::ID_PACE_ECDH_GM_AES_128.to_vec(),
        version: 2,
        parameter_id: Some(13),
    };
    let Ok(can) = crate::proto::pace::Can::new("123456") else { return };
    let Ok(mut t) = PaceTerminal::new(&info, Password::Can(&can), &[7; 32], &[9; 32]) else { return };
    let third = data.len() / 3;
    let (a, rest) = data.split_at(third);
    let (b, c) = rest.split_at(third);
    if t.map_command(a).is_ok() && t.key_agreement_command(b).is_ok() && t.mutual_auth_command(c).is_ok() {
        let _ = t.finish(c);
    }
}

/// A secure-messaging response, for 3DES and AES channels, terminal and card side.
pub fn fuzz_sm_response(data: &[u8]) {
    for cipher in [Cipher::Tdes, Cipher::Aes128] {
        let mut ch = match cipher {
            Cipher::Tdes => SecureChannel::new([1; 16], [2; 16], 7),
            _ => SecureChannel::new_aes([1; 16], [2; 16]),
        };
        if let Ok(r) = ch.unprotect(data) {
            // Anything MAC-verified must have come from a holder of the keys; with random
            // input only a bare error status word gets through.
            assert!(!r.verified || data.len() > 10);
            if !r.verified {
                assert!(r.data.is_empty() && r.sw != [0x90, 0x00]);
            }
        }
        let _ = ch.unprotect_command(data);
    }
}

/// The vpcd framing (what pcscd's virtual reader driver sends a virtual card), fed in chunks
/// of a size taken from the first byte: every byte is accounted for (whole frames, dropped
/// empty frames, or still buffered), APDUs are at least 2 bytes, and answers re-frame. With
/// the simulated chip, the stream is also served by the card-side loop.
pub fn fuzz_vpcd(data: &[u8]) {
    use crate::proto::vpcd::{Decoder, Message, encode};
    let step = data.first().map_or(1, |b| usize::from(b % 7) + 1);
    let mut d = Decoder::new();
    let mut framed = 0usize;
    for chunk in data.chunks(step) {
        d.feed(chunk);
        while let Some(m) = d.poll_message() {
            let payload_len = match &m {
                Message::Apdu(a) => {
                    assert!(a.len() >= 2);
                    assert_eq!(encode(a).map(|f| f.len()).ok(), Some(a.len() + 2));
                    a.len()
                }
                _ => 1,
            };
            framed += 2 + payload_len;
        }
    }
    let empty = usize::try_from(d.empty_frames()).unwrap_or(usize::MAX);
    assert_eq!(framed + 2 * empty + d.buffered(), data.len());
    assert_eq!(d.finish().is_ok(), d.buffered() == 0);
    #[cfg(feature = "sim")]
    {
        let mut chip = crate::sim::SimCccdChip::new(crate::proto::bac::BacKey::new("099012345", "990315", "240315"));
        let mut stream = Replay { input: data, output: Vec::new() };
        let _ = crate::vpcd::serve(&mut stream, &mut chip);
    }
}

/// A byte stream that plays `input` once and collects what is written.
#[cfg(feature = "sim")]
struct Replay<'a> {
    input: &'a [u8],
    output: Vec<u8>,
}

#[cfg(feature = "sim")]
impl std::io::Read for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.input.len()).min(5);
        let (head, rest) = self.input.split_at(n);
        buf[..n].copy_from_slice(head);
        self.input = rest;
        Ok(n)
    }
}

#[cfg(feature = "sim")]
impl std::io::Write for Replay<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

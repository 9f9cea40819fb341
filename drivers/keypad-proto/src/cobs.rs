//! Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999): removes every `0x00` from a
//! frame so that `0x00` can delimit frames on the wire.
//!
//! Implements: encode into a caller buffer, and decode in place (the decoded form is never
//! longer than the encoded form, so the stream decoder needs only one buffer). Does not add
//! the delimiters; [`crate::Frame::encode`] does.

use crate::Error;

/// Worst-case encoded length of `n` bytes (one code byte per started 254-byte block).
pub const fn max_encoded_len(n: usize) -> usize {
    n + n / 254 + 1
}

fn put(dst: &mut [u8], at: usize, byte: u8) -> Result<(), Error> {
    match dst.get_mut(at) {
        Some(slot) => {
            *slot = byte;
            Ok(())
        }
        None => Err(Error::BufferTooSmall),
    }
}

/// COBS-encodes `src` into `dst`, returning the encoded length. The output contains no `0x00`.
pub fn encode(src: &[u8], dst: &mut [u8]) -> Result<usize, Error> {
    let mut code_at = 0;
    let mut out = 1;
    let mut code: u8 = 1;
    for &byte in src {
        if byte == 0 {
            put(dst, code_at, code)?;
            code_at = out;
            out += 1;
            code = 1;
        } else {
            put(dst, out, byte)?;
            out += 1;
            code += 1;
            if code == 0xFF {
                put(dst, code_at, code)?;
                code_at = out;
                out += 1;
                code = 1;
            }
        }
    }
    put(dst, code_at, code)?;
    Ok(out)
}

/// Decodes the COBS block in `buf` in place (the delimiter is not part of `buf`) and returns
/// the decoded length; the decoded bytes are `buf[..len]`.
///
/// Fails with [`Error::Cobs`] on a `0x00` inside the block or a code byte pointing past its end.
pub fn decode_in_place(buf: &mut [u8]) -> Result<usize, Error> {
    let len = buf.len();
    let mut read = 0;
    let mut write = 0;
    // Invariant: write < read whenever a byte is written, so the write never clobbers input
    // that has not been read yet.
    while read < len {
        let code = buf.get(read).copied().ok_or(Error::Cobs)?;
        if code == 0 {
            return Err(Error::Cobs);
        }
        read += 1;
        for _ in 1..code {
            let byte = buf.get(read).copied().ok_or(Error::Cobs)?;
            if byte == 0 {
                return Err(Error::Cobs);
            }
            put(buf, write, byte).map_err(|_| Error::Cobs)?;
            write += 1;
            read += 1;
        }
        if code != 0xFF && read < len {
            put(buf, write, 0).map_err(|_| Error::Cobs)?;
            write += 1;
        }
    }
    Ok(write)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn enc(src: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; max_encoded_len(src.len())];
        let n = encode(src, &mut out).expect("buffer sized by max_encoded_len");
        out.truncate(n);
        out
    }

    fn round_trip(src: &[u8]) {
        let mut e = enc(src);
        assert!(!e.contains(&0), "encoded form must not contain 0x00");
        let n = decode_in_place(&mut e).expect("own encoding decodes");
        assert_eq!(&e[..n], src);
    }

    #[test]
    fn encode_matches_published_examples() {
        assert_eq!(enc(&[]), [0x01]);
        assert_eq!(enc(&[0x00]), [0x01, 0x01]);
        assert_eq!(enc(&[0x00, 0x00]), [0x01, 0x01, 0x01]);
        assert_eq!(enc(&[0x11, 0x22, 0x00, 0x33]), [0x03, 0x11, 0x22, 0x02, 0x33]);
        assert_eq!(enc(&[0x11, 0x00, 0x00, 0x00]), [0x02, 0x11, 0x01, 0x01, 0x01]);
    }

    #[test]
    fn round_trips_runs_around_the_254_byte_block_boundary() {
        for n in [0usize, 1, 253, 254, 255, 300, 600] {
            let data: Vec<u8> = (0..n).map(|i| (i % 255 + 1) as u8).collect();
            round_trip(&data);
            let zeros = vec![0u8; n];
            round_trip(&zeros);
        }
    }

    #[test]
    fn encode_reports_small_buffer_instead_of_panicking() {
        let mut out = [0u8; 3];
        assert_eq!(encode(&[1, 2, 3, 4], &mut out), Err(Error::BufferTooSmall));
    }

    #[test]
    fn decode_rejects_zero_byte_and_overlong_code() {
        assert_eq!(decode_in_place(&mut [0x02, 0x00]), Err(Error::Cobs));
        assert_eq!(decode_in_place(&mut [0x05, 0x11]), Err(Error::Cobs));
        assert_eq!(decode_in_place(&mut [0x00]), Err(Error::Cobs));
    }
}

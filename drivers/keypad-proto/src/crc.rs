//! CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR; check value
//! 0x29B1 for `"123456789"`).
//!
//! Why CRC-16 and not CRC-32: frames are at most 72 bytes, where CRC-16 detects every burst of
//! up to 16 bits and all odd-bit errors; two bytes of overhead matter on a 115200 baud line and
//! a bitwise loop is small and fast enough on a Cortex-M0+ without a 512-byte table.
//!
//! Its blind spot: with no final XOR, the CRC of a message followed by its own CRC is 0 and
//! stays 0 through appended zero bytes, so the frame carries an explicit length
//! ([`crate::frame`]).

/// Computes CRC-16/CCITT-FALSE over `data`.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::crc16;

    #[test]
    fn crc16_matches_ccitt_false_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }

    #[test]
    fn crc16_of_empty_input_is_init_value() {
        assert_eq!(crc16(&[]), 0xFFFF);
    }
}

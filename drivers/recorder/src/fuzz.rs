//! Bounded fuzz targets for the parsers that see untrusted bytes.
//!
//! Implements: [`fuzz_recover`] (the crash-recovery scanner over any bytes as a partial file)
//! and [`fuzz_wav`] (the WAV reader). Each must never panic; `fuzz_recover` also checks that
//! a file it finalised scans again to the same media counts.

use std::io::Cursor;

use crate::mkv::{Recovery, recover_in};

/// Runs the recovery scanner on `data` as a partial file (in memory).
pub fn fuzz_recover(data: &[u8]) {
    let mut c = Cursor::new(data.to_vec());
    let Ok((outcome, end)) = recover_in(&mut c, data.len() as u64) else { return };
    if let Recovery::Finalised(first) = outcome {
        let mut v = c.into_inner();
        v.truncate(usize::try_from(end).unwrap_or(usize::MAX));
        let len = v.len() as u64;
        let mut again = Cursor::new(v);
        match recover_in(&mut again, len) {
            Ok((Recovery::Finalised(second), _)) => {
                assert_eq!(
                    (first.video_frames, first.audio_samples, first.clusters),
                    (second.video_frames, second.audio_samples, second.clusters),
                    "re-scanning a recovered file changed its content"
                );
            }
            other => panic!("a recovered file no longer scans: {other:?}"),
        }
    }
}

/// Runs the WAV reader on `data`.
pub fn fuzz_wav(data: &[u8]) {
    if let Ok((rate, samples)) = crate::source::parse_wav(data) {
        assert!(rate > 0);
        assert!(samples.len() <= data.len() / 2);
    }
}

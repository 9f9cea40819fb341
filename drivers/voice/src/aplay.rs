//! Audio out through ALSA by `aplay` (Debian's alsa-utils), one process per announcement.
//!
//! Why a process and not an in-process ALSA binding: an announcement is a few seconds of PCM
//! played a few times a minute, and a wedged ALSA device is exactly what the announcer's
//! watchdog must recover from. A process can be killed and the next announcement starts a
//! fresh one, with a fresh device handle; an in-process handle stuck in a driver call cannot be
//! taken back. The cost is a fork per announcement (about a millisecond).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use motcua_device::audio::AudioOut;
use motcua_device::{DeviceFamily, DeviceInfo, Error};

use crate::wav::{self, Pcm};

/// ALSA output through `aplay`.
#[derive(Debug, Clone)]
pub struct AplayOut {
    /// The program (`aplay`).
    pub program: PathBuf,
    /// ALSA device (`default`, `plughw:1,0`, `null` for silence).
    pub device: String,
    /// Allowed beyond the audio's own length before the playback counts as stuck.
    pub margin: Duration,
}

impl AplayOut {
    /// `aplay` on `device`, 3 s margin.
    pub fn new(device: &str) -> Self {
        Self { program: PathBuf::from("aplay"), device: device.to_owned(), margin: Duration::from_secs(3) }
    }
}

impl AudioOut for AplayOut {
    fn play(&mut self, samples: &[i16], sample_rate: u32) -> Result<(), Error> {
        let pcm = Pcm { rate: sample_rate, samples: samples.to_vec() };
        let bytes = wav::write(&pcm);
        let mut child = Command::new(&self.program)
            .args(["-q", "-t", "wav", "-D", &self.device, "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Hardware(format!("cannot run {}: {e}", self.program.display())))?;
        let deadline = Instant::now() + Duration::from_millis(pcm.duration_ms()) + self.margin;
        // Feed stdin from a thread: a stuck device blocks the pipe, and the watchdog below must
        // still be able to kill the process.
        let stdin = child.stdin.take();
        let writer = std::thread::spawn(move || {
            if let Some(mut s) = stdin {
                let _ = s.write_all(&bytes);
            }
        });
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    let _ = writer.join();
                    if status.success() {
                        return Ok(());
                    }
                    let mut err = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = std::io::Read::read_to_string(&mut e, &mut err);
                    }
                    let last = err.lines().last().unwrap_or("").trim().to_owned();
                    return Err(Error::Hardware(format!("aplay on {}: {last}", self.device)));
                }
                Ok(None) if Instant::now() >= deadline => {
                    // Stuck: kill it; the next announcement opens the device afresh.
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = writer.join();
                    return Err(Error::Timeout);
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(Error::Io(e)),
            }
        }
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo { family: DeviceFamily::AudioOut, name: format!("ALSA {}", self.device), simulated: false }
    }
}

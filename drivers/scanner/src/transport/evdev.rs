//! The evdev transport for HID keyboard-wedge scanners: raw `input_event` records from
//! `/dev/input/eventN`, with the device grabbed.
//!
//! Implements: opening the event device (use its stable link,
//! `/dev/input/by-id/usb-<vendor>_<model>-event-kbd`, since `eventN` numbers change across
//! boots and replugs), `EVIOCGRAB` so the scanner's keystrokes reach only this process and
//! never the kiosk UI (or a console), and non-blocking reads of whole records, which the
//! driver feeds to [`crate::proto::HidCore`]. The kiosk user needs read access to the device:
//! a udev rule such as
//! `SUBSYSTEM=="input", ATTRS{idVendor}=="xxxx", ATTRS{idProduct}=="yyyy", MODE="0660",
//! GROUP="input"` plus membership of `input`.
//!
//! The grab is released when the file is closed (the kernel drops it with the last reference),
//! so dropping the transport or the process exiting gives the keyboard back.
//!
//! Grabbing applies only to character devices. A FIFO or socket (the HID twin in `sim`
//! writes the same records into a socketpair) cannot be grabbed: the grab is skipped, logged,
//! and [`EvdevTransport::grabbed`] says `false`. Any other file is refused.
//!
//! Reads: the descriptor is non-blocking and a read waits by sleeping in 2 ms slices up to its
//! timeout. That costs a few wake-ups per second and avoids a second `unsafe` call (`poll`);
//! typing latency of a few ms does not matter for a scan. A device that is unplugged fails
//! reads with `ENODEV`; a closed socket reads end of stream; both are reported as errors.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{ByteSource, Connect};

/// `EVIOCGRAB` = `_IOW('E', 0x90, int)` from `linux/input.h`.
const EVIOCGRAB: libc::Ioctl = 0x4004_4590;

/// How long one sleep of a waiting read lasts.
const READ_SLICE: Duration = Duration::from_millis(2);

/// An open event device (or a stream of the same records).
#[derive(Debug)]
pub struct EvdevTransport {
    file: File,
    grabbed: bool,
}

impl EvdevTransport {
    /// Opens `path` (an event device, or a link to one) non-blocking and grabs it. Fails if the
    /// device cannot be grabbed (another process holds it): its keystrokes would otherwise
    /// leak into the UI.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC).open(path)?;
        Self::from_file(file)
    }

    /// Wraps an open descriptor (an event device, or one end of a socketpair / FIFO carrying
    /// the same records). It is switched to non-blocking by the caller for sockets
    /// (`UnixStream::set_nonblocking`) or opened with `O_NONBLOCK`.
    pub fn from_fd(fd: OwnedFd) -> io::Result<Self> {
        Self::from_file(File::from(fd))
    }

    fn from_file(file: File) -> io::Result<Self> {
        let kind = file.metadata()?.file_type();
        let grabbed = if kind.is_char_device() {
            grab(file.as_fd()).map_err(|e| io::Error::new(e.kind(), format!("EVIOCGRAB failed: {e}")))?;
            true
        } else if kind.is_fifo() || kind.is_socket() {
            tracing::warn!("scanner input is not an event device (a simulated scanner): not grabbed");
            false
        } else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not an input event device"));
        };
        Ok(EvdevTransport { file, grabbed })
    }

    /// Whether the device is grabbed (false only for the simulated, non-device input).
    pub fn grabbed(&self) -> bool {
        self.grabbed
    }
}

/// Grabs the event device behind `fd` for this open file.
#[allow(unsafe_code)]
fn grab(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: `fd` is a live descriptor for the duration of the call (it is borrowed), and
    // EVIOCGRAB takes its argument by value (non-zero = grab), so no memory is passed to the
    // kernel. On a descriptor that is not an event device the kernel returns ENOTTY / EINVAL,
    // which we report; it cannot cause undefined behaviour.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), EVIOCGRAB, 1 as libc::c_int) };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

impl ByteSource for EvdevTransport {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        let start = Instant::now();
        loop {
            match self.file.read(buf) {
                Ok(0) if !buf.is_empty() => {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "input closed"));
                }
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let waited = start.elapsed();
                    if waited >= timeout {
                        return Ok(0);
                    }
                    std::thread::sleep(READ_SLICE.min(timeout - waited));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn grabbed(&self) -> Option<bool> {
        Some(self.grabbed)
    }
}

/// Reopens the configured event device each time the driver asks.
#[derive(Debug, Clone)]
pub struct EvdevConnector {
    path: PathBuf,
}

impl EvdevConnector {
    /// A connector for `path`, e.g. `/dev/input/by-id/usb-Scanner-event-kbd`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        EvdevConnector { path: path.into() }
    }
}

impl Connect for EvdevConnector {
    type Source = EvdevTransport;

    fn connect(&mut self) -> io::Result<EvdevTransport> {
        EvdevTransport::open(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_refused() {
        let f = tempfile::tempfile().map_err(|e| e.to_string());
        let Ok(f) = f else { return };
        let e = EvdevTransport::from_file(f).err().map(|e| e.kind());
        assert_eq!(e, Some(io::ErrorKind::InvalidInput));
    }

    #[test]
    fn char_devices_that_are_not_input_devices_fail_the_grab() {
        // /dev/null is a character device; EVIOCGRAB on it fails (ENOTTY), so it is refused.
        let Ok(f) = File::open("/dev/null") else { return };
        assert!(EvdevTransport::from_file(f).is_err());
    }
}

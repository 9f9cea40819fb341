//! The kernel's USB printer class node, `/dev/usb/lp*` (usblp).
//!
//! Implements: [`ByteTransport`] over the character device opened read/write with
//! `O_NONBLOCK`; writes and reads retry on `EAGAIN` against a deadline (a short sleep between
//! tries stands in for poll(2), which std does not expose and `unsafe` is denied here).
//! usblp passes the printer's bulk-IN replies (DLE EOT, GS ( H) through `read`.
//!
//! Setup: the kiosk user needs write access to the node (group `lp` on Debian/Pi OS). Prefer a
//! udev symlink by serial number (see `hardware.md`) over `lp0`, whose number changes with
//! plug order. Does not implement: IEEE 1284 device-ID queries (ioctl).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use motcua_device::Error;

use super::{ByteTransport, io_error, wall_clock};

/// How long to sleep between non-blocking tries.
const TICK: Duration = Duration::from_millis(2);

/// A printer on a `/dev/usb/lp*` node (or any character device or FIFO that behaves alike).
#[derive(Debug)]
pub struct LpTransport {
    file: File,
}

impl LpTransport {
    /// Opens the node non-blocking for reading and writing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path.as_ref())
            .map_err(|e| io_error(&e))?;
        Ok(Self { file })
    }
}

impl ByteTransport for LpTransport {
    fn write_all(&mut self, mut data: &[u8], timeout: Duration) -> Result<(), Error> {
        let deadline = wall_clock() + timeout;
        while !data.is_empty() {
            match self.file.write(data) {
                Ok(0) => return Err(Error::Disconnected),
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if wall_clock() >= deadline {
                        return Err(Error::Timeout);
                    }
                    std::thread::sleep(TICK);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&e)),
            }
        }
        Ok(())
    }

    fn read_available(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        let deadline = wall_clock() + timeout;
        loop {
            match self.file.read(buf) {
                // usblp returns 0 when the printer has nothing to say; a FIFO when no writer.
                Ok(n) if n > 0 => return Ok(n),
                Ok(_) => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted) => {}
                Err(e) => return Err(io_error(&e)),
            }
            if wall_clock() >= deadline {
                return Ok(0);
            }
            std::thread::sleep(TICK);
        }
    }
}

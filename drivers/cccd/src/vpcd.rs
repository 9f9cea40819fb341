//! The simulated chip behind pcscd's virtual reader (feature `sim`): a thin TCP loop around the
//! [`crate::proto::vpcd`] framing core, so the real PC/SC path (`pcsc::PcscReader`, pcscd,
//! the `vpcd` driver) can be tested against [`SimCccdChip`] without hardware.
//!
//! Setup (Debian 12, root): `apt-get install pcscd vsmartcard-vpcd`; the package's
//! `/etc/reader.conf.d/vpcd` makes pcscd listen on port 35963 (reader
//! [`DEFAULT_READER`]) and 35964 ("Virtual PCD 00 01"). Without systemd start the daemon by
//! hand: `pcscd --foreground &`. Then [`connect`] and [`serve`] (or [`spawn`]) put the chip on
//! the reader; pcscd notices within its polling period (about 0.4 s).
//!
//! Power on, power off and reset reset the chip (its secure channel is gone, as on a real
//! card); the ATR is [`SimCccdChip::atr`]. When the chip leaves
//! ([`crate::sim::Misbehaviour::drop_after_apdus`]) the loop returns without answering and the
//! caller closes the socket: that is card removal to vpcd.
//!
//! Does not implement: reconnecting after the driver closed the connection (start again), the
//! reversed connection mode.

use std::io::{ErrorKind as IoKind, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::proto::vpcd::{Decoder, FrameError, Message, encode};
use crate::sim::SimCccdChip;

/// Where pcscd's vpcd driver listens for the first virtual reader.
pub const DEFAULT_ADDR: &str = "127.0.0.1:35963";

/// The PC/SC name of the first virtual reader.
pub const DEFAULT_READER: &str = "Virtual PCD 00 00";

/// Errors of the card-side loop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The socket failed.
    #[error("vpcd connection: {0}")]
    Io(#[from] std::io::Error),
    /// The driver broke the framing (a frame cut off), or an answer was too long to frame.
    #[error(transparent)]
    Frame(#[from] FrameError),
}

/// Why [`serve`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum End {
    /// The chip left the reader (the caller closes the socket).
    CardLeft,
    /// The driver closed the connection (pcscd stopped, or the socket was shut down).
    DriverClosed,
}

/// What happened on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Why it ended.
    pub end: End,
    /// Command APDUs answered.
    pub apdus: u32,
    /// ATR requests answered (presence polls included).
    pub atr_requests: u32,
    /// Power-ons, power-offs and resets.
    pub resets: u32,
    /// Zero-length frames dropped.
    pub empty_frames: u64,
}

/// How long [`connect`] waits for the driver. (vpcd listens with a backlog of 0 and accepts
/// only when it polls an empty reader: a second card on a busy reader would otherwise hang in
/// `connect` until the kernel's SYN timeout.)
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to the vpcd driver at `addr` (e.g. [`DEFAULT_ADDR`]).
pub fn connect(addr: impl ToSocketAddrs) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::new(IoKind::InvalidInput, "no address to connect to");
    let mut found = None;
    for a in addr.to_socket_addrs()? {
        match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT) {
            Ok(s) => {
                found = Some(s);
                break;
            }
            Err(e) => last = e,
        }
    }
    let stream = found.ok_or(last)?;
    // One small frame per answer: do not let Nagle hold it back behind the driver's delayed ACK.
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// A vpcd connection that acknowledges every segment at once.
///
/// vpcd (3.3, Debian 12) sends a frame's 2-byte length and its payload in two `send` calls
/// with Nagle on: the payload waits until the length is acknowledged, and a delayed ACK
/// holds that for about 40 ms, on every APDU. Quick-ACK mode is not sticky on Linux, so it
/// is set again after each read.
#[derive(Debug)]
pub struct QuickAck(pub TcpStream);

impl Read for QuickAck {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::TcpStreamExt as _;
            let _ = self.0.set_quickack(true);
        }
        Ok(n)
    }
}

impl Write for QuickAck {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// [`serve`] on a TCP connection from [`connect`], acknowledging at once ([`QuickAck`]).
pub fn serve_tcp(stream: TcpStream, chip: &mut SimCccdChip) -> Result<Report, Error> {
    #[cfg(target_os = "linux")]
    {
        use std::os::linux::net::TcpStreamExt as _;
        stream.set_quickack(true)?;
    }
    let mut stream = QuickAck(stream);
    serve(&mut stream, chip)
}

/// Answers the driver on `stream` with `chip` until the chip leaves or the driver closes.
pub fn serve<S: Read + Write>(stream: &mut S, chip: &mut SimCccdChip) -> Result<Report, Error> {
    let mut dec = Decoder::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut report = Report { end: End::DriverClosed, apdus: 0, atr_requests: 0, resets: 0, empty_frames: 0 };
    loop {
        while let Some(msg) = dec.poll_message() {
            report.empty_frames = dec.empty_frames();
            match msg {
                Message::PowerOff | Message::PowerOn | Message::Reset => {
                    report.resets += 1;
                    chip.reset();
                }
                Message::UnknownControl(_) => {}
                Message::GetAtr if chip.has_left() => return Ok(Report { end: End::CardLeft, ..report }),
                Message::GetAtr => {
                    report.atr_requests += 1;
                    stream.write_all(&encode(&chip.atr())?)?;
                }
                Message::Apdu(apdu) => match chip.respond_or_leave(&apdu) {
                    Some(r) => {
                        report.apdus += 1;
                        stream.write_all(&encode(&r)?)?;
                    }
                    None => return Ok(Report { end: End::CardLeft, ..report }),
                },
            }
        }
        let n = match stream.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == IoKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            dec.finish()?;
            report.empty_frames = dec.empty_frames();
            return Ok(report);
        }
        dec.feed(buf.get(..n).unwrap_or_default());
    }
}

/// A chip served on its own thread: [`ViccThread::remove`] takes it off the reader.
#[derive(Debug)]
pub struct ViccThread {
    stream: TcpStream,
    thread: std::thread::JoinHandle<Result<Report, Error>>,
}

/// Connects to `addr` and serves `chip` on a new thread. The socket is closed when the chip
/// leaves, when the driver closes, or on [`ViccThread::remove`].
pub fn spawn(addr: impl ToSocketAddrs, mut chip: SimCccdChip) -> std::io::Result<ViccThread> {
    let stream = connect(addr)?;
    let own = stream.try_clone()?;
    let thread = std::thread::Builder::new().name("motcua-vicc".into()).spawn(move || {
        let closer = own.try_clone();
        let r = serve_tcp(own, &mut chip);
        if let Ok(c) = closer {
            let _ = c.shutdown(Shutdown::Both);
        }
        r
    })?;
    Ok(ViccThread { stream, thread })
}

impl ViccThread {
    /// Whether the loop has ended (the chip left or the driver closed).
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Takes the card off the reader (closes the socket) and returns what happened.
    pub fn remove(self) -> Result<Report, Error> {
        let _ = self.stream.shutdown(Shutdown::Both);
        self.thread.join().unwrap_or_else(|_| Err(std::io::Error::other("vicc thread panicked").into()))
    }

    /// Waits up to `timeout` for the loop to end by itself, then removes the card.
    pub fn wait(self, timeout: Duration) -> Result<Report, Error> {
        let until = std::time::Instant::now() + timeout;
        while !self.thread.is_finished() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.remove()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::vpcd::{CTRL_ATR, CTRL_ON, CTRL_RESET};
    use crate::sim::{Misbehaviour, SIM_ATR};
    use std::net::TcpListener;

    /// Plays the driver's side on a loopback socket.
    struct Driver(TcpStream);

    impl Driver {
        fn send(&mut self, payload: &[u8]) {
            self.0.write_all(&encode(payload).unwrap()).unwrap();
        }
        fn recv(&mut self) -> Option<Vec<u8>> {
            let mut len = [0u8; 2];
            self.0.read_exact(&mut len).ok()?;
            let mut v = vec![0u8; usize::from(u16::from_be_bytes(len))];
            self.0.read_exact(&mut v).ok()?;
            Some(v)
        }
    }

    fn pair(chip: SimCccdChip) -> (Driver, ViccThread) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let vicc = spawn(listener.local_addr().unwrap(), chip).unwrap();
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        (Driver(s), vicc)
    }

    const SELECT: [u8; 12] = [0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

    #[test]
    fn answers_atr_requests_and_apdus_but_not_power_controls() {
        let (mut d, vicc) = pair(SimCccdChip::sample());
        d.send(&[CTRL_ON]);
        d.send(&[CTRL_ATR]);
        assert_eq!(d.recv().unwrap(), SIM_ATR);
        d.send(&SELECT);
        assert_eq!(d.recv().unwrap(), vec![0x90, 0x00]);
        d.send(&[CTRL_RESET]);
        // After the reset the applet is no longer selected: GET CHALLENGE is refused.
        d.send(&[0x00, 0x84, 0x00, 0x00, 0x08]);
        assert_eq!(d.recv().unwrap(), vec![0x6D, 0x00]);
        drop(d);
        let r = vicc.wait(Duration::from_secs(5)).unwrap();
        assert_eq!((r.end, r.apdus, r.atr_requests, r.resets), (End::DriverClosed, 2, 1, 2));
    }

    #[test]
    fn a_chip_that_leaves_closes_the_socket_without_answering() {
        let chip =
            SimCccdChip::sample().with_misbehaviour(Misbehaviour { drop_after_apdus: Some(1), ..Default::default() });
        let (mut d, vicc) = pair(chip);
        d.send(&SELECT);
        assert_eq!(d.recv().unwrap(), vec![0x90, 0x00]);
        d.send(&SELECT);
        assert_eq!(d.recv(), None, "no answer: the socket is closed");
        let r = vicc.wait(Duration::from_secs(5)).unwrap();
        assert_eq!((r.end, r.apdus), (End::CardLeft, 1));
    }

    #[test]
    fn a_frame_cut_off_by_the_driver_is_a_frame_error() {
        let (mut d, vicc) = pair(SimCccdChip::sample());
        d.0.write_all(&[0x00, 0x05, 0x00]).unwrap();
        d.0.shutdown(Shutdown::Write).unwrap();
        let err = vicc.wait(Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, Error::Frame(FrameError::Truncated { have: 3, want: 7 })), "{err:?}");
    }
}

//! A model of the contactless link, as a reader wrapper: every APDU that goes through it is
//! counted (command and response bytes) and charged a modelled time, so figures for a whole
//! read come from the real session code path, not from arithmetic on a guessed APDU count.
//!
//! The model: each APDU costs a fixed turnaround ([`LinkModel::per_apdu`]: reader firmware,
//! USB, the chip's processing and secure-messaging crypto) plus its command and response bytes
//! at the bit rate ([`LinkModel::bit_rate`], e.g. 424 kbit/s for ISO/IEC 14443 at fc/32). The
//! "link limit" is the same bytes at the bit rate with no turnaround: what no APDU strategy can
//! beat.
//!
//! Does not model: ISO/IEC 14443 framing (start/stop bits, CRC, block chaining and its
//! acknowledgements), field ramp-up, card-specific processing that grows with the data size.
//! They add to both figures; the ratio of the two is what the model is for.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use motcua_device::id_card::{CardPresence, IdCardReader};

/// Link parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkModel {
    /// Bits per second on the air.
    pub bit_rate: u32,
    /// Fixed time per APDU exchange.
    pub per_apdu: Duration,
}

impl LinkModel {
    /// ISO/IEC 14443 at 424 kbit/s with a 6 ms turnaround per APDU: a desktop PC/SC
    /// contactless reader on USB full speed with a chip doing secure messaging. An optimistic
    /// but realistic floor; slow chips and readers take 10–30 ms.
    pub const DESKTOP_424K: LinkModel = LinkModel { bit_rate: 424_000, per_apdu: Duration::from_millis(6) };

    /// Time to move `bytes` at the bit rate.
    pub fn transfer(&self, bytes: u64) -> Duration {
        let nanos = u128::from(bytes) * 8 * 1_000_000_000 / u128::from(self.bit_rate.max(1));
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// What went over the link.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LinkFigures {
    /// APDU exchanges (failed ones included).
    pub apdus: u32,
    /// Command plus response bytes.
    pub bytes: u64,
    /// Modelled time: turnaround per APDU plus the bytes at the bit rate.
    pub modelled: Duration,
    /// The bytes at the bit rate alone.
    pub link_limit: Duration,
}

/// Reads the figures of a [`MeteredReader`] while the session owns it.
#[derive(Debug, Clone)]
pub struct LinkMeter(Arc<Mutex<LinkFigures>>);

impl LinkMeter {
    /// The figures so far.
    pub fn figures(&self) -> LinkFigures {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts counting from zero.
    pub fn reset(&self) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = LinkFigures::default();
    }
}

/// A reader that meters its link.
#[derive(Debug)]
pub struct MeteredReader<R> {
    inner: R,
    model: LinkModel,
    figures: Arc<Mutex<LinkFigures>>,
}

impl<R: IdCardReader> MeteredReader<R> {
    /// Wraps `inner`; the meter reads the figures.
    pub fn new(inner: R, model: LinkModel) -> (Self, LinkMeter) {
        let figures = Arc::new(Mutex::new(LinkFigures::default()));
        (Self { inner, model, figures: Arc::clone(&figures) }, LinkMeter(figures))
    }

    /// The wrapped reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: IdCardReader> IdCardReader for MeteredReader<R> {
    fn poll_card(&mut self) -> Result<Option<CardPresence>, motcua_device::Error> {
        self.inner.poll_card()
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, motcua_device::Error> {
        let r = self.inner.transmit(apdu);
        let bytes = (apdu.len() + r.as_ref().map_or(0, Vec::len)) as u64;
        let mut f = self.figures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f.apdus += 1;
        f.bytes += bytes;
        f.link_limit = self.model.transfer(f.bytes);
        f.modelled = self.model.per_apdu * f.apdus + f.link_limit;
        r
    }

    fn info(&self) -> motcua_device::DeviceInfo {
        self.inner.info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use motcua_device::sim::SimIdCardReader;

    #[test]
    fn each_apdu_costs_its_turnaround_plus_its_bytes() {
        let reader = SimIdCardReader::new();
        reader.handle().insert_default_card();
        let model = LinkModel { bit_rate: 8000, per_apdu: Duration::from_millis(5) };
        let (mut r, meter) = MeteredReader::new(reader, model);
        // 7 command bytes + 2 response bytes, twice: 18 bytes = 18 ms at 8 kbit/s.
        for _ in 0..2 {
            r.transmit(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]).unwrap();
        }
        let f = meter.figures();
        assert_eq!((f.apdus, f.bytes), (2, 18));
        assert_eq!(f.link_limit, Duration::from_millis(18));
        assert_eq!(f.modelled, Duration::from_millis(28));
        meter.reset();
        assert_eq!(meter.figures(), LinkFigures::default());
    }
}

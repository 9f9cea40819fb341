//! Key debouncing: raw switch levels sampled at any rate in, clean press edges out.
//!
//! Implements: [`Debouncer`], one integrator per key over a bit mask (bit `n` = key id `n`
//! pressed). A key changes state only after its raw level has been steady for
//! [`Debouncer::new`]'s `stable_ms`, so contact bounce and short spikes produce nothing and a
//! held key produces one press. Time is passed in (milliseconds), no clock here.
//!
//! Does not implement: reading pins (the firmware does), auto-repeat or long presses.

/// Keys a [`Debouncer`] tracks at most (bits of its masks).
pub const MAX_KEYS: usize = 16;

/// Debounces up to [`MAX_KEYS`] keys; see the module docs.
#[derive(Debug, Clone)]
pub struct Debouncer {
    stable_ms: u64,
    /// Debounced levels (bit set = pressed).
    stable: u16,
    /// Last raw levels seen.
    raw: u16,
    /// When each key's raw level last changed.
    changed_at: [u64; MAX_KEYS],
}

impl Debouncer {
    /// A debouncer that accepts a level after `stable_ms` of steadiness; all keys start released.
    pub const fn new(stable_ms: u64) -> Self {
        Debouncer { stable_ms, stable: 0, raw: 0, changed_at: [0; MAX_KEYS] }
    }

    /// Feeds one sample of the raw levels at `now`; returns the keys that became pressed.
    pub fn update(&mut self, now: u64, raw: u16) -> u16 {
        let mut pressed = 0;
        for (key, changed_at) in self.changed_at.iter_mut().enumerate() {
            let bit = 1u16 << key;
            if (raw ^ self.raw) & bit != 0 {
                *changed_at = now;
            }
            let steady = now.saturating_sub(*changed_at) >= self.stable_ms;
            if steady && (raw ^ self.stable) & bit != 0 {
                self.stable ^= bit;
                if raw & bit != 0 {
                    pressed |= bit;
                }
            }
        }
        self.raw = raw;
        pressed
    }

    /// The debounced levels (bit set = held down).
    pub fn held(&self) -> u16 {
        self.stable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounce_then_steady_is_one_press() {
        let mut d = Debouncer::new(20);
        // Contact bounce for 6 ms, then steady.
        let samples = [1, 0, 1, 1, 0, 1];
        let mut presses = 0;
        for (t, level) in samples.iter().enumerate() {
            presses += d.update(t as u64, *level).count_ones();
        }
        for t in 6..60 {
            presses += d.update(t, 1).count_ones();
        }
        assert_eq!(presses, 1);
        assert_eq!(d.held(), 1);
    }

    #[test]
    fn spike_shorter_than_the_window_is_ignored() {
        let mut d = Debouncer::new(20);
        let mut edges = 0;
        for t in 0..10 {
            edges |= d.update(t, 0b100);
        }
        for t in 10..100 {
            edges |= d.update(t, 0);
        }
        assert_eq!(edges, 0);
        assert_eq!(d.held(), 0);
    }

    #[test]
    fn release_and_press_again_is_a_second_press_and_keys_are_independent() {
        let mut d = Debouncer::new(5);
        let mut log = [0u16; 3];
        let mut i = 0;
        let mut feed = |d: &mut Debouncer, from: u64, to: u64, raw: u16| {
            for t in from..to {
                let e = d.update(t, raw);
                if e != 0
                    && let Some(slot) = log.get_mut(i)
                {
                    *slot = e;
                    i += 1;
                }
            }
        };
        feed(&mut d, 0, 10, 0b01);
        feed(&mut d, 10, 20, 0b11);
        feed(&mut d, 20, 30, 0b10);
        feed(&mut d, 30, 40, 0b11);
        assert_eq!(log, [0b01, 0b10, 0b01]);
    }
}

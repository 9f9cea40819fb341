//! A plain GPIO keypad: push buttons as inputs, key LEDs as outputs, no screen.
//!
//! Implements: [`GpioKeypad`], generic over the `embedded-hal` 1.0 digital traits (house
//! style §4), with software debounce on a [`Clock`]; it implements the `Keypad` seam. On a
//! Raspberry Pi, `GpioKeypad::open_rppal` (feature `gpio`) wires it to rppal's pins; tests
//! use fake pins.
//!
//! Wiring: each button between its GPIO and GND (the internal pull-up is enabled, so a pressed
//! key reads low); each LED through a ~330 Ω resistor from its GPIO to GND (high = lit).
//! `gpio` group membership gives access to `/dev/gpiochip*`.
//!
//! Does not implement: a display (`show` keeps the lines for `lines()` only), a buzzer,
//! matrix scanning, or interrupts (the seam is polled; poll at least every 10 ms).

use std::collections::VecDeque;

use embedded_hal::digital::{InputPin, OutputPin};
use motcua_device::keypad::{Key, KeyPress, Keypad};
use motcua_device::{DeviceFamily, DeviceInfo};

use crate::clock::Clock;

/// Default debounce: a level must hold this long to count.
pub const DEFAULT_DEBOUNCE_MS: u64 = 20;

#[derive(Debug, Clone, Copy, Default)]
struct Debounce {
    /// Debounced state: pressed.
    stable: bool,
    /// Last raw sample.
    candidate: bool,
    /// When `candidate` was first seen.
    since: u64,
}

/// A keypad of GPIO buttons and LEDs; see the module docs.
#[derive(Debug)]
pub struct GpioKeypad<I: InputPin, O: OutputPin, K: Clock> {
    keys: Vec<(Key, I, Debounce)>,
    leds: Vec<O>,
    clock: K,
    debounce_ms: u64,
    queue: VecDeque<KeyPress>,
    seq: u32,
    lines: Vec<String>,
}

impl<I: InputPin, O: OutputPin, K: Clock> GpioKeypad<I, O, K> {
    /// A keypad of `keys` (meaning and active-low input pin) and `leds` (LED `n` is bit `n`).
    pub fn new(keys: Vec<(Key, I)>, leds: Vec<O>, clock: K) -> Self {
        GpioKeypad {
            keys: keys.into_iter().map(|(k, p)| (k, p, Debounce::default())).collect(),
            leds,
            clock,
            debounce_ms: DEFAULT_DEBOUNCE_MS,
            queue: VecDeque::new(),
            seq: 0,
            lines: Vec::new(),
        }
    }

    /// Changes the debounce time.
    pub fn with_debounce_ms(mut self, ms: u64) -> Self {
        self.debounce_ms = ms;
        self
    }

    /// Samples every key once and queues debounced presses (a press counts when the key goes
    /// down; holding it does not repeat).
    pub fn sample(&mut self) -> Result<(), motcua_device::Error> {
        let now = self.clock.now_ms();
        for (key, pin, db) in &mut self.keys {
            let pressed = pin.is_low().map_err(hw)?;
            if pressed != db.candidate {
                db.candidate = pressed;
                db.since = now;
            }
            if db.candidate != db.stable && now.saturating_sub(db.since) >= self.debounce_ms {
                db.stable = db.candidate;
                if db.stable {
                    self.queue.push_back(KeyPress { key: *key, seq: self.seq });
                    self.seq = self.seq.wrapping_add(1);
                }
            }
        }
        Ok(())
    }

    /// The lines last given to `show` (there is no screen).
    pub fn lines(&self) -> &[String] {
        &self.lines
    }
}

impl<I: InputPin, O: OutputPin, K: Clock> Drop for GpioKeypad<I, O, K> {
    /// LEDs off: a dropped driver must not leave a counter lit.
    fn drop(&mut self) {
        for led in &mut self.leds {
            let _ = led.set_low();
        }
    }
}

fn hw(e: impl core::fmt::Debug) -> motcua_device::Error {
    motcua_device::Error::Hardware(format!("GPIO: {e:?}"))
}

impl<I, O, K> Keypad for GpioKeypad<I, O, K>
where
    I: InputPin + Send,
    O: OutputPin + Send,
    K: Clock + Send,
{
    fn poll_key(&mut self) -> Result<Option<KeyPress>, motcua_device::Error> {
        if self.queue.is_empty() {
            self.sample()?;
        }
        Ok(self.queue.pop_front())
    }

    fn set_leds(&mut self, mask: u16) -> Result<(), motcua_device::Error> {
        for (i, led) in self.leds.iter_mut().enumerate() {
            let on = i < 16 && mask & (1 << i) != 0;
            if on { led.set_high() } else { led.set_low() }.map_err(hw)?;
        }
        Ok(())
    }

    fn show(&mut self, lines: &[String]) -> Result<(), motcua_device::Error> {
        self.lines = lines.to_vec();
        Ok(())
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo {
            family: DeviceFamily::Keypad,
            name: format!("GPIO keypad ({} keys, {} LEDs)", self.keys.len(), self.leds.len()),
            simulated: false,
        }
    }
}

#[cfg(feature = "gpio")]
impl GpioKeypad<rppal::gpio::InputPin, rppal::gpio::OutputPin, crate::clock::SystemClock> {
    /// Opens BCM pins on the Pi: `keys` as (meaning, BCM number) with pull-ups, `leds` as BCM
    /// numbers driven low. Fails off a Pi (no `/dev/gpiochip*`).
    pub fn open_rppal(keys: &[(Key, u8)], leds: &[u8]) -> Result<Self, rppal::gpio::Error> {
        let gpio = rppal::gpio::Gpio::new()?;
        let mut inputs = Vec::with_capacity(keys.len());
        for &(key, bcm) in keys {
            inputs.push((key, gpio.get(bcm)?.into_input_pullup()));
        }
        let mut outputs = Vec::with_capacity(leds.len());
        for &bcm in leds {
            outputs.push(gpio.get(bcm)?.into_output_low());
        }
        Ok(Self::new(inputs, outputs, crate::clock::SystemClock::new()))
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use embedded_hal::digital::ErrorType;

    use super::*;
    use crate::clock::ManualClock;

    /// A pin whose level the test sets (input) or reads (output).
    #[derive(Debug, Clone, Default)]
    struct FakePin(Arc<AtomicBool>);

    impl FakePin {
        fn high() -> Self {
            FakePin(Arc::new(AtomicBool::new(true)))
        }
        fn set(&self, high: bool) {
            self.0.store(high, Ordering::SeqCst);
        }
        fn get(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }
    }

    impl ErrorType for FakePin {
        type Error = Infallible;
    }

    impl InputPin for FakePin {
        fn is_high(&mut self) -> Result<bool, Infallible> {
            Ok(self.get())
        }
        fn is_low(&mut self) -> Result<bool, Infallible> {
            Ok(!self.get())
        }
    }

    impl OutputPin for FakePin {
        fn set_low(&mut self) -> Result<(), Infallible> {
            self.set(false);
            Ok(())
        }
        fn set_high(&mut self) -> Result<(), Infallible> {
            self.set(true);
            Ok(())
        }
    }

    type Pad = GpioKeypad<FakePin, FakePin, ManualClock>;

    fn pad() -> (Pad, FakePin, FakePin, [FakePin; 2], ManualClock) {
        let clock = ManualClock::new();
        let (finish, rating) = (FakePin::high(), FakePin::high());
        let leds = [FakePin::default(), FakePin::default()];
        let pad = GpioKeypad::new(
            vec![(Key::Finish, finish.clone()), (Key::Rating(1), rating.clone())],
            leds.to_vec(),
            clock.clone(),
        );
        (pad, finish, rating, leds, clock)
    }

    fn poll_for(pad: &mut Pad, clock: &ManualClock, ms: u64) -> Vec<KeyPress> {
        let mut got = Vec::new();
        for _ in 0..ms / 5 {
            while let Some(k) = pad.poll_key().expect("poll") {
                got.push(k);
            }
            clock.advance(5);
        }
        got
    }

    #[test]
    fn held_key_counts_once_after_debounce() {
        let (mut pad, finish, _rating, _leds, clock) = pad();
        finish.set(false);
        assert_eq!(pad.poll_key().expect("poll"), None, "not before the debounce time");
        let got = poll_for(&mut pad, &clock, 200);
        assert_eq!(got, [KeyPress { key: Key::Finish, seq: 0 }]);
    }

    #[test]
    fn contact_bounce_shorter_than_debounce_is_ignored() {
        let (mut pad, _finish, rating, _leds, clock) = pad();
        for _ in 0..4 {
            rating.set(false);
            assert!(poll_for(&mut pad, &clock, 10).is_empty());
            rating.set(true);
            assert!(poll_for(&mut pad, &clock, 10).is_empty());
        }
        rating.set(false);
        let got = poll_for(&mut pad, &clock, 50);
        rating.set(true);
        let more = poll_for(&mut pad, &clock, 50);
        assert_eq!(got, [KeyPress { key: Key::Rating(1), seq: 0 }]);
        assert!(more.is_empty(), "release is not a press");
    }

    #[test]
    fn leds_follow_the_mask_and_go_off_on_drop() {
        let (mut pad, _f, _r, leds, _clock) = pad();
        pad.set_leds(0b10).expect("leds");
        assert_eq!((leds[0].get(), leds[1].get()), (false, true));
        pad.set_leds(0b01).expect("leds");
        assert_eq!((leds[0].get(), leds[1].get()), (true, false));
        drop(pad);
        assert_eq!((leds[0].get(), leds[1].get()), (false, false));
    }
}

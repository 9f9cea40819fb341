//! Buzzer patterns: whether the buzzer sounds at a given time.
//!
//! Pattern numbers are this firmware's (the protocol leaves them to it): 0 steady tone,
//! 1 double beep, 2 triple beep, 3 slow beeping (250 ms on, 250 ms off); unknown numbers sound
//! steady. A pattern is cut off at its duration. The firmware turns the result into PWM.

/// One buzzer command in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Buzzer {
    pattern: u8,
    start: u64,
    end: u64,
}

impl Buzzer {
    /// Silent.
    pub const OFF: Buzzer = Buzzer { pattern: 0, start: 0, end: 0 };

    /// Starts `pattern` at `now` for `duration_ms`, replacing what was sounding.
    pub fn start(&mut self, now: u64, pattern: u8, duration_ms: u16) {
        *self = Buzzer { pattern, start: now, end: now.saturating_add(u64::from(duration_ms)) };
    }

    /// Whether the buzzer sounds at `now`.
    pub fn is_on(&self, now: u64) -> bool {
        if now < self.start || now >= self.end {
            return false;
        }
        let t = now - self.start;
        match self.pattern {
            // Beeps of 100 ms with 100 ms gaps, `n` of them.
            1 => t < 400 && (t / 100).is_multiple_of(2),
            2 => t < 600 && (t / 100).is_multiple_of(2),
            3 => (t / 250).is_multiple_of(2),
            _ => true,
        }
    }

    /// When [`Buzzer::is_on`] may next change (for sleeping), if it still can.
    pub fn next_change(&self, now: u64) -> Option<u64> {
        if now >= self.end {
            return None;
        }
        if now < self.start {
            return Some(self.start);
        }
        let step = match self.pattern {
            1 | 2 => 100,
            3 => 250,
            _ => return Some(self.end),
        };
        let t = now - self.start;
        Some((self.start + (t / step + 1) * step).min(self.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_durations() {
        let mut b = Buzzer::OFF;
        assert!(!b.is_on(0));
        b.start(1000, 0, 50);
        assert!(b.is_on(1000) && b.is_on(1049) && !b.is_on(1050));
        b.start(0, 1, 1000);
        let on: [bool; 5] = [0, 100, 200, 300, 400].map(|t| b.is_on(t));
        assert_eq!(on, [true, false, true, false, false]);
        assert_eq!(b.next_change(150), Some(200));
        b.start(0, 3, 600);
        assert!(b.is_on(0) && !b.is_on(300) && b.is_on(500) && !b.is_on(600));
        assert_eq!(b.next_change(600), None);
    }
}

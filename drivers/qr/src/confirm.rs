//! Payload confirmation: a pure state machine between the decoder and the lookup. Time is passed
//! in, never read.
//!
//! Rules:
//! 1. A payload is released once it was decoded in `required` consecutive frames (default 2). A
//!    frame with no code, or with another code, starts the count again.
//! 2. A released payload is not released again while it stays in view. It has left the view once
//!    no frame has shown it for `gone_after` (a few missed frames of a receipt still held up do
//!    not count as leaving), or once another payload was released.
//! 3. With a `holdoff`, a payload that stays in view is released again that long after its last
//!    release (off by default: one receipt held in front of the camera triggers one lookup).

use std::time::{Duration, Instant};

/// Confirmation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmConfig {
    /// Consecutive frames with the same payload before it is released (at least 1).
    pub required: u32,
    /// A released payload unseen for this long has left the view.
    pub gone_after: Duration,
    /// Release a payload still in view again after this long (`None`: never).
    pub holdoff: Option<Duration>,
}

impl Default for ConfirmConfig {
    fn default() -> Self {
        Self { required: 2, gone_after: Duration::from_millis(1500), holdoff: None }
    }
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct Confirmer {
    config: ConfirmConfig,
    /// The payload of the previous frame and how many consecutive frames showed it.
    streak: Option<(String, u32)>,
    /// The payload released last: when it was released and when it was last seen.
    released: Option<Released>,
}

#[derive(Debug, Clone)]
struct Released {
    payload: String,
    at: Instant,
    last_seen: Instant,
}

impl Default for Confirmer {
    fn default() -> Self {
        Self::new(ConfirmConfig::default())
    }
}

impl Confirmer {
    /// A confirmer with the given settings.
    pub fn new(config: ConfirmConfig) -> Self {
        Self { config, streak: None, released: None }
    }

    /// The settings.
    pub fn config(&self) -> &ConfirmConfig {
        &self.config
    }

    /// Feeds one frame's result (`None`: no readable code) seen at `now`; returns the payload when
    /// it is to be released.
    pub fn observe(&mut self, payload: Option<&str>, now: Instant) -> Option<String> {
        if let Some(r) = &self.released
            && now.saturating_duration_since(r.last_seen) >= self.config.gone_after
        {
            self.released = None;
        }
        let Some(p) = payload else {
            self.streak = None;
            return None;
        };
        if let Some(r) = &mut self.released
            && r.payload == p
        {
            r.last_seen = now;
            let held = self.config.holdoff.is_some_and(|h| now.saturating_duration_since(r.at) >= h);
            if !held {
                self.streak = None;
                return None;
            }
            self.released = None;
        }
        let count = match &mut self.streak {
            Some((s, n)) if s == p => {
                *n += 1;
                *n
            }
            _ => {
                self.streak = Some((p.to_owned(), 1));
                1
            }
        };
        if count < self.config.required.max(1) {
            return None;
        }
        self.streak = None;
        self.released = Some(Released { payload: p.to_owned(), at: now, last_seen: now });
        Some(p.to_owned())
    }

    /// Forgets everything (e.g. when the lookup screen closes).
    pub fn reset(&mut self) {
        self.streak = None;
        self.released = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Instant {
        Instant::now()
    }

    fn ms(t: Instant, n: u64) -> Instant {
        t + Duration::from_millis(n)
    }

    #[test]
    fn released_after_two_consecutive_frames_once() {
        let t = t0();
        let mut c = Confirmer::default();
        assert_eq!(c.observe(Some("A"), ms(t, 0)), None);
        assert_eq!(c.observe(Some("A"), ms(t, 33)).as_deref(), Some("A"));
        for i in 2..100 {
            assert_eq!(c.observe(Some("A"), ms(t, 33 * i)), None, "frame {i}");
        }
    }

    #[test]
    fn no_code_or_other_code_resets_the_count() {
        let t = t0();
        let mut c = Confirmer::default();
        assert_eq!(c.observe(Some("A"), ms(t, 0)), None);
        assert_eq!(c.observe(None, ms(t, 33)), None);
        assert_eq!(c.observe(Some("A"), ms(t, 66)), None);
        assert_eq!(c.observe(Some("B"), ms(t, 99)), None);
        assert_eq!(c.observe(Some("A"), ms(t, 132)), None);
        assert_eq!(c.observe(Some("A"), ms(t, 165)).as_deref(), Some("A"));
    }

    #[test]
    fn missed_frames_while_held_do_not_rearm() {
        let t = t0();
        let mut c = Confirmer::default();
        c.observe(Some("A"), ms(t, 0));
        assert!(c.observe(Some("A"), ms(t, 33)).is_some());
        // the receipt wobbles: a few frames without a read, then it reads again
        assert_eq!(c.observe(None, ms(t, 66)), None);
        assert_eq!(c.observe(None, ms(t, 99)), None);
        assert_eq!(c.observe(Some("A"), ms(t, 132)), None);
        assert_eq!(c.observe(Some("A"), ms(t, 165)), None);
    }

    #[test]
    fn released_again_after_leaving_the_view() {
        let t = t0();
        let mut c = Confirmer::default();
        c.observe(Some("A"), ms(t, 0));
        assert!(c.observe(Some("A"), ms(t, 33)).is_some());
        assert_eq!(c.observe(None, ms(t, 500)), None);
        // gone for 1.5 s: shown again, it is a new lookup
        assert_eq!(c.observe(Some("A"), ms(t, 1600)), None);
        assert_eq!(c.observe(Some("A"), ms(t, 1633)).as_deref(), Some("A"));
    }

    #[test]
    fn another_code_released_in_between_rearms() {
        let t = t0();
        let mut c = Confirmer::default();
        c.observe(Some("A"), ms(t, 0));
        assert!(c.observe(Some("A"), ms(t, 33)).is_some());
        c.observe(Some("B"), ms(t, 66));
        assert_eq!(c.observe(Some("B"), ms(t, 99)).as_deref(), Some("B"));
        c.observe(Some("A"), ms(t, 132));
        assert_eq!(c.observe(Some("A"), ms(t, 165)).as_deref(), Some("A"));
    }

    #[test]
    fn holdoff_releases_a_code_kept_in_view() {
        let t = t0();
        let mut c = Confirmer::new(ConfirmConfig { holdoff: Some(Duration::from_secs(5)), ..Default::default() });
        c.observe(Some("A"), ms(t, 0));
        assert!(c.observe(Some("A"), ms(t, 33)).is_some());
        let mut released = 0;
        for i in 2..=180 {
            // 6 s of frames at 30 fps
            if c.observe(Some("A"), ms(t, 33 * i)).is_some() {
                released += 1;
            }
        }
        assert_eq!(released, 1, "one more release after the 5 s hold-off");
    }

    #[test]
    fn required_one_releases_at_once() {
        let t = t0();
        let mut c = Confirmer::new(ConfirmConfig { required: 1, ..Default::default() });
        assert_eq!(c.observe(Some("A"), t).as_deref(), Some("A"));
        assert_eq!(c.observe(Some("A"), ms(t, 33)), None);
    }
}

//! Wait estimate: learned service times per field and hour of day, turned into an honest range.
//!
//! Each finished service feeds an exponentially weighted moving average (EWMA) of the service
//! time for its field, both for the hour of day it finished in and for the field overall. With
//! `k` people ahead and `s` open counters serving the field, the time until the ticket is called
//! is modelled as Erlang(k+1, s/m) for a mean service time `m`: mean `(k+1)·m/s`, standard
//! deviation `√(k+1)·m/s` (PRODUCT.md, "Wait estimates"). The range shown is mean ± one standard
//! deviation, widened to whole 5-minute steps. Nothing is shown while the field has fewer than
//! `min_samples` finished services or no counter serving it is open: a wrong number is worse
//! than none.
//!
//! Not done here: service-time variance per field (the Erlang shape assumes exponential service),
//! counters shared between fields (each open counter counts fully for every field it serves).

use std::collections::HashMap;

use crate::api::WaitRange;
use crate::config::EstimateConfig;

/// A moving average with its sample count.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ewma {
    /// Mean service time in seconds.
    pub mean_secs: f64,
    /// Number of samples folded in.
    pub samples: u32,
}

impl Ewma {
    fn add(&mut self, secs: f64, alpha: f64) {
        self.mean_secs = if self.samples == 0 { secs } else { alpha * secs + (1.0 - alpha) * self.mean_secs };
        self.samples = self.samples.saturating_add(1);
    }
}

/// Learned service times.
#[derive(Debug, Clone, Default)]
pub struct ServiceStats {
    /// By (field id, hour of day 0–23).
    pub by_hour: HashMap<(String, u8), Ewma>,
    /// By field id, all hours.
    pub by_field: HashMap<String, Ewma>,
}

/// Service times beyond this are treated as this (a forgotten "finish" must not wreck the mean).
const MAX_SERVICE_SECS: f64 = 2.0 * 3600.0;

impl ServiceStats {
    /// Fold in one finished service.
    pub fn record(&mut self, field_id: &str, hour: u8, service_secs: f64, cfg: &EstimateConfig) {
        let secs = service_secs.clamp(0.0, MAX_SERVICE_SECS);
        self.by_hour.entry((field_id.to_owned(), hour)).or_default().add(secs, cfg.alpha);
        self.by_field.entry(field_id.to_owned()).or_default().add(secs, cfg.alpha);
    }

    /// The estimate for a ticket with `people_ahead` tickets before it, or `None` when the data
    /// is too thin.
    pub fn estimate(
        &self,
        field_id: &str,
        hour: u8,
        people_ahead: u32,
        open_counters: u32,
        cfg: &EstimateConfig,
    ) -> Option<WaitRange> {
        let field = self.by_field.get(field_id)?;
        if field.samples < cfg.min_samples || open_counters == 0 {
            return None;
        }
        // Prefer this hour's average once it has a few samples of its own.
        let m = match self.by_hour.get(&(field_id.to_owned(), hour)) {
            Some(h) if h.samples >= cfg.min_samples.clamp(1, 3) => h.mean_secs,
            _ => field.mean_secs,
        };
        let n = f64::from(people_ahead) + 1.0;
        let s = f64::from(open_counters);
        let mean_min = n * m / s / 60.0;
        let sd_min = n.sqrt() * m / s / 60.0;
        Some(to_range(mean_min - sd_min, mean_min + sd_min))
    }
}

/// Round a range outward to 5-minute steps, at least one step wide.
fn to_range(lo: f64, hi: f64) -> WaitRange {
    let step = 5.0;
    let lo = (lo.max(0.0) / step).floor() * step;
    let mut hi = (hi.max(0.0) / step).ceil() * step;
    if hi <= lo {
        hi = lo + step;
    }
    // Values are small positive whole numbers of minutes here; the cast cannot truncate meaningfully.
    WaitRange { min_minutes: lo as u32, max_minutes: hi.min(f64::from(u32::MAX)) as u32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> EstimateConfig {
        EstimateConfig { min_samples: 5, alpha: 0.2 }
    }

    #[test]
    fn no_estimate_until_enough_samples() {
        let mut s = ServiceStats::default();
        for _ in 0..4 {
            s.record("a", 9, 600.0, &cfg());
        }
        assert_eq!(s.estimate("a", 9, 3, 1, &cfg()), None);
        s.record("a", 9, 600.0, &cfg());
        assert!(s.estimate("a", 9, 3, 1, &cfg()).is_some());
    }

    #[test]
    fn no_estimate_without_open_counter() {
        let mut s = ServiceStats::default();
        for _ in 0..10 {
            s.record("a", 9, 600.0, &cfg());
        }
        assert_eq!(s.estimate("a", 9, 3, 0, &cfg()), None);
    }

    #[test]
    fn range_brackets_erlang_mean_and_shrinks_relatively() {
        let mut s = ServiceStats::default();
        for _ in 0..10 {
            s.record("a", 9, 300.0, &cfg()); // 5 minutes each
        }
        // 3 ahead, 1 counter: mean 20 min, sd 10 min -> 10–30.
        assert_eq!(s.estimate("a", 9, 3, 1, &cfg()), Some(WaitRange { min_minutes: 10, max_minutes: 30 }));
        // Two counters halve it: mean 10, sd 5 -> 5–15.
        assert_eq!(s.estimate("a", 9, 3, 2, &cfg()), Some(WaitRange { min_minutes: 5, max_minutes: 15 }));
        // Nobody ahead: mean 5, sd 5 -> 0–10.
        assert_eq!(s.estimate("a", 9, 0, 1, &cfg()), Some(WaitRange { min_minutes: 0, max_minutes: 10 }));
    }

    #[test]
    fn hour_of_day_average_is_used_when_it_has_data() {
        let mut s = ServiceStats::default();
        for _ in 0..10 {
            s.record("a", 9, 300.0, &cfg());
        }
        for _ in 0..10 {
            s.record("a", 14, 1200.0, &cfg());
        }
        let morning = s.estimate("a", 9, 3, 1, &cfg()).expect("estimate");
        let afternoon = s.estimate("a", 14, 3, 1, &cfg()).expect("estimate");
        assert!(afternoon.min_minutes > morning.max_minutes, "{morning:?} {afternoon:?}");
    }

    #[test]
    fn forgotten_finish_is_capped() {
        let mut s = ServiceStats::default();
        for _ in 0..10 {
            s.record("a", 9, 1e9, &cfg());
        }
        let r = s.estimate("a", 9, 0, 1, &cfg()).expect("estimate");
        assert!(r.max_minutes <= 240, "{r:?}");
    }
}

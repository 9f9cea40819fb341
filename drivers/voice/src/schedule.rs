//! Volume by time of day: quieter at lunch, louder at the morning rush — set by the office.

/// A volume schedule: from each `HH:MM` on, the given volume (0–100 %), until the next entry;
/// entries wrap around midnight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeSchedule {
    entries: Vec<(u16, u8)>,
}

impl VolumeSchedule {
    /// Parse entries like `[("07:30", 80), ("11:30", 40), ("13:30", 80), ("17:00", 0)]`.
    pub fn new(entries: &[(&str, u8)]) -> Result<Self, String> {
        let mut out = Vec::with_capacity(entries.len());
        for (t, v) in entries {
            let (h, m) = t.split_once(':').ok_or_else(|| format!("time {t:?}: use HH:MM"))?;
            let (h, m): (u16, u16) = (
                h.parse().map_err(|_| format!("time {t:?}: bad hour"))?,
                m.parse().map_err(|_| format!("time {t:?}: bad minute"))?,
            );
            if h > 23 || m > 59 {
                return Err(format!("time {t:?} out of range"));
            }
            if *v > 100 {
                return Err(format!("volume {v} above 100"));
            }
            out.push((h * 60 + m, *v));
        }
        out.sort_unstable();
        Ok(Self { entries: out })
    }

    /// The volume at `minute_of_day` (0–1439); 100 when the schedule is empty.
    pub fn volume_at(&self, minute_of_day: u16) -> u8 {
        let Some(last) = self.entries.last() else { return 100 };
        self.entries.iter().rev().find(|(m, _)| *m <= minute_of_day).unwrap_or(last).1
    }
}

/// Scale samples by a volume in percent.
pub fn apply_volume(samples: &mut [i16], volume: u8) {
    let v = i32::from(volume.min(100));
    for s in samples {
        *s = ((i32::from(*s) * v) / 100) as i16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_follows_the_schedule_and_wraps_at_midnight() {
        let s = VolumeSchedule::new(&[("07:30", 80), ("11:30", 40), ("13:30", 80), ("17:00", 0)]).expect("schedule");
        assert_eq!(s.volume_at(7 * 60 + 30), 80);
        assert_eq!(s.volume_at(12 * 60), 40);
        assert_eq!(s.volume_at(16 * 60 + 59), 80);
        assert_eq!(s.volume_at(23 * 60), 0);
        assert_eq!(s.volume_at(6 * 60), 0, "before the first entry: the last one still holds");
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(VolumeSchedule::new(&[("25:00", 10)]).is_err());
        assert!(VolumeSchedule::new(&[("7h30", 10)]).is_err());
        assert!(VolumeSchedule::new(&[("07:30", 101)]).is_err());
    }

    #[test]
    fn volume_scales_samples() {
        let mut s = [1000i16, -1000, i16::MAX];
        apply_volume(&mut s, 50);
        assert_eq!(s, [500, -500, i16::MAX / 2]);
    }
}

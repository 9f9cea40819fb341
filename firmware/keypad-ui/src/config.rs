//! What a keypad is built with: how many rating keys, their labels, and the timings of its
//! own screens.
//!
//! Key ids follow the host driver's `KeyMap::new(rating_keys)`: rating keys `0..n` (leftmost,
//! best rating, first), then next `n`, recall `n+1`, skip `n+2`, finish `n+3`. So a 3-key
//! keypad needs the host configured with `KeyMap::new(3)`.

use motcua_keypad_proto::{Config as LinkConfig, FirmwareVersion, Hello, PROTO_VERSION, Role};

/// Rating keys a keypad has at least.
pub const MIN_RATING_KEYS: u8 = 3;
/// Rating keys a keypad has at most.
pub const MAX_RATING_KEYS: u8 = 5;
/// Officer keys (next, recall, skip, finish), after the rating keys.
pub const OFFICER_KEYS: u8 = 4;

/// This firmware's version, reported in the Hello and on the start screen.
pub const FIRMWARE_VERSION: FirmwareVersion = FirmwareVersion { major: 0, minor: 1, patch: 0 };

/// The five-level scale, best first (QĐ 766: the scorecard counts "Không hài lòng").
pub const LABELS_5: [&str; 5] = ["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng"];
/// The four-level scale.
pub const LABELS_4: [&str; 4] = ["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng"];
/// The three-level scale.
pub const LABELS_3: [&str; 3] = ["Rất hài lòng", "Hài lòng", "Không hài lòng"];

/// An officer key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficerKey {
    /// Call the next ticket.
    Next,
    /// Call the current ticket again.
    Recall,
    /// The citizen did not come.
    Skip,
    /// Service finished (the host then opens a rating window).
    Finish,
}

/// What a key id means on this keypad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// Rating key with this index (0 = leftmost = best).
    Rating(u8),
    /// An officer key.
    Officer(OfficerKey),
}

/// Keypad build settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Labels of the rating keys, leftmost first; their count (3 to 5) is the number of rating keys.
    pub labels: &'static [&'static str],
    /// Per-boot link session (random or a boot counter; must differ across restarts).
    pub session: u32,
    /// How long the thank-you stays up after a rating, in ms.
    pub thanks_ms: u64,
    /// How long each page of rating labels stays up when they need more than one, in ms.
    pub page_ms: u64,
    /// Rating window length when the host says 0 seconds.
    pub default_window_s: u16,
    /// Buzzer confirmation of an accepted rating, in ms (0 = silent).
    pub confirm_beep_ms: u16,
}

impl Config {
    /// `rating_keys` (clamped to 3..=5) with the standard labels, and `session`.
    pub const fn new(rating_keys: u8, session: u32) -> Self {
        let labels: &'static [&'static str] = match rating_keys {
            0..=3 => &LABELS_3,
            4 => &LABELS_4,
            _ => &LABELS_5,
        };
        Config { labels, session, thanks_ms: 4000, page_ms: 3000, default_window_s: 30, confirm_beep_ms: 80 }
    }

    /// Number of rating keys (3 to 5, whatever the label slice says).
    pub fn rating_keys(&self) -> u8 {
        let n = u8::try_from(self.labels.len()).unwrap_or(MAX_RATING_KEYS);
        n.clamp(MIN_RATING_KEYS, MAX_RATING_KEYS)
    }

    /// All keys: rating keys then the four officer keys.
    pub fn key_count(&self) -> u8 {
        self.rating_keys() + OFFICER_KEYS
    }

    /// The label of rating key `index` (a placeholder if the label slice is too short).
    pub fn label(&self, index: u8) -> &'static str {
        self.labels.get(usize::from(index)).copied().unwrap_or("?")
    }

    /// What `key_id` means, if this keypad has it.
    pub fn role(&self, key_id: u8) -> Option<KeyRole> {
        let n = self.rating_keys();
        if key_id < n {
            return Some(KeyRole::Rating(key_id));
        }
        Some(KeyRole::Officer(match key_id - n {
            0 => OfficerKey::Next,
            1 => OfficerKey::Recall,
            2 => OfficerKey::Skip,
            3 => OfficerKey::Finish,
            _ => return None,
        }))
    }

    /// The link configuration: protocol defaults, keypad role, our key count and session.
    pub fn link(&self) -> LinkConfig {
        LinkConfig::new(Hello {
            proto_version: PROTO_VERSION,
            firmware_version: FIRMWARE_VERSION,
            keys: self.key_count(),
            role: Role::Keypad,
            session: self.session,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_match_the_host_key_map() {
        let c = Config::new(3, 1);
        assert_eq!(c.key_count(), 7);
        assert_eq!(c.role(2), Some(KeyRole::Rating(2)));
        assert_eq!(c.role(3), Some(KeyRole::Officer(OfficerKey::Next)));
        assert_eq!(c.role(6), Some(KeyRole::Officer(OfficerKey::Finish)));
        assert_eq!(c.role(7), None);
        let c = Config::new(5, 1);
        assert_eq!(c.role(5), Some(KeyRole::Officer(OfficerKey::Next)));
        assert_eq!(c.role(8), Some(KeyRole::Officer(OfficerKey::Finish)));
        assert_eq!(c.link().hello.keys, 9);
        assert_eq!(Config::new(9, 1).rating_keys(), 5);
        assert_eq!(Config::new(0, 1).rating_keys(), 3);
    }
}

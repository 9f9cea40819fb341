//! The office configuration: service catalog, counters, priority classes, call policy, devices.
//!
//! Read from TOML; `assets/config/office.example.toml` is the documented sample and is parsed by a
//! test, so it cannot drift from this code. Validation rejects what would make the queue ambiguous
//! (duplicate letters, counters serving unknown fields, ...) with a message naming the entry.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The whole office configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Office identity and clock.
    pub office: Office,
    /// Service fields (lĩnh vực), in display order.
    #[serde(rename = "field")]
    pub fields: Vec<Field>,
    /// Counters (quầy).
    #[serde(rename = "counter")]
    pub counters: Vec<Counter>,
    /// Priority classes, in display order.
    #[serde(rename = "priority_class", default)]
    pub priority_classes: Vec<PriorityClass>,
    /// How call-next picks among waiting tickets.
    #[serde(default)]
    pub policy: Policy,
    /// Wait-estimate tuning.
    #[serde(default)]
    pub estimate: EstimateConfig,
    /// Devices allowed on the hub API, each with its bearer token.
    #[serde(rename = "device", default)]
    pub devices: Vec<DeviceAuth>,
    /// The citizen's rating of the service at the counter keypad.
    #[serde(default)]
    pub rating: RatingConfig,
    /// Officers who may sign in at a counter. When empty, a counter opens without a PIN.
    #[serde(rename = "officer", default)]
    pub officers: Vec<Officer>,
    /// How long identified citizens' data is kept (`[privacy]`).
    #[serde(default)]
    pub privacy: PrivacyConfig,
}

/// `[privacy]`: the citizen data a ticket carries after a CCCD identification (display name,
/// masked ID, ID hash, birth year) is purged this long after the visit ends (finished,
/// skipped or voided), and in any case at the office's local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// Minutes after the visit ends (0: at the next purge pass, within a minute).
    pub citizen_grace_minutes: u32,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        Self { citizen_grace_minutes: 30 }
    }
}

/// The national satisfaction levels a rating key maps to (QĐ 766/QĐ-TTg counts only
/// `unsatisfied` against the province's service index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NationalLevel {
    /// Rất hài lòng.
    VerySatisfied,
    /// Hài lòng.
    Satisfied,
    /// Không hài lòng.
    Unsatisfied,
}

/// The rating scale and window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingConfig {
    /// Whether finishing a service opens a rating window.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// How long the window stays open, in seconds.
    #[serde(default = "default_window_secs")]
    pub window_secs: u32,
    /// The keys, 3 to 5, in keypad order (key 1 first).
    #[serde(rename = "key", default = "default_rating_keys")]
    pub keys: Vec<RatingKey>,
}

/// One rating key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingKey {
    /// Label in Vietnamese, shown on the keypad ("Rất hài lòng").
    pub label_vi: String,
    /// Label in English.
    pub label_en: String,
    /// The national level this key counts as.
    pub level: NationalLevel,
}

fn default_true() -> bool {
    true
}
fn default_window_secs() -> u32 {
    30
}
fn default_rating_keys() -> Vec<RatingKey> {
    let k = |vi: &str, en: &str, level| RatingKey { label_vi: vi.into(), label_en: en.into(), level };
    vec![
        k("Rất hài lòng", "Very satisfied", NationalLevel::VerySatisfied),
        k("Hài lòng", "Satisfied", NationalLevel::Satisfied),
        k("Không hài lòng", "Not satisfied", NationalLevel::Unsatisfied),
    ]
}

impl Default for RatingConfig {
    fn default() -> Self {
        Self { enabled: true, window_secs: default_window_secs(), keys: default_rating_keys() }
    }
}

impl RatingConfig {
    /// The key at 1-based position `key`.
    pub fn key(&self, key: u8) -> Option<&RatingKey> {
        self.keys.get(usize::from(key).checked_sub(1)?)
    }
}

/// An officer who signs in at a counter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    /// Stable id recorded with calls and ratings (e.g. the staff code).
    pub id: String,
    /// Full name, shown on the counter screen.
    pub name: String,
    /// `motcua officer-pin ID PIN` prints this: hex SHA-256 of `motcua-pin:ID:PIN`.
    pub pin_sha256: String,
    /// Counters the officer may open (empty = any).
    #[serde(default)]
    pub counters: Vec<u32>,
}

/// The value of [`Officer::pin_sha256`] for an officer id and PIN.
pub fn pin_hash(officer_id: &str, pin: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(format!("motcua-pin:{officer_id}:{pin}").as_bytes()))
}

impl Officer {
    /// Whether `pin` is this officer's PIN (constant-time comparison of the hashes).
    pub fn pin_matches(&self, pin: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        pin_hash(&self.id, pin).as_bytes().ct_eq(self.pin_sha256.to_ascii_lowercase().as_bytes()).into()
    }
}

/// Office identity and clock.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Office {
    /// Stable id used in every event (e.g. the unit code `000.00.12.H62`).
    pub id: String,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Name in English.
    pub name_en: String,
    /// IANA time zone of the office; numbering resets at its local midnight.
    #[serde(default = "default_tz")]
    pub timezone: String,
}

fn default_tz() -> String {
    "Asia/Ho_Chi_Minh".to_owned()
}

/// A service field with its letter series.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Stable id (`[a-z0-9-]+`).
    pub id: String,
    /// Letter series (one or two capital ASCII letters), unique in the office.
    pub letter: String,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Name in English.
    pub name_en: String,
}

/// A counter and the fields it serves.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counter {
    /// Counter number as announced ("quầy số 3").
    pub number: u32,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Field ids served, in no particular order (the policy decides the order).
    pub fields: Vec<String>,
}

/// A priority class.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityClass {
    /// Stable id.
    pub id: String,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Name in English.
    pub name_en: String,
    /// Head start in minutes under the aging policy: the ticket is treated as if it had been
    /// waiting this much longer. A normal ticket waiting longer than that still goes first.
    #[serde(default = "default_boost")]
    pub boost_minutes: u32,
    /// Age in years that qualifies by itself (e.g. 60 for "người cao tuổi"): a kiosk suggests
    /// the class to an identified citizen at least this old. Absent: never suggested by age.
    #[serde(default)]
    pub min_age: Option<u32>,
}

fn default_boost() -> u32 {
    30
}

/// How call-next chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Policy {
    /// Order by waiting time plus the class's head start (`boost_minutes`); ties by issue order.
    /// No ticket starves: a normal ticket's score grows with time without bound.
    #[default]
    Aging,
    /// At each counter, after `priority_per_normal` priority tickets in a row, the next call takes
    /// the oldest normal ticket if one waits. FIFO within each group.
    Ratio {
        /// Priority tickets called in a row before a waiting normal ticket must be called.
        priority_per_normal: u32,
    },
}

/// Wait-estimate tuning.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimateConfig {
    /// Finished services needed in a field before any estimate is shown.
    #[serde(default = "default_min_samples")]
    pub min_samples: u32,
    /// Weight of a new sample in the moving average (0 < alpha ≤ 1).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
}

fn default_min_samples() -> u32 {
    5
}
fn default_alpha() -> f64 {
    0.2
}

impl Default for EstimateConfig {
    fn default() -> Self {
        Self { min_samples: default_min_samples(), alpha: default_alpha() }
    }
}

/// A device allowed on the hub API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceAuth {
    /// Device id, recorded in every event it causes.
    pub id: String,
    /// Bearer token (at least 16 characters).
    pub token: String,
    /// What it may do.
    pub role: DeviceRole,
    /// For a counter device: the counters it may act for (empty = any counter).
    #[serde(default)]
    pub counters: Vec<u32>,
}

/// A device's role on the hub API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRole {
    /// Issues tickets, reads the catalog.
    Kiosk,
    /// Acts for one or more counters (call, recall, skip, ...), reads the queue.
    Counter,
    /// Reads the queue and the push stream.
    Display,
    /// Everything (supervisor tools, tests).
    Admin,
}

impl Config {
    /// Parse and validate TOML text.
    pub fn from_toml(text: &str) -> Result<Config> {
        let cfg: Config = toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Read, parse and validate a file.
    pub fn load(path: &Path) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        Self::from_toml(&text)
    }

    /// The sample configuration shipped in `assets/config/office.example.toml`.
    pub fn sample() -> Config {
        // The sample is parsed by a unit test, so this cannot fail in a released build.
        match Self::from_toml(SAMPLE) {
            Ok(c) => c,
            Err(e) => panic!("bundled sample configuration is invalid: {e}"),
        }
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        if self.office.id.trim().is_empty() {
            return bad("office.id is empty".into());
        }
        if jiff::tz::TimeZone::get(&self.office.timezone).is_err() {
            return bad(format!("office.timezone {:?} is not a known IANA zone", self.office.timezone));
        }
        if self.fields.is_empty() {
            return bad("no [[field]] configured".into());
        }
        if let Some(p) = self.priority_classes.iter().find(|p| p.min_age.is_some_and(|a| !(1..=150).contains(&a))) {
            return bad(format!("priority_class {:?}: min_age must be 1 to 150", p.id));
        }
        if self.privacy.citizen_grace_minutes > 24 * 60 {
            return bad("privacy.citizen_grace_minutes must be at most 1440".into());
        }
        let mut ids = BTreeSet::new();
        let mut letters = BTreeSet::new();
        for f in &self.fields {
            if f.id.is_empty() || !f.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                return bad(format!("field id {:?}: use a-z, 0-9 and '-'", f.id));
            }
            if !(1..=2).contains(&f.letter.len()) || !f.letter.bytes().all(|b| b.is_ascii_uppercase()) {
                return bad(format!("field {:?}: letter {:?} must be one or two capital letters A-Z", f.id, f.letter));
            }
            if !ids.insert(f.id.as_str()) {
                return bad(format!("field id {:?} appears twice", f.id));
            }
            if !letters.insert(f.letter.as_str()) {
                return bad(format!("letter {:?} is used by two fields", f.letter));
            }
        }
        let mut numbers = BTreeSet::new();
        for c in &self.counters {
            if !numbers.insert(c.number) {
                return bad(format!("counter {} appears twice", c.number));
            }
            for f in &c.fields {
                if !ids.contains(f.as_str()) {
                    return bad(format!("counter {} serves unknown field {f:?}", c.number));
                }
            }
        }
        for f in &self.fields {
            if !self.counters.iter().any(|c| c.fields.contains(&f.id)) {
                return bad(format!("field {:?} is served by no counter", f.id));
            }
        }
        let mut pcs = BTreeSet::new();
        for p in &self.priority_classes {
            if !pcs.insert(p.id.as_str()) {
                return bad(format!("priority class {:?} appears twice", p.id));
            }
        }
        if let Policy::Ratio { priority_per_normal: 0 } = self.policy {
            return bad("policy.priority_per_normal must be at least 1".into());
        }
        if !(self.estimate.alpha > 0.0 && self.estimate.alpha <= 1.0) {
            return bad("estimate.alpha must be in (0, 1]".into());
        }
        let r = &self.rating;
        if !(3..=5).contains(&r.keys.len()) {
            return bad(format!("rating: {} keys configured; use 3 to 5", r.keys.len()));
        }
        if !(5..=600).contains(&r.window_secs) {
            return bad("rating.window_secs must be between 5 and 600".into());
        }
        if !r.keys.iter().any(|k| k.level == NationalLevel::Unsatisfied) {
            return bad("rating: no key maps to the national level \"unsatisfied\" (Không hài lòng)".into());
        }
        let mut officers = BTreeSet::new();
        for o in &self.officers {
            if !officers.insert(o.id.as_str()) {
                return bad(format!("officer {:?} appears twice", o.id));
            }
            if o.pin_sha256.len() != 64 || !o.pin_sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return bad(format!("officer {:?}: pin_sha256 must be 64 hex digits (motcua officer-pin)", o.id));
            }
            if let Some(c) = o.counters.iter().find(|c| !numbers.contains(c)) {
                return bad(format!("officer {:?}: unknown counter {c}", o.id));
            }
        }
        let mut devs = BTreeMap::new();
        for d in &self.devices {
            if d.token.len() < 16 {
                return bad(format!("device {:?}: token shorter than 16 characters", d.id));
            }
            if let Some(c) = d.counters.iter().find(|c| !numbers.contains(c)) {
                return bad(format!("device {:?}: unknown counter {c}", d.id));
            }
            if devs.insert(d.token.as_str(), d.id.as_str()).is_some() {
                return bad(format!("device {:?}: token shared with another device", d.id));
            }
        }
        Ok(())
    }

    /// The field with this id.
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The counter with this number.
    pub fn counter(&self, number: u32) -> Option<&Counter> {
        self.counters.iter().find(|c| c.number == number)
    }

    /// The officer with this id.
    pub fn officer(&self, id: &str) -> Option<&Officer> {
        self.officers.iter().find(|o| o.id == id)
    }

    /// The priority class with this id.
    pub fn priority_class(&self, id: &str) -> Option<&PriorityClass> {
        self.priority_classes.iter().find(|p| p.id == id)
    }

    /// Counters that serve a field.
    pub fn counters_for(&self, field_id: &str) -> Vec<u32> {
        self.counters.iter().filter(|c| c.fields.iter().any(|f| f == field_id)).map(|c| c.number).collect()
    }

    /// The office's time zone (validated at load).
    pub fn tz(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.office.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

/// The documented sample configuration.
pub const SAMPLE: &str = include_str!("../../assets/config/office.example.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_config_parses_and_validates() {
        let c = Config::from_toml(SAMPLE).expect("sample parses");
        assert!(c.fields.len() >= 3);
        assert!(c.priority_classes.iter().any(|p| p.name_vi == "Người cao tuổi"));
    }

    #[test]
    fn rejects_duplicate_letters() {
        let t = SAMPLE.replacen("letter = \"B\"", "letter = \"A\"", 1);
        let e = Config::from_toml(&t).expect_err("duplicate letter");
        assert!(e.to_string().contains("letter"), "{e}");
    }

    #[test]
    fn rejects_counter_serving_unknown_field() {
        let t = format!("{SAMPLE}\n[[counter]]\nnumber = 99\nfields = [\"khong-co\"]\n");
        let e = Config::from_toml(&t).expect_err("unknown field");
        assert!(e.to_string().contains("khong-co"), "{e}");
    }

    #[test]
    fn rejects_unknown_keys() {
        let t = format!("{SAMPLE}\n[office2]\nx = 1\n");
        assert!(Config::from_toml(&t).is_err());
    }
}

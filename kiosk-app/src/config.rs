//! This kiosk's own settings (`kiosk.toml`); the office is configured in the hub's `office.toml`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::backend::KioskSettings;

/// The kiosk's configuration file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct KioskConfig {
    /// Screen and identity.
    #[serde(default)]
    pub kiosk: KioskSection,
    /// Where the hub is.
    #[serde(default)]
    pub hub: HubSection,
    /// The ticket printer.
    #[serde(default)]
    pub printer: PrinterSection,
    /// The code scanner for dossier receipts.
    #[serde(default)]
    pub scanner: ScannerSection,
    /// The camera that reads receipt QR codes.
    #[serde(default)]
    pub camera: CameraSection,
    /// The CCCD chip reader of the identify step.
    #[serde(default)]
    pub id_card: IdCardSection,
}

/// `[id_card]`: the optional CCCD identification after the service field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdCardSection {
    /// `sim` (motcua-cccd's simulated card through the real session code; the default), `pcsc`
    /// (a PC/SC reader; needs the `pcsc` build feature) or `none` (no identify step).
    pub kind: String,
    /// For `pcsc`: the reader's name as pcscd lists it; empty for the first reader.
    pub reader: String,
    /// A directory of CSCA certificates (`*.der`, `*.cer`, `*.crt`) passive authentication
    /// trusts; empty: none (a genuine card then reads as "chip consistent, issuer not verified").
    pub trust_dir: String,
    /// The office key of the ID hash (HMAC-SHA256), hex, at least 32 digits; the same on every
    /// kiosk of the office. Empty: a random key per run (hashes link visits within a run only).
    pub hash_key: String,
    /// Seconds to wait for the card after "Chạm thẻ CCCD".
    pub wait_secs: u64,
}

impl Default for IdCardSection {
    fn default() -> Self {
        Self {
            kind: "sim".into(),
            reader: String::new(),
            trust_dir: String::new(),
            hash_key: String::new(),
            wait_secs: 20,
        }
    }
}

impl IdCardSection {
    /// The identify step's service, or `None` for `kind = "none"`.
    pub fn service(&self) -> Option<crate::controllers::identify::IdCardService> {
        use crate::controllers::identify::{IdCardService, IdHashKey};
        let mut svc = match self.kind.as_str() {
            "sim" => IdCardService::sim()?,
            #[cfg(feature = "pcsc")]
            "pcsc" => IdCardService {
                source: Some(std::sync::Arc::new(crate::controllers::identify::PcscIdCardSource {
                    reader: Some(self.reader.clone()).filter(|r| !r.is_empty()),
                })),
                trust: std::sync::Arc::new(motcua_cccd::proto::pa::TrustStore::new()),
                key: std::sync::Arc::new(IdHashKey::random()?),
                wait: std::time::Duration::from_secs(20),
            },
            _ => return None,
        };
        if !self.hash_key.is_empty() {
            svc.key = std::sync::Arc::new(IdHashKey::from_hex(&self.hash_key)?);
        } else {
            tracing::warn!("id_card.hash_key is empty: ID hashes use a random key for this run");
        }
        if !self.trust_dir.is_empty() {
            match motcua_cccd::trust::load_trust_dir(Path::new(&self.trust_dir)) {
                Ok((store, report)) => {
                    tracing::info!(loaded = report.loaded, rejected = report.rejected, "CSCA trust list");
                    svc.trust = std::sync::Arc::new(store);
                }
                Err(e) => tracing::warn!(error = %e, dir = %self.trust_dir, "CSCA trust list not readable"),
            }
        }
        svc.wait = std::time::Duration::from_secs(self.wait_secs);
        Some(svc)
    }
}

/// `[camera]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CameraSection {
    /// `none`, `dir` (PNG frames from `device`, looping: the camera twin) or `v4l2` (needs the
    /// `camera` build feature).
    pub kind: String,
    /// The frame directory for `dir`, `/dev/videoN` for `v4l2`.
    pub device: String,
    /// Frames per second asked of the camera.
    pub fps: u32,
}

impl Default for CameraSection {
    fn default() -> Self {
        Self { kind: "none".into(), device: String::new(), fps: 15 }
    }
}

/// `[scanner]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScannerSection {
    /// `none`, `serial` (USB-CDC or a serial bridge) or `hid` (keyboard wedge, read through evdev
    /// and grabbed so its keystrokes never reach the screen).
    pub kind: String,
    /// `/dev/serial/by-id/...` for `serial`, `/dev/input/by-id/...-event-kbd` for `hid`.
    pub device: String,
    /// Serial speed.
    pub baud: u32,
}

impl Default for ScannerSection {
    fn default() -> Self {
        Self { kind: "none".into(), device: String::new(), baud: 9600 }
    }
}

/// `[kiosk]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KioskSection {
    /// Device id in events.
    pub device_id: String,
    /// Idle timeout (s).
    pub idle_timeout_secs: u64,
    /// Confirmation screen time (s).
    pub confirmation_secs: u64,
    /// `vi` or `en`.
    pub default_lang: String,
    /// Offer the priority step.
    pub offer_priority: bool,
    /// `portrait` or `landscape`.
    pub orientation: String,
    /// Office time zone for the clock when the hub is remote (the embedded hub's office
    /// configuration wins otherwise).
    pub timezone: String,
    /// Hash of the admin screen's PIN: `motcua officer-pin kiosk-admin PIN` prints it. Empty:
    /// the admin screen stays closed.
    pub admin_pin_sha256: String,
}

impl Default for KioskSection {
    fn default() -> Self {
        let s = KioskSettings::default();
        Self {
            device_id: "kiosk-1".into(),
            idle_timeout_secs: s.idle_timeout_secs,
            confirmation_secs: s.confirmation_secs,
            default_lang: s.default_lang,
            offer_priority: s.offer_priority,
            orientation: "portrait".into(),
            timezone: s.timezone,
            admin_pin_sha256: String::new(),
        }
    }
}

/// `[hub]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubSection {
    /// Remote hub URL; empty for the embedded hub.
    pub url: String,
    /// Bearer token for the remote hub.
    pub token: String,
    /// Listen address of the embedded hub's API; empty to not serve.
    pub listen: String,
}

impl Default for HubSection {
    fn default() -> Self {
        Self { url: String::new(), token: String::new(), listen: "127.0.0.1:8700".into() }
    }
}

/// `[printer]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrinterSection {
    /// `sim`, `escpos-sim` or `escpos`.
    pub kind: String,
    /// 80 or 58.
    pub paper_mm: u32,
    /// For `escpos`: `/dev/usb/lp0`, `/dev/motcua/printer`, `tcp://HOST:9100`, `serial:PATH@BAUD`.
    pub device: String,
    /// ESC/POS printer profile (`generic-80`, `generic-58`, `epson-tm-t20`, `kiosk-80`).
    pub profile: String,
}

impl Default for PrinterSection {
    fn default() -> Self {
        Self {
            kind: "escpos-sim".into(),
            paper_mm: 80,
            device: "/dev/motcua/printer".into(),
            profile: "generic-80".into(),
        }
    }
}

impl KioskConfig {
    /// Parse and check.
    pub fn from_toml(text: &str) -> Result<Self> {
        let c: KioskConfig = toml::from_str(text).context("kiosk configuration")?;
        c.validate()?;
        Ok(c)
    }

    /// Read a file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::from_toml(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Check values that the types cannot (also after command-line overrides).
    pub fn validate(&self) -> Result<()> {
        if !matches!(self.kiosk.default_lang.as_str(), "vi" | "en") {
            bail!("kiosk.default_lang must be \"vi\" or \"en\"");
        }
        if !matches!(self.kiosk.orientation.as_str(), "portrait" | "landscape") {
            bail!("kiosk.orientation must be \"portrait\" or \"landscape\"");
        }
        if !self.hub.url.is_empty() && self.hub.token.is_empty() {
            bail!("hub.token is needed with hub.url");
        }
        if !matches!(self.printer.kind.as_str(), "sim" | "escpos-sim" | "escpos") {
            bail!("printer.kind {:?}: use \"sim\", \"escpos-sim\" or \"escpos\"", self.printer.kind);
        }
        if !matches!(self.scanner.kind.as_str(), "none" | "serial" | "hid") {
            bail!("scanner.kind {:?}: use \"none\", \"serial\" or \"hid\"", self.scanner.kind);
        }
        if self.scanner.kind != "none" && self.scanner.device.is_empty() {
            bail!("scanner.device is needed with scanner.kind = {:?}", self.scanner.kind);
        }
        if !matches!(self.camera.kind.as_str(), "none" | "dir" | "v4l2") {
            bail!("camera.kind {:?}: use \"none\", \"dir\" or \"v4l2\"", self.camera.kind);
        }
        if !matches!(self.printer.paper_mm, 58 | 80) {
            bail!("printer.paper_mm must be 58 or 80");
        }
        if jiff::tz::TimeZone::get(&self.kiosk.timezone).is_err() {
            bail!("kiosk.timezone {:?} is not a known IANA time zone", self.kiosk.timezone);
        }
        match self.id_card.kind.as_str() {
            "sim" | "none" => {}
            "pcsc" if cfg!(feature = "pcsc") => {}
            "pcsc" => bail!("id_card.kind = \"pcsc\" needs motcua built with `--features pcsc`"),
            other => bail!("id_card.kind {other:?}: use \"sim\", \"pcsc\" or \"none\""),
        }
        if !self.id_card.hash_key.is_empty()
            && crate::controllers::identify::IdHashKey::from_hex(&self.id_card.hash_key).is_none()
        {
            bail!("id_card.hash_key must be hex, at least 32 digits (16 bytes)");
        }
        if !(5..=120).contains(&self.id_card.wait_secs) {
            bail!("id_card.wait_secs must be 5 to 120");
        }
        if self.kiosk.idle_timeout_secs < 10 {
            bail!("kiosk.idle_timeout_secs must be at least 10");
        }
        Ok(())
    }

    /// The screen settings the UI takes.
    pub fn settings(&self) -> KioskSettings {
        let (width, height) = if self.kiosk.orientation == "landscape" { (1920, 1080) } else { (1080, 1920) };
        KioskSettings {
            idle_timeout_secs: self.kiosk.idle_timeout_secs,
            confirmation_secs: self.kiosk.confirmation_secs,
            default_lang: self.kiosk.default_lang.clone(),
            offer_priority: self.kiosk.offer_priority,
            width,
            height,
            timezone: self.kiosk.timezone.clone(),
            identify: self.id_card.service(),
            admin_pin_sha256: Some(self.kiosk.admin_pin_sha256.trim().to_owned()).filter(|h| !h.is_empty()),
        }
    }
}

/// The documented sample.
pub const SAMPLE: &str = include_str!("../../assets/config/kiosk.example.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_kiosk_config_parses() {
        let c = KioskConfig::from_toml(SAMPLE).expect("sample");
        assert_eq!(c.kiosk.device_id, "kiosk-1");
        assert_eq!(c.settings().width, 1080);
    }

    #[test]
    fn the_id_card_section_chooses_the_identify_step() {
        let c = KioskConfig::from_toml(SAMPLE).expect("sample");
        let svc = c.settings().identify.expect("sim by default");
        assert_eq!(svc.source.as_ref().map(|s| s.kind()), Some("sim"));
        let none = KioskConfig::from_toml(&SAMPLE.replace("kind = \"sim\"", "kind = \"none\"")).expect("none");
        assert!(none.settings().identify.is_none());
        assert!(KioskConfig::from_toml(&SAMPLE.replace("kind = \"sim\"", "kind = \"nfc\"")).is_err());
        assert!(KioskConfig::from_toml(&SAMPLE.replace("hash_key = \"\"", "hash_key = \"abc\"")).is_err());
        let keyed = SAMPLE.replace("hash_key = \"\"", &format!("hash_key = \"{}\"", "ab".repeat(32)));
        let a = KioskConfig::from_toml(&keyed).expect("keyed").settings().identify.expect("svc");
        let b = KioskConfig::from_toml(&keyed).expect("keyed").settings().identify.expect("svc");
        assert_eq!(a.key.hash("001099012345"), b.key.hash("001099012345"), "the office key is stable");
    }

    #[test]
    fn remote_hub_without_token_is_rejected() {
        let t = SAMPLE.replace("url = \"\"", "url = \"http://127.0.0.1:1\"");
        assert!(KioskConfig::from_toml(&t).is_err());
    }
}

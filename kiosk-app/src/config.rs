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
    fn remote_hub_without_token_is_rejected() {
        let t = SAMPLE.replace("url = \"\"", "url = \"http://127.0.0.1:1\"");
        assert!(KioskConfig::from_toml(&t).is_err());
    }
}

//! `motcua doctor`: finds the devices this box has, runs a self-test on each configured one
//! through the same seam the kiosk uses, and prints a report an office IT person can act on.
//! Exit code 0 when every configured device works, 1 otherwise.
//!
//! Two halves:
//! - **Discovery** ([`discover`]): what is plugged in, read from sysfs/procfs under a root
//!   directory (`/` on a real box, a fake tree in tests): USB devices (vendor:product, class,
//!   product string), serial ports, V4L2 cameras, ALSA cards with their playback/capture PCMs,
//!   the PC/SC daemon and the stable `/dev/motcua/*` names the udev rules make.
//! - **Configured devices** (`kiosk.toml`): each one must be there and answer (printer status,
//!   a test ticket on request; scanner and camera present and readable by the service user).
//!   A configured device that is missing fails the run, with advice in plain Vietnamese and
//!   English, and a hint when discovery sees a matching device under another name.
//!
//! `--simulate` checks the simulated twin of every device family instead; `--unplug FAMILY`
//! pulls a simulated device's cable, to see what a failure looks like.

use std::path::{Path, PathBuf};

use motcua_device::audio::AudioOut;
use motcua_device::camera::Camera;
use motcua_device::id_card::IdCardReader;
use motcua_device::keypad::Keypad;
use motcua_device::microphone::Microphone;
use motcua_device::printer::{PaperLevel, Printer};
use motcua_device::scanner::CodeScanner;
use motcua_device::sim;
use motcua_device::ticket::{PaperWidth, TextStyle, TicketDoc};

use crate::config::KioskConfig;

/// Result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Works.
    Ok,
    /// Works, but needs attention soon (paper near end, ...).
    Warning,
    /// Configured but not working.
    Failed,
    /// Found on the system, not configured (information only).
    Info,
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Check {
    /// What was checked, in Vietnamese / English.
    pub what: String,
    /// The outcome.
    pub status: Status,
    /// What was seen.
    pub detail: String,
    /// What to do about a failure or warning.
    pub advice: String,
}

/// Doctor options.
#[derive(Debug, Clone, Default)]
pub struct DoctorOptions {
    /// Check the simulated twins of every device family.
    pub simulate: bool,
    /// Simulated devices to disconnect first: printer, reader, scanner, keypad, camera,
    /// microphone, audio.
    pub unplug: Vec<String>,
    /// Also print a test ticket.
    pub print_test: bool,
    /// The hub database directory to check, if any.
    pub data_dir: Option<PathBuf>,
    /// This kiosk's configuration: the devices it names must be there and work.
    pub kiosk_config: Option<KioskConfig>,
    /// A counter's rating keypad (serial port) that must be there.
    pub keypad: Option<String>,
    /// Where discovery reads `sys/`, `proc/`, `dev/` and `run/` (`None`: `/`). Tests point it
    /// at a fake tree.
    pub root: Option<PathBuf>,
    /// Wait for a code at the configured scanner (someone scans any code).
    pub scan_test: bool,
    /// An ALSA capture device (`default`, `hw:1,0`, …) whose level to measure for a second.
    pub microphone: Option<String>,
}

fn check(what: &str, result: Result<String, (Status, String, String)>) -> Check {
    match result {
        Ok(detail) => Check { what: what.into(), status: Status::Ok, detail, advice: String::new() },
        Err((status, detail, advice)) => Check { what: what.into(), status, detail, advice },
    }
}

fn fail(detail: impl std::fmt::Display, advice: &str) -> (Status, String, String) {
    (Status::Failed, format!("không hoạt động / not working: {detail}"), advice.to_owned())
}

/// Where an installed box keeps its kiosk settings.
pub const KIOSK_CONFIG: &str = "/etc/motcua/kiosk.toml";

/// The kiosk settings to check: `path` when given (an unreadable or invalid file is an error),
/// else [`KIOSK_CONFIG`] when it exists and the run is not `--simulate`.
pub fn load_kiosk_config(path: Option<&Path>, simulate: bool) -> anyhow::Result<Option<KioskConfig>> {
    match path {
        Some(p) => KioskConfig::load(p).map(Some),
        None if !simulate && Path::new(KIOSK_CONFIG).exists() => KioskConfig::load(Path::new(KIOSK_CONFIG)).map(Some),
        None => Ok(None),
    }
}

type Outcome = Result<String, (Status, String, String)>;

fn not_found(detail: impl std::fmt::Display, advice: impl Into<String>) -> (Status, String, String) {
    (Status::Failed, format!("không thấy / not found: {detail}"), advice.into())
}

const PRINTER_REPLUG: &str = "Cắm lại cáp USB của máy in và bật nguồn máy in (đèn nguồn phải sáng). \
/ Replug the printer's USB cable and switch the printer on (its power light must be on).";

/// Run every check.
pub fn run_checks(opts: &DoctorOptions) -> Vec<Check> {
    let mut out = Vec::new();
    let unplugged = |name: &str| opts.unplug.iter().any(|u| u == name);
    let root = opts.root.clone().unwrap_or_else(|| PathBuf::from("/"));
    let inventory = discover(&root);

    if let Some(dir) = &opts.data_dir {
        out.push(check("Cơ sở dữ liệu hàng đợi / Queue database", hub_check(dir)));
    }

    if opts.simulate {
        // Printer.
        let mut printer = sim::SimPrinter::new(PaperWidth::Mm80);
        printer.handle().set_connected(!unplugged("printer"));
        let r = printer_check(&mut printer, PaperWidth::Mm80, opts.print_test, PRINTER_REPLUG)
            .map(|d| format!("{d} (mô phỏng / simulated)"));
        out.push(check("Máy in phiếu / Ticket printer", r));

        // ID-card reader: present, a card answers SELECT MF.
        let mut reader = sim::SimIdCardReader::new();
        let h = reader.handle();
        h.set_connected(!unplugged("reader"));
        h.insert_default_card();
        let r = reader
            .poll_card()
            .and_then(|card| {
                let answer = reader.transmit(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00])?;
                Ok((card, answer))
            })
            .map(|(card, answer)| {
                let atr = card.map(|c| c.atr.iter().map(|b| format!("{b:02X}")).collect::<String>()).unwrap_or_default();
                format!("có thẻ, ATR {atr}, SELECT MF → {:02X?} (mô phỏng / simulated)", answer)
            })
            .map_err(|e| fail(e, "Cắm lại cáp USB của đầu đọc thẻ và kiểm tra dịch vụ pcscd (sudo systemctl status pcscd). / Replug the reader's USB cable and check the pcscd service (sudo systemctl status pcscd)."));
        out.push(check("Đầu đọc thẻ CCCD / ID-card reader", r));

        // Scanner: a scan travels the whole read path.
        let mut scanner = sim::SimCodeScanner::new();
        let sh = scanner.handle();
        sh.set_connected(!unplugged("scanner"));
        sh.scan("000.00.12.H62-201105-0004");
        let r = match scanner.poll_code() {
            Ok(Some(code)) => Ok(format!("đọc được / read \"{}\" (mô phỏng / simulated)", code.text)),
            Ok(None) => {
                Err(fail("không đọc được mã thử / test code not read", "Cắm lại máy quét. / Replug the scanner."))
            }
            Err(e) => Err(fail(e, "Cắm lại cáp USB của máy quét mã. / Replug the code scanner's USB cable.")),
        };
        out.push(check("Máy quét mã / Code scanner", r));

        // Keypad: LEDs and screen answer.
        let mut keypad = sim::SimKeypad::new();
        keypad.handle().set_connected(!unplugged("keypad"));
        let r = keypad
            .set_leds(0)
            .and_then(|()| keypad.show(&["motcua doctor".into()]))
            .map(|()| "phản hồi / answers (mô phỏng / simulated)".to_owned())
            .map_err(|e| fail(e, "Kiểm tra cáp của bàn phím đánh giá; cắm lại cáp USB. / Check the rating keypad's cable; replug its USB cable."));
        out.push(check("Bàn phím đánh giá / Rating keypad", r));

        // Camera: one frame.
        let mut camera = sim::SimCamera::new(640, 480);
        camera.handle().set_connected(!unplugged("camera"));
        let r = camera
            .frame()
            .map(|f| format!("khung hình / frame {}x{} (mô phỏng / simulated)", f.width, f.height))
            .map_err(|e| fail(e, "Cắm lại cáp USB của camera. / Replug the camera's USB cable."));
        out.push(check("Camera quầy / Counter camera", r));

        // Microphone: a level.
        let mut mic = sim::SimMicrophone::new();
        mic.handle().set_connected(!unplugged("microphone"));
        let mut buf = vec![0i16; 1600];
        let r = mic
            .read(&mut buf)
            .map(|n| {
                let rms = (buf[..n].iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / n.max(1) as f64).sqrt();
                let dbfs = 20.0 * (rms.max(1.0) / 32768.0).log10();
                format!("mức âm / level {dbfs:.0} dBFS (mô phỏng / simulated)")
            })
            .map_err(|e| fail(e, "Kiểm tra micro và cáp. / Check the microphone and its cable."));
        out.push(check("Micro quầy / Counter microphone", r));

        // Audio out: 0.1 s of silence.
        let mut audio = sim::SimAudioOut::new();
        audio.handle().set_connected(!unplugged("audio"));
        let r = audio
            .play(&[0; 1600], 16_000)
            .map(|()| "phát được / plays (mô phỏng / simulated)".to_owned())
            .map_err(|e| fail(e, "Kiểm tra loa và âm lượng. / Check the speakers and volume."));
        out.push(check("Loa gọi số / Call speakers", r));
    }

    if let Some(cfg) = &opts.kiosk_config {
        out.extend(configured_checks(cfg, &inventory, opts.print_test));
    }
    if let Some(keypad) = &opts.keypad {
        out.push(check("Bàn phím đánh giá / Rating keypad", keypad_check(keypad, &inventory)));
    }
    if opts.scan_test
        && let Some(mut scanner) = opts.kiosk_config.as_ref().and_then(|c| crate::scanning::open(&c.scanner))
    {
        eprintln!(
            "Quét một mã bất kỳ trong {} giây… / Scan any code within {} s…",
            SCAN_TEST.as_secs(),
            SCAN_TEST.as_secs()
        );
        out.push(check("Quét thử / Scan test", scan_test(scanner.as_mut(), SCAN_TEST)));
    }
    if let Some(dev) = &opts.microphone {
        out.push(check("Micro quầy / Counter microphone", microphone_level(dev)));
    }
    out.extend(inventory.checks());
    out
}

/// How long `--scan-test` waits for someone to scan a code.
pub const SCAN_TEST: std::time::Duration = std::time::Duration::from_secs(20);

/// Waits up to `within` for one code at `scanner` and says what kind it was and how long — never
/// its content (it may be a citizen's CCCD QR).
pub fn scan_test(scanner: &mut dyn CodeScanner, within: std::time::Duration) -> Outcome {
    let advice = "Quét lại, giữ mã cách máy quét 10–20 cm; nếu máy quét không kêu, cắm lại cáp. \
/ Scan again, 10–20 cm from the scanner; if it does not beep, replug its cable.";
    let started = std::time::Instant::now();
    let mut rejected = 0u32;
    while started.elapsed() < within {
        match scanner.poll_code() {
            Ok(Some(code)) => {
                let kind = match motcua_scanner::payload::classify(&code.text) {
                    motcua_scanner::payload::Payload::Receipt { .. } => "biên nhận hồ sơ / dossier receipt",
                    motcua_scanner::payload::Payload::Cccd(_) => "mã QR CCCD / CCCD QR",
                    motcua_scanner::payload::Payload::Unknown(_) => "mã khác / another code",
                };
                return Ok(format!(
                    "đọc được {} ký tự ({kind}) / read {} characters ({kind})",
                    code.text.chars().count(),
                    code.text.chars().count()
                ));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(e) => {
                rejected += 1;
                tracing::info!(error = %e, "scan test: scan rejected");
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }
    Err(fail(
        format!(
            "không có mã nào trong {} giây ({rejected} lần đọc lỗi) / no code within {} s ({rejected} bad reads)",
            within.as_secs(),
            within.as_secs()
        ),
        advice,
    ))
}

/// The RMS level of signed 16-bit little-endian mono samples, in dBFS (-120 for silence).
pub fn level_dbfs(raw: &[u8]) -> f64 {
    let samples: Vec<f64> = raw.chunks_exact(2).map(|b| f64::from(i16::from_le_bytes([b[0], b[1]]))).collect();
    if samples.is_empty() {
        return -120.0;
    }
    let rms = (samples.iter().map(|s| s * s).sum::<f64>() / samples.len() as f64).sqrt();
    if rms < 1e-9 { -120.0 } else { (20.0 * (rms / 32768.0).log10()).max(-120.0) }
}

/// Records one second from ALSA capture device `dev` with `arecord` (alsa-utils) and reports
/// its level: a dead or muted microphone reads as near silence.
fn microphone_level(dev: &str) -> Outcome {
    let out = std::process::Command::new("arecord")
        .args(["-D", dev, "-q", "-d", "1", "-f", "S16_LE", "-r", "16000", "-c", "1", "-t", "raw"])
        .stdin(std::process::Stdio::null())
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(fail(
                "arecord không có / arecord is missing",
                "Cài gói alsa-utils: sudo apt install alsa-utils / Install alsa-utils: sudo apt install alsa-utils",
            ));
        }
        Err(e) => return Err(fail(e, "Chạy lại với quyền của người dùng motcua. / Run again as the motcua user.")),
    };
    if !out.status.success() || out.stdout.len() < 16_000 {
        let why = String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or_default().to_owned();
        return Err(fail(
            format!("{dev}: không ghi được / cannot record ({why})"),
            "Cắm lại micro; `arecord -l` liệt kê thiết bị ghi âm, sửa tên thiết bị cho đúng. \
/ Replug the microphone; `arecord -l` lists capture devices: fix the device name.",
        ));
    }
    let db = level_dbfs(&out.stdout);
    if db < -80.0 {
        return Err((
            Status::Warning,
            format!("{dev}: im lặng / silent ({db:.0} dBFS)"),
            "Micro có thể đang tắt tiếng: mở alsamixer và bật kênh Capture. / The microphone may be muted: open alsamixer and enable Capture."
                .into(),
        ));
    }
    Ok(format!("{dev}: mức âm / level {db:.0} dBFS"))
}

/// Status (and a test ticket on request) of a printer, real or simulated.
fn printer_check(printer: &mut dyn Printer, paper: PaperWidth, print_test: bool, replug: &str) -> Outcome {
    match printer.status() {
        Err(e) => Err(fail(e, replug)),
        Ok(s) if s.cover_open => Err(fail("nắp mở / cover open", "Đóng nắp máy in. / Close the printer cover.")),
        Ok(s) if s.paper == PaperLevel::Out => Err(fail(
            "hết giấy / paper out",
            "Thay cuộn giấy mới đúng khổ. / Load a new paper roll of the right width.",
        )),
        Ok(s) if s.cutter_error => Err(fail(
            "lỗi dao cắt / cutter error",
            "Tắt máy in, gỡ giấy kẹt ở dao cắt rồi bật lại. / Switch the printer off, clear the paper jammed in the cutter, switch it on.",
        )),
        Ok(s) if s.paper == PaperLevel::NearEnd => Err((
            Status::Warning,
            "sắp hết giấy / paper near end".into(),
            "Chuẩn bị cuộn giấy mới. / Have a new roll ready.".into(),
        )),
        Ok(_) if print_test => {
            let mut doc = TicketDoc::new(paper);
            doc.push_text("KIỂM TRA MÁY IN — motcua doctor", TextStyle::PLAIN.with_bold(true));
            doc.push_text("Tiếng Việt: Số thứ tự A023", TextStyle::PLAIN);
            doc.push(motcua_device::ticket::Block::Feed { lines: 3 });
            doc.push(motcua_device::ticket::Block::Cut);
            match printer.print(&doc) {
                Ok(o) => Ok(format!("sẵn sàng, đã in trang thử (lệnh {}) / ready, test page printed", o.job_id)),
                Err(e) => Err(fail(e, "Xem đèn báo lỗi trên máy in. / Look at the printer's error light.")),
            }
        }
        Ok(_) => Ok("sẵn sàng, còn giấy / ready, paper OK".into()),
    }
}

/// The devices `kiosk.toml` names: each must be there, reachable by this user, and answer.
pub fn configured_checks(cfg: &KioskConfig, inv: &Inventory, print_test: bool) -> Vec<Check> {
    let mut out = Vec::new();
    let p = &cfg.printer;
    let r = match p.kind.as_str() {
        "escpos" => real_printer_check(cfg, inv, print_test),
        kind => Err((
            Status::Warning,
            format!("máy in mô phỏng / simulated printer (printer.kind = \"{kind}\")"),
            "Khi đã lắp máy in thật: đặt printer.kind = \"escpos\" trong /etc/motcua/kiosk.toml. \
/ Once a real printer is installed, set printer.kind = \"escpos\" in /etc/motcua/kiosk.toml."
                .into(),
        )),
    };
    out.push(check("Máy in phiếu / Ticket printer", r));

    let s = &cfg.scanner;
    if s.kind != "none" {
        let (group, what) = if s.kind == "hid" { ("input", "HID") } else { ("dialout", "serial") };
        let r = device_present(
            &s.device,
            group,
            "Cắm lại cáp USB của máy quét mã; nếu vẫn không thấy, xem `ls /dev/serial/by-id /dev/input/by-id` \
và sửa [scanner] device trong /etc/motcua/kiosk.toml. / Replug the code scanner's USB cable; if it is \
still missing, look at `ls /dev/serial/by-id /dev/input/by-id` and fix [scanner] device in /etc/motcua/kiosk.toml.",
        )
        .map(|d| format!("{d} ({what}); quét thử một mã ở ki-ốt / scan a code at the kiosk to test"));
        out.push(check("Máy quét mã / Code scanner", r));
    }

    let r = match cfg.id_card.kind.as_str() {
        "none" => None,
        "pcsc" => Some(pcsc_check(&cfg.id_card.reader, inv)),
        kind => Some(Err((
            Status::Warning,
            format!("đầu đọc mô phỏng / simulated reader (id_card.kind = \"{kind}\")"),
            "Khi đã lắp đầu đọc thật: đặt [id_card] kind = \"pcsc\" trong /etc/motcua/kiosk.toml (hoặc \"none\" để bỏ bước đọc thẻ). \
/ Once a real reader is installed, set [id_card] kind = \"pcsc\" in /etc/motcua/kiosk.toml (or \"none\" to skip the card step)."
                .into(),
        ))),
    };
    if let Some(r) = r {
        out.push(check("Đầu đọc thẻ CCCD / ID-card reader", r));
    }

    let c = &cfg.camera;
    let r = match c.kind.as_str() {
        "none" => None,
        "dir" => Some(camera_dir_check(Path::new(&c.device))),
        _ => Some(camera_v4l2_check(&c.device, inv)),
    };
    if let Some(r) = r {
        out.push(check("Camera đọc mã QR / QR camera", r));
    }
    out
}

fn real_printer_check(cfg: &KioskConfig, inv: &Inventory, print_test: bool) -> Outcome {
    let p = &cfg.printer;
    let is_path = p.device.starts_with('/') || p.device.starts_with("serial:");
    if is_path {
        let path = p.device.strip_prefix("serial:").unwrap_or(&p.device);
        let path = path.split_once('@').map_or(path, |(p, _)| p);
        if !Path::new(path).exists() {
            let printers: Vec<&UsbDevice> = inv.usb.iter().filter(|d| d.kinds.contains(&UsbKind::Printer)).collect();
            return Err(match printers.first() {
                Some(d) => not_found(
                    format!(
                        "{path} — có máy in USB {} nhưng không có tên này / a USB printer {} is plugged in under another name",
                        d.label(),
                        d.label()
                    ),
                    format!(
                        "Máy in đã cắm nhưng chưa có tên ổn định: chép /lib/udev/rules.d/60-motcua.rules vào /etc/udev/rules.d/, \
thêm một dòng cho mã {id} (xem hardware.md) rồi chạy `sudo udevadm trigger`; hoặc sửa [printer] device trong \
/etc/motcua/kiosk.toml. / The printer is plugged in but has no stable name: copy /lib/udev/rules.d/60-motcua.rules \
to /etc/udev/rules.d/, add a line for {id} (see hardware.md) and run `sudo udevadm trigger`; or fix [printer] \
device in /etc/motcua/kiosk.toml.",
                        id = d.id()
                    ),
                ),
                None => not_found(path, PRINTER_REPLUG),
            });
        }
        if let Err(e) = std::fs::OpenOptions::new().write(true).open(path)
            && e.kind() == std::io::ErrorKind::PermissionDenied
        {
            return Err(no_permission(path, if p.device.starts_with("serial:") { "dialout" } else { "lp" }));
        }
    }
    let paper = if p.paper_mm == 58 { PaperWidth::Mm58 } else { PaperWidth::Mm80 };
    let printer = crate::printcmd::kiosk_printer("escpos", &p.device, &p.profile, paper)
        .map_err(|e| fail(format!("{e:#}"), "Kiểm tra [printer] profile trong /etc/motcua/kiosk.toml. / Check [printer] profile in /etc/motcua/kiosk.toml."))?;
    let mut guard = printer.lock().map_err(|_| fail("lock", PRINTER_REPLUG))?;
    printer_check(&mut *guard, paper, print_test, PRINTER_REPLUG).map(|d| format!("{d} ({})", p.device))
}

const PCSCD_DOWN: &str = "pcscd không chạy / pcscd is not running";
const PCSCD_FIX: &str = "Bật dịch vụ thẻ thông minh: `sudo apt install pcscd` rồi `sudo systemctl enable --now pcscd.socket`. \
/ Start the smart-card service: `sudo apt install pcscd`, then `sudo systemctl enable --now pcscd.socket`.";
const READER_REPLUG: &str = "Cắm lại cáp USB của đầu đọc thẻ; `pcsc_scan` (gói pcsc-tools) liệt kê các đầu đọc. \
/ Replug the card reader's USB cable; `pcsc_scan` (package pcsc-tools) lists the readers.";

/// The configured PC/SC reader: pcscd up, the reader listed, a card's ATR when one is on it.
/// Only the ATR is read (the card type), nothing from the chip.
#[cfg(feature = "pcsc")]
fn pcsc_check(reader: &str, inv: &Inventory) -> Outcome {
    use motcua_cccd::pcsc::PcscReader;
    if !inv.pcscd {
        return Err(fail(PCSCD_DOWN, PCSCD_FIX));
    }
    let names = match PcscReader::list() {
        Ok(names) => names,
        Err(motcua_device::Error::Disconnected) => Vec::new(),
        Err(e) => return Err(fail(e, PCSCD_FIX)),
    };
    let wanted = Some(reader).filter(|r| !r.is_empty());
    let found = match wanted {
        Some(w) => names.iter().any(|n| n == w),
        None => !names.is_empty(),
    };
    if !found {
        let listed = if names.is_empty() { "không có / none".to_owned() } else { names.join(", ") };
        let what = wanted.unwrap_or("(đầu đọc đầu tiên / the first reader)");
        return Err(not_found(format!("{what}; pcscd thấy / pcscd lists: {listed}"), READER_REPLUG));
    }
    let mut r = PcscReader::open(wanted).map_err(|e| fail(e, READER_REPLUG))?;
    let name = r.reader_name();
    match r.poll_card() {
        Ok(Some(card)) => {
            let atr: String = card.atr.iter().map(|b| format!("{b:02X}")).collect();
            Ok(format!("{name}: có thẻ, ATR {atr} / card present"))
        }
        Ok(None) => Ok(format!(
            "{name}: sẵn sàng, chưa có thẻ / ready, no card (đặt thẻ để xem ATR / put a card on it to see its ATR)"
        )),
        // A card that does not answer is the card's problem, not the reader's.
        Err(motcua_device::Error::NoCard) => {
            Ok(format!("{name}: sẵn sàng / ready (thẻ không trả lời / the card does not answer)"))
        }
        Err(e) => Err(fail(e, READER_REPLUG)),
    }
}

#[cfg(not(feature = "pcsc"))]
fn pcsc_check(_reader: &str, inv: &Inventory) -> Outcome {
    if !inv.pcscd {
        return Err(fail(PCSCD_DOWN, PCSCD_FIX));
    }
    Err(fail(
        "bản motcua này không có PC/SC / this motcua build has no PC/SC support",
        "Cài bản motcua có tính năng pcsc (gói .deb cho Raspberry Pi có sẵn). / Install a motcua built with the pcsc feature (the Raspberry Pi .deb has it).",
    ))
}

fn no_permission(path: &str, group: &str) -> (Status, String, String) {
    (
        Status::Failed,
        format!("không có quyền mở / permission denied: {path}"),
        format!(
            "Dịch vụ motcua đã ở nhóm {group}; khi chạy tay, thêm mình vào nhóm: `sudo usermod -aG {group} $USER` rồi đăng nhập lại. \
/ The motcua service is already in group {group}; when running by hand, join it: `sudo usermod -aG {group} $USER`, then log in again."
        ),
    )
}

/// A device node that must exist and open for reading by this user.
fn device_present(path: &str, group: &str, replug: &str) -> Outcome {
    if path.is_empty() || !Path::new(path).exists() {
        return Err(not_found(if path.is_empty() { "(chưa cấu hình / not configured)" } else { path }, replug));
    }
    match std::fs::File::open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(no_permission(path, group)),
        _ => Ok(format!("có mặt / present: {path}")),
    }
}

/// How long `doctor` waits for the keypad's protocol handshake.
pub const KEYPAD_PING: std::time::Duration = std::time::Duration::from_secs(3);

/// Speaks the keypad's protocol over `connector` (its serial port): opens it and waits up to
/// `within` for the version handshake, through the same driver the counter uses.
pub fn keypad_ping<C: motcua_keypad::Connect>(connector: C, within: std::time::Duration) -> Result<String, String> {
    let session = u32::try_from(jiff::Timestamp::now().as_second() & 0xFFFF_FFFF).unwrap_or(1);
    let mut driver = motcua_keypad::KeypadDriver::new(
        connector,
        motcua_keypad::SystemClock::new(),
        motcua_keypad::Config::new(session),
    );
    let started = std::time::Instant::now();
    let mut last_error = None;
    while started.elapsed() < within {
        if let Err(e) = driver.poll() {
            last_error = Some(e.to_string());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        if driver.is_connected() {
            return Ok(format!(
                "trả lời giao thức sau {} ms / answers the protocol handshake in {} ms",
                started.elapsed().as_millis(),
                started.elapsed().as_millis()
            ));
        }
    }
    Err(match last_error {
        Some(e) => format!("không trả lời / no answer ({e})"),
        None => "mở được cổng nhưng không trả lời / the port opens but the keypad does not answer".to_owned(),
    })
}

fn keypad_check(path: &str, inv: &Inventory) -> Outcome {
    let replug = "Cắm lại cáp USB của bàn phím đánh giá (đèn trên bàn phím phải sáng). \
/ Replug the rating keypad's USB cable (its light must come on).";
    device_present(path, "dialout", replug)
        .and_then(|present| {
            let connector = motcua_keypad::SerialConnector::new(motcua_keypad::SerialConfig::new(path));
            keypad_ping(connector, KEYPAD_PING).map(|ping| format!("{present}, {ping}")).map_err(|e| {
                fail(
                    e,
                    "Bàn phím có điện nhưng không trả lời: rút ra cắm lại; nếu vẫn vậy, nạp lại firmware (hardware.md). \
/ The keypad is there but does not answer: replug it; if it persists, reflash its firmware (hardware.md).",
                )
            })
        })
        .map_err(|(status, detail, advice)| {
        // An RP2040 keypad seen on USB but not under the configured name: say where it is.
        let seen: Vec<String> = inv
            .serial
            .iter()
            .filter(|s| s.usb.as_ref().and_then(|u| inv.usb_device(u)).is_some_and(|d| d.vendor == 0x2e8a))
            .map(|s| format!("/dev/{}", s.name))
            .collect();
        if seen.is_empty() || status != Status::Failed || detail.contains("permission") {
            (status, detail, advice)
        } else {
            let list = seen.join(", ");
            (
                status,
                format!("{detail} — bàn phím ở / keypad is at {list}"),
                format!("{advice} Quy tắc udev 60-motcua.rules đặt tên /dev/motcua/keypad; chạy `sudo udevadm trigger`. / The udev rule 60-motcua.rules names it /dev/motcua/keypad; run `sudo udevadm trigger`."),
            )
        }
    })
}

fn camera_dir_check(dir: &Path) -> Outcome {
    let frames = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "png")).count())
        .map_err(|e| {
            not_found(
                format!("{}: {e}", dir.display()),
                "Sửa [camera] device trong /etc/motcua/kiosk.toml. / Fix [camera] device in /etc/motcua/kiosk.toml.",
            )
        })?;
    if frames == 0 {
        return Err(fail(
            format!("{}: không có ảnh PNG / no PNG frames", dir.display()),
            "Sửa [camera] device trong /etc/motcua/kiosk.toml. / Fix [camera] device in /etc/motcua/kiosk.toml.",
        ));
    }
    Ok(format!("{frames} khung hình mẫu / sample frames (mô phỏng / simulated)"))
}

fn camera_v4l2_check(device: &str, inv: &Inventory) -> Outcome {
    let replug = "Cắm lại cáp USB của camera; `ls /dev/v4l/by-id` cho biết tên của nó. \
/ Replug the camera's USB cable; `ls /dev/v4l/by-id` shows its name.";
    let present = device_present(device, "video", replug)?;
    // /dev/v4l/by-id/... is a link to /dev/videoN: name the card sysfs gives for it.
    let node = std::fs::canonicalize(device).ok();
    let node_name = node.as_ref().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
    let card = node_name.and_then(|n| inv.video.iter().find(|v| v.name == n)).map(|v| v.card.clone());
    let detail = match card {
        Some(card) => format!("{present} \"{card}\""),
        None => present,
    };
    #[cfg(not(feature = "camera"))]
    let outcome = Err(fail(
        format!("{detail}; bản motcua này không có camera V4L2 / this motcua build has no V4L2 camera support"),
        "Cài bản motcua có tính năng camera, hoặc đặt [camera] kind = \"none\". / Install a motcua built with the camera feature, or set [camera] kind = \"none\".",
    ));
    #[cfg(feature = "camera")]
    let outcome = grab_frame(device).map(|frame| format!("{detail}; {frame}"));
    outcome
}

/// Opens the camera as the kiosk does and takes one frame.
#[cfg(feature = "camera")]
fn grab_frame(device: &str) -> Outcome {
    use motcua_qr::worker::FrameSource as _;
    let advice = "Camera có mặt nhưng không cho hình: đóng chương trình khác đang dùng nó, rồi cắm lại. \
/ The camera is there but gives no picture: close any other program using it, then replug it.";
    let node = std::fs::canonicalize(device).unwrap_or_else(|_| device.into());
    let index: u32 = node
        .to_string_lossy()
        .trim_start_matches("/dev/video")
        .parse()
        .map_err(|_| fail(format!("{device}: không phải /dev/videoN / not /dev/videoN"), advice))?;
    let cfg = motcua_qr::camera::CameraConfig { index, width: 640, height: 480, ..Default::default() };
    let mut cam = motcua_qr::camera::V4l2Source::open(&cfg).map_err(|e| fail(e, advice))?;
    match cam.next_frame() {
        Ok(Some(f)) => Ok(format!("khung hình / frame {}x{}", f.width(), f.height())),
        Ok(None) => Err(fail("không có khung hình / no frame", advice)),
        Err(e) => Err(fail(e, advice)),
    }
}

fn hub_check(dir: &Path) -> Result<String, (Status, String, String)> {
    let hub = motcua_hub::Hub::open(motcua_hub::Config::sample(), &dir.join("hub.db"), std::sync::Arc::new(motcua_hub::SystemClock))
        .map_err(|e| fail(e, "Kiểm tra quyền ghi và dung lượng đĩa của thư mục dữ liệu. / Check the data directory's permissions and free space."))?;
    if hub.blocking_ping(std::time::Duration::from_secs(5)) {
        let (backlog, _) = hub.outbox_stats().unwrap_or((0, None));
        Ok(format!("ghi được vào đĩa; {backlog} sự kiện chờ gửi / writable; {backlog} events to send"))
    } else {
        Err(fail(
            "không ghi được trong 5 giây / no durable write within 5 s",
            "Đĩa chậm hoặc hỏng: kiểm tra thẻ nhớ/SSD. / The disk is slow or failing: check the SD card or SSD.",
        ))
    }
}

/// What a USB device (or one of its interfaces) is, from its USB class code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsbKind {
    /// Class 07: a printer (usblp, `/dev/usb/lpN`).
    Printer,
    /// Class 02/0A: CDC-ACM, a serial port (`/dev/ttyACMN`): keypads, scanners in serial mode.
    CdcAcm,
    /// Class 03: HID (keyboards, keyboard-wedge scanners, touchscreens).
    Hid,
    /// Class 0E: a video device (UVC camera).
    Video,
    /// Class 01: audio (USB sound cards, microphones).
    Audio,
    /// Class 0B: a smart-card reader (CCID, served by pcscd).
    SmartCard,
    /// Class 08: mass storage.
    Storage,
    /// Class 09: a hub.
    Hub,
    /// Any other class (FF: vendor specific, e.g. FTDI/CH340 serial bridges).
    Other(u8),
}

impl UsbKind {
    /// From a USB class code.
    pub fn from_class(class: u8) -> Self {
        match class {
            0x07 => Self::Printer,
            0x02 | 0x0a => Self::CdcAcm,
            0x03 => Self::Hid,
            0x0e => Self::Video,
            0x01 => Self::Audio,
            0x0b => Self::SmartCard,
            0x08 => Self::Storage,
            0x09 => Self::Hub,
            c => Self::Other(c),
        }
    }

    /// In words, Vietnamese / English.
    pub fn label(&self) -> String {
        match self {
            Self::Printer => "máy in / printer".into(),
            Self::CdcAcm => "cổng nối tiếp / serial (CDC-ACM)".into(),
            Self::Hid => "bàn phím-chuột / HID".into(),
            Self::Video => "camera (UVC)".into(),
            Self::Audio => "âm thanh / audio".into(),
            Self::SmartCard => "đầu đọc thẻ / smart-card reader (CCID)".into(),
            Self::Storage => "ổ nhớ / storage".into(),
            Self::Hub => "hub".into(),
            Self::Other(c) => format!("class {c:02x}"),
        }
    }
}

/// One USB device from `/sys/bus/usb/devices`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbDevice {
    /// Its sysfs name (`1-1.2`: bus 1, port 1, port 2).
    pub name: String,
    /// `idVendor`.
    pub vendor: u16,
    /// `idProduct`.
    pub product: u16,
    /// `manufacturer` string, if the device has one.
    pub manufacturer: Option<String>,
    /// `product` string, if the device has one.
    pub product_name: Option<String>,
    /// What it is: the device class and every interface's class, without repeats.
    pub kinds: Vec<UsbKind>,
}

impl UsbDevice {
    /// `vvvv:pppp`, as `lsusb` and udev rules write it.
    pub fn id(&self) -> String {
        format!("{:04x}:{:04x}", self.vendor, self.product)
    }

    /// `vvvv:pppp "Manufacturer Product"`.
    pub fn label(&self) -> String {
        let name: Vec<&str> =
            [self.manufacturer.as_deref(), self.product_name.as_deref()].into_iter().flatten().collect();
        if name.is_empty() { self.id() } else { format!("{} \"{}\"", self.id(), name.join(" ")) }
    }
}

/// A serial port (`ttyACM*`, `ttyUSB*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialPort {
    /// `ttyACM0`.
    pub name: String,
    /// The USB device it belongs to (sysfs name), when it is on USB.
    pub usb: Option<String>,
}

/// A V4L2 video node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoDevice {
    /// `video0`.
    pub name: String,
    /// The card name the driver gives (`/sys/class/video4linux/video0/name`).
    pub card: String,
    /// The USB device it belongs to, when it is on USB.
    pub usb: Option<String>,
}

/// An ALSA sound card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundCard {
    /// Card number (`hw:N`).
    pub index: u32,
    /// Card id (`plughw:CARD=ID`).
    pub id: String,
    /// Long name.
    pub name: String,
    /// Has a playback PCM (speakers).
    pub playback: bool,
    /// Has a capture PCM (microphone).
    pub capture: bool,
}

/// Everything discovery found.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// USB devices (root hubs left out).
    pub usb: Vec<UsbDevice>,
    /// Serial ports on USB (CDC-ACM and serial bridges).
    pub serial: Vec<SerialPort>,
    /// V4L2 video nodes.
    pub video: Vec<VideoDevice>,
    /// ALSA cards.
    pub sound: Vec<SoundCard>,
    /// Whether pcscd's socket is there (the daemon runs or is socket-activated).
    pub pcscd: bool,
    /// The stable names under `/dev/motcua/` (`printer`, `keypad`, ...).
    pub stable_names: Vec<String>,
}

fn read_trim(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn read_hex<T: TryFrom<u32>>(path: &Path) -> Option<T> {
    read_trim(path).and_then(|s| u32::from_str_radix(&s, 16).ok()).and_then(|v| T::try_from(v).ok())
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// `1-1.2:1.0` (an interface) -> `1-1.2` (its device).
fn interface_parent(name: &str) -> Option<&str> {
    let (dev, iface) = name.split_once(':')?;
    let ok = dev.contains('-')
        && dev.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '.')
        && iface.chars().all(|c| c.is_ascii_digit() || c == '.');
    ok.then_some(dev)
}

/// The USB device a class device (tty, video4linux) sits on, from its `device` link.
fn usb_parent(class_dir: &Path) -> Option<String> {
    let target = std::fs::read_link(class_dir.join("device")).ok()?;
    target.components().rev().find_map(|c| interface_parent(&c.as_os_str().to_string_lossy()).map(str::to_owned))
}

impl Inventory {
    /// The USB device with this sysfs name.
    pub fn usb_device(&self, name: &str) -> Option<&UsbDevice> {
        self.usb.iter().find(|d| d.name == name)
    }

    /// The report lines for what was found (information: nothing here fails the run).
    pub fn checks(&self) -> Vec<Check> {
        let info = |what: &str, items: Vec<String>| Check {
            what: what.into(),
            status: Status::Info,
            detail: if items.is_empty() { "không thấy / none found".to_owned() } else { items.join("; ") },
            advice: String::new(),
        };
        let mut out = Vec::new();
        out.push(info(
            "Thiết bị USB / USB devices",
            self.usb
                .iter()
                .filter(|d| !d.kinds.iter().all(|k| *k == UsbKind::Hub))
                .map(|d| {
                    let kinds: Vec<String> =
                        d.kinds.iter().filter(|k| **k != UsbKind::Hub).map(UsbKind::label).collect();
                    format!("{} [{}]", d.label(), kinds.join(", "))
                })
                .collect(),
        ));
        out.push(info(
            "Cổng nối tiếp / Serial ports",
            self.serial
                .iter()
                .map(|s| match s.usb.as_deref().and_then(|u| self.usb_device(u)) {
                    Some(d) => format!("/dev/{} ({})", s.name, d.id()),
                    None => format!("/dev/{}", s.name),
                })
                .collect(),
        ));
        out.push(info("Camera (V4L2)", self.video.iter().map(|v| format!("/dev/{} \"{}\"", v.name, v.card)).collect()));
        out.push(info(
            "Card âm thanh (ALSA) / Sound cards",
            self.sound
                .iter()
                .map(|c| {
                    let mut io = Vec::new();
                    if c.playback {
                        io.push("phát / playback");
                    }
                    if c.capture {
                        io.push("thu / capture");
                    }
                    format!("{}: {} \"{}\" ({})", c.index, c.id, c.name, io.join(", "))
                })
                .collect(),
        ));
        out.push(info(
            "Tên ổn định / Stable names (/dev/motcua)",
            self.stable_names.iter().map(|n| format!("/dev/motcua/{n}")).collect(),
        ));
        let readers: Vec<&UsbDevice> = self.usb.iter().filter(|d| d.kinds.contains(&UsbKind::SmartCard)).collect();
        let what = "Đầu đọc thẻ (PC/SC) / Card readers (PC/SC)";
        out.push(match (readers.is_empty(), self.pcscd) {
            (true, true) => info(what, vec!["pcscd đang chạy; không có đầu đọc / pcscd running; no reader".into()]),
            (true, false) => info(what, Vec::new()),
            (false, true) => {
                info(what, readers.iter().map(|d| format!("{} — pcscd đang chạy / pcscd running", d.label())).collect())
            }
            (false, false) => Check {
                what: what.into(),
                status: Status::Warning,
                detail: format!("{} — {PCSCD_DOWN}", readers.iter().map(|d| d.label()).collect::<Vec<_>>().join(", ")),
                advice: PCSCD_FIX.into(),
            },
        });
        out
    }
}

/// What is plugged in, read under `root` (`/` on a real box).
pub fn discover(root: &Path) -> Inventory {
    let usb_dir = root.join("sys/bus/usb/devices");
    let names = dir_names(&usb_dir);
    let mut usb = Vec::new();
    for name in names.iter().filter(|n| !n.contains(':') && !n.starts_with("usb")) {
        let dir = usb_dir.join(name);
        let (Some(vendor), Some(product)) =
            (read_hex::<u16>(&dir.join("idVendor")), read_hex::<u16>(&dir.join("idProduct")))
        else {
            continue;
        };
        let mut kinds = Vec::new();
        let device_class = read_hex::<u8>(&dir.join("bDeviceClass")).unwrap_or(0);
        // 00 (per interface) and EF (miscellaneous, composite) say nothing by themselves.
        let interface_classes = names
            .iter()
            .filter(|n| interface_parent(n) == Some(name.as_str()))
            .filter_map(|n| read_hex::<u8>(&usb_dir.join(n).join("bInterfaceClass")));
        for class in std::iter::once(device_class).filter(|c| !matches!(c, 0x00 | 0xef)).chain(interface_classes) {
            let kind = UsbKind::from_class(class);
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        usb.push(UsbDevice {
            name: name.clone(),
            vendor,
            product,
            manufacturer: read_trim(&dir.join("manufacturer")),
            product_name: read_trim(&dir.join("product")),
            kinds,
        });
    }

    let tty = root.join("sys/class/tty");
    let serial = dir_names(&tty)
        .into_iter()
        .filter(|n| n.starts_with("ttyACM") || n.starts_with("ttyUSB"))
        .map(|name| SerialPort { usb: usb_parent(&tty.join(&name)), name })
        .collect();

    let v4l = root.join("sys/class/video4linux");
    let video = dir_names(&v4l)
        .into_iter()
        .filter(|n| n.starts_with("video"))
        .map(|name| {
            let dir = v4l.join(&name);
            VideoDevice { card: read_trim(&dir.join("name")).unwrap_or_default(), usb: usb_parent(&dir), name }
        })
        .collect();

    let cards = std::fs::read_to_string(root.join("proc/asound/cards")).unwrap_or_default();
    let pcm = std::fs::read_to_string(root.join("proc/asound/pcm")).unwrap_or_default();
    let sound = parse_alsa(&cards, &pcm);

    let pcscd = ["run/pcscd/pcscd.comm", "var/run/pcscd/pcscd.comm"].iter().any(|p| root.join(p).exists());
    let stable_names = dir_names(&root.join("dev/motcua"));
    Inventory { usb, serial, video, sound, pcscd, stable_names }
}

/// ALSA cards from `/proc/asound/cards` (` 0 [ID    ]: driver - long name`) with their PCM
/// directions from `/proc/asound/pcm` (`00-00: id : name : playback 1 : capture 1`).
pub fn parse_alsa(cards: &str, pcm: &str) -> Vec<SoundCard> {
    let mut out: Vec<SoundCard> = cards
        .lines()
        .filter_map(|line| {
            let (index, rest) = line.trim_start().split_once(' ')?;
            let index: u32 = index.parse().ok()?;
            let rest = rest.trim_start().strip_prefix('[')?;
            let (id, rest) = rest.split_once(']')?;
            let name = rest.split_once(" - ").map_or(rest.trim_start_matches(':'), |(_, n)| n).trim();
            Some(SoundCard { index, id: id.trim().to_owned(), name: name.to_owned(), playback: false, capture: false })
        })
        .collect();
    for line in pcm.lines() {
        let Some((card, _)) = line.split_once('-') else { continue };
        let Ok(card) = card.trim().parse::<u32>() else { continue };
        if let Some(c) = out.iter_mut().find(|c| c.index == card) {
            c.playback |= line.contains(": playback ");
            c.capture |= line.contains(": capture ");
        }
    }
    out
}

/// The report as text, and the process exit code: 1 when a configured device does not work.
pub fn render(checks: &[Check]) -> (String, i32) {
    use std::fmt::Write as _;
    let mut out = String::from("motcua doctor — kiểm tra thiết bị / device check\n\n");
    for c in checks {
        let mark = match c.status {
            Status::Ok => "[ OK ]",
            Status::Warning => "[CHÚ Ý]",
            Status::Failed => "[ LỖI ]",
            Status::Info => "[ -- ]",
        };
        let _ = writeln!(out, "{mark} {:<54} {}", c.what, c.detail);
    }
    let problems: Vec<&Check> =
        checks.iter().filter(|c| matches!(c.status, Status::Failed | Status::Warning)).collect();
    if !problems.is_empty() {
        out.push_str("\nCần làm / What to do:\n");
        for c in &problems {
            let _ = writeln!(out, "- {}: {}", c.what, c.advice);
        }
    }
    let failed = checks.iter().filter(|c| c.status == Status::Failed).count();
    if failed == 0 {
        out.push_str("\nMọi thiết bị đã cấu hình đều hoạt động. / Every configured device works.\n");
        (out, 0)
    } else {
        let names: Vec<&str> = checks.iter().filter(|c| c.status == Status::Failed).map(|c| c.what.as_str()).collect();
        let _ =
            writeln!(out, "\n{failed} thiết bị không hoạt động / {failed} device(s) not working: {}", names.join(", "));
        (out, 1)
    }
}

/// Print the report; returns the process exit code.
pub fn report(checks: &[Check]) -> i32 {
    let (text, code) = render(checks);
    print!("{text}");
    code
}

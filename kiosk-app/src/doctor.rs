//! `motcua doctor`: finds the devices this box has, runs a self-test on each configured one
//! through the same seam the kiosk uses, and prints a report an office IT person can act on.
//! Exit code 0 when every configured device works, 1 otherwise.
//!
//! Today every device family runs as its simulated twin (`--simulate`, and the printer's
//! `kind = "sim"`); real drivers join this report as they land. `--unplug FAMILY` pulls a
//! simulated device's cable, to see what a failure looks like.

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

/// Run every check.
pub fn run_checks(opts: &DoctorOptions) -> Vec<Check> {
    let mut out = Vec::new();
    let unplugged = |name: &str| opts.unplug.iter().any(|u| u == name);

    if let Some(dir) = &opts.data_dir {
        out.push(check("Cơ sở dữ liệu hàng đợi / Queue database", hub_check(dir)));
    }

    if opts.simulate {
        // Printer.
        let mut printer = sim::SimPrinter::new(PaperWidth::Mm80);
        printer.handle().set_connected(!unplugged("printer"));
        let r = match printer.status() {
            Err(e) => {
                Err(fail(e, "Kiểm tra cáp USB và nguồn điện của máy in. / Check the printer's USB cable and power."))
            }
            Ok(s) if s.cover_open => Err(fail("nắp mở / cover open", "Đóng nắp máy in. / Close the printer cover.")),
            Ok(s) if s.paper == PaperLevel::Out => {
                Err(fail("hết giấy / paper out", "Thay cuộn giấy 80 mm. / Load an 80 mm paper roll."))
            }
            Ok(s) if s.paper == PaperLevel::NearEnd => Err((
                Status::Warning,
                "sắp hết giấy / paper near end".into(),
                "Chuẩn bị cuộn giấy mới. / Have a new roll ready.".into(),
            )),
            Ok(_) if opts.print_test => {
                let mut doc = TicketDoc::new(PaperWidth::Mm80);
                doc.push_text("KIỂM TRA MÁY IN — motcua doctor", TextStyle::PLAIN.with_bold(true));
                match printer.print(&doc) {
                    Ok(o) => Ok(format!("sẵn sàng, đã in trang thử (lệnh {}) / ready, test page printed", o.job_id)),
                    Err(e) => Err(fail(e, "Xem đèn báo lỗi trên máy in. / Look at the printer's error light.")),
                }
            }
            Ok(_) => Ok("sẵn sàng, còn giấy / ready, paper OK (mô phỏng / simulated)".into()),
        };
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
            .map_err(|e| fail(e, "Kiểm tra cáp USB của đầu đọc thẻ và dịch vụ pcscd. / Check the reader's USB cable and the pcscd service."));
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
            Err(e) => Err(fail(e, "Kiểm tra cáp USB của máy quét mã. / Check the scanner's USB cable.")),
        };
        out.push(check("Máy quét mã / Code scanner", r));

        // Keypad: LEDs and screen answer.
        let mut keypad = sim::SimKeypad::new();
        keypad.handle().set_connected(!unplugged("keypad"));
        let r = keypad
            .set_leds(0)
            .and_then(|()| keypad.show(&["motcua doctor".into()]))
            .map(|()| "phản hồi / answers (mô phỏng / simulated)".to_owned())
            .map_err(|e| fail(e, "Kiểm tra cáp của bàn phím đánh giá. / Check the rating keypad's cable."));
        out.push(check("Bàn phím đánh giá / Rating keypad", r));

        // Camera: one frame.
        let mut camera = sim::SimCamera::new(640, 480);
        camera.handle().set_connected(!unplugged("camera"));
        let r = camera
            .frame()
            .map(|f| format!("khung hình / frame {}x{} (mô phỏng / simulated)", f.width, f.height))
            .map_err(|e| fail(e, "Kiểm tra cáp USB của camera. / Check the camera's USB cable."));
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

    out.extend(discover());
    out
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

/// What the system has plugged in (information: matched to configuration as drivers land).
fn discover() -> Vec<Check> {
    let list = |dir: &str, prefix: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(prefix))
                    .map(|n| format!("{dir}/{n}"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let mut found = Vec::new();
    let mut add = |what: &str, items: Vec<String>| {
        let detail = if items.is_empty() { "không thấy / none found".to_owned() } else { items.join(", ") };
        found.push(Check { what: what.into(), status: Status::Info, detail, advice: String::new() });
    };
    add("Máy in USB (usblp) / USB printers", list("/dev/usb", "lp"));
    let mut serial = list("/dev", "ttyACM");
    serial.extend(list("/dev", "ttyUSB"));
    add("Cổng nối tiếp / Serial ports", serial);
    add("Camera (V4L2)", list("/dev", "video"));
    let cards = std::fs::read_to_string("/proc/asound/cards").unwrap_or_default();
    let cards: Vec<String> = cards
        .lines()
        .filter(|l| l.trim_start().chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|l| l.trim().to_owned())
        .collect();
    add("Card âm thanh (ALSA) / Sound cards", cards);
    let pcscd = ["/run/pcscd/pcscd.comm", "/var/run/pcscd/pcscd.comm"].iter().find(|p| Path::new(p).exists());
    add(
        "Dịch vụ thẻ thông minh (pcscd) / Smart-card service",
        pcscd.map(|p| vec![(*p).to_owned()]).unwrap_or_default(),
    );
    found
}

/// Print the report; returns the process exit code.
pub fn report(checks: &[Check]) -> i32 {
    println!("motcua doctor — kiểm tra thiết bị / device check\n");
    for c in checks {
        let mark = match c.status {
            Status::Ok => "[ OK ]",
            Status::Warning => "[CHÚ Ý]",
            Status::Failed => "[ LỖI ]",
            Status::Info => "[ -- ]",
        };
        println!("{mark} {:<54} {}", c.what, c.detail);
    }
    let problems: Vec<&Check> =
        checks.iter().filter(|c| matches!(c.status, Status::Failed | Status::Warning)).collect();
    if !problems.is_empty() {
        println!("\nCần làm / What to do:");
        for c in &problems {
            println!("- {}: {}", c.what, c.advice);
        }
    }
    let failed = checks.iter().filter(|c| c.status == Status::Failed).count();
    if failed == 0 {
        println!("\nMọi thiết bị đã cấu hình đều hoạt động. / Every configured device works.");
        0
    } else {
        println!("\n{failed} thiết bị không hoạt động. / {failed} device(s) not working.");
        1
    }
}

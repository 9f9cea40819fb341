//! `motcua print-test` and `motcua bench ticket`: the ESC/POS driver from the command line.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use motcua_device::printer::{PaperLevel, PrinterStatus};
use motcua_device::ticket::{Align, PaperWidth, TextStyle, TicketData, TicketDoc, nfc, queue_ticket};
use motcua_escpos::transport::ByteTransport;
use motcua_escpos::transport::lp::LpTransport;
use motcua_escpos::transport::serial::{FlowControl, SerialConfig, SerialTransport};
use motcua_escpos::transport::tcp::TcpTransport;
use motcua_escpos::{EscposPrinter, Profile, Strategy, encode};

/// The standard sample ticket of issue 4 (fixed id, so its bytes are reproducible).
pub fn sample_data() -> TicketData {
    TicketData::sample()
}

/// The standard sample ticket laid out for `paper`.
pub fn sample_ticket(paper: PaperWidth) -> TicketDoc {
    queue_ticket(&sample_data(), paper)
}

fn profile(name: &str) -> Result<Profile> {
    Profile::by_name(name).with_context(|| {
        let names: Vec<String> = Profile::builtin().into_iter().map(|p| p.name).collect();
        format!("unknown printer profile {name:?}; built in: {}", names.join(", "))
    })
}

/// Writes the exact bytes of the sample ticket for `profile_name` to `output`.
pub fn write_sample_ticket(profile_name: &str, output: &Path) -> Result<usize> {
    let profile = profile(profile_name)?;
    let job = encode(&sample_ticket(profile.paper), &profile, Strategy::Auto)?;
    std::fs::write(output, &job.bytes).with_context(|| format!("writing {}", output.display()))?;
    Ok(job.bytes.len())
}

/// Every Vietnamese letter (12 vowels × 6 tones, both cases, and Đ/đ).
pub fn vietnamese_letters() -> (String, String) {
    let tones = ["", "\u{300}", "\u{301}", "\u{309}", "\u{303}", "\u{323}"];
    let mut lower = String::new();
    for base in "aăâeêioôơuưy".chars() {
        for t in tones {
            lower.push_str(&nfc(&format!("{base}{t}")));
        }
        lower.push(' ');
    }
    lower.push('đ');
    (lower.to_uppercase(), lower)
}

/// The test page for one strategy.
pub fn test_page(paper: PaperWidth, strategy: Strategy) -> TicketDoc {
    let (upper, lower) = vietnamese_letters();
    let mut doc = TicketDoc::new(paper);
    let head = TextStyle::PLAIN.with_bold(true).with_align(Align::Center);
    doc.push_text(&format!("motcua print-test: {strategy:?}"), head);
    doc.push_text(&upper, TextStyle::PLAIN);
    doc.push_text(&lower, TextStyle::PLAIN);
    doc.push_text("Tiếng Việt: Số thứ tự A023", TextStyle::PLAIN.with_bold(true));
    doc.push_qr("https://motcua.example.gov.vn/print-test", 4);
    doc.push(motcua_device::ticket::Block::Feed { lines: 3 });
    doc.push(motcua_device::ticket::Block::Cut);
    doc
}

/// A printer status in plain words.
pub fn describe(status: &PrinterStatus) -> String {
    let mut parts = vec![if status.online { "online" } else { "OFFLINE" }.to_owned()];
    parts.push(
        match status.paper {
            PaperLevel::Ok => "paper ok",
            PaperLevel::NearEnd => "paper NEAR END (change the roll soon)",
            PaperLevel::Out => "paper OUT",
        }
        .to_owned(),
    );
    if status.cover_open {
        parts.push("cover OPEN".to_owned());
    }
    if status.cutter_error {
        parts.push("cutter ERROR".to_owned());
    }
    parts.join(", ")
}

fn run_test_page<T: ByteTransport + Send>(mut printer: EscposPrinter<T>) -> Result<()> {
    use motcua_device::printer::Printer;
    let status = printer.status().context("the printer did not answer a status request")?;
    println!("status before: {}", describe(&status));
    let paper = printer.profile().paper;
    let mut failed = 0;
    for strategy in [Strategy::CodePage, Strategy::Glyphs, Strategy::Raster] {
        let job = match encode(&test_page(paper, strategy), printer.profile(), strategy) {
            Ok(job) => job,
            Err(e) => {
                println!("{strategy:?}: skipped, this profile cannot print it that way ({e})");
                continue;
            }
        };
        match printer.print_bytes(&job.bytes) {
            Ok(out) => println!("{strategy:?}: printed and confirmed ({} bytes)", out.bytes_sent),
            Err(e) => {
                failed += 1;
                println!("{strategy:?}: NOT confirmed: {e}");
            }
        }
    }
    if let Ok(status) = printer.status() {
        println!("status after: {}", describe(&status));
    }
    if failed > 0 {
        bail!("{failed} test page(s) not confirmed");
    }
    Ok(())
}

/// A serial printer: `serial:PATH[@BAUD]`, or a `/dev/tty*` path (9600 baud). Flow control is
/// RTS/CTS unless `serial:PATH@BAUD:none` or `:xonxoff` says otherwise.
pub fn serial_device(dev: &str) -> Option<SerialConfig> {
    let spec = match dev.strip_prefix("serial:") {
        Some(rest) => rest,
        None if dev.starts_with("/dev/tty") || dev.starts_with("/dev/serial/") => dev,
        None => return None,
    };
    let (path, rest) = spec.split_once('@').unwrap_or((spec, ""));
    let (baud, flow) = rest.split_once(':').unwrap_or((rest, ""));
    let mut config = SerialConfig::new(path);
    if let Ok(b) = baud.parse() {
        config.baud = b;
    }
    config.flow_control = match flow {
        "none" => FlowControl::None,
        "xonxoff" => FlowControl::Software,
        _ => FlowControl::Hardware,
    };
    Some(config)
}

/// The kiosk's ticket printer from its `[printer]` settings: `sim` (the simulated printer that
/// renders tickets), `escpos-sim` (the ESC/POS driver talking to the virtual ESC/POS printer:
/// the whole byte path, confirmation included, without hardware), or `escpos` on a `device`
/// (`/dev/usb/lp0`, `tcp://HOST:9100`, `serial:PATH@BAUD`).
pub fn kiosk_printer(
    kind: &str,
    device: &str,
    profile_name: &str,
    paper: PaperWidth,
) -> Result<std::sync::Arc<std::sync::Mutex<dyn motcua_device::printer::Printer>>> {
    use std::sync::{Arc, Mutex};
    Ok(match kind {
        "sim" => Arc::new(Mutex::new(motcua_device::sim::SimPrinter::new(paper))),
        "escpos-sim" => {
            let p = profile(profile_name)?;
            let device = motcua_escpos::sim::VirtualEscposDevice::new(
                motcua_escpos::virtual_printer::VirtualPrinter::new(p.clone()),
            );
            Arc::new(Mutex::new(EscposPrinter::new(device, p)))
        }
        "escpos" => {
            let p = profile(profile_name)?;
            Arc::new(Mutex::new(ReopeningPrinter { device: device.to_owned(), profile: p, open: None }))
        }
        other => bail!("printer kind {other:?}: use sim, escpos-sim or escpos"),
    })
}

/// A real ESC/POS printer that is (re)opened when needed: a kiosk must start, and show numbers
/// on screen, even when its printer is unplugged at boot; the next ticket after the cable is back
/// prints again.
struct ReopeningPrinter {
    device: String,
    profile: Profile,
    open: Option<Box<dyn motcua_device::printer::Printer>>,
}

impl ReopeningPrinter {
    fn connect(&self) -> Result<Box<dyn motcua_device::printer::Printer>> {
        let p = self.profile.clone();
        Ok(if let Some(serial) = serial_device(&self.device) {
            let t = SerialTransport::open(&serial).with_context(|| format!("opening {}", serial.path))?;
            Box::new(EscposPrinter::new(t, p))
        } else if let Some(addr) = self.device.strip_prefix("tcp://") {
            let t =
                TcpTransport::connect(addr, Duration::from_secs(3)).with_context(|| format!("connecting to {addr}"))?;
            Box::new(EscposPrinter::new(t, p))
        } else {
            let t = LpTransport::open(&self.device).with_context(|| format!("opening {}", self.device))?;
            Box::new(EscposPrinter::new(t, p))
        })
    }

    fn with<R>(
        &mut self,
        f: impl FnOnce(&mut dyn motcua_device::printer::Printer) -> Result<R, motcua_device::Error>,
    ) -> Result<R, motcua_device::Error> {
        if self.open.is_none() {
            match self.connect() {
                Ok(p) => self.open = Some(p),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "printer not available");
                    return Err(motcua_device::Error::Disconnected);
                }
            }
        }
        let Some(p) = self.open.as_mut() else { return Err(motcua_device::Error::Disconnected) };
        let r = f(p.as_mut());
        // A dead link is reopened next time (the device node may have come back under the same
        // udev name).
        if matches!(&r, Err(e) if e.kind() == motcua_device::ErrorKind::Disconnected) {
            self.open = None;
        }
        r
    }
}

impl motcua_device::printer::Printer for ReopeningPrinter {
    fn print(&mut self, doc: &TicketDoc) -> Result<motcua_device::printer::PrintOutcome, motcua_device::Error> {
        self.with(|p| p.print(doc))
    }

    fn status(&mut self) -> Result<PrinterStatus, motcua_device::Error> {
        self.with(|p| p.status())
    }

    fn info(&self) -> motcua_device::DeviceInfo {
        motcua_device::DeviceInfo {
            family: motcua_device::DeviceFamily::Printer,
            name: format!("ESC/POS {} on {}", self.profile.name, self.device),
            simulated: false,
        }
    }
}

/// `motcua print-test`.
pub fn run_print_test(profile_name: &str, ticket: bool, output: Option<&Path>, device: Option<&str>) -> Result<()> {
    match (output, device) {
        (Some(out), _) => {
            let profile = profile(profile_name)?;
            let bytes = if ticket {
                write_sample_ticket(profile_name, out)?
            } else {
                let mut all = Vec::new();
                for s in [Strategy::CodePage, Strategy::Glyphs, Strategy::Raster] {
                    if let Ok(job) = encode(&test_page(profile.paper, s), &profile, s) {
                        all.extend_from_slice(&job.bytes);
                    }
                }
                std::fs::write(out, &all).with_context(|| format!("writing {}", out.display()))?;
                all.len()
            };
            println!("wrote {bytes} bytes for profile {profile_name} to {}", out.display());
            Ok(())
        }
        (None, Some(dev)) => {
            let profile = profile(profile_name)?;
            if ticket {
                println!("printing the sample ticket instead of the test page");
            }
            if let Some(serial) = serial_device(dev) {
                let t = SerialTransport::open(&serial).with_context(|| format!("opening {}", serial.path))?;
                run_test_page(EscposPrinter::new(t, profile))
            } else if let Some(addr) = dev.strip_prefix("tcp://") {
                let t = TcpTransport::connect(addr, Duration::from_secs(3))
                    .with_context(|| format!("connecting to {addr}"))?;
                run_test_page(EscposPrinter::new(t, profile))
            } else {
                let t = LpTransport::open(dev).with_context(|| format!("opening {dev}"))?;
                run_test_page(EscposPrinter::new(t, profile))
            }
        }
        (None, None) => bail!("give --device PATH|tcp://host:9100, or --output FILE"),
    }
}

/// One row of `motcua bench ticket`.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRow {
    /// Strategy name.
    pub strategy: &'static str,
    /// Profile used.
    pub profile: String,
    /// Bytes of the job.
    pub bytes: usize,
    /// Median build time in ms.
    pub build_ms: f64,
    /// Bytes of `ESC &` glyph downloads (part of `bytes`).
    pub download_bytes: usize,
    /// Glyphs downloaded.
    pub glyphs: usize,
}

/// Builds the sample ticket `rounds` times per strategy.
pub fn bench_rows(rounds: usize) -> Result<Vec<BenchRow>> {
    let cases = [
        ("glyph", "generic-80", Strategy::Glyphs),
        ("raster", "generic-80", Strategy::Raster),
        ("codepage", "epson-tm-t20", Strategy::CodePage),
    ];
    let mut rows = Vec::new();
    for (name, prof, strategy) in cases {
        let profile = profile(prof)?;
        let doc = sample_ticket(profile.paper);
        let mut times = Vec::with_capacity(rounds);
        let mut last = None;
        for _ in 0..rounds.max(1) {
            let t = Instant::now();
            let job = encode(&doc, &profile, strategy)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            last = Some(job);
        }
        let (bytes, download_bytes, glyphs) =
            last.map_or((0, 0, 0), |j| (j.bytes.len(), j.download_bytes, j.glyphs_downloaded));
        times.sort_by(f64::total_cmp);
        let build_ms = times.get(times.len() / 2).copied().unwrap_or(0.0);
        rows.push(BenchRow { strategy: name, profile: prof.to_owned(), bytes, build_ms, download_bytes, glyphs });
    }
    Ok(rows)
}

/// The JSON summary line of `motcua bench ticket`.
pub fn bench_json(rows: &[BenchRow]) -> serde_json::Value {
    let get = |s: &str| rows.iter().find(|r| r.strategy == s);
    serde_json::json!({
        "glyph_bytes": get("glyph").map_or(0, |r| r.bytes),
        "raster_bytes": get("raster").map_or(0, |r| r.bytes),
        "codepage_bytes": get("codepage").map_or(0, |r| r.bytes),
        "build_ms": get("glyph").map_or(0.0, |r| (r.build_ms * 1000.0).round() / 1000.0),
    })
}

/// `motcua bench ticket`.
pub fn run_bench_ticket(rounds: usize) -> Result<()> {
    let rows = bench_rows(rounds)?;
    println!("motcua bench ticket — standard sample ticket (80 mm), median of {rounds} builds");
    println!(
        "{:<10} {:<14} {:>8} {:>10} {:>10} {:>10}",
        "strategy", "profile", "bytes", "build ms", "s @9600", "s @115200"
    );
    for r in &rows {
        println!(
            "{:<10} {:<14} {:>8} {:>10.3} {:>10.3} {:>10.3}",
            r.strategy,
            r.profile,
            r.bytes,
            r.build_ms,
            r.bytes as f64 / 960.0,
            r.bytes as f64 / 11_520.0
        );
    }
    let glyph = rows.iter().find(|r| r.strategy == "glyph").map_or(0, |r| r.bytes);
    let build_ms = rows.iter().find(|r| r.strategy == "glyph").map_or(f64::MAX, |r| r.build_ms);
    if let Some(r) = rows.iter().find(|r| r.strategy == "glyph") {
        println!(
            "glyph path: {} bytes of ESC & downloads for {} glyphs + {} bytes of text, QR and cut",
            r.download_bytes,
            r.glyphs,
            r.bytes - r.download_bytes
        );
    }
    println!(
        "goal <= 1550 glyph bytes and < 5 ms (release build): {} ({glyph} bytes, {build_ms:.2} ms)",
        if glyph <= 1550 && build_ms < 5.0 { "met" } else { "NOT met" }
    );
    println!("{}", bench_json(&rows));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_ticket_file_is_the_encoder_output() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("t.bin");
        for name in ["generic-80", "generic-58", "epson-tm-t20", "kiosk-80"] {
            let n = write_sample_ticket(name, &out).expect("write");
            let p = Profile::by_name(name).expect("profile");
            let job = encode(&sample_ticket(p.paper), &p, Strategy::Auto).expect("encode");
            assert_eq!(std::fs::read(&out).expect("read"), job.bytes);
            assert_eq!(n, job.bytes.len());
        }
        assert!(write_sample_ticket("no-such", &out).is_err());
    }

    #[test]
    fn test_page_has_every_letter_and_prints_with_glyphs() {
        let (upper, lower) = vietnamese_letters();
        assert_eq!(lower.chars().filter(|c| !c.is_whitespace()).count(), 73);
        assert!(upper.contains('Ậ') && lower.contains('ự') && lower.contains('đ'));
        let p = Profile::by_name("generic-80").expect("profile");
        let job = encode(&test_page(p.paper, Strategy::Glyphs), &p, Strategy::Glyphs).expect("encode");
        let mut vp = motcua_escpos::virtual_printer::VirtualPrinter::new(p);
        vp.feed(&job.bytes);
        let text: String = vp.texts().concat();
        for c in lower.chars().chain(upper.chars()).filter(|c| !c.is_whitespace()) {
            assert!(text.contains(c), "{c} missing");
        }
    }

    #[test]
    fn bench_json_has_exactly_the_keys() {
        let rows = bench_rows(1).expect("bench");
        let json = bench_json(&rows);
        let keys: Vec<&String> = json.as_object().expect("object").keys().collect();
        assert_eq!(keys.len(), 4);
        for k in ["glyph_bytes", "raster_bytes", "codepage_bytes", "build_ms"] {
            assert!(json.get(k).is_some(), "{k}");
        }
        assert!(json["glyph_bytes"].as_u64().unwrap_or(0) > 0);
    }

    #[test]
    fn print_test_on_a_tcp_printer_confirms_every_strategy() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = std::thread::spawn(move || {
            let p = Profile::by_name("epson-tm-t20").expect("profile");
            let mut vp = motcua_escpos::virtual_printer::VirtualPrinter::new(p);
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    vp.feed(&buf[..n]);
                    let out = vp.take_output();
                    if s.write_all(&out).is_err() {
                        break;
                    }
                }
            }
            vp
        });
        run_print_test("epson-tm-t20", false, None, Some(&format!("tcp://{addr}"))).expect("print-test");
        let vp = server.join().expect("server");
        assert_eq!(vp.cuts(), 3, "one test page per strategy");
        assert!(vp.texts().iter().any(|t| t.contains("Glyphs")));
        assert!(vp.raster_bands() > 0);
    }

    #[test]
    fn serial_device_specs() {
        let c = serial_device("serial:/dev/ttyUSB0@115200:none").expect("serial");
        assert_eq!((c.path.as_str(), c.baud, c.flow_control), ("/dev/ttyUSB0", 115_200, FlowControl::None));
        let c = serial_device("/dev/ttyS0").expect("tty path");
        assert_eq!((c.baud, c.flow_control), (9600, FlowControl::Hardware));
        assert!(serial_device("/dev/usb/lp0").is_none());
        assert!(serial_device("tcp://10.0.0.5:9100").is_none());
    }

    #[test]
    fn status_in_plain_words() {
        assert_eq!(describe(&PrinterStatus::READY), "online, paper ok");
        let bad = PrinterStatus { online: false, paper: PaperLevel::Out, cover_open: true, cutter_error: false };
        assert_eq!(describe(&bad), "OFFLINE, paper OUT, cover OPEN");
    }
}

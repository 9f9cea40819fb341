//! The kiosk's QR camera end to end, headless: frames from the camera twin (PNG files of a
//! receipt held to the camera) are decoded on the device, the payload confirmed over two
//! frames, routed as a scan, and the dossier's status shown, with the live preview up.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use motcua_device::sim::SimPrinter;
use motcua_device::ticket::PaperWidth;
use motcua_kiosk_app::backend::{KioskContext, KioskSettings};
use motcua_kiosk_app::controllers::Screen;
use motcua_kiosk_app::headless::{HeadlessKiosk, SAMPLE_DOSSIER};
use motcua_kiosk_app::lookup::{DossierCache, DossierSource, Lookup, LookupError};
use motcua_kiosk_app::ui::LookupAdapter;
use slint::ComponentHandle;

struct Seeded;

impl DossierSource for Seeded {
    fn fetch(&self, code: &str, secret: &str) -> Result<serde_json::Value, LookupError> {
        motcua_central::CentralServer::seeded_dossiers()
            .into_iter()
            .find(|d| d.code == code && d.secret == secret)
            .map(|d| d.doc)
            .ok_or(LookupError::NotFound)
    }
}

/// A 640x480 grey frame with `text` as a QR code (6 px modules) on a mid-grey background.
/// An empty `text` gives a frame with no code.
fn qr_png(text: &str, path: &std::path::Path) {
    let code = qrcode::QrCode::new(if text.is_empty() { b"-".as_slice() } else { text.as_bytes() }).expect("qr");
    let n = code.width();
    let colors = code.to_colors();
    let (w, h, m) = (640usize, 480usize, 6usize);
    let mut px = vec![190u8; w * h];
    let size = (n + 8) * m;
    let (x0, y0) = ((w - size) / 2, (h - size) / 2);
    for y in 0..size {
        for x in 0..size {
            let (mx, my) = ((x / m) as isize - 4, (y / m) as isize - 4);
            let dark = !text.is_empty()
                && mx >= 0
                && my >= 0
                && (mx as usize) < n
                && (my as usize) < n
                && colors[my as usize * n + mx as usize] == qrcode::Color::Dark;
            px[(y0 + y) * w + x0 + x] = if dark {
                20
            } else if text.is_empty() {
                190
            } else {
                245
            };
        }
    }
    let file = std::fs::File::create(path).expect("png");
    let mut enc = png::Encoder::new(file, w as u32, h as u32);
    enc.set_color(png::ColorType::Grayscale);
    let mut wr = enc.write_header().expect("header");
    wr.write_image_data(&px).expect("data");
}

#[test]
fn a_receipt_held_to_the_camera_shows_its_status() {
    let frames = tempfile::tempdir().expect("tmp");
    let (code, secret) = SAMPLE_DOSSIER;
    // Half a second of an empty view, then the receipt.
    for i in 0..10 {
        qr_png("", &frames.path().join(format!("{i:04}.png")));
    }
    for i in 10..20 {
        let url = format!("https://dichvucong.example.gov.vn/tra-cuu?ma={code}&k={secret}");
        qr_png(&url, &frames.path().join(format!("{i:04}.png")));
    }
    let lookup = Lookup::new(Box::new(Seeded), DossierCache::in_memory().expect("cache"));
    let ctx = KioskContext {
        hub: Arc::new(NoHub),
        printer: Arc::new(Mutex::new(SimPrinter::new(PaperWidth::Mm80))),
        settings: KioskSettings::default(),
        lookup: Some(Arc::new(lookup)),
    };
    let kiosk = HeadlessKiosk::start(ctx).expect("kiosk");
    kiosk.tap("lookup", 0).expect("lookup");
    let cfg = motcua_kiosk_app::config::CameraSection {
        kind: "dir".into(),
        device: frames.path().to_string_lossy().into_owned(),
        fps: 20,
    };
    let worker = motcua_kiosk_app::camera::open(&cfg).expect("camera").expect("a camera");
    kiosk.attach_camera(worker).expect("attach");
    // The first frames: the live picture with its guide box, before the code is confirmed.
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(30));
        kiosk.advance(Duration::from_millis(100)).expect("advance");
    }
    assert!(kiosk.ui().global::<LookupAdapter>().get_has_preview(), "the live picture is up");
    assert!(kiosk.ui().global::<LookupAdapter>().get_r_code().is_empty(), "no code in view yet");
    kiosk.save_png(&std::env::temp_dir().join("kiosk-camera-preview.png")).expect("png");
    let deadline = Instant::now() + Duration::from_secs(20);
    let lookup = kiosk.ui().global::<LookupAdapter>();
    while lookup.get_r_code().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        kiosk.advance(Duration::from_millis(100)).expect("advance");
    }
    assert_eq!(kiosk.screen(), Screen::Lookup);
    assert_eq!(lookup.get_r_code(), code, "the status of the dossier on the receipt");
    assert!(lookup.get_has_preview(), "the live picture is shown");
    kiosk.save_png(&std::env::temp_dir().join("kiosk-camera-lookup.png")).expect("png");
}

struct NoHub;

impl motcua_kiosk_app::backend::HubClient for NoHub {
    fn catalog(&self) -> Result<motcua_hub::api::Catalog, motcua_kiosk_app::backend::BackendError> {
        Err(motcua_kiosk_app::backend::BackendError::Unreachable("no hub in this test".into()))
    }
    fn issue(
        &self,
        _req: &motcua_hub::api::IssueRequest,
    ) -> Result<motcua_hub::api::Ticket, motcua_kiosk_app::backend::BackendError> {
        Err(motcua_kiosk_app::backend::BackendError::Unreachable("no hub in this test".into()))
    }
    fn confirm(
        &self,
        _id: &str,
        _d: motcua_hub::api::Delivery,
    ) -> Result<motcua_hub::api::Ticket, motcua_kiosk_app::backend::BackendError> {
        Err(motcua_kiosk_app::backend::BackendError::Unreachable("no hub in this test".into()))
    }
}

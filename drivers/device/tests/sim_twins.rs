//! Every simulated twin, driven through its trait object like the kiosk drives real devices.

use motcua_device::audio::AudioOut;
use motcua_device::camera::{Camera, PixelFormat};
use motcua_device::id_card::{IdCardReader, split_status};
use motcua_device::keypad::{Key, KeyPress, Keypad};
use motcua_device::microphone::Microphone;
use motcua_device::printer::Printer;
use motcua_device::scanner::{CodeScanner, ScannedCode};
use motcua_device::sim::{
    DEFAULT_ATR, SimAudioOut, SimCamera, SimCodeScanner, SimIdCardReader, SimKeypad, SimMicrophone, SimPrinter,
};
use motcua_device::ticket::PaperWidth;
use motcua_device::{DeviceFamily, Error, ErrorKind};

const SELECT_MF: &[u8] = &[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00];
const SELECT_EMRTD: &[u8] = &[0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

#[test]
fn every_twin_reports_its_family_and_is_simulated() {
    let infos = [
        SimPrinter::new(PaperWidth::Mm80).info(),
        SimIdCardReader::new().info(),
        SimCodeScanner::new().info(),
        SimKeypad::new().info(),
        SimCamera::new(64, 48).info(),
        SimMicrophone::new().info(),
        SimAudioOut::new().info(),
    ];
    let families: Vec<DeviceFamily> = infos.iter().map(|i| i.family).collect();
    assert_eq!(
        families,
        [
            DeviceFamily::Printer,
            DeviceFamily::IdCardReader,
            DeviceFamily::CodeScanner,
            DeviceFamily::Keypad,
            DeviceFamily::Camera,
            DeviceFamily::Microphone,
            DeviceFamily::AudioOut,
        ]
    );
    assert!(infos.iter().all(|i| i.simulated && !i.name.is_empty()));
}

#[test]
fn id_card_reader_reports_presence_and_answers_select_mf() {
    let sim = SimIdCardReader::new();
    let h = sim.handle();
    let mut reader: Box<dyn IdCardReader> = Box::new(sim);
    assert_eq!(reader.poll_card().expect("poll"), None);
    assert!(matches!(reader.transmit(SELECT_MF), Err(Error::NoCard)));

    h.insert_default_card();
    let card = reader.poll_card().expect("poll").expect("card present");
    assert_eq!(card.atr, DEFAULT_ATR);
    assert_eq!(reader.transmit(SELECT_MF).expect("select"), [0x90, 0x00]);
    let resp = reader.transmit(SELECT_EMRTD).expect("select applet");
    assert_eq!(split_status(&resp), Some((&[][..], [0x6A, 0x82])));
    assert_eq!(h.transmitted(), [SELECT_MF.to_vec(), SELECT_EMRTD.to_vec()]);

    h.remove_card();
    assert_eq!(reader.poll_card().expect("poll"), None);
    assert_eq!(reader.transmit(SELECT_MF).expect_err("no card").kind(), ErrorKind::Disconnected);
}

#[test]
fn id_card_reader_uses_a_custom_responder_and_checks_apdus() {
    let sim = SimIdCardReader::new();
    let h = sim.handle();
    let mut reader: Box<dyn IdCardReader> = Box::new(sim);
    let mut calls = 0u8;
    h.insert_card(
        vec![0x3B, 0x00],
        Box::new(move |apdu: &[u8]| {
            calls += 1;
            if apdu[1] == 0xB0 {
                vec![calls, 0x90, 0x00]
            } else {
                vec![0x6D] // broken card: no full status word
            }
        }),
    );
    let read_binary = [0x00, 0xB0, 0x00, 0x00, 0x01];
    assert_eq!(reader.transmit(&read_binary).expect("read"), [1, 0x90, 0x00]);
    assert_eq!(reader.transmit(&read_binary).expect("read"), [2, 0x90, 0x00]);
    let err = reader.transmit(&[0x00, 0x20, 0x00, 0x00]).expect_err("short reply");
    assert_eq!(err.kind(), ErrorKind::Protocol);
    let err = reader.transmit(&[0x00, 0xA4]).expect_err("short command");
    assert_eq!(err.kind(), ErrorKind::Protocol);
    // The responder is still there after errors.
    assert_eq!(reader.transmit(&read_binary).expect("read"), [4, 0x90, 0x00]);
}

#[test]
fn card_pulled_during_an_exchange_loses_the_reply() {
    let sim = SimIdCardReader::new();
    let h = sim.handle();
    let h2 = h.clone();
    let mut reader: Box<dyn IdCardReader> = Box::new(sim);
    h.insert_card(
        DEFAULT_ATR.to_vec(),
        Box::new(move |_: &[u8]| {
            h2.remove_card();
            vec![0x90, 0x00]
        }),
    );
    assert!(matches!(reader.transmit(SELECT_MF), Err(Error::NoCard)));
    assert_eq!(reader.poll_card().expect("poll"), None);
}

#[test]
fn disconnected_reader_fails_every_call() {
    let sim = SimIdCardReader::new();
    let h = sim.handle();
    let mut reader: Box<dyn IdCardReader> = Box::new(sim);
    h.insert_default_card();
    h.set_connected(false);
    assert_eq!(reader.poll_card().expect_err("unplugged").kind(), ErrorKind::Disconnected);
    assert!(matches!(reader.transmit(SELECT_MF), Err(Error::Disconnected)));
}

#[test]
fn scanner_delivers_scanned_codes_in_order() {
    let sim = SimCodeScanner::new();
    let h = sim.handle();
    let mut scanner: Box<dyn CodeScanner> = Box::new(sim);
    assert_eq!(scanner.poll_code().expect("poll"), None);
    h.scan("000.00.12.H62-201105-0004|K7Q2");
    h.scan("Nguyễn Văn A");
    let code = |text: &str| ScannedCode { text: text.to_owned(), symbology: None };
    assert_eq!(scanner.poll_code().expect("poll"), Some(code("000.00.12.H62-201105-0004|K7Q2")));
    assert_eq!(scanner.poll_code().expect("poll"), Some(code("Nguyễn Văn A")));
    assert_eq!(scanner.poll_code().expect("poll"), None);
}

#[test]
fn scanner_reports_bad_bytes_once_and_carries_on() {
    let sim = SimCodeScanner::new();
    let h = sim.handle();
    let mut scanner: Box<dyn CodeScanner> = Box::new(sim);
    h.send_bytes(b"\xC3\x28\r\n");
    h.send_bytes(b"\xEF\xBB\xBFok");
    h.send_bytes(b"\n");
    let err = scanner.poll_code().expect_err("invalid utf-8");
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(scanner.poll_code().expect("poll").map(|c| c.text), Some("ok".to_owned()));
}

#[test]
fn unplugged_scanner_fails_and_loses_scans() {
    let sim = SimCodeScanner::new();
    let h = sim.handle();
    let mut scanner: Box<dyn CodeScanner> = Box::new(sim);
    h.set_connected(false);
    h.scan("lost");
    assert_eq!(scanner.poll_code().expect_err("unplugged").kind(), ErrorKind::Disconnected);
    h.set_connected(true);
    assert_eq!(scanner.poll_code().expect("poll"), None);
}

#[test]
fn keypad_reports_presses_with_sequence_numbers_and_keeps_leds_and_screen() {
    let sim = SimKeypad::new();
    let h = sim.handle();
    let mut keypad: Box<dyn Keypad> = Box::new(sim);
    assert_eq!(keypad.poll_key().expect("poll"), None);
    assert_eq!(h.press(Key::Next), Some(0));
    assert_eq!(h.press(Key::Rating(4)), Some(1));
    assert_eq!(keypad.poll_key().expect("poll"), Some(KeyPress { key: Key::Next, seq: 0 }));
    assert_eq!(keypad.poll_key().expect("poll"), Some(KeyPress { key: Key::Rating(4), seq: 1 }));
    keypad.set_leds(0b1011).expect("leds");
    assert_eq!(h.leds(), 0b1011);
    let lines = vec!["Mời số A023".to_owned(), "Quầy 3".to_owned()];
    keypad.show(&lines).expect("show");
    assert_eq!(h.screen(), lines);

    h.set_connected(false);
    assert_eq!(h.press(Key::Finish), None);
    assert_eq!(keypad.poll_key().expect_err("unplugged").kind(), ErrorKind::Disconnected);
    assert!(keypad.set_leds(0).is_err());
    assert!(keypad.show(&[]).is_err());
}

#[test]
fn camera_frames_are_deterministic_and_count_up() {
    let sim = SimCamera::new(320, 240);
    let h = sim.handle();
    let mut camera: Box<dyn Camera> = Box::new(sim);
    let f0 = camera.frame().expect("frame");
    let f1 = camera.frame().expect("frame");
    assert_eq!((f0.width, f0.height, f0.format), (320, 240, PixelFormat::Gray8));
    assert_eq!(f0.data.len(), 320 * 240);
    assert_eq!(SimCamera::read_counter(&f0), Some(0));
    assert_eq!(SimCamera::read_counter(&f1), Some(1));
    assert_ne!(f0, f1);
    assert_eq!(h.frames_taken(), 2);
    // Same size and counter → same pixels, from a fresh camera.
    let mut again = SimCamera::new(320, 240);
    assert_eq!(again.frame().expect("frame"), f0);
    h.set_connected(false);
    assert_eq!(camera.frame().expect_err("unplugged").kind(), ErrorKind::Disconnected);
}

#[test]
fn camera_clamps_absurd_sizes() {
    let mut tiny = SimCamera::new(0, 0);
    let f = tiny.frame().expect("frame");
    assert_eq!((f.width, f.height, f.data.len()), (1, 1, 1));
    assert_eq!(SimCamera::read_counter(&f), None);
    let huge = SimCamera::new(u32::MAX, 2);
    assert!(huge.info().name.contains("4096"));
}

#[test]
fn microphone_reads_a_440_hz_tone_at_16_khz() {
    let sim = SimMicrophone::new();
    let h = sim.handle();
    let mut mic: Box<dyn Microphone> = Box::new(sim);
    assert_eq!(mic.sample_rate(), 16_000);
    let mut buf = vec![0i16; 16_000];
    assert_eq!(mic.read(&mut buf).expect("read"), 16_000);
    // One second of 440 Hz crosses zero upwards 440 times.
    let rising = buf.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count();
    assert!((439..=441).contains(&rising), "{rising} rising crossings");
    assert!(buf.iter().any(|&s| s > 8000));
    // Reads continue the same waveform.
    let mut next = [0i16; 4];
    mic.read(&mut next).expect("read");
    assert_eq!(next[0], SimMicrophone::sample_at(16_000));
    assert_eq!(h.samples_read(), 16_004);
    assert_eq!(mic.read(&mut []).expect("empty read"), 0);
    h.set_connected(false);
    assert_eq!(mic.read(&mut next).expect_err("unplugged").kind(), ErrorKind::Disconnected);
}

#[test]
fn audio_out_records_what_was_played() {
    let sim = SimAudioOut::new();
    let h = sim.handle();
    let mut out: Box<dyn AudioOut> = Box::new(sim);
    out.play(&[0; 480], 48_000).expect("play");
    out.play(&[1, 2, 3], 16_000).expect("play");
    assert_eq!(h.played(), [(48_000, 480), (16_000, 3)]);
    assert_eq!(out.play(&[0; 10], 0).expect_err("rate 0").kind(), ErrorKind::Unsupported);
    h.set_connected(false);
    assert_eq!(out.play(&[0; 10], 16_000).expect_err("unplugged").kind(), ErrorKind::Disconnected);
    assert_eq!(h.played().len(), 2);
}

/// The kiosk's device set: every seam as a trait object.
struct Devices {
    printer: Box<dyn Printer>,
    reader: Box<dyn IdCardReader>,
    scanner: Box<dyn CodeScanner>,
    keypad: Box<dyn Keypad>,
    camera: Box<dyn Camera>,
    microphone: Box<dyn Microphone>,
    audio: Box<dyn AudioOut>,
}

#[test]
fn all_twins_move_to_a_driver_thread_as_trait_objects() {
    let mut devices = Devices {
        printer: Box::new(SimPrinter::new(PaperWidth::Mm58)),
        reader: Box::new(SimIdCardReader::new()),
        scanner: Box::new(SimCodeScanner::new()),
        keypad: Box::new(SimKeypad::new()),
        camera: Box::new(SimCamera::new(32, 2)),
        microphone: Box::new(SimMicrophone::new()),
        audio: Box::new(SimAudioOut::new()),
    };
    let worked = std::thread::spawn(move || {
        devices.printer.status().is_ok()
            && devices.reader.poll_card().is_ok()
            && devices.scanner.poll_code().is_ok()
            && devices.keypad.poll_key().is_ok()
            && devices.camera.frame().is_ok()
            && devices.microphone.read(&mut [0; 8]).is_ok()
            && devices.audio.play(&[0; 8], 16_000).is_ok()
    })
    .join()
    .expect("thread");
    assert!(worked);
}

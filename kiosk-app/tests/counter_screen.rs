//! The counter screen against a real hub (embedded, in a temp dir) through `LocalHub`: sign-in
//! with officer id and PIN, call, start, link a dossier code (a bad one refused with a reason),
//! finish, transfer, skip, sign out; the window's callbacks; and the screen rendered headless to
//! `docs/screens/counter-*.png`.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use motcua_hub::api::{IssueRequest, TicketStatus};
use motcua_hub::config::{Officer, pin_hash};
use motcua_hub::{Config, Hub, SystemClock};
use motcua_kiosk_app::counter_screen::controller::{Command, CounterScreen};
use motcua_kiosk_app::counter_screen::model::{CodeProblem, CounterView, CurrentStatus, Notice, RatingView};
use motcua_kiosk_app::counter_screen::{Typed, render_png, view};
use motcua_kiosk_app::hubclient::{LocalHub, RemoteHub};
use motcua_kiosk_app::ui::{CounterAdapter, CounterNotice, CounterWindow};
use slint::ComponentHandle;

const PIN: &str = "2468";
const CODE: &str = "000.00.12.H62-261103-0001";

fn hub(dir: &tempfile::TempDir) -> Hub {
    let mut cfg = Config::sample();
    cfg.officers.push(Officer {
        id: "cb01".into(),
        name: "Nguyễn Thị Lan".into(),
        pin_sha256: pin_hash("cb01", PIN),
        counters: vec![1, 2],
    });
    Hub::open(cfg, &dir.path().join("hub.db"), Arc::new(SystemClock)).expect("hub")
}

fn issue(hub: &Hub, field: &str, priority: Option<&str>) -> String {
    let req = IssueRequest {
        field_id: field.into(),
        priority_class: priority.map(str::to_owned),
        hold_for_print: false,
        citizen: None,
    };
    hub.blocking_issue("kiosk-1", &req).expect("issue").number
}

fn screens_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screens");
    std::fs::create_dir_all(&dir).expect("docs/screens");
    dir
}

fn current(v: &CounterView) -> Option<(String, CurrentStatus)> {
    v.current.as_ref().map(|c| (c.number.clone(), c.status))
}

#[test]
fn an_officer_signs_in_serves_links_a_dossier_finishes_and_transfers() {
    let dir = tempfile::tempdir().expect("tmp");
    let hub = hub(&dir);
    let mut screen = CounterScreen::new(LocalHub::new(hub.clone(), "counter-screen-1"), 1);
    let shots = screens_dir();
    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").expect("tz");
    let time = jiff::Timestamp::now().to_zoned(tz).strftime("%H:%M").to_string();

    let v = screen.handle(Command::Refresh);
    assert_eq!(v.officer, None);
    assert_eq!(v.counter_name, "Quầy 1");
    assert!(v.office_name.starts_with("UBND phường Bến Nghé"), "{}", v.office_name);
    let typed = Typed { officer: "cb01".into(), pin: PIN.into(), time: time.clone(), ..Typed::default() };
    render_png(&v, &typed, &shots.join("counter-1-sign-in.png")).expect("render sign-in");

    // Actions before sign-in never reach the hub.
    let a001 = issue(&hub, "ho-tich", None);
    assert_eq!(screen.handle(Command::CallNext).notice, Notice::SignInFirst);
    assert_eq!(hub.snapshot().waiting.len(), 1);

    // A wrong PIN is refused; the right one opens the counter.
    let v = screen.handle(Command::SignIn { officer_id: "cb01".into(), pin: "1111".into() });
    let typed = Typed { officer: "cb01".into(), time: time.clone(), ..Typed::default() };
    render_png(&v, &typed, &shots.join("counter-1b-sign-in-refused.png")).expect("render refused");
    assert_eq!((v.notice, v.officer, v.clear_pin), (Notice::SignInRefused, None, true));
    assert!(!hub.snapshot().counters[0].open);
    let v = screen.handle(Command::SignIn { officer_id: " cb01 ".into(), pin: PIN.into() });
    assert_eq!(v.notice, Notice::SignedIn);
    assert_eq!(v.officer.as_deref(), Some("cb01"));
    let state = hub.snapshot().counters.into_iter().find(|c| c.number == 1).expect("counter 1");
    assert!(state.open);
    assert_eq!(state.officer_id.as_deref(), Some("cb01"));

    // Who waits: this counter's field only, in call order (the elderly citizen first).
    let a002 = issue(&hub, "ho-tich", None);
    let a003 = issue(&hub, "ho-tich", Some("nguoi-cao-tuoi"));
    let _c001 = issue(&hub, "lao-dong", None);
    let v = screen.handle(Command::Refresh);
    assert_eq!(v.waiting_total, 3, "counter 1 serves ho-tich only");
    let order: Vec<&str> = v.waiting.iter().map(|w| w.number.as_str()).collect();
    assert_eq!(order, [a003.as_str(), a001.as_str(), a002.as_str()]);
    assert!(v.waiting[0].priority);
    assert_eq!(v.waiting[1].field_name, "Hộ tịch – Chứng thực");
    assert_eq!(v.current, None);
    render_png(&v, &Typed { time: time.clone(), ..Typed::default() }, &shots.join("counter-2-ready.png"))
        .expect("render ready");

    // Call, recall, start.
    let v = screen.handle(Command::CallNext);
    assert_eq!(v.notice, Notice::Called(a003.clone()));
    assert_eq!(current(&v), Some((a003.clone(), CurrentStatus::Called)));
    assert_eq!(v.waiting_total, 2);
    assert_eq!(screen.handle(Command::Recall).notice, Notice::Recalled(a003.clone()));
    // Calling again while someone is called is refused by the hub, with the number named.
    assert_eq!(screen.handle(Command::CallNext).notice, Notice::Busy(a003.clone()));
    let v = screen.handle(Command::Start);
    assert_eq!(v.notice, Notice::Started(a003.clone()));
    assert_eq!(current(&v), Some((a003.clone(), CurrentStatus::Serving)));

    // A mistyped dossier code is explained and never sent; a good one is linked.
    let v = screen.handle(Command::LinkDossier { code: "000.00.12.H62-261103-00".into() });
    assert_eq!(v.notice, Notice::BadCode(CodeProblem::TooShort { len: 23 }));
    assert!(v.notice.is_error());
    assert!(!v.clear_code, "the officer corrects the code, not retypes it");
    render_png(
        &v,
        &Typed { code: "000.00.12.H62-261103-00".into(), time: time.clone(), ..Typed::default() },
        &shots.join("counter-4-bad-code.png"),
    )
    .expect("render bad code");
    let v = screen.handle(Command::LinkDossier { code: "000.00.12.H62-261303-0001".into() });
    assert_eq!(v.notice, Notice::BadCode(CodeProblem::BadDate));
    let v = screen.handle(Command::LinkDossier { code: "00O.00.12.H62-261103-0001".into() });
    assert!(
        matches!(v.notice, Notice::BadCode(CodeProblem::Unexpected { position: 3, .. })),
        "letter O for a zero: {:?}",
        v.notice
    );
    assert_eq!(v.current.as_ref().and_then(|c| c.dossier_code.clone()), None, "nothing linked");
    let v = screen.handle(Command::LinkDossier { code: format!(" {} ", CODE.to_lowercase()) });
    assert_eq!(v.notice, Notice::DossierLinked(CODE.into()));
    assert!(v.clear_code);
    assert_eq!(v.current.as_ref().and_then(|c| c.dossier_code.clone()).as_deref(), Some(CODE));
    render_png(&v, &Typed { time: time.clone(), ..Typed::default() }, &shots.join("counter-3-serving.png"))
        .expect("render serving");

    let typed = Typed { time: time.clone(), transfer_open: true, ..Typed::default() };
    render_png(&v, &typed, &shots.join("counter-5-transfer.png")).expect("render transfer");

    // Finish: the rating window opens for the number just served.
    let v = screen.handle(Command::Finish);
    assert_eq!(v.notice, Notice::Finished(a003.clone()));
    assert_eq!(v.current, None);
    assert_eq!(v.rating, RatingView::Open { number: a003.clone() });

    // Transfer: A001 goes to the labour field's queue, off this counter.
    let v = screen.handle(Command::CallNext);
    assert_eq!(v.notice, Notice::Called(a001.clone()));
    let v = screen.handle(Command::Transfer { field_id: "lao-dong".into() });
    assert_eq!(
        v.notice,
        Notice::Transferred { number: a001.clone(), field: "Lao động – Thương binh và Xã hội".into() }
    );
    assert_eq!(v.current, None);
    let moved = hub.snapshot().waiting.into_iter().find(|t| t.number == a001).expect("A001 waits again");
    assert_eq!((moved.field_id.as_str(), moved.status), ("lao-dong", TicketStatus::Waiting));
    assert!(v.waiting.iter().all(|w| w.number != a001), "no longer this counter's");

    // Skip the last one; then nobody waits.
    assert_eq!(screen.handle(Command::CallNext).notice, Notice::Called(a002.clone()));
    let v = screen.handle(Command::Skip);
    assert_eq!(v.notice, Notice::Skipped(a002.clone()));
    assert_eq!(screen.handle(Command::CallNext).notice, Notice::NothingWaiting);
    assert_eq!(screen.handle(Command::Finish).notice, Notice::NoCurrent);

    // Sign out closes the counter; the screen asks for a sign-in again.
    let v = screen.handle(Command::SignOut);
    assert_eq!((v.notice, v.officer), (Notice::SignedOut, None));
    assert!(!hub.snapshot().counters[0].open);
}

#[test]
fn the_screen_works_over_the_hubs_lan_api() {
    let dir = tempfile::tempdir().expect("tmp");
    let hub = hub(&dir);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    rt.spawn(motcua_hub::server::serve(hub.clone(), listener, std::future::pending()));
    // The sample office's counter device, allowed at counter 1 only.
    let token = "change-me-counter-1-000000000000000";

    let mut screen = CounterScreen::new(RemoteHub::new(&url, token), 1);
    assert_eq!(screen.handle(Command::SignIn { officer_id: "cb01".into(), pin: PIN.into() }).notice, Notice::SignedIn);
    let number = issue(&hub, "ho-tich", None);
    let v = screen.handle(Command::Refresh);
    assert_eq!(v.waiting_total, 1, "GET /api/v1/queue");
    let v = screen.handle(Command::CallNext);
    assert_eq!(v.notice, Notice::Called(number.clone()));
    assert_eq!(current(&v), Some((number, CurrentStatus::Called)));

    // The same device at another counter: the hub refuses, and the screen says so.
    let mut other = CounterScreen::new(RemoteHub::new(&url, token), 2);
    let v = other.handle(Command::SignIn { officer_id: "cb01".into(), pin: PIN.into() });
    assert!(matches!(&v.notice, Notice::Refused(m) if m.contains("counter 2")), "{:?}", v.notice);
    assert_eq!(v.officer, None);

    // A wrong device token is said on screen, not hidden.
    let v = CounterScreen::new(RemoteHub::new(&url, "wrong"), 1).handle(Command::Refresh);
    assert!(matches!(v.notice, Notice::Refused(_)), "{:?}", v.notice);
    rt.shutdown_background();
}

#[test]
fn the_screen_signs_out_when_the_counter_is_closed_elsewhere() {
    let dir = tempfile::tempdir().expect("tmp");
    let hub = hub(&dir);
    let mut screen = CounterScreen::new(LocalHub::new(hub.clone(), "counter-screen-1"), 1);
    screen.handle(Command::SignIn { officer_id: "cb01".into(), pin: PIN.into() });
    LocalHub::new(hub.clone(), "supervisor").counter_action(1, motcua_hub::api::CounterAction::Close).expect("close");
    let v = screen.handle(Command::Refresh);
    assert_eq!((v.notice, v.officer), (Notice::ClosedElsewhere, None));
}

#[test]
fn window_callbacks_become_commands_and_views_fill_the_adapter() {
    let _clock = motcua_kiosk_app::headless::install().expect("headless");
    let ui = CounterWindow::new().expect("window");
    let sent: Rc<RefCell<Vec<Command>>> = Rc::default();
    let log = Rc::clone(&sent);
    view::wire(&ui, move |c| log.borrow_mut().push(c));
    let a = ui.global::<CounterAdapter>();
    a.invoke_sign_in("cb01".into(), PIN.into());
    a.invoke_call_next();
    a.invoke_transfer("dat-dai".into());
    a.invoke_link_dossier(CODE.into());
    assert_eq!(
        *sent.borrow(),
        [
            Command::SignIn { officer_id: "cb01".into(), pin: PIN.into() },
            Command::CallNext,
            Command::Transfer { field_id: "dat-dai".into() },
            Command::LinkDossier { code: CODE.into() },
        ]
    );

    // Live check of the code box: 1 incomplete, 2 complete, 3 cannot become a code.
    a.invoke_code_edited("000.00".into());
    assert_eq!(a.get_code_state(), 1);
    a.invoke_code_edited(CODE.into());
    assert_eq!(a.get_code_state(), 2);
    a.invoke_code_edited("000.0X".into());
    assert_eq!(a.get_code_state(), 3);

    // A view after a refused sign-in clears the PIN and says why, in red.
    a.set_pin_text(PIN.into());
    a.set_code_text("000.0X".into());
    let dir = tempfile::tempdir().expect("tmp");
    let hub = hub(&dir);
    let mut screen = CounterScreen::new(LocalHub::new(hub, "counter-screen-1"), 1);
    let v = screen.handle(Command::SignIn { officer_id: "cb01".into(), pin: "0".into() });
    view::show(&ui, &v);
    assert_eq!(a.get_pin_text(), "");
    assert_eq!(a.get_code_text(), "000.0X", "only a linked code clears the code box");
    assert_eq!(a.get_notice(), CounterNotice::SignInRefused);
    assert!(a.get_notice_error());
    assert!(!a.get_signed_in());
}

#[test]
fn the_worker_handles_commands_in_order_and_refreshes_when_idle() {
    let dir = tempfile::tempdir().expect("tmp");
    let hub = hub(&dir);
    let screen = CounterScreen::new(LocalHub::new(hub.clone(), "counter-screen-1"), 1);
    let (tx, rx) = std::sync::mpsc::sync_channel(8);
    let (views_tx, views) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        motcua_kiosk_app::counter_screen::drive(screen, &rx, std::time::Duration::from_millis(20), move |v| {
            views_tx.send(v).is_ok()
        });
    });
    let wait = std::time::Duration::from_secs(5);
    let first = views.recv_timeout(wait).expect("first view");
    assert_eq!(first.officer, None);
    tx.send(Command::SignIn { officer_id: "cb01".into(), pin: PIN.into() }).expect("send");
    let signed = views.recv_timeout(wait).expect("sign-in view");
    assert_eq!(signed.notice, Notice::SignedIn);

    // Nobody touches the screen; a ticket is issued at the kiosk: a refresh shows it.
    let number = issue(&hub, "ho-tich", None);
    let seen =
        (0..100).filter_map(|_| views.recv_timeout(wait).ok()).find(|v| v.waiting.iter().any(|w| w.number == number));
    assert!(seen.is_some(), "an idle refresh picks up the new ticket");

    drop(tx);
    worker.join().expect("the worker stops when the window's sender is gone");
}

#[test]
fn function_keys_act_while_the_dossier_box_has_the_focus() {
    use slint::platform::{Key, WindowEvent};
    let _clock = motcua_kiosk_app::headless::install().expect("headless");
    let ui = CounterWindow::new().expect("window");
    let sent: Rc<RefCell<Vec<Command>>> = Rc::default();
    let log = Rc::clone(&sent);
    view::wire(&ui, move |c| log.borrow_mut().push(c));
    let dir = tempfile::tempdir().expect("tmp");
    let hub = hub(&dir);
    let mut screen = CounterScreen::new(LocalHub::new(hub.clone(), "counter-screen-1"), 1);
    screen.handle(Command::SignIn { officer_id: "cb01".into(), pin: PIN.into() });
    issue(&hub, "ho-tich", None);
    view::show(&ui, &screen.handle(Command::Refresh));
    ui.show().expect("show");
    let press = |text: slint::SharedString| {
        ui.window().dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
        ui.window().dispatch_event(WindowEvent::KeyReleased { text });
    };

    // Typing goes into the dossier box (it has the focus after sign-in); F2 calls.
    press("0".into());
    press(Key::F2.into());
    assert_eq!(ui.global::<CounterAdapter>().get_code_text(), "0", "F2 typed nothing");
    assert_eq!(*sent.borrow(), [Command::CallNext]);

    // Called: F2 is off (the hub would refuse), F5 starts, F6 finishes.
    view::show(&ui, &screen.handle(Command::CallNext));
    press(Key::F2.into());
    press(Key::F5.into());
    press(Key::F6.into());
    assert_eq!(*sent.borrow(), [Command::CallNext, Command::Start, Command::Finish]);
    ui.hide().expect("hide");
}

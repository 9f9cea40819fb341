//! The take-a-number flow: field → (priority) → hub issues the ticket → printer → confirmation.
//!
//! Plain Rust: it talks to the hub and the printer through the seams of [`crate::backend`], runs
//! their blocking calls on tokio's blocking pool, and reports what to show as [`UiUpdate`]s. It
//! holds no Slint type, so it is unit-tested with a fake hub and the simulated printer.
//!
//! The ticket is printed in Vietnamese whatever the screen language (the paper carries its own
//! English lines); the screen shows data strings (field and class names) in the current language.
//! A failed print still shows the confirmation — with the number large and a "remember your
//! number" message — because the hub has issued the number and the citizen must not lose it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use motcua_device::printer::Printer;
use motcua_device::render::render;
use motcua_device::ticket::{PaperWidth, TicketData, queue_ticket};
use motcua_hub::api::{Catalog, Delivery, FieldInfo, IssueRequest, PriorityClassInfo, Ticket};

use super::identify::{ChipKeys, IdentifyError, IdentifyStage, IdentifyState, citizen_from_qr};
use super::{
    CitizenLine, ConfirmationView, Envelope, FieldItem, IdentifyAction, Lang, PriorityItem, Screen, Tagged,
    TicketImage, UiCommand, UiUpdate, UpdateSink,
};
use crate::backend::{BackendError, HubClient, KioskContext, KioskSettings};

/// Longest wait for one hub or printer call before the kiosk gives up and says so. The hub
/// clients have their own (shorter) timeouts; this one guards against a call that hangs anyway.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// What "Thử lại" repeats.
#[derive(Debug, Clone, PartialEq)]
enum Failed {
    Catalog,
    Issue(IssueRequest),
}

/// A ticket that reached the confirmation screen.
#[derive(Debug, Clone)]
struct Issued {
    ticket: Ticket,
    priority: Option<PriorityClassInfo>,
    printed: bool,
    image: Option<Arc<TicketImage>>,
    citizen: Option<CitizenLine>,
}

/// The controller of the take-a-number flow. Feed it commands with [`TakeNumber::handle`], or let
/// [`TakeNumber::run`] drain a channel.
pub struct TakeNumber {
    hub: Arc<dyn HubClient>,
    printer: Arc<Mutex<dyn Printer>>,
    settings: KioskSettings,
    paper: PaperWidth,
    lang: Lang,
    session: u64,
    screen: Screen,
    catalog: Option<Catalog>,
    field: Option<FieldInfo>,
    failed: Option<Failed>,
    issued: Option<Issued>,
    lookup_svc: Option<Arc<crate::lookup::Lookup>>,
    lookup: super::lookup::LookupState,
    answer: Option<crate::lookup::Answer>,
    identify: IdentifyState,
    /// Chip keys kept for "Thử lại" after a failed chip read.
    retry_keys: Option<ChipKeys>,
}

impl std::fmt::Debug for TakeNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TakeNumber")
            .field("lang", &self.lang)
            .field("session", &self.session)
            .field("screen", &self.screen)
            .finish_non_exhaustive()
    }
}

impl TakeNumber {
    /// A controller on the kiosk's hub, printer and settings. Tickets are laid out for 80 mm
    /// paper (a 58 mm printer re-wraps them).
    pub fn new(ctx: &KioskContext) -> Self {
        Self {
            hub: Arc::clone(&ctx.hub),
            printer: Arc::clone(&ctx.printer),
            settings: ctx.settings.clone(),
            paper: PaperWidth::Mm80,
            lang: default_lang(&ctx.settings),
            session: 0,
            screen: Screen::Home,
            catalog: None,
            field: None,
            failed: None,
            issued: None,
            lookup_svc: ctx.lookup.clone(),
            lookup: super::lookup::LookupState::default(),
            answer: None,
            identify: IdentifyState::default(),
            retry_keys: None,
        }
    }

    /// The language data strings are shown in now.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Handles commands until `shutdown` completes or every sender is dropped. A command being
    /// handled when `shutdown` completes is abandoned (its blocking call finishes in the pool).
    pub async fn run(
        mut self,
        mut commands: tokio::sync::mpsc::Receiver<Envelope>,
        sink: Arc<dyn UpdateSink>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            let env = tokio::select! {
                () = &mut shutdown => break,
                env = commands.recv() => env,
            };
            let Some(env) = env else { break };
            tokio::select! {
                () = &mut shutdown => break,
                () = self.handle_from(env.session, env.command, sink.as_ref()) => {}
            }
        }
        tracing::debug!("take-number controller stopped");
    }

    /// Handles a command sent in the UI's `session`: a newer session first ends the current one.
    pub async fn handle_from(&mut self, session: u64, cmd: UiCommand, sink: &dyn UpdateSink) {
        if session > self.session {
            self.session = session;
            self.end_session();
            if cmd != UiCommand::EndSession {
                // The EndSession of this session was lost; the UI still needs the reset data.
                self.send_office(sink);
                self.send_fields(false, sink);
            }
        }
        self.handle(cmd, sink).await;
    }

    fn end_session(&mut self) {
        self.lang = default_lang(&self.settings);
        self.screen = Screen::Home;
        self.field = None;
        self.failed = None;
        self.issued = None;
        self.lookup.reset();
        self.answer = None;
        // The citizen's identification is wiped with the visit (zeroed on drop).
        self.identify.reset();
        self.retry_keys = None;
    }

    /// Handles one command in the current session, sending what to show to `sink`.
    pub async fn handle(&mut self, cmd: UiCommand, sink: &dyn UpdateSink) {
        match &cmd {
            // A scan may be a CCCD QR: log its length only.
            UiCommand::Scanned(text) => tracing::debug!(len = text.len(), "ui command: scan"),
            other => tracing::debug!(cmd = ?other, "ui command"),
        }
        match cmd {
            UiCommand::Start => {
                if let Ok(catalog) = self.fetch_catalog().await {
                    self.catalog = Some(catalog);
                }
                self.send_office(sink);
            }
            UiCommand::OpenPicker => self.open_picker(sink).await,
            UiCommand::PickField(id) => self.pick_field(&id, sink).await,
            UiCommand::PickPriority(class) => {
                if let Some(field) = self.field.clone() {
                    let citizen = self.citizen_claim(class.as_deref());
                    let req =
                        IssueRequest { field_id: field.id, priority_class: class, hold_for_print: false, citizen };
                    self.issue(req, sink).await;
                } else {
                    // A stale tap (the session ended meanwhile): start over.
                    self.show(Screen::Picker, sink);
                }
            }
            UiCommand::Back => {
                if self.screen == Screen::Identify
                    && matches!(
                        self.identify.stage,
                        IdentifyStage::EnterCan | IdentifyStage::WaitQr | IdentifyStage::Failed(_)
                    )
                {
                    self.identify.clear_can();
                    self.retry_keys = None;
                    self.identify.stage = IdentifyStage::Choose;
                    self.send_identify(sink);
                    return;
                }
                let to = match self.screen {
                    Screen::Priority if self.settings.identify.is_some() => Screen::Identify,
                    Screen::Priority | Screen::Identify => Screen::Picker,
                    _ => Screen::Home,
                };
                if to == Screen::Home {
                    self.field = None;
                }
                if to == Screen::Picker {
                    self.identify.reset();
                    self.retry_keys = None;
                }
                if to == Screen::Identify && self.identify.citizen().is_none() {
                    self.identify.stage = IdentifyStage::Choose;
                }
                self.send_identify(sink);
                self.show(to, sink);
            }
            UiCommand::Identify(action) => self.identify_action(action, sink).await,
            UiCommand::OpenLookup => {
                self.lookup.reset();
                self.answer = None;
                self.send(UiUpdate::Lookup(self.lookup.view()), sink);
                self.show(Screen::Lookup, sink);
            }
            UiCommand::LookupKey(k) => {
                self.lookup.key(&k);
                self.send(UiUpdate::Lookup(self.lookup.view()), sink);
            }
            UiCommand::LookupBackspace => {
                self.lookup.backspace();
                self.send(UiUpdate::Lookup(self.lookup.view()), sink);
            }
            UiCommand::LookupFocus(f) => {
                self.lookup.focus(f);
                self.send(UiUpdate::Lookup(self.lookup.view()), sink);
            }
            UiCommand::LookupAgain => {
                self.lookup.reset();
                self.answer = None;
                self.send(UiUpdate::Lookup(self.lookup.view()), sink);
            }
            UiCommand::LookupSubmit => self.submit_lookup(sink).await,
            UiCommand::LookupPrint => self.print_slip(sink).await,
            UiCommand::Scanned(text) => self.scanned(&text, sink).await,
            UiCommand::Retry => match self.failed.take() {
                Some(Failed::Issue(req)) => self.issue(req, sink).await,
                Some(Failed::Catalog) | None => self.open_picker(sink).await,
            },
            UiCommand::SetLanguage(lang) => {
                self.lang = lang;
                self.resend_data(sink);
                if let Some(a) = &self.answer {
                    let v = crate::lookup::DossierView::from_answer(
                        a,
                        self.lang,
                        &self.settings.tz(),
                        jiff::Timestamp::now(),
                    );
                    self.lookup.answered(Ok(v));
                    self.send(UiUpdate::Lookup(self.lookup.view()), sink);
                }
            }
            UiCommand::EndSession => {
                self.end_session();
                // The UI cleared itself; it only needs the names in the default language.
                self.send_office(sink);
                self.send_fields(false, sink);
            }
            UiCommand::AdminStatus => self.admin_status(None, sink).await,
            UiCommand::AdminPrintTest => self.admin_print_test(sink).await,
            UiCommand::Sync(n) => self.send(UiUpdate::Synced(n), sink),
        }
    }

    /// The admin screen's status lines: printer status read now, and the hub's catalog.
    async fn admin_status(&mut self, message: Option<(String, bool)>, sink: &dyn UpdateSink) {
        let printer = Arc::clone(&self.printer);
        let status = blocking(move || match printer.lock() {
            Ok(mut p) => Ok((p.info(), p.status().map_err(|e| e.to_string()))),
            Err(_) => Err("printer lock poisoned".to_owned()),
        })
        .await;
        let hub = Arc::clone(&self.hub);
        let catalog = blocking(move || hub.catalog().map_err(|e| e.to_string())).await;
        let mut lines = Vec::new();
        lines.push(match status {
            Ok((info, Ok(s))) => super::admin::printer_line(&info.name, Some(&s)),
            Ok((info, Err(e))) => {
                tracing::warn!(error = %e, "admin: printer status not read");
                super::admin::printer_line(&info.name, None)
            }
            Err(e) => {
                tracing::warn!(error = %e, "admin: printer status not read");
                super::admin::printer_line("?", None)
            }
        });
        lines.push(super::admin::hub_line(catalog.as_ref().map(|c| c.fields.len()).map_err(String::as_str)));
        lines.push(super::admin::identify_line(self.settings.identify.is_some()));
        self.send(UiUpdate::Admin(super::admin::AdminView { status_lines: lines, message }), sink);
    }

    /// Prints a document off the async thread; `Err` says why it did not print.
    async fn print_doc(&self, doc: motcua_device::ticket::TicketDoc) -> Result<(), String> {
        let printer = Arc::clone(&self.printer);
        blocking(move || match printer.lock() {
            Ok(mut p) => p.print(&doc).map(|_| ()).map_err(|e| e.to_string()),
            Err(_) => Err("printer lock poisoned".to_owned()),
        })
        .await
    }

    /// Prints the admin test ticket and reports how it went, with a fresh status.
    async fn admin_print_test(&mut self, sink: &dyn UpdateSink) {
        let now = self.settings.now().strftime("%H:%M %d/%m/%Y").to_string();
        let doc = super::admin::test_ticket(self.paper, &now);
        self.send(UiUpdate::Busy(true), sink);
        let ok = self.print_doc(doc).await;
        self.send(UiUpdate::Busy(false), sink);
        let message = match &ok {
            Ok(()) => {
                tracing::info!("admin: test ticket printed");
                ("Đã in phiếu thử. / Test ticket printed.".to_owned(), false)
            }
            Err(e) => {
                tracing::warn!(error = %e, "admin: test ticket not printed");
                (format!("Không in được: {e} / Not printed: {e}"), true)
            }
        };
        self.admin_status(Some(message), sink).await;
    }

    fn send(&self, update: UiUpdate, sink: &dyn UpdateSink) {
        sink.send(Tagged { session: self.session, update });
    }

    fn show(&mut self, screen: Screen, sink: &dyn UpdateSink) {
        self.screen = screen;
        self.send(UiUpdate::Screen(screen), sink);
    }

    fn send_office(&self, sink: &dyn UpdateSink) {
        let name = self.catalog.as_ref().map(|c| self.lang.pick(&c.office.name_vi, &c.office.name_en).to_owned());
        self.send(UiUpdate::Office { name: name.unwrap_or_default() }, sink);
    }

    fn send_fields(&self, loading: bool, sink: &dyn UpdateSink) {
        let items = self
            .catalog
            .iter()
            .flat_map(|c| &c.fields)
            .map(|f| FieldItem {
                id: f.id.clone(),
                letter: f.letter.clone(),
                name: self.lang.pick(&f.name_vi, &f.name_en).to_owned(),
                waiting: f.waiting,
            })
            .collect();
        self.send(UiUpdate::Fields { items, loading }, sink);
    }

    fn send_priorities(&self, sink: &dyn UpdateSink) {
        let Some(field) = &self.field else { return };
        let items = self
            .catalog
            .iter()
            .flat_map(|c| &c.priority_classes)
            .map(|p| PriorityItem {
                id: p.id.clone(),
                name: self.lang.pick(&p.name_vi, &p.name_en).to_owned(),
                suggested: self.suggested_class().is_some_and(|s| s == p.id),
            })
            .collect();
        let field_name = self.lang.pick(&field.name_vi, &field.name_en).to_owned();
        self.send(UiUpdate::Priorities { field_name, items }, sink);
    }

    fn send_confirmation(&self, sink: &dyn UpdateSink) {
        let Some(issued) = &self.issued else { return };
        let t = &issued.ticket;
        let view = ConfirmationView {
            number: t.number.clone(),
            field_name: self.lang.pick(&t.field_name_vi, &t.field_name_en).to_owned(),
            priority_name: issued.priority.as_ref().map(|p| self.lang.pick(&p.name_vi, &p.name_en).to_owned()),
            people_ahead: t.people_ahead,
            wait: t.wait.map(|w| (w.min_minutes, w.max_minutes)),
            counters: t.counters.clone(),
            printed: issued.printed,
            image: issued.image.clone(),
            citizen: issued.citizen.clone(),
        };
        self.send(UiUpdate::Confirmation(view), sink);
    }

    /// Everything on screen that holds data strings, again, in the current language.
    fn resend_data(&self, sink: &dyn UpdateSink) {
        self.send_office(sink);
        self.send_fields(false, sink);
        self.send_priorities(sink);
        self.send_confirmation(sink);
        self.send_identify(sink);
    }

    async fn fetch_catalog(&self) -> Result<Catalog, String> {
        let hub = Arc::clone(&self.hub);
        match blocking(move || hub.catalog().map_err(|e| e.to_string())).await {
            Ok(c) => Ok(c),
            Err(e) => {
                tracing::warn!(error = %e, "catalog not available");
                Err(e)
            }
        }
    }

    async fn open_picker(&mut self, sink: &dyn UpdateSink) {
        self.field = None;
        // Show what we have at once; the waiting counts follow.
        self.send_fields(true, sink);
        self.show(Screen::Picker, sink);
        match self.fetch_catalog().await {
            Ok(catalog) => {
                self.catalog = Some(catalog);
                self.send_office(sink);
                self.send_fields(false, sink);
            }
            Err(_) if self.catalog.is_some() => {
                // Slightly old counts are better than no picker.
                self.send_fields(false, sink);
            }
            Err(_) => {
                self.failed = Some(Failed::Catalog);
                self.send_fields(false, sink);
                self.show(Screen::Error, sink);
            }
        }
    }

    async fn pick_field(&mut self, id: &str, sink: &dyn UpdateSink) {
        let Some(catalog) = &self.catalog else {
            self.open_picker(sink).await;
            return;
        };
        let Some(field) = catalog.fields.iter().find(|f| f.id == id).cloned() else {
            tracing::warn!(field = id, "tapped field is not in the catalog");
            return;
        };
        self.field = Some(field);
        if self.settings.identify.is_some() {
            self.identify.reset();
            self.retry_keys = None;
            self.send_identify(sink);
            self.show(Screen::Identify, sink);
        } else {
            self.after_identify(sink).await;
        }
    }

    /// The step after the (optional) identification: priority, or the ticket at once.
    async fn after_identify(&mut self, sink: &dyn UpdateSink) {
        let Some(field) = self.field.clone() else {
            self.show(Screen::Picker, sink);
            return;
        };
        let offer =
            self.settings.offer_priority && self.catalog.as_ref().is_some_and(|c| !c.priority_classes.is_empty());
        if offer {
            self.send_priorities(sink);
            self.show(Screen::Priority, sink);
        } else {
            let citizen = self.citizen_claim(None);
            let req = IssueRequest { field_id: field.id, priority_class: None, hold_for_print: false, citizen };
            self.issue(req, sink).await;
        }
    }

    async fn issue(&mut self, req: IssueRequest, sink: &dyn UpdateSink) {
        self.send(UiUpdate::Busy(true), sink);
        let hub = Arc::clone(&self.hub);
        // The hub holds the number until we say how the citizen got it: printed (counted as
        // issued) or shown on screen (valid, not counted). A kiosk that dies here leaves a
        // reservation the hub voids, never a phantom number in the queue.
        let issue_req = IssueRequest { hold_for_print: true, ..req.clone() };
        let ticket = match blocking(move || hub.issue(&issue_req).map_err(|e| e.to_string())).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, field = %req.field_id, "issuing a ticket failed");
                self.failed = Some(Failed::Issue(req));
                self.send(UiUpdate::Busy(false), sink);
                self.show(Screen::Error, sink);
                return;
            }
        };
        let priority = ticket.priority_class.as_ref().and_then(|id| {
            self.catalog.as_ref().and_then(|c| c.priority_classes.iter().find(|p| &p.id == id)).cloned()
        });
        let data = ticket_data(&ticket, self.catalog.as_ref(), priority.as_ref());
        let citizen = self.identify.citizen().map(|c| CitizenLine {
            name: c.display_name().to_owned(),
            masked_id: c.masked_id().to_owned(),
            verification: c.verification(),
        });
        let mut doc = queue_ticket(&data, self.paper);
        if let Some(c) = &citizen {
            add_citizen_line(&mut doc, &data, c);
        }
        let printer = Arc::clone(&self.printer);
        let printed = blocking(move || {
            let raster = render(&doc);
            let image = TicketImage { width: raster.width, height: raster.height, rgba: raster.to_rgba() };
            let outcome = match printer.lock() {
                Ok(mut p) => p.print(&doc).map_err(|e| e.to_string()),
                Err(_) => Err("printer lock poisoned".to_owned()),
            };
            Ok::<_, String>((outcome, image))
        })
        .await;
        let (printed, image) = match printed {
            Ok((Ok(outcome), image)) => {
                tracing::info!(number = %ticket.number, job = outcome.job_id, "ticket printed");
                (true, Some(Arc::new(image)))
            }
            Ok((Err(e), image)) => {
                tracing::warn!(number = %ticket.number, error = %e, "ticket not printed; shown on screen");
                (false, Some(Arc::new(image)))
            }
            Err(e) => {
                tracing::warn!(number = %ticket.number, error = %e, "printing did not finish; shown on screen");
                (false, None)
            }
        };
        let delivery = if printed { Delivery::Printed } else { Delivery::Screen };
        let hub = Arc::clone(&self.hub);
        let id = ticket.id.clone();
        let confirmed = blocking(move || {
            // A retried confirmation is harmless (the hub ignores a repeat), so retry a
            // hiccup on the LAN before giving up.
            let mut last = String::new();
            for attempt in 0..3u64 {
                match hub.confirm(&id, delivery) {
                    Ok(t) => return Ok(t),
                    Err(e @ BackendError::Refused { .. }) => return Err(e.to_string()),
                    Err(e) => last = e.to_string(),
                }
                std::thread::sleep(std::time::Duration::from_millis(300 * (attempt + 1)));
            }
            Err(last)
        })
        .await;
        let ticket = match confirmed {
            Ok(t) => t,
            Err(e) => {
                // The citizen may hold a printed number the hub will void: say so on screen
                // rather than pretend it is valid.
                tracing::error!(number = %ticket.number, error = %e, "hub did not take the ticket's confirmation");
                self.failed = Some(Failed::Issue(req));
                self.send(UiUpdate::Busy(false), sink);
                self.show(Screen::Error, sink);
                return;
            }
        };
        self.failed = None;
        let mut ticket = ticket;
        // The screen shows the kiosk's own copy (zeroed on drop); wipe the hub's echo.
        if let Some(mut c) = ticket.citizen.take() {
            zeroize::Zeroize::zeroize(&mut c.display_name);
            zeroize::Zeroize::zeroize(&mut c.masked_id);
        }
        self.issued = Some(Issued { ticket, priority, printed, image, citizen });
        self.send_confirmation(sink);
        self.send(UiUpdate::Busy(false), sink);
        self.show(Screen::Confirmation, sink);
    }
}

impl TakeNumber {
    /// A scan from a code scanner or the camera, routed by what it holds.
    async fn scanned(&mut self, text: &str, sink: &dyn UpdateSink) {
        use motcua_scanner::payload::{Payload, classify};
        match classify(text) {
            Payload::Receipt { .. } if self.screen == Screen::Identify => {
                tracing::info!("receipt scanned on the identify step: not a CCCD QR");
                self.identify.stage = IdentifyStage::Failed(IdentifyError::NotCccdQr);
                self.send_identify(sink);
            }
            Payload::Receipt { code, secret } => {
                self.answer = None;
                self.lookup.scanned(code.as_str(), secret.as_deref());
                self.send(UiUpdate::Lookup(self.lookup.view()), sink);
                if self.screen != Screen::Lookup {
                    self.show(Screen::Lookup, sink);
                }
                if self.lookup.complete().is_some() {
                    self.submit_lookup(sink).await;
                }
            }
            Payload::Cccd(qr) if self.screen == Screen::Identify => self.identify_qr(&qr, sink).await,
            Payload::Cccd(_) => {
                // Only the identify step uses a CCCD; the card's data is dropped here, never
                // logged.
                tracing::info!("CCCD QR scanned; not used on this screen");
            }
            Payload::Unknown(_) if self.screen == Screen::Identify => {
                tracing::info!("scan on the identify step is not a CCCD QR");
                self.identify.stage = IdentifyStage::Failed(IdentifyError::NotCccdQr);
                self.send_identify(sink);
            }
            Payload::Unknown(reason) => tracing::info!(%reason, "scan ignored"),
        }
    }

    async fn submit_lookup(&mut self, sink: &dyn UpdateSink) {
        let Some((code, secret)) = self.lookup.complete() else { return };
        let Some(svc) = self.lookup_svc.clone() else {
            self.lookup.answered(Err(super::LookupStage::Unavailable));
            self.send(UiUpdate::Lookup(self.lookup.view()), sink);
            return;
        };
        self.send(UiUpdate::Busy(true), sink);
        let now = jiff::Timestamp::now();
        let result = blocking(move || Ok(svc.status(&code, &secret, now))).await;
        let outcome = match result {
            Ok(Ok(answer)) => {
                let v = crate::lookup::DossierView::from_answer(&answer, self.lang, &self.settings.tz(), now);
                self.answer = Some(answer);
                Ok(v)
            }
            Ok(Err(crate::lookup::LookupError::NotFound)) => Err(super::LookupStage::NotFound),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "dossier lookup failed");
                Err(super::LookupStage::Unavailable)
            }
            Err(e) => {
                tracing::warn!(error = %e, "dossier lookup did not finish");
                Err(super::LookupStage::Unavailable)
            }
        };
        self.lookup.answered(outcome);
        self.send(UiUpdate::Lookup(self.lookup.view()), sink);
        self.send(UiUpdate::Busy(false), sink);
    }

    async fn print_slip(&mut self, sink: &dyn UpdateSink) {
        let Some(view) = self.lookup.result().cloned() else { return };
        let office = self.catalog.as_ref().map(|c| c.office.name_vi.clone()).unwrap_or_default();
        let printed_at = self.settings.now().strftime("%H:%M %d/%m/%Y").to_string();
        let doc = motcua_device::ticket::status_slip(&view.slip(&office, &printed_at), self.paper);
        self.send(UiUpdate::Busy(true), sink);
        let ok = self.print_doc(doc).await;
        if let Err(e) = &ok {
            tracing::warn!(error = %e, "status slip not printed");
        }
        self.lookup.slip_printed(ok.is_ok());
        self.send(UiUpdate::Lookup(self.lookup.view()), sink);
        self.send(UiUpdate::Busy(false), sink);
    }
}

impl TakeNumber {
    fn send_identify(&self, sink: &dyn UpdateSink) {
        let Some(svc) = &self.settings.identify else { return };
        self.send(UiUpdate::Identify(self.identify.view(svc.source.is_some())), sink);
    }

    /// The identified citizen for the hub: the birth year only with an age-based class.
    fn citizen_claim(&self, class: Option<&str>) -> Option<motcua_hub::api::CitizenClaim> {
        let by_age = class
            .and_then(|id| self.catalog.as_ref()?.priority_classes.iter().find(|p| p.id == id))
            .is_some_and(|p| p.min_age.is_some());
        self.identify.citizen().map(|c| c.claim(by_age))
    }

    /// The first priority class the identified citizen's age qualifies for.
    fn suggested_class(&self) -> Option<&str> {
        let c = self.identify.citizen()?;
        let today = self.settings.now();
        let age = c.age_on(today.year(), today.month(), today.day())?;
        self.catalog
            .as_ref()?
            .priority_classes
            .iter()
            .find(|p| p.min_age.is_some_and(|m| age >= m))
            .map(|p| p.id.as_str())
    }

    async fn identify_action(&mut self, action: IdentifyAction, sink: &dyn UpdateSink) {
        if self.screen != Screen::Identify {
            return;
        }
        let chip = self.settings.identify.as_ref().is_some_and(|s| s.source.is_some());
        match action {
            IdentifyAction::Chip if chip => {
                self.identify.clear_can();
                self.identify.stage = IdentifyStage::EnterCan;
                self.send_identify(sink);
            }
            IdentifyAction::Qr => {
                self.identify.stage = IdentifyStage::WaitQr;
                self.send_identify(sink);
            }
            IdentifyAction::Key(k) => {
                self.identify.key(&k);
                self.send_identify(sink);
            }
            IdentifyAction::Backspace => {
                self.identify.backspace();
                self.send_identify(sink);
            }
            IdentifyAction::SubmitCan if self.identify.stage == IdentifyStage::EnterCan => {
                match self.identify.take_keys() {
                    Some(keys) => self.read_chip(keys, sink).await,
                    // Fewer than 6 digits: the button is disabled; nothing to do.
                    None => self.send_identify(sink),
                }
            }
            IdentifyAction::Retry => match (self.identify.stage, self.retry_keys.take()) {
                (IdentifyStage::Failed(IdentifyError::NotCccdQr), _) => {
                    self.identify.stage = IdentifyStage::WaitQr;
                    self.send_identify(sink);
                }
                // A refused key or an altered chip would fail the same way: ask again instead.
                (IdentifyStage::Failed(e), Some(keys))
                    if !matches!(e, IdentifyError::AccessRefused | IdentifyError::Altered) =>
                {
                    self.read_chip(keys, sink).await;
                }
                _ => {
                    self.identify.clear_can();
                    self.identify.stage = if chip { IdentifyStage::EnterCan } else { IdentifyStage::Choose };
                    self.send_identify(sink);
                }
            },
            IdentifyAction::Accept if self.identify.citizen().is_some() => self.after_identify(sink).await,
            IdentifyAction::Skip => {
                self.identify.reset();
                self.retry_keys = None;
                self.after_identify(sink).await;
            }
            _ => {}
        }
    }

    async fn identify_qr(&mut self, qr: &motcua_cccd::proto::qr::QrData, sink: &dyn UpdateSink) {
        let Some(svc) = self.settings.identify.clone() else { return };
        match self.identify.stage {
            // Scanning the QR instead of typing the digits: it opens the chip (PACE, and BAC
            // with the dates it carries).
            IdentifyStage::EnterCan => match ChipKeys::from_qr(qr) {
                Some(keys) => self.read_chip(keys, sink).await,
                None => {
                    self.identify.stage = IdentifyStage::Failed(IdentifyError::NotCccdQr);
                    self.send_identify(sink);
                }
            },
            IdentifyStage::WaitCard | IdentifyStage::Reading => {}
            _ => {
                self.identify.identified(citizen_from_qr(qr, &svc.key));
                tracing::info!(source = "qr", "citizen identified");
                self.send_identify(sink);
            }
        }
    }

    /// Waits for the card and reads it on the blocking pool; the screen follows the progress.
    async fn read_chip(&mut self, keys: ChipKeys, sink: &dyn UpdateSink) {
        let Some(svc) = self.settings.identify.clone() else { return };
        self.identify.clear_can();
        self.identify.stage = IdentifyStage::WaitCard;
        self.send_identify(sink);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        let year = u16::try_from(self.settings.now().year()).unwrap_or(2000);
        let limit = svc.wait + Duration::from_secs(30);
        let task = tokio::task::spawn_blocking(move || {
            let r = svc.read(&keys, year, &|| {
                let _ = tx.send(());
            });
            (r, keys)
        });
        let deadline = tokio::time::sleep(limit);
        tokio::pin!(task, deadline);
        let mut progress_open = true;
        let outcome = loop {
            tokio::select! {
                biased;
                msg = rx.recv(), if progress_open => match msg {
                    Some(()) => {
                        self.identify.stage = IdentifyStage::Reading;
                        self.send_identify(sink);
                    }
                    None => progress_open = false,
                },
                r = &mut task => break r.ok(),
                () = &mut deadline => break None,
            }
        };
        match outcome {
            Some((Ok(read), _)) => {
                tracing::info!(source = "chip", access = ?read.access, "citizen identified");
                self.identify.identified(read.citizen);
                self.retry_keys = None;
            }
            Some((Err(e), keys)) => {
                tracing::info!(error = e.code(), "chip identification failed");
                self.retry_keys = Some(keys);
                self.identify.stage = IdentifyStage::Failed(e);
            }
            None => {
                tracing::warn!("chip identification did not finish in time");
                self.identify.stage = IdentifyStage::Failed(IdentifyError::Timeout);
            }
        }
        self.send_identify(sink);
    }
}

/// Adds the identified citizen's line under the number (and the priority line): name and
/// masked ID, nothing else.
fn add_citizen_line(doc: &mut motcua_device::ticket::TicketDoc, data: &TicketData, c: &CitizenLine) {
    use motcua_device::ticket::{Align, Block, TextStyle};
    let after = |b: &Block, prefix: &str| matches!(b, Block::Text { text, .. } if text.starts_with(prefix));
    let at = doc
        .blocks
        .iter()
        .rposition(|b| after(b, "Ưu tiên:"))
        .or_else(|| doc.blocks.iter().position(|b| after(b, &data.number)))
        .map_or(doc.blocks.len(), |i| i + 1);
    let text = motcua_device::ticket::nfc(&format!("{} · {}", c.name, c.masked_id));
    doc.blocks.insert(at, Block::Text { text, style: TextStyle::PLAIN.with_align(Align::Center) });
}

fn default_lang(settings: &KioskSettings) -> Lang {
    Lang::from_code(&settings.default_lang).unwrap_or_default()
}

/// Runs a blocking call on tokio's blocking pool, bounded by [`CALL_TIMEOUT`].
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, String> + Send + 'static) -> Result<T, String> {
    match tokio::time::timeout(CALL_TIMEOUT, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(r)) => r,
        Ok(Err(join)) => Err(format!("blocking call panicked: {join}")),
        Err(_) => Err(format!("no answer within {} s", CALL_TIMEOUT.as_secs())),
    }
}

/// "HH:MM DD/MM/YYYY" in the ticket's own offset (the office's), from its RFC 3339 time; the
/// input unchanged if it does not parse.
pub fn format_issued_at(rfc3339: &str) -> String {
    match rfc3339.parse::<jiff::civil::DateTime>() {
        Ok(dt) => dt.strftime("%H:%M %d/%m/%Y").to_string(),
        Err(e) => {
            tracing::warn!(value = rfc3339, error = %e, "issued_at is not RFC 3339");
            rfc3339.to_owned()
        }
    }
}

/// The printed ticket's content: Vietnamese names, whatever the screen language.
pub fn ticket_data(ticket: &Ticket, catalog: Option<&Catalog>, priority: Option<&PriorityClassInfo>) -> TicketData {
    TicketData {
        office_name: catalog.map(|c| c.office.name_vi.clone()).unwrap_or_default(),
        field_name: ticket.field_name_vi.clone(),
        number: ticket.number.clone(),
        priority: priority.map(|p| p.name_vi.clone()),
        people_ahead: ticket.people_ahead,
        wait: ticket.wait.map(|w| (w.min_minutes, w.max_minutes)),
        counters: ticket.counters.clone(),
        issued_at: format_issued_at(&ticket.issued_at),
        ticket_id: ticket.id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use motcua_device::printer::PaperLevel;
    use motcua_device::sim::SimPrinter;
    use motcua_hub::api::{OfficeInfo, TicketStatus, WaitRange};

    #[derive(Default)]
    struct FakeHub {
        issued: Mutex<Vec<IssueRequest>>,
        confirmed: Mutex<Vec<Delivery>>,
        fail_issue: std::sync::atomic::AtomicBool,
    }

    fn catalog() -> Catalog {
        Catalog {
            office: OfficeInfo {
                id: "o".into(),
                name_vi: "UBND phường Bến Nghé".into(),
                name_en: "Ben Nghe Ward".into(),
            },
            fields: vec![FieldInfo {
                id: "ho-tich".into(),
                letter: "A".into(),
                name_vi: "Hộ tịch – Chứng thực".into(),
                name_en: "Civil status".into(),
                counters: vec![1, 2],
                waiting: 3,
                counters_open: 2,
            }],
            priority_classes: vec![PriorityClassInfo {
                id: "nguoi-cao-tuoi".into(),
                name_vi: "Người cao tuổi".into(),
                name_en: "Elderly person".into(),
                min_age: Some(60),
            }],
            rating: Default::default(),
        }
    }

    impl HubClient for FakeHub {
        fn catalog(&self) -> Result<Catalog, BackendError> {
            Ok(catalog())
        }
        fn issue(&self, req: &IssueRequest) -> Result<Ticket, BackendError> {
            if self.fail_issue.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(BackendError::Unreachable("down".into()));
            }
            let mut v = self.issued.lock().map_err(|_| BackendError::Internal("poisoned".into()))?;
            v.push(req.clone());
            Ok(Ticket {
                id: "0190-ticket".into(),
                number: format!("A{:03}", v.len()),
                field_id: req.field_id.clone(),
                field_name_vi: "Hộ tịch – Chứng thực".into(),
                field_name_en: "Civil status".into(),
                priority_class: req.priority_class.clone(),
                status: TicketStatus::Waiting,
                service_day: "2026-11-23".into(),
                issued_at: "2026-11-23T08:46:05+07:00".into(),
                people_ahead: 3,
                counters: vec![1, 2],
                wait: Some(WaitRange { min_minutes: 10, max_minutes: 20 }),
                counter: None,
                dossier_code: None,
                session_id: None,
                citizen: None,
            })
        }
        fn confirm(&self, _ticket_id: &str, delivery: Delivery) -> Result<Ticket, BackendError> {
            self.confirmed.lock().map_err(|_| BackendError::Internal("poisoned".into()))?.push(delivery);
            let last = self.issued.lock().map_err(|_| BackendError::Internal("poisoned".into()))?.pop();
            let req =
                last.ok_or_else(|| BackendError::Refused { code: "unknown_ticket".into(), message: "".into() })?;
            // Issue it again to build the same ticket (same number).
            self.issue(&req)
        }
    }

    fn setup(offer_priority: bool) -> (TakeNumber, Arc<FakeHub>, motcua_device::sim::SimPrinterHandle) {
        let hub = Arc::new(FakeHub::default());
        let printer = SimPrinter::new(PaperWidth::Mm80);
        let handle = printer.handle();
        let settings = KioskSettings { offer_priority, ..KioskSettings::default() };
        let ctx = KioskContext { hub: hub.clone(), printer: Arc::new(Mutex::new(printer)), settings, lookup: None };
        (TakeNumber::new(&ctx), hub, handle)
    }

    fn updates(sink: &Mutex<Vec<Tagged>>) -> Vec<UiUpdate> {
        sink.lock().map(|mut v| v.drain(..).map(|t| t.update).collect()).unwrap_or_default()
    }

    fn confirmation(u: &[UiUpdate]) -> Option<&ConfirmationView> {
        u.iter().find_map(|u| match u {
            UiUpdate::Confirmation(c) => Some(c),
            _ => None,
        })
    }

    #[test]
    fn issued_at_is_formatted_hours_minutes_day_month_year() {
        assert_eq!(format_issued_at("2026-11-23T08:46:05+07:00"), "08:46 23/11/2026");
        assert_eq!(format_issued_at("2026-01-02T17:05:00.123+07:00"), "17:05 02/01/2026");
        assert_eq!(format_issued_at("not a time"), "not a time");
    }

    #[test]
    fn english_falls_back_to_vietnamese_when_a_name_is_missing() {
        assert_eq!(Lang::En.pick("Hộ tịch", ""), "Hộ tịch");
        assert_eq!(Lang::En.pick("Hộ tịch", "Civil status"), "Civil status");
        assert_eq!(Lang::from_code("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_code("fr"), None);
    }

    #[tokio::test]
    async fn field_then_priority_issues_once_prints_once_and_confirms() {
        let (mut c, hub, printer) = setup(true);
        let sink = Mutex::new(Vec::new());
        c.handle(UiCommand::OpenPicker, &sink).await;
        let u = updates(&sink);
        assert!(u.contains(&UiUpdate::Screen(Screen::Picker)));
        c.handle(UiCommand::PickField("ho-tich".into()), &sink).await;
        let u = updates(&sink);
        assert!(u.contains(&UiUpdate::Screen(Screen::Priority)), "{u:?}");
        assert!(hub.issued.lock().map(|v| v.is_empty()).unwrap_or(false));

        c.handle(UiCommand::PickPriority(Some("nguoi-cao-tuoi".into())), &sink).await;
        let u = updates(&sink);
        let issued = hub.issued.lock().map(|v| v.clone()).unwrap_or_default();
        assert_eq!(issued.len(), 1);
        assert_eq!(issued[0].field_id, "ho-tich");
        assert_eq!(issued[0].priority_class.as_deref(), Some("nguoi-cao-tuoi"));
        assert!(issued[0].hold_for_print, "the kiosk holds the number until it is printed");
        assert_eq!(hub.confirmed.lock().map(|v| v.clone()).unwrap_or_default(), [Delivery::Printed]);
        let jobs = printer.jobs();
        assert_eq!(jobs.len(), 1);
        assert!(jobs[0].doc.texts().any(|t| t.contains("A001")));
        assert!(jobs[0].doc.texts().any(|t| t.contains("08:46 23/11/2026")));
        let conf = confirmation(&u).cloned().unwrap_or_else(|| panic!("no confirmation in {u:?}"));
        assert_eq!(conf.number, "A001");
        assert!(conf.printed);
        assert_eq!(conf.wait, Some((10, 20)));
        assert_eq!(conf.priority_name.as_deref(), Some("Người cao tuổi"));
        assert!(conf.image.is_some());
        assert_eq!(u.last(), Some(&UiUpdate::Screen(Screen::Confirmation)));
        assert!(u.contains(&UiUpdate::Busy(true)) && u.contains(&UiUpdate::Busy(false)));
    }

    #[tokio::test]
    async fn without_priority_offer_a_field_tap_issues_directly() {
        let (mut c, hub, _printer) = setup(false);
        let sink = Mutex::new(Vec::new());
        c.handle(UiCommand::OpenPicker, &sink).await;
        c.handle(UiCommand::PickField("ho-tich".into()), &sink).await;
        let u = updates(&sink);
        assert!(!u.contains(&UiUpdate::Screen(Screen::Priority)));
        assert_eq!(hub.issued.lock().map(|v| v.len()).unwrap_or(0), 1);
        assert_eq!(u.last(), Some(&UiUpdate::Screen(Screen::Confirmation)));
    }

    #[tokio::test]
    async fn paper_out_still_confirms_the_number_as_not_printed() {
        let (mut c, hub, printer) = setup(false);
        printer.set_paper(PaperLevel::Out);
        let sink = Mutex::new(Vec::new());
        c.handle(UiCommand::OpenPicker, &sink).await;
        c.handle(UiCommand::PickField("ho-tich".into()), &sink).await;
        let u = updates(&sink);
        let conf = confirmation(&u).cloned().unwrap_or_else(|| panic!("no confirmation in {u:?}"));
        assert_eq!(conf.number, "A001");
        assert!(!conf.printed);
        assert!(printer.jobs().is_empty());
        let confirmed = hub.confirmed.lock().map(|v| v.clone()).unwrap_or_default();
        assert_eq!(confirmed, [Delivery::Screen], "shown on screen, not counted as issued");
    }

    #[tokio::test]
    async fn hub_failure_shows_the_error_and_retry_issues_again() {
        let (mut c, hub, _printer) = setup(false);
        let sink = Mutex::new(Vec::new());
        c.handle(UiCommand::OpenPicker, &sink).await;
        hub.fail_issue.store(true, std::sync::atomic::Ordering::SeqCst);
        c.handle(UiCommand::PickField("ho-tich".into()), &sink).await;
        let u = updates(&sink);
        assert_eq!(u.last(), Some(&UiUpdate::Screen(Screen::Error)));
        assert!(confirmation(&u).is_none());
        hub.fail_issue.store(false, std::sync::atomic::Ordering::SeqCst);
        c.handle(UiCommand::Retry, &sink).await;
        let u = updates(&sink);
        assert_eq!(u.last(), Some(&UiUpdate::Screen(Screen::Confirmation)));
        assert_eq!(hub.issued.lock().map(|v| v.len()).unwrap_or(0), 1);
    }

    #[tokio::test]
    async fn language_switch_resends_names_and_session_end_restores_the_default() {
        let (mut c, _hub, _printer) = setup(true);
        let sink = Mutex::new(Vec::new());
        c.handle(UiCommand::OpenPicker, &sink).await;
        c.handle(UiCommand::SetLanguage(Lang::En), &sink).await;
        let u = updates(&sink);
        assert!(u.contains(&UiUpdate::Office { name: "Ben Nghe Ward".into() }), "{u:?}");
        assert!(u.iter().any(
            |u| matches!(u, UiUpdate::Fields { items, .. } if items.first().is_some_and(|f| f.name == "Civil status"))
        ));
        c.handle_from(7, UiCommand::EndSession, &sink).await;
        assert_eq!(c.lang(), Lang::Vi);
        let tagged = sink.lock().map(|v| v.clone()).unwrap_or_default();
        assert!(tagged.iter().all(|t| t.session == 7));
        assert!(tagged.iter().any(|t| t.update == UiUpdate::Office { name: "UBND phường Bến Nghé".into() }));
    }
}

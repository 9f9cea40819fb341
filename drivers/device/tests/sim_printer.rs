//! The simulated printer: confirmed jobs are recorded, refused jobs leave no trace.

mod common;

use motcua_device::printer::{DeviceFamily, PaperLevel, Printer};
use motcua_device::sim::{SimPrinter, SimPrinterHandle};
use motcua_device::ticket::{PaperWidth, TicketDoc, queue_ticket};
use motcua_device::{Error, ErrorKind};

fn printer() -> (Box<dyn Printer>, SimPrinterHandle) {
    let p = SimPrinter::new(PaperWidth::Mm80);
    let h = p.handle();
    (Box::new(p), h)
}

fn ticket() -> TicketDoc {
    queue_ticket(&common::sample_ticket(), PaperWidth::Mm80)
}

#[test]
fn prints_and_records_the_job_when_ready() {
    let (mut p, h) = printer();
    let outcome = p.print(&ticket()).expect("printed");
    assert_eq!(outcome.job_id, 1);
    assert!(outcome.bytes_sent > 0);
    let jobs = h.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].job_id, 1);
    assert_eq!(jobs[0].doc, ticket());
    assert_eq!(jobs[0].raster.width, 576);
    assert_eq!(h.last_raster(), Some(jobs[0].raster.clone()));
}

#[test]
fn job_ids_increase() {
    let (mut p, h) = printer();
    let a = p.print(&ticket()).expect("first").job_id;
    let b = p.print(&ticket()).expect("second").job_id;
    assert!(b > a);
    assert_eq!(h.jobs().len(), 2);
}

#[test]
fn paper_near_end_still_prints_and_status_reports_it() {
    let (mut p, h) = printer();
    h.set_paper(PaperLevel::NearEnd);
    assert!(p.print(&ticket()).is_ok());
    assert_eq!(h.jobs().len(), 1);
    let status = p.status().expect("status");
    assert_eq!(status.paper, PaperLevel::NearEnd);
    assert!(status.online);
}

#[test]
fn paper_out_refuses_and_records_nothing() {
    let (mut p, h) = printer();
    h.set_paper(PaperLevel::Out);
    let err = p.print(&ticket()).expect_err("no paper");
    assert!(matches!(err, Error::PaperOut));
    assert_eq!(err.kind(), ErrorKind::Hardware);
    assert!(h.jobs().is_empty());
    assert!(h.last_raster().is_none());
    let status = p.status().expect("status");
    assert!(!status.online);
    assert_eq!(status.paper, PaperLevel::Out);
}

#[test]
fn cover_open_refuses_and_records_nothing() {
    let (mut p, h) = printer();
    h.set_cover_open(true);
    assert!(matches!(p.print(&ticket()), Err(Error::CoverOpen)));
    assert!(h.jobs().is_empty());
    assert!(p.status().expect("status").cover_open);
    h.set_cover_open(false);
    assert!(p.print(&ticket()).is_ok());
    assert_eq!(h.jobs().len(), 1);
}

#[test]
fn cutter_error_refuses_and_records_nothing() {
    let (mut p, h) = printer();
    h.set_cutter_error(true);
    assert!(matches!(p.print(&ticket()), Err(Error::CutterError)));
    assert!(h.jobs().is_empty());
    assert!(p.status().expect("status").cutter_error);
}

#[test]
fn disconnected_printer_refuses_print_and_status() {
    let (mut p, h) = printer();
    h.set_connected(false);
    let err = p.print(&ticket()).expect_err("yanked cable");
    assert_eq!(err.kind(), ErrorKind::Disconnected);
    assert_eq!(p.status().expect_err("yanked cable").kind(), ErrorKind::Disconnected);
    assert!(h.jobs().is_empty());
    h.set_connected(true);
    assert_eq!(p.print(&ticket()).expect("reconnected").job_id, 1);
}

#[test]
fn refused_jobs_do_not_consume_job_ids() {
    let (mut p, h) = printer();
    h.set_paper(PaperLevel::Out);
    assert!(p.print(&ticket()).is_err());
    h.set_paper(PaperLevel::Ok);
    assert_eq!(p.print(&ticket()).expect("printed").job_id, 1);
}

#[test]
fn document_for_other_paper_is_printed_at_the_printer_width() {
    let mut p = SimPrinter::new(PaperWidth::Mm58);
    let h = p.handle();
    p.print(&ticket()).expect("printed");
    assert_eq!(h.last_raster().map(|r| r.width), Some(384));
    assert_eq!(h.jobs()[0].doc.paper, PaperWidth::Mm80);
}

#[test]
fn info_says_simulated_printer() {
    let (p, _) = printer();
    let info = p.info();
    assert_eq!(info.family, DeviceFamily::Printer);
    assert!(info.simulated);
    assert!(info.name.contains("80 mm"));
}

#[test]
fn handle_works_from_another_thread() {
    let (mut p, h) = printer();
    let h2 = h.clone();
    std::thread::spawn(move || h2.set_paper(PaperLevel::Out)).join().expect("thread");
    assert!(p.print(&ticket()).is_err());
    let printer_thread = std::thread::spawn(move || p.print(&TicketDoc::new(PaperWidth::Mm80)));
    assert!(printer_thread.join().expect("thread").is_err());
}

//! Prints a sample queue ticket on the simulated printer and writes the paper as a PNG.
//!
//! `cargo run -p motcua-device --example ticket_sample -- [OUT.png] [58]`
//! (default `/tmp/ticket-sample.png`, 80 mm paper; pass `58` for a 58 mm roll).

use motcua_device::printer::Printer;
use motcua_device::sim::SimPrinter;
use motcua_device::ticket::{PaperWidth, TicketData, queue_ticket};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "/tmp/ticket-sample.png".to_owned());
    let paper = match args.next().as_deref() {
        Some("58") => PaperWidth::Mm58,
        _ => PaperWidth::Mm80,
    };
    let data = TicketData::sample();
    let mut printer = SimPrinter::new(paper);
    let handle = printer.handle();
    printer.print(&queue_ticket(&data, paper))?;
    let raster = handle.last_raster().ok_or("the printer recorded no job")?;
    std::fs::write(&out, raster.to_png()?)?;
    println!("{}×{} dots → {out}", raster.width, raster.height);
    Ok(())
}

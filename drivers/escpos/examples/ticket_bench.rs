//! Build time of the standard sample ticket per strategy, without the kiosk app:
//! `cargo run --release -p motcua-escpos --example ticket_bench`.

use std::time::Instant;

use motcua_device::ticket::{TicketData, queue_ticket};
use motcua_escpos::{Profile, Strategy, encode};

fn main() -> Result<(), motcua_escpos::Error> {
    let data = TicketData::sample();
    for (prof, strategy) in
        [("generic-80", Strategy::Glyphs), ("generic-80", Strategy::Raster), ("epson-tm-t20", Strategy::CodePage)]
    {
        let Some(profile) = Profile::by_name(prof) else { continue };
        let doc = queue_ticket(&data, profile.paper);
        let t = Instant::now();
        let first = encode(&doc, &profile, strategy)?;
        let cold = t.elapsed().as_secs_f64() * 1000.0;
        let mut times: Vec<f64> = (0..201)
            .map(|_| {
                let t = Instant::now();
                let _ = encode(&doc, &profile, strategy);
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "{strategy:?} on {prof}: {} bytes, first build {cold:.3} ms, median {:.3} ms",
            first.bytes.len(),
            times[times.len() / 2]
        );
    }
    Ok(())
}

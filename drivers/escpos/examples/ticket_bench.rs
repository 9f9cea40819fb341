//! Build time of the standard sample ticket per strategy, without the kiosk app:
//! `cargo run --release -p motcua-escpos --example ticket_bench`.

use std::time::Instant;

use motcua_device::ticket::{TicketData, queue_ticket};
use motcua_escpos::{Profile, Strategy, encode};

fn main() -> Result<(), motcua_escpos::Error> {
    let data = TicketData {
        office_name: "UBND phường Bến Nghé".to_owned(),
        field_name: "Hộ tịch – Chứng thực".to_owned(),
        number: "A023".to_owned(),
        priority: Some("Người cao tuổi".to_owned()),
        people_ahead: 4,
        wait: Some((10, 20)),
        counters: vec![1, 2],
        issued_at: "08:46 23/11/2026".to_owned(),
        ticket_id: "0193a4f2-7c1e-7b3a-9d4e-2f6a8b1c0d23".to_owned(),
    };
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

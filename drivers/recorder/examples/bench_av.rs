//! `cargo run --release -p motcua-recorder --example bench_av -- 60`
//!
//! Records N seconds (default 60) of 640x480/15 fps MJPEG + 16 kHz mono from file sources in
//! real time; prints a table, then one JSON line with `cpu_pct` and `rss_mb`.

fn main() -> std::process::ExitCode {
    let seconds = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(60);
    match motcua_recorder::bench_av(seconds) {
        Ok(r) => {
            print!("{}", r.table());
            println!("{}", r.json());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench av failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

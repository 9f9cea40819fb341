//! Decodes a QR corpus (`make_corpus.py` output) and prints a table, then one JSON line.
//! `cargo run --release -p motcua-qr --example bench_qr -- /tmp/qrcorpus`

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: bench_qr DIR");
        std::process::exit(2);
    };
    match motcua_qr::bench::run(std::path::Path::new(&dir)) {
        Ok(r) => {
            print!("{}", r.table());
            println!("{}", r.json());
        }
        Err(e) => {
            eprintln!("bench_qr: {e}");
            std::process::exit(1);
        }
    }
}

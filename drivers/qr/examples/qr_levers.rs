//! Compares decoder chains on one or more corpora (`make_corpus.py` output): the tool behind the
//! lever measurements in the README.
//!
//! `cargo run --release -p motcua-qr --example qr_levers -- [OPTIONS] CHAIN DIR...`
//!
//! CHAIN is a comma-separated list of passes, each `b<block>:<k>:<min_range>:<delta>` (block
//! statistics; `b8:2:24:0` is zxing's hybrid binariser) or `s<radius>:<gain/4>:<block>:<k>:<delta>[:<min_range>]`
//! (unsharp mask, then block statistics), with a trailing `i` to also try the inverted image and `c` to let zxing's classic
//! detector try too;
//! `default` is the shipped chain, `none` decodes nothing (a baseline for
//! `perf stat -e instructions`, which load on the machine does not disturb). Options: `--classic-min N` (0 = off), `--levels a,b`
//! (grey re-sampling levels, empty = off), `--halve-from W`, `--halved-passes N`, `--missed` (list missed files), `--slowest N` (list the N slowest frames), `--repeat N` (per-frame minimum CPU time
//! over N runs).

use motcua_qr::{Binarizer, DecoderConfig, Pass};

fn parse_pass(p: &str) -> Result<Pass, String> {
    let flags = p.len() - p.trim_end_matches(['i', 'c']).len();
    let (p, flags) = p.split_at(p.len() - flags);
    let (inverted, classic) = (flags.contains('i'), flags.contains('c'));
    let nums =
        |s: &str| s.split(':').map(|x| x.parse::<u8>().map_err(|e| format!("{p}: {e}"))).collect::<Result<Vec<_>, _>>();
    let binarizer = match (p.get(..1), p.get(1..).map(nums)) {
        (Some("b"), Some(Ok(v))) if v.len() == 4 => {
            Binarizer::BlockMean { block: v[0], k: v[1], min_range: v[2], delta: v[3] }
        }
        (Some("s"), Some(Ok(v))) if v.len() == 5 || v.len() == 6 => Binarizer::Sharpened {
            radius: v[0],
            gain_q2: v[1],
            block: v[2],
            k: v[3],
            delta: v[4],
            min_range: v.get(5).copied().unwrap_or(0),
        },
        _ => return Err(format!("bad pass {p:?}")),
    };
    Ok(Pass { binarizer, inverted, classic })
}

fn main() -> Result<(), String> {
    let mut cfg = DecoderConfig::default();
    let mut args = std::env::args().skip(1);
    let mut chain = None;
    let mut dirs = Vec::new();
    let mut missed = false;
    let mut slowest = 0usize;
    let mut repeat = 1usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--classic-min" => {
                let n: usize = args.next().ok_or("--classic-min N")?.parse().map_err(|e| format!("{e}"))?;
                cfg.classic_min_finders = (n > 0).then_some(n);
            }
            "--levels" => {
                let v = args.next().ok_or("--levels a,b")?;
                cfg.resample_levels = v
                    .split(',')
                    .filter(|x| !x.is_empty())
                    .map(|x| x.parse().map_err(|e| format!("{e}")))
                    .collect::<Result<_, String>>()?;
            }
            "--halve-from" => {
                cfg.halve_from_width = args.next().ok_or("--halve-from W")?.parse().map_err(|e| format!("{e}"))?
            }
            "--halved-passes" => {
                cfg.halved_passes = args.next().ok_or("--halved-passes N")?.parse().map_err(|e| format!("{e}"))?
            }
            "--missed" => missed = true,
            "--repeat" => repeat = args.next().ok_or("--repeat N")?.parse().map_err(|e| format!("{e}"))?,
            "--slowest" => slowest = args.next().ok_or("--slowest N")?.parse().map_err(|e| format!("{e}"))?,
            _ if chain.is_none() => chain = Some(a),
            _ => dirs.push(a),
        }
    }
    let chain = chain.ok_or("usage: qr_levers [OPTIONS] CHAIN DIR...")?;
    if chain == "none" {
        cfg.passes.clear();
    } else if chain != "default" {
        cfg.passes = chain.split(',').map(parse_pass).collect::<Result<_, _>>()?;
    }
    for d in &dirs {
        let mut dec = motcua_qr::Decoder::with_config(cfg.clone());
        let mut r = motcua_qr::bench::run_with(std::path::Path::new(d), &mut dec).map_err(|e| e.to_string())?;
        // Per-frame minimum over repeated runs: CPU time with the noise of a busy machine filtered out.
        for _ in 1..repeat {
            let again = motcua_qr::bench::run_with(std::path::Path::new(d), &mut dec).map_err(|e| e.to_string())?;
            r.cpu_ms.iter_mut().zip(&again.cpu_ms).for_each(|(a, b)| *a = a.min(*b));
        }
        let levels: Vec<String> = r.by_level.values().map(|(a, _)| a.to_string()).collect();
        println!(
            "{chain:32} {d:20} {:3} [{}] wrong {} median {:.3} p95 {:.3}",
            r.decoded,
            levels.join("/"),
            r.wrong,
            r.cpu_ms_median(),
            r.cpu_ms_p95()
        );
        if slowest > 0 {
            let truth =
                std::fs::read_to_string(std::path::Path::new(d).join("truth.tsv")).map_err(|e| e.to_string())?;
            let files: Vec<&str> = truth.lines().filter_map(|l| l.split('\t').next()).collect();
            let mut idx: Vec<usize> = (0..r.cpu_ms.len()).collect();
            idx.sort_by(|&a, &b| r.cpu_ms[b].total_cmp(&r.cpu_ms[a]));
            let s: Vec<String> = idx
                .iter()
                .take(slowest)
                .map(|&i| format!("{} {:.2}", files.get(i).unwrap_or(&"?"), r.cpu_ms[i]))
                .collect();
            println!("  slowest: {}", s.join(", "));
        }
        if missed {
            println!("  missed: {}", r.missed_files.join(" "));
        }
    }
    Ok(())
}

//! `motcua bench qr DIR`: decodes every frame listed in `DIR/truth.tsv` (columns: file, payload,
//! level; as written by `shared/bench/qr/make_corpus.py`) on the calling thread and reports how
//! many were decoded right, how many wrong, per level, and the CPU time per frame (thread CPU
//! clock, decode only: PNG loading is not timed).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::{Decoder, Error, Scan, image::load_png, payload::nfc};

/// The figures of one bench run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// Frames listed.
    pub total: usize,
    /// Frames whose decoded text equals the truth.
    pub decoded: usize,
    /// Frames that decoded to something else (or to a rejected code).
    pub wrong: usize,
    /// Per level: (decoded, total).
    pub by_level: BTreeMap<String, (usize, usize)>,
    /// CPU time per frame, milliseconds, in file order.
    pub cpu_ms: Vec<f64>,
    /// Frames that decoded wrong: (file, what came out).
    pub wrong_files: Vec<(String, String)>,
    /// Frames with no code found.
    pub missed_files: Vec<String>,
}

impl BenchReport {
    /// Median CPU milliseconds per frame.
    pub fn cpu_ms_median(&self) -> f64 {
        percentile(&self.cpu_ms, 0.5)
    }

    /// 95th percentile of CPU milliseconds per frame.
    pub fn cpu_ms_p95(&self) -> f64 {
        percentile(&self.cpu_ms, 0.95)
    }

    /// A table for people.
    pub fn table(&self) -> String {
        let mut s = String::from("level  decoded/total\n");
        for (level, (d, t)) in &self.by_level {
            s += &format!("{level:>5}  {d:>7}/{t}\n");
        }
        s += &format!("  all  {:>7}/{}  wrong {}\n", self.decoded, self.total, self.wrong);
        let max = self.cpu_ms.iter().copied().fold(0.0, f64::max);
        s += &format!(
            "CPU ms/frame: median {:.3}  p95 {:.3}  max {:.3}\n",
            self.cpu_ms_median(),
            self.cpu_ms_p95(),
            max
        );
        s
    }

    /// One JSON object: total, decoded, wrong, by_level ("0", "1", "2" → decoded count),
    /// cpu_ms_median, cpu_ms_p95.
    pub fn json(&self) -> String {
        let by_level: serde_json::Map<String, serde_json::Value> =
            self.by_level.iter().map(|(k, (d, _))| (k.clone(), serde_json::Value::from(*d))).collect();
        serde_json::json!({
            "total": self.total,
            "decoded": self.decoded,
            "wrong": self.wrong,
            "by_level": by_level,
            "cpu_ms_median": round3(self.cpu_ms_median()),
            "cpu_ms_p95": round3(self.cpu_ms_p95()),
        })
        .to_string()
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Nearest-rank percentile (`q` in 0..=1); 0 for no samples.
fn percentile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}

/// CPU time consumed by the calling thread so far.
#[allow(unsafe_code)]
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, exclusively borrowed timespec that clock_gettime fills in; the
    // clock id is a constant the C library defines, so the call has no other preconditions.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs the bench with the default decoder.
pub fn run(dir: &Path) -> Result<BenchReport, Error> {
    run_with(dir, &mut Decoder::new())
}

/// Runs the bench with a given decoder (to compare chains).
pub fn run_with(dir: &Path, decoder: &mut Decoder) -> Result<BenchReport, Error> {
    let truth_path = dir.join("truth.tsv");
    let truth =
        std::fs::read_to_string(&truth_path).map_err(|e| Error::Io(format!("{}: {e}", truth_path.display())))?;
    let mut report = BenchReport {
        total: 0,
        decoded: 0,
        wrong: 0,
        by_level: BTreeMap::new(),
        cpu_ms: Vec::new(),
        wrong_files: Vec::new(),
        missed_files: Vec::new(),
    };
    for (n, line) in truth.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(file), Some(want), Some(level)) = (cols.next(), cols.next(), cols.next()) else {
            return Err(Error::Bench(format!("{}:{}: expected file, payload, level", truth_path.display(), n + 1)));
        };
        let frame = load_png(&dir.join(file))?;
        let t0 = thread_cpu_time();
        let scan = decoder.decode(frame.luma());
        let dt = thread_cpu_time().saturating_sub(t0);
        report.total += 1;
        report.cpu_ms.push(dt.as_secs_f64() * 1e3);
        let entry = report.by_level.entry(level.trim().to_owned()).or_insert((0, 0));
        entry.1 += 1;
        match scan {
            Scan::Text(t) if t == nfc(want) => {
                report.decoded += 1;
                entry.0 += 1;
            }
            Scan::Text(t) => {
                report.wrong += 1;
                report.wrong_files.push((file.to_owned(), t));
            }
            Scan::Rejected(r) => {
                report.wrong += 1;
                report.wrong_files.push((file.to_owned(), format!("<rejected: {r}>")));
            }
            Scan::NoCode => report.missed_files.push(file.to_owned()),
        }
    }
    Ok(report)
}

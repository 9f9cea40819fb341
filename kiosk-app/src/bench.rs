//! `motcua bench NAME`: benchmarks that print a readable table and, as the last line, one JSON
//! object with their figures.
//!
//! `issue`: tickets from many concurrent clients over the hub's HTTP API, against a fresh hub
//! with `synchronous=FULL`. It also measures the p99 of a bare `fsync` on the same disk in the
//! same run — the physical floor of one durable write — so the ticket latency can be judged
//! against this machine's disk rather than a number from somewhere else.
//!
//! `card`: reading the simulated CCCD chip through a model of the contactless link (see
//! [`run_card`]).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use motcua_hub::api::{IssueRequest, Ticket};
use motcua_hub::{Config, Hub, SystemClock};

/// Options of `motcua bench issue`.
#[derive(Debug, Clone)]
pub struct IssueBench {
    /// Concurrent HTTP clients.
    pub clients: usize,
    /// Tickets in total.
    pub tickets: usize,
    /// Directory for the database (a temporary one under it is used and removed).
    pub dir: Option<std::path::PathBuf>,
}

/// Tickets each client takes before the timed run: the first round finds a cold hub (no
/// connection, page or commit-time history) and all 50 clients arriving in the same
/// millisecond, which an office never sees. They are not timed, but they are counted in the
/// duplicate check, and the slowest is reported as `cold_max_ms`.
const WARMUP: usize = 1;

const BENCH_TOKEN: &str = "bench-kiosk-token-0123456789abcdef";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// p50 and p99 of write(4 KiB)+fsync, the way a WAL commit appends, in milliseconds.
fn fsync_latency(dir: &Path, rounds: usize) -> Result<(f64, f64)> {
    let path = dir.join("fsync-probe");
    let mut f = std::fs::OpenOptions::new().create(true).truncate(true).write(true).open(&path)?;
    let block = [0x5au8; 4096];
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        f.write_all(&block)?;
        f.sync_all()?;
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    drop(f);
    let _ = std::fs::remove_file(&path);
    samples.sort_by(f64::total_cmp);
    Ok((percentile(&samples, 50.0), percentile(&samples, 99.0)))
}

/// Run the benchmark and print its table and JSON line.
pub fn run_issue(opts: &IssueBench) -> Result<()> {
    if opts.clients == 0 || opts.tickets == 0 {
        bail!("clients and tickets must be at least 1");
    }
    let base_dir = opts.dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base_dir)?;
    let dir = tempfile::Builder::new().prefix("motcua-bench-").tempdir_in(&base_dir)?;

    let (fsync_p50, fsync_p99) = fsync_latency(dir.path(), 300)?;

    let mut cfg_text = motcua_hub::config::SAMPLE.to_owned();
    cfg_text.push_str(&format!("\n[[device]]\nid = \"bench\"\nrole = \"kiosk\"\ntoken = \"{BENCH_TOKEN}\"\n"));
    let cfg = Config::from_toml(&cfg_text)?;
    let fields: Vec<String> = cfg.fields.iter().map(|f| f.id.clone()).collect();
    let hub = Hub::open(cfg, &dir.path().join("hub.db"), Arc::new(SystemClock))?;

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(motcua_hub::server::serve(hub.clone(), listener, async {
        let _ = stop_rx.await;
    }));

    let per_client = opts.tickets.div_ceil(opts.clients);
    let total = per_client * opts.clients;
    // The load generator must not be what is measured: like wrk, it drives every client
    // connection from ONE thread (a single-threaded runtime, HTTP/1.1 keep-alive, requests
    // prebuilt), so the two cores go to the hub rather than to 50 client threads.
    let requests: Vec<Vec<u8>> = fields
        .iter()
        .map(|f| {
            let body = serde_json::to_vec(&IssueRequest {
                field_id: f.clone(),
                priority_class: None,
                hold_for_print: false,
                citizen: None,
            })?;
            let mut r = format!(
                "POST /api/v1/tickets HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {BENCH_TOKEN}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            r.extend_from_slice(&body);
            Ok(r)
        })
        .collect::<Result<_>>()?;
    let requests = Arc::new(requests);
    let client_rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let warm_started = Arc::new(std::sync::OnceLock::<Instant>::new());
    let results: Vec<Result<Vec<(f64, Ticket)>>> = client_rt.block_on(async {
        let barrier = Arc::new(tokio::sync::Barrier::new(opts.clients));
        let warm = Arc::new(tokio::sync::Barrier::new(opts.clients));
        let tasks: Vec<_> = (0..opts.clients)
            .map(|c| {
                let (requests, barrier) = (Arc::clone(&requests), Arc::clone(&barrier));
                let (warm, warm_started) = (Arc::clone(&warm), Arc::clone(&warm_started));
                tokio::spawn(async move {
                    let mut conn = tokio::net::TcpStream::connect(addr).await.context("connect")?;
                    conn.set_nodelay(true)?;
                    barrier.wait().await;
                    let mut buf = Vec::with_capacity(2048);
                    let mut out = Vec::with_capacity(per_client + WARMUP);
                    for i in 0..per_client + WARMUP {
                        let req = &requests[(c + i) % requests.len()];
                        let t = Instant::now();
                        let body = http_round_trip(&mut conn, req, &mut buf).await?;
                        let ticket: Ticket = serde_json::from_slice(&body).context("ticket body")?;
                        out.push((t.elapsed().as_secs_f64() * 1e3, ticket));
                        if i + 1 == WARMUP {
                            // The clock of the throughput starts when the last client is warm.
                            warm.wait().await;
                            warm_started.get_or_init(Instant::now);
                        }
                    }
                    Ok(out)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(tasks.len());
        for t in tasks {
            all.push(t.await.unwrap_or_else(|e| Err(anyhow::anyhow!("client task failed: {e}"))));
        }
        all
    });
    let mut latencies = Vec::with_capacity(total);
    let mut numbers: HashMap<(String, String), u32> = HashMap::new();
    let wall = warm_started.get().map_or(0.0, |t| t.elapsed().as_secs_f64());
    let mut cold_max: f64 = 0.0;
    for results in results {
        for (i, (ms, t)) in results?.into_iter().enumerate() {
            if i < WARMUP {
                cold_max = cold_max.max(ms);
            } else {
                latencies.push(ms);
            }
            *numbers.entry((t.service_day, t.number)).or_default() += 1;
        }
    }
    // Commits and commands of the whole run, warm-up included.
    let (commits, commands) = hub.writer_stats();
    let per_commit = if commits == 0 { 0.0 } else { commands as f64 / commits as f64 };
    let _ = stop_tx.send(());
    let _ = rt.block_on(server);

    // Duplicates as the clients saw them, and as the database holds them.
    let dup_seen: u32 = numbers.values().map(|n| n - 1).sum();
    let conn = rusqlite_dupes(&hub)?;
    let duplicates = dup_seen.max(conn);

    latencies.sort_by(f64::total_cmp);
    let p50 = percentile(&latencies, 50.0);
    let p99 = percentile(&latencies, 99.0);
    let max = latencies.last().copied().unwrap_or(0.0);
    let goal_ms = 2.0 * fsync_p99;

    println!(
        "motcua bench issue — {} clients, {} timed tickets (after {} warm-up) over HTTP, synchronous=FULL",
        opts.clients,
        total,
        opts.clients * WARMUP
    );
    println!("{:<28} {:>10}", "figure", "value");
    println!("{:<28} {:>10.2}", "ticket latency p50 (ms)", p50);
    println!("{:<28} {:>10.2}", "ticket latency p99 (ms)", p99);
    println!("{:<28} {:>10.2}", "ticket latency max (ms)", max);
    println!("{:<28} {:>10.1}", "throughput (tickets/s)", total as f64 / wall);
    println!("{:<28} {:>10.2}", "cold start max (ms)", cold_max);
    println!("{:<28} {:>10}", "duplicates (all tickets)", duplicates);
    println!("{:<28} {:>10}", "commits (fsyncs)", commits);
    println!("{:<28} {:>10.1}", "tickets per commit", per_commit);
    println!("{:<28} {:>10.2}", "bare fsync p50 (ms)", fsync_p50);
    println!("{:<28} {:>10.2}", "bare fsync p99 (ms)", fsync_p99);
    println!("{:<28} {:>10.2}", "goal: p99 <= 2 x fsync p99", goal_ms);
    println!("{:<28} {:>10}", "goal met", if p99 <= goal_ms && duplicates == 0 { "yes" } else { "NO" });
    let json = serde_json::json!({
        "clients": opts.clients,
        "tickets": total,
        "warmup_tickets": opts.clients * WARMUP,
        "cold_max_ms": round2(cold_max),
        "p50_ms": round2(p50),
        "p99_ms": round2(p99),
        "max_ms": round2(max),
        "duplicates": duplicates,
        "fsync_p50_ms": round2(fsync_p50),
        "fsync_p99_ms": round2(fsync_p99),
        "throughput_per_s": round2(total as f64 / wall),
        "commits": commits,
        "tickets_per_commit": round2(per_commit),
    });
    println!("{json}");
    Ok(())
}

/// One request on a keep-alive connection; the response body of a `200` or `201`. Reads the headers up
/// to the blank line and then exactly `Content-Length` bytes.
async fn http_round_trip(conn: &mut tokio::net::TcpStream, req: &[u8], buf: &mut Vec<u8>) -> Result<Vec<u8>> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    conn.write_all(req).await.context("send")?;
    buf.clear();
    let mut chunk = [0u8; 2048];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut chunk).await.context("receive")?;
        if n == 0 {
            bail!("the hub closed the connection");
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("response head")?;
    let status = head.split(' ').nth(1).unwrap_or_default();
    if status != "200" && status != "201" {
        bail!("the hub answered {status}");
    }
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
        })
        .context("no Content-Length in the hub's answer")?;
    while buf.len() < head_end + len {
        let n = conn.read(&mut chunk).await.context("receive")?;
        if n == 0 {
            bail!("the hub closed the connection mid-answer");
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf[head_end..head_end + len].to_vec())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Numbers stored more than once in the hub's database (the UNIQUE constraint makes this 0
/// unless the schema is broken; the bench checks rather than trusts).
fn rusqlite_dupes(hub: &Hub) -> Result<u32> {
    let conn = motcua_hub::store::open_connection(hub.db_path())?;
    let n: i64 = conn.query_row(
        "SELECT COALESCE(SUM(c - 1), 0) FROM (SELECT COUNT(*) AS c FROM tickets GROUP BY service_day, number)",
        [],
        |r| r.get(0),
    )?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// An audio output that records when each play started (the first sample reached the device).
struct StampingOut {
    tx: std::sync::mpsc::Sender<Instant>,
}

impl motcua_device::audio::AudioOut for StampingOut {
    fn play(&mut self, samples: &[i16], _rate: u32) -> std::result::Result<(), motcua_device::Error> {
        if !samples.is_empty() {
            let _ = self.tx.send(Instant::now());
        }
        Ok(())
    }

    fn info(&self) -> motcua_device::DeviceInfo {
        motcua_device::DeviceInfo {
            family: motcua_device::DeviceFamily::AudioOut,
            name: "bench stamp".into(),
            simulated: true,
        }
    }
}

/// `motcua bench announce`: from an officer's call-next to the first audio sample of its
/// announcement, through the whole path a hall display takes — the hub commits the call, pushes
/// it over SSE, the display's feed updates its model, the announcer renders the speech with
/// espeak-ng and hands it to the audio output.
pub fn run_announce(rounds: usize) -> Result<()> {
    if rounds == 0 {
        bail!("rounds must be at least 1");
    }
    let dir = tempfile::Builder::new().prefix("motcua-bench-").tempdir()?;
    let hub = Hub::open(Config::sample(), &dir.path().join("hub.db"), Arc::new(SystemClock))?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    rt.spawn(motcua_hub::server::serve(hub.clone(), listener, std::future::pending()));

    let (stamp_tx, stamps) = std::sync::mpsc::channel();
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let opts = crate::display::DisplayOptions {
        hub_url: format!("http://{addr}"),
        token: "change-me-display-1-000000000000000".into(),
        portrait: false,
        timezone: "Asia/Ho_Chi_Minh".into(),
        audio_device: "sim".into(),
        voice: crate::display::VoiceOptions::default(),
        windowed: true,
    };
    crate::display::spawn_pipeline(&opts, hub.config().tz(), Box::new(StampingOut { tx: stamp_tx }), move |m| {
        if m.connected {
            let _ = ready_tx.send(());
        }
        true
    })?;
    ready.recv_timeout(Duration::from_secs(10)).context("the display feed did not connect")?;
    hub.blocking_counter("bench", 1, motcua_hub::api::CounterAction::Open { officer_id: None, pin: None })?;
    let mut ms = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        hub.blocking_issue(
            "bench",
            &IssueRequest { field_id: "ho-tich".into(), priority_class: None, hold_for_print: false, citizen: None },
        )?;
        let t0 = Instant::now();
        hub.blocking_counter("bench", 1, motcua_hub::api::CounterAction::CallNext)?;
        let heard = stamps.recv_timeout(Duration::from_secs(20)).context("no audio for the call")?;
        ms.push(heard.duration_since(t0).as_secs_f64() * 1e3);
        hub.blocking_counter("bench", 1, motcua_hub::api::CounterAction::Skip)?;
    }
    ms.sort_by(f64::total_cmp);
    let (p50, p95, max) = (percentile(&ms, 50.0), percentile(&ms, 95.0), ms.last().copied().unwrap_or(0.0));
    println!("motcua bench announce — {rounds} calls: call-next -> SSE -> display model -> espeak-ng -> audio out");
    println!("{:<32} {:>10}", "figure", "value");
    println!("{:<32} {:>10.1}", "call to first sample p50 (ms)", p50);
    println!("{:<32} {:>10.1}", "call to first sample p95 (ms)", p95);
    println!("{:<32} {:>10.1}", "call to first sample max (ms)", max);
    println!("{:<32} {:>10}", "goal: under 300 ms (p50)", if p50 < 300.0 { "met" } else { "NOT MET" });
    println!(
        "{}",
        serde_json::json!({
            "rounds": rounds,
            "call_to_audio_ms": round2(p50),
            "call_to_audio_p95_ms": round2(p95),
            "call_to_audio_max_ms": round2(max),
        })
    );
    Ok(())
}

/// `motcua bench relay`: drain a backlog of `events` to the loopback reference central, counting
/// lost and duplicated events at the receiver.
pub fn run_relay(events: u64) -> Result<()> {
    let f = motcua_central::bench_relay(events).map_err(|e| anyhow::anyhow!("bench relay: {e}"))?;
    println!("motcua bench relay — {events} events from the outbox to the loopback reference central");
    println!("{:<24} {:>12}", "figure", "value");
    println!("{:<24} {:>12}", "events", f.events);
    println!("{:<24} {:>12.0}", "events per second", f.events_per_s);
    println!("{:<24} {:>12}", "lost", f.lost);
    println!("{:<24} {:>12}", "duplicates", f.duplicates);
    println!("{}", serde_json::to_string(&f)?);
    Ok(())
}

/// `motcua bench card`: the simulated CCCD chip with a `face_bytes` face, read whole as
/// `motcua read-card` reads it (PACE-CAN, DG1, DG2, DG13, DG14, DG15, EF.SOD, active and chip
/// authentication) through a model of the contactless link: `kbps` plus a fixed
/// `per_apdu_ms` turnaround per APDU (reader firmware, USB, the chip's processing and
/// secure-messaging crypto; 6 ms is a fast desktop reader, slow ones take 10–30 ms). The APDUs
/// and bytes (command plus response) are counted by a reader wrapper on the real session's
/// code path; the times are modelled from them, not measured, so a debug build gives the same
/// figures as a release one. `link_limit_ms` is the same bytes at the bit rate with no round
/// trips. Goal: `modelled_ms` <= 1.5 x `link_limit_ms`, which needs extended-length READ
/// BINARY; the `fixed_*` figures are the same read in fixed 0xDF chunks.
pub fn run_card(kbps: u32, per_apdu_ms: f64, face_bytes: usize) -> Result<()> {
    use motcua_cccd::link::{LinkFigures, LinkModel, MeteredReader};
    use motcua_cccd::read::{DEFAULT_DATA_GROUPS, ReadOptions, ReadRandom, ReadSize, Verdict, read_card};
    use motcua_cccd::sim::{SAMPLE_CAN, SimCccdChip};
    use motcua_cccd::test_pki::TestPki;

    if kbps == 0 || !(0.0..=1000.0).contains(&per_apdu_ms) || !(100..=60_000).contains(&face_bytes) {
        bail!("--kbps must be at least 1, --per-apdu-ms 0 to 1000, --face-bytes 100 to 60000");
    }
    let model = LinkModel { bit_rate: kbps.saturating_mul(1000), per_apdu: Duration::from_secs_f64(per_apdu_ms / 1e3) };
    let pki = TestPki::sample();
    let mut trust = motcua_cccd::proto::pa::TrustStore::new();
    trust.add_der(&pki.csca_certificate).map_err(|e| anyhow::anyhow!("{e}"))?;
    let can = motcua_cccd::Can::new(SAMPLE_CAN).map_err(|e| anyhow::anyhow!("{e}"))?;
    let run = |read_size| -> Result<(LinkFigures, usize, usize)> {
        let sim = motcua_device::sim::SimIdCardReader::new();
        SimCccdChip::sample_with_face(&pki, face_bytes).insert_into(&sim.handle());
        let (mut reader, meter) = MeteredReader::new(sim, model);
        let opts =
            ReadOptions { can: &can, mrz_key: None, data_groups: &DEFAULT_DATA_GROUPS, trust: &trust, read_size };
        let r = read_card(&mut reader, &opts, &ReadRandom::from_bytes(&[0x5A; ReadRandom::LEN]))
            .map_err(|e| anyhow::anyhow!("reading the simulated card: {e}"))?;
        if r.verdict() != Verdict::Verified {
            bail!("the simulated card read as {:?}, not verified", r.verdict());
        }
        let dg2 = r.files.iter().find(|f| f.file == motcua_cccd::proto::lds::DataGroup::Dg2).map_or(0, |f| f.len);
        Ok((meter.figures(), dg2, r.initial_read_size))
    };
    let (adaptive, dg2_bytes, read_size) = run(ReadSize::Auto { reader_max_apdu: None })?;
    let (fixed, _, _) = run(ReadSize::Short)?;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratio = |f: &LinkFigures| ms(f.modelled) / ms(f.link_limit).max(1e-9);
    let goal_met = ratio(&adaptive) <= 1.5;

    println!(
        "motcua bench card — simulated CCCD (DG2 {dg2_bytes} bytes) read whole: PACE-CAN, DG1, DG2, DG13, DG14, \
         DG15, EF.SOD, active and chip authentication"
    );
    println!(
        "link model: {kbps} kbit/s + {per_apdu_ms:.1} ms per APDU (reader + card turnaround); APDUs and bytes \
         counted on the real session, times modelled (not measured: build profile does not matter)"
    );
    println!("{:<34} {:>16} {:>14}", "figure", "adaptive", "fixed 0xDF");
    println!("{:<34} {:>16} {:>14}", "first READ BINARY size (bytes)", read_size, 0xDF);
    println!("{:<34} {:>16} {:>14}", "APDUs", adaptive.apdus, fixed.apdus);
    println!("{:<34} {:>16} {:>14}", "bytes (command + response)", adaptive.bytes, fixed.bytes);
    println!("{:<34} {:>16.1} {:>14.1}", "modelled time (ms)", ms(adaptive.modelled), ms(fixed.modelled));
    println!("{:<34} {:>16.1} {:>14.1}", "link limit (ms)", ms(adaptive.link_limit), ms(fixed.link_limit));
    println!("{:<34} {:>16.2} {:>14.2}", "modelled / link limit", ratio(&adaptive), ratio(&fixed));
    println!("{:<34} {:>16}", "goal: modelled <= 1.5 x limit", if goal_met { "met" } else { "NOT MET" });
    println!(
        "{}",
        serde_json::json!({
            "kbps": kbps,
            "per_apdu_ms": per_apdu_ms,
            "dg2_bytes": dg2_bytes,
            "read_size": read_size,
            "apdus": adaptive.apdus,
            "bytes": adaptive.bytes,
            "modelled_ms": round2(ms(adaptive.modelled)),
            "link_limit_ms": round2(ms(adaptive.link_limit)),
            "fixed_apdus": fixed.apdus,
            "fixed_bytes": fixed.bytes,
            "fixed_modelled_ms": round2(ms(fixed.modelled)),
            "fixed_link_limit_ms": round2(ms(fixed.link_limit)),
            "goal_met": goal_met,
        })
    );
    Ok(())
}

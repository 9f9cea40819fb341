//! `motcua read-card`: read a CCCD chip once and say how it went, for IT staff setting up or
//! checking a reader; and `motcua sim-card --vpcd`: put the simulated chip behind pcscd's
//! virtual reader so `read-card --reader "Virtual PCD 00 00"` (or the kiosk) reads it through
//! the real PC/SC stack.
//!
//! `read-card` prints the reader and ATR, whether extended length is used, the access method
//! (PACE-CAN or BAC, and why BAC), every file with its size, APDUs and time, and the passive,
//! active and chip authentication results in the crate's honest wording. No personal data
//! unless `--show-data` (and never the face image's bytes, only its format and size).
//!
//! Exit codes: 0 the data is usable (verified, or chip consistent with the issuer not
//! verified); 1 the card could not be read; 3 the read worked but the card failed a check
//! (data altered, clone suspected, issuer forged, not verifiable). Clap's usage errors are 2.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use motcua_cccd::proto::bac::BacKey;
use motcua_cccd::proto::date::Date;
use motcua_cccd::proto::dg2::{ImageFormat, parse_dg2};
use motcua_cccd::proto::dg13::Dg13;
use motcua_cccd::proto::lds::{DataGroup, parse_dg1};
use motcua_cccd::proto::pa::TrustStore;
use motcua_cccd::read::{CardRead, DEFAULT_DATA_GROUPS, ReadOptions, ReadRandom, ReadSize, read_card};
use motcua_cccd::sim::{Misbehaviour, SAMPLE_CAN, SimCccdChip};
use motcua_cccd::test_pki::TestPki;
use motcua_cccd::{AccessMethod, Can};
use motcua_device::id_card::IdCardReader;
use motcua_device::sim::SimIdCardReader;

/// Exit code: the card could not be read.
pub const EXIT_READ_FAILED: i32 = 1;
/// Exit code: the card was read but failed a check.
pub const EXIT_CHECK_FAILED: i32 = 3;

/// How the simulated chip misbehaves (`read-card --simulate`, `sim-card`).
#[derive(Debug, Args, Clone)]
pub struct SimSwitches {
    /// The chip refuses PACE (answers 6A80 to MSE:Set AT): BAC is used.
    #[arg(long)]
    pub refuse_pace: bool,
    /// Flip a bit of data group N (1, 2, 13, 14 or 15) after it was signed: "data altered".
    #[arg(long, value_name = "N", value_parser = parse_dg_number)]
    pub alter_dg: Option<u8>,
    /// Sign the chip's SOD with a CSCA that is not in the trust list: "issuer not verified".
    #[arg(long)]
    pub unknown_signer: bool,
    /// The card leaves the reader after N APDUs, as when the citizen lifts it mid-read.
    #[arg(long, value_name = "N")]
    pub drop_after_apdus: Option<u32>,
    /// The chip has no extended length (its ATR says so, extended reads get 6700).
    #[arg(long)]
    pub no_extended_length: bool,
    /// A clone without the chip authentication key: "clone suspected".
    #[arg(long)]
    pub clone: bool,
    /// Size of the simulated face image in bytes (CCCD DG2 is 10–25 KB).
    #[arg(long, default_value_t = 15_000, value_name = "BYTES")]
    pub face_bytes: usize,
}

fn parse_dg_number(s: &str) -> std::result::Result<u8, String> {
    match s.parse::<u8>() {
        Ok(n) if DataGroup::from_number(n).is_some() => Ok(n),
        _ => Err("data group 1, 2, 13, 14 or 15".into()),
    }
}

impl SimSwitches {
    /// Whether any misbehaviour is switched on.
    fn any(&self) -> bool {
        self.refuse_pace
            || self.alter_dg.is_some()
            || self.unknown_signer
            || self.drop_after_apdus.is_some()
            || self.no_extended_length
            || self.clone
    }

    /// The simulated chip with these switches.
    pub fn chip(&self) -> SimCccdChip {
        let pki = if self.unknown_signer {
            TestPki::generate("motcua read-card unknown signer", "TEST CSCA Not In The Trust List")
        } else {
            TestPki::sample()
        };
        let mut chip = SimCccdChip::sample_with_face(&pki, self.face_bytes.clamp(100, 60_000));
        if let Some(n) = self.alter_dg {
            chip = chip.with_altered_data_group(n);
        }
        chip.with_misbehaviour(Misbehaviour {
            refuse_pace: self.refuse_pace,
            drop_after_apdus: self.drop_after_apdus,
            no_extended_length: self.no_extended_length,
            clone_without_ca_key: self.clone,
            ..Default::default()
        })
    }
}

/// `motcua read-card`.
#[derive(Debug, Args, Clone)]
pub struct ReadCardArgs {
    /// The PC/SC reader by name (default: the first reader with a card on it).
    #[arg(long, conflicts_with = "simulate")]
    pub reader: Option<String>,
    /// Read the simulated chip in this process instead of a PC/SC reader.
    #[arg(long)]
    pub simulate: bool,
    /// The CAN for PACE: the last 6 digits of the ID number.
    #[arg(long, value_name = "DIGITS")]
    pub can: Option<String>,
    /// The 12-digit ID number (gives the CAN; with --dob and --expiry, the BAC key).
    #[arg(long, value_name = "DIGITS")]
    pub id: Option<String>,
    /// Date of birth DDMMYYYY, for the BAC fallback.
    #[arg(long, value_name = "DDMMYYYY")]
    pub dob: Option<String>,
    /// Expiry date DDMMYYYY (as in the MRZ), for the BAC fallback.
    #[arg(long, value_name = "DDMMYYYY")]
    pub expiry: Option<String>,
    /// Directory of trusted CSCA certificates (*.der, *.cer, *.crt). Without it the issuer
    /// cannot be verified (with --simulate: the simulated chip's test CSCA).
    #[arg(long, value_name = "DIR")]
    pub trust: Option<PathBuf>,
    /// Print the personal data read (name, ID number, dates; the face only as format and size).
    #[arg(long)]
    pub show_data: bool,
    /// Short READ BINARY (0xDF) only, even when card and reader allow extended length.
    #[arg(long)]
    pub short_apdus: bool,
    #[command(flatten)]
    pub sim: SimSwitches,
}

/// `motcua sim-card`.
#[derive(Debug, Args, Clone)]
pub struct SimCardArgs {
    /// Where pcscd's vpcd driver listens (port 35963 is reader "Virtual PCD 00 00", 35964
    /// "Virtual PCD 00 01").
    #[arg(long, value_name = "HOST:PORT", default_value = motcua_cccd::vpcd::DEFAULT_ADDR)]
    pub vpcd: String,
    /// Also write the simulated chip's test CSCA certificate to DIR/test-csca.der, for
    /// `read-card --trust DIR`.
    #[arg(long, value_name = "DIR")]
    pub export_csca: Option<PathBuf>,
    #[command(flatten)]
    pub sim: SimSwitches,
}

/// 128 bytes from the kernel's CSPRNG.
fn os_random() -> Result<[u8; ReadRandom::LEN]> {
    use std::io::Read as _;
    let mut b = [0u8; ReadRandom::LEN];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).context("reading /dev/urandom")?;
    Ok(b)
}

fn hex_spaced(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect::<Vec<_>>().join(" ")
}

fn date(d: &Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day, d.month, d.year)
}

fn file_name(dg: DataGroup) -> String {
    match (dg, dg.number()) {
        (DataGroup::Sod, _) => "EF.SOD".into(),
        (DataGroup::Com, _) => "EF.COM".into(),
        (_, Some(n)) => format!("DG{n}"),
        (other, None) => format!("{other:?}"),
    }
}

fn access_text(a: AccessMethod) -> String {
    match a {
        AccessMethod::PaceCan => "PACE-CAN (brainpoolP256r1, AES-128 secure messaging)".into(),
        AccessMethod::Bac => "BAC (3DES secure messaging)".into(),
        AccessMethod::BacAfterPaceFailed(kind) => {
            format!("BAC (3DES secure messaging), because PACE failed ({kind:?}) / PACE thất bại, dùng BAC")
        }
        AccessMethod::BacNoPace => {
            "BAC (3DES secure messaging), because the chip offers no PACE / chip không có PACE".into()
        }
        other => format!("{other:?}"),
    }
}

/// The keys from the command line.
struct Keys {
    can: Can,
    mrz: Option<BacKey>,
    note: &'static str,
}

fn keys(a: &ReadCardArgs) -> Result<Keys> {
    let bad = |what: &str| anyhow::anyhow!("{what}");
    if let Some(id) = &a.id {
        let can = Can::from_id_number(id).map_err(|_| bad("--id phải là 12 chữ số / --id must be 12 digits"))?;
        let mrz = match (&a.dob, &a.expiry) {
            (Some(dob), Some(exp)) => {
                let dob = Date::parse_ddmmyyyy(dob).ok_or_else(|| bad("--dob: DDMMYYYY"))?;
                let exp = Date::parse_ddmmyyyy(exp).ok_or_else(|| bad("--expiry: DDMMYYYY"))?;
                Some(BacKey::new(id.get(3..).unwrap_or_default(), &dob.yymmdd(), &exp.yymmdd()))
            }
            (None, None) => None,
            _ => return Err(bad("BAC cần cả --dob và --expiry / BAC needs both --dob and --expiry")),
        };
        let note = if mrz.is_some() {
            "CAN from --id; BAC key from --id, --dob, --expiry"
        } else {
            "CAN from --id; no BAC key (give --dob and --expiry)"
        };
        return Ok(Keys { can, mrz, note });
    }
    if let Some(can) = &a.can {
        let can = Can::new(can).map_err(|_| bad("--can phải là 6 chữ số / --can must be 6 digits"))?;
        return Ok(Keys { can, mrz: None, note: "CAN from --can; no BAC key (give --id, --dob, --expiry)" });
    }
    if a.simulate {
        let can = Can::new(SAMPLE_CAN).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mrz = Some(BacKey::new("099012345", "990315", "240315"));
        return Ok(Keys { can, mrz, note: "the simulated citizen's CAN and MRZ key" });
    }
    Err(bad(
        "Cần --can (6 số cuối của số CCCD) hoặc --id (12 số) / Need --can (last 6 digits of the ID number) or --id (12 digits)",
    ))
}

/// The trust list and a line saying where it came from.
fn trust(a: &ReadCardArgs) -> Result<(TrustStore, String)> {
    if let Some(dir) = &a.trust {
        let (store, load) = motcua_cccd::trust::load_trust_dir(dir)
            .with_context(|| format!("đọc danh sách tin cậy / reading the trust list {}", dir.display()))?;
        let line = format!("{} CSCA loaded from {}, {} rejected", load.loaded, dir.display(), load.rejected);
        return Ok((store, line));
    }
    if a.simulate {
        let mut store = TrustStore::new();
        store.add_der(&TestPki::sample().csca_certificate).map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok((store, "the simulated chip's test CSCA (not a real trust anchor)".into()));
    }
    Ok((TrustStore::new(), "none (--trust DIR): the issuer cannot be verified".into()))
}

/// A reader for `read-card`, with what it reports about itself.
struct Opened<R> {
    reader: R,
    label: String,
    max_apdu: Option<usize>,
}

fn open_simulated(sim: &SimSwitches) -> Opened<SimIdCardReader> {
    let reader = SimIdCardReader::new();
    sim.chip().insert_into(&reader.handle());
    Opened { reader, label: "simulated chip on the simulated reader (in process)".into(), max_apdu: None }
}

#[cfg(feature = "pcsc")]
fn open_pcsc(name: Option<&str>) -> Result<Opened<motcua_cccd::pcsc::PcscReader>> {
    use motcua_cccd::pcsc::PcscReader;
    let names = PcscReader::list().map_err(|e| {
        anyhow::anyhow!(
            "Không kết nối được dịch vụ PC/SC (pcscd) / Cannot reach the PC/SC service (pcscd): {e}\n\
             systemctl start pcscd (or `pcscd --foreground`)"
        )
    })?;
    let candidates: Vec<&String> = match name {
        Some(n) => names.iter().filter(|r| r.as_str() == n).collect(),
        None => names.iter().collect(),
    };
    if candidates.is_empty() {
        anyhow::bail!("Không thấy đầu đọc / No such reader: {:?} (readers: {names:?})", name.unwrap_or("(any)"));
    }
    for n in candidates {
        let mut reader = PcscReader::open(Some(n)).map_err(|e| anyhow::anyhow!("{n}: {e}"))?;
        if matches!(reader.poll_card(), Ok(Some(_))) {
            let max_apdu = reader.max_apdu_len();
            return Ok(Opened { reader, label: format!("PC/SC {n:?}"), max_apdu });
        }
    }
    anyhow::bail!(
        "Không có thẻ trên đầu đọc: đặt thẻ lên đầu đọc và thử lại / No card on {}: put the card on the reader and try again (readers: {names:?})",
        name.unwrap_or("any reader")
    )
}

/// Runs `motcua read-card`: prints the report on stdout, errors on stderr, and exits with the
/// code described in the module doc.
pub fn run_read_card(a: ReadCardArgs) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let code = match read_card_command(&a, &mut out) {
        Ok(code) => code,
        Err(e) => {
            let _ = out.flush();
            eprintln!("Lỗi / Error: {e:#}");
            EXIT_READ_FAILED
        }
    };
    out.flush()?;
    std::process::exit(code)
}

fn read_card_command(a: &ReadCardArgs, out: &mut dyn Write) -> Result<i32> {
    if !a.simulate && a.sim.any() {
        anyhow::bail!("các tùy chọn thẻ mô phỏng cần --simulate / the simulated chip's switches need --simulate");
    }
    let keys = keys(a)?;
    let trust = trust(a)?;
    if a.simulate {
        let mut o = open_simulated(&a.sim);
        report(a, &keys, &trust, &o.label, o.max_apdu, &mut o.reader, out)
    } else {
        #[cfg(feature = "pcsc")]
        {
            let mut o = open_pcsc(a.reader.as_deref())?;
            report(a, &keys, &trust, &o.label, o.max_apdu, &mut o.reader, out)
        }
        #[cfg(not(feature = "pcsc"))]
        anyhow::bail!("Bản dựng này không có PC/SC / This build has no PC/SC (feature `pcsc`); use --simulate")
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report<R: IdCardReader>(
    a: &ReadCardArgs,
    keys: &Keys,
    (trust, trust_line): &(TrustStore, String),
    label: &str,
    max_apdu: Option<usize>,
    reader: &mut R,
    out: &mut dyn Write,
) -> Result<i32> {
    writeln!(out, "{:<22} {label}", "reader")?;
    let atr = reader.poll_card().ok().flatten().map(|c| c.atr).unwrap_or_default();
    writeln!(out, "{:<22} {}", "ATR", hex_spaced(&atr))?;
    let card_ext = motcua_cccd::proto::atr::supports_extended_length(&atr);
    let limit = max_apdu.map_or("not reported".to_owned(), |n| format!("{n} bytes"));
    let size = if a.short_apdus { ReadSize::Short } else { ReadSize::Auto { reader_max_apdu: max_apdu } };
    writeln!(
        out,
        "{:<22} card: {} (ATR), reader APDU limit: {limit}{}",
        "extended length",
        if card_ext { "yes" } else { "no" },
        if a.short_apdus { "; off (--short-apdus)" } else { "" }
    )?;
    writeln!(out, "{:<22} {}", "keys", keys.note)?;
    writeln!(out, "{:<22} {trust_line}", "trust list")?;
    out.flush()?;

    let opts = ReadOptions {
        can: &keys.can,
        mrz_key: keys.mrz.as_ref(),
        data_groups: &DEFAULT_DATA_GROUPS,
        trust,
        read_size: size,
    };
    let r = match read_card(reader, &opts, &ReadRandom::from_bytes(&os_random()?)) {
        Ok(r) => r,
        Err(e) => {
            out.flush()?;
            eprintln!("Lỗi / Error: {}\n({e})", e.kind().advice());
            return Ok(EXIT_READ_FAILED);
        }
    };
    print_read(&r, a.show_data, out)
}

fn print_read(r: &CardRead, show_data: bool, out: &mut dyn Write) -> Result<i32> {
    writeln!(
        out,
        "{:<22} {} ({} APDUs, {:.1} ms)",
        "access",
        access_text(r.access),
        r.access_apdus,
        ms(r.access_elapsed)
    )?;
    writeln!(out, "{:<22} {} bytes per READ BINARY at first", "read size", r.initial_read_size)?;
    writeln!(out, "files")?;
    writeln!(out, "  {:<8} {:>8} {:>6} {:>9}", "file", "bytes", "APDUs", "ms")?;
    for f in &r.files {
        writeln!(out, "  {:<8} {:>8} {:>6} {:>9.1}", file_name(f.file), f.len, f.apdus, ms(f.elapsed))?;
    }
    for (dg, kind) in &r.skipped {
        writeln!(out, "  {:<8} skipped: {kind:?}", file_name(*dg))?;
    }
    writeln!(
        out,
        "{:<22} {} APDUs, {} bytes read, {} retries, {} size fallbacks, {:.1} ms",
        "total",
        r.stats.apdus,
        r.stats.bytes,
        r.stats.retries,
        r.stats.fallbacks,
        ms(r.elapsed)
    )?;
    let mut passive = r.passive.summary().to_owned();
    if let motcua_cccd::proto::pa::PaVerdict::DataGroupHashMismatch(dgs) = &r.passive {
        let list: Vec<String> = dgs.iter().map(|n| format!("DG{n}")).collect();
        passive.push_str(&format!(": {}", list.join(", ")));
    }
    writeln!(out, "{:<22} {passive}", "passive auth")?;
    writeln!(out, "{:<22} {}", "active auth (DG15)", r.active.summary())?;
    writeln!(out, "{:<22} {}", "chip auth (DG14)", r.chip.summary())?;
    // DG1 and DG13 must agree on ID, date of birth, sex and name (fields named, not values).
    let dg1 = r.raw.get(DataGroup::Dg1).and_then(|b| parse_dg1(b).ok());
    let dg13 = r.raw.get(DataGroup::Dg13).and_then(|b| Dg13::parse(b).ok());
    let mismatches = motcua_cccd::proto::crosscheck::cross_check(None, dg1.as_ref(), dg13.as_ref());
    let cross = if dg1.is_none() || dg13.is_none() {
        "not done (DG1 or DG13 missing)".to_owned()
    } else if mismatches.is_empty() {
        "DG1 = DG13 (ID, date of birth, sex, name)".to_owned()
    } else {
        let list: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
        format!("MISMATCH: {}", list.join("; "))
    };
    writeln!(out, "{:<22} {cross}", "cross-check")?;
    let v = r.verdict();
    writeln!(out, "{:<22} Kết quả: {} / Result: {}", "result", v.summary_vi(), v.summary())?;
    if !mismatches.is_empty() {
        writeln!(
            out,
            "{:<22} DG1 và DG13 không khớp: không dùng dữ liệu này / DG1 and DG13 disagree: do not use this data",
            ""
        )?;
        return Ok(EXIT_CHECK_FAILED);
    }
    if show_data {
        print_personal_data(r, out)?;
    } else {
        writeln!(out, "{:<22} hidden (--show-data prints name, ID number, dates)", "personal data")?;
    }
    Ok(if v.is_usable() { 0 } else { EXIT_CHECK_FAILED })
}

fn print_personal_data(r: &CardRead, out: &mut dyn Write) -> Result<()> {
    let field = |out: &mut dyn Write, k: &str, v: Option<String>| -> std::io::Result<()> {
        writeln!(out, "  {k:<20} {}", v.unwrap_or_else(|| "—".into()))
    };
    writeln!(out, "personal data (DG1 MRZ)")?;
    match r.raw.get(DataGroup::Dg1).map(parse_dg1) {
        Some(Ok(m)) => {
            field(out, "name (MRZ)", Some(format!("{} {}", m.surname, m.given_names)))?;
            field(out, "ID number", m.cccd_id_number().ok().map(str::to_owned))?;
            field(out, "document number", Some(m.document_number.clone()))?;
            field(out, "date of birth", Some(m.date_of_birth.clone()))?;
            field(out, "sex", Some(m.sex.to_string()))?;
            field(out, "expiry", Some(m.date_of_expiry.clone()))?;
        }
        Some(Err(e)) => writeln!(out, "  DG1 does not parse: {e}")?,
        None => writeln!(out, "  DG1 not read")?,
    }
    writeln!(out, "personal data (DG13)")?;
    match r.raw.get(DataGroup::Dg13).map(Dg13::parse) {
        Some(Ok(d)) => {
            field(out, "full name", d.full_name.clone())?;
            field(out, "ID number", d.id_number.clone())?;
            field(out, "date of birth", d.date_of_birth.as_ref().map(date))?;
            field(out, "sex", d.sex.clone())?;
            field(out, "nationality", d.nationality.clone())?;
            field(out, "place of origin", d.place_of_origin.clone())?;
            field(out, "residence", d.residence.clone())?;
            field(out, "issue date", d.issue_date.as_ref().map(date))?;
            field(out, "expiry", d.expiry.clone())?;
        }
        Some(Err(e)) => writeln!(out, "  DG13 does not parse: {e}")?,
        None => writeln!(out, "  DG13 not read")?,
    }
    match r.raw.get(DataGroup::Dg2).map(parse_dg2) {
        Some(Ok(face)) => {
            let format = match face.format {
                ImageFormat::Jpeg => "JPEG",
                ImageFormat::Jpeg2000 => "JPEG 2000",
            };
            let size =
                format!("{format}, {}x{} px, {} bytes (not printed)", face.width, face.height, face.bytes().len());
            field(out, "face (DG2)", Some(size))?;
        }
        Some(Err(e)) => writeln!(out, "  DG2 does not parse: {e}")?,
        None => writeln!(out, "  DG2 not read")?,
    }
    Ok(())
}

/// Runs `motcua sim-card --vpcd HOST:PORT`: the simulated chip on pcscd's virtual reader until
/// it leaves (`--drop-after-apdus`) or pcscd closes the connection.
pub fn run_sim_card(a: SimCardArgs) -> Result<()> {
    if let Some(dir) = &a.export_csca {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("test-csca.der");
        std::fs::write(&path, TestPki::sample().csca_certificate)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("test CSCA written to {} (read-card --trust {})", path.display(), dir.display());
    }
    let mut chip = a.sim.chip();
    let stream = motcua_cccd::vpcd::connect(&a.vpcd).with_context(|| {
        format!(
            "Không kết nối được vpcd tại {0} / Cannot connect to vpcd at {0}: is pcscd running with \
             vsmartcard-vpcd (apt-get install pcscd vsmartcard-vpcd; pcscd --foreground)?",
            a.vpcd
        )
    })?;
    println!(
        "Thẻ mô phỏng đã đặt lên đầu đọc ảo / simulated card on the virtual reader at {} \
         (port 35963 = \"Virtual PCD 00 00\"); Ctrl-C takes it off.",
        a.vpcd
    );
    let report = motcua_cccd::vpcd::serve_tcp(stream, &mut chip).context("vpcd connection")?;
    let end = match report.end {
        motcua_cccd::vpcd::End::CardLeft => "the card left the reader (--drop-after-apdus)",
        motcua_cccd::vpcd::End::DriverClosed => "pcscd closed the connection",
        _ => "ended",
    };
    println!("{end}: {} APDUs answered, {} ATR requests, {} resets", report.apdus, report.atr_requests, report.resets);
    Ok(())
}

//! Dossier lookup: the central system's status of a dossier, by its code and the lookup secret
//! printed on the receipt, with an offline cache.
//!
//! Implements: [`DossierSource`] (the seam) and [`CentralDossiers`] (`GET /v1/dossiers/{code}`
//! with the HMAC signature of the relay's wire contract), [`DossierCache`] (SQLite, answers of
//! the last [`CACHE_DAYS`] days, masked applicant only), [`Lookup`] (central first, the cache
//! when the central cannot be reached), and [`DossierView`]: the status document turned into
//! what the kiosk shows and prints, in either language.
//!
//! Privacy: a wrong secret and an unknown code give the same answer ([`LookupError::NotFound`]),
//! so codes cannot be enumerated; the cache key includes the secret, so the cache never answers
//! for a code without it; the applicant's name is masked before it is shown, cached or printed.
//!
//! Does not implement: the lookup screen (see `controllers::lookup`).

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::controllers::Lang;

/// Cached answers older than this are dropped.
pub const CACHE_DAYS: i64 = 7;

/// Why a lookup gave no status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// No dossier with this code and secret (deliberately the same for both).
    #[error("no dossier with this code and secret")]
    NotFound,
    /// The central could not be reached and nothing is cached.
    #[error("central unavailable: {0}")]
    Unavailable(String),
    /// The central answered something that is not a status document.
    #[error("bad answer from the central: {0}")]
    BadAnswer(String),
}

/// Where dossier status comes from.
pub trait DossierSource: Send + Sync + 'static {
    /// The status document of `code`, if `secret` is its lookup secret. Blocking.
    fn fetch(&self, code: &str, secret: &str) -> Result<Value, LookupError>;
}

/// The central system's dossier endpoint, signed like the relay's event batches.
pub struct CentralDossiers {
    base: String,
    device_id: String,
    key: Vec<u8>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for CentralDossiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("CentralDossiers").field("base", &self.base).field("device_id", &self.device_id).finish()
    }
}

impl CentralDossiers {
    /// A client for the central at `base` (`http://…` or `https://…`) as `device_id` with its HMAC key.
    pub fn new(base: &str, device_id: &str, key: Vec<u8>) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(8)))
            .build()
            .into();
        Self { base: base.trim_end_matches('/').to_owned(), device_id: device_id.to_owned(), key, agent }
    }
}

impl DossierSource for CentralDossiers {
    fn fetch(&self, code: &str, secret: &str) -> Result<Value, LookupError> {
        use motcua_relay::wire;
        // Both come validated from the scanner crate's parsers; encode anyway.
        let path = format!("/v1/dossiers/{}?secret={}", url_encode(code), url_encode(secret));
        let ts = wire::now_rfc3339();
        let nonce = wire::nonce();
        let sig = wire::sign(&self.key, "GET", &path, b"", &ts, &nonce);
        let mut resp = self
            .agent
            .get(format!("{}{path}", self.base))
            .header(wire::H_DEVICE, &self.device_id)
            .header(wire::H_TIMESTAMP, ts)
            .header(wire::H_NONCE, nonce)
            .header(wire::H_SIGNATURE, sig)
            .call()
            .map_err(|e| LookupError::Unavailable(e.to_string()))?;
        let status = resp.status();
        if status == 404 {
            return Err(LookupError::NotFound);
        }
        if status.is_server_error() || status == 429 {
            return Err(LookupError::Unavailable(format!("HTTP {status}")));
        }
        if !status.is_success() {
            return Err(LookupError::BadAnswer(format!("HTTP {status}")));
        }
        let doc: Value = resp.body_mut().read_json().map_err(|e| LookupError::BadAnswer(e.to_string()))?;
        if doc.get("code").and_then(Value::as_str) != Some(code) {
            return Err(LookupError::BadAnswer("the answer is about another dossier".into()));
        }
        Ok(doc)
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Answers of the central kept for offline use.
#[derive(Debug)]
pub struct DossierCache {
    conn: Mutex<Connection>,
}

impl DossierCache {
    /// Open (or create) the cache database.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS dossier_cache (
                 key TEXT PRIMARY KEY, doc TEXT NOT NULL, fetched_ms INTEGER NOT NULL) STRICT;",
        )?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    /// An in-memory cache (tests, and kiosks without a data directory).
    pub fn in_memory() -> rusqlite::Result<Self> {
        Self::open(Path::new(":memory:"))
    }

    fn key(code: &str, secret: &str) -> String {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(format!("motcua-dossier:{code}:{secret}").as_bytes()))
    }

    /// Keep `doc` (already masked) as the answer for `code` + `secret` at `now`; drop old answers.
    pub fn put(&self, code: &str, secret: &str, doc: &Value, now: Timestamp) -> rusqlite::Result<()> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let oldest = now.as_millisecond() - CACHE_DAYS * 86_400_000;
        conn.execute("DELETE FROM dossier_cache WHERE fetched_ms < ?1", [oldest])?;
        conn.execute(
            "INSERT INTO dossier_cache (key, doc, fetched_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET doc = excluded.doc, fetched_ms = excluded.fetched_ms",
            params![Self::key(code, secret), doc.to_string(), now.as_millisecond()],
        )?;
        Ok(())
    }

    /// The cached answer for `code` + `secret` and when it was fetched.
    pub fn get(&self, code: &str, secret: &str, now: Timestamp) -> rusqlite::Result<Option<(Value, Timestamp)>> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let row: Option<(String, i64)> = conn
            .query_row("SELECT doc, fetched_ms FROM dossier_cache WHERE key = ?1", [Self::key(code, secret)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        Ok(row.and_then(|(doc, ms)| {
            let at = Timestamp::from_millisecond(ms).ok()?;
            if (now - at).get_seconds() > CACHE_DAYS * 86_400 {
                return None;
            }
            Some((serde_json::from_str(&doc).ok()?, at))
        }))
    }
}

/// A status, and when it was fetched if it came from the cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The status document (applicant masked).
    pub doc: Value,
    /// `Some(fetched)` when the central was unreachable and this is the cached answer.
    pub as_of: Option<Timestamp>,
}

/// The lookup service: the central first, the cache when it is unreachable.
pub struct Lookup {
    source: Box<dyn DossierSource>,
    cache: DossierCache,
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookup").finish_non_exhaustive()
    }
}

impl Lookup {
    /// A lookup over `source` with `cache`.
    pub fn new(source: Box<dyn DossierSource>, cache: DossierCache) -> Self {
        Self { source, cache }
    }

    /// The status of `code`, given its `secret`, at `now`.
    pub fn status(&self, code: &str, secret: &str, now: Timestamp) -> Result<Answer, LookupError> {
        match self.source.fetch(code, secret) {
            Ok(mut doc) => {
                mask_applicant(&mut doc);
                if let Err(e) = self.cache.put(code, secret, &doc, now) {
                    tracing::warn!(error = %e, "dossier cache write failed");
                }
                Ok(Answer { doc, as_of: None })
            }
            Err(LookupError::Unavailable(why)) => match self.cache.get(code, secret, now) {
                Ok(Some((doc, at))) => Ok(Answer { doc, as_of: Some(at) }),
                Ok(None) => Err(LookupError::Unavailable(why)),
                Err(e) => Err(LookupError::Unavailable(format!("{why}; cache: {e}"))),
            },
            Err(e) => Err(e),
        }
    }
}

/// "Nguyễn Văn An" → "Nguyễn V. A.": the family name and initials. Already masked names stay.
pub fn mask_name(name: &str) -> String {
    let mut words = name.split_whitespace();
    let Some(first) = words.next() else { return String::new() };
    let mut out = first.to_owned();
    for w in words {
        if let Some(c) = w.chars().next() {
            out.push(' ');
            out.push(c);
            out.push('.');
        }
    }
    out
}

fn mask_applicant(doc: &mut Value) {
    if let Some(a) = doc.get_mut("applicant") {
        let masked = a.as_str().map(mask_name).unwrap_or_default();
        *a = Value::String(masked);
    }
}

/// One processing step as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepView {
    /// "14:00 03/11/2026".
    pub at: String,
    /// What happened.
    pub step: String,
}

/// A dossier's status as the kiosk shows and prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierView {
    /// Dossier code.
    pub code: String,
    /// Procedure name.
    pub procedure: String,
    /// Masked applicant.
    pub applicant: String,
    /// Machine status (`processing`, ...).
    pub status: String,
    /// Status in the chosen language.
    pub status_label: String,
    /// Receipt time, formatted.
    pub received_at: String,
    /// Due time, formatted.
    pub due_at: String,
    /// `Some(true)` on time, `Some(false)` late, `None` when the dates are missing.
    pub on_time: Option<bool>,
    /// Steps, oldest first.
    pub steps: Vec<StepView>,
    /// For a cached answer: when it was fetched, formatted.
    pub as_of: Option<String>,
}

/// Status label by machine status, Vietnamese then English.
pub fn status_label(status: &str, lang: Lang) -> Option<&'static str> {
    let (vi, en) = match status {
        "received" => ("Đã tiếp nhận", "Received"),
        "processing" => ("Đang xử lý", "Being processed"),
        "awaiting_supplement" => ("Chờ bổ sung", "Waiting for more documents"),
        "result_ready" => ("Đã có kết quả", "Result ready"),
        "returned" => ("Đã trả kết quả", "Result handed over"),
        _ => return None,
    };
    Some(match lang {
        Lang::Vi => vi,
        Lang::En => en,
    })
}

fn format_local(rfc3339: &str, tz: &jiff::tz::TimeZone) -> Option<String> {
    let ts: Timestamp = rfc3339.parse().ok()?;
    Some(ts.to_zoned(tz.clone()).strftime("%H:%M %d/%m/%Y").to_string())
}

impl DossierView {
    /// The view of `answer` in `lang`, times in `tz`, timeliness judged at `now`.
    pub fn from_answer(answer: &Answer, lang: Lang, tz: &jiff::tz::TimeZone, now: Timestamp) -> Self {
        let doc = &answer.doc;
        let s = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let status = s("status");
        let status_label = status_label(&status, lang).map(str::to_owned).unwrap_or_else(|| s("status_label"));
        let received = s("received_at");
        let due = s("due_at");
        let steps: Vec<StepView> = doc
            .get("steps")
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .map(|st| {
                        let at = st.get("at").and_then(Value::as_str).unwrap_or_default();
                        StepView {
                            at: format_local(at, tz).unwrap_or_default(),
                            step: st.get("step").and_then(Value::as_str).unwrap_or_default().to_owned(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        // Finished dossiers are judged by when the result came; open ones by now.
        let due_ts: Option<Timestamp> = due.parse().ok();
        let finished = matches!(status.as_str(), "result_ready" | "returned");
        let last_step: Option<Timestamp> = doc
            .get("steps")
            .and_then(Value::as_array)
            .and_then(|v| v.last())
            .and_then(|st| st.get("at").and_then(Value::as_str))
            .and_then(|a| a.parse().ok());
        let judged_at = if finished { last_step } else { Some(now) };
        let on_time = match (due_ts, judged_at) {
            (Some(d), Some(at)) => Some(at <= d),
            _ => None,
        };
        DossierView {
            code: s("code"),
            procedure: doc
                .get("procedure")
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            applicant: mask_name(&s("applicant")),
            status,
            status_label,
            received_at: format_local(&received, tz).unwrap_or_default(),
            due_at: format_local(&due, tz).unwrap_or_default(),
            on_time,
            steps,
            as_of: answer.as_of.map(|t| t.to_zoned(tz.clone()).strftime("%H:%M %d/%m/%Y").to_string()),
        }
    }

    /// The status slip for the printer (always Vietnamese: the paper carries its own language).
    pub fn slip(&self, office_name: &str, printed_at: &str) -> motcua_device::ticket::StatusSlipData {
        motcua_device::ticket::StatusSlipData {
            office_name: office_name.to_owned(),
            code: self.code.clone(),
            procedure: self.procedure.clone(),
            applicant: self.applicant.clone(),
            status: status_label(&self.status, Lang::Vi)
                .map(str::to_owned)
                .unwrap_or_else(|| self.status_label.clone()),
            received_at: self.received_at.clone(),
            due_at: self.due_at.clone(),
            timeliness: self.on_time.map(|t| if t { "Đúng hạn".to_owned() } else { "Quá hạn".to_owned() }),
            steps: self.steps.iter().map(|s| (s.at.clone(), s.step.clone())).collect(),
            as_of: self.as_of.clone(),
            printed_at: printed_at.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Result<Value, LookupError>);
    impl DossierSource for Fixed {
        fn fetch(&self, _code: &str, _secret: &str) -> Result<Value, LookupError> {
            self.0.clone()
        }
    }

    fn doc() -> Value {
        serde_json::json!({
            "code": "000.00.12.H62-261103-0001",
            "procedure": {"code": "1.001612", "name": "Đăng ký khai sinh"},
            "applicant": "Nguyễn Văn An",
            "status": "processing",
            "status_label": "Đang xử lý",
            "received_at": "2026-11-03T08:10:00+07:00",
            "due_at": "2026-11-04T17:00:00+07:00",
            "steps": [{"at": "2026-11-03T08:10:00+07:00", "step": "Tiếp nhận hồ sơ"}]
        })
    }

    fn tz() -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").expect("tz")
    }

    fn now() -> Timestamp {
        "2026-11-23T02:00:00Z".parse().expect("ts")
    }

    #[test]
    fn names_are_masked_to_family_name_and_initials() {
        assert_eq!(mask_name("Nguyễn Văn An"), "Nguyễn V. A.");
        assert_eq!(mask_name("Nguyễn V. A."), "Nguyễn V. A.");
        assert_eq!(mask_name("  Lê   Thị  Đào "), "Lê T. Đ.");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn the_view_shows_status_dates_steps_and_lateness_in_either_language() {
        let a = Answer { doc: doc(), as_of: None };
        let v = DossierView::from_answer(&a, Lang::Vi, &tz(), now());
        assert_eq!(v.status_label, "Đang xử lý");
        assert_eq!(v.received_at, "08:10 03/11/2026");
        assert_eq!(v.due_at, "17:00 04/11/2026");
        assert_eq!(v.on_time, Some(false), "due on the 4th, still processing on the 23rd");
        assert_eq!(v.steps, [StepView { at: "08:10 03/11/2026".into(), step: "Tiếp nhận hồ sơ".into() }]);
        assert_eq!(v.applicant, "Nguyễn V. A.");
        let en = DossierView::from_answer(&a, Lang::En, &tz(), now());
        assert_eq!(en.status_label, "Being processed");
        let slip = v.slip("UBND phường Bến Nghé", "09:00 23/11/2026");
        assert_eq!(slip.timeliness.as_deref(), Some("Quá hạn"));
        assert_eq!(slip.status, "Đang xử lý");
    }

    #[test]
    fn central_down_answers_from_the_cache_with_its_time_and_only_for_the_right_secret() {
        let cache = DossierCache::in_memory().expect("cache");
        let up = Lookup::new(Box::new(Fixed(Ok(doc()))), cache);
        let first = up.status("000.00.12.H62-261103-0001", "123456", now()).expect("fetched");
        assert_eq!(first.as_of, None);
        assert_eq!(first.doc["applicant"], "Nguyễn V. A.", "masked before it is cached");
        // Move the cache behind a central that is down.
        let Lookup { cache, .. } = up;
        let down = Lookup::new(Box::new(Fixed(Err(LookupError::Unavailable("refused".into())))), cache);
        let later = now() + jiff::SignedDuration::from_hours(2);
        let cached = down.status("000.00.12.H62-261103-0001", "123456", later).expect("cached");
        assert_eq!(cached.as_of, Some(now()));
        let wrong = down.status("000.00.12.H62-261103-0001", "654321", later);
        assert!(matches!(wrong, Err(LookupError::Unavailable(_))), "{wrong:?}");
        let week_later = now() + jiff::SignedDuration::from_hours(24 * 8);
        assert!(down.status("000.00.12.H62-261103-0001", "123456", week_later).is_err(), "too old to show");
    }

    #[test]
    fn not_found_is_not_answered_from_the_cache() {
        let cache = DossierCache::in_memory().expect("cache");
        cache.put("000.00.12.H62-261103-0001", "123456", &doc(), now()).expect("put");
        let l = Lookup::new(Box::new(Fixed(Err(LookupError::NotFound))), cache);
        assert_eq!(l.status("000.00.12.H62-261103-0001", "123456", now()), Err(LookupError::NotFound));
    }
}

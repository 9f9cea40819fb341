//! Loading the CSCA trust list from a directory of DER certificates (the kiosk's
//! configuration). This is the crate's only file-system access; it reads certificates, never
//! writes anything.

use std::path::Path;

use crate::proto::pa::TrustStore;

/// What [`load_trust_dir`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrustLoad {
    /// Certificates loaded.
    pub loaded: usize,
    /// Files with a certificate extension that are not a DER certificate this crate parses.
    pub rejected: usize,
}

/// Loads every `*.der`, `*.cer` and `*.crt` file of `dir` (not recursive) as a DER CSCA
/// certificate. Unparsable files are counted, not fatal; an unreadable directory is an error.
pub fn load_trust_dir(dir: &Path) -> std::io::Result<(TrustStore, TrustLoad)> {
    let mut store = TrustStore::new();
    let mut report = TrustLoad::default();
    let mut paths: Vec<_> = std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let ext = p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if !matches!(ext.as_deref(), Some("der" | "cer" | "crt")) || !p.is_file() {
            continue;
        }
        match std::fs::read(&p).ok().map(|b| store.add_der(&b)) {
            Some(Ok(())) => report.loaded += 1,
            _ => report.rejected += 1,
        }
    }
    Ok((store, report))
}

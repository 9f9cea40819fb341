//! The translation catalogs against the `.slint` sources: every `@tr` message has an English
//! entry, no entry is orphaned, placeholders survive translation, and the Vietnamese source text
//! is NFC (precomposed), as the fonts and the ticket printer need it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

/// One `@tr` message: the singular and, for plurals, the plural form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Message {
    id: String,
    plural: Option<String>,
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn slint_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read ui dir").filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            slint_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "slint") {
            out.push(p);
        }
    }
}

/// Parses a Slint string literal starting at `s[0] == '"'`; returns the value and the rest.
fn string_literal(s: &str) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &s[i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                value.push(match e {
                    'n' => '\n',
                    other => other,
                });
            }
            c => value.push(c),
        }
    }
    None
}

/// Every `@tr(...)` message in `source`: `@tr("id" ...)`, `@tr("ctx" => "id" ...)`,
/// `@tr("id" | "plural" % n ...)`.
fn tr_messages(source: &str, file: &Path) -> Vec<Message> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("@tr(") {
        rest = &rest[at + 4..];
        let (first, after) = string_literal(rest.trim_start())
            .unwrap_or_else(|| panic!("{}: @tr without a string literal", file.display()));
        let mut after = after.trim_start();
        let id = first;
        if after.starts_with("=>") {
            panic!("{}: @tr with a context ({id:?} => …): the catalogs have no msgctxt", file.display());
        }
        let plural = match after.strip_prefix('|') {
            Some(a) => {
                let (p, a) = string_literal(a.trim_start()).unwrap_or_else(|| panic!("{}: bad plural", file.display()));
                after = a;
                Some(p)
            }
            None => None,
        };
        rest = after;
        out.push(Message { id, plural });
    }
    out
}

/// A minimal gettext .po reader: msgid, msgid_plural, msgstr and msgstr[N], with continuation lines.
#[derive(Debug, Default, Clone)]
struct PoEntry {
    id: String,
    plural: Option<String>,
    strs: BTreeMap<usize, String>,
}

fn unquote(s: &str) -> String {
    string_literal(s.trim()).map(|(v, _)| v).unwrap_or_else(|| panic!("bad .po string {s:?}"))
}

fn parse_po(text: &str) -> Vec<PoEntry> {
    #[derive(Clone, Copy)]
    enum Field {
        Id,
        Plural,
        Str(usize),
    }
    let mut entries = Vec::new();
    let mut cur: Option<PoEntry> = None;
    let mut field = Field::Id;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (f, value) = if let Some(v) = line.strip_prefix("msgid_plural ") {
            (Some(Field::Plural), v)
        } else if let Some(v) = line.strip_prefix("msgid ") {
            if let Some(done) = cur.take() {
                entries.push(done);
            }
            cur = Some(PoEntry::default());
            (Some(Field::Id), v)
        } else if let Some(v) = line.strip_prefix("msgstr[") {
            let (n, v) = v.split_once(']').expect("msgstr[N]");
            (Some(Field::Str(n.parse().expect("plural index"))), v)
        } else if let Some(v) = line.strip_prefix("msgstr ") {
            (Some(Field::Str(0)), v)
        } else {
            (None, line)
        };
        if let Some(f) = f {
            field = f;
        }
        let e = cur.as_mut().expect("a msgid first");
        let v = unquote(value);
        match field {
            Field::Id => e.id.push_str(&v),
            Field::Plural => e.plural.get_or_insert_with(String::new).push_str(&v),
            Field::Str(n) => e.strs.entry(n).or_default().push_str(&v),
        }
    }
    entries.extend(cur);
    entries.into_iter().filter(|e| !e.id.is_empty()).collect()
}

/// `{}`, `{0}`, `{n}` … in order.
fn placeholders(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else { break };
        out.push(rest[i..i + j + 1].to_owned());
        rest = &rest[i + j + 1..];
    }
    out.sort();
    out
}

fn messages() -> Vec<Message> {
    let mut files = Vec::new();
    slint_files(&manifest_dir().join("ui"), &mut files);
    assert!(files.len() >= 10, "found only {files:?}");
    let mut all: Vec<Message> =
        files.iter().flat_map(|f| tr_messages(&std::fs::read_to_string(f).expect("read .slint"), f)).collect();
    all.sort();
    all.dedup();
    all
}

fn english() -> Vec<PoEntry> {
    let path = manifest_dir().join("lang/en/LC_MESSAGES/motcua-kiosk-app.po");
    parse_po(&std::fs::read_to_string(&path).expect("read the English catalog"))
}

#[test]
fn every_tr_message_has_an_english_translation() {
    let messages = messages();
    assert!(messages.len() >= 30, "{} messages: is the parser broken?", messages.len());
    assert!(messages.contains(&Message { id: "Lấy số thứ tự".into(), plural: None }));
    let po = english();
    let mut missing = Vec::new();
    for m in &messages {
        let Some(e) = po.iter().find(|e| e.id == m.id) else {
            missing.push(format!("no entry: {:?}", m.id));
            continue;
        };
        if e.plural != m.plural {
            missing.push(format!("plural mismatch for {:?}: .slint {:?}, .po {:?}", m.id, m.plural, e.plural));
        }
        let needed = if m.plural.is_some() { 2 } else { 1 };
        for n in 0..needed {
            let s = e.strs.get(&n).map(String::as_str).unwrap_or_default();
            if s.trim().is_empty() {
                missing.push(format!("empty msgstr[{n}] for {:?}", m.id));
            } else if placeholders(s) != placeholders(&m.id) && !(m.plural.is_some() && s.contains("{n}")) {
                missing.push(format!("placeholders differ: {:?} -> {s:?}", m.id));
            }
        }
    }
    assert!(missing.is_empty(), "English catalog incomplete:\n{}", missing.join("\n"));
}

#[test]
fn the_english_catalog_has_no_orphaned_entries() {
    let messages = messages();
    let orphans: Vec<String> =
        english().into_iter().filter(|e| !messages.iter().any(|m| m.id == e.id)).map(|e| e.id).collect();
    assert!(orphans.is_empty(), "entries no @tr uses: {orphans:?}");
}

#[test]
fn vietnamese_source_strings_are_precomposed() {
    for m in messages() {
        for s in std::iter::once(&m.id).chain(m.plural.as_ref()) {
            let nfc: String = s.nfc().collect();
            assert_eq!(&nfc, s, "not NFC: {s:?}");
        }
    }
}

#[test]
fn the_tr_parser_reads_plurals_and_escapes() {
    let src = r#"Text { text: @tr("{n} người" | "{n} người" % n); } Text { text: @tr("a \"b\"", x); }"#;
    let m = tr_messages(src, Path::new("test.slint"));
    assert_eq!(
        m,
        vec![
            Message { id: "{n} người".into(), plural: Some("{n} người".into()) },
            Message { id: "a \"b\"".into(), plural: None },
        ]
    );
}

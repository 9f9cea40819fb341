//! What the hall display shows, as plain data updated from the hub's snapshot and push events.
//! No Slint here: the view copies this into `DisplayAdapter`.

use std::collections::{BTreeMap, VecDeque};

use motcua_hub::api::{Catalog, EventEnvelope, QueueSnapshot, TicketStatus};

/// Calls kept on screen.
pub const RECENT: usize = 8;

/// One call on the display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEntry {
    /// Ticket number.
    pub number: String,
    /// Counter.
    pub counter: u32,
    /// `HH:MM` office time of the call.
    pub time: String,
    /// A recall.
    pub recall: bool,
}

/// A field's waiting count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldWaiting {
    /// Letter series.
    pub letter: String,
    /// Name (Vietnamese).
    pub name: String,
    /// Tickets waiting.
    pub waiting: i64,
}

/// The display's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisplayModel {
    /// Office name.
    pub office_name: String,
    /// Newest first.
    pub calls: VecDeque<CallEntry>,
    /// By field id, in catalog order through `order`.
    pub fields: BTreeMap<String, FieldWaiting>,
    order: Vec<String>,
    /// Whether the push stream is up.
    pub connected: bool,
    /// Per-office sequence number of the last event applied (to drop replays).
    pub last_seq: u64,
}

/// What an event means for the voice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallAnnouncement {
    /// Ticket number.
    pub number: String,
    /// Counter.
    pub counter: u32,
    /// Recall or first call.
    pub recall: bool,
}

fn hhmm(rfc3339: &str) -> String {
    rfc3339.get(11..16).unwrap_or("").to_owned()
}

impl DisplayModel {
    /// Reset from a catalog and queue snapshot (at start and after every reconnect).
    pub fn apply_snapshot(&mut self, catalog: &Catalog, snap: &QueueSnapshot) {
        self.office_name = catalog.office.name_vi.clone();
        self.order = catalog.fields.iter().map(|f| f.id.clone()).collect();
        self.fields = catalog
            .fields
            .iter()
            .map(|f| {
                let w =
                    FieldWaiting { letter: f.letter.clone(), name: f.name_vi.clone(), waiting: i64::from(f.waiting) };
                (f.id.clone(), w)
            })
            .collect();
        // Keep calls we saw; add the counters' current tickets that we did not.
        for c in &snap.counters {
            if let Some(t) = &c.current
                && t.status == TicketStatus::Called
                && !self.calls.iter().any(|e| e.number == t.number && e.counter == c.number)
            {
                self.calls.push_back(CallEntry {
                    number: t.number.clone(),
                    counter: c.number,
                    time: String::new(),
                    recall: false,
                });
            }
        }
        self.calls.truncate(RECENT);
        self.connected = true;
    }

    fn field_of_number(&self, number: &str) -> Option<String> {
        let letters: String = number.chars().take_while(char::is_ascii_alphabetic).collect();
        self.fields.iter().find(|(_, f)| f.letter == letters).map(|(id, _)| id.clone())
    }

    fn bump(&mut self, field: Option<String>, by: i64) {
        if let Some(f) = field.and_then(|id| self.fields.get_mut(&id)) {
            f.waiting = (f.waiting + by).max(0);
        }
    }

    /// Apply one pushed event; returns what to announce, if anything.
    pub fn apply_event(&mut self, ev: &EventEnvelope) -> Option<CallAnnouncement> {
        if ev.seq != 0 && ev.seq <= self.last_seq {
            return None;
        }
        self.last_seq = ev.seq;
        let p = &ev.payload;
        let s = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let counter = p.get("counter").and_then(serde_json::Value::as_u64).and_then(|c| u32::try_from(c).ok());
        match ev.kind.as_str() {
            "day_started" => {
                self.calls.clear();
                for f in self.fields.values_mut() {
                    f.waiting = 0;
                }
                None
            }
            "ticket_issued" => {
                let field = p.get("ticket").and_then(|t| t.get("field_id")).and_then(|v| v.as_str()).map(str::to_owned);
                self.bump(field, 1);
                None
            }
            "ticket_transferred" => {
                self.bump(s("to_field"), 1);
                let number = s("number")?;
                self.calls.retain(|c| c.number != number);
                None
            }
            // A no-show is no longer being called: take it off the board.
            "ticket_skipped" => {
                let number = s("number")?;
                self.calls.retain(|c| c.number != number);
                None
            }
            "ticket_called" | "ticket_recalled" => {
                let number = s("number")?;
                let counter = counter?;
                let recall = ev.kind == "ticket_recalled";
                if !recall {
                    let field = self.field_of_number(&number);
                    self.bump(field, -1);
                }
                // One line per counter: its latest call.
                self.calls.retain(|c| c.counter != counter && c.number != number);
                self.calls.push_front(CallEntry {
                    number: number.clone(),
                    counter,
                    time: hhmm(&ev.occurred_at),
                    recall,
                });
                self.calls.truncate(RECENT);
                Some(CallAnnouncement { number, counter, recall })
            }
            _ => None,
        }
    }

    /// Fields in catalog order.
    pub fn fields_in_order(&self) -> Vec<&FieldWaiting> {
        self.order.iter().filter_map(|id| self.fields.get(id)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use motcua_hub::api::*;

    fn catalog() -> Catalog {
        let f = |id: &str, l: &str, w| FieldInfo {
            id: id.into(),
            letter: l.into(),
            name_vi: format!("Lĩnh vực {l}"),
            name_en: String::new(),
            counters: vec![1],
            waiting: w,
            counters_open: 1,
        };
        Catalog {
            office: OfficeInfo { id: "x".into(), name_vi: "UBND phường Bến Nghé".into(), name_en: String::new() },
            fields: vec![f("ho-tich", "A", 2), f("dat-dai", "B", 0)],
            priority_classes: vec![],
            rating: Default::default(),
        }
    }

    fn ev(seq: u64, kind: &str, payload: serde_json::Value) -> EventEnvelope {
        EventEnvelope {
            id: format!("id{seq}"),
            office_id: "x".into(),
            device_id: "d".into(),
            seq,
            kind: kind.into(),
            occurred_at: "2026-11-23T09:15:02+07:00".into(),
            payload,
        }
    }

    #[test]
    fn calls_go_on_top_update_waiting_and_are_announced_once() {
        let mut m = DisplayModel::default();
        m.apply_snapshot(&catalog(), &QueueSnapshot { service_day: String::new(), waiting: vec![], counters: vec![] });
        let a = m.apply_event(&ev(5, "ticket_called", serde_json::json!({"number": "A001", "counter": 2})));
        assert_eq!(a, Some(CallAnnouncement { number: "A001".into(), counter: 2, recall: false }));
        assert_eq!(m.calls[0].time, "09:15");
        assert_eq!(m.fields["ho-tich"].waiting, 1);
        // The same event replayed after a reconnect changes nothing.
        assert_eq!(m.apply_event(&ev(5, "ticket_called", serde_json::json!({"number": "A001", "counter": 2}))), None);
        let r = m.apply_event(&ev(6, "ticket_recalled", serde_json::json!({"number": "A001", "counter": 2})));
        assert!(r.is_some_and(|r| r.recall));
        assert_eq!(m.calls.len(), 1, "a recall moves the call to the top, not a second row");
        assert_eq!(m.fields["ho-tich"].waiting, 1, "a recall does not change the waiting count");
        m.apply_event(&ev(9, "ticket_called", serde_json::json!({"number": "B001", "counter": 3})));
        m.apply_event(&ev(10, "ticket_called", serde_json::json!({"number": "A002", "counter": 2})));
        let board: Vec<(&str, u32)> = m.calls.iter().map(|c| (c.number.as_str(), c.counter)).collect();
        assert_eq!(board, [("A002", 2), ("B001", 3)], "the latest call per counter, newest first");
        m.apply_event(&ev(11, "ticket_skipped", serde_json::json!({"number": "B001", "counter": 3})));
        assert_eq!(m.calls.len(), 1, "a no-show leaves the board");
        m.apply_event(&ev(12, "ticket_issued", serde_json::json!({"ticket": {"field_id": "dat-dai"}})));
        assert_eq!(m.fields["dat-dai"].waiting, 1);
        m.apply_event(&ev(13, "day_started", serde_json::json!({})));
        assert!(m.calls.is_empty());
    }

    #[test]
    fn odd_payloads_are_ignored_without_panicking() {
        let mut m = DisplayModel::default();
        for (i, p) in [serde_json::json!(null), serde_json::json!({"number": 5}), serde_json::json!({"counter": -1})]
            .into_iter()
            .enumerate()
        {
            assert_eq!(m.apply_event(&ev(i as u64 + 1, "ticket_called", p)), None);
        }
    }
}

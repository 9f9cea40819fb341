//! The announcement queue: a sans-IO core (calls in, play orders out, time passed in).
//!
//! - Serialised: one announcement plays at a time; a call arriving meanwhile waits its turn, so
//!   nothing is ever cut off (NovoSGA #45, #78).
//! - A recall of a number that is already waiting is folded into the waiting one; a recall of the
//!   number that is playing right now is queued once after it.
//! - Watchdog: a play order carries its expected duration; if the player has not reported the
//!   end by then plus a margin, [`Announcer::handle_timeout`] reports [`Event::Stuck`], the
//!   player restarts its audio device, and the announcement is replayed once.
//! - Nothing is lost: every call is said, in order, however many arrive at once. When more than
//!   `lag_warning` wait, [`Event::Lagging`] tells the player (to log it and raise a health
//!   warning); it does not drop anything.

use std::collections::VecDeque;
use std::time::Duration;

/// Call or recall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// First call.
    Call,
    /// The officer pressed recall.
    Recall,
}

/// One announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// Ticket number, e.g. `A023`.
    pub number: String,
    /// Counter number.
    pub counter: u32,
    /// Call or recall.
    pub kind: Kind,
}

/// What the core tells the player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Play this now; report the end with [`Announcer::handle_finished`].
    Play {
        /// Id to report back.
        id: u64,
        /// What to say.
        announcement: Announcement,
    },
    /// The playing announcement did not finish in time: restart the audio device.
    Stuck {
        /// The stuck play order.
        id: u64,
    },
    /// More announcements wait than the lag warning allows (the count waiting).
    Lagging(usize),
}

#[derive(Debug)]
struct Playing {
    id: u64,
    announcement: Announcement,
    deadline: Duration,
    retried: bool,
}

/// The queue. Time is a monotonic [`Duration`] since any fixed origin.
#[derive(Debug)]
pub struct Announcer {
    waiting: VecDeque<(Announcement, bool)>,
    playing: Option<Playing>,
    events: VecDeque<Event>,
    next_id: u64,
    lag_warning: usize,
    lagging: bool,
    margin: Duration,
}

impl Announcer {
    /// A queue that warns when more than `lag_warning` announcements wait; the watchdog allows
    /// `margin` beyond each announcement's expected duration.
    pub fn new(lag_warning: usize, margin: Duration) -> Self {
        Self {
            waiting: VecDeque::new(),
            playing: None,
            events: VecDeque::new(),
            next_id: 1,
            lag_warning: lag_warning.max(1),
            lagging: false,
            margin,
        }
    }

    /// A call or recall arrived.
    pub fn handle_call(&mut self, a: Announcement) {
        let same = |x: &Announcement| x.number == a.number && x.counter == a.counter;
        if self.waiting.iter().any(|(w, _)| same(w)) {
            return; // Already going to be said.
        }
        self.waiting.push_back((a, false));
        let lagging = self.waiting.len() > self.lag_warning;
        if lagging && !self.lagging {
            self.events.push_back(Event::Lagging(self.waiting.len()));
        }
        self.lagging = lagging;
    }

    /// If idle and something waits, start it: `expected` is how long it will take to say.
    pub fn poll_play(&mut self, now: Duration, expected: impl Fn(&Announcement) -> Duration) -> Option<Event> {
        if let Some(e) = self.events.pop_front() {
            return Some(e);
        }
        if self.playing.is_some() {
            return None;
        }
        let (announcement, retried) = self.waiting.pop_front()?;
        let id = self.next_id;
        self.next_id += 1;
        let deadline = now + expected(&announcement) + self.margin;
        self.playing = Some(Playing { id, announcement: announcement.clone(), deadline, retried });
        Some(Event::Play { id, announcement })
    }

    /// The player finished play order `id` (normally or with an error it already handled).
    pub fn handle_finished(&mut self, id: u64) {
        if self.playing.as_ref().is_some_and(|p| p.id == id) {
            self.playing = None;
        }
    }

    /// When the watchdog next needs [`Announcer::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.playing.as_ref().map(|p| p.deadline)
    }

    /// Check the watchdog at `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        let Some(p) = self.playing.as_ref() else { return };
        if now < p.deadline {
            return;
        }
        if let Some(p) = self.playing.take() {
            self.events.push_back(Event::Stuck { id: p.id });
            // Replay once, first in line; a second failure is not retried (the display still
            // shows the call, and an endless retry would block every later call).
            if !p.retried {
                self.waiting.push_front((p.announcement, true));
            }
        }
    }

    /// Announcements waiting (not counting the one playing).
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Whether something is playing.
    pub fn is_playing(&self) -> bool {
        self.playing.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(n: &str, c: u32) -> Announcement {
        Announcement { number: n.into(), counter: c, kind: Kind::Call }
    }
    const S: Duration = Duration::from_secs(1);
    fn five(_: &Announcement) -> Duration {
        5 * S
    }

    fn played(e: Option<Event>) -> Option<(u64, String)> {
        match e {
            Some(Event::Play { id, announcement }) => Some((id, announcement.number)),
            _ => None,
        }
    }

    #[test]
    fn a_new_call_waits_until_the_current_one_finished() {
        let mut a = Announcer::new(10, S);
        a.handle_call(call("A001", 1));
        let (id, n) = played(a.poll_play(Duration::ZERO, five)).expect("play");
        assert_eq!(n, "A001");
        a.handle_call(call("B001", 3));
        assert_eq!(a.poll_play(2 * S, five), None, "never cut off");
        a.handle_finished(id);
        assert_eq!(played(a.poll_play(5 * S, five)).map(|p| p.1).as_deref(), Some("B001"));
    }

    #[test]
    fn repeated_recalls_of_a_waiting_number_are_said_once() {
        let mut a = Announcer::new(10, S);
        a.handle_call(call("A001", 1));
        let (id, _) = played(a.poll_play(Duration::ZERO, five)).expect("play");
        for _ in 0..3 {
            a.handle_call(Announcement { kind: Kind::Recall, ..call("A002", 2) });
        }
        // A recall of the one playing now is said again after it.
        a.handle_call(Announcement { kind: Kind::Recall, ..call("A001", 1) });
        assert_eq!(a.waiting(), 2);
        a.handle_finished(id);
    }

    #[test]
    fn watchdog_reports_a_stuck_playback_and_replays_it_once() {
        let mut a = Announcer::new(10, S);
        a.handle_call(call("A001", 1));
        a.handle_call(call("A002", 1));
        let (id1, _) = played(a.poll_play(Duration::ZERO, five)).expect("play");
        assert_eq!(a.poll_timeout(), Some(6 * S));
        a.handle_timeout(5 * S);
        assert!(a.is_playing(), "not yet stuck");
        a.handle_timeout(6 * S);
        assert_eq!(a.poll_play(6 * S, five), Some(Event::Stuck { id: id1 }));
        let (id2, n) = played(a.poll_play(6 * S, five)).expect("replay");
        assert_eq!(n, "A001", "the stuck one is replayed first");
        a.handle_timeout(20 * S);
        assert_eq!(a.poll_play(20 * S, five), Some(Event::Stuck { id: id2 }));
        let (_, n) = played(a.poll_play(20 * S, five)).expect("next");
        assert_eq!(n, "A002", "a second failure is not retried");
    }

    #[test]
    fn a_flood_of_calls_is_said_in_order_one_at_a_time_and_none_is_lost() {
        let mut a = Announcer::new(5, S);
        let numbers: Vec<String> = (1..=200).map(|i| format!("A{i:03}")).collect();
        for n in &numbers {
            a.handle_call(call(n, 1 + (n.len() as u32 % 3)));
        }
        let mut said = Vec::new();
        let mut now = Duration::ZERO;
        let mut lag_warnings = 0;
        let mut busy_until = Duration::ZERO;
        while let Some(ev) = a.poll_play(now, five) {
            match ev {
                Event::Play { id, announcement } => {
                    assert!(now >= busy_until, "overlap: started before the previous one ended");
                    assert!(a.poll_play(now, five).is_none(), "a second play order while one plays");
                    said.push(announcement.number);
                    now += 5 * S;
                    busy_until = now;
                    a.handle_finished(id);
                }
                Event::Lagging(_) => lag_warnings += 1,
                Event::Stuck { .. } => panic!("nothing got stuck"),
            }
        }
        assert_eq!(said, numbers, "every call said once, in order");
        assert_eq!(lag_warnings, 1);
    }

    #[test]
    fn a_late_finish_report_of_an_old_order_is_ignored() {
        let mut a = Announcer::new(10, S);
        a.handle_call(call("A001", 1));
        let (id, _) = played(a.poll_play(Duration::ZERO, five)).expect("play");
        a.handle_timeout(10 * S);
        let _ = a.poll_play(10 * S, five); // Stuck
        let (id2, _) = played(a.poll_play(10 * S, five)).expect("replay");
        a.handle_finished(id);
        assert!(a.is_playing(), "the replay is still playing");
        a.handle_finished(id2);
        assert!(!a.is_playing());
    }
}

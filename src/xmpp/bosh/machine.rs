//! One BOSH session's bookkeeping, as data (XEP-0124 §10, §11, §14): which request ids
//! are expected, which requests are held and until when, the responses kept for
//! replays, and when the session counts as inactive. No I/O and no clock: every method
//! that depends on time takes `now`, and [`Machine::next_deadline`] says when to look
//! again.
//!
//! The rules:
//! - a new request carries the next `rid`; one up to `requests` ahead (one more for a
//!   pause or a terminate, §11) waits, parked, for those before it, and all are then
//!   taken in order (§14.2). Farther ahead is `item-not-found`;
//! - a repeated `rid` is answered with the response it got before, while that is among
//!   the last `requests` kept (§14.3); a repeat of a request still held takes its place;
//!   an older one is `item-not-found`;
//! - at most `hold` requests are held: one more releases the oldest (§4); a held request
//!   is answered, empty if need be, after `wait`;
//! - with nothing held, the session ends after `inactivity` (§10), or after the pause the
//!   client asked for (at most `max_pause`) until its next request.
//!
//! `T` is what the caller keeps with each request (where to send its response).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;
use tokio::time::Instant;

/// A session's time limits and sizes, as agreed at its creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// How long a request is held at most (the client's `wait`, capped).
    pub wait: Duration,
    /// How many requests are held at once (the client's `hold`, capped).
    pub hold: usize,
    pub inactivity: Duration,
    pub max_pause: Duration,
}

impl Limits {
    /// The `requests` attribute: how many requests the client may have open at once.
    pub(crate) fn requests(&self) -> u64 {
        self.hold as u64 + 1
    }
}

#[derive(Debug)]
struct Waiting<T> {
    rid: u64,
    until: Instant,
    item: T,
}

/// What to do with a request that just arrived.
#[derive(Debug)]
pub(crate) enum Arrival<T> {
    /// Take these in order now (this request, then any parked behind it): pass on their
    /// payloads, then [`Machine::hold`] each.
    Take(Vec<(u64, T)>),
    /// Ahead of a request still missing: kept until that one arrives.
    Parked,
    /// Seen and answered before: answer it again with this.
    Replay(T, String),
    /// Seen and not answered yet: the new copy takes the place of the old, given back to
    /// be released empty.
    Rejoined(T),
    /// Outside the window, or answered too long ago: `item-not-found`, and the session
    /// ends.
    Refused(T),
}

/// Something that is due.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// The oldest held request waited `wait`: answer it now.
    WaitOver,
    /// A parked request waited `wait` for one that never came: the session ends with
    /// `item-not-found`.
    Gap,
    /// No request for longer than the inactivity period: the session ends.
    Inactive,
}

#[derive(Debug)]
pub(crate) struct Machine<T> {
    limits: Limits,
    /// The rid of the last request taken in order.
    last: u64,
    /// Requests ahead of a missing one, by rid.
    parked: BTreeMap<u64, Waiting<T>>,
    /// Requests taken and not answered yet, oldest first.
    held: VecDeque<Waiting<T>>,
    /// The latest responses, oldest first, for replays.
    answered: VecDeque<(u64, String)>,
    /// Since when nothing has been held or parked.
    idle_since: Option<Instant>,
    /// The inactivity period now: the normal one, or a pause.
    inactivity: Duration,
}

impl<T> Machine<T> {
    /// A session created by request `rid` (whose response is then noted with
    /// [`Machine::answered`]).
    pub(crate) fn new(limits: Limits, rid: u64, now: Instant) -> Self {
        Machine {
            limits,
            last: rid,
            parked: BTreeMap::new(),
            held: VecDeque::new(),
            answered: VecDeque::new(),
            idle_since: Some(now),
            inactivity: limits.inactivity,
        }
    }

    /// Sorts a request in. `extra`: it pauses or terminates, so it may go one beyond the
    /// window.
    pub(crate) fn arrive(&mut self, rid: u64, item: T, extra: bool, now: Instant) -> Arrival<T> {
        // Any request shows the client is there: the pause it may have asked for is over.
        self.inactivity = self.limits.inactivity;
        if rid <= self.last {
            let arrival = if let Some(w) = self.held.iter_mut().find(|w| w.rid == rid) {
                Arrival::Rejoined(std::mem::replace(&mut w.item, item))
            } else if let Some((_, response)) = self.answered.iter().find(|(r, _)| *r == rid) {
                Arrival::Replay(item, response.clone())
            } else {
                Arrival::Refused(item)
            };
            if matches!(arrival, Arrival::Replay(..)) && self.is_idle() {
                self.idle_since = Some(now);
            }
            return arrival;
        }
        let window = self.limits.requests() + u64::from(extra);
        if rid - self.last > window {
            return Arrival::Refused(item);
        }
        if let Some(w) = self.parked.get_mut(&rid) {
            return Arrival::Rejoined(std::mem::replace(&mut w.item, item));
        }
        self.idle_since = None;
        if rid != self.last + 1 {
            let until = now + self.limits.wait;
            self.parked.insert(rid, Waiting { rid, until, item });
            return Arrival::Parked;
        }
        let mut take = vec![(rid, item)];
        self.last = rid;
        while let Some(w) = self.last.checked_add(1).and_then(|next| self.parked.remove(&next)) {
            self.last = w.rid;
            take.push((w.rid, w.item));
        }
        Arrival::Take(take)
    }

    /// Holds a taken request until there is something to send, or `wait` is over.
    pub(crate) fn hold(&mut self, rid: u64, item: T, now: Instant) {
        self.idle_since = None;
        self.held.push_back(Waiting {
            rid,
            until: now + self.limits.wait,
            item,
        });
    }

    /// More requests are held than the session allows: the oldest must go.
    pub(crate) fn over_hold(&self) -> bool {
        self.held.len() > self.limits.hold
    }

    pub(crate) fn has_held(&self) -> bool {
        !self.held.is_empty()
    }

    /// Takes the oldest held request out, to be answered (then tell [`Machine::answered`]).
    pub(crate) fn oldest(&mut self) -> Option<(u64, T)> {
        self.held.pop_front().map(|w| (w.rid, w.item))
    }

    /// Notes the response to `rid`, for a replay.
    pub(crate) fn answered(&mut self, rid: u64, response: String, now: Instant) {
        self.answered.push_back((rid, response));
        while self.answered.len() as u64 > self.limits.requests() {
            self.answered.pop_front();
        }
        if self.held.is_empty() && self.parked.is_empty() {
            self.idle_since = Some(now);
        }
    }

    /// The client asked for a pause of `secs`: the inactivity period becomes that (at
    /// most `max_pause`) until its next request.
    pub(crate) fn pause(&mut self, secs: u64) {
        self.inactivity = Duration::from_secs(secs).min(self.limits.max_pause);
    }

    fn is_idle(&self) -> bool {
        self.held.is_empty() && self.parked.is_empty()
    }

    /// When something may next be due.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let held = self.held.front().map(|w| w.until);
        let parked = self.parked.values().map(|w| w.until).min();
        let idle = self.idle_since.map(|since| since + self.inactivity);
        [held, parked, idle].into_iter().flatten().min()
    }

    /// What is due at `now`, if anything.
    pub(crate) fn due(&self, now: Instant) -> Option<Due> {
        if self.held.front().is_some_and(|w| w.until <= now) {
            return Some(Due::WaitOver);
        }
        if self.parked.values().any(|w| w.until <= now) {
            return Some(Due::Gap);
        }
        match self.idle_since {
            Some(since) if since + self.inactivity <= now => Some(Due::Inactive),
            _ => None,
        }
    }

    /// Everything held or parked, oldest first: the session is ending.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let held = self.held.drain(..).map(|w| w.item);
        let parked = std::mem::take(&mut self.parked).into_values().map(|w| w.item);
        held.chain(parked).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            wait: Duration::from_secs(60),
            hold: 1,
            inactivity: Duration::from_secs(30),
            max_pause: Duration::from_secs(120),
        }
    }

    fn machine(now: Instant) -> Machine<&'static str> {
        let mut m = Machine::new(limits(), 100, now);
        m.answered(100, "<created/>".into(), now);
        m
    }

    fn taken(a: Arrival<&'static str>) -> Vec<(u64, &'static str)> {
        match a {
            Arrival::Take(t) => t,
            other => panic!("not taken: {other:?}"),
        }
    }

    #[test]
    fn requests_in_order_are_taken_and_one_more_than_hold_releases_the_oldest() {
        let t0 = Instant::now();
        let mut m = machine(t0);
        assert_eq!(limits().requests(), 2);
        assert_eq!(taken(m.arrive(101, "a", false, t0)), [(101, "a")]);
        m.hold(101, "a", t0);
        assert!(!m.over_hold());
        assert_eq!(taken(m.arrive(102, "b", false, t0)), [(102, "b")]);
        m.hold(102, "b", t0);
        assert!(m.over_hold());
        assert_eq!(m.oldest(), Some((101, "a")));
        m.answered(101, "<one/>".into(), t0);
        assert!(!m.over_hold() && m.has_held());
    }

    #[test]
    fn a_request_ahead_of_a_missing_one_waits_for_it() {
        let t0 = Instant::now();
        let mut m = machine(t0);
        assert!(matches!(m.arrive(102, "second", false, t0), Arrival::Parked));
        assert_eq!(
            taken(m.arrive(101, "first", false, t0)),
            [(101, "first"), (102, "second")]
        );
        // A parked request whose predecessor never comes ends the session after `wait`.
        assert!(matches!(m.arrive(104, "fourth", false, t0), Arrival::Parked));
        assert_eq!(m.due(t0 + Duration::from_secs(59)), None);
        assert_eq!(m.due(t0 + Duration::from_secs(60)), Some(Due::Gap));
    }

    #[test]
    fn a_rid_beyond_the_window_is_refused_but_a_terminate_may_go_one_further() {
        let t0 = Instant::now();
        let mut m = machine(t0);
        assert!(matches!(m.arrive(103, "x", false, t0), Arrival::Refused("x")));
        assert!(matches!(m.arrive(103, "bye", true, t0), Arrival::Parked));
        assert!(matches!(m.arrive(104, "y", true, t0), Arrival::Refused("y")));
        assert!(matches!(m.arrive(u64::MAX, "z", false, t0), Arrival::Refused("z")));
        // The largest rid there is ends nothing badly.
        let mut edge: Machine<&str> = Machine::new(limits(), u64::MAX - 1, t0);
        assert_eq!(taken(edge.arrive(u64::MAX, "last", false, t0)), [(u64::MAX, "last")]);
        assert!(matches!(
            edge.arrive(u64::MAX, "again", false, t0),
            Arrival::Refused("again")
        ));
    }

    #[test]
    fn a_repeated_rid_gets_the_same_response_while_it_is_kept() {
        let t0 = Instant::now();
        let mut m = machine(t0);
        // The creation response itself can be asked for again.
        assert!(matches!(m.arrive(100, "again", false, t0), Arrival::Replay("again", ref r) if r == "<created/>"));
        for rid in 101..=104 {
            taken(m.arrive(rid, "r", false, t0));
            m.hold(rid, "r", t0);
            let (old, _) = m.oldest().unwrap();
            m.answered(old, format!("<r{old}/>"), t0);
        }
        assert!(matches!(m.arrive(104, "x", false, t0), Arrival::Replay("x", ref r) if r == "<r104/>"));
        assert!(matches!(m.arrive(103, "x", false, t0), Arrival::Replay("x", ref r) if r == "<r103/>"));
        // Only the last `requests` (2) responses are kept.
        assert!(matches!(m.arrive(102, "x", false, t0), Arrival::Refused("x")));
        assert!(matches!(m.arrive(100, "x", false, t0), Arrival::Refused("x")));
    }

    #[test]
    fn a_repeat_of_a_request_still_held_takes_its_place() {
        let t0 = Instant::now();
        let mut m = machine(t0);
        taken(m.arrive(101, "first copy", false, t0));
        m.hold(101, "first copy", t0);
        assert!(matches!(
            m.arrive(101, "second copy", false, t0),
            Arrival::Rejoined("first copy")
        ));
        assert_eq!(m.oldest(), Some((101, "second copy")));
        assert!(matches!(m.arrive(103, "p1", false, t0), Arrival::Parked));
        assert!(matches!(m.arrive(103, "p2", false, t0), Arrival::Rejoined("p1")));
        assert_eq!(m.drain(), ["p2"]);
    }

    #[test]
    fn a_held_request_is_due_after_wait_and_an_idle_session_after_inactivity() {
        let t0 = Instant::now();
        let mut m = machine(t0);
        assert_eq!(m.next_deadline(), Some(t0 + Duration::from_secs(30)));
        assert_eq!(m.due(t0 + Duration::from_secs(29)), None);
        assert_eq!(m.due(t0 + Duration::from_secs(30)), Some(Due::Inactive));

        let t1 = t0 + Duration::from_secs(10);
        taken(m.arrive(101, "a", false, t1));
        m.hold(101, "a", t1);
        // Held: no inactivity, only the wait.
        assert_eq!(m.next_deadline(), Some(t1 + Duration::from_secs(60)));
        assert_eq!(m.due(t1 + Duration::from_secs(59)), None);
        let t2 = t1 + Duration::from_secs(60);
        assert_eq!(m.due(t2), Some(Due::WaitOver));
        let (rid, _) = m.oldest().unwrap();
        m.answered(rid, "<empty/>".into(), t2);
        // Answered: the inactivity period starts from the answer.
        assert_eq!(m.next_deadline(), Some(t2 + Duration::from_secs(30)));
    }

    #[test]
    fn a_pause_lengthens_inactivity_up_to_max_pause_until_the_next_request() {
        let t0 = Instant::now();
        let mut m = machine(t0);
        taken(m.arrive(101, "pause", true, t0));
        m.pause(600);
        m.hold(101, "pause", t0);
        let (rid, _) = m.oldest().unwrap();
        m.answered(rid, "<body/>".into(), t0);
        assert_eq!(m.next_deadline(), Some(t0 + Duration::from_secs(120)));
        assert_eq!(m.due(t0 + Duration::from_secs(119)), None);
        assert_eq!(m.due(t0 + Duration::from_secs(120)), Some(Due::Inactive));
        // The next request brings the normal period back.
        let t1 = t0 + Duration::from_secs(100);
        taken(m.arrive(102, "back", false, t1));
        m.hold(102, "back", t1);
        let (rid, _) = m.oldest().unwrap();
        m.answered(rid, "<body/>".into(), t1);
        assert_eq!(m.next_deadline(), Some(t1 + Duration::from_secs(30)));
    }

    #[test]
    fn a_polling_session_holds_nothing() {
        let t0 = Instant::now();
        let polling = Limits {
            wait: Duration::ZERO,
            hold: 0,
            ..limits()
        };
        assert_eq!(polling.requests(), 1);
        let mut m: Machine<&str> = Machine::new(polling, 1, t0);
        taken(m.arrive(2, "poll", false, t0));
        m.hold(2, "poll", t0);
        assert!(m.over_hold());
        assert_eq!(m.due(t0), Some(Due::WaitOver));
        // Two ahead is beyond a window of one.
        assert!(matches!(m.arrive(4, "x", false, t0), Arrival::Refused("x")));
    }
}

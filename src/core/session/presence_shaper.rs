//! The presence shaper of one session: how often its availability may be broadcast.
//!
//! A broadcast presence (no `to`, available or unavailable) goes to every contact present,
//! so its cost grows with them (about 6 ms with 200 present); a client sending presence
//! in a loop would keep a core busy. Each session has a token bucket of `burst` tokens
//! refilled at `per_second`: a broadcast takes one. One that finds the bucket empty is
//! held rather than dropped or refused, replacing whatever was held before, and goes out
//! when the next token comes. So a burst of updates reaches contacts as at most `burst`
//! broadcasts, then one per token, and the last one always arrives: contacts end with
//! the state the client last sent. A broadcast that finds a token while one is held
//! supersedes it (the held one is never sent).
//!
//! This module only decides, on the time it is given (no clock, no I/O); the session
//! keeps one per session and `im::presence` sends what it says.

use std::time::Duration;
use tokio::time::Instant;

/// `general.presence_burst` and `general.presence_rate`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PresenceRate {
    /// Broadcasts a session may send at once, and the bucket's size (at least 1).
    pub burst: u32,
    /// Tokens added per second (more than 0).
    pub per_second: f64,
}

impl Default for PresenceRate {
    fn default() -> Self {
        PresenceRate {
            burst: 10,
            per_second: 1.0,
        }
    }
}

/// What to do with a broadcast presence now.
#[derive(Debug, PartialEq)]
pub enum Admit<T> {
    /// Broadcast it now (whatever was held is dropped: this one is newer).
    Now(T),
    /// Held until a token comes. `Some(wait)`: nothing is waiting for the bucket yet, so
    /// the caller schedules a [`PresenceShaper::due`] after `wait`.
    Held(Option<Duration>),
}

/// What [`PresenceShaper::due`] found.
#[derive(Debug, PartialEq)]
pub enum Due<T> {
    /// A token came: broadcast the held presence now.
    Send(T),
    /// Not yet: look again after this.
    Wait(Duration),
    /// Nothing is held (it was superseded, or the session ended).
    Nothing,
}

/// One session's bucket and the presence it holds.
#[derive(Debug)]
pub struct PresenceShaper<T> {
    tokens: f64,
    /// When `tokens` was last brought up to date; `None`: never used (a full bucket).
    updated: Option<Instant>,
    held: Option<T>,
    /// A `due` is scheduled: a new held presence needs no other.
    scheduled: bool,
    /// The session ended: nothing more is held or sent.
    closed: bool,
}

impl<T> Default for PresenceShaper<T> {
    fn default() -> Self {
        PresenceShaper {
            tokens: 0.0,
            updated: None,
            held: None,
            scheduled: false,
            closed: false,
        }
    }
}

impl<T> PresenceShaper<T> {
    fn refill(&mut self, rate: &PresenceRate, now: Instant) {
        let burst = f64::from(rate.burst.max(1));
        self.tokens = match self.updated {
            None => burst,
            Some(then) => {
                (self.tokens + now.saturating_duration_since(then).as_secs_f64() * rate.per_second).min(burst)
            }
        };
        self.updated = Some(now);
    }

    /// How long until a whole token is in the bucket.
    fn until_token(&self, rate: &PresenceRate) -> Duration {
        let missing = (1.0 - self.tokens).max(0.0);
        Duration::from_secs_f64(missing / rate.per_second.max(f64::MIN_POSITIVE)).max(Duration::from_millis(1))
    }

    /// A broadcast presence from the client at `now`.
    pub fn admit(&mut self, rate: &PresenceRate, now: Instant, presence: T) -> Admit<T> {
        self.refill(rate, now);
        if self.tokens >= 1.0 && !self.closed {
            self.tokens -= 1.0;
            self.held = None;
            return Admit::Now(presence);
        }
        if self.closed {
            return Admit::Held(None);
        }
        self.held = Some(presence);
        if self.scheduled {
            Admit::Held(None)
        } else {
            self.scheduled = true;
            Admit::Held(Some(self.until_token(rate)))
        }
    }

    /// The scheduled look at the bucket, at `now`.
    pub fn due(&mut self, rate: &PresenceRate, now: Instant) -> Due<T> {
        if self.closed || self.held.is_none() {
            self.scheduled = false;
            self.held = None;
            return Due::Nothing;
        }
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.scheduled = false;
            return self.held.take().map_or(Due::Nothing, Due::Send);
        }
        Due::Wait(self.until_token(rate))
    }

    /// The session ends: what is held is dropped (the end sends unavailable presence).
    pub fn close(&mut self) {
        self.closed = true;
        self.held = None;
    }

    /// Whether a presence is held.
    pub fn holds(&self) -> bool {
        self.held.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: PresenceRate = PresenceRate {
        burst: 10,
        per_second: 1.0,
    };

    fn at(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    #[test]
    fn a_burst_goes_at_once_then_the_rest_is_coalesced_into_the_latest() {
        let start = Instant::now();
        let mut s = PresenceShaper::default();
        for i in 0..10 {
            assert_eq!(
                s.admit(&RATE, at(start, i), i),
                Admit::Now(i),
                "update {i} is within the burst"
            );
        }
        // The eleventh is held, and a look is asked for when the next token comes.
        let Admit::Held(Some(wait)) = s.admit(&RATE, at(start, 10), 10) else {
            panic!("the eleventh update is held with a wake-up");
        };
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // Later ones replace it; no second wake-up is asked for.
        for i in 11..200 {
            assert_eq!(s.admit(&RATE, at(start, 10 + i), i), Admit::Held(None));
        }
        assert!(s.holds());
        // At the wake-up, only the last one goes.
        assert_eq!(s.due(&RATE, at(start, 1011)), Due::Send(199));
        assert_eq!(s.due(&RATE, at(start, 1012)), Due::Nothing);
    }

    #[test]
    fn an_early_look_waits_for_the_token() {
        let start = Instant::now();
        let mut s = PresenceShaper::default();
        for i in 0..10 {
            s.admit(&RATE, start, i);
        }
        assert!(matches!(s.admit(&RATE, start, 10), Admit::Held(Some(_))));
        let Due::Wait(wait) = s.due(&RATE, at(start, 400)) else {
            panic!("no token yet");
        };
        assert!(
            wait >= Duration::from_millis(599) && wait <= Duration::from_millis(601),
            "{wait:?}"
        );
        assert_eq!(s.due(&RATE, at(start, 1000)), Due::Send(10));
    }

    #[test]
    fn the_sustained_rate_is_one_per_token_and_the_bucket_refills_to_its_burst() {
        let start = Instant::now();
        let mut s = PresenceShaper::default();
        for i in 0..10 {
            s.admit(&RATE, start, i);
        }
        // One a second goes straight through, as the tokens come.
        for i in 1..=5u64 {
            assert_eq!(s.admit(&RATE, at(start, i * 1000), i), Admit::Now(i));
        }
        // A long silence fills the bucket to its burst, no more.
        let later = at(start, 3_600_000);
        for i in 0..10 {
            assert_eq!(s.admit(&RATE, later, i), Admit::Now(i));
        }
        assert!(matches!(s.admit(&RATE, later, 10), Admit::Held(Some(_))));
    }

    #[test]
    fn a_presence_finding_a_token_supersedes_the_held_one() {
        let start = Instant::now();
        let mut s = PresenceShaper::default();
        for i in 0..10 {
            s.admit(&RATE, start, i);
        }
        assert!(matches!(s.admit(&RATE, start, 10), Admit::Held(Some(_))));
        // The client sends again once a token came, before the scheduled look ran.
        assert_eq!(s.admit(&RATE, at(start, 1500), 11), Admit::Now(11));
        assert_eq!(s.due(&RATE, at(start, 1501)), Due::Nothing);
        // And the next held one asks for a look of its own.
        assert!(matches!(s.admit(&RATE, at(start, 1502), 12), Admit::Held(Some(_))));
    }

    #[test]
    fn a_closed_session_holds_and_sends_nothing() {
        let start = Instant::now();
        let mut s = PresenceShaper::default();
        for i in 0..10 {
            s.admit(&RATE, start, i);
        }
        assert!(matches!(s.admit(&RATE, start, 10), Admit::Held(Some(_))));
        s.close();
        assert!(!s.holds());
        assert_eq!(s.due(&RATE, at(start, 5000)), Due::Nothing);
        assert_eq!(s.admit(&RATE, at(start, 5000), 11), Admit::Held(None));
        assert!(!s.holds());
    }

    #[test]
    fn fractional_rates_and_a_burst_of_one() {
        let slow = PresenceRate {
            burst: 1,
            per_second: 0.5,
        };
        let start = Instant::now();
        let mut s = PresenceShaper::default();
        assert_eq!(s.admit(&slow, start, 0), Admit::Now(0));
        let Admit::Held(Some(wait)) = s.admit(&slow, start, 1) else {
            panic!("held");
        };
        assert_eq!(wait, Duration::from_secs(2));
        assert_eq!(s.due(&slow, at(start, 2000)), Due::Send(1));
    }
}

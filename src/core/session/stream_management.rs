//! XEP-0198 Stream Management (`urn:xmpp:sm:3`), §4 acks: one session's counters and
//! the stanzas it sent that the client has not acknowledged yet.
//!
//! Plain data, no I/O. The XMPP door counts what it reads and writes here while the
//! client is connected; the resumption table ([`super::resumption`]) keeps it while the
//! client is away, so that a resumed stream (§5) retransmits exactly what the client did
//! not acknowledge, and an expired one hands those stanzas to
//! `Core::redeliver_undelivered`.
//!
//! Counters are sequence numbers modulo 2^32 (§4): `h` wraps around.

use super::Outbound;
use crate::core::stanza::ns;
use crate::xml::{Element, Node};
use std::collections::VecDeque;

/// When the server asks for acks, and how much it keeps unacknowledged
/// (`[modules.mod_stream_management]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmSettings {
    /// How long a session whose connection was lost stays resumable.
    pub resume_timeout: std::time::Duration,
    /// Stanzas sent and not yet acknowledged; at this many the server stops sending and
    /// waits for an ack (what arrives meanwhile waits in the session's bounded queue).
    pub buffer_max: usize,
    /// An ack is requested (`<r/>`) once this many stanzas went out since the last request.
    pub ack_freq: u32,
}

/// An `<a h='…'/>` acknowledging more stanzas than were sent (§4: the stream ends with
/// `<undefined-condition/>` and `<handled-count-too-high/>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the client acknowledged {h} stanzas, but only {sent} were sent")]
pub struct HandledTooHigh {
    pub h: u32,
    pub sent: u32,
}

/// A stanza written to the client and not yet acknowledged.
#[derive(Debug, Clone)]
struct Unacked {
    stanza: Outbound,
    /// When it was first written (Unix milliseconds), for the `<delay/>` of a retransmission.
    sent_at_ms: i64,
}

/// The stream management state of one session.
#[derive(Debug, Clone, Default)]
pub struct SmState {
    /// Stanzas from the client handled by the server: the `h` the server reports.
    handled: u32,
    /// Stanzas written to the client.
    sent: u32,
    /// The client's last `h`.
    acked: u32,
    unacked: VecDeque<Unacked>,
    /// Stanzas written since the last `<r/>`.
    since_request: u32,
}

impl SmState {
    pub fn new() -> Self {
        Self::default()
    }

    /// One more stanza from the client was handled.
    pub fn handled_one(&mut self) {
        self.handled = self.handled.wrapping_add(1);
    }

    /// The `h` to report to the client.
    pub fn handled(&self) -> u32 {
        self.handled
    }

    /// `stanza` was written to the client at `now_ms`.
    pub fn sent_one(&mut self, stanza: impl Into<Outbound>, now_ms: i64) {
        self.sent = self.sent.wrapping_add(1);
        self.since_request = self.since_request.saturating_add(1);
        self.unacked.push_back(Unacked {
            stanza: stanza.into(),
            sent_at_ms: now_ms,
        });
    }

    pub fn unacked_len(&self) -> usize {
        self.unacked.len()
    }

    /// The client says it handled `h` stanzas: those up to `h` are forgotten. An `h`
    /// below the last one is taken as a repetition (nothing is forgotten twice).
    pub fn ack(&mut self, h: u32) -> Result<(), HandledTooHigh> {
        let newly = h.wrapping_sub(self.acked) as usize;
        if newly > self.unacked.len() {
            // Either more than was sent, or an old `h` from before the last ack (which
            // wraps to a huge count): only the first is an error.
            let behind = self.acked.wrapping_sub(h) as usize;
            if behind <= self.acked_window() {
                return Ok(());
            }
            return Err(HandledTooHigh { h, sent: self.sent });
        }
        self.unacked.drain(..newly);
        self.acked = h;
        Ok(())
    }

    /// How far back an old `h` may be: everything ever acknowledged on this stream
    /// (bounded by the counter itself).
    fn acked_window(&self) -> usize {
        self.sent.wrapping_sub(self.unacked.len() as u32) as usize
    }

    /// Whether an `<r/>` is due: `ack_freq` stanzas went out since the last one, or the
    /// unacknowledged queue is full. Resets the count when it says yes.
    pub fn request_due(&mut self, settings: &SmSettings) -> bool {
        let due = self.since_request >= settings.ack_freq
            || (self.since_request > 0 && self.unacked.len() >= settings.buffer_max);
        if due {
            self.since_request = 0;
        }
        due
    }

    /// At `buffer_max`: nothing more is written until the client acknowledges.
    pub fn is_full(&self, settings: &SmSettings) -> bool {
        self.unacked.len() >= settings.buffer_max
    }

    /// The stanzas to write again on a resumed stream (§5), oldest first, each marked with
    /// a XEP-0203 `<delay/>` from `domain` saying when it was first sent. They stay
    /// unacknowledged: the counters already count them.
    pub fn retransmission(&self, domain: &str) -> Vec<Element> {
        self.unacked
            .iter()
            .map(|u| delayed(u.stanza.to_element().into_owned(), domain, u.sent_at_ms))
            .collect()
    }

    /// Everything not acknowledged, oldest first, with the same `<delay/>` marks: what the
    /// session failed to deliver when it ends.
    pub fn into_unacked(self, domain: &str) -> Vec<Element> {
        self.unacked
            .into_iter()
            .map(|u| delayed(u.stanza.into_element(), domain, u.sent_at_ms))
            .collect()
    }
}

/// `stanza` with a XEP-0203 `<delay/>` from `domain` stamped `at_ms`, if it is a message
/// or presence (what XEP-0203 marks) without one already (then the earlier delay is the
/// one that counts).
pub fn delayed(mut stanza: Element, domain: &str, at_ms: i64) -> Element {
    if matches!(stanza.name.as_str(), "message" | "presence") && stanza.child("delay", ns::DELAY).is_none() {
        stanza.children.push(Node::Element(
            Element::new("delay", ns::DELAY)
                .with_attr("from", domain)
                .with_attr("stamp", crate::core::archive::mam::format_time(at_ms)),
        ));
    }
    stanza
}

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(ack_freq: u32, buffer_max: usize) -> SmSettings {
        SmSettings {
            resume_timeout: std::time::Duration::from_secs(300),
            buffer_max,
            ack_freq,
        }
    }

    fn message(n: u32) -> Element {
        Element::new("message", ns::CLIENT).with_attr("id", n.to_string())
    }

    fn ids(stanzas: &[Element]) -> Vec<String> {
        stanzas.iter().map(|s| s.attr("id").unwrap().to_owned()).collect()
    }

    #[test]
    fn acks_forget_what_the_client_handled_and_keep_the_rest_in_order() {
        let mut sm = SmState::new();
        for n in 1..=5 {
            sm.sent_one(message(n), 1000);
        }
        sm.ack(2).unwrap();
        assert_eq!(sm.unacked_len(), 3);
        assert_eq!(ids(&sm.retransmission("localhost")), ["3", "4", "5"]);
        sm.ack(2).unwrap();
        assert_eq!(sm.unacked_len(), 3, "the same h again changes nothing");
        sm.ack(1).unwrap();
        assert_eq!(sm.unacked_len(), 3, "an older h is a late repetition, not an error");
        sm.ack(5).unwrap();
        assert_eq!(sm.unacked_len(), 0);
    }

    #[test]
    fn acknowledging_more_than_was_sent_is_an_error() {
        let mut sm = SmState::new();
        sm.sent_one(message(1), 0);
        sm.sent_one(message(2), 0);
        assert_eq!(sm.ack(3), Err(HandledTooHigh { h: 3, sent: 2 }));
        assert_eq!(sm.unacked_len(), 2, "nothing was forgotten");
        let mut fresh = SmState::new();
        assert_eq!(fresh.ack(1), Err(HandledTooHigh { h: 1, sent: 0 }));
    }

    #[test]
    fn counters_wrap_at_two_to_the_thirty_two() {
        let mut sm = SmState {
            sent: u32::MAX - 1,
            acked: u32::MAX - 1,
            handled: u32::MAX,
            ..SmState::default()
        };
        sm.handled_one();
        assert_eq!(sm.handled(), 0);
        for n in 0..3 {
            sm.sent_one(message(n), 0);
        }
        // Sent: MAX, 0, 1. Acknowledging up to 0 forgets two.
        sm.ack(0).unwrap();
        assert_eq!(ids(&sm.retransmission("localhost")), ["2"]);
        assert!(sm.ack(2).is_err(), "one past what was sent");
        sm.ack(1).unwrap();
        assert_eq!(sm.unacked_len(), 0);
    }

    #[test]
    fn acks_are_requested_every_ack_freq_stanzas_and_when_the_buffer_is_full() {
        let every_two = settings(2, 100);
        let mut sm = SmState::new();
        assert!(!sm.request_due(&every_two), "nothing sent, nothing to ask");
        sm.sent_one(message(1), 0);
        assert!(!sm.request_due(&every_two));
        sm.sent_one(message(2), 0);
        assert!(sm.request_due(&every_two));
        assert!(!sm.request_due(&every_two), "asked once");

        let small = settings(10, 2);
        let mut sm = SmState::new();
        sm.sent_one(message(1), 0);
        assert!(!sm.is_full(&small) && !sm.request_due(&small));
        sm.sent_one(message(2), 0);
        assert!(sm.is_full(&small) && sm.request_due(&small));
        sm.ack(1).unwrap();
        assert!(!sm.is_full(&small));
    }

    #[test]
    fn retransmitted_stanzas_say_when_they_were_first_sent() {
        let mut sm = SmState::new();
        sm.sent_one(message(1), 1_700_000_000_000);
        let again = sm.retransmission("localhost");
        let delay = again[0].child("delay", ns::DELAY).expect("a delay");
        assert_eq!(delay.attr("stamp"), Some("2023-11-14T22:13:20.000Z"));
        assert_eq!(delay.attr("from"), Some("localhost"));
        // A stanza that already carries a delay keeps that one only.
        let twice = delayed(again[0].clone(), "localhost", 0);
        assert_eq!(twice.elements().filter(|e| e.is("delay", ns::DELAY)).count(), 1);
        sm.sent_one(Element::new("iq", ns::CLIENT).with_attr("type", "result"), 0);
        let all = sm.into_unacked("localhost");
        assert_eq!(all.len(), 2, "every stanza is retransmitted");
        assert!(all[1].child("delay", ns::DELAY).is_none(), "an IQ gets no delay mark");
    }
}

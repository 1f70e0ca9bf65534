//! XEP-0352 Client State Indication: what an inactive client's session holds back.
//!
//! While a client says it is inactive (§4.2), its session holds presence updates (only the
//! latest per sender's full JID matters: §3.2 "push the latest presence from each
//! contact") and messages that carry nothing but a XEP-0085 chat state (only the latest
//! per sender). Everything else goes through at once: messages with a body, IQs,
//! subscription requests, errors. A message with a body makes the chat states held from
//! its sender's account moot, so they are dropped. When the client is active again, or
//! the held stanzas reach the configured `buffer_max`, they are released in the order
//! they were last updated. A new stream (including a resumed one) starts active (§4.2).
//!
//! This module decides and keeps; the session ([`super::Session`]) counts what
//! is held against its queue limits and releases it into its queue.

use super::Outbound;
use crate::core::stanza::{ns, PresenceType};
use crate::xml::Element;

/// `[modules.mod_csi]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsiSettings {
    /// Stanzas held at most; reaching it releases them all.
    pub buffer_max: usize,
}

/// What an inactive session holds, keyed by what a later stanza replaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// Available or unavailable presence from this full JID (or bare JID or domain).
    Presence(String),
    /// A chat-state-only message from this JID.
    ChatState(String),
}

/// What to do with a stanza for an inactive client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Hold(Key),
    /// Send at once. `Some(bare)`: a message with a body from `bare`'s account, after
    /// which chat states held from that account are moot.
    Pass {
        supersedes_chat_states_of: Option<String>,
    },
}

/// Children a chat-state-only message may have besides the chat state.
fn incidental(child: &Element) -> bool {
    child.ns == ns::CHAT_STATES
        || child.is("thread", ns::CLIENT)
        || child.ns == ns::HINTS
        || child.ns == ns::STANZA_ID
        || child.ns == ns::DELAY
}

/// Whether a stanza for an inactive client may wait.
pub(crate) fn classify(stanza: &Element) -> Verdict {
    let from = stanza.attr("from").unwrap_or_default();
    match stanza.name.as_str() {
        "presence" => match PresenceType::of(stanza) {
            Some(PresenceType::Available | PresenceType::Unavailable) => Verdict::Hold(Key::Presence(from.to_owned())),
            _ => Verdict::Pass {
                supersedes_chat_states_of: None,
            },
        },
        "message" if stanza.attr("type") != Some("error") => {
            let has_body = stanza.child("body", ns::CLIENT).is_some();
            let chat_state_only =
                !has_body && stanza.elements().any(|c| c.ns == ns::CHAT_STATES) && stanza.elements().all(incidental);
            if chat_state_only {
                return Verdict::Hold(Key::ChatState(from.to_owned()));
            }
            Verdict::Pass {
                supersedes_chat_states_of: has_body.then(|| bare(from).to_owned()),
            }
        }
        _ => Verdict::Pass {
            supersedes_chat_states_of: None,
        },
    }
}

/// The bare part of a JID's text.
fn bare(jid: &str) -> &str {
    jid.split_once('/').map_or(jid, |(b, _)| b)
}

/// Stanzas held for an inactive client, in the order they were last updated, with their
/// sizes (as the session's queue counts them).
#[derive(Debug, Default)]
pub(crate) struct Held {
    items: Vec<(Key, Outbound, usize)>,
}

impl Held {
    /// Holds `stanza` under `key`, replacing what was held under it; returns the size of
    /// what it replaced (0 if nothing).
    pub fn hold(&mut self, key: Key, stanza: Outbound, size: usize) -> usize {
        let replaced = match self.items.iter().position(|(k, _, _)| *k == key) {
            Some(i) => self.items.remove(i).2,
            None => 0,
        };
        self.items.push((key, stanza, size));
        replaced
    }

    /// Drops the chat states held from `bare`'s account; returns the bytes freed.
    pub fn drop_chat_states_of(&mut self, bare_jid: &str) -> usize {
        let mut freed = 0;
        self.items.retain(|(k, _, size)| match k {
            Key::ChatState(from) if bare(from) == bare_jid => {
                freed += size;
                false
            }
            _ => true,
        });
        freed
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Everything held, oldest update first, with sizes.
    pub fn take(&mut self) -> Vec<(Outbound, usize)> {
        std::mem::take(&mut self.items)
            .into_iter()
            .map(|(_, s, size)| (s, size))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_element;

    fn xml(text: &str) -> Element {
        parse_element(text).unwrap()
    }

    fn held(v: &Verdict) -> bool {
        matches!(v, Verdict::Hold(_))
    }

    #[test]
    fn presence_updates_and_bare_chat_states_wait_the_rest_goes_through() {
        for waits in [
            "<presence from='bob@localhost/a'/>",
            "<presence from='bob@localhost/a' type='unavailable'/>",
            "<presence from='bob@localhost/a'><show>away</show></presence>",
            "<message from='bob@localhost/a' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
            "<message from='bob@localhost/a' type='chat'><paused xmlns='http://jabber.org/protocol/chatstates'/><thread>t</thread><no-store xmlns='urn:xmpp:hints'/></message>",
        ] {
            assert!(held(&classify(&xml(waits))), "{waits} waits");
        }
        for passes in [
            "<presence from='bob@localhost' type='subscribe'/>",
            "<presence from='bob@localhost' type='subscribed'/>",
            "<presence from='bob@localhost' type='error'/>",
            "<presence from='bob@localhost' type='bogus'/>",
            "<message from='bob@localhost/a' type='chat'><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
            "<message from='bob@localhost/a' type='chat'><received xmlns='urn:xmpp:receipts' id='x'/></message>",
            "<message from='bob@localhost/a' type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='x'/><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
            "<message from='bob@localhost/a' type='error'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
            "<message from='bob@localhost/a'/>",
            "<iq from='bob@localhost/a' type='get' id='1'/>",
        ] {
            assert!(!held(&classify(&xml(passes))), "{passes} goes through");
        }
    }

    #[test]
    fn a_message_with_a_body_supersedes_the_chat_states_of_its_senders_account() {
        let v = classify(&xml(
            "<message from='bob@localhost/a' type='chat'><body>hi</body></message>",
        ));
        assert_eq!(
            v,
            Verdict::Pass {
                supersedes_chat_states_of: Some("bob@localhost".into())
            }
        );
        let mut h = Held::default();
        h.hold(Key::ChatState("bob@localhost/a".into()), xml("<message/>").into(), 10);
        h.hold(Key::ChatState("bob@localhost/b".into()), xml("<message/>").into(), 20);
        h.hold(Key::ChatState("carol@localhost/a".into()), xml("<message/>").into(), 40);
        h.hold(Key::Presence("bob@localhost/a".into()), xml("<presence/>").into(), 80);
        assert_eq!(h.drop_chat_states_of("bob@localhost"), 30);
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn only_the_latest_per_sender_is_held_in_the_order_of_the_last_update() {
        let mut h = Held::default();
        let p = |from: &str, show: &str| xml(&format!("<presence from='{from}'><show>{show}</show></presence>"));
        assert_eq!(h.hold(Key::Presence("a@x/1".into()), p("a@x/1", "away").into(), 5), 0);
        assert_eq!(h.hold(Key::Presence("b@x/1".into()), p("b@x/1", "away").into(), 6), 0);
        assert_eq!(h.hold(Key::Presence("a@x/1".into()), p("a@x/1", "dnd").into(), 7), 5);
        assert_eq!(h.hold(Key::ChatState("a@x/1".into()), xml("<message/>").into(), 8), 0);
        let out = h.take();
        assert_eq!(h.len(), 0);
        let shows: Vec<String> = out
            .iter()
            .map(|(s, _)| {
                s.content()
                    .child("show", ns::CLIENT)
                    .map(|c| c.text())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(shows, ["away", "dnd", ""]);
        assert_eq!(out.iter().map(|(_, n)| n).sum::<usize>(), 6 + 7 + 8);
    }
}

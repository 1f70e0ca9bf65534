//! Discussion history for a newcomer (XEP-0045 §7.2.15): the `<history/>` a join may
//! carry (`maxstanzas`, `maxchars`, `seconds`, `since`) and what of the room's recent
//! messages it selects. The service's `history_length` caps the count whatever is asked;
//! values that do not parse are ignored (the default applies), as the request is only a
//! wish.

use crate::xml::Element;

/// What a newcomer asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct HistoryRequest {
    pub max_stanzas: Option<usize>,
    /// Counted over the serialized stanzas, as the XEP asks.
    pub max_chars: Option<usize>,
    pub seconds: Option<i64>,
    pub since_ms: Option<i64>,
}

impl HistoryRequest {
    /// Reads `<history/>` (absent: the defaults).
    pub fn parse(history: Option<&Element>) -> Self {
        let Some(h) = history else {
            return HistoryRequest::default();
        };
        let number = |a: &str| h.attr(a).and_then(|v| v.trim().parse::<u64>().ok());
        HistoryRequest {
            max_stanzas: number("maxstanzas").map(|n| n.min(usize::MAX as u64) as usize),
            max_chars: number("maxchars").map(|n| n.min(usize::MAX as u64) as usize),
            seconds: number("seconds").map(|n| n.min(i64::MAX as u64 / 1000) as i64),
            since_ms: h
                .attr("since")
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s.trim()).ok())
                .map(|t| t.timestamp_millis()),
        }
    }

    /// How many messages at most, the service's `cap` included.
    pub fn limit(&self, cap: usize) -> usize {
        self.max_stanzas.map_or(cap, |n| n.min(cap))
    }

    /// The oldest time wanted (Unix milliseconds), if any.
    pub fn start_ms(&self, now_ms: i64) -> Option<i64> {
        let by_seconds = self.seconds.map(|s| now_ms.saturating_sub(s.saturating_mul(1000)));
        match (by_seconds, self.since_ms) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Keeps the newest of `messages` (oldest first, as they will be sent) that fit in
    /// `maxchars` together.
    pub fn trim(&self, mut messages: Vec<Element>) -> Vec<Element> {
        let Some(max) = self.max_chars else {
            return messages;
        };
        let mut total = 0usize;
        let mut keep = messages.len();
        for m in messages.iter().rev() {
            total += m.to_xml(crate::core::stanza::ns::CLIENT).chars().count();
            if total > max {
                break;
            }
            keep -= 1;
        }
        messages.drain(..keep);
        messages
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_element;

    fn request(attrs: &str) -> HistoryRequest {
        let e = parse_element(&format!("<history xmlns='http://jabber.org/protocol/muc' {attrs}/>")).unwrap();
        HistoryRequest::parse(Some(&e))
    }

    #[test]
    fn attributes_parse_and_nonsense_is_ignored() {
        let r = request("maxstanzas='5' maxchars='100' seconds='60' since='2026-01-01T00:00:00Z'");
        assert_eq!(r.max_stanzas, Some(5));
        assert_eq!(r.max_chars, Some(100));
        assert_eq!(r.seconds, Some(60));
        assert_eq!(r.since_ms, Some(1_767_225_600_000));
        assert_eq!(request("maxstanzas='-1' since='yesterday'"), HistoryRequest::default());
        assert_eq!(HistoryRequest::parse(None), HistoryRequest::default());
    }

    #[test]
    fn the_service_cap_and_the_latest_start_win() {
        assert_eq!(request("maxstanzas='500'").limit(20), 20);
        assert_eq!(request("maxstanzas='0'").limit(20), 0);
        assert_eq!(request("").limit(20), 20);
        let both = HistoryRequest {
            seconds: Some(10),
            since_ms: Some(95_000),
            ..Default::default()
        };
        assert_eq!(both.start_ms(100_000), Some(95_000));
        assert_eq!(request("seconds='10'").start_ms(100_000), Some(90_000));
        assert_eq!(request("").start_ms(100_000), None);
    }

    #[test]
    fn maxchars_keeps_the_newest_messages_that_fit() {
        let m =
            |n: usize| parse_element(&format!("<message xmlns='jabber:client'><body>{n}</body></message>")).unwrap();
        let size = m(1).to_xml(crate::core::stanza::ns::CLIENT).len();
        let kept = |max: usize| {
            HistoryRequest {
                max_chars: Some(max),
                ..Default::default()
            }
            .trim(vec![m(1), m(2), m(3)])
        };
        assert_eq!(kept(2 * size), vec![m(2), m(3)]);
        assert_eq!(kept(2 * size - 1), vec![m(3)]);
        assert!(kept(0).is_empty());
        assert_eq!(HistoryRequest::default().trim(vec![m(1)]), vec![m(1)]);
    }
}

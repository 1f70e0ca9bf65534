//! Stream-level elements that are not stanzas ("nonzas"): XEP-0198 Stream Management
//! (`urn:xmpp:sm:3`: `<enable/>`, `<resume/>`, `<r/>`, `<a/>` in; `<enabled/>`,
//! `<resumed/>`, `<failed/>`, `<r/>`, `<a/>` out) and XEP-0352 Client State Indication
//! (`urn:xmpp:csi:0`: `<active/>`, `<inactive/>`). Parsing and building only; what they
//! do is decided in `stream` and the core.

use crate::core::stanza::ns;
use crate::xml::Element;

/// A nonza from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Nonza {
    /// XEP-0198 §3. `max`: the client's preferred resumption timeout, in seconds.
    Enable {
        resume: bool,
        max: Option<u64>,
    },
    /// XEP-0198 §5. `h`: stanzas the client handled on the former stream.
    Resume {
        previd: String,
        h: u32,
    },
    /// XEP-0198 §4: the client asks how many of its stanzas were handled.
    Request,
    /// XEP-0198 §4: the client handled `h` stanzas.
    Ack {
        h: u32,
    },
    /// XEP-0352 §4.2.
    Active,
    Inactive,
}

/// A nonza whose attributes make no sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NonzaError {
    #[error("<{element}/> needs a numeric '{attribute}' below 2^32")]
    BadNumber {
        element: &'static str,
        attribute: &'static str,
    },
    #[error("<resume/> needs a 'previd'")]
    NoPrevid,
}

/// `None` when `el` is not a nonza this server knows (it is then a stanza, or unsupported).
pub(crate) fn parse(el: &Element) -> Option<Result<Nonza, NonzaError>> {
    if el.ns == ns::CSI {
        return match el.name.as_str() {
            "active" => Some(Ok(Nonza::Active)),
            "inactive" => Some(Ok(Nonza::Inactive)),
            _ => None,
        };
    }
    if el.ns != ns::SM {
        return None;
    }
    let number = |element: &'static str, attribute: &'static str| {
        el.attr(attribute)
            .and_then(|v| v.trim().parse::<u32>().ok())
            .ok_or(NonzaError::BadNumber { element, attribute })
    };
    Some(match el.name.as_str() {
        "enable" => Ok(Nonza::Enable {
            resume: matches!(el.attr("resume"), Some("true" | "1")),
            max: el.attr("max").and_then(|m| m.trim().parse().ok()),
        }),
        "resume" => match el.attr("previd") {
            None => Err(NonzaError::NoPrevid),
            Some(previd) => number("resume", "h").map(|h| Nonza::Resume {
                previd: previd.to_owned(),
                h,
            }),
        },
        "r" => Ok(Nonza::Request),
        "a" => number("a", "h").map(|h| Nonza::Ack { h }),
        _ => return None,
    })
}

/// `<enabled/>`: resumable under `id` for `max` seconds, or not resumable.
pub(crate) fn enabled(resumable: Option<(&str, u64)>) -> Element {
    let mut el = Element::new("enabled", ns::SM);
    if let Some((id, max)) = resumable {
        el = el
            .with_attr("id", id)
            .with_attr("resume", "true")
            .with_attr("max", max.to_string());
    }
    el
}

/// `<resumed/>`: `h` stanzas from the client were handled on the former stream.
pub(crate) fn resumed(previd: &str, h: u32) -> Element {
    Element::new("resumed", ns::SM)
        .with_attr("previd", previd)
        .with_attr("h", h.to_string())
}

/// `<failed/>` with a stanza error condition (XEP-0198 §6), e.g. `item-not-found` or
/// `unexpected-request`.
pub(crate) fn failed(condition: &str) -> Element {
    Element::new("failed", ns::SM).with_child(Element::new(condition, ns::STANZA_ERRORS))
}

pub(crate) fn ack(h: u32) -> Element {
    Element::new("a", ns::SM).with_attr("h", h.to_string())
}

pub(crate) fn request() -> Element {
    Element::new("r", ns::SM)
}

/// The application condition of the `<undefined-condition/>` stream error sent when the
/// client acknowledges more than it was sent (XEP-0198 §4).
pub(crate) fn handled_count_too_high(h: u32, sent: u32) -> Element {
    Element::new("handled-count-too-high", ns::SM)
        .with_attr("h", h.to_string())
        .with_attr("send-count", sent.to_string())
}

/// The stream features a bound-to-be session is offered after authentication.
pub(crate) fn features(sm: bool, csi: bool) -> Vec<Element> {
    let mut out = Vec::new();
    if sm {
        out.push(Element::new("sm", ns::SM));
    }
    if csi {
        out.push(Element::new("csi", ns::CSI));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_element;

    fn p(text: &str) -> Option<Result<Nonza, NonzaError>> {
        parse(&parse_element(text).unwrap())
    }

    #[test]
    fn stream_management_and_csi_nonzas_parse() {
        let sm = "xmlns='urn:xmpp:sm:3'";
        assert_eq!(
            p(&format!("<enable {sm} resume='true' max='60'/>")),
            Some(Ok(Nonza::Enable {
                resume: true,
                max: Some(60)
            }))
        );
        assert_eq!(
            p(&format!("<enable {sm} resume='1'/>")),
            Some(Ok(Nonza::Enable {
                resume: true,
                max: None
            }))
        );
        assert_eq!(
            p(&format!("<enable {sm}/>")),
            Some(Ok(Nonza::Enable {
                resume: false,
                max: None
            }))
        );
        assert_eq!(
            p(&format!("<resume {sm} previd='abc' h='7'/>")),
            Some(Ok(Nonza::Resume {
                previd: "abc".into(),
                h: 7
            }))
        );
        assert_eq!(p(&format!("<r {sm}/>")), Some(Ok(Nonza::Request)));
        assert_eq!(
            p(&format!("<a {sm} h='4294967295'/>")),
            Some(Ok(Nonza::Ack { h: u32::MAX }))
        );
        assert_eq!(p("<inactive xmlns='urn:xmpp:csi:0'/>"), Some(Ok(Nonza::Inactive)));
        assert_eq!(p("<active xmlns='urn:xmpp:csi:0'/>"), Some(Ok(Nonza::Active)));
        assert_eq!(p("<message/>"), None);
        assert_eq!(p(&format!("<t {sm}/>")), None);
        assert_eq!(p("<r xmlns='urn:xmpp:sm:2'/>"), None, "only version 3");
    }

    #[test]
    fn bad_counters_and_missing_ids_are_errors() {
        let sm = "xmlns='urn:xmpp:sm:3'";
        for bad in [
            format!("<a {sm}/>"),
            format!("<a {sm} h='-1'/>"),
            format!("<a {sm} h='4294967296'/>"),
            format!("<a {sm} h='x'/>"),
            format!("<resume {sm} previd='abc'/>"),
        ] {
            assert!(matches!(p(&bad), Some(Err(NonzaError::BadNumber { .. }))), "{bad}");
        }
        assert_eq!(p(&format!("<resume {sm} h='1'/>")), Some(Err(NonzaError::NoPrevid)));
    }

    #[test]
    fn replies_are_what_xep_0198_shows() {
        assert_eq!(
            enabled(Some(("id1", 300))).to_xml("jabber:client"),
            "<enabled xmlns='urn:xmpp:sm:3' id='id1' resume='true' max='300'/>"
        );
        assert_eq!(
            enabled(None).to_xml("jabber:client"),
            "<enabled xmlns='urn:xmpp:sm:3'/>"
        );
        assert_eq!(
            resumed("id1", 3).to_xml("jabber:client"),
            "<resumed xmlns='urn:xmpp:sm:3' previd='id1' h='3'/>"
        );
        assert_eq!(
            failed("item-not-found").to_xml("jabber:client"),
            "<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"
        );
        assert_eq!(ack(5).to_xml("jabber:client"), "<a xmlns='urn:xmpp:sm:3' h='5'/>");
    }
}

//! The elements of a server-to-server stream, without I/O: the stream header (RFC 6120
//! §4.7, with the dialback namespace of XEP-0220 §2.2 declared), the features offered,
//! and Server Dialback's `<db:result/>` and `<db:verify/>` (XEP-0220 §2.1, §2.4).

use crate::core::stanza::ns;
use crate::xml::{escape_attr, Element};

/// The default namespace of a server-to-server stream.
pub(crate) const SERVER_NS: &str = "jabber:server";
/// Server Dialback's elements (`db:` on the wire).
pub(crate) const DIALBACK_NS: &str = "jabber:server:dialback";
/// The stream feature announcing dialback (XEP-0220 §2.5, with error support).
pub(crate) const DIALBACK_FEATURE_NS: &str = "urn:xmpp:features:dialback";

/// A stream header; `id` only on the receiving side's.
pub(crate) fn header(from: &str, to: Option<&str>, id: Option<&str>) -> String {
    let mut out = format!(
        "<?xml version='1.0'?><stream:stream xmlns='{SERVER_NS}' xmlns:stream='{}' xmlns:db='{DIALBACK_NS}' version='1.0'",
        ns::STREAM
    );
    let mut attr = |name: &str, value: &str| {
        out.push(' ');
        out.push_str(name);
        out.push_str("='");
        escape_attr(value, &mut out);
        out.push('\'');
    };
    attr("from", from);
    if let Some(to) = to {
        attr("to", to);
    }
    if let Some(id) = id {
        attr("id", id);
    }
    out.push('>');
    out
}

/// The `<db:result/>` an originating server sends to be authenticated (§2.1.1), or the
/// answer of the receiving server (`kind` `valid` or `invalid`, no key).
pub(crate) fn result(from: &str, to: &str, key: Option<&str>, kind: Option<&str>) -> Element {
    let mut el = Element::new("result", DIALBACK_NS)
        .with_attr("from", from)
        .with_attr("to", to);
    if let Some(kind) = kind {
        el = el.with_attr("type", kind);
    }
    if let Some(key) = key {
        el = el.with_text(key);
    }
    el
}

/// The `<db:verify/>` a receiving server asks the authoritative server with (§2.1.3), or
/// that server's answer.
pub(crate) fn verify(from: &str, to: &str, id: &str, key: Option<&str>, kind: Option<&str>) -> Element {
    let mut el = result(from, to, key, kind);
    el.name = "verify".into();
    el.set_attr("id", id);
    el
}

/// A `<db:result type='error'/>` from `from` to `to` with a stanza error `condition`
/// (XEP-0220 §2.4), written for the wire: the `<error/>` in the stream's namespace, as
/// the XEP's examples have it.
pub(crate) fn result_error(from: &str, to: &str, condition: &str) -> String {
    let open = dialback_xml(&result(from, to, None, Some("error")));
    let open = open.strip_suffix("/>").unwrap_or(&open);
    format!(
        "{open}><error type='cancel'><{condition} xmlns='{}'/></error></db:result>",
        ns::STANZA_ERRORS
    )
}

/// Writes a dialback element with the `db:` prefix the stream header declared, as
/// servers that match on the prefixed name expect.
pub(crate) fn dialback_xml(el: &Element) -> String {
    let mut out = format!("<db:{}", el.name);
    for (name, value) in el.attrs.iter() {
        out.push(' ');
        out.push_str(name);
        out.push_str("='");
        escape_attr(value, &mut out);
        out.push('\'');
    }
    let text = el.text();
    if text.is_empty() {
        out.push_str("/>");
    } else {
        out.push('>');
        crate::xml::escape_text(&text, &mut out);
        out.push_str(&format!("</db:{}>", el.name));
    }
    out
}

/// A dialback element's addresses, prepped: (`from`, `to`), or `None` when either is
/// missing or not a domain.
pub(crate) fn domains(el: &Element) -> Option<(String, String)> {
    let domain = |a: &str| {
        let j = crate::core::jid::parse(el.attr(a)?).ok()?;
        (j.node().is_none() && j.resource().is_none()).then(|| j.domain().as_str().to_owned())
    };
    Some((domain("from")?, domain("to")?))
}

/// Whether the features offer SASL EXTERNAL (RFC 6120 §6.4.1, XEP-0178).
pub(crate) fn offers_external(features: &Element) -> bool {
    features.child("mechanisms", ns::SASL).is_some_and(|m| {
        m.elements()
            .any(|mech| mech.name == "mechanism" && mech.text().trim() == "EXTERNAL")
    })
}

/// STARTTLS offered (`Some(required)`), or not (`None`).
pub(crate) fn offers_starttls(features: &Element) -> Option<bool> {
    features
        .child("starttls", ns::TLS)
        .map(|s| s.child("required", ns::TLS).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse_element;

    #[test]
    fn the_header_declares_the_server_and_dialback_namespaces() {
        assert_eq!(
            header("a.example", Some("b.example"), Some("i1")),
            "<?xml version='1.0'?><stream:stream xmlns='jabber:server' \
             xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' \
             version='1.0' from='a.example' to='b.example' id='i1'>"
        );
    }

    #[test]
    fn dialback_elements_carry_the_prefix_their_addresses_and_key() {
        assert_eq!(
            dialback_xml(&result("a.example", "b.example", Some("k3y"), None)),
            "<db:result from='a.example' to='b.example'>k3y</db:result>"
        );
        assert_eq!(
            dialback_xml(&verify("b.example", "a.example", "i1", None, Some("valid"))),
            "<db:verify from='b.example' to='a.example' type='valid' id='i1'/>"
        );
        let parsed =
            parse_element("<db:result xmlns:db='jabber:server:dialback' from='A.Example' to='b.example'>k</db:result>")
                .unwrap();
        assert!(parsed.is("result", DIALBACK_NS));
        assert_eq!(domains(&parsed), Some(("a.example".into(), "b.example".into())));
        let user =
            parse_element("<db:result xmlns:db='jabber:server:dialback' from='u@a.example' to='b.example'/>").unwrap();
        assert_eq!(domains(&user), None);
    }

    #[test]
    fn a_dialback_error_carries_its_condition_in_a_stanza_error() {
        assert_eq!(
            result_error("b.example", "a.example", "item-not-found"),
            "<db:result from='b.example' to='a.example' type='error'><error type='cancel'>\
             <item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></db:result>"
        );
        let parsed = parse_element(&format!(
            "<stream xmlns='jabber:server' xmlns:db='{DIALBACK_NS}'>{}</stream>",
            result_error("b.example", "a.example", "forbidden")
        ))
        .unwrap();
        let r = parsed.child("result", DIALBACK_NS).unwrap();
        assert!(r
            .child("error", SERVER_NS)
            .unwrap()
            .child("forbidden", ns::STANZA_ERRORS)
            .is_some());
    }

    #[test]
    fn features_are_read_for_starttls_and_external() {
        let f = parse_element(
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
             <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>\
             <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism></mechanisms>\
             <dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback></stream:features>",
        )
        .unwrap();
        assert_eq!(offers_starttls(&f), Some(true));
        assert!(offers_external(&f));
        let bare = parse_element("<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>").unwrap();
        assert_eq!(offers_starttls(&bare), None);
        assert!(!offers_external(&bare));
    }
}

//! The one JID normaliser every door uses (RFC 7622), so that REST and XMPP agree on
//! which addresses exist: a JID refused here is `400` over REST and `jid-malformed` over
//! XMPP, and one accepted here means the same account on both.
//!
//! On top of the `jid` crate's PRECIS/stringprep preparation (case folding, the part
//! lengths of §3), this refuses what that crate lets through and a mail-style address
//! would hide: an `@` inside the domainpart (`bob@@localhost`), empty parts, and
//! characters XML cannot carry; and it strips the one trailing dot of a fully qualified
//! domainpart (§3.2: `bob@localhost.` is `bob@localhost`).

use jid::{BareJid, Jid};

/// Why a string is not a JID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JidError {
    #[error("empty JID")]
    Empty,
    #[error("the domainpart contains '@'")]
    AtInDomain,
    #[error("a character XML cannot carry")]
    ForbiddenCharacter,
    #[error("a resource where a bare JID is required")]
    ResourceNotAllowed,
    #[error("{0}")]
    Invalid(String),
}

/// Parses and normalises any JID (bare or full).
///
/// One round of stringprep is not always idempotent: it maps case before it normalises
/// (NFKC), so `Ϲ` (U+03F9) becomes `Σ`, which the next round maps to `σ`; and NFKC can
/// make the very characters the lexical checks are about (`＠` becomes `@`, `．` a dot).
/// As PRECIS prescribes (RFC 8264 §7), the preparation is repeated until its output is
/// stable, and a string still changing after three more rounds is refused. So the JID
/// returned always prepares to itself: its text names the same address, with the same
/// parts, wherever it is parsed again.
pub fn parse(given: &str) -> Result<Jid, JidError> {
    let mut jid = prepare_once(given)?;
    if jid.as_str() == given {
        // Already in its prepared form (most JIDs): a round is a function of its input,
        // so the next one would give this same text again.
        return Ok(jid);
    }
    for _ in 0..3 {
        let again = prepare_once(jid.as_str())?;
        if again.as_str() == jid.as_str() {
            return Ok(jid);
        }
        jid = again;
    }
    Err(JidError::Invalid("the JID does not reach a stable form".into()))
}

/// One round: the lexical checks, then the `jid` crate's stringprep, whose output parts
/// must not contain a separator (`bob＠localhost` is a domainpart that becomes
/// `bob@localhost`, which as text would be read with a localpart).
fn prepare_once(given: &str) -> Result<Jid, JidError> {
    let jid = Jid::new(&prepare(given)?).map_err(|e| JidError::Invalid(e.to_string()))?;
    let domain = jid.domain().as_str();
    if domain.contains('@') {
        return Err(JidError::AtInDomain);
    }
    if domain.contains('/') || jid.node().is_some_and(|n| n.as_str().contains(['@', '/'])) {
        return Err(JidError::Invalid("a separator inside a part".into()));
    }
    Ok(jid)
}

/// Parses and normalises a bare JID; a resource is refused, not dropped.
pub fn parse_bare(given: &str) -> Result<BareJid, JidError> {
    let jid = parse(given)?;
    match jid.resource() {
        Some(_) => Err(JidError::ResourceNotAllowed),
        None => Ok(jid.into_bare()),
    }
}

/// Parses a bare JID that must name an account (it has a localpart).
pub fn parse_account(given: &str) -> Result<BareJid, JidError> {
    let bare = parse_bare(given)?;
    match bare.node() {
        Some(_) => Ok(bare),
        None => Err(JidError::Invalid("no localpart".into())),
    }
}

/// The lexical checks and the trailing-dot rule, before stringprep; returns the JID text
/// to prepare. The resourcepart is everything after the first `/` (§3.1), the localpart
/// everything before the first `@` of what precedes it.
fn prepare(given: &str) -> Result<String, JidError> {
    if given.is_empty() {
        return Err(JidError::Empty);
    }
    if !crate::xml::is_xml_text(given) {
        return Err(JidError::ForbiddenCharacter);
    }
    let (address, resource) = match given.split_once('/') {
        Some((a, r)) => (a, Some(r)),
        None => (given, None),
    };
    let (local, domain) = match address.split_once('@') {
        Some((l, d)) => (Some(l), d),
        None => (None, address),
    };
    if domain.contains('@') {
        return Err(JidError::AtInDomain);
    }
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.is_empty() || local == Some("") || resource == Some("") {
        return Err(JidError::Empty);
    }
    if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
        return Err(JidError::Invalid("an empty label in the domainpart".into()));
    }
    let mut out = String::with_capacity(given.len());
    if let Some(local) = local {
        out.push_str(local);
        out.push('@');
    }
    out.push_str(domain);
    if let Some(resource) = resource {
        out.push('/');
        out.push_str(resource);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jids_are_prepared_to_one_canonical_form() {
        assert_eq!(parse("Bob@LocalHost").unwrap().to_string(), "bob@localhost");
        assert_eq!(parse("bob@localhost.").unwrap().to_string(), "bob@localhost");
        assert_eq!(
            parse("bob@localhost./Phone").unwrap().to_string(),
            "bob@localhost/Phone"
        );
        assert_eq!(parse("localhost.").unwrap().to_string(), "localhost");
        assert_eq!(
            parse_bare("room@muclight.localhost").unwrap().to_string(),
            "room@muclight.localhost"
        );
        // A resource may contain '@' and '/'.
        assert_eq!(parse("bob@localhost/a@b/c").unwrap().to_string(), "bob@localhost/a@b/c");
    }

    /// Found by the `jid` fuzz target: one stringprep round maps case before NFKC, so its
    /// output could prepare to something else again.
    #[test]
    fn the_normal_form_prepares_to_itself() {
        for (given, normal) in [
            ("V\u{3F9}", "v\u{3C3}"),
            ("\u{3F9}@localhost", "\u{3C3}@localhost"),
            ("bob@localhost\u{FF0E}", "bob@localhost"),
            ("bob@localhost\u{FF0E}/r", "bob@localhost/r"),
            ("\u{FF22}ob@localhost", "bob@localhost"),
        ] {
            let jid = parse(given).unwrap_or_else(|e| panic!("{given:?}: {e}"));
            assert_eq!(jid.as_str(), normal, "{given:?}");
            assert_eq!(parse(jid.as_str()).unwrap(), jid, "{given:?}");
        }
        assert_eq!(parse_bare("\u{3F9}@localhost").unwrap().as_str(), "\u{3C3}@localhost");
    }

    #[test]
    fn what_an_address_cannot_be_is_refused() {
        for bad in [
            "",
            "bob@@localhost",
            "bob@loc@alhost",
            "@localhost",
            "bob@",
            "bob@localhost/",
            "bob@.",
            ".",
            "bob@localhost..",
            "a\u{0}b@localhost",
            "bob@local\u{1b}host",
            "bob@localhost/\u{fffe}",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted as {:?}", parse(bad));
        }
        assert_eq!(parse("bob@@localhost"), Err(JidError::AtInDomain));
        // What only stringprep's normalisation turns into '@' or an empty label.
        assert_eq!(parse("bob@loc\u{FF20}alhost"), Err(JidError::AtInDomain));
        assert_eq!(parse("bobo#\u{FF20}alhosost"), Err(JidError::AtInDomain));
        assert!(parse("bob@local\u{FF0F}host").is_err());
        assert!(parse("bob@\u{FF0E}localhost").is_err());
        assert_eq!(parse_bare("bob@localhost/r"), Err(JidError::ResourceNotAllowed));
        assert!(parse_account("localhost").is_err());
        assert!(parse_account("bob@localhost").is_ok());
    }
}

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
pub fn parse(given: &str) -> Result<Jid, JidError> {
    Jid::new(&prepare(given)?).map_err(|e| JidError::Invalid(e.to_string()))
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
        assert_eq!(parse_bare("bob@localhost/r"), Err(JidError::ResourceNotAllowed));
        assert!(parse_account("localhost").is_err());
        assert!(parse_account("bob@localhost").is_ok());
    }
}

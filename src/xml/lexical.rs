//! A byte-level check of XML's lexical rules, run on input as it arrives and before the
//! parser sees it.
//!
//! quick-xml is lenient where a conforming parser is not: it passes characters outside
//! XML 1.0's `Char` production (§2.2: U+0000, most C0 controls, U+FFFE, …), takes
//! `<a x='1'y='2'>` (§3.1 requires white space between attributes), and waits for the
//! end of a tag whose quoting went wrong (`to="b"ob@localhost"`) instead of failing at
//! the first byte that cannot follow. This state machine fails on those bytes at once,
//! so a bad stream gets its `<not-well-formed/>` immediately and nothing XML forbids is
//! ever relayed. It knows tags, attributes, character data, CDATA sections, comments and
//! processing instructions; what they mean (namespaces, nesting, entities) stays the
//! parser's job, and comments, DTDs and PIs are refused by the reader (`restricted-xml`).

/// Where the lexer is in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// After `<`.
    Open,
    StartName,
    /// White space inside a start tag, before an attribute or the tag's end.
    TagSpace,
    AttrName,
    AfterAttrName,
    BeforeValue,
    Value(u8),
    /// After a value's closing quote: only white space, `/` or `>` may follow.
    AfterValue,
    /// After the `/` of `<a/`.
    EmptyEnd,
    EndName,
    EndSpace,
    /// After `<!`: the first bytes decide between CDATA, a comment and a declaration.
    Bang,
    /// After `<!-`.
    BangDash,
    CData,
    Comment,
    /// A DTD or other declaration (which the reader refuses): passed through to `>`.
    Declaration,
    Pi,
}

/// What the input broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LexError(pub &'static str);

/// The lexer's state between chunks of input.
#[derive(Debug, Clone)]
pub struct Lexer {
    state: State,
    /// The bytes of a multi-byte UTF-8 sequence read so far.
    pending: [u8; 4],
    pending_len: u8,
    /// How far a multi-byte terminator (`]]>`, `-->`, `?>`, `[CDATA[`) has been matched.
    matched: u8,
}

impl Default for Lexer {
    fn default() -> Self {
        Lexer {
            state: State::Text,
            pending: [0; 4],
            pending_len: 0,
            matched: 0,
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// XML's NameStartChar for ASCII; every non-ASCII character is let through here (the
/// characters themselves are checked against `Char`, names by the parser).
fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80
}

fn is_name_char(b: u8) -> bool {
    is_name_start(b) || b.is_ascii_digit() || b == b'-' || b == b'.'
}

const CDATA_OPEN: &[u8] = b"[CDATA[";

impl Lexer {
    /// Checks the next chunk of input; any split of the input gives the same answer.
    pub fn feed(&mut self, input: &[u8]) -> Result<(), LexError> {
        for &b in input {
            self.check_char(b)?;
            self.step(b)?;
        }
        Ok(())
    }

    /// Checks `b` as part of a UTF-8 encoded `Char`.
    fn check_char(&mut self, b: u8) -> Result<(), LexError> {
        if self.pending_len == 0 {
            return match b {
                0x09 | 0x0A | 0x0D | 0x20..=0x7F => Ok(()),
                0x00..=0x1F => Err(LexError("a control character XML does not allow")),
                0xC2..=0xF4 => {
                    self.pending[0] = b;
                    self.pending_len = 1;
                    Ok(())
                }
                _ => Err(LexError("invalid UTF-8")),
            };
        }
        if b & 0xC0 != 0x80 {
            return Err(LexError("invalid UTF-8"));
        }
        self.pending[self.pending_len as usize] = b;
        self.pending_len += 1;
        let lead = self.pending[0];
        let need = if lead >= 0xF0 {
            4
        } else if lead >= 0xE0 {
            3
        } else {
            2
        };
        if (self.pending_len as usize) < need {
            return Ok(());
        }
        let sequence = &self.pending[..need];
        self.pending_len = 0;
        match std::str::from_utf8(sequence).ok().and_then(|s| s.chars().next()) {
            Some(c) if super::is_xml_char(c) => Ok(()),
            Some(_) => Err(LexError("a character XML does not allow")),
            None => Err(LexError("invalid UTF-8")),
        }
    }

    fn step(&mut self, b: u8) -> Result<(), LexError> {
        use State::*;
        self.state = match (self.state, b) {
            (Text, b'<') => Open,
            (Text, _) => Text,
            (Open, b'/') => EndName,
            (Open, b'!') => {
                self.matched = 0;
                Bang
            }
            (Open, b'?') => {
                self.matched = 0;
                Pi
            }
            (Open, b) if is_name_start(b) => StartName,
            (Open, _) => return Err(LexError("'<' not followed by a name")),
            (StartName, b) if is_name_char(b) => StartName,
            (StartName | TagSpace | AfterValue, b'/') => EmptyEnd,
            (StartName | TagSpace | AfterValue | EmptyEnd, b'>') => Text,
            (StartName | TagSpace | AfterValue, b) if is_space(b) => TagSpace,
            (TagSpace, b) if is_name_start(b) => AttrName,
            (AfterValue, _) => return Err(LexError("attributes must be separated by white space")),
            (StartName | TagSpace | EmptyEnd, _) => return Err(LexError("unexpected character in a tag")),
            (AttrName, b) if is_name_char(b) => AttrName,
            (AttrName | AfterAttrName, b'=') => BeforeValue,
            (AttrName | AfterAttrName, b) if is_space(b) => AfterAttrName,
            (AttrName | AfterAttrName, _) => return Err(LexError("an attribute without '='")),
            (BeforeValue, b'"' | b'\'') => Value(b),
            (BeforeValue, b) if is_space(b) => BeforeValue,
            (BeforeValue, _) => return Err(LexError("an attribute value without quotes")),
            (Value(q), b) if b == q => AfterValue,
            (Value(_), b'<') => return Err(LexError("'<' in an attribute value")),
            (Value(q), _) => Value(q),
            (EndName, b) if is_name_char(b) => EndName,
            (EndName | EndSpace, b'>') => Text,
            (EndName | EndSpace, b) if is_space(b) => EndSpace,
            (EndName | EndSpace, _) => return Err(LexError("unexpected character in an end tag")),
            (Bang, b) => return self.bang(b),
            (BangDash, b'-') => Comment,
            (BangDash, _) => return Err(LexError("'<!-' not followed by '-'")),
            (CData, b) => self.terminated(b, b"]]>", CData),
            (Comment, b) => self.terminated(b, b"-->", Comment),
            (Declaration, b'>') => Text,
            (Declaration, _) => Declaration,
            (Pi, b) => self.terminated(b, b"?>", Pi),
        };
        Ok(())
    }

    /// After `<!`: `[CDATA[` opens a CDATA section, `-` a comment, a letter a declaration.
    fn bang(&mut self, b: u8) -> Result<(), LexError> {
        let m = self.matched as usize;
        if m == 0 && b == b'-' {
            self.state = State::BangDash;
        } else if m == 0 && b.is_ascii_uppercase() {
            self.state = State::Declaration;
        } else if CDATA_OPEN[m] == b {
            self.matched += 1;
            if self.matched as usize == CDATA_OPEN.len() {
                self.state = State::CData;
                self.matched = 0;
            }
        } else {
            return Err(LexError("'<!' not followed by a CDATA section, comment or declaration"));
        }
        Ok(())
    }

    /// Moves through a section that ends with `end`; back to character data once it has.
    fn terminated(&mut self, b: u8, end: &[u8], inside: State) -> State {
        // The longest prefix of `end` that the input now ends with (`]]]>` still closes).
        let m = self.matched as usize;
        let mut seen = [0u8; 3];
        seen[..m].copy_from_slice(&end[..m]);
        seen[m] = b;
        let seen = &seen[..=m];
        let k = (0..=seen.len().min(end.len()))
            .rev()
            .find(|&k| seen.ends_with(&end[..k]))
            .unwrap_or(0);
        if k == end.len() {
            self.matched = 0;
            return State::Text;
        }
        self.matched = k as u8;
        inside
    }
}

/// Checks a complete document at once (an XMPP-over-WebSocket message).
pub fn check(text: &str) -> Result<(), LexError> {
    let mut lexer = Lexer::default();
    lexer.feed(text.as_bytes())?;
    match lexer.state {
        State::Text => Ok(()),
        _ => Err(LexError("the input ends inside markup")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex_in_pieces(input: &[u8], piece: usize) -> Result<(), LexError> {
        let mut lexer = Lexer::default();
        for chunk in input.chunks(piece.max(1)) {
            lexer.feed(chunk)?;
        }
        Ok(())
    }

    fn verdict(input: &[u8]) -> Result<(), LexError> {
        let whole = lex_in_pieces(input, input.len());
        for piece in [1, 2, 3, 5] {
            assert_eq!(
                lex_in_pieces(input, piece).is_ok(),
                whole.is_ok(),
                "split by {piece}: {input:?}"
            );
        }
        whole
    }

    #[test]
    fn well_formed_markup_passes_however_it_is_split() {
        for ok in [
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' to = \"localhost\" >",
            "<message to='bob@localhost' type=\"chat\"><body>a &lt; b &#x263A; \u{263A} \u{1F600}</body></message>",
            "<a x='1' y='2'/><b\n\tz='&quot;'\r\n/><c></c ><d/>",
            "<![CDATA[ <not a tag> ]] ]]]> after",
            "<!-- a comment -- - -> still --->",
            "<!DOCTYPE x>",
            "<?pi data ? > ??>",
            "<e a='it\"s' b=\"it's\">text > more</e>",
        ] {
            assert_eq!(verdict(ok.as_bytes()), Ok(()), "{ok}");
        }
    }

    #[test]
    fn characters_xml_forbids_are_refused() {
        for bad in [
            "<body>a\u{0}b</body>",
            "<body>\u{1}</body>",
            "<body>\u{1b}[31m</body>",
            "<body>\u{fffe}</body>",
            "<body>\u{ffff}</body>",
            "<m a='\u{7}'/>",
            "<m\u{0}/>",
        ] {
            assert!(verdict(bad.as_bytes()).is_err(), "{bad:?}");
        }
        // Not UTF-8: a stray continuation byte, an overlong form, an encoded surrogate.
        for bad in [
            &b"<b>\x80</b>"[..],
            b"<b>\xC0\xAF</b>",
            b"<b>\xED\xA0\x80</b>",
            b"<b>\xF5\x80\x80\x80</b>",
        ] {
            assert!(verdict(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn broken_tags_fail_at_the_first_byte_that_cannot_follow() {
        for (bad, why) in [
            ("<message a='1'b='2'>", "attributes must be separated by white space"),
            (
                "<message to=\"b\"ob@localhost\">",
                "attributes must be separated by white space",
            ),
            ("<message to=bob>", "an attribute value without quotes"),
            ("<message to>", "an attribute without '='"),
            ("<message to='<'/>", "'<' in an attribute value"),
            ("< message/>", "'<' not followed by a name"),
            ("<1message/>", "'<' not followed by a name"),
            ("<message/ >", "unexpected character in a tag"),
            ("<m></m x>", "unexpected character in an end tag"),
            ("<!x>", "'<!' not followed by a CDATA section, comment or declaration"),
            ("<!-x>", "'<!-' not followed by '-'"),
        ] {
            assert_eq!(verdict(bad.as_bytes()), Err(LexError(why)), "{bad}");
        }
        // The stuck quote fails without waiting for the rest of the tag.
        let mut lexer = Lexer::default();
        assert!(lexer.feed(b"<message to=\"b\"o").is_err());
    }

    #[test]
    fn a_whole_message_must_end_outside_markup() {
        assert_eq!(check("<a/>"), Ok(()));
        assert!(check("<a x='1'").is_err());
        assert!(check("<![CDATA[ x").is_err());
    }
}

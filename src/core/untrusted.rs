//! Text from outside (a client, a remote server, stored data that failed to parse) as it
//! may appear in a log line: [`Untrusted`].
//!
//! `%` (Display) in a `tracing` call writes a value verbatim, so a value holding a line
//! feed could forge a log line, and one of 64 KiB would make a line that long. `?`
//! (Debug) escapes, but does not bound. `Untrusted` does both: control characters (C0,
//! DEL, C1), the Unicode line and paragraph separators, bidirectional and zero-width
//! format characters, and the backslash itself are written as escapes (`\n`,
//! `\u{202e}`, `\\`), so what is logged is one line that reads as what was sent; past
//! [`Untrusted::MAX_CHARS`] characters the rest is cut off and counted with a marker
//! (`…[+N bytes]`).
//!
//! Values already checked at the door need not be wrapped: prepared JIDs (stringprep
//! refuses control and bidirectional-override characters; a part has at most 1,023
//! bytes) and names the server chose.

use std::fmt::{self, Display, Write};

/// Text from outside, escaped and bounded when displayed.
#[derive(Clone, Copy)]
pub struct Untrusted<'a>(pub &'a str);

impl Untrusted<'_> {
    /// Characters written before the rest is cut off.
    pub const MAX_CHARS: usize = 200;
}

/// Whether `c` could change how a log line reads: split it, hide text, reorder it.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || c == '\\'
        || matches!(c,
            '\u{200b}'..='\u{200f}' // zero-width spaces and joiners, directional marks
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202a}'..='\u{202e}' // bidirectional embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidirectional isolates
            | '\u{feff}' // zero-width no-break space
        )
}

impl Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (written, (at, c)) in self.0.char_indices().enumerate() {
            if written == Self::MAX_CHARS {
                return write!(f, "…[+{} bytes]", self.0.len() - at);
            }
            if !needs_escape(c) {
                f.write_char(c)?;
                continue;
            }
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '\\' => f.write_str("\\\\")?,
                _ => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            }
        }
        Ok(())
    }
}

/// The same text, quoted: `?` in a `tracing` call writes it like a `&str` field.
impl fmt::Debug for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forged_line_stays_on_its_line() {
        let forged = "bob\n2026-12-07T03:00:00Z ERROR forged\r\tline";
        let shown = Untrusted(forged).to_string();
        assert_eq!(shown, "bob\\n2026-12-07T03:00:00Z ERROR forged\\r\\tline");
        assert!(!shown.contains(['\n', '\r', '\t']));
    }

    #[test]
    fn control_format_and_separator_characters_are_escaped_and_backslashes_doubled() {
        assert_eq!(
            Untrusted("a\u{0}b\u{1b}[31mc\u{7f}").to_string(),
            "a\\u{0}b\\u{1b}[31mc\\u{7f}"
        );
        assert_eq!(
            Untrusted("\u{85}\u{2028}\u{2029}").to_string(),
            "\\u{85}\\u{2028}\\u{2029}"
        );
        assert_eq!(Untrusted("evil\u{202e}txt.exe").to_string(), "evil\\u{202e}txt.exe");
        assert_eq!(
            Untrusted("\u{200b}\u{2066}\u{feff}").to_string(),
            "\\u{200b}\\u{2066}\\u{feff}"
        );
        // A backslash is doubled, so an escape in the input cannot pass for one of ours.
        assert_eq!(Untrusted("a\\nb").to_string(), "a\\\\nb");
        // Everything else, any script, is written as it is.
        for plain in ["alice@localhost/phone", "Ελληνικά 日本語 русский", "emoji 🦦", ""] {
            assert_eq!(Untrusted(plain).to_string(), plain);
        }
    }

    #[test]
    fn long_text_is_cut_off_with_a_count_of_what_is_left() {
        let long = "y".repeat(900_000);
        let shown = Untrusted(&long).to_string();
        assert_eq!(shown, format!("{}…[+{} bytes]", "y".repeat(200), 900_000 - 200));
        // Exactly the limit: nothing cut.
        let exact = "z".repeat(Untrusted::MAX_CHARS);
        assert_eq!(Untrusted(&exact).to_string(), exact);
        // Characters, not bytes, are counted, and a cut never splits one.
        let wide = "日".repeat(300);
        let shown = Untrusted(&wide).to_string();
        assert!(shown.starts_with(&"日".repeat(200)));
        assert!(shown.ends_with(&format!("…[+{} bytes]", 100 * "日".len())));
        // Escapes count as the one character they stand for.
        let lines = "\n".repeat(300);
        assert_eq!(
            Untrusted(&lines).to_string(),
            format!("{}…[+100 bytes]", "\\n".repeat(200))
        );
    }

    #[test]
    fn debug_is_the_same_text_quoted() {
        assert_eq!(format!("{:?}", Untrusted("a\nb")), "\"a\\nb\"");
    }

    /// Through `tracing` as the server logs: one line, bounded.
    #[test]
    fn a_log_line_with_untrusted_fields_is_one_bounded_line() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let forged = format!("v\n2026-12-07T03:00:00Z ERROR forged {}", "y".repeat(100_000));
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(ver = %Untrusted(&forged), node = ?Untrusted(&forged), "test line");
        });
        let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.len() < 1_000, "{} bytes", out.len());
    }
}

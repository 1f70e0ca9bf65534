//! The JID patterns of `api/client.yaml` (`Jid`, `UserJid`, `RecipientJid`,
//! `RoomLocalpart`) against the rules the REST door applies to the same fields
//! (`core::jid`, `muc_light::resolve_room`):
//!
//! - every character the normaliser takes in a localpart, a resource or a domain label is
//!   admitted by the patterns, in every script of the Basic Multilingual Plane (checked
//!   for each of its code points), so any name XMPP accepts can be named over REST; the
//!   exceptions are the ones the spec's conventions list (five ASCII characters, and the
//!   supplementary planes);
//! - every string made of ASCII characters that a pattern matches is accepted; beyond
//!   ASCII, what a pattern admits is normalised as over XMPP and may still be refused
//!   (a character unassigned in Unicode 3.2, mixed directions), with the field's
//!   documented text, never otherwise;
//! - every string a pattern does not match is refused by the contract with the field's
//!   documented text.

use super::contract;
use crate::core::jid::{parse, parse_account, parse_bare};
use crate::core::muc_light::resolve_room;
use crate::core::testkit::Harness;
use hyper::{HeaderMap, Method};
use jid::BareJid;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use regex::Regex;

struct Patterns {
    jid: Regex,
    user: Regex,
    recipient: Regex,
    room: Regex,
    /// Every character any of them can match anywhere.
    chars: Vec<char>,
}

/// The patterns as the spec has them, compiled as the contract compiles them.
fn patterns() -> Patterns {
    let spec = crate::http::contract::spec_json(crate::http::CLIENT_SPEC).expect("the spec parses");
    let text = |pointer: &str| {
        spec.pointer(pointer)
            .and_then(|p| p.as_str())
            .unwrap_or_else(|| panic!("the spec has {pointer}"))
            .to_owned()
    };
    let sources = ["Jid", "UserJid", "RecipientJid", "RoomLocalpart"]
        .map(|name| text(&format!("/components/schemas/{name}/pattern")));
    // `to_delete` repeats the `Jid` pattern (see the spec); they must not drift apart.
    assert_eq!(
        text("/components/schemas/ContactsToDelete/properties/to_delete/items/pattern"),
        sources[0]
    );
    let mut chars = Vec::new();
    for source in &sources {
        let hir = regex_syntax::Parser::new().parse(source).expect("the pattern parses");
        chars_of(&hir, &mut chars);
    }
    chars.sort_unstable();
    chars.dedup();
    let [jid, user, recipient, room] = sources.map(|s| Regex::new(&s).expect("the pattern compiles"));
    Patterns {
        jid,
        user,
        recipient,
        room,
        chars,
    }
}

/// Adds every character `hir` can match to `out`: the characters of its literals and
/// classes (a pattern can match no other).
fn chars_of(hir: &regex_syntax::hir::Hir, out: &mut Vec<char>) {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => out.extend(String::from_utf8_lossy(&literal.0).chars()),
        HirKind::Class(Class::Unicode(class)) => {
            for range in class.iter() {
                out.extend(range.start()..=range.end());
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            for range in class.iter() {
                out.extend((range.start()..=range.end()).map(char::from));
            }
        }
        HirKind::Repetition(r) => chars_of(&r.sub, out),
        HirKind::Capture(c) => chars_of(&c.sub, out),
        HirKind::Concat(hirs) | HirKind::Alternation(hirs) => hirs.iter().for_each(|h| chars_of(h, out)),
    }
}

/// The longest localpart the patterns allow, in characters.
const MAX_LOCAL: usize = 256;

/// What the server does with each kind of field, for a string its pattern matched.
struct Server {
    harness: Harness,
    alice: BareJid,
}

impl Server {
    async fn new() -> Self {
        Server {
            harness: Harness::new(&["alice"]).await,
            alice: BareJid::new("alice@localhost").expect("a valid JID"),
        }
    }

    /// `Jid` fields (contacts, the history peer): read with `parse_bare`.
    fn accepts_jid(&self, s: &str) -> Result<(), String> {
        parse_bare(s).map(|_| ()).map_err(|e| format!("{s:?} as a JID: {e}"))
    }

    /// `UserJid` fields (a recipient, a room member): read with `parse_account`.
    fn accepts_user(&self, s: &str) -> Result<(), String> {
        parse_account(s)
            .map(|_| ())
            .map_err(|e| format!("{s:?} as a user JID: {e}"))
    }

    /// A message's recipient: read with `parse` (a resource is allowed), with a localpart
    /// (as `crate::core::im::messages::send_chat` reads it).
    fn accepts_recipient(&self, s: &str) -> Result<(), String> {
        match parse(s) {
            Ok(jid) if jid.node().is_some() => Ok(()),
            Ok(_) => Err(format!("{s:?} as a recipient: no localpart")),
            Err(e) => Err(format!("{s:?} as a recipient: {e}")),
        }
    }

    /// Room ids: resolved on the user's MUC Light service.
    fn accepts_room(&self, s: &str) -> Result<(), String> {
        resolve_room(&self.harness.core, &self.alice, s)
            .map(|_| ())
            .map_err(|e| format!("{s:?} as a room id: {e:?}"))
    }

    /// Whatever the patterns match, the server accepts.
    fn agrees(&self, p: &Patterns, s: &str) -> Result<usize, String> {
        let mut matched = 0;
        if p.jid.is_match(s) {
            self.accepts_jid(s)?;
            matched += 1;
        }
        if p.user.is_match(s) {
            self.accepts_user(s)?;
            matched += 1;
        }
        if p.recipient.is_match(s) {
            self.accepts_recipient(s)?;
            matched += 1;
        }
        if p.room.is_match(s) {
            self.accepts_room(s)?;
            matched += 1;
        }
        Ok(matched)
    }
}

/// The characters a localpart may hold by the patterns, found by asking them about every
/// character they can match at all; they must be the same in the JID patterns and (but for
/// a leading dot) in the room id pattern, and a recipient's resource takes them all.
fn localpart_chars(p: &Patterns) -> Vec<char> {
    let chars: Vec<char> = p
        .chars
        .iter()
        .copied()
        .filter(|c| p.user.is_match(&format!("x{c}@localhost")))
        .collect();
    for &c in &p.chars {
        let user = p.user.is_match(&format!("x{c}@localhost"));
        assert_eq!(user, p.jid.is_match(&format!("x{c}@localhost")), "{c:?}");
        assert_eq!(user, p.recipient.is_match(&format!("x{c}@localhost")), "{c:?}");
        assert!(!user || p.recipient.is_match(&format!("a@b/x{c}")), "{c:?}");
        assert_eq!(user, p.room.is_match(&format!("x{c}")), "{c:?}");
        assert_eq!(user && c != '.', p.room.is_match(&c.to_string()), "{c:?}");
    }
    chars
}

/// The five ASCII characters a JID may hold that the patterns leave out (see the spec's
/// conventions).
const LEFT_OUT: &[char] = &['=', '`', '[', '\\', ']'];

/// Every code point of the Basic Multilingual Plane but the surrogates.
fn bmp() -> impl Iterator<Item = char> {
    (0..=0xFFFFu32).filter_map(char::from_u32)
}

#[test]
fn every_character_the_normaliser_takes_in_a_bmp_localpart_or_resource_is_admitted() {
    let p = patterns();
    // Whatever the patterns leave out of a localpart, the normaliser refuses there, alone
    // or after a letter, but for the five characters the spec names.
    let mut left_out = Vec::new();
    for c in bmp().filter(|c| !p.user.is_match(&format!("x{c}@localhost"))) {
        if parse_account(&format!("x{c}@localhost")).is_ok() || parse_account(&format!("{c}@localhost")).is_ok() {
            left_out.push(c);
        }
    }
    assert_eq!(
        left_out,
        sorted(LEFT_OUT),
        "taken by the normaliser, refused by the patterns"
    );
    // The same for a recipient's resource.
    let mut left_out = Vec::new();
    for c in bmp().filter(|c| !p.recipient.is_match(&format!("bob@localhost/x{c}"))) {
        if parse(&format!("bob@localhost/x{c}")).is_ok() || parse(&format!("bob@localhost/{c}")).is_ok() {
            left_out.push(c);
        }
    }
    assert_eq!(
        left_out,
        sorted(LEFT_OUT),
        "taken in a resource, refused by the patterns"
    );
}

fn sorted(chars: &[char]) -> Vec<char> {
    let mut chars = chars.to_vec();
    chars.sort_unstable();
    chars
}

#[test]
fn every_letter_the_normaliser_takes_in_a_bmp_domain_label_is_admitted() {
    let p = patterns();
    // Beyond ASCII, a domain label takes what the normaliser takes; in ASCII, the patterns
    // keep to DNS names (letters, digits, inner hyphens), which is all a server's domain
    // can be found by.
    let mut left_out = Vec::new();
    for c in bmp().filter(|c| !p.jid.is_match(&format!("bob@x{c}y"))) {
        if parse_bare(&format!("bob@x{c}y")).is_ok() && !c.is_ascii() {
            left_out.push(c);
        }
    }
    // The no-break space is taken only as the ASCII space it normalises to, which is no
    // part of a DNS name.
    assert_eq!(left_out, ['\u{a0}'], "taken in a domain label, refused by the patterns");
}

#[tokio::test]
async fn names_in_other_scripts_are_admitted_and_accepted_everywhere() {
    let p = patterns();
    let server = Server::new().await;
    for name in [
        "\u{434}\u{43c}\u{438}\u{442}\u{440}\u{438}\u{439}@localhost",
        "\u{414}\u{43c}\u{438}\u{442}\u{440}\u{438}\u{439}@LocalHost",
        "\u{674e}@localhost",
        "J\u{fc}rgen@localhost",
        "\u{3b4}\u{3bf}\u{3ba}\u{3b9}\u{3bc}\u{3ae}@\u{3c0}\u{3b1}\u{3c1}\u{3ac}\u{3b4}\u{3b5}\u{3b9}\u{3b3}\u{3bc}\u{3b1}.\u{3b4}\u{3bf}\u{3ba}\u{3b9}\u{3bc}\u{3ae}",
        "\u{645}\u{62b}\u{627}\u{644}@localhost",
        "\u{5e9}\u{5dc}\u{5d5}\u{5dd}@localhost",
        "\u{939}\u{93f}\u{902}\u{926}\u{940}@localhost",
        "\u{d55c}\u{ad6d}\u{c5b4}@\u{c608}\u{c2dc}.\u{d55c}\u{ad6d}",
        "\u{3072}\u{3089}\u{304c}\u{306a}@\u{4f8b}\u{3048}.\u{30c6}\u{30b9}\u{30c8}",
        "bob@m\u{fc}nchen.example",
    ] {
        assert_eq!(server.agrees(&p, name), Ok(3), "{name}");
        assert_eq!(server.agrees(&p, &format!("{name}/\u{7535}\u{8111} 1")), Ok(1), "{name}");
    }
    // A room id in another script (also a domain alone, as a `Jid`).
    assert_eq!(
        server.agrees(&p, "\u{43a}\u{43e}\u{43c}\u{43d}\u{430}\u{442}\u{430}"),
        Ok(2)
    );
}

#[tokio::test]
async fn every_ascii_localpart_character_of_the_patterns_is_accepted_everywhere() {
    let p = patterns();
    let server = Server::new().await;
    let chars: Vec<char> = localpart_chars(&p).into_iter().filter(char::is_ascii).collect();
    // Printable ASCII without space and `"&'/:<>@` (nodeprep's exclusions) nor ``=`[\]``
    // (see the spec's conventions).
    assert_eq!(chars.len(), 94 - 8 - 5);
    for &c in &chars {
        let longest: String = std::iter::repeat_n(c, MAX_LOCAL).collect();
        for local in [
            c.to_string(),
            format!("{c}ab"),
            format!("a{c}b"),
            format!("ab{c}"),
            format!("{c}{c}"),
            longest,
        ] {
            for s in [format!("{local}@localhost"), format!("{local}@LocalHost.")] {
                assert_eq!(server.agrees(&p, &s), Ok(3), "{s:?}");
            }
            // As a recipient's resource.
            for s in [format!("bob@localhost/{local}"), format!("bob@localhost./{local}")] {
                assert_eq!(server.agrees(&p, &s), Ok(1), "{s:?}");
            }
            // As a room id (unless it starts with a dot).
            assert_eq!(p.room.is_match(&local), !local.starts_with('.'), "{local:?}");
            server.agrees(&p, &local).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    // A resource also takes what nodeprep leaves out of a localpart.
    for c in [' ', '"', '&', '\'', '/', ':', '<', '>', '@'] {
        let s = format!("bob@localhost/a{c}b");
        assert_eq!(server.agrees(&p, &s), Ok(1), "{s:?}");
    }
    // One character more than the longest is refused by the patterns.
    let too_long = "a".repeat(MAX_LOCAL + 1);
    assert!(!p.user.is_match(&format!("{too_long}@localhost")));
    assert!(!p.recipient.is_match(&format!("{too_long}@localhost")));
    assert!(!p.recipient.is_match(&format!("bob@localhost/{too_long}")));
    assert!(!p.jid.is_match(&format!("{too_long}@localhost")));
    assert!(!p.room.is_match(&too_long));
}

#[tokio::test]
async fn every_ascii_domain_the_patterns_allow_is_accepted() {
    let p = patterns();
    let server = Server::new().await;
    // Each character alone, first, inside and last in a label, in a one- and a two-label
    // domain, with and without the trailing dot.
    let mut domain_chars = Vec::new();
    for &c in p.chars.iter().filter(|c| c.is_ascii()) {
        let mut any = false;
        for domain in [
            c.to_string(),
            format!("{c}x"),
            format!("x{c}x"),
            format!("x{c}"),
            format!("a.{c}x"),
            format!("a.x{c}x."),
        ] {
            for s in [domain.clone(), format!("bob@{domain}")] {
                if p.jid.is_match(&s) || p.user.is_match(&s) || p.recipient.is_match(&s) {
                    server.agrees(&p, &s).unwrap_or_else(|e| panic!("{e}"));
                    any = true;
                }
            }
        }
        if any {
            domain_chars.push(c);
        }
    }
    // ASCII letters, digits and the hyphen (not first or last in a label, checked below),
    // besides the separators.
    domain_chars.retain(|c| !matches!(c, '.' | '@' | '/'));
    assert_eq!(domain_chars.len(), 26 * 2 + 10 + 1, "{domain_chars:?}");
    for bad in ["-a", "a-", "a.-b", "a..b", ".a", "a_b"] {
        assert!(!p.jid.is_match(bad), "{bad}");
        assert!(!p.user.is_match(&format!("bob@{bad}")), "{bad}");
    }
    // The longest domain: 16 labels of 63 characters (1023 bytes, the limit of RFC 7622).
    let label = "a".repeat(63);
    let longest = vec![label.as_str(); 16].join(".");
    for s in [longest.clone(), format!("{longest}."), format!("bob@{longest}")] {
        assert!(p.jid.is_match(&s), "{s}");
        assert!(server.agrees(&p, &s).is_ok(), "{s}");
    }
    assert!(!p.jid.is_match(&vec![label.as_str(); 17].join(".")));
    assert!(!p.jid.is_match(&format!("bob@{}", "a".repeat(64))));
}

/// A random string from pieces that make JIDs and pieces that break them: characters the
/// patterns allow and refuse, separators, look-alikes that normalisation turns into
/// separators, other scripts, combining marks and controls.
fn random_string(rng: &mut StdRng, allowed: &[char]) -> String {
    const OTHERS: &[char] = &[
        '@',
        '@',
        '.',
        '.',
        '/',
        ' ',
        '"',
        '&',
        '\'',
        ':',
        '<',
        '>',
        '-',
        '\u{0}',
        '\t',
        '\u{7f}',
        '\u{a0}',
        '\u{ad}',
        '\u{d7}',
        '\u{f7}',
        '\u{180}',
        '\u{1c5}',
        '\u{130}',
        '\u{149}',
        '\u{17f}',
        '\u{300}',
        '\u{301}',
        '\u{307}',
        '\u{3a3}',
        '\u{3c2}',
        '\u{3f9}',
        '\u{434}',
        '\u{5d0}',
        '\u{627}',
        '\u{200b}',
        '\u{200d}',
        '\u{2126}',
        '\u{ff0e}',
        '\u{ff0f}',
        '\u{ff20}',
        '\u{ff21}',
        '\u{fffe}',
        '\u{1f600}',
        '\u{e0001}',
    ];
    let len = match rng.gen_range(0..10) {
        0 => rng.gen_range(250..=270),
        _ => rng.gen_range(0..24),
    };
    (0..len)
        .map(|_| match rng.gen_range(0..4) {
            0 => OTHERS[rng.gen_range(0..OTHERS.len())],
            _ => allowed[rng.gen_range(0..allowed.len())],
        })
        .collect()
}

/// A random string of the patterns' own shape: a localpart of allowed characters, then a
/// domain of random labels; these match far more often than arbitrary strings.
fn random_jid(rng: &mut StdRng, allowed: &[char]) -> String {
    let local_len = if rng.gen_bool(0.1) {
        MAX_LOCAL
    } else {
        rng.gen_range(1..12)
    };
    let local: String = (0..local_len)
        .map(|_| allowed[rng.gen_range(0..allowed.len())])
        .collect();
    const LABEL: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
    let labels: Vec<String> = (0..rng.gen_range(1..5))
        .map(|_| {
            (0..rng.gen_range(1..8))
                .map(|_| LABEL[rng.gen_range(0..LABEL.len())] as char)
                .collect()
        })
        .collect();
    let dot = if rng.gen_bool(0.2) { "." } else { "" };
    let resource: String = if rng.gen_bool(0.2) {
        let len = if rng.gen_bool(0.1) {
            MAX_LOCAL
        } else {
            rng.gen_range(1..12)
        };
        std::iter::once('/')
            .chain((0..len).map(|_| allowed[rng.gen_range(0..allowed.len())]))
            .collect()
    } else {
        String::new()
    };
    format!("{local}@{}{dot}{resource}", labels.join("."))
}

#[tokio::test]
async fn random_strings_the_patterns_match_are_accepted_or_refused_as_documented() {
    let p = patterns();
    let server = Server::new().await;
    let allowed = localpart_chars(&p);
    let mut rng = StdRng::seed_from_u64(7622);
    let mut matched = [0usize; 2];
    let mut accepted_beyond_ascii = 0;
    for i in 0..10_000 {
        let s = if i % 2 == 0 {
            random_string(&mut rng, &allowed)
        } else {
            random_jid(&mut rng, &allowed)
        };
        // Without its localpart, a JID is a domain alone.
        let domain = s.split_once('@').map(|(_, d)| d.to_owned());
        for s in std::iter::once(s).chain(domain) {
            let n = if s.is_ascii() {
                server.agrees(&p, &s).unwrap_or_else(|e| panic!("{e}"))
            } else {
                // Beyond ASCII the normaliser may still refuse what a pattern admits (the
                // field's documented `400`); what it takes, it takes for every field.
                let n = [&p.jid, &p.user, &p.recipient, &p.room]
                    .iter()
                    .filter(|r| r.is_match(&s))
                    .count();
                if n > 0 && server.agrees(&p, &s).is_ok() {
                    accepted_beyond_ascii += 1;
                }
                n
            };
            matched[i % 2] += n.min(1);
        }
    }
    // Both generators reach the patterns often enough to mean something, and strings in
    // other scripts are accepted often enough too.
    assert!(matched[0] > 500, "{matched:?}");
    assert!(matched[1] > 4_000, "{matched:?}");
    assert!(accepted_beyond_ascii > 500, "{accepted_beyond_ascii}");
}

/// The contract's answer to `method path` with `body`.
fn answer(method: Method, path: &str, body: &str) -> Result<(), String> {
    let c = contract();
    let op = c.find(&method, path).unwrap_or_else(|_| panic!("{method} {path}"));
    op.check(path, None, &HeaderMap::new(), body.as_bytes())
        .map_err(|r| r.text)
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[test]
fn strings_the_patterns_do_not_match_get_the_fields_documented_text() {
    let p = patterns();
    for bad in [
        "",
        "bob",
        "bob@",
        "@localhost",
        "bob@@localhost",
        "bob@localhost/phone",
        "bob smith@localhost",
        "bob@local_host",
        "a=b@localhost",
        "a[b]@localhost",
        "bob@-localhost",
        "bob@localhost..",
        "bob\u{ff20}localhost",
        "a\u{a0}b@localhost",
        "bob@\u{e000}",
        "bob\u{0}@localhost",
    ] {
        assert!(!p.user.is_match(bad), "{bad:?}");
        let json = serde_json::to_string(bad).unwrap();
        let path = encode(bad);
        let expect = |field: &str, got: Result<(), String>, text: String| {
            assert_eq!(got, Err(text), "{bad:?} as {field}");
        };
        // An empty `to` or `user` is reported as missing, by its own text.
        if !bad.is_empty() && !p.recipient.is_match(bad) {
            expect(
                "MessageRequest.to",
                answer(
                    Method::POST,
                    "/api/messages",
                    &format!(r#"{{"to":{json},"body":"hi"}}"#),
                ),
                "Invalid recipient JID".into(),
            );
        }
        if !bad.is_empty() {
            expect(
                "RoomInvite.user",
                answer(Method::POST, "/api/rooms/r1/users", &format!(r#"{{"user":{json}}}"#)),
                format!("Invalid user JID: {bad}"),
            );
        }
        if !p.jid.is_match(bad) {
            expect(
                "ContactRequest.jid",
                answer(Method::POST, "/api/contacts", &format!(r#"{{"jid":{json}}}"#)),
                format!("Invalid JID: {bad}"),
            );
            expect(
                "ContactsToDelete.to_delete",
                answer(
                    Method::DELETE,
                    "/api/contacts",
                    &format!(r#"{{"to_delete":["bob@localhost",{json}]}}"#),
                ),
                format!("Invalid JID: {bad}"),
            );
            if !bad.is_empty() {
                expect(
                    "{jid} of /contacts",
                    answer(Method::DELETE, &format!("/api/contacts/{path}"), ""),
                    format!("Invalid JID: {bad}"),
                );
                expect(
                    "{jid} of /messages",
                    answer(Method::GET, &format!("/api/messages/{path}"), ""),
                    "Invalid interlocutor JID".into(),
                );
            }
        }
        if !bad.is_empty() {
            expect(
                "{user} of /rooms/{id}/users",
                answer(Method::DELETE, &format!("/api/rooms/r1/users/{path}"), ""),
                format!("Invalid user JID: {bad}"),
            );
        }
    }
    // A full JID is a recipient, not a `UserJid`.
    assert_eq!(
        answer(
            Method::POST,
            "/api/messages",
            r#"{"to":"bob@localhost/phone","body":"hi"}"#
        ),
        Ok(())
    );
    assert_eq!(
        answer(Method::DELETE, "/api/rooms/r1/users/bob%40localhost%2Fphone", ""),
        Err("Invalid user JID: bob@localhost/phone".into())
    );
    // A domain alone is a `Jid` but not a `UserJid`.
    assert_eq!(answer(Method::DELETE, "/api/contacts/localhost", ""), Ok(()));
    assert_eq!(
        answer(Method::POST, "/api/rooms/r1/users", r#"{"user":"localhost"}"#),
        Err("Invalid user JID: localhost".into())
    );
    // What the patterns match passes the contract, in any case and with a trailing dot.
    for good in [
        "bob@localhost",
        "Bob@LocalHost.",
        "\u{e9}lo\u{ef}se@example.com",
        "\u{434}\u{43c}\u{438}\u{442}\u{440}\u{438}\u{439}@localhost",
        "\u{674e}@\u{4f8b}\u{3048}.\u{30c6}\u{30b9}\u{30c8}",
    ] {
        let json = serde_json::to_string(good).unwrap();
        let path = encode(good);
        assert_eq!(
            answer(
                Method::POST,
                "/api/messages",
                &format!(r#"{{"to":{json},"body":"hi"}}"#)
            ),
            Ok(())
        );
        assert_eq!(
            answer(Method::POST, "/api/contacts", &format!(r#"{{"jid":{json}}}"#)),
            Ok(())
        );
        assert_eq!(answer(Method::GET, &format!("/api/messages/{path}"), ""), Ok(()));
        assert_eq!(
            answer(Method::DELETE, &format!("/api/rooms/r1/users/{path}"), ""),
            Ok(())
        );
    }
}

#[test]
fn room_ids_and_room_jids_in_paths() {
    let get = |id: &str| answer(Method::GET, &format!("/api/rooms/{}", encode(id)), "");
    assert_eq!(get("656c6f656c6f"), Ok(()));
    assert_eq!(get("Caf\u{e9}"), Ok(()));
    // A room JID is the operation's to check (its domain is the deployment's): only the
    // part before the `@` is the pattern's.
    assert_eq!(get("656c6f656c6f@muclight.localhost"), Ok(()));
    assert_eq!(get("656c6f656c6f@elsewhere"), Ok(()));
    for bad in [
        ".",
        "..",
        ".hidden",
        "a b",
        "a/b",
        "r\u{e000}",
        "a:b",
        "x".repeat(257).as_str(),
    ] {
        assert_eq!(get(bad), Err("Invalid room ID".into()), "{bad:?}");
        assert_eq!(
            get(&format!("{bad}@muclight.localhost")),
            Err("Invalid room ID".into()),
            "{bad:?}"
        );
    }
    // A path segment that is not UTF-8 once decoded.
    assert_eq!(answer(Method::GET, "/api/rooms/%FF", ""), Err("Invalid room ID".into()));
    assert_eq!(
        answer(Method::POST, "/api/rooms/%C3/messages", r#"{"body":"x"}"#),
        Err("Invalid room ID".into())
    );
}

/// Every `pattern` of the spec, anywhere in it.
fn spec_patterns(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("pattern", serde_json::Value::String(p)) => out.push(p.clone()),
                    _ => spec_patterns(value, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| spec_patterns(i, out)),
        _ => {}
    }
}

/// openapi-generator's `rust-server` copies a pattern into a raw string with its
/// backslashes doubled and `=` and backticks HTML-escaped; a pattern must come out of that
/// still a valid expression (the generated crate compiles them, and clippy refuses an
/// invalid one), and without `=` or backticks, which would come out as other characters.
#[test]
fn the_spec_patterns_survive_code_generation() {
    let spec = crate::http::contract::spec_json(crate::http::CLIENT_SPEC).expect("the spec parses");
    let mut patterns = Vec::new();
    spec_patterns(&spec, &mut patterns);
    assert!(patterns.len() >= 10, "{patterns:?}");
    for p in patterns {
        assert!(!p.contains(['=', '`']), "{p}");
        let generated = p.replace('\\', "\\\\");
        assert!(Regex::new(&generated).is_ok(), "{p} becomes {generated}");
    }
}

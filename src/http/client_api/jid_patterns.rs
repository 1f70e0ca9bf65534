//! The JID patterns of `api/client.yaml` (`Jid`, `UserJid`, `RecipientJid`,
//! `RoomLocalpart`) against the rules the REST door applies to the same fields
//! (`core::jid`, `muc_light::resolve_room`), in both directions:
//!
//! - every string a pattern matches is accepted by the server for that field, so a client
//!   (or a generated test) that keeps to the spec never gets `400` for a JID;
//! - every string it does not match is refused by the contract with the field's
//!   documented text.
//!
//! The first direction is checked character by character (every character a pattern can
//! match, read from the pattern itself, alone, first, inside, last and repeated to the
//! longest allowed length) and on many random strings; the second on each field of the
//! spec that carries a JID.

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
/// character they can match at all; they must be the same in the JID patterns, in a
/// recipient's resource and (but for a leading dot) in the room id pattern.
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
        assert_eq!(user, p.recipient.is_match(&format!("a@b/x{c}")), "{c:?}");
        assert_eq!(user, p.room.is_match(&format!("x{c}")), "{c:?}");
        assert_eq!(user && c != '.', p.room.is_match(&c.to_string()), "{c:?}");
    }
    chars
}

#[tokio::test]
async fn every_localpart_character_of_the_patterns_is_accepted_everywhere() {
    let p = patterns();
    let server = Server::new().await;
    let chars = localpart_chars(&p);
    // Printable ASCII without space and `"&'/:<>@` (nodeprep's exclusions) nor ``=`[\]``
    // (see the spec's conventions), and Latin-1 and Latin Extended-A letters without `×`
    // and `÷`.
    assert_eq!(chars.iter().filter(|c| c.is_ascii()).count(), 94 - 8 - 5);
    assert_eq!(chars.len(), 81 + 190);
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
    // One character more than the longest is refused by the patterns.
    let too_long = "a".repeat(MAX_LOCAL + 1);
    assert!(!p.user.is_match(&format!("{too_long}@localhost")));
    assert!(!p.recipient.is_match(&format!("{too_long}@localhost")));
    assert!(!p.recipient.is_match(&format!("bob@localhost/{too_long}")));
    assert!(!p.jid.is_match(&format!("{too_long}@localhost")));
    assert!(!p.room.is_match(&too_long));
}

#[tokio::test]
async fn every_domain_the_patterns_allow_is_accepted() {
    let p = patterns();
    let server = Server::new().await;
    // Each character alone, first, inside and last in a label, in a one- and a two-label
    // domain, with and without the trailing dot.
    let mut domain_chars = Vec::new();
    for &c in &p.chars {
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
async fn random_strings_the_patterns_match_are_accepted() {
    let p = patterns();
    let server = Server::new().await;
    let allowed = localpart_chars(&p);
    let mut rng = StdRng::seed_from_u64(7622);
    let mut matched = [0usize; 2];
    for i in 0..10_000 {
        let s = if i % 2 == 0 {
            random_string(&mut rng, &allowed)
        } else {
            random_jid(&mut rng, &allowed)
        };
        let n = server.agrees(&p, &s).unwrap_or_else(|e| panic!("{e}"));
        matched[i % 2] += n.min(1);
        // Without its localpart, a JID is a domain alone.
        if let Some((_, domain)) = s.split_once('@') {
            server.agrees(&p, domain).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    // Both generators reach the patterns often enough to mean something.
    assert!(matched[0] > 500, "{matched:?}");
    assert!(matched[1] > 4_000, "{matched:?}");
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
        "\u{434}\u{43c}\u{438}\u{442}\u{440}\u{438}\u{439}@localhost",
        "bob\u{ff20}localhost",
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
    for good in ["bob@localhost", "Bob@LocalHost.", "\u{e9}lo\u{ef}se@example.com"] {
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
        "r\u{434}",
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

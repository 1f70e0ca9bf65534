//! A minimal XMPP client for load: plain TCP or STARTTLS, SASL PLAIN, bind, presence,
//! then raw stanza writes and a byte scanner for `<body>t=NANOS</body>` on the receiving
//! side. Deliberately not a general client: the measuring side must cost next to nothing.

use base64::Engine;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf, ReadHalf, WriteHalf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::client::TlsStream;

const STEP_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Session {
    pub reader: Reader,
    pub writer: Writer,
}

/// The read half of a session's connection; a plain one is split without a lock.
pub enum Reader {
    Plain(OwnedReadHalf),
    Tls(ReadHalf<TlsStream<TcpStream>>),
}

/// The write half of a session's connection.
pub enum Writer {
    Plain(OwnedWriteHalf),
    Tls(WriteHalf<TlsStream<TcpStream>>),
}

impl AsyncRead for Reader {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Reader::Plain(r) => Pin::new(r).poll_read(cx, buf),
            Reader::Tls(r) => Pin::new(r).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Writer {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Writer::Plain(w) => Pin::new(w).poll_write(cx, buf),
            Writer::Tls(w) => Pin::new(w).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Writer::Plain(w) => Pin::new(w).poll_flush(cx),
            Writer::Tls(w) => Pin::new(w).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Writer::Plain(w) => Pin::new(w).poll_shutdown(cx),
            Writer::Tls(w) => Pin::new(w).poll_shutdown(cx),
        }
    }
}

fn err(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

/// Reads until `needle` (or `fail`) appears; returns what was read.
async fn read_until<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    needle: &str,
    fail: &str,
) -> io::Result<String> {
    let fails: &[&str] = if fail.is_empty() { &[] } else { &[fail] };
    read_until_any(stream, buf, &[needle], fails).await
}

fn header(domain: &str) -> String {
    format!(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='{domain}' version='1.0'>"
    )
}

/// Connects from `source` (any port), logs in as `user@domain/resource` with PLAIN,
/// binds, and sends initial presence.
pub async fn login(
    server: SocketAddr,
    source: Option<std::net::IpAddr>,
    domain: &str,
    user: &str,
    password: &str,
    resource: &str,
) -> io::Result<Session> {
    connect(server, source, domain, (user, password, resource), false).await
}

/// [`login`], after STARTTLS (RFC 6120 §5) when `tls` is set.
pub async fn connect(
    server: SocketAddr,
    source: Option<std::net::IpAddr>,
    domain: &str,
    (user, password, resource): (&str, &str, &str),
    tls: bool,
) -> io::Result<Session> {
    let socket = TcpSocket::new_v4()?;
    if let Some(ip) = source {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let mut stream = tokio::time::timeout(STEP_TIMEOUT, socket.connect(server))
        .await
        .map_err(|_| err("connect timed out"))??;
    stream.set_nodelay(true)?;
    let mut buf = Vec::new();
    stream.write_all(header(domain).as_bytes()).await?;
    read_until(&mut stream, &mut buf, "</stream:features>", "stream:error").await?;
    if !tls {
        negotiate(&mut stream, &mut buf, domain, user, password, resource).await?;
        let (reader, writer) = stream.into_split();
        return Ok(Session {
            reader: Reader::Plain(reader),
            writer: Writer::Plain(writer),
        });
    }
    stream
        .write_all(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        .await?;
    read_until(&mut stream, &mut buf, "<proceed", "<failure").await?;
    read_until(&mut stream, &mut buf, ">", "").await?;
    let mut stream = tokio::time::timeout(STEP_TIMEOUT, crate::tls::wrap(stream))
        .await
        .map_err(|_| err("TLS handshake timed out"))??;
    buf.clear();
    stream.write_all(header(domain).as_bytes()).await?;
    read_until(&mut stream, &mut buf, "</stream:features>", "stream:error").await?;
    negotiate(&mut stream, &mut buf, domain, user, password, resource).await?;
    let (reader, writer) = tokio::io::split(stream);
    Ok(Session {
        reader: Reader::Tls(reader),
        writer: Writer::Tls(writer),
    })
}

/// Log in with SCRAM-SHA-1 instead of PLAIN (`--sasl scram-sha-1`), set once at start.
pub static SCRAM: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// From the first features after (or without) TLS: PLAIN (or SCRAM-SHA-1), restart,
/// bind, presence.
async fn negotiate<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    domain: &str,
    user: &str,
    password: &str,
    resource: &str,
) -> io::Result<()> {
    if *SCRAM.get().unwrap_or(&false) {
        scram_sha1(stream, buf, user, password).await?;
    } else {
        let creds = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
        stream
            .write_all(
                format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{creds}</auth>").as_bytes(),
            )
            .await?;
        read_until(stream, buf, "<success", "<failure").await?;
        read_until(stream, buf, ">", "").await?;
    }
    stream.write_all(header(domain).as_bytes()).await?;
    read_until(stream, buf, "</stream:features>", "stream:error").await?;
    stream
        .write_all(
            format!(
                "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>{resource}</resource></bind></iq>"
            )
            .as_bytes(),
        )
        .await?;
    read_until(stream, buf, "</iq>", "type='error'").await?;
    stream.write_all(b"<presence/>").await?;
    Ok(())
}

/// SASL SCRAM-SHA-1 (RFC 5802): the server checks a proof with a few hashes instead of
/// deriving a key from a PLAIN password at every login, which made the peers' 10,000
/// idle logins take minutes. The client's own derivation is cached per salt (the peers'
/// accounts are copies of one, with one salt; meerkat's each have their own, so PLAIN,
/// whose check meerkat caches, is quicker there).
async fn scram_sha1<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    user: &str,
    password: &str,
) -> io::Result<()> {
    let b64 = &base64::engine::general_purpose::STANDARD;
    let nonce = scram_nonce();
    let first_bare = format!("n={user},r={nonce}");
    stream
        .write_all(
            format!(
                "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>{}</auth>",
                b64.encode(format!("n,,{first_bare}"))
            )
            .as_bytes(),
        )
        .await?;
    read_until(stream, buf, "<challenge", "<failure").await?;
    read_until(stream, buf, ">", "").await?;
    let challenge = read_until(stream, buf, "</challenge>", "").await?;
    let challenge = challenge.trim_end_matches("</challenge>");
    let server_first = String::from_utf8(b64.decode(challenge.trim()).map_err(|e| err(e.to_string()))?)
        .map_err(|e| err(e.to_string()))?;
    let final_message = scram_client_final(&first_bare, &server_first, &nonce, password)?;
    stream
        .write_all(
            format!(
                "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</response>",
                b64.encode(final_message)
            )
            .as_bytes(),
        )
        .await?;
    read_until(stream, buf, "<success", "<failure").await?;
    // `<success/>`, or `<success>` with the server's signature (not checked here).
    if !read_until(stream, buf, ">", "").await?.ends_with("/>") {
        read_until(stream, buf, "</success>", "").await?;
    }
    Ok(())
}

/// The client-final-message (RFC 5802 §3) answering `server_first`.
fn scram_client_final(first_bare: &str, server_first: &str, nonce: &str, password: &str) -> io::Result<String> {
    let b64 = &base64::engine::general_purpose::STANDARD;
    let field = |name: &str| {
        server_first
            .split(',')
            .find_map(|f| f.strip_prefix(name))
            .ok_or_else(|| err(format!("no {name} in {server_first}")))
    };
    let (combined, salt, iterations) = (field("r=")?, field("s=")?, field("i=")?);
    if !combined.starts_with(nonce) {
        return Err(err("the server's nonce does not extend ours"));
    }
    let iterations: u32 = iterations.parse().map_err(|_| err("bad iteration count"))?;
    let salted = salted_password(password, salt, iterations)?;
    let without_proof = format!("c=biws,r={combined}");
    let auth_message = format!("{first_bare},{server_first},{without_proof}");
    let client_key = hmac_sha1(&salted, b"Client Key");
    let stored_key: [u8; 20] = {
        use sha1::Digest;
        sha1::Sha1::digest(client_key).into()
    };
    let signature = hmac_sha1(&stored_key, auth_message.as_bytes());
    let proof: Vec<u8> = client_key.iter().zip(signature).map(|(k, s)| k ^ s).collect();
    Ok(format!("{without_proof},p={}", b64.encode(proof)))
}

fn scram_nonce() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{t:x}{n:x}{}", std::process::id())
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA-1 of `password` with the server's salt (base64), cached.
fn salted_password(password: &str, salt: &str, iterations: u32) -> io::Result<[u8; 20]> {
    type Cache = std::sync::Mutex<std::collections::HashMap<(String, String, u32), [u8; 20]>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let key = (password.to_owned(), salt.to_owned(), iterations);
    let cache = CACHE.get_or_init(Cache::default);
    if let Some(hit) = cache.lock().unwrap().get(&key) {
        return Ok(*hit);
    }
    let salt_bytes = base64::engine::general_purpose::STANDARD
        .decode(salt)
        .map_err(|e| err(format!("salt: {e}")))?;
    let mut out = [0u8; 20];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password.as_bytes(), &salt_bytes, iterations, &mut out);
    cache.lock().unwrap().insert(key, out);
    Ok(out)
}

/// Writes `stanzas` (messages with the `ids` as their `id`s), then a ping to the server,
/// and reads until the ping's answer. The server handles a stream's stanzas in order and
/// archives a message before it reads the next stanza, so the answer means each message
/// before it was archived, unless it came back as an error: those ids are returned.
pub async fn send_and_ping(
    session: &mut Session,
    domain: &str,
    stanzas: &str,
    ids: &[String],
    ping_id: &str,
    timeout: Duration,
) -> io::Result<Vec<String>> {
    let ping = format!("<iq type='get' to='{domain}' id='{ping_id}'><ping xmlns='urn:xmpp:ping'/></iq>");
    session.writer.write_all(format!("{stanzas}{ping}").as_bytes()).await?;
    let answered = [format!("id='{ping_id}'"), format!("id=\"{ping_id}\"")];
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let text = String::from_utf8_lossy(&seen);
        if let Some(end) = answered.iter().filter_map(|a| text.find(a.as_str())).min() {
            let before = &text[..end];
            return Ok(ids
                .iter()
                .filter(|id| before.contains(&format!("id='{id}'")) || before.contains(&format!("id=\"{id}\"")))
                .cloned()
                .collect());
        }
        if text.contains("</stream:stream>") || text.contains("<stream:error") {
            return Err(err(format!("the server ended the stream: {text}")));
        }
        let n = tokio::time::timeout_at(deadline, session.reader.read(&mut chunk))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, format!("no answer to ping {ping_id}")))??;
        if n == 0 {
            return Err(err(format!("connection closed waiting for ping {ping_id}")));
        }
        seen.extend_from_slice(&chunk[..n]);
    }
}

/// Ends the stream properly: `</stream:stream>`, then waits (bounded) for the server's.
pub async fn close(mut session: Session) -> io::Result<()> {
    session.writer.write_all(b"</stream:stream>").await?;
    let mut chunk = [0u8; 4096];
    let wait = async {
        loop {
            match session.reader.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(STEP_TIMEOUT, wait)
        .await
        .map_err(|_| err("the server did not close the stream"))
}

/// Drops the connection without closing the stream: with `reset`, an RST (no FIN, unsent
/// data discarded), otherwise a plain close of the socket.
pub fn drop_abruptly(session: Session, reset: bool) {
    let tcp = match (session.reader, session.writer) {
        (Reader::Plain(r), Writer::Plain(w)) => r.reunite(w).ok(),
        (Reader::Tls(r), Writer::Tls(w)) => Some(r.unsplit(w).into_inner().0),
        _ => None,
    };
    if let Some(stream) = tcp {
        if reset {
            let _ = stream.set_zero_linger();
        }
    }
}

/// Enters the XEP-0045 room `room` (`name@service`) as `nick` with no history (§7.2),
/// returning once the room sent this occupant its own presence (status 110). The occupant
/// who created the room (status 201) opens it with the instant-room form (§10.1.2), since
/// a new room stays locked until its owner configures it.
pub async fn enter_room(session: &mut Session, room: &str, nick: &str) -> io::Result<()> {
    let mut buf = Vec::new();
    session
        .writer
        .write_all(
            format!(
                "<presence to='{room}/{nick}'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>"
            )
            .as_bytes(),
        )
        .await?;
    let mut own = read_until_any(
        &mut session.reader,
        &mut buf,
        &["code='110'", "code=\"110\""],
        &["type='error'", "type=\"error\""],
    )
    .await?;
    // The other status codes (201 among them) may follow 110 in the same presence.
    own += &read_until(&mut session.reader, &mut buf, "</presence>", "").await?;
    if own.contains("code='201'") || own.contains("code=\"201\"") {
        session
            .writer
            .write_all(
                format!(
                    "<iq type='set' to='{room}' id='instant'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>"
                )
                .as_bytes(),
            )
            .await?;
        read_until_any(
            &mut session.reader,
            &mut buf,
            &["id='instant'", "id=\"instant\""],
            &["type='error'", "type=\"error\""],
        )
        .await?;
    }
    Ok(())
}

/// Reads until the first of `needles` appears (servers quote attributes either way), or
/// fails at any of `fails`; returns what was read up to the end of that needle.
async fn read_until_any<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    needles: &[&str],
    fails: &[&str],
) -> io::Result<String> {
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(buf);
        if let Some(end) = needles.iter().filter_map(|n| text.find(n).map(|i| i + n.len())).min() {
            let out = text[..end].to_owned();
            buf.drain(..end);
            return Ok(out);
        }
        if fails.iter().any(|f| text.contains(f)) {
            return Err(err(format!("server said: {text}")));
        }
        let n = tokio::time::timeout(STEP_TIMEOUT, stream.read(&mut chunk))
            .await
            .map_err(|_| err(format!("timed out waiting for {needles:?}: {text}")))??;
        if n == 0 {
            return Err(err(format!("connection closed waiting for {needles:?}: {text}")));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Counts occurrences of one marker in a byte stream split arbitrarily into chunks.
pub struct MarkerCounter {
    needle: Vec<u8>,
    tail: Vec<u8>,
}

impl MarkerCounter {
    pub fn new(needle: &str) -> Self {
        MarkerCounter {
            needle: needle.as_bytes().to_vec(),
            tail: Vec::new(),
        }
    }

    /// Feeds bytes; returns how many markers ended in them.
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        // The tail is shorter than the marker, so no marker is counted twice.
        self.tail.extend_from_slice(bytes);
        let mut count = 0;
        let mut at = 0;
        while let Some(i) = find(&self.tail[at..], &self.needle) {
            count += 1;
            at += i + self.needle.len();
        }
        let keep = (self.needle.len() - 1).min(self.tail.len() - at);
        self.tail.drain(..self.tail.len() - keep);
        count
    }
}

/// Finds `<body>t=NANOS</body>` markers in a byte stream split arbitrarily into chunks.
#[derive(Default)]
pub struct BodyScanner {
    pending: Vec<u8>,
}

impl BodyScanner {
    /// Feeds bytes; calls `found` with each timestamp.
    pub fn feed(&mut self, bytes: &[u8], mut found: impl FnMut(u64)) {
        self.pending.extend_from_slice(bytes);
        let data = &self.pending;
        let mut consumed = 0;
        let open = b"<body>t=";
        while let Some(start) = find(&data[consumed..], open) {
            let digits_at = consumed + start + open.len();
            let Some(len) = data[digits_at..].iter().position(|b| !b.is_ascii_digit()) else {
                // The number may continue in the next chunk.
                consumed += start;
                break;
            };
            if let Ok(n) = std::str::from_utf8(&data[digits_at..digits_at + len])
                .unwrap_or("x")
                .parse()
            {
                found(n);
            }
            consumed = digits_at + len;
        }
        if find(&data[consumed..], open).is_none() {
            // Keep a tail that could be the start of a split marker.
            let keep = data.len().saturating_sub(open.len()).max(consumed);
            consumed = keep;
        }
        self.pending.drain(..consumed);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_across_any_split() {
        let text = b"<message><body>t=123</body></message><message to='x'><body>t=4567</body></message>";
        for split in 1..text.len() {
            let mut s = BodyScanner::default();
            let mut got = Vec::new();
            s.feed(&text[..split], |n| got.push(n));
            s.feed(&text[split..], |n| got.push(n));
            assert_eq!(got, [123, 4567], "split at {split}");
        }
    }

    #[test]
    fn the_scram_sha1_proof_is_the_one_of_rfc_5802s_example() {
        let server_first = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
        let last = scram_client_final(
            "n=user,r=fyko+d2lbbFgONRv9qkxdawL",
            server_first,
            "fyko+d2lbbFgONRv9qkxdawL",
            "pencil",
        );
        assert_eq!(
            last.unwrap(),
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
        );
        // A server nonce that does not extend the client's is refused.
        assert!(scram_client_final("n=user,r=abc", server_first, "abc", "pencil").is_err());
    }

    #[test]
    fn a_senders_marker_is_counted_once_across_any_split() {
        let text = b"<body>t=1;s=1</body><body>t=2;s=12</body><body>t=3;s=1</body>";
        for split in 0..=text.len() {
            let mut c = MarkerCounter::new(";s=1<");
            let n = c.feed(&text[..split]) + c.feed(&text[split..]);
            assert_eq!(n, 2, "split at {split}");
        }
    }
}

//! Certificates picked by name: a listener's TLS acceptor for a handshake is chosen from
//! the server name the client asks for (SNI, RFC 6066 §3), read from its ClientHello
//! before the handshake starts, among the certificates of a directory
//! (`general.tls_certs_dir`), by their `dNSName`s (a wildcard `*.example.com` covers one
//! label). A name no certificate covers, or a client sending none, gets the listener's
//! own certificate. Domains added at run time thus get theirs without a restart: a new
//! or replaced file is read at the next handshake after it changes (the directory is
//! looked at most once a second).
//!
//! Each file holds one certificate chain (the server's first) and its private key (PEM),
//! or the key sits beside it with the same name ending in `.key`.

use super::tls::TlsError;
use native_tls::{Identity, TlsAcceptor};
use openssl::pkey::PKey;
use openssl::x509::X509;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::TcpStream;

/// The server name of a TLS ClientHello record, if it carries one.
pub fn server_name(record: &[u8]) -> Option<String> {
    // Record header: type 22 (handshake), version, length; then the handshake header:
    // type 1 (ClientHello) and a 3-byte length.
    let mut r = Reader(record);
    if r.u8()? != 22 {
        return None;
    }
    r.skip(4)?;
    if r.u8()? != 1 {
        return None;
    }
    r.skip(3 + 2 + 32)?; // length, client_version, random
    let session = r.u8()? as usize;
    r.skip(session)?;
    let suites = r.u16()? as usize;
    r.skip(suites)?;
    let compression = r.u8()? as usize;
    r.skip(compression)?;
    let len = r.u16()? as usize;
    let mut extensions = Reader(r.take(len)?);
    while let (Some(kind), Some(len)) = (extensions.u16(), extensions.u16()) {
        let data = extensions.take(len as usize)?;
        if kind != 0 {
            continue;
        }
        let mut list = Reader(data);
        let len = list.u16()? as usize;
        let mut names = Reader(list.take(len)?);
        while let Some(name_type) = names.u8() {
            let len = names.u16()? as usize;
            let name = names.take(len)?;
            if name_type == 0 {
                let name = std::str::from_utf8(name).ok()?;
                return Some(name.trim_end_matches('.').to_ascii_lowercase());
            }
        }
        return None;
    }
    None
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

/// One file of the directory, as last read.
struct Loaded {
    modified: Option<SystemTime>,
    names: Vec<String>,
    acceptor: Option<TlsAcceptor>,
}

#[derive(Default)]
struct State {
    looked_at: Option<Instant>,
    files: HashMap<PathBuf, Loaded>,
}

/// The certificates of a directory, by name.
pub struct CertDirectory {
    dir: PathBuf,
    alpn: Vec<String>,
    state: Mutex<State>,
}

/// How often the directory is looked at again, at most.
const RESCAN: Duration = Duration::from_secs(1);

impl CertDirectory {
    pub fn new(dir: &Path, alpn: &[&str]) -> Self {
        CertDirectory {
            dir: dir.to_owned(),
            alpn: alpn.iter().map(|s| (*s).to_owned()).collect(),
            state: Mutex::default(),
        }
    }

    /// The acceptor of the certificate covering `name`: exactly, else by a wildcard.
    pub fn acceptor_for(&self, name: &str) -> Option<TlsAcceptor> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.looked_at.is_none_or(|t| t.elapsed() >= RESCAN) {
            self.rescan(&mut state);
        }
        let wildcard = name.split_once('.').map(|(_, parent)| format!("*.{parent}"));
        for wanted in std::iter::once(name.to_owned()).chain(wildcard) {
            let found = state
                .files
                .values()
                .find(|f| f.acceptor.is_some() && f.names.contains(&wanted));
            if let Some(f) = found {
                return f.acceptor.clone();
            }
        }
        None
    }

    fn rescan(&self, state: &mut State) {
        state.looked_at = Some(Instant::now());
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            tracing::warn!(dir = %self.dir.display(), "the certificate directory cannot be read");
            state.files.clear();
            return;
        };
        let mut seen = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "pem") {
                continue;
            }
            let modified = entry.metadata().and_then(|m| m.modified()).ok();
            seen.push(path.clone());
            if state.files.get(&path).is_some_and(|f| f.modified == modified) {
                continue;
            }
            let loaded = match load(&path, &self.alpn) {
                Ok((names, acceptor)) => Loaded {
                    modified,
                    names,
                    acceptor: Some(acceptor),
                },
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "certificate file skipped");
                    Loaded {
                        modified,
                        names: Vec::new(),
                        acceptor: None,
                    }
                }
            };
            state.files.insert(path, loaded);
        }
        state.files.retain(|p, _| seen.contains(p));
    }
}

/// The names a certificate file covers and an acceptor presenting it.
fn load(path: &Path, alpn: &[String]) -> Result<(Vec<String>, TlsAcceptor), TlsError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| TlsError::Read {
            path: p.to_owned(),
            source,
        })
    };
    let pem = read(path)?;
    let key = match PKey::private_key_from_pem(&pem) {
        Ok(k) => k,
        Err(_) => {
            let key = read(&path.with_extension("key"))?;
            PKey::private_key_from_pem(&key).map_err(|e| TlsError::Identity(e.to_string()))?
        }
    };
    let chain = X509::stack_from_pem(&pem).map_err(|e| TlsError::Identity(e.to_string()))?;
    let first = chain
        .first()
        .ok_or_else(|| TlsError::Identity("no certificate in the file".into()))?;
    let mut names: Vec<String> = first
        .subject_alt_names()
        .map(|sans| {
            sans.iter()
                .filter_map(|n| n.dnsname().map(|d| d.trim_end_matches('.').to_ascii_lowercase()))
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        // No dNSName: the subject's CN names the server (RFC 6125 §6.4.4).
        let cn = first
            .subject_name()
            .entries_by_nid(openssl::nid::Nid::COMMONNAME)
            .next();
        if let Some(cn) = cn.and_then(|e| String::from_utf8(e.data().as_slice().to_vec()).ok()) {
            names.push(cn.to_ascii_lowercase());
        }
    }
    let mut cert_pem = Vec::new();
    for c in &chain {
        cert_pem.extend(c.to_pem().map_err(|e| TlsError::Identity(e.to_string()))?);
    }
    let key_pem = key
        .private_key_to_pem_pkcs8()
        .map_err(|e| TlsError::Identity(e.to_string()))?;
    let identity = Identity::from_pkcs8(&cert_pem, &key_pem).map_err(|e| TlsError::Identity(e.to_string()))?;
    let mut builder = TlsAcceptor::builder(identity);
    if !alpn.is_empty() {
        let alpn: Vec<&str> = alpn.iter().map(String::as_str).collect();
        builder.accept_alpn(&alpn);
    }
    let acceptor = builder.build().map_err(|e| TlsError::Identity(e.to_string()))?;
    Ok((names, acceptor))
}

/// A listener's acceptors: its own certificate, and a directory's picked by SNI.
#[derive(Clone)]
pub struct Acceptors {
    default: tokio_native_tls::TlsAcceptor,
    dir: Option<Arc<CertDirectory>>,
}

/// How long the ClientHello may take to arrive whole before the default certificate is used.
const HELLO_WAIT: Duration = Duration::from_millis(500);

impl Acceptors {
    pub fn new(default: TlsAcceptor, dir: Option<Arc<CertDirectory>>) -> Self {
        Acceptors {
            default: default.into(),
            dir,
        }
    }

    /// Accepts the TLS handshake `tcp` starts, with the certificate for the name asked.
    pub async fn accept(&self, tcp: TcpStream) -> Result<tokio_native_tls::TlsStream<TcpStream>, native_tls::Error> {
        let acceptor = match &self.dir {
            None => self.default.clone(),
            Some(dir) => match peek_server_name(&tcp).await {
                Some(name) => dir.acceptor_for(&name).map_or_else(|| self.default.clone(), Into::into),
                None => self.default.clone(),
            },
        };
        acceptor.accept(tcp).await
    }
}

/// The server name of the ClientHello waiting on `tcp`, read without consuming it.
async fn peek_server_name(tcp: &TcpStream) -> Option<String> {
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + HELLO_WAIT;
    loop {
        let n = tokio::time::timeout_at(deadline, tcp.peek(&mut buf)).await.ok()?.ok()?;
        if n == 0 {
            return None;
        }
        // The record's own length says when it is all there.
        if n >= 5 {
            let whole = 5 + usize::from(u16::from_be_bytes([buf[3], buf[4]]));
            if n >= whole.min(buf.len()) {
                return server_name(&buf[..n]);
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello as OpenSSL writes it, asking for `name`.
    fn client_hello(name: &str) -> Vec<u8> {
        let mut ext = Vec::new();
        let entry_len = 3 + name.len();
        ext.extend(0u16.to_be_bytes()); // server_name
        ext.extend(((entry_len + 2) as u16).to_be_bytes());
        ext.extend((entry_len as u16).to_be_bytes());
        ext.push(0);
        ext.extend((name.len() as u16).to_be_bytes());
        ext.extend(name.as_bytes());
        let mut body = vec![3, 3];
        body.extend([7u8; 32]);
        body.push(0); // session id
        body.extend(2u16.to_be_bytes());
        body.extend([0x13, 0x01]);
        body.extend([1, 0]); // compression: null
                             // Another extension first, so the parser has to step over it.
        let mut exts = vec![0x00, 0x0b, 0x00, 0x02, 0x01, 0x00];
        exts.extend(ext);
        body.extend((exts.len() as u16).to_be_bytes());
        body.extend(exts);
        let mut hs = vec![1];
        hs.extend(&(body.len() as u32).to_be_bytes()[1..]);
        hs.extend(body);
        let mut record = vec![22, 3, 1];
        record.extend((hs.len() as u16).to_be_bytes());
        record.extend(hs);
        record
    }

    #[test]
    fn the_server_name_is_read_from_a_client_hello() {
        assert_eq!(
            server_name(&client_hello("Tenant.Example")).as_deref(),
            Some("tenant.example")
        );
        let hello = client_hello("tenant.example");
        // Cut short, not a handshake, or garbage: no name, no panic.
        for n in 0..hello.len() {
            assert_eq!(server_name(&hello[..n]), None);
        }
        assert_eq!(server_name(b"GET / HTTP/1.1\r\n"), None);
        assert_eq!(server_name(&[22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]), None);
    }

    #[test]
    fn a_directory_picks_by_exact_name_then_by_wildcard() {
        let dir = tempfile::tempdir().unwrap();
        for (file, host) in [("a.pem", "tenant.example"), ("b.pem", "other.example")] {
            let (cert, key) = super::super::tls::self_signed_for_tests(host);
            let mut pem = cert;
            pem.extend(key);
            std::fs::write(dir.path().join(file), pem).unwrap();
        }
        std::fs::write(dir.path().join("broken.pem"), "not a certificate").unwrap();
        let d = CertDirectory::new(dir.path(), &[]);
        assert!(d.acceptor_for("tenant.example").is_some());
        // The generated certificates cover `*.<host>` too.
        assert!(d.acceptor_for("muclight.tenant.example").is_some());
        assert!(d.acceptor_for("nobody.example").is_none());
    }
}

//! TLS between servers: both sides show a certificate, and each checks the other's
//! against the trusted CAs (`[s2s] cacertfile`, else the system's) and against the domain
//! it claims (RFC 6125 §6.4, XEP-0178 §2): a `dNSName` of the subject alternative names,
//! a leading `*.` matching exactly one label; the subject's common name only when the
//! certificate has no `dNSName` at all. A certificate that does not verify is not a
//! failure here: the connection goes on, and the caller decides (dialback, or refusal
//! with `use_starttls = "required_trusted"`).

use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::ssl::{Ssl, SslAcceptor, SslConnector, SslMethod, SslVerifyMode};
use openssl::x509::{X509VerifyResult, X509};
use std::path::Path;
use std::pin::Pin;
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

/// What a peer's certificate says, read once after the handshake.
#[derive(Debug, Clone, Default)]
pub(crate) struct PeerCert {
    /// The chain verified up to a trusted CA.
    pub chain_ok: bool,
    /// The names it may stand for (see the module docs), lower-cased.
    pub names: Vec<String>,
}

impl PeerCert {
    /// Whether the certificate authenticates `domain`.
    pub fn verifies_for(&self, domain: &str) -> bool {
        self.chain_ok && self.names.iter().any(|n| name_matches(n, domain))
    }

    fn of(ssl: &openssl::ssl::SslRef) -> Self {
        let Some(cert) = ssl.peer_certificate() else {
            return PeerCert::default();
        };
        PeerCert {
            chain_ok: ssl.verify_result() == X509VerifyResult::OK,
            names: names(&cert),
        }
    }
}

/// The DNS names of `cert`, or its common names when it has none.
fn names(cert: &X509) -> Vec<String> {
    let dns: Vec<String> = cert
        .subject_alt_names()
        .map(|sans| {
            sans.iter()
                .filter_map(|n| n.dnsname().map(str::to_ascii_lowercase))
                .collect()
        })
        .unwrap_or_default();
    if !dns.is_empty() {
        return dns;
    }
    cert.subject_name()
        .entries_by_nid(Nid::COMMONNAME)
        .filter_map(|e| e.data().to_string().ok().map(|s| s.to_ascii_lowercase()))
        .collect()
}

/// RFC 6125 §6.4.3: `*.example.org` matches `chat.example.org`, not `example.org` nor
/// `a.b.example.org`; anything else matches only itself, case aside.
pub(crate) fn name_matches(name: &str, domain: &str) -> bool {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let name = name.trim_end_matches('.');
    match name.strip_prefix("*.") {
        Some(parent) => domain
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => name == domain,
    }
}

/// The TLS side of both directions: one acceptor, one connector, the same certificate.
pub(crate) struct Contexts {
    acceptor: SslAcceptor,
    connector: SslConnector,
}

impl Contexts {
    /// From a PEM chain (leaf first) and its key; `cafile` is the trust store (PEM), or
    /// the system's when `None`.
    pub fn new(chain_pem: &[u8], key_pem: &[u8], cafile: Option<&Path>) -> Result<Self, String> {
        let err = |what: &str, e: openssl::error::ErrorStack| format!("{what}: {e}");
        let chain = X509::stack_from_pem(chain_pem).map_err(|e| err("the certificate is not PEM", e))?;
        let (leaf, extra) = chain.split_first().ok_or("the certificate file holds no certificate")?;
        let key = PKey::private_key_from_pem(key_pem).map_err(|e| err("the key is not PEM", e))?;

        let mut acceptor =
            SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).map_err(|e| err("TLS setup", e))?;
        let mut connector = SslConnector::builder(SslMethod::tls_client()).map_err(|e| err("TLS setup", e))?;
        for b in [&mut *acceptor, &mut *connector] {
            b.set_certificate(leaf).map_err(|e| err("the certificate", e))?;
            for c in extra {
                b.add_extra_chain_cert(c.clone())
                    .map_err(|e| err("the certificate chain", e))?;
            }
            b.set_private_key(&key).map_err(|e| err("the key", e))?;
            b.check_private_key()
                .map_err(|e| err("the key does not match the certificate", e))?;
            match cafile {
                Some(f) => b
                    .set_ca_file(f)
                    .map_err(|e| err(&format!("the CA file {}", f.display()), e))?,
                None => b.set_default_verify_paths().map_err(|e| err("the system's CAs", e))?,
            }
            // Ask for the peer's certificate and record how it verified; never refuse it
            // during the handshake (the domain it must match is known only later).
            b.set_verify_callback(SslVerifyMode::PEER, |_, _| true);
        }
        Ok(Contexts {
            acceptor: acceptor.build(),
            connector: connector.build(),
        })
    }

    /// The server side of a handshake on `tcp`.
    pub async fn accept(&self, tcp: TcpStream) -> Result<(SslStream<TcpStream>, PeerCert), String> {
        let ssl = Ssl::new(self.acceptor.context()).map_err(|e| e.to_string())?;
        let mut stream = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
        Pin::new(&mut stream)
            .accept()
            .await
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        let cert = PeerCert::of(stream.ssl());
        Ok((stream, cert))
    }

    /// The client side of a handshake on `tcp` to the server of `domain` (named in SNI).
    pub async fn connect(&self, tcp: TcpStream, domain: &str) -> Result<(SslStream<TcpStream>, PeerCert), String> {
        let ssl = self
            .connector
            .configure()
            .and_then(|c| {
                c.verify_hostname(false)
                    .use_server_name_indication(true)
                    .into_ssl(domain)
            })
            .map_err(|e| e.to_string())?;
        let mut stream = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
        Pin::new(&mut stream)
            .connect()
            .await
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        let cert = PeerCert::of(stream.ssl());
        Ok((stream, cert))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_stands_for_exactly_one_left_most_label() {
        assert!(name_matches("example.org", "Example.ORG"));
        assert!(name_matches("example.org", "example.org."));
        assert!(name_matches("*.example.org", "conference.example.org"));
        assert!(!name_matches("*.example.org", "example.org"));
        assert!(!name_matches("*.example.org", "a.b.example.org"));
        assert!(!name_matches("example.org", "evil-example.org"));
        assert!(!name_matches("*.example.org", ".example.org"));
    }

    #[test]
    fn only_a_verified_chain_authenticates_a_name() {
        let cert = PeerCert {
            chain_ok: true,
            names: vec!["a.example".into(), "*.a.example".into()],
        };
        assert!(cert.verifies_for("a.example"));
        assert!(cert.verifies_for("muc.a.example"));
        assert!(!cert.verifies_for("b.example"));
        let unverified = PeerCert {
            chain_ok: false,
            ..cert
        };
        assert!(!unverified.verifies_for("a.example"));
    }
}

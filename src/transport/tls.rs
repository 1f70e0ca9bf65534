//! Certificates for HTTPS and XMPP TLS.
//!
//! A listener either names its PEM files (`tls.certfile`, `tls.keyfile`) or asks for TLS
//! without them; then a self-signed certificate for the first host is generated into the
//! data directory on first start and reused afterwards, so clients that pinned it keep
//! working across restarts.

use native_tls::{Identity, TlsAcceptor};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, SubjectAlternativeName};
use openssl::x509::{X509NameBuilder, X509};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("certificate or key is not usable: {0}")]
    Identity(String),
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(#[from] openssl::error::ErrorStack),
}

/// File names of the generated certificate inside the data directory.
pub const SELF_SIGNED_CERT: &str = "self-signed-cert.pem";
pub const SELF_SIGNED_KEY: &str = "self-signed-key.pem";

/// Where a listener's certificate comes from.
#[derive(Debug, Clone)]
pub enum CertSource {
    Files { certfile: PathBuf, keyfile: PathBuf },
    SelfSigned { data_dir: PathBuf, host: String },
}

impl CertSource {
    pub fn new(certfile: Option<&Path>, keyfile: Option<&Path>, data_dir: &Path, host: &str) -> Self {
        match (certfile, keyfile) {
            (Some(c), Some(k)) => CertSource::Files {
                certfile: c.to_owned(),
                keyfile: k.to_owned(),
            },
            _ => CertSource::SelfSigned {
                data_dir: data_dir.to_owned(),
                host: host.to_owned(),
            },
        }
    }

    /// The PEM certificate chain and PKCS#8 key, generating them if asked and missing.
    pub fn load_pem(&self) -> Result<(Vec<u8>, Vec<u8>), TlsError> {
        let (certfile, keyfile) = match self {
            CertSource::Files { certfile, keyfile } => (certfile.clone(), keyfile.clone()),
            CertSource::SelfSigned { data_dir, host } => {
                let certfile = data_dir.join(SELF_SIGNED_CERT);
                let keyfile = data_dir.join(SELF_SIGNED_KEY);
                if !certfile.exists() || !keyfile.exists() {
                    let (cert, key) = self_signed(host)?;
                    write_private(&keyfile, &key)?;
                    std::fs::write(&certfile, &cert).map_err(|source| TlsError::Write {
                        path: certfile.clone(),
                        source,
                    })?;
                }
                (certfile, keyfile)
            }
        };
        let read = |p: &PathBuf| {
            std::fs::read(p).map_err(|source| TlsError::Read {
                path: p.clone(),
                source,
            })
        };
        Ok((read(&certfile)?, read(&keyfile)?))
    }

    /// A TLS acceptor offering `alpn` protocols (e.g. `h2`, `http/1.1`), in preference order.
    pub fn acceptor(&self, alpn: &[&str]) -> Result<TlsAcceptor, TlsError> {
        let (cert, key) = self.load_pem()?;
        let key = normalize_key(&key)?;
        let identity = Identity::from_pkcs8(&cert, &key).map_err(|e| TlsError::Identity(e.to_string()))?;
        let mut builder = TlsAcceptor::builder(identity);
        if !alpn.is_empty() {
            builder.accept_alpn(alpn);
        }
        builder.build().map_err(|e| TlsError::Identity(e.to_string()))
    }
}

/// native-tls wants PKCS#8; accept traditional RSA/EC PEM keys too.
fn normalize_key(pem: &[u8]) -> Result<Vec<u8>, TlsError> {
    let key = PKey::private_key_from_pem(pem).map_err(|e| TlsError::Identity(e.to_string()))?;
    key.private_key_to_pem_pkcs8()
        .map_err(|e| TlsError::Identity(e.to_string()))
}

fn write_private(path: &Path, data: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let err = |source| TlsError::Write {
        path: path.to_owned(),
        source,
    };
    let mut f = options.open(path).map_err(err)?;
    f.write_all(data).map_err(err)
}

/// A generated certificate and key for `host`, for tests elsewhere in the crate.
#[cfg(test)]
pub(crate) fn self_signed_for_tests(host: &str) -> (Vec<u8>, Vec<u8>) {
    self_signed(host).expect("a certificate can be generated")
}

/// A 2048-bit RSA certificate for `host` (and `*.host`, covering the MUC Light service),
/// valid for ten years.
fn self_signed(host: &str) -> Result<(Vec<u8>, Vec<u8>), TlsError> {
    let rsa = Rsa::generate(2048)?;
    let key = PKey::from_rsa(rsa)?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("CN", host)?;
    name.append_entry_by_text("O", "meerkat self-signed")?;
    let name = name.build();
    let mut builder = X509::builder()?;
    builder.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    let serial = serial.to_asn1_integer()?;
    builder.set_serial_number(&serial)?;
    builder.set_subject_name(&name)?;
    builder.set_issuer_name(&name)?;
    builder.set_pubkey(&key)?;
    builder.set_not_before(&*Asn1Time::days_from_now(0)?)?;
    builder.set_not_after(&*Asn1Time::days_from_now(3650)?)?;
    // An end-entity certificate (CA:FALSE): TLS stacks such as rustls refuse a CA
    // certificate presented as a server's own. Clients pin it directly.
    builder.append_extension(BasicConstraints::new().critical().build()?)?;
    builder.append_extension(ExtendedKeyUsage::new().server_auth().build()?)?;
    let san = SubjectAlternativeName::new()
        .dns(host)
        .dns(&format!("*.{host}"))
        .build(&builder.x509v3_context(None, None))?;
    builder.append_extension(san)?;
    builder.sign(&key, MessageDigest::sha256())?;
    let cert = builder.build().to_pem()?;
    Ok((cert, key.private_key_to_pem_pkcs8()?))
}

/// A TCP connection, plain or after TLS with stream type `T` (native-tls for client
/// streams, OpenSSL for server-to-server ones): reads and writes go to whichever it is.
pub(crate) enum MaybeTls<T> {
    Plain(TcpStream),
    Tls(Box<T>),
}

impl<T: AsyncRead + Unpin> AsyncRead for MaybeTls<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for MaybeTls<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_flush(cx),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MaybeTls::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let src = CertSource::new(None, None, dir.path(), "localhost");
        let (cert1, _) = src.load_pem().unwrap();
        src.acceptor(&["h2", "http/1.1"]).unwrap();
        let (cert2, _) = src.load_pem().unwrap();
        assert_eq!(cert1, cert2);
        let parsed = X509::from_pem(&cert1).unwrap();
        let sans: Vec<String> = parsed
            .subject_alt_names()
            .unwrap()
            .iter()
            .filter_map(|n| n.dnsname().map(str::to_owned))
            .collect();
        assert_eq!(sans, ["localhost", "*.localhost"]);
    }

    #[test]
    fn missing_files_are_a_clear_error() {
        let src = CertSource::Files {
            certfile: "/nonexistent/cert.pem".into(),
            keyfile: "/nonexistent/key.pem".into(),
        };
        let err = src.acceptor(&[]).err().expect("missing files must fail").to_string();
        assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    }
}

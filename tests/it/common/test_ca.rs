//! A certificate authority for the federation tests: servers that require authenticated
//! server-to-server links need certificates their peers can verify, for domains no public
//! CA would sign (`prosody.test`, `meerkat.test`). Each test makes its own CA, trusts it
//! where it should, and issues one certificate per server from it; [`TestCa::untrusted`]
//! is a certificate no CA vouches for, for the links that fall back to dialback.
//!
//! Keys are ECDSA P-256 (quick to generate, accepted by OpenSSL, LuaSec and Erlang alike).

#![allow(dead_code)] // each user needs its own subset

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName, SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509Name, X509NameBuilder, X509};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// How long certificates stay valid: longer than any test run.
const VALID_DAYS: u32 = 30;

/// A self-signed CA (basicConstraints CA:TRUE) and its key.
pub struct TestCa {
    cert: X509,
    key: PKey<Private>,
}

/// A server certificate and its private key, both PEM.
#[derive(Clone, Debug)]
pub struct ServerCert {
    pub cert_pem: String,
    pub key_pem: String,
}

fn new_key() -> Result<PKey<Private>, ErrorStack> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    PKey::from_ec_key(EcKey::generate(&group)?)
}

/// A random positive serial, so two CAs of one run never issue look-alike certificates.
fn random_serial() -> Result<Asn1Integer, ErrorStack> {
    let mut serial = BigNum::new()?;
    serial.rand(64, MsbOption::MAYBE_ZERO, false)?;
    serial.to_asn1_integer()
}

fn common_name(cn: &str) -> Result<X509Name, ErrorStack> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COMMONNAME, cn)?;
    Ok(name.build())
}

/// A v3 certificate for `subject` and `key`, valid from an hour ago (clock skew between
/// processes is nil here, but a certificate "not yet valid" would be a confusing failure).
fn builder(subject: &X509Name, key: &PKey<Private>) -> Result<X509Builder, ErrorStack> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let serial = random_serial()?;
    let not_before = Asn1Time::from_unix(now - 3600)?;
    let not_after = Asn1Time::days_from_now(VALID_DAYS)?;
    let mut cert = X509Builder::new()?;
    cert.set_version(2)?;
    cert.set_serial_number(&serial)?;
    cert.set_subject_name(subject)?;
    cert.set_pubkey(key)?;
    cert.set_not_before(&not_before)?;
    cert.set_not_after(&not_after)?;
    Ok(cert)
}

/// A server certificate for `domain` and `*.domain` (a server's MUC and other services
/// are its subdomains), usable on both ends of a TLS connection: an s2s peer presents it
/// as a server, and as a client when it connects out (SASL EXTERNAL, XEP-0178). Signed
/// by `issuer`, or by its own key when there is none.
fn server_cert(domain: &str, issuer: Option<(&X509, &PKey<Private>)>) -> Result<ServerCert, ErrorStack> {
    let key = new_key()?;
    let subject = common_name(domain)?;
    let mut cert = builder(&subject, &key)?;
    cert.set_issuer_name(issuer.map_or(subject.as_ref(), |(ca, _)| ca.subject_name()))?;
    cert.append_extension(BasicConstraints::new().critical().build()?)?;
    cert.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
    cert.append_extension(ExtendedKeyUsage::new().server_auth().client_auth().build()?)?;
    let issuer_cert = issuer.map(|(ca, _)| ca.as_ref());
    let san = SubjectAlternativeName::new()
        .dns(domain)
        .dns(&format!("*.{domain}"))
        .build(&cert.x509v3_context(issuer_cert, None))?;
    cert.append_extension(san)?;
    let ski = SubjectKeyIdentifier::new().build(&cert.x509v3_context(issuer_cert, None))?;
    cert.append_extension(ski)?;
    if issuer.is_some() {
        let aki = AuthorityKeyIdentifier::new()
            .keyid(true)
            .build(&cert.x509v3_context(issuer_cert, None))?;
        cert.append_extension(aki)?;
    }
    let signing_key = issuer.map_or(&key, |(_, k)| k);
    cert.sign(signing_key, MessageDigest::sha256())?;
    let cert = cert.build();
    Ok(ServerCert {
        cert_pem: pem(cert.to_pem()?),
        key_pem: pem(key.private_key_to_pem_pkcs8()?),
    })
}

/// OpenSSL writes PEM as ASCII.
fn pem(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

fn write(path: PathBuf, contents: &str) -> io::Result<PathBuf> {
    std::fs::write(&path, contents)?;
    Ok(path)
}

impl TestCa {
    /// A new CA with a fresh key.
    pub fn new() -> Result<TestCa, ErrorStack> {
        let key = new_key()?;
        let subject = common_name("meerkat test CA")?;
        let mut cert = builder(&subject, &key)?;
        cert.set_issuer_name(&subject)?;
        cert.append_extension(BasicConstraints::new().critical().ca().build()?)?;
        cert.append_extension(KeyUsage::new().critical().key_cert_sign().crl_sign().build()?)?;
        let ski = SubjectKeyIdentifier::new().build(&cert.x509v3_context(None, None))?;
        cert.append_extension(ski)?;
        cert.sign(&key, MessageDigest::sha256())?;
        Ok(TestCa {
            cert: cert.build(),
            key,
        })
    }

    /// The CA's certificate, PEM: what a server that trusts this CA is given.
    pub fn cert_pem(&self) -> Result<String, ErrorStack> {
        Ok(pem(self.cert.to_pem()?))
    }

    /// A server certificate for `domain` (and `*.domain`) signed by this CA.
    pub fn issue(&self, domain: &str) -> Result<ServerCert, ErrorStack> {
        server_cert(domain, Some((&self.cert, &self.key)))
    }

    /// A self-signed server certificate for `domain`, from no CA: a peer accepts the
    /// server behind it only through dialback, never by its certificate.
    pub fn untrusted(domain: &str) -> Result<ServerCert, ErrorStack> {
        server_cert(domain, None)
    }

    /// Writes the CA's certificate to `dir/ca.pem`; its path.
    pub fn write_cert(&self, dir: &Path) -> io::Result<PathBuf> {
        let pem = self.cert_pem().map_err(io::Error::other)?;
        write(dir.join("ca.pem"), &pem)
    }
}

impl ServerCert {
    /// Writes `dir/<stem>.crt` and `dir/<stem>.key`; their paths.
    pub fn write(&self, dir: &Path, stem: &str) -> io::Result<(PathBuf, PathBuf)> {
        Ok((
            write(dir.join(format!("{stem}.crt")), &self.cert_pem)?,
            write(dir.join(format!("{stem}.key")), &self.key_pem)?,
        ))
    }
}

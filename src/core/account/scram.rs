//! SCRAM credentials (RFC 5802 §3, RFC 7677): derive them from a password and check a
//! password against them. Used when an account is created or its password changed, by
//! REST Basic auth and by SASL PLAIN; the SASL SCRAM exchange itself uses the same keys.

use crate::store::Credentials;
pub use crate::store::ScramCredential;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a password cannot become a credential.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScramError {
    #[error("the password is empty")]
    Empty,
    #[error("the password contains characters SASLprep prohibits")]
    Prohibited,
}

const SALT_LEN: usize = 16;

/// SASLprep (RFC 4013) the password, as both SCRAM and PLAIN require.
pub(crate) fn prepare(password: &str) -> Result<String, ScramError> {
    if password.is_empty() {
        return Err(ScramError::Empty);
    }
    stringprep::saslprep(password)
        .map(|p| p.into_owned())
        .map_err(|_| ScramError::Prohibited)
}

macro_rules! derive_with {
    ($hash:ty, $password:expr, $salt:expr, $iterations:expr) => {{
        let mut salted = vec![0u8; <$hash as Digest>::output_size()];
        pbkdf2::pbkdf2_hmac::<$hash>($password, $salt, $iterations, &mut salted);
        let hmac = |key: &[u8], msg: &[u8]| {
            let mut mac = <Hmac<$hash> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
            mac.update(msg);
            mac.finalize().into_bytes().to_vec()
        };
        let client_key = hmac(&salted, b"Client Key");
        ScramCredential {
            salt: $salt.to_vec(),
            iterations: $iterations,
            stored_key: <$hash>::digest(&client_key).to_vec(),
            server_key: hmac(&salted, b"Server Key"),
        }
    }};
}

fn derive_sha1(password: &[u8], salt: &[u8], iterations: u32) -> ScramCredential {
    derive_with!(Sha1, password, salt, iterations)
}

fn derive_sha256(password: &[u8], salt: &[u8], iterations: u32) -> ScramCredential {
    derive_with!(Sha256, password, salt, iterations)
}

/// The hash a SCRAM mechanism is built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScramHash {
    Sha1,
    Sha256,
}

impl ScramHash {
    pub(crate) fn hmac(self, key: &[u8], msg: &[u8]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
            let mut mac = <M as Mac>::new_from_slice(key).expect("HMAC takes any key length");
            mac.update(msg);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            ScramHash::Sha1 => run::<Hmac<Sha1>>(key, msg),
            ScramHash::Sha256 => run::<Hmac<Sha256>>(key, msg),
        }
    }

    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => Sha1::digest(data).to_vec(),
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
        }
    }

    /// The credential this hash uses out of an account's set.
    pub(crate) fn pick(self, credentials: &Credentials) -> &ScramCredential {
        match self {
            ScramHash::Sha1 => &credentials.sha1,
            ScramHash::Sha256 => &credentials.sha256,
        }
    }

    /// A credential for `password` with the given salt.
    #[cfg(any(test, fuzzing))]
    pub(crate) fn derive(self, password: &[u8], salt: &[u8], iterations: u32) -> ScramCredential {
        match self {
            ScramHash::Sha1 => derive_sha1(password, salt, iterations),
            ScramHash::Sha256 => derive_sha256(password, salt, iterations),
        }
    }
}

/// Fresh credentials (new random salts) for `password`.
pub(crate) fn new_credentials(password: &str, iterations: u32) -> Result<Credentials, ScramError> {
    let prepared = prepare(password)?;
    let mut rng = rand::thread_rng();
    let mut salt1 = [0u8; SALT_LEN];
    let mut salt256 = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt1);
    rng.fill_bytes(&mut salt256);
    Ok(Credentials {
        sha1: derive_sha1(prepared.as_bytes(), &salt1, iterations),
        sha256: derive_sha256(prepared.as_bytes(), &salt256, iterations),
    })
}

/// Whether `password` matches; costs one key derivation (the stored iteration count).
pub(crate) fn verify_password(credentials: &Credentials, password: &str) -> bool {
    let Ok(prepared) = prepare(password) else {
        return false;
    };
    let c = &credentials.sha256;
    let candidate = derive_sha256(prepared.as_bytes(), &c.salt, c.iterations);
    candidate.stored_key.ct_eq(&c.stored_key).into()
}

/// The work of [`verify_password`] against credentials that do not exist: one key
/// derivation at `iterations` with `salt`, so that a check for an unknown account costs
/// what a wrong password costs (no timing tells whether an account exists).
pub(crate) fn verify_nothing(password: &str, salt: &[u8], iterations: u32) {
    let prepared = prepare(password).unwrap_or_default();
    std::hint::black_box(derive_sha256(prepared.as_bytes(), salt, iterations));
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    #[test]
    fn matches_the_rfc_5802_and_7677_test_vectors() {
        // RFC 5802 §5: user "user", password "pencil", salt QSXCR+Q6sek8bf92, 4096 iterations.
        let salt = B64.decode("QSXCR+Q6sek8bf92").unwrap();
        let c = derive_sha1(b"pencil", &salt, 4096);
        // ServerSignature v=rmF9pqV8S7suAoZWja4dJRkFsKQ= is HMAC(ServerKey, AuthMessage).
        let auth_message = "n=user,r=fyko+d2lbbFgONRv9qkxdawL,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096,c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j";
        let mut mac = Hmac::<Sha1>::new_from_slice(&c.server_key).unwrap();
        mac.update(auth_message.as_bytes());
        assert_eq!(B64.encode(mac.finalize().into_bytes()), "rmF9pqV8S7suAoZWja4dJRkFsKQ=");

        // RFC 7677 §3: SCRAM-SHA-256 with salt W22ZaJ0SNY7soEsUEjb6gQ==.
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let c = derive_sha256(b"pencil", &salt, 4096);
        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let mut mac = Hmac::<Sha256>::new_from_slice(&c.server_key).unwrap();
        mac.update(auth_message.as_bytes());
        assert_eq!(
            B64.encode(mac.finalize().into_bytes()),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
    }

    #[test]
    fn a_password_verifies_and_a_wrong_one_does_not() {
        let c = new_credentials("s3cret", 64).unwrap();
        assert!(verify_password(&c, "s3cret"));
        assert!(!verify_password(&c, "s3creT"));
        assert!(!verify_password(&c, ""));
        assert_ne!(c.sha1.salt, c.sha256.salt);
    }

    #[test]
    fn saslprep_maps_equivalent_spellings_and_rejects_controls() {
        // U+00A0 (no-break space) maps to a plain space under SASLprep.
        let c = new_credentials("a\u{00A0}b", 16).unwrap();
        assert!(verify_password(&c, "a b"));
        assert_eq!(new_credentials("", 16).unwrap_err(), ScramError::Empty);
        assert_eq!(new_credentials("a\u{0007}", 16).unwrap_err(), ScramError::Prohibited);
    }
}

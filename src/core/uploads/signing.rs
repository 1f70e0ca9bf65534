//! PUT URL signatures: an HMAC-SHA-256, under a key kept in the data directory, over
//! everything the slot promised (its id, owner, file name, size, content type) and the
//! moment its PUT window closes. The GET URL of a file is meant to be shared; the
//! signature is what only the requester received, so only they can upload, and only
//! what they announced, before the window closes.
//!
//! The key is 32 random bytes, created on first start (mode 0600) and reused, so PUT
//! URLs stay valid across a restart. Deleting the file invalidates every pending PUT URL.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Write;
use std::path::Path;

type HmacSha256 = Hmac<Sha256>;

const KEY_BYTES: usize = 32;

/// What a PUT URL's signature vouches for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PutClaims<'a> {
    pub id: &'a str,
    pub owner: &'a str,
    pub filename: &'a str,
    pub size: u64,
    pub content_type: &'a str,
    /// The end of the PUT window, Unix seconds.
    pub expires_s: i64,
}

pub(crate) struct Signer {
    key: [u8; KEY_BYTES],
}

impl Signer {
    #[cfg(test)]
    pub fn with_key(key: [u8; KEY_BYTES]) -> Self {
        Signer { key }
    }

    /// Reads the key at `path`, or creates it there.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let key: [u8; KEY_BYTES] = bytes.as_slice().try_into().map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} must hold exactly {KEY_BYTES} bytes", path.display()),
                    )
                })?;
                Ok(Signer { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; KEY_BYTES] = rand::random();
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(path) {
                    Ok(mut f) => {
                        f.write_all(&key)?;
                        f.sync_all()?;
                        Ok(Signer { key })
                    }
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load_or_create(path),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    fn mac(&self, c: &PutClaims<'_>) -> HmacSha256 {
        // A key of any length is accepted by HMAC.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        // Length-prefixed fields: no two claims encode to the same bytes.
        let size = c.size.to_string();
        let expires = c.expires_s.to_string();
        for field in [c.id, c.owner, c.filename, &size, c.content_type, &expires] {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field.as_bytes());
        }
        mac
    }

    /// The signature, lowercase hex.
    pub fn sign(&self, claims: &PutClaims<'_>) -> String {
        crate::core::hex(&self.mac(claims).finalize().into_bytes())
    }

    /// Whether `signature` (hex) is the one for `claims`; compared in constant time.
    pub fn verify(&self, claims: &PutClaims<'_>, signature: &str) -> bool {
        match unhex(signature) {
            Some(bytes) => self.mac(claims).verify_slice(&bytes).is_ok(),
            None => false,
        }
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The query of a PUT URL.
pub(crate) fn put_query(expires_s: i64, signature: &str) -> String {
    format!("expires={expires_s}&signature={signature}")
}

/// Reads `expires` and `signature` from a PUT URL's query; `None` if either is missing,
/// repeated or malformed.
pub(crate) fn parse_put_query(query: &str) -> Option<(i64, &str)> {
    let (mut expires, mut signature) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=')?;
        let slot = match k {
            "expires" => &mut expires,
            "signature" => &mut signature,
            _ => continue,
        };
        if slot.replace(v).is_some() {
            return None;
        }
    }
    let expires = expires?;
    if expires.is_empty() || !expires.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((expires.parse().ok()?, signature?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> PutClaims<'static> {
        PutClaims {
            id: "0a1b",
            owner: "alice@localhost",
            filename: "cat.jpg",
            size: 1234,
            content_type: "image/jpeg",
            expires_s: 1_700_000_000,
        }
    }

    #[test]
    fn a_signature_holds_only_for_what_was_signed() {
        let s = Signer::with_key([7; 32]);
        let sig = s.sign(&claims());
        assert_eq!(sig.len(), 64);
        assert!(s.verify(&claims(), &sig));
        for changed in [
            PutClaims { id: "0a1c", ..claims() },
            PutClaims {
                owner: "bob@localhost",
                ..claims()
            },
            PutClaims {
                filename: "dog.jpg",
                ..claims()
            },
            PutClaims { size: 1235, ..claims() },
            PutClaims {
                content_type: "text/html",
                ..claims()
            },
            PutClaims {
                expires_s: 1_700_000_001,
                ..claims()
            },
        ] {
            assert!(!s.verify(&changed, &sig), "{changed:?}");
        }
        assert!(!Signer::with_key([8; 32]).verify(&claims(), &sig));
        let mut tampered = sig.clone().into_bytes();
        tampered[10] = if tampered[10] == b'0' { b'1' } else { b'0' };
        assert!(!s.verify(&claims(), std::str::from_utf8(&tampered).unwrap()));
        assert!(!s.verify(&claims(), "zz"));
        assert!(!s.verify(&claims(), ""));
        assert!(!s.verify(&claims(), &sig[..63]));
    }

    #[test]
    fn fields_cannot_be_shifted_into_each_other() {
        let s = Signer::with_key([1; 32]);
        let a = PutClaims {
            owner: "a@b",
            filename: "c",
            ..claims()
        };
        let b = PutClaims {
            owner: "a@",
            filename: "bc",
            ..claims()
        };
        assert_ne!(s.sign(&a), s.sign(&b));
    }

    #[test]
    fn the_key_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("upload.key");
        let first = Signer::load_or_create(&path).unwrap();
        let again = Signer::load_or_create(&path).unwrap();
        assert_eq!(first.key, again.key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        assert!(Signer::load_or_create(&path).is_err());
    }

    #[test]
    fn the_put_query_is_read_strictly() {
        assert_eq!(parse_put_query("expires=12&signature=ab"), Some((12, "ab")));
        assert_eq!(parse_put_query("signature=ab&x=1&expires=12"), Some((12, "ab")));
        assert_eq!(parse_put_query(&put_query(5, "cd")), Some((5, "cd")));
        for bad in [
            "",
            "expires=12",
            "signature=ab",
            "expires=&signature=ab",
            "expires=-1&signature=ab",
            "expires=1&expires=2&signature=ab",
            "expires=99999999999999999999&signature=ab",
            "expires",
        ] {
            assert_eq!(parse_put_query(bad), None, "{bad}");
        }
    }
}

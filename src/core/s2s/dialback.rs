//! Server Dialback keys (XEP-0220 §2.1.2, generated as XEP-0185 §3 recommends): what an
//! originating server sends in `<db:result/>` and what its authoritative server checks in
//! `<db:verify/>`. The key binds the two domains and the receiving server's stream id to
//! a secret only the originating domain's servers know, so nobody else can produce it,
//! and a key for one stream is worthless on another.
//!
//! `key = hex(HMAC-SHA256(hex(SHA-256(secret)), receiving ' ' originating ' ' stream-id))`
//!
//! Every node of a cluster must use the same secret: a peer's `<db:verify/>` may reach
//! any of them.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The dialback key for a stream `stream_id` opened by `originating` to `receiving`.
pub(crate) fn key(secret: &str, receiving: &str, originating: &str, stream_id: &str) -> String {
    let hashed_secret = crate::core::hex(&Sha256::digest(secret.as_bytes()));
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(hashed_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(receiving.as_bytes());
    mac.update(b" ");
    mac.update(originating.as_bytes());
    mac.update(b" ");
    mac.update(stream_id.as_bytes());
    crate::core::hex(&mac.finalize().into_bytes())
}

/// Whether `offered` is the key this server would have sent; compared in constant time.
pub(crate) fn verifies(secret: &str, receiving: &str, originating: &str, stream_id: &str, offered: &str) -> bool {
    let expected = key(secret, receiving, originating, stream_id);
    let offered = offered.trim();
    offered.len() == expected.len() && bool::from(offered.as_bytes().ct_eq(expected.as_bytes()))
}

/// A fresh random secret, for a server whose configuration names none.
pub(crate) fn random_secret() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    crate::core::hex(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_hmac_of_the_domains_and_stream_under_the_hashed_secret() {
        // Worked out independently (Python's hmac and hashlib) for XEP-0185's inputs.
        assert_eq!(
            key("s3cr3tf0rd14lb4ck", "example.net", "example.com", "D60000229F"),
            "008c689ff366b50c63d69a3e2d2c0e0e1f8404b0118eb688a0102c87cb691bdc"
        );
    }

    #[test]
    fn a_key_verifies_only_for_its_domains_stream_and_secret() {
        let k = key("secret", "b.example", "a.example", "id1");
        assert!(verifies("secret", "b.example", "a.example", "id1", &k));
        assert!(!verifies("secret", "b.example", "a.example", "id2", &k));
        assert!(!verifies("secret", "a.example", "b.example", "id1", &k));
        assert!(!verifies("other", "b.example", "a.example", "id1", &k));
        assert!(!verifies("secret", "b.example", "a.example", "id1", ""));
    }
}

//! The Standard Webhooks signature: `webhook-signature: v1,<sig>` where `<sig>` is the
//! base64 of HMAC-SHA256, keyed with the endpoint's secret, of `"{id}.{timestamp}.{body}"`
//! (`webhook-id`, `webhook-timestamp` in Unix seconds, the exact body bytes). A secret
//! is written `whsec_<base64 of the key>`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a written secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// Why a written secret is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a webhook secret starts with \"whsec_\"")]
    Prefix,
    #[error("a webhook secret is \"whsec_\" and base64")]
    Base64,
    #[error("a webhook secret's key has 24 to 64 bytes")]
    Length,
}

/// The key of a written secret (`whsec_<base64>`, 24 to 64 bytes of key).
pub fn parse_secret(written: &str) -> Result<Vec<u8>, SecretError> {
    let encoded = written.strip_prefix(SECRET_PREFIX).ok_or(SecretError::Prefix)?;
    let key = STANDARD.decode(encoded).map_err(|_| SecretError::Base64)?;
    if !(24..=64).contains(&key.len()) {
        return Err(SecretError::Length);
    }
    Ok(key)
}

/// The `webhook-signature` value for one delivery.
pub fn sign(key: &[u8], id: &str, timestamp_s: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length; the error is for other MACs.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp_s.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The convention's published example; the SDK helpers check the same vector.
    #[test]
    fn the_published_test_vector_signs_the_same() {
        let key = parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            sign(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_need_the_prefix_base64_and_a_sensible_length() {
        assert_eq!(
            parse_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            Err(SecretError::Prefix)
        );
        assert_eq!(parse_secret("whsec_not base64!"), Err(SecretError::Base64));
        assert_eq!(parse_secret("whsec_c2hvcnQ="), Err(SecretError::Length));
    }
}

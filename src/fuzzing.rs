//! Entry points for the fuzz targets in `fuzz/`, compiled only with `--cfg fuzzing` (as
//! `cargo fuzz` builds); the normal public surface does not have this module.
//!
//! The doors' parsers are private (`xmpp`, `http`); each function here drives one of them
//! with fuzz input and asserts what must hold whatever the input, so a broken invariant is
//! a crash the fuzzer reports. See the "Fuzzing" section of `docs/security.md`.

use crate::core::account::scram::{ScramCredential, ScramHash};
use crate::http::contract::Contract;
use crate::xmpp::sasl::{self, SaslFailure, ScramServer};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hyper::Method;
use std::sync::OnceLock;

/// SASL PLAIN (`parse_plain`) and the base64 payload codec on one message.
pub fn sasl_plain(message: &[u8]) {
    if let Ok(creds) = sasl::parse_plain(message) {
        // What is accepted is exactly three NUL-separated parts, the second non-empty.
        assert!(!creds.authcid.is_empty());
        let joined = format!(
            "{}\0{}\0{}",
            creds.authzid.as_deref().unwrap_or(""),
            creds.authcid,
            creds.password
        );
        assert_eq!(joined.as_bytes(), message);
    }
    let encoded = sasl::encode_payload(message);
    assert_eq!(sasl::decode_payload(&encoded).as_deref(), Ok(message));
    if let Ok(text) = std::str::from_utf8(message) {
        let _ = sasl::decode_payload(text);
    }
}

/// How the fuzz harness writes the client's final SCRAM message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScramFinal {
    /// The fuzz bytes as they are.
    Raw,
    /// The right channel binding and nonce, then the fuzz text as extensions and proof.
    FuzzedProof,
    /// The right binding, nonce and proof for the fixed password, with the fuzz text as
    /// extensions before the proof.
    ValidProof,
    /// As `ValidProof` with one bit of the proof flipped.
    FlippedProof,
}

/// The fixed account every SCRAM exchange is run against.
const PASSWORD: &[u8] = b"pencil";
const SALT: &[u8] = b"fuzzing-salt-16b";
const ITERATIONS: u32 = 64;
/// The server's part of the nonce (random in the server; fixed here to reach the proof).
const SERVER_NONCE: [u8; 18] = *b"server-nonce-18byt";

struct Fixture {
    credential: ScramCredential,
    client_key: Vec<u8>,
}

fn fixture(hash: ScramHash) -> &'static Fixture {
    static SHA1: OnceLock<Fixture> = OnceLock::new();
    static SHA256: OnceLock<Fixture> = OnceLock::new();
    let cell = match hash {
        ScramHash::Sha1 => &SHA1,
        ScramHash::Sha256 => &SHA256,
    };
    cell.get_or_init(|| {
        // The client's side computed independently of `ScramHash::derive`.
        let mut salted = vec![0u8; hash.digest(b"").len()];
        match hash {
            ScramHash::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(PASSWORD, SALT, ITERATIONS, &mut salted),
            ScramHash::Sha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(PASSWORD, SALT, ITERATIONS, &mut salted),
        }
        let client_key = hash.hmac(&salted, b"Client Key");
        let credential = hash.derive(PASSWORD, SALT, ITERATIONS);
        assert_eq!(hash.digest(&client_key), credential.stored_key);
        Fixture { credential, client_key }
    })
}

/// A SCRAM exchange (SHA-256 or SHA-1) against a fixed credential: `client_first` as the
/// client's first message, then a final message written as `mode` says from
/// `client_final`. The username `nobody` is an unknown account (a fake salt, no keys).
///
/// Asserts: the challenge answers the client's nonce with the credential's salt and
/// iterations; a correct proof for a known account succeeds exactly when the extensions
/// keep the message well-formed, and its server signature is the right one; an unknown
/// account, a flipped proof or an altered nonce never succeeds.
pub fn sasl_scram(sha256: bool, client_first: &[u8], mode: ScramFinal, client_final: &[u8]) {
    let hash = if sha256 { ScramHash::Sha256 } else { ScramHash::Sha1 };
    let Ok(server) = ScramServer::start(hash, client_first) else {
        return;
    };
    // Accepted: UTF-8 `gs2-header client-first-bare`, the header two comma-ended fields.
    let first = std::str::from_utf8(client_first).expect("an accepted client-first is UTF-8");
    let mut parts = first.splitn(3, ',');
    let (cbind, authzid, bare) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let gs2_header = format!("{cbind},{authzid},");
    let client_nonce = bare
        .split(',')
        .nth(1)
        .and_then(|f| f.strip_prefix("r="))
        .expect("an accepted client-first has a nonce");
    let known = server.username != "nobody";
    let fx = fixture(hash);
    let credential = known.then(|| fx.credential.clone());
    let (server_first, waiting) =
        server.challenge_with_nonce(credential, b"fake-salt".to_vec(), ITERATIONS, SERVER_NONCE);
    let server_first = String::from_utf8(server_first).expect("the challenge is text");
    let nonce = format!("{client_nonce}{}", B64.encode(SERVER_NONCE));
    let salt = if known { SALT } else { b"fake-salt" };
    assert_eq!(server_first, format!("r={nonce},s={},i={ITERATIONS}", B64.encode(salt)));

    let Ok(extensions) = std::str::from_utf8(client_final) else {
        if mode == ScramFinal::Raw {
            let _ = waiting.finish(client_final);
        }
        return;
    };
    let without_proof = format!("c={},r={nonce}{extensions}", B64.encode(&gs2_header));
    let auth_message = format!("{bare},{server_first},{without_proof}");
    let proof = || -> Vec<u8> {
        let signature = hash.hmac(&fx.credential.stored_key, auth_message.as_bytes());
        fx.client_key.iter().zip(&signature).map(|(a, b)| a ^ b).collect()
    };
    let outcome = match mode {
        ScramFinal::Raw => waiting.finish(client_final),
        ScramFinal::FuzzedProof => {
            let message = format!("c={},r={nonce},p={extensions}", B64.encode(&gs2_header));
            let outcome = waiting.finish(message.as_bytes());
            assert!(outcome.is_err() || known, "an unknown account authenticated");
            outcome
        }
        ScramFinal::ValidProof | ScramFinal::FlippedProof => {
            let mut proof = proof();
            if mode == ScramFinal::FlippedProof {
                let at = extensions.len() % proof.len();
                proof[at] ^= 1 << (extensions.len() % 8);
            }
            let message = format!("{without_proof},p={}", B64.encode(&proof));
            let outcome = waiting.finish(message.as_bytes());
            // The nonce field ends at the first comma: extensions must start with one.
            let well_formed = extensions.is_empty() || extensions.starts_with(',');
            if mode == ScramFinal::ValidProof && known && well_formed {
                let signature = hash.hmac(&fx.credential.server_key, auth_message.as_bytes());
                let expected = format!("v={}", B64.encode(signature));
                assert_eq!(outcome.as_deref(), Ok(expected.as_bytes()), "{message}");
            } else {
                assert!(outcome.is_err(), "accepted: {message}");
            }
            outcome
        }
    };
    if let Err(f) = outcome {
        let _ = f.condition();
        assert_ne!(f, SaslFailure::Aborted);
    }
}

/// The client API's contract, read once from the real spec.
fn client_contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        Contract::from_yaml(include_str!("../api/client.yaml")).expect("api/client.yaml is a valid spec")
    })
}

/// Every operation of `api/client.yaml` checks `path` (its parameters), `query` and `body`
/// (a refusal is a `400` with a text); `path` is also looked up with every method (a found
/// operation matches it).
pub fn client_contract_check(path: &str, query: Option<&str>, body: &[u8]) {
    let contract = client_contract();
    let headers = hyper::HeaderMap::new();
    for op in contract.operations() {
        if let Err(rejection) = op.check(path, query, &headers, body) {
            assert_eq!(rejection.status, hyper::StatusCode::BAD_REQUEST);
            assert!(!rejection.text.is_empty());
        }
        let _ = op.invalid_body_text();
    }
    for method in [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        match contract.find(&method, path) {
            Ok(op) => assert!(path.starts_with(&contract.base_path), "{} found for {path}", op.id),
            Err(allowed) => assert!(!allowed.contains(&method)),
        }
    }
}

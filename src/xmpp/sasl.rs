//! Server side of SASL (RFC 6120 §6): PLAIN (RFC 4616), SCRAM-SHA-1 and SCRAM-SHA-256
//! (RFC 5802, RFC 7677), as plain state machines with no I/O.
//!
//! The caller feeds client messages and performs the two things that need the store:
//! looking up an account's SCRAM credential, and checking a PLAIN password. An unknown user
//! gets a fake but stable salt, so SCRAM never tells whether an account exists.
//! Channel binding (`-PLUS`) is not offered; a client asking for it is refused.

use crate::core::account::scram::{ScramCredential, ScramHash};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use subtle::ConstantTimeEq;

/// RFC 6120 §6.5 failure conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SaslFailure {
    Aborted,
    IncorrectEncoding,
    InvalidAuthzid,
    InvalidMechanism,
    MalformedRequest,
    NotAuthorized,
    TemporaryAuthFailure,
}

impl SaslFailure {
    pub(crate) fn condition(self) -> &'static str {
        match self {
            SaslFailure::Aborted => "aborted",
            SaslFailure::IncorrectEncoding => "incorrect-encoding",
            SaslFailure::InvalidAuthzid => "invalid-authzid",
            SaslFailure::InvalidMechanism => "invalid-mechanism",
            SaslFailure::MalformedRequest => "malformed-request",
            SaslFailure::NotAuthorized => "not-authorized",
            SaslFailure::TemporaryAuthFailure => "temporary-auth-failure",
        }
    }
}

/// The mechanisms offered, strongest first.
pub(crate) const MECHANISMS: [&str; 3] = ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"];

/// Decodes the base64 payload of `<auth/>` or `<response/>` (`=` means empty).
pub(crate) fn decode_payload(text: &str) -> Result<Vec<u8>, SaslFailure> {
    let text = text.trim();
    if text.is_empty() || text == "=" {
        return Ok(Vec::new());
    }
    B64.decode(text).map_err(|_| SaslFailure::IncorrectEncoding)
}

pub(crate) fn encode_payload(data: &[u8]) -> String {
    if data.is_empty() {
        "=".to_owned()
    } else {
        B64.encode(data)
    }
}

/// A PLAIN message, split.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PlainCredentials {
    pub authzid: Option<String>,
    pub authcid: String,
    pub password: String,
}

pub(crate) fn parse_plain(message: &[u8]) -> Result<PlainCredentials, SaslFailure> {
    let text = std::str::from_utf8(message).map_err(|_| SaslFailure::MalformedRequest)?;
    let mut parts = text.split('\0');
    let (Some(authzid), Some(authcid), Some(password), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SaslFailure::MalformedRequest);
    };
    if authcid.is_empty() {
        return Err(SaslFailure::MalformedRequest);
    }
    Ok(PlainCredentials {
        authzid: (!authzid.is_empty()).then(|| authzid.to_owned()),
        authcid: authcid.to_owned(),
        password: password.to_owned(),
    })
}

/// Undoes SCRAM's `saslname` escaping (`=2C` is `,`, `=3D` is `=`).
fn unescape_saslname(s: &str) -> Result<String, SaslFailure> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('=') {
        out.push_str(&rest[..i]);
        match rest.get(i..i + 3) {
            Some("=2C") => out.push(','),
            Some("=3D") => out.push('='),
            _ => return Err(SaslFailure::MalformedRequest),
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The SCRAM exchange after the client's first message.
#[derive(Debug)]
pub(crate) struct ScramServer {
    hash: ScramHash,
    gs2_header: String,
    client_first_bare: String,
    client_nonce: String,
    pub(crate) username: String,
    pub(crate) authzid: Option<String>,
}

/// Waiting for the client's final message.
#[derive(Debug)]
pub(crate) struct ScramAwaitFinal {
    hash: ScramHash,
    gs2_header: String,
    nonce: String,
    auth_message_prefix: String,
    credential: ScramCredential,
    known_user: bool,
}

impl ScramServer {
    /// Parses `client-first-message`.
    pub(crate) fn start(hash: ScramHash, message: &[u8]) -> Result<Self, SaslFailure> {
        let text = std::str::from_utf8(message).map_err(|_| SaslFailure::MalformedRequest)?;
        let (cbind, rest) = text.split_once(',').ok_or(SaslFailure::MalformedRequest)?;
        match cbind {
            "n" | "y" => {}
            // We offer no -PLUS mechanism, so channel binding cannot be agreed on.
            _ => return Err(SaslFailure::MalformedRequest),
        }
        let (authzid, bare) = rest.split_once(',').ok_or(SaslFailure::MalformedRequest)?;
        let authzid = match authzid {
            "" => None,
            a => Some(unescape_saslname(
                a.strip_prefix("a=").ok_or(SaslFailure::MalformedRequest)?,
            )?),
        };
        let mut fields = bare.split(',');
        let username = fields
            .next()
            .and_then(|f| f.strip_prefix("n="))
            .ok_or(SaslFailure::MalformedRequest)?;
        let nonce = fields
            .next()
            .and_then(|f| f.strip_prefix("r="))
            .ok_or(SaslFailure::MalformedRequest)?;
        if nonce.is_empty() || !nonce.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',') {
            return Err(SaslFailure::MalformedRequest);
        }
        Ok(ScramServer {
            hash,
            gs2_header: format!("{cbind},{},", &rest[..rest.len() - bare.len() - 1]),
            client_first_bare: bare.to_owned(),
            client_nonce: nonce.to_owned(),
            username: unescape_saslname(username)?,
            authzid,
        })
    }

    /// `server-first-message`, given the account's credential, or `None` for an unknown
    /// user (then `fake_salt` stands in, and the exchange will fail at the end).
    pub(crate) fn challenge(
        self,
        credential: Option<ScramCredential>,
        fake_salt: Vec<u8>,
        fake_iterations: u32,
    ) -> (Vec<u8>, ScramAwaitFinal) {
        let mut server_nonce = [0u8; 18];
        rand::thread_rng().fill_bytes(&mut server_nonce);
        self.challenge_with_nonce(credential, fake_salt, fake_iterations, server_nonce)
    }

    /// [`challenge`](Self::challenge) with the server's part of the nonce given.
    pub(crate) fn challenge_with_nonce(
        self,
        credential: Option<ScramCredential>,
        fake_salt: Vec<u8>,
        fake_iterations: u32,
        server_nonce: [u8; 18],
    ) -> (Vec<u8>, ScramAwaitFinal) {
        let nonce = format!("{}{}", self.client_nonce, B64.encode(server_nonce));
        let known_user = credential.is_some();
        let credential = credential.unwrap_or(ScramCredential {
            salt: fake_salt,
            iterations: fake_iterations,
            stored_key: Vec::new(),
            server_key: Vec::new(),
        });
        let server_first = format!(
            "r={nonce},s={},i={}",
            B64.encode(&credential.salt),
            credential.iterations
        );
        let auth_message_prefix = format!("{},{server_first},", self.client_first_bare);
        (
            server_first.into_bytes(),
            ScramAwaitFinal {
                hash: self.hash,
                gs2_header: self.gs2_header,
                nonce,
                auth_message_prefix,
                credential,
                known_user,
            },
        )
    }
}

impl ScramAwaitFinal {
    /// Verifies `client-final-message`; on success, the `server-final-message`.
    pub(crate) fn finish(self, message: &[u8]) -> Result<Vec<u8>, SaslFailure> {
        let text = std::str::from_utf8(message).map_err(|_| SaslFailure::MalformedRequest)?;
        let (without_proof, proof) = text.rsplit_once(",p=").ok_or(SaslFailure::MalformedRequest)?;
        let mut fields = without_proof.split(',');
        let cbind = fields
            .next()
            .and_then(|f| f.strip_prefix("c="))
            .ok_or(SaslFailure::MalformedRequest)?;
        let nonce = fields
            .next()
            .and_then(|f| f.strip_prefix("r="))
            .ok_or(SaslFailure::MalformedRequest)?;
        if B64.decode(cbind).ok().as_deref() != Some(self.gs2_header.as_bytes()) {
            return Err(SaslFailure::NotAuthorized);
        }
        if nonce != self.nonce {
            return Err(SaslFailure::NotAuthorized);
        }
        let proof = B64.decode(proof).map_err(|_| SaslFailure::IncorrectEncoding)?;
        if !self.known_user {
            return Err(SaslFailure::NotAuthorized);
        }
        let auth_message = format!("{}{without_proof}", self.auth_message_prefix);
        let c = &self.credential;
        let signature = self.hash.hmac(&c.stored_key, auth_message.as_bytes());
        if proof.len() != signature.len() {
            return Err(SaslFailure::NotAuthorized);
        }
        let client_key: Vec<u8> = proof.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        if !bool::from(self.hash.digest(&client_key).ct_eq(&c.stored_key)) {
            return Err(SaslFailure::NotAuthorized);
        }
        let server_signature = self.hash.hmac(&c.server_key, auth_message.as_bytes());
        Ok(format!("v={}", B64.encode(server_signature)).into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_messages_split_into_their_three_parts() {
        assert_eq!(
            parse_plain(b"\0alice\0secret").unwrap(),
            PlainCredentials {
                authzid: None,
                authcid: "alice".into(),
                password: "secret".into()
            }
        );
        assert_eq!(
            parse_plain(b"alice@localhost\0alice\0pw").unwrap().authzid.as_deref(),
            Some("alice@localhost")
        );
        assert_eq!(parse_plain(b"alice\0secret"), Err(SaslFailure::MalformedRequest));
        assert_eq!(parse_plain(b"\0\0secret"), Err(SaslFailure::MalformedRequest));
        assert_eq!(parse_plain(b"\0a\0b\0c"), Err(SaslFailure::MalformedRequest));
    }

    /// RFC 7677 §3's exchange, with its fixed nonces.
    #[test]
    fn scram_sha_256_accepts_the_rfc_7677_exchange() {
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let cred = ScramHash::Sha256.derive(b"pencil", &salt, 4096);
        let server = ScramServer::start(ScramHash::Sha256, b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO").unwrap();
        assert_eq!(server.username, "user");
        let (_, mut waiting) = server.challenge(Some(cred), vec![], 0);
        // Replace our random nonce by the RFC's to replay its proof.
        waiting.nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".into();
        waiting.auth_message_prefix = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,".into();
        let final_msg = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        let server_final = waiting.finish(final_msg).unwrap();
        assert_eq!(server_final, b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    /// A client computing its proof from the challenge, as a real one does.
    fn client_proof(hash: ScramHash, password: &str, client_first_bare: &str, server_first: &str) -> String {
        let fields: Vec<&str> = server_first.split(',').collect();
        let nonce = fields[0].strip_prefix("r=").unwrap();
        let salt = B64.decode(fields[1].strip_prefix("s=").unwrap()).unwrap();
        let iterations: u32 = fields[2].strip_prefix("i=").unwrap().parse().unwrap();
        let cred = hash.derive(password.as_bytes(), &salt, iterations);
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
        // ClientKey = HMAC(SaltedPassword, "Client Key"); recover it from StoredKey's
        // preimage by recomputing SaltedPassword.
        let mut salted = vec![0u8; hash.digest(b"").len()];
        match hash {
            ScramHash::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password.as_bytes(), &salt, iterations, &mut salted),
            ScramHash::Sha256 => {
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), &salt, iterations, &mut salted)
            }
        }
        let client_key = hash.hmac(&salted, b"Client Key");
        assert_eq!(hash.digest(&client_key), cred.stored_key);
        let signature = hash.hmac(&cred.stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        format!("{without_proof},p={}", B64.encode(proof))
    }

    #[test]
    fn scram_sha_1_round_trip_and_wrong_passwords() {
        for (password, ok) in [("secret", true), ("wrong", false)] {
            let cred = ScramHash::Sha1.derive(b"secret", b"0123456789abcdef", 64);
            let first = "n=alice,r=abcdefgh";
            let server = ScramServer::start(ScramHash::Sha1, format!("n,,{first}").as_bytes()).unwrap();
            let (challenge, waiting) = server.challenge(Some(cred), vec![], 0);
            let challenge = String::from_utf8(challenge).unwrap();
            assert!(challenge.starts_with("r=abcdefgh"));
            let reply = client_proof(ScramHash::Sha1, password, first, &challenge);
            assert_eq!(waiting.finish(reply.as_bytes()).is_ok(), ok, "{password}");
        }
    }

    #[test]
    fn an_unknown_user_fails_only_at_the_end() {
        let server = ScramServer::start(ScramHash::Sha256, b"n,,n=nobody,r=xyz").unwrap();
        let (challenge, waiting) = server.challenge(None, b"fakefakefakefake".to_vec(), 4096);
        let challenge = String::from_utf8(challenge).unwrap();
        assert!(challenge.contains(",s=ZmFrZWZha2VmYWtlZmFrZQ==,i=4096"));
        let reply = client_proof(ScramHash::Sha256, "anything", "n=nobody,r=xyz", &challenge);
        assert_eq!(waiting.finish(reply.as_bytes()), Err(SaslFailure::NotAuthorized));
    }

    #[test]
    fn malformed_scram_messages_are_refused() {
        for bad in [
            &b"p=tls-unique,,n=a,r=x"[..],
            b"n,,r=x",
            b"n,,n=a",
            b"n,,n=a,r=",
            b"x,,n=a,r=x",
            b"n,,n=a=zz,r=x",
            b"n,n=a,r=x",
        ] {
            assert!(
                ScramServer::start(ScramHash::Sha1, bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let s = ScramServer::start(ScramHash::Sha1, b"n,a=alice@localhost,n=al=2Cice,r=x").unwrap();
        assert_eq!(s.username, "al,ice");
        assert_eq!(s.authzid.as_deref(), Some("alice@localhost"));
        assert_eq!(s.gs2_header, "n,a=alice@localhost,");
    }
}

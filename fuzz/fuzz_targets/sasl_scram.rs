//! SASL on the server side (SCRAM-SHA-1, SCRAM-SHA-256 and PLAIN) against a fixed
//! credential; the invariants are asserted in `meerkat::fuzzing::sasl_scram`.
//!
//! Input: one mode byte, the client-first message, a newline, then the client-final
//! message (or, by mode, the extensions or proof written into one). Mode byte bit 0:
//! SHA-256 (else SHA-1); bits 1–2: the final message as given, with a fuzzed proof, with
//! the correct proof, with the correct proof flipped (ASCII '0'–'7' spell every mode).
//! Everything after the mode byte is also parsed as a PLAIN message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meerkat::fuzzing::{sasl_plain, sasl_scram, ScramFinal};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (first, last) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let final_mode = match (mode >> 1) & 3 {
        0 => ScramFinal::Raw,
        1 => ScramFinal::FuzzedProof,
        2 => ScramFinal::ValidProof,
        _ => ScramFinal::FlippedProof,
    };
    sasl_scram(mode & 1 == 1, first, final_mode, last);
    sasl_plain(rest);
});

//! The REST contract (`api/client.yaml`, read once): every operation checks the fuzzed
//! query string and JSON body, and the first line is also looked up as a request path.
//! Input: `query\nbody`; a first line starting with '/' is a path, then the query follows
//! on the second line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (first, rest) = split_line(data);
    let Ok(first) = std::str::from_utf8(first) else {
        return;
    };
    let (path, query, body) = if first.starts_with('/') {
        let (query, body) = split_line(rest);
        let Ok(query) = std::str::from_utf8(query) else {
            return;
        };
        (first, query, body)
    } else {
        ("/api/messages", first, rest)
    };
    let query = (!query.is_empty()).then_some(query);
    meerkat::fuzzing::client_contract_check(path, query, body);
});

fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

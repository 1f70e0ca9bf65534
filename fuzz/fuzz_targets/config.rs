//! The configuration parser (`Config::parse`) on any text: an error or a configuration,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(loaded) = meerkat::config::Config::parse(text) {
        assert!(!loaded.config.general.hosts.is_empty());
    }
});

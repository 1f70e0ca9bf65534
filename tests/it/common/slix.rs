//! Runs a slixmpp scenario (tests/slixmpp/*.py, a third-party Python XMPP client) against
//! a test server. The scenario does its own assertions; a failure here shows its output.

use super::TestServer;
use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slixmpp");
const PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.tools/venv/bin/python");

/// Runs `scenario` with `args`; panics with its output unless it printed `ok`.
pub fn run(server: &TestServer, scenario: &str, args: &[&str]) {
    assert!(
        std::path::Path::new(PYTHON).exists(),
        "slixmpp is not installed: run `make test` (it creates .tools/venv)"
    );
    let output = Command::new(PYTHON)
        .arg(scenario)
        .args(args)
        .current_dir(DIR)
        .env("MEERKAT_C2S", server.addr("c2s_starttls").to_string())
        .env("MEERKAT_DOMAIN", "localhost")
        .env("MEERKAT_API", format!("{}/api", server.base_url("mongoose_client_api")))
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.lines().last() == Some("ok"),
        "{scenario} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

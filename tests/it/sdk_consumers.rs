//! The generated SDKs as their users run them: a Python program (tests/sdk-python, pytest)
//! and a TypeScript one (tests/sdk-ts, node's test runner) drive a real server through the
//! SDKs that `make sdk` generates from api/client.yaml into sdk/, with the shipped event
//! stream helpers. Each test starts a server, registers three users and hands the program
//! the API's URL and their credentials (`MEERKAT_API`, `MEERKAT_USERS`); the programs do
//! their own assertions, and a failure here shows their output.
//!
//! A third program (tests/sdk-python-admin, pytest) is a backend on the admin API's Python
//! SDK (sdk/python-admin, from api/admin.yaml), checking what users then see through the
//! client SDK; its server's admin handler has a username and password and a token with
//! only some scopes.
//!
//! `make test` (the `integration` target) generates the SDKs and installs pytest and
//! TypeScript first; run alone: `make sdk-test` (or `make sdk`, then
//! `cargo test --test it -- sdk_consumers::`).

use crate::common::{default_config, TestServer};
use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A server with alice, bob and carol, and the environment the programs read.
async fn server() -> (TestServer, Vec<(&'static str, String)>) {
    let server = TestServer::start();
    for u in ["alice", "bob", "carol"] {
        server.register(u, "secret").await;
    }
    let env = vec![
        ("MEERKAT_API", format!("{}/api", server.base_url("mongoose_client_api"))),
        (
            "MEERKAT_USERS",
            "alice@localhost:secret,bob@localhost:secret,carol@localhost:secret".to_owned(),
        ),
    ];
    (server, env)
}

fn require(path: &str, hint: &str) {
    assert!(Path::new(ROOT).join(path).exists(), "{path} is missing: {hint}");
}

/// Runs `command`; panics with its output unless it succeeded and its last lines show
/// that tests ran and none failed.
fn run(mut command: Command, passed: impl Fn(&str) -> bool) {
    let output = command.output().expect("the test program starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && passed(&stdout),
        "{command:?} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    println!("{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_sdk_drives_the_server() {
    require("sdk/python/meerkat_client/events.py", "run `make sdk`");
    require(".tools/venv/bin/python", "run `make test` (it installs pytest)");
    let (server, env) = server().await;
    let mut command = Command::new(Path::new(ROOT).join(".tools/venv/bin/python"));
    command
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/sdk-python"])
        .current_dir(ROOT)
        .env("PYTHONPATH", Path::new(ROOT).join("sdk/python"))
        .envs(env);
    tokio::task::spawn_blocking(move || {
        // pytest's summary, e.g. "9 passed, 2 skipped in 3.1s", with no failure in it.
        run(command, |out| {
            let summary = out.lines().last().unwrap_or_default();
            summary.contains(" passed") && !summary.contains("failed") && !summary.contains("error")
        });
        drop(server);
    })
    .await
    .expect("the Python SDK test ran");
}

/// The admin handler's table in the test config (open, as the tests' servers have it).
const ADMIN_HANDLER: &str = "  [[listen.http.handlers.mongoose_admin_api]]\n  path = \"/api\"\n";
/// What this test's server adds to it: a username and password (every scope), and a token
/// that may only read users and sessions.
const ADMIN_CREDENTIALS: &str = "  username = \"backend\"\n  password = \"backend-secret\"\n    [[listen.http.handlers.mongoose_admin_api.credentials]]\n    token = \"support-tool-token-0123456789\"\n    scopes = [\"users:read\", \"sessions:read\"]\n";

#[tokio::test(flavor = "multi_thread")]
async fn the_python_admin_sdk_drives_the_server() {
    require("sdk/python-admin/meerkat_admin/__init__.py", "run `make sdk`");
    require("sdk/python/meerkat_client/events.py", "run `make sdk`");
    require(".tools/venv/bin/python", "run `make test` (it installs pytest)");
    let server = TestServer::start_with(|dir| {
        let config = default_config(dir, "");
        assert!(
            config.contains(ADMIN_HANDLER),
            "the test config's admin handler changed"
        );
        config.replace(ADMIN_HANDLER, &format!("{ADMIN_HANDLER}{ADMIN_CREDENTIALS}"))
    });
    let sdks = std::env::join_paths([
        Path::new(ROOT).join("sdk/python-admin"),
        Path::new(ROOT).join("sdk/python"),
    ])
    .expect("paths without a separator");
    let mut command = Command::new(Path::new(ROOT).join(".tools/venv/bin/python"));
    command
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/sdk-python-admin"])
        .current_dir(ROOT)
        .env("PYTHONPATH", sdks)
        .env(
            "MEERKAT_ADMIN_API",
            format!("{}/api", server.base_url("mongoose_admin_api")),
        )
        .env("MEERKAT_ADMIN_USER", "backend")
        .env("MEERKAT_ADMIN_PASSWORD", "backend-secret")
        .env("MEERKAT_ADMIN_TOKEN", "support-tool-token-0123456789")
        .env("MEERKAT_API", format!("{}/api", server.base_url("mongoose_client_api")));
    tokio::task::spawn_blocking(move || {
        run(command, |out| {
            let summary = out.lines().last().unwrap_or_default();
            summary.contains(" passed") && !summary.contains("failed") && !summary.contains("error")
        });
        drop(server);
    })
    .await
    .expect("the Python admin SDK test ran");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_typescript_sdk_drives_the_server() {
    require("sdk/typescript/src/events.ts", "run `make sdk`");
    require(
        "tests/sdk-ts/node_modules/typescript",
        "run `make test` (or `npm ci` in tests/sdk-ts)",
    );
    let (server, env) = server().await;
    let mut command = Command::new("npm");
    command
        .args(["test", "--silent"])
        .current_dir(Path::new(ROOT).join("tests/sdk-ts"))
        .envs(env);
    tokio::task::spawn_blocking(move || {
        // node's test runner ends with its counts, e.g. "ℹ pass 9" and "ℹ fail 0".
        run(command, |out| {
            let count = |what: &str| {
                out.lines()
                    .find_map(|l| l.strip_prefix(&format!("ℹ {what} ")))
                    .and_then(|n| n.trim().parse::<u32>().ok())
            };
            count("fail") == Some(0) && count("pass").is_some_and(|n| n > 0)
        });
        drop(server);
    })
    .await
    .expect("the TypeScript SDK test ran");
}

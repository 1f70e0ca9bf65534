//! The generated SDKs as their users install and run them: a Python program
//! (tests/sdk-python, pytest), a JavaScript one (tests/sdk-ts, node's test runner) and a Go
//! one (tests/sdk-go, `go test`) drive a real server through the SDKs that `make sdk`
//! generates from api/client.yaml into sdk/, with the shipped helpers (the event stream,
//! UTF-8 Basic credentials). Each test starts a server, registers five users (two of them
//! named in Cyrillic and Chinese, with passwords in those scripts) and hands the program
//! the API's URL and their credentials (`MEERKAT_API`, `MEERKAT_USERS`); the programs do
//! their own assertions, and a failure here shows their output.
//!
//! A fourth program (tests/sdk-python-admin, pytest) is a backend on the admin API's Python
//! SDK (sdk/python-admin, from api/admin.yaml), checking what users then see through the
//! client SDK; its server's admin handler has a username and password and a token with
//! only some scopes.
//!
//! Each SDK is installed as a separate project installs it, by `make` (the Makefile's
//! SDK_CONSUMERS): the Python SDKs with pip into a fresh venv, .tools/sdk-python; the
//! TypeScript SDK with `npm install ./sdk/typescript` in tests/sdk-ts, which lists no
//! TypeScript; the Go SDK through a `replace` in tests/sdk-go/go.mod, with Debian's Go and
//! no module proxy. `make test` (the `integration` target) does that first; run alone:
//! `make sdk-test`.

use crate::common::{default_config, TestServer};
use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The users every program gets, in this order: three named in Latin script, then two
/// who are not (their names and passwords are UTF-8 in the Basic credentials).
const USERS: [(&str, &str); 5] = [
    ("alice", "secret"),
    ("bob", "secret"),
    ("carol", "secret"),
    ("дмитрий", "пароль"),
    ("李", "密码"),
];

/// A server with the USERS, and the environment the programs read.
async fn server() -> (TestServer, Vec<(&'static str, String)>) {
    let server = TestServer::start();
    for (user, password) in USERS {
        server.register(user, password).await;
    }
    let users: Vec<String> = USERS
        .iter()
        .map(|(user, password)| format!("{user}@localhost:{password}"))
        .collect();
    let env = vec![
        ("MEERKAT_API", format!("{}/api", server.base_url("mongoose_client_api"))),
        ("MEERKAT_USERS", users.join(",")),
    ];
    (server, env)
}

/// The fresh venv that `make` installs the Python SDKs into.
const PYTHON: &str = ".tools/sdk-python/bin/python";
const PYTHON_HINT: &str = "run `make sdk-test` (it installs the SDKs into a fresh venv)";

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
    require(PYTHON, PYTHON_HINT);
    let (server, env) = server().await;
    let mut command = Command::new(Path::new(ROOT).join(PYTHON));
    command
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/sdk-python"])
        .current_dir(ROOT)
        .env_remove("PYTHONPATH")
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
    require(PYTHON, PYTHON_HINT);
    let server = TestServer::start_with(|dir| {
        let config = default_config(dir, "");
        assert!(
            config.contains(ADMIN_HANDLER),
            "the test config's admin handler changed"
        );
        config.replace(ADMIN_HANDLER, &format!("{ADMIN_HANDLER}{ADMIN_CREDENTIALS}"))
    });
    let mut command = Command::new(Path::new(ROOT).join(PYTHON));
    command
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/sdk-python-admin"])
        .current_dir(ROOT)
        .env_remove("PYTHONPATH")
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
    require(
        "tests/sdk-ts/node_modules/@meerkat/client/dist/index.js",
        "run `make sdk-test` (it installs the SDK into tests/sdk-ts)",
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

#[tokio::test(flavor = "multi_thread")]
async fn the_go_sdk_drives_the_server() {
    require("sdk/go/events.go", "run `make sdk`");
    assert!(
        Command::new("go").arg("version").output().is_ok(),
        "go is missing: run `make sdk-test` (it installs Debian's Go)"
    );
    let (server, env) = server().await;
    let tools = Path::new(ROOT).join(".tools/go");
    let mut command = Command::new("go");
    command
        .args(["test", "-count=1", "-v", "."])
        .current_dir(Path::new(ROOT).join("tests/sdk-go"))
        // Offline: the SDK needs only the standard library, and the module proxy is
        // never asked; the build cache is kept between runs.
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOCACHE", tools.join("cache"))
        .env("GOPATH", tools.join("path"))
        .envs(env);
    tokio::task::spawn_blocking(move || {
        // `go test -v` ends with "PASS" and "ok  <module> <time>"; every test ran.
        run(command, |out| {
            out.lines().any(|l| l == "PASS")
                && out.lines().any(|l| l.starts_with("ok "))
                && !out.contains("--- SKIP")
                && !out.contains("--- FAIL")
        });
        drop(server);
    })
    .await
    .expect("the Go SDK test ran");
}

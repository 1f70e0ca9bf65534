//! The command line: account commands with and without a running server, and config
//! errors.

use crate::common;
use crate::common::{TestServer, BIN};
use meerkat_client_api::ApiNoContext as _;
use std::process::Command;
use std::time::{Duration, Instant};

fn authenticated(server: &TestServer, user: &str, password: &str) -> impl std::future::Future<Output = bool> {
    let client = server.client_as(user, password);
    async move {
        !matches!(
            client.list_contacts().await.unwrap(),
            meerkat_client_api::ListContactsResponse::Unauthorized { .. }
        )
    }
}

/// Polls for up to five seconds: another process's change reaches the server's
/// credential cache within `auth.sync_interval_ms` (100 ms in tests).
async fn eventually(mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn register_works_before_the_server_starts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("meerkat.toml");
    std::fs::write(&config, common::on_chosen_storage(common::default_config(&data, ""))).unwrap();
    // --config after the subcommand is accepted as well.
    let out = Command::new(BIN)
        .args(["register", "alice@localhost", "wonderland", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "registered alice@localhost"
    );

    let server = TestServer::start_with(|_| std::fs::read_to_string(&config).unwrap());
    // The server got its own temp dir for the config, but reads the same data dir.
    assert!(authenticated(&server, "alice@localhost", "wonderland").await);
}

#[tokio::test]
async fn account_commands_take_effect_on_a_running_server() {
    let server = TestServer::start();
    let out = server.cli(&["register", "Bob@LocalHost", "builder"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(authenticated(&server, "bob@localhost", "builder").await);

    let out = server.cli(&["passwd", "bob@localhost", "fixit"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The old password was cached by the server; the change must still win.
    assert!(eventually(async || !authenticated(&server, "bob@localhost", "builder").await).await);
    assert!(authenticated(&server, "bob@localhost", "fixit").await);

    let out = server.cli(&["unregister", "bob@localhost"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(eventually(async || !authenticated(&server, "bob@localhost", "fixit").await).await);
}

#[tokio::test]
async fn account_command_failures_have_clear_messages_and_exit_codes() {
    let server = TestServer::start();
    assert!(server.cli(&["register", "carol@localhost", "pw"]).status.success());

    let again = server.cli(&["register", "carol@localhost", "pw"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("User already exists"));

    let foreign = server.cli(&["register", "carol@elsewhere.org", "pw"]);
    assert_eq!(foreign.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&foreign.stderr).contains("Unknown domain"));

    let bad = server.cli(&["register", "no jid here", "pw"]);
    assert_eq!(bad.status.code(), Some(2));

    let missing = server.cli(&["passwd", "nobody@localhost", "pw"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("User not found"));

    let empty = server.cli(&["register", "dave@localhost", ""]);
    assert_eq!(empty.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("password"));
}

fn run_with_config(text: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("meerkat.toml");
    std::fs::write(&config, text).unwrap();
    Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .current_dir(dir.path())
        .output()
        .unwrap()
}

#[test]
fn a_malformed_config_value_stops_the_server_naming_the_key() {
    let out = run_with_config("[[listen.http]]\nport = \"eighty\"\n");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("listen.http[0].port") && err.contains("u16"), "{err}");

    let out = run_with_config("[general]\nhosts = []\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("general.hosts"));

    let out = run_with_config("[general\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TOML"));
}

#[test]
fn a_missing_config_file_is_an_error() {
    let out = Command::new(BIN)
        .args(["--config", "/nonexistent/meerkat.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/meerkat.toml"));
}

#[tokio::test]
async fn unknown_config_keys_are_named_in_a_warning_and_the_server_starts() {
    let mut server = TestServer::start_with(|dir| {
        common::default_config(
            dir,
            "[modules.mod_mam]\nbackend = \"rdbms\"\n[acl.local]\nmatch = \"current_domain\"\n",
        )
    });
    assert!(server.is_running());
    let log = server.take_stderr_after_kill();
    assert!(log.contains("modules.mod_mam.backend"), "{log}");
    assert!(log.contains("key=acl"), "{log}");
}

#[test]
fn a_port_in_use_is_reported_with_the_listener() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = run_with_config(&format!(
        "[[listen.http]]\nport = {port}\nip_address = \"127.0.0.1\"\n[[listen.http.handlers.mongoose_admin_api]]\n"
    ));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
}

#[tokio::test]
async fn with_no_config_file_the_client_api_is_https_on_8089() {
    // The defaults use fixed ports; where something else holds them, this cannot run.
    for port in [8089, 8088, 5280, 5222] {
        if std::net::TcpListener::bind(("0.0.0.0", port)).is_err() {
            eprintln!("skipped: port {port} is in use on this machine");
            return;
        }
    }
    let server = TestServer::start_without_config();
    assert_eq!(server.addr("mongoose_client_api").port(), 8089);
    assert_eq!(server.listeners["mongoose_client_api"].1, "https");
    assert_eq!(server.addr("mongoose_admin_api").to_string(), "127.0.0.1:8088");
    assert_eq!(server.addr("mongoose_websocket_handler").port(), 5280);
    assert_eq!(server.addr("mod_http_upload").port(), 8089, "uploads are on by default");
    let out = server.cli(&["register", "alice@localhost", "wonderland"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let cert = server.dir.path().join("data/self-signed-cert.pem");
    use meerkat_client_api::ContextWrapperExt;
    let https = |auth| {
        meerkat_client_api::Client::try_new_https_pinned("https://localhost:8089", &cert)
            .unwrap()
            .with_context(common::context(auth))
    };
    let r = https(None).get_messages(None, None, None, None).await.unwrap();
    assert!(
        matches!(r, meerkat_client_api::GetMessagesResponse::Unauthorized { .. }),
        "{r:?}"
    );
    let alice = https(Some(swagger::AuthData::basic("alice@localhost", "wonderland")));
    let r = alice.get_messages(None, None, None, None).await.unwrap();
    assert!(
        matches!(r, meerkat_client_api::GetMessagesResponse::ArchivedMessages(ref m) if m.is_empty()),
        "{r:?}"
    );
}

//! The command line: account commands with and without a running server, config
//! errors, and the admin commands against a running server's admin API.

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

/// Runs an admin command against `server`. Its admin listener's port was chosen at start
/// and is not in its config, so the URL is given (after the subcommand, as options may be).
fn admin(server: &TestServer, args: &[&str]) -> std::process::Output {
    let url = format!("{}/api", server.base_url("mongoose_admin_api"));
    let mut all = args.to_vec();
    all.extend(["--admin-url", &url]);
    server.cli(&all)
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out)).expect("JSON on standard output")
}

#[tokio::test]
async fn users_are_listed_page_by_page_and_counted() {
    let server = TestServer::start();
    for user in ["carol", "alice", "bob"] {
        server.register(user, "secret").await;
    }
    assert_eq!(
        stdout(&admin(&server, &["users", "list", "localhost"])),
        "alice@localhost\nbob@localhost\ncarol@localhost\n"
    );
    let page = admin(
        &server,
        &["users", "list", "LocalHost", "--limit", "1", "--after", "alice"],
    );
    assert_eq!(stdout(&page), "bob@localhost\n");
    assert_eq!(stdout(&admin(&server, &["users", "count", "localhost"])), "3\n");
    assert_eq!(
        json(&admin(&server, &["users", "count", "localhost", "--json"])),
        serde_json::json!({"count": 3})
    );
    assert_eq!(stdout(&admin(&server, &["users", "count", "example.com"])), "0\n");
}

#[tokio::test]
async fn sessions_of_a_connected_client_are_listed_and_kicked() {
    use common::xmpp::{online, Transport};
    let server = TestServer::start();
    server.register("alice", "secret").await;
    let (_phone, _) = online(&server, "alice@localhost/phone", "secret", Transport::StartTls).await;
    let (_laptop, _) = online(&server, "alice@localhost/laptop", "secret", Transport::StartTls).await;
    assert_eq!(
        stdout(&admin(&server, &["sessions", "list", "localhost"])),
        "alice@localhost/laptop\nalice@localhost/phone\n"
    );
    let details = json(&admin(&server, &["sessions", "of", "alice@localhost", "--json"]));
    let details = details.as_array().expect("an array");
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(details.iter().all(|s| s["connection"] == "c2s"), "{details:?}");
    let lines = stdout(&admin(&server, &["sessions", "of", "alice@localhost"]));
    assert!(
        lines.lines().any(|l| l.starts_with("alice@localhost/phone c2s ")),
        "{lines}"
    );

    let kicked = admin(&server, &["sessions", "kick", "alice@localhost/phone"]);
    assert_eq!(stdout(&kicked), "kicked 1 session\n");
    let listed = async || stdout(&admin(&server, &["sessions", "list", "localhost"]));
    assert!(eventually(async || listed().await == "alice@localhost/laptop\n").await);

    let kicked = admin(&server, &["sessions", "kick", "alice@localhost"]);
    assert_eq!(stdout(&kicked), "kicked 1 session\n");
    assert!(eventually(async || listed().await.is_empty()).await);

    let none = admin(&server, &["sessions", "kick", "alice@localhost"]);
    assert_eq!(none.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&none.stderr), "meerkat: No active session\n");
}

#[tokio::test]
async fn messages_sent_as_users_are_read_back_from_the_archive() {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    let sent = admin(
        &server,
        &["messages", "send", "alice@localhost", "bob@localhost", "hi bob"],
    );
    assert_eq!(stdout(&sent), "sent\n");
    let stanza = r#"<message from="bob@localhost" to="alice@localhost" type="chat"><body>hi alice</body></message>"#;
    // `-`: the stanza comes from standard input.
    let url = format!("{}/api", server.base_url("mongoose_admin_api"));
    let mut piped = Command::new(BIN)
        .args(["stanzas", "send", "-", "--admin-url", &url])
        .env("MEERKAT_CONFIG", server.config_path.as_ref().unwrap())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    piped.stdin.take().unwrap().write_all(stanza.as_bytes()).unwrap();
    assert_eq!(stdout(&piped.wait_with_output().unwrap()), "sent\n");

    let archive = json(&admin(&server, &["messages", "archive", "bob@localhost", "--json"]));
    let bodies: Vec<&str> = archive
        .as_array()
        .expect("an array")
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["hi bob", "hi alice"]);
    let newest = admin(
        &server,
        &[
            "messages",
            "archive",
            "alice@localhost",
            "bob@localhost",
            "--limit",
            "1",
        ],
    );
    let lines = stdout(&newest);
    assert_eq!(lines.lines().count(), 1, "{lines}");
    assert!(
        lines.contains(" bob@localhost") && lines.ends_with(": hi alice\n"),
        "{lines}"
    );

    let unknown = admin(
        &server,
        &["messages", "send", "nobody@localhost", "bob@localhost", "hi"],
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).starts_with("meerkat: "));
}

#[tokio::test]
async fn contacts_are_connected_listed_and_disconnected() {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    let connect = admin(&server, &["contacts", "connect", "alice@localhost", "bob@localhost"]);
    assert_eq!(stdout(&connect), "connected\n");
    assert_eq!(
        stdout(&admin(&server, &["contacts", "list", "bob@localhost"])),
        "alice@localhost both\n"
    );
    let listed = json(&admin(&server, &["contacts", "list", "alice@localhost", "--json"]));
    assert_eq!(
        listed,
        serde_json::json!([{"jid": "bob@localhost", "subscription": "both", "ask": "none"}])
    );
    let disconnect = admin(&server, &["contacts", "disconnect", "alice@localhost", "bob@localhost"]);
    assert_eq!(stdout(&disconnect), "disconnected\n");
    assert_eq!(stdout(&admin(&server, &["contacts", "list", "alice@localhost"])), "");
}

#[tokio::test]
async fn rooms_are_run_from_the_command_line() {
    let server = TestServer::start();
    server.register("alice", "secret").await;
    server.register("bob", "secret").await;
    let created = admin(
        &server,
        &[
            "muc-light",
            "create",
            "muclight.localhost",
            "alice@localhost",
            "Lobby",
            "Anything",
            "--id",
            "lobby",
        ],
    );
    assert_eq!(stdout(&created), "lobby@muclight.localhost\n");
    let invited = admin(
        &server,
        &[
            "muc-light",
            "invite",
            "muclight.localhost",
            "lobby",
            "alice@localhost",
            "bob@localhost",
        ],
    );
    assert!(invited.status.success(), "{}", String::from_utf8_lossy(&invited.stderr));
    assert_eq!(
        stdout(&admin(
            &server,
            &["muc-light", "rooms", "muclight.localhost", "bob@localhost"]
        )),
        "lobby@muclight.localhost Lobby\n"
    );
    let sent = admin(
        &server,
        &[
            "muc-light",
            "send",
            "muclight.localhost",
            "lobby",
            "bob@localhost",
            "hello room",
        ],
    );
    assert_eq!(stdout(&sent), "sent\n");
    assert!(admin(&server, &["muc-light", "delete", "muclight.localhost", "lobby"])
        .status
        .success());
    assert_eq!(
        stdout(&admin(
            &server,
            &["muc-light", "rooms", "muclight.localhost", "bob@localhost"]
        )),
        ""
    );

    let created = admin(
        &server,
        &["muc", "create", "localhost", "hall", "alice@localhost", "al"],
    );
    assert_eq!(stdout(&created), "hall\n");
    let rooms = stdout(&admin(&server, &["muc", "list", "localhost"]));
    assert!(rooms.starts_with("hall@conference.localhost"), "{rooms}");
    let kick = admin(&server, &["muc", "kick", "localhost", "hall", "nobody"]);
    assert_eq!(kick.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&kick.stderr), "meerkat: Occupant not found\n");
}

#[tokio::test]
async fn admin_command_failures_have_the_servers_text_and_exit_codes() {
    let server = TestServer::start();
    let unknown = admin(&server, &["users", "list", "nowhere.example"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&unknown.stderr), "meerkat: Unknown domain\n");
    assert!(unknown.stdout.is_empty());

    // Bad usage, found before anything is sent.
    let bad_jid = admin(&server, &["sessions", "kick", "alice"]);
    assert_eq!(bad_jid.status.code(), Some(2));
    let https = server.cli(&["users", "count", "localhost", "--admin-url", "https://127.0.0.1:1/api"]);
    assert_eq!(https.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&https.stderr).contains("HTTPS"));
    let missing = admin(&server, &["users", "count"]);
    assert_eq!(missing.status.code(), Some(2));

    // The test config's admin listener has port 0: the URL cannot come from it.
    let derived = server.cli(&["users", "count", "localhost"]);
    assert_eq!(derived.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&derived.stderr).contains("--admin-url"));

    // Nothing listens on a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/api");
    let away = server.cli(&["users", "count", "localhost", "--admin-url", &url]);
    assert_eq!(away.status.code(), Some(1));
    let err = String::from_utf8_lossy(&away.stderr);
    assert!(
        err.starts_with(&format!("meerkat: cannot reach the admin API at {url}: ")),
        "{err}"
    );
}

#[tokio::test]
async fn the_admin_api_and_its_credentials_are_found_in_the_config() {
    // A fixed port (one just free) so that the config says where the admin API is.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = TestServer::start_with(|dir| {
        common::default_config(dir, "").replace(
            "port = 0\nip_address = \"127.0.0.1\"\nmax_body_size = 4096\n  [[listen.http.handlers.mongoose_admin_api]]\n  path = \"/api\"\n",
            &format!(
                "port = {port}\nip_address = \"127.0.0.1\"\n  [[listen.http.handlers.mongoose_admin_api]]\n  \
                 path = \"/admin\"\n  username = \"ops\"\n  password = \"0ps\"\n  \
                 [[listen.http.handlers.mongoose_admin_api.credentials]]\n  token = \"reader-0123456789abcdef\"\n  \
                 scopes = [\"users:read\", \"sessions:read\"]\n"
            ),
        )
    });
    assert_eq!(
        server.addr("mongoose_admin_api").port(),
        port,
        "the admin listener moved"
    );
    assert!(server.cli(&["register", "alice@localhost", "secret"]).status.success());
    // No option at all: http://127.0.0.1:<port>/admin, signed in as ops.
    assert_eq!(
        stdout(&server.cli(&["users", "list", "localhost"])),
        "alice@localhost\n"
    );

    let wrong = server.cli(&[
        "users",
        "list",
        "localhost",
        "--admin-user",
        "ops",
        "--admin-password",
        "no",
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&wrong.stderr), "meerkat: Invalid credentials\n");

    let reader = server.cli(&[
        "users",
        "count",
        "localhost",
        "--admin-token",
        "reader-0123456789abcdef",
    ]);
    assert_eq!(stdout(&reader), "1\n");
    let narrow = server.cli(&[
        "sessions",
        "kick",
        "alice@localhost",
        "--admin-token",
        "reader-0123456789abcdef",
    ]);
    assert_eq!(narrow.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&narrow.stderr),
        "meerkat: Missing scope sessions:write\n"
    );
    let half = server.cli(&["users", "count", "localhost", "--admin-user", "ops"]);
    assert_eq!(half.status.code(), Some(2));
}

#[tokio::test]
async fn domains_are_added_disabled_and_removed_from_the_command_line() {
    let server = TestServer::start();
    assert_eq!(
        stdout(&admin(&server, &["domains", "add", "tenant.example", "localhost"])),
        "added\n"
    );
    assert_eq!(
        stdout(&admin(&server, &["domains", "list"])),
        "tenant.example localhost enabled\n"
    );
    // The storage commands take accounts on it too.
    let out = server.cli(&["register", "dana@tenant.example", "secret"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout(&admin(&server, &["users", "count", "tenant.example"])), "1\n");
    assert_eq!(
        stdout(&admin(&server, &["domains", "disable", "tenant.example"])),
        "disabled\n"
    );
    assert_eq!(
        json(&admin(&server, &["domains", "get", "tenant.example", "--json"])),
        serde_json::json!({"domain": "tenant.example", "host_type": "localhost", "status": "disabled"})
    );
    let refused = admin(&server, &["domains", "add", "localhost", "localhost"]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr).trim(),
        "meerkat: Domain is static"
    );
    assert_eq!(
        stdout(&admin(&server, &["domains", "remove", "tenant.example", "localhost"])),
        "removed\n"
    );
    assert_eq!(stdout(&admin(&server, &["domains", "list"])), "");
}

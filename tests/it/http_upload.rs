//! HTTP File Upload (XEP-0363) end to end: slixmpp's xep_0363 plugin requests slots and
//! uploads over HTTPS (aiohttp), Python's HTTP clients download and try what a client
//! should not be able to do (tests/slixmpp/http_upload.py).

use crate::common;
use crate::common::TestServer;

/// The test listeners, plus an HTTPS listener serving uploads whose `max_body_size`
/// (4 KiB) is far below the uploads it takes and whose `request_timeout` (2 s) lets a
/// stalled body be seen quickly, and the upload module with small limits.
fn config(dir: &std::path::Path, module: &str) -> String {
    common::default_config(
        dir,
        &format!(
            r#"
[[listen.http]]
port = 0
ip_address = "127.0.0.1"
max_body_size = 4096
request_timeout = 2
tls = {{}}
  [[listen.http.handlers.mod_http_upload]]
  path = "/upload"

[modules.mod_roster]

[modules.mod_http_upload]
max_file_size = 100000
user_quota = 150000
{module}
"#
        ),
    )
}

async fn server(module: &str) -> TestServer {
    let server = TestServer::start_with(|dir| config(dir, module));
    for u in ["alice", "bob"] {
        server.register(u, "secret").await;
    }
    server
}

/// Runs the scenario `args[0]` (with the rest as its arguments); gives the server back.
async fn scenario(server: TestServer, args: Vec<String>) -> TestServer {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::slix::run(&server, "http_upload.py", &args);
        server
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_client_uploads_a_file_and_anyone_with_the_link_downloads_it() {
    let server = server("").await;
    assert_eq!(server.listeners["mod_http_upload"].1, "https");
    scenario(server, vec!["round_trip".into()]).await;
}

#[tokio::test]
async fn files_over_the_size_limit_or_the_quota_are_refused_by_the_service() {
    scenario(server("").await, vec!["limits".into()]).await;
}

#[tokio::test]
async fn a_put_url_takes_exactly_the_announced_file_once_and_refuses_tampering() {
    scenario(server("").await, vec!["put_rules".into()]).await;
}

#[tokio::test]
async fn an_upload_expires_after_its_time_and_its_file_is_deleted() {
    let server = server("expire_after_seconds = 2").await;
    let uploads = server.dir.path().join("data").join("uploads");
    let server = scenario(server, vec!["expiry".into()]).await;
    // The sweep runs every second here; the file is gone from disk, not only unlisted.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let left: Vec<_> = std::fs::read_dir(&uploads).unwrap().collect();
        if left.is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "files left: {left:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    drop(server);
}

#[tokio::test]
async fn a_removed_accounts_uploads_go_with_it() {
    let server = server("").await;
    let admin = format!("{}/api", server.base_url("mongoose_admin_api"));
    let uploads = server.dir.path().join("data").join("uploads");
    let server = scenario(server, vec!["account_removal".into(), admin]).await;
    assert_eq!(std::fs::read_dir(&uploads).unwrap().count(), 0);
    drop(server);
}

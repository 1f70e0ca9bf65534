//! The API docs the running server serves without authentication: the spec at
//! `/api-docs/client.yaml` and Swagger UI at `/api-docs`, its files built into the binary,
//! its start script sending "Try it out" requests to the server that served the page
//! (checked by running the script with node, tests/swagger-ui/initializer.test.mjs), and the
//! page in a real browser: Debian's headless Chromium driven by tests/swagger-ui/browser.test.mjs
//! (`make test` installs both).

use crate::common;
use crate::common::{raw_request, RawResponse, TestServer};
use meerkat_client_api::models::MessageRequest;
use meerkat_client_api::{ApiNoContext as _, SendMessageResponse};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn get(addr: SocketAddr, path: &str) -> RawResponse {
    raw_request(addr, "GET", path, &[], "")
}

#[tokio::test]
async fn the_running_server_serves_its_spec_and_swagger_ui() {
    let server = TestServer::start();
    let addr = server.addr("mongoose_client_api");

    let yaml = get(addr, "/api-docs/client.yaml");
    assert_eq!(yaml.status, 200);
    assert_eq!(yaml.header("content-type"), Some("application/yaml"));
    assert_eq!(
        yaml.body,
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/api/client.yaml")).unwrap()
    );

    for path in ["/api-docs", "/api-docs/"] {
        let page = get(addr, path);
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
        let csp = page.header("content-security-policy").expect("the page has a CSP");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self';"),
            "{csp}"
        );
        assert!(
            csp.contains("connect-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        // Every script is a file of this server (the CSP allows no inline script).
        let scripts: Vec<&str> = page.body.split("<script").skip(1).collect();
        assert_eq!(scripts.len(), 2, "{}", page.body);
        assert!(scripts[0].starts_with(" src=\"/api-docs/swagger-ui-bundle.js\"></script>"));
        assert!(scripts[1].starts_with(" src=\"/api-docs/swagger-initializer.js\"></script>"));
        assert!(page.body.contains("href=\"/api-docs/swagger-ui.css\""));
        assert!(page.body.contains("data-spec=\"/api-docs/client.yaml\""));
        assert!(page.body.contains("data-api=\"/api\""));
    }

    for (path, content_type, marker) in [
        (
            "/api-docs/swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
            "SwaggerUIBundle",
        ),
        ("/api-docs/swagger-ui.css", "text/css; charset=utf-8", ".swagger-ui"),
        (
            "/api-docs/swagger-initializer.js",
            "text/javascript; charset=utf-8",
            "requestInterceptor",
        ),
        ("/api-docs/swagger-ui-bundle.js.map", "application/json", "\"sources\""),
        ("/api-docs/swagger-ui.css.map", "application/json", "\"mappings\""),
    ] {
        let r = get(addr, path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(content_type), "{path}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert!(r.body.contains(marker), "{path} lacks {marker}");
    }
    let bundle = get(addr, "/api-docs/swagger-ui-bundle.js");
    assert!(
        bundle.body.len() > 500_000,
        "the whole bundle: {} bytes",
        bundle.body.len()
    );

    assert_eq!(get(addr, "/api-docs/other.js").status, 404);
    let post = raw_request(addr, "POST", "/api-docs", &[], "");
    assert_eq!(post.status, 405);
}

#[tokio::test]
async fn docs_follow_the_configured_api_path_and_can_be_switched_off() {
    let server = TestServer::start_with(|dir| {
        common::default_config(dir, "").replacen(
            "path = \"/api\"\n  allowed_origins",
            "path = \"/chat/api\"\n  allowed_origins",
            1,
        )
    });
    let addr = server.addr("mongoose_client_api");
    let page = get(addr, "/chat/api-docs");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-api=\"/chat/api\""), "{}", page.body);
    assert!(page.body.contains("src=\"/chat/api-docs/swagger-ui-bundle.js\""));
    assert_eq!(get(addr, "/chat/api-docs/swagger-ui.css").status, 200);
    assert_eq!(get(addr, "/api-docs").status, 404);

    let quiet = TestServer::start_with(|dir| {
        common::default_config(dir, "").replacen(
            "path = \"/api\"\n  allowed_origins",
            "path = \"/api\"\n  docs = false\n  allowed_origins",
            1,
        )
    });
    let addr = quiet.addr("mongoose_client_api");
    for path in ["/api-docs", "/api-docs/client.yaml", "/api-docs/swagger-ui-bundle.js"] {
        assert_eq!(get(addr, path).status, 404, "{path}");
    }
}

#[tokio::test]
async fn the_start_script_sends_try_it_out_to_this_server() {
    // Under a non-default API path, so that the rewrite from the spec's `/api` shows.
    let server = TestServer::start_with(|dir| {
        common::default_config(dir, "").replacen(
            "path = \"/api\"\n  allowed_origins",
            "path = \"/chat/api\"\n  allowed_origins",
            1,
        )
    });
    let docs = format!("{}/chat/api-docs", server.base_url("mongoose_client_api"));
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args([
                "--test",
                "--test-reporter=spec",
                "tests/swagger-ui/initializer.test.mjs",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("MEERKAT_DOCS", docs)
            .env("MEERKAT_API_PATH", "/chat/api")
            .output()
            .expect("node runs (installed with npm by `make test`)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("ℹ pass 1") && stdout.contains("ℹ fail 0"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The browser test's bound: Chromium's start, the page and a few clicks take seconds; a
/// hung browser is killed after this.
const BROWSER_DEADLINE: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread")]
async fn swagger_ui_authorize_and_execute_on_the_history_shows_alices_messages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/swagger-ui/node_modules/playwright-core").exists() && Path::new("/usr/bin/chromium").exists(),
        "the browser test needs tests/swagger-ui/node_modules and /usr/bin/chromium: run `make test` \
         (or `make swagger-ui-test-deps`)"
    );
    let server = TestServer::start();
    for user in ["alice", "bob"] {
        server.register(user, "secret").await;
    }
    let bodies = ["Hi Bob", "Lunch at noon? \u{1F96A}"];
    let alice = server.client_as("alice@localhost", "secret");
    for body in bodies {
        let sent = alice
            .send_message(MessageRequest::new("bob@localhost".into(), body.into()), None)
            .await
            .unwrap();
        assert!(matches!(sent, SendMessageResponse::MessageSent(_)), "{sent:?}");
    }

    let docs = format!("{}/api-docs", server.base_url("mongoose_client_api"));
    let mut command = Command::new("node");
    command
        .args(["--test", "--test-reporter=spec", "tests/swagger-ui/browser.test.mjs"])
        .current_dir(root)
        .env("MEERKAT_DOCS", docs)
        .env("MEERKAT_USER", "alice@localhost")
        .env("MEERKAT_PASSWORD", "secret")
        .env("MEERKAT_PEER", "bob@localhost")
        .env("MEERKAT_BODIES", serde_json::to_string(&bodies).unwrap());
    // Into files, so that a chatty failure never fills a pipe nobody reads until the end.
    let out = tempfile::tempdir().unwrap();
    let (stdout_path, stderr_path) = (out.path().join("stdout"), out.path().join("stderr"));
    command
        .stdout(Stdio::from(std::fs::File::create(&stdout_path).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&stderr_path).unwrap()));
    let status = tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("node runs (installed with npm by `make test`)");
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            if start.elapsed() > BROWSER_DEADLINE {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    })
    .await
    .unwrap();
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(
        status.is_some_and(|s| s.success()) && stdout.contains("ℹ pass 1") && stdout.contains("ℹ fail 0"),
        "{} (the browser test's deadline is {BROWSER_DEADLINE:?})\n{stdout}\n{stderr}",
        status.map_or("killed".to_owned(), |s| s.to_string()),
    );
}

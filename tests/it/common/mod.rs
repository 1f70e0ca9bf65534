//! Starts the real `meerkat` binary on ephemeral loopback ports with a temporary data
//! directory, and gives tests the generated REST clients pointed at it.

pub mod nats;
pub mod node_client;
pub mod peers;
pub mod postgres;
pub mod slix;
pub mod sse;
pub mod test_ca;
pub mod xmpp;
pub mod xmpp_client;

use meerkat_admin_api::ApiNoContext as _;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use swagger::{AuthData, ContextBuilder, EmptyContext, Push, XSpanIdString};

pub type ClientContext = swagger::make_context_ty!(ContextBuilder, EmptyContext, Option<AuthData>, XSpanIdString);

/// A client context carrying `auth`, as the generated clients expect.
pub fn context(auth: Option<AuthData>) -> ClientContext {
    swagger::make_context!(ContextBuilder, EmptyContext, auth, XSpanIdString::default())
}

pub const BIN: &str = env!("CARGO_BIN_EXE_meerkat");

/// Two plain-HTTP listeners on 127.0.0.1:0: the client API (allowing one CORS origin, a
/// 4 KiB body limit) and the admin API. `extra` is appended to the config.
pub fn default_config(data_dir: &Path, extra: &str) -> String {
    format!(
        r#"
[general]
hosts = ["localhost", "example.com"]
data_dir = "{data}"
http_server_name = "meerkat-test"

[auth]
scram_iterations = 4096
sync_interval_ms = 100

[[listen.http]]
port = 0
ip_address = "127.0.0.1"
max_body_size = 4096
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"
  allowed_origins = ["https://app.example"]
  [[listen.http.handlers.mongoose_websocket_handler]]
  path = "/ws-xmpp"

[[listen.http]]
port = 0
ip_address = "127.0.0.1"
max_body_size = 4096
  [[listen.http.handlers.mongoose_admin_api]]
  path = "/api"

[[listen.c2s]]
port = 0
ip_address = "127.0.0.1"
max_stanza_size = 8192

[[listen.c2s]]
port = 0
ip_address = "127.0.0.1"
tls.mode = "tls"
{extra}
"#,
        data = data_dir.display()
    )
}

/// With `MEERKAT_TEST_STORAGE=postgres`, `config` moved onto a fresh database of the
/// test process's private PostgreSQL (when it has a `[general]` table to say so in and
/// names no storage itself); otherwise `config` as it is (SQLite in the data directory).
pub fn on_chosen_storage(config: String) -> String {
    let postgres = std::env::var("MEERKAT_TEST_STORAGE").as_deref() == Ok("postgres") || cluster_size() > 1;
    if !postgres || !config.contains("[general]\n") || config.contains("\nstorage = ") {
        return config;
    }
    let url = postgres::shared().fresh_database().expect("a test database");
    format!(
        "{}\n[storage.postgres]\nurl = \"{url}\"\npool_size = 8\n",
        config.replacen("[general]\n", "[general]\nstorage = \"postgres\"\n", 1)
    )
}

pub struct TestServer {
    child: Child,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    pub dir: tempfile::TempDir,
    pub config_path: Option<PathBuf>,
    /// handler name (`mongoose_client_api`, …) → (address, scheme)
    pub listeners: HashMap<String, (SocketAddr, String)>,
    /// With `MEERKAT_TEST_CLUSTER=3`, the two other nodes of a cluster on the same
    /// config: [`TestServer::addr`] then names a different node each time it is asked.
    peers: Vec<Peer>,
    turn: std::sync::atomic::AtomicUsize,
}

/// Another node of a test server's cluster.
struct Peer {
    child: Child,
    listeners: Listeners,
}

/// Nodes per test server when `MEERKAT_TEST_CLUSTER` asks for a cluster (otherwise 1).
fn cluster_size() -> usize {
    std::env::var("MEERKAT_TEST_CLUSTER")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// The nats-server of this test process's clusters.
fn shared_nats() -> &'static nats::PrivateNats {
    static NATS: std::sync::OnceLock<nats::PrivateNats> = std::sync::OnceLock::new();
    NATS.get_or_init(nats::PrivateNats::start)
}

/// `config` (on PostgreSQL already) as node `i` of the cluster `name` (the servers of
/// one test process share a nats-server; each cluster has subjects of its own).
fn as_node(config: &str, name: &str, i: usize) -> String {
    format!(
        "{config}node_id = {i}\n\n[cluster]\nnats_url = \"{}\"\nnode = \"node{i}\"\nsubject_prefix = \"{name}\"\nheartbeat_ms = 100\npeer_timeout_ms = 1000\n",
        shared_nats().url()
    )
}

/// A cluster name unique on this machine.
fn cluster_name() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("test{}x{n}", std::process::id())
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_with(|dir| default_config(dir, ""))
    }

    /// Starts with the config `make_config(data_dir)` returns.
    pub fn start_with(make_config: impl FnOnce(&Path) -> String) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let config_path = dir.path().join("meerkat.toml");
        let given = make_config(&data);
        let config = on_chosen_storage(given.clone());
        // A cluster needs PostgreSQL: a config that chose its storage runs alone.
        let nodes = if config != given { cluster_size() } else { 1 };
        if nodes == 1 {
            std::fs::write(&config_path, config).expect("write config");
            return Self::spawn(dir, Some(config_path));
        }
        let name = cluster_name();
        std::fs::write(&config_path, as_node(&config, &name, 0)).expect("write config");
        let mut server = Self::spawn(dir, Some(config_path));
        for i in 1..nodes {
            // Same data directory: one certificate, one upload directory.
            let path = server.dir.path().join(format!("meerkat-node{i}.toml"));
            std::fs::write(&path, as_node(&config, &name, i)).expect("write config");
            let (child, _, listeners) = launch(server.dir.path(), Some(&path));
            server.peers.push(Peer { child, listeners });
        }
        // Heartbeats every 100 ms: the nodes know each other and their sessions.
        std::thread::sleep(Duration::from_millis(600));
        server
    }

    /// Starts with no config file at all, in a fresh working directory.
    pub fn start_without_config() -> Self {
        Self::spawn(tempfile::tempdir().expect("temp dir"), None)
    }

    fn spawn(dir: tempfile::TempDir, config_path: Option<PathBuf>) -> Self {
        let (child, stderr, listeners) = launch(dir.path(), config_path.as_deref());
        TestServer {
            child,
            stderr,
            dir,
            config_path,
            listeners,
            peers: Vec::new(),
            turn: Default::default(),
        }
    }

    pub fn addr(&self, handler: &str) -> SocketAddr {
        self.node_listeners()[handler].0
    }

    pub fn base_url(&self, handler: &str) -> String {
        let (addr, scheme) = &self.node_listeners()[handler];
        format!("{scheme}://{addr}")
    }

    /// The listeners of the next node in turn (always this one without a cluster).
    fn node_listeners(&self) -> &Listeners {
        if self.peers.is_empty() {
            return &self.listeners;
        }
        let i = self.turn.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % (self.peers.len() + 1);
        match i {
            0 => &self.listeners,
            _ => &self.peers[i - 1].listeners,
        }
    }

    /// The generated client API client, authenticated as `user`/`password`.
    pub fn client_as(&self, user: &str, password: &str) -> impl meerkat_client_api::ApiNoContext<ClientContext> {
        self.client_api(Some(AuthData::basic(user, password)))
    }

    /// The generated client API client, authenticated with a bearer token.
    pub fn client_with_token(&self, token: &str) -> impl meerkat_client_api::ApiNoContext<ClientContext> {
        self.client_api(Some(AuthData::Bearer(token.to_owned())))
    }

    /// The generated client API client sending no credentials at all.
    pub fn anonymous_client(&self) -> impl meerkat_client_api::ApiNoContext<ClientContext> {
        self.client_api(None)
    }

    fn client_api(&self, auth: Option<AuthData>) -> impl meerkat_client_api::ApiNoContext<ClientContext> {
        use meerkat_client_api::ContextWrapperExt;
        meerkat_client_api::Client::try_new_http(&self.base_url("mongoose_client_api"))
            .expect("client API client")
            .with_context(context(auth))
    }

    /// The generated admin API client (`auth`: Basic credentials, if the handler wants them).
    pub fn admin(&self, auth: Option<(&str, &str)>) -> impl meerkat_admin_api::ApiNoContext<ClientContext> {
        use meerkat_admin_api::ContextWrapperExt;
        meerkat_admin_api::Client::try_new_http(&self.base_url("mongoose_admin_api"))
            .expect("admin API client")
            .with_context(context(auth.map(|(u, p)| AuthData::basic(u, p))))
    }

    /// Registers `user@localhost` through the admin API.
    pub async fn register(&self, user: &str, password: &str) {
        let r = self
            .admin(None)
            .register_user(
                "localhost".into(),
                meerkat_admin_api::models::NewUser::new(user.into(), password.into()),
            )
            .await
            .expect("admin call");
        assert!(
            matches!(r, meerkat_admin_api::RegisterUserResponse::UserRegistered(_)),
            "{r:?}"
        );
    }

    /// Runs the binary with `args` against this server's config and data dir.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(BIN);
        match &self.config_path {
            Some(path) => command.env("MEERKAT_CONFIG", path),
            None => command.env_remove("MEERKAT_CONFIG"),
        };
        command
            .args(args)
            .env("RUST_LOG", "warn")
            .current_dir(self.dir.path())
            .output()
            .expect("run meerkat")
    }

    /// Kills the server (SIGKILL) and starts it again on the same config and data dir.
    pub fn restart(&mut self) {
        self.relaunch();
    }

    /// Sends the process the signal `name` (`STOP`, `CONT`, `TERM`, `KILL`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Stops the server with SIGTERM (a graceful shutdown) and waits for it to exit.
    pub fn stop_gracefully(&mut self) {
        self.signal("TERM");
        let _ = self.child.wait();
    }

    /// Starts the server again on the same config and data dir (after a stop or a
    /// `kill -9`); its listeners have new ports.
    pub fn relaunch(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, stderr, listeners) = launch(self.dir.path(), self.config_path.as_deref());
        self.child = child;
        self.stderr = stderr;
        self.listeners = listeners;
    }

    /// Stops the server and returns everything it logged.
    pub fn take_stderr_after_kill(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        self.stderr.lock().unwrap().clone()
    }

    /// The server's resident memory, in KiB (Linux `/proc`).
    pub fn rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

type Listeners = HashMap<String, (SocketAddr, String)>;

/// What precedes the server's start-up lines in its log (`meerkat::server::STARTUP`).
const STARTUP: &str = "meerkat::startup: ";

/// Starts the binary and waits for `meerkat ready` in its log.
fn launch(dir: &Path, config_path: Option<&Path>) -> (Child, std::sync::Arc<std::sync::Mutex<String>>, Listeners) {
    let mut command = Command::new(BIN);
    if let Some(path) = config_path {
        command.arg("--config").arg(path);
    }
    let mut child = command
        .env_remove("MEERKAT_CONFIG")
        .current_dir(dir)
        // MEERKAT_TEST_LOG=debug shows the server's log while a test runs.
        .env(
            "RUST_LOG",
            std::env::var("MEERKAT_TEST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn meerkat");
    // The log (standard error) is read continuously, so the server never blocks on a full
    // pipe: kept for the test's messages, and its start-up lines handed over until ready.
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let child_err = child.stderr.take().expect("piped stderr");
    let sink = stderr.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(child_err).lines().map_while(Result::ok) {
            if std::env::var_os("MEERKAT_TEST_LOG").is_some() {
                eprintln!("{line}");
            }
            {
                let mut sink = sink.lock().unwrap();
                sink.push_str(&line);
                sink.push('\n');
            }
            if let Some(startup) = line.split_once(STARTUP).map(|(_, rest)| rest.to_owned()) {
                if tx.as_ref().is_some_and(|tx| tx.send(startup).is_err()) {
                    tx = None;
                }
            }
        }
    });
    let mut listeners = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match rx.recv_timeout(left) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!("meerkat did not become ready; stderr:\n{}", stderr.lock().unwrap());
            }
        };
        if line == "meerkat ready" {
            break;
        }
        if let Some(rest) = line.strip_prefix("listening ") {
            let fields: HashMap<&str, &str> = rest.split(' ').filter_map(|kv| kv.split_once('=')).collect();
            let addr: SocketAddr = fields["addr"].parse().expect("addr");
            for h in fields.get("handlers").copied().unwrap_or("").split(',') {
                let name = h.split(':').next().unwrap_or_default().to_owned();
                listeners.insert(name, (addr, fields.get("scheme").copied().unwrap_or("tcp").to_owned()));
            }
        }
    }
    (child, stderr, listeners)
}

impl Drop for TestServer {
    fn drop(&mut self) {
        for p in &mut self.peers {
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw HTTP/1.1 exchange, for what the generated client cannot express (malformed
/// headers, CORS preflights) or does not expose (response headers).
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn raw_request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> RawResponse {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).expect("write");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    RawResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

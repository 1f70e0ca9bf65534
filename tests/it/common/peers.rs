//! Third-party XMPP servers for the federation tests: a private Prosody or ejabberd,
//! serving one domain (plus its MUC service at `conference.<domain>`) on free loopback
//! ports, with its configuration, data and logs in a temp dir. Nothing global is used or
//! changed: no system service, no /etc/hosts, no epmd.
//!
//! The tests' domains are in no DNS, so each peer's outgoing s2s connections are routed
//! to loopback ports ([`PeerOptions::routes`]): Prosody through a module of ours
//! (tests/interop/prosody/mod_test_s2s_routes.lua), ejabberd through a DNS responder of
//! ours that answers its SRV queries (see tests/interop/README.md).
//!
//! The peers come from Debian's `prosody` and `ejabberd` packages (`make interop-deps`).
//! As root (CI) they run as their packages' users, as the packages' own services would.
//! Each is killed, with every process it started, when its [`Peer`] is dropped (and by
//! a watchdog should the test process die first).

#![allow(dead_code)] // each user needs its own subset

use super::test_ca::{ServerCert, TestCa};
use super::xmpp::{Client, TestConnector, Transport};
use futures::StreamExt;
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_rustls::rustls;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::xmlstream::Timeouts;
use tokio_xmpp::Event;

/// How long a peer may take to accept connections on both its ports.
const START_DEADLINE: Duration = Duration::from_secs(30);
/// How long a command run against a peer (registering an account) may take.
const COMMAND_DEADLINE: Duration = Duration::from_secs(30);
/// How long asking ejabberd whether it has started may take.
const PROBE_DEADLINE: Duration = Duration::from_secs(10);
/// Lines of each log file [`Peer::log`] shows.
const LOG_TAIL_LINES: usize = 400;

/// Set, the peers' directories (configs, logs) stay after the test, for a look at a
/// failure: `MEERKAT_KEEP_PEER_DIRS=1 cargo test --test it federation_peers`.
const KEEP_DIRS: &str = "MEERKAT_KEEP_PEER_DIRS";

const PROSODY_ROUTES_MODULE: &str = include_str!("../../interop/prosody/mod_test_s2s_routes.lua");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerKind {
    Prosody,
    Ejabberd,
}

impl PeerKind {
    /// The system user the package runs its server as.
    fn user(self) -> &'static str {
        match self {
            PeerKind::Prosody => "prosody",
            PeerKind::Ejabberd => "ejabberd",
        }
    }
}

impl fmt::Display for PeerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PeerKind::Prosody => "Prosody",
            PeerKind::Ejabberd => "ejabberd",
        })
    }
}

/// How a peer's s2s links are secured.
#[derive(Clone, Debug)]
pub enum PeerTls {
    /// STARTTLS with a certificate from `ca`, which the peer also trusts; it accepts only
    /// authenticated links: the remote's certificate must verify against `ca` and name
    /// its domain (SASL EXTERNAL, or dialback on top of a verified certificate).
    Verified { ca: PathBuf, cert: PathBuf, key: PathBuf },
    /// STARTTLS with a certificate no one verifies, and dialback (XEP-0220) to
    /// authenticate either way.
    Unverified { cert: PathBuf, key: PathBuf },
}

impl PeerTls {
    /// A certificate for `domain` from `ca`, and `ca` itself, written into `dir`.
    pub fn verified(ca: &TestCa, domain: &str, dir: &Path) -> Result<PeerTls, PeerError> {
        let (cert, key) = write_cert(&ca.issue(domain)?, dir, domain)?;
        let ca = ca
            .write_cert(dir)
            .map_err(PeerError::io("writing the CA certificate"))?;
        Ok(PeerTls::Verified { ca, cert, key })
    }

    /// A self-signed certificate for `domain` written into `dir`.
    pub fn unverified(domain: &str, dir: &Path) -> Result<PeerTls, PeerError> {
        let (cert, key) = write_cert(&TestCa::untrusted(domain)?, dir, domain)?;
        Ok(PeerTls::Unverified { cert, key })
    }

    fn cert_and_key(&self) -> (&Path, &Path) {
        match self {
            PeerTls::Verified { cert, key, .. } | PeerTls::Unverified { cert, key } => (cert, key),
        }
    }
}

fn write_cert(cert: &ServerCert, dir: &Path, domain: &str) -> Result<(PathBuf, PathBuf), PeerError> {
    cert.write(dir, domain)
        .map_err(PeerError::io("writing a server certificate"))
}

#[derive(Clone, Debug)]
pub struct PeerOptions {
    pub domain: String,
    pub tls: PeerTls,
    /// Where outgoing s2s connections go: a remote domain, and every name under it
    /// (`conference.<domain>`, `upload.<domain>`, ...), to this port on 127.0.0.1. Each
    /// server the peer talks to must be here, even one that only connects to the peer:
    /// dialback connects back to the sender's domain to verify it.
    pub routes: Vec<(String, u16)>,
    /// The s2s port, when the test must know it before the peer starts (two servers
    /// routing to each other); a free one otherwise.
    pub s2s_port: Option<u16>,
}

impl PeerOptions {
    pub fn new(domain: &str, tls: PeerTls) -> PeerOptions {
        PeerOptions {
            domain: domain.to_owned(),
            tls,
            routes: Vec::new(),
            s2s_port: None,
        }
    }

    /// Routes `domain` (and its subdomains) to `port` on 127.0.0.1.
    pub fn route(mut self, domain: &str, port: u16) -> PeerOptions {
        self.routes.push((domain.to_owned(), port));
        self
    }

    pub fn s2s_port(mut self, port: u16) -> PeerOptions {
        self.s2s_port = Some(port);
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("making a test certificate: {0}")]
    Certificate(#[from] openssl::error::ErrorStack),
    #[error("{what} failed ({status}):\n{output}")]
    Command {
        what: String,
        status: String,
        output: String,
    },
    #[error("{what} did not finish within {} s", .deadline.as_secs())]
    CommandTimeout { what: String, deadline: Duration },
    #[error("{kind} client {jid}: {reason}\n{log}")]
    Client {
        kind: PeerKind,
        jid: String,
        reason: String,
        log: String,
    },
    #[error("{kind} for {domain} did not start: {reason}\n{log}")]
    NotReady {
        kind: PeerKind,
        domain: String,
        reason: String,
        log: String,
    },
}

impl PeerError {
    fn io(what: &'static str) -> impl FnOnce(io::Error) -> PeerError {
        move |source| PeerError::Io { what, source }
    }
}

/// A loopback port nobody listens on right now, never handed out twice: tests start
/// peers in parallel, and a port picked for one and not yet bound must not be picked for
/// another.
pub use super::postgres::free_port;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// `program` run as `user` when we are root (the servers' packages expect their own
/// users, and Prosody refuses root), as ourselves otherwise. setpriv execs the program,
/// so the child is the program itself.
fn command_as(user: &str, program: &str) -> Command {
    if is_root() {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid", user, "--regid", user, "--init-groups", "--"])
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Runs `command` to completion within `deadline`; its output when it succeeds.
fn run(what: String, mut command: Command, deadline: Duration) -> Result<Output, PeerError> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|source| PeerError::Command {
            what: what.clone(),
            status: "not started".into(),
            output: source.to_string(),
        })?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                kill_group(child.id());
                let _ = child.wait();
                return Err(PeerError::CommandTimeout { what, deadline });
            }
        }
    }
    let output = child.wait_with_output().map_err(|source| PeerError::Command {
        what: what.clone(),
        status: "lost".into(),
        output: source.to_string(),
    })?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(PeerError::Command {
            what,
            status: output.status.to_string(),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }
}

/// SIGKILL to every process of the group `pgid` (a child we started as its own group).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A shell that kills the group `pgid` once this test process is gone, whatever ended
/// it, and removes the peer's directory `dir` (when there is one to remove). Its own
/// process group, killed when the peer is dropped normally.
fn watchdog(pgid: u32, dir: Option<&Path>) -> Result<Child, PeerError> {
    let remove = dir.map_or(String::new(), |dir| format!("; rm -rf '{}'", dir.display()));
    let script = format!(
        "while kill -0 {test} 2>/dev/null; do sleep 0.5; done; kill -s KILL -- -{pgid} 2>/dev/null{remove}",
        test = std::process::id()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(PeerError::io("starting the peer's watchdog"))
}

/// A Lua or YAML double-quoted string holding `s` (paths and domains: no control
/// characters, so escaping the backslash and the quote is enough for both).
fn quoted(s: impl AsRef<str>) -> String {
    format!("\"{}\"", s.as_ref().replace('\\', "\\\\").replace('"', "\\\""))
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The route of `name`: its own, or that of the nearest parent domain that has one.
fn route_of(routes: &[(String, u16)], name: &str) -> Option<u16> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let mut candidate = name.as_str();
    loop {
        if let Some((_, port)) = routes.iter().find(|(d, _)| d.eq_ignore_ascii_case(candidate)) {
            return Some(*port);
        }
        candidate = candidate.split_once('.')?.1;
    }
}

/// A running third-party server; killed on drop.
pub struct Peer {
    pub kind: PeerKind,
    pub domain: String,
    pub c2s_port: u16,
    pub s2s_port: u16,
    dir: tempfile::TempDir,
    process: Child,
    watchdog: Child,
    /// ejabberd's: the name of the Erlang node that `ejabberdctl` talks to.
    node: Option<String>,
    /// ejabberd's: the DNS responder its SRV lookups go to.
    dns: Option<dns::Responder>,
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} for {} (c2s {}, s2s {}, in {})",
            self.kind,
            self.domain,
            self.c2s_port,
            self.s2s_port,
            self.dir.path().display()
        )
    }
}

impl Peer {
    /// Starts a `kind` server for `opts`; returns once it accepts connections on both
    /// its c2s and s2s ports, or with its log when it does not within 30 s.
    pub fn start(kind: PeerKind, opts: PeerOptions) -> Result<Peer, PeerError> {
        let mut dir = tempfile::Builder::new()
            .prefix(&format!("meerkat-{}-", kind.user()))
            .tempdir()
            .map_err(PeerError::io("creating the peer's directory"))?;
        let kept = std::env::var_os(KEEP_DIRS).is_some();
        if kept {
            dir.disable_cleanup(true);
            eprintln!("{kind} for {}: {} (kept)", opts.domain, dir.path().display());
        }
        let c2s_port = free_port();
        let s2s_port = opts.s2s_port.unwrap_or_else(free_port);
        let tls_dir = dir.path().join("tls");
        std::fs::create_dir(&tls_dir).map_err(PeerError::io("creating the peer's tls directory"))?;
        let (cert, key) = opts.tls.cert_and_key();
        // Copied in: the peer's user may not read the test's own files.
        let copy = |from: &Path, name: &str| -> Result<PathBuf, PeerError> {
            let to = tls_dir.join(name);
            std::fs::copy(from, &to).map_err(PeerError::io("copying a certificate"))?;
            Ok(to)
        };
        let tls = match &opts.tls {
            PeerTls::Verified { ca, .. } => PeerTls::Verified {
                ca: copy(ca, "ca.pem")?,
                cert: copy(cert, &format!("{}.crt", opts.domain))?,
                key: copy(key, &format!("{}.key", opts.domain))?,
            },
            PeerTls::Unverified { .. } => PeerTls::Unverified {
                cert: copy(cert, &format!("{}.crt", opts.domain))?,
                key: copy(key, &format!("{}.key", opts.domain))?,
            },
        };
        let opts = PeerOptions { tls, ..opts };
        let (dns, node, command) = match kind {
            PeerKind::Prosody => (None, None, prosody::prepare(dir.path(), &opts, c2s_port, s2s_port)?),
            PeerKind::Ejabberd => {
                let dns = dns::Responder::start(opts.routes.clone(), dir.path().join("dns.log"))
                    .map_err(PeerError::io("starting the DNS responder"))?;
                let (node, command) = ejabberd::prepare(dir.path(), &opts, c2s_port, s2s_port, dns.port())?;
                (Some(dns), Some(node), command)
            }
        };
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", &format!("{0}:{0}", kind.user())])
                .arg(dir.path())
                .status()
                .map_err(PeerError::io("running chown"))?;
            if !status.success() {
                return Err(PeerError::Command {
                    what: format!("chown of {} to {}", dir.path().display(), kind.user()),
                    status: status.to_string(),
                    output: String::new(),
                });
            }
        }
        let process = spawn(kind, &opts.domain, command, dir.path())?;
        let watchdog = match watchdog(process.id(), (!kept).then_some(dir.path())) {
            Ok(w) => w,
            Err(e) => {
                kill_group(process.id());
                return Err(e);
            }
        };
        let mut peer = Peer {
            kind,
            domain: opts.domain,
            c2s_port,
            s2s_port,
            dir,
            process,
            watchdog,
            node,
            dns,
        };
        peer.wait_until_ready()?;
        Ok(peer)
    }

    fn wait_until_ready(&mut self) -> Result<(), PeerError> {
        let started = Instant::now();
        // Each port is tried until it accepts once: every try is a connection in the log.
        let mut waiting_for = vec![("c2s", self.c2s_port), ("s2s", self.s2s_port)];
        loop {
            waiting_for.retain(|(_, port)| {
                let addr = SocketAddr::from(([127, 0, 0, 1], *port));
                TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err()
            });
            if waiting_for.is_empty() && self.answers_its_admin_tool() {
                return Ok(());
            }
            let reason = match self.process.try_wait() {
                Ok(Some(status)) => Some(format!("it exited ({status})")),
                Err(e) => Some(format!("it is lost: {e}")),
                Ok(None) if started.elapsed() > START_DEADLINE => Some(match waiting_for.as_slice() {
                    [] => format!("ejabberdctl found no started node in {} s", START_DEADLINE.as_secs()),
                    ports => format!(
                        "not accepting connections after {} s on {}",
                        START_DEADLINE.as_secs(),
                        ports
                            .iter()
                            .map(|(what, port)| format!("{port} ({what})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
                Ok(None) => None,
            };
            if let Some(reason) = reason {
                return Err(PeerError::NotReady {
                    kind: self.kind,
                    domain: self.domain.clone(),
                    reason,
                    log: self.log(),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Whether `ejabberdctl` reaches the ejabberd node and finds it started (it
    /// registers the accounts); Prosody's prosodyctl works on the data directory alone.
    fn answers_its_admin_tool(&self) -> bool {
        match (&self.kind, &self.node) {
            (PeerKind::Ejabberd, Some(node)) => {
                let status = ejabberd::ctl(self.dir.path(), node, &["status"]);
                run("ejabberdctl status".into(), status, PROBE_DEADLINE).is_ok()
            }
            _ => true,
        }
    }

    /// Creates the account `user@domain` (the servers' own admin tools; no in-band
    /// registration is enabled).
    pub fn register(&self, user: &str, password: &str) -> Result<(), PeerError> {
        let what = format!("registering {user}@{} on {}", self.domain, self.kind);
        let command = match self.kind {
            PeerKind::Prosody => prosody::register(self.dir.path(), &self.domain, user, password),
            PeerKind::Ejabberd => {
                let node = self.node.as_deref().unwrap_or_default();
                ejabberd::ctl(self.dir.path(), node, &["register", user, &self.domain, password])
            }
        };
        run(what, command, COMMAND_DEADLINE).map(drop)
    }

    /// `user@domain`.
    pub fn jid(&self, user: &str) -> String {
        format!("{user}@{}", self.domain)
    }

    /// The peer's MUC service.
    pub fn muc_domain(&self) -> String {
        format!("conference.{}", self.domain)
    }

    pub fn c2s_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.c2s_port))
    }

    pub fn s2s_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.s2s_port))
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The peer's log files. ejabberd's own (logs/ejabberd.log) is written with a delay
    /// and loses its tail when the node is killed; its console has the same lines at once.
    fn log_files(&self) -> &'static [&'static str] {
        match self.kind {
            PeerKind::Prosody => &["prosody.log", "console.log"],
            PeerKind::Ejabberd => &["console.log", "dns.log"],
        }
    }

    /// The end of each of the peer's logs (Prosody's own and its console, ejabberd's
    /// console and the DNS questions it asked), for failure messages.
    pub fn log(&self) -> String {
        let mut out = String::new();
        for name in self.log_files() {
            let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            out.push_str(&format!(
                "----- {} {name} (last {LOG_TAIL_LINES} lines) -----\n{}\n",
                self.kind,
                tail(&text, LOG_TAIL_LINES)
            ));
        }
        out
    }

    /// Whether any of the peer's logs has `needle` within `wait` (both log at debug
    /// level, every element sent and received in full).
    pub async fn logged(&self, needle: &str, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        loop {
            let found = self.log_files().iter().any(|name| {
                std::fs::read_to_string(self.dir.path().join(name)).is_ok_and(|text| text.contains(needle))
            });
            if found || Instant::now() > deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A connector for a test client: plain TCP to the c2s port (the peers allow PLAIN
    /// and SCRAM without TLS, so no trust is needed).
    pub fn connector(&self) -> TestConnector {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|b| {
                b.with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth()
            })
            .expect("ring supports the default TLS versions");
        TestConnector {
            addr: self.c2s_addr(),
            transport: Transport::PlainTcp,
            tls: Arc::new(tls),
        }
    }

    /// Logs `user` in with the tests' XMPP client; its bound JID once online (15 s at
    /// most).
    pub async fn online(&self, user: &str, password: &str) -> Result<(Client, Jid), PeerError> {
        let failed = |reason: String| PeerError::Client {
            kind: self.kind,
            jid: self.jid(user),
            reason,
            log: self.log(),
        };
        let jid: Jid = self.jid(user).parse().map_err(|e| failed(format!("{e}")))?;
        let mut client = Client::new_with_connector(jid, password, self.connector(), Timeouts::tight());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            match tokio::time::timeout_at(deadline, client.next()).await {
                Ok(Some(Event::Online { bound_jid, .. })) => return Ok((client, bound_jid)),
                Ok(Some(_)) => continue,
                Ok(None) => return Err(failed("the server closed the stream".into())),
                Err(_) => return Err(failed("not online within 15 s".into())),
            }
        }
    }
}

/// Starts `command` as its own process group, its console output in `dir/console.log`.
fn spawn(kind: PeerKind, domain: &str, mut command: Command, dir: &Path) -> Result<Child, PeerError> {
    let console = std::fs::File::create(dir.join("console.log")).map_err(PeerError::io("creating console.log"))?;
    let console_err = console.try_clone().map_err(PeerError::io("opening console.log"))?;
    command
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(console)
        .stderr(console_err)
        .process_group(0)
        .spawn()
        .map_err(|e| PeerError::NotReady {
            kind,
            domain: domain.to_owned(),
            reason: format!("could not run it ({e}); `make interop-deps` installs it"),
            log: String::new(),
        })
}

impl Drop for Peer {
    fn drop(&mut self) {
        kill_group(self.process.id());
        let _ = self.process.wait();
        // Its group: the shell and the `sleep` it waits in.
        kill_group(self.watchdog.id());
        let _ = self.watchdog.wait();
    }
}

/// Prosody 0.12: one config file, internal storage under `data/`, the certificate in
/// `certs/` where its certificate manager finds it for the domain and its subdomains.
mod prosody {
    use super::{command_as, path_str, quoted, PeerError, PeerOptions, PeerTls, PROSODY_ROUTES_MODULE};
    use std::path::Path;
    use std::process::Command;

    fn config_path(dir: &Path) -> String {
        path_str(&dir.join("prosody.cfg.lua"))
    }

    pub(super) fn prepare(dir: &Path, opts: &PeerOptions, c2s: u16, s2s: u16) -> Result<Command, PeerError> {
        for sub in ["data", "modules", "certs"] {
            std::fs::create_dir(dir.join(sub)).map_err(PeerError::io("creating Prosody's directories"))?;
        }
        std::fs::write(dir.join("modules/mod_test_s2s_routes.lua"), PROSODY_ROUTES_MODULE)
            .map_err(PeerError::io("writing Prosody's route module"))?;
        let (cert, key) = opts.tls.cert_and_key();
        // `<domain>.crt`/`.key` in `certificates`: used for the domain and for
        // conference.<domain> (the certificate names *.<domain> too).
        let certs = dir.join("certs");
        for (from, ext) in [(cert, "crt"), (key, "key")] {
            std::fs::copy(from, certs.join(format!("{}.{ext}", opts.domain)))
                .map_err(PeerError::io("copying Prosody's certificate"))?;
        }
        let (secure_auth, ssl) = match &opts.tls {
            PeerTls::Verified { ca, .. } => ("true", format!("ssl = {{ cafile = {} }}", quoted(path_str(ca)))),
            PeerTls::Unverified { .. } => ("false", String::new()),
        };
        let routes: String = opts
            .routes
            .iter()
            .map(|(domain, port)| format!("  [{}] = {{ \"127.0.0.1\", {port} }};\n", quoted(domain)))
            .collect();
        let config = format!(
            r#"-- A test peer; written by tests/it/common/peers.rs.
pidfile = {pidfile}
data_path = {data}
plugin_paths = {{ {modules} }}
certificates = {certs}
log = {{ {{ levels = {{ min = "debug" }}, to = "file", filename = {log} }} }}

c2s_ports = {{ {c2s} }}
c2s_interfaces = {{ "127.0.0.1" }}
s2s_ports = {{ {s2s} }}
s2s_interfaces = {{ "127.0.0.1" }}
c2s_direct_tls_ports = {{}}
s2s_direct_tls_ports = {{}}
component_ports = {{}}
http_ports = {{}}
https_ports = {{}}

-- Test clients log in over plain TCP.
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
storage = "internal"

s2s_require_encryption = true
s2s_secure_auth = {secure_auth}
-- A link not up (connected and authenticated) in this many seconds is dropped and its
-- stanzas bounced: 90 by default, longer than a test waits.
s2s_timeout = 20
{ssl}

modules_enabled = {{
  "roster"; "saslauth"; "tls"; "dialback"; "disco"; "carbons"; "pep"; "private";
  "blocklist"; "version"; "uptime"; "time"; "ping"; "mam"; "test_s2s_routes";
  -- Every element sent and received, in full, in the debug log.
  "stanza_debug";
}}
test_s2s_routes = {{
{routes}}}

VirtualHost {domain}

Component {muc} "muc"
  modules_enabled = {{ "muc_mam" }}
"#,
            pidfile = quoted(path_str(&dir.join("data/prosody.pid"))),
            data = quoted(path_str(&dir.join("data"))),
            modules = quoted(path_str(&dir.join("modules"))),
            certs = quoted(path_str(&certs)),
            log = quoted(path_str(&dir.join("prosody.log"))),
            domain = quoted(&opts.domain),
            muc = quoted(format!("conference.{}", opts.domain)),
        );
        std::fs::write(dir.join("prosody.cfg.lua"), config).map_err(PeerError::io("writing prosody.cfg.lua"))?;
        let mut command = command_as("prosody", "prosody");
        command.args(["--config", &config_path(dir), "-F"]);
        Ok(command)
    }

    /// prosodyctl writes the account into the data directory itself, server running or not.
    pub(super) fn register(dir: &Path, domain: &str, user: &str, password: &str) -> Command {
        let mut command = command_as("prosody", "prosodyctl");
        command
            .args(["--config", &config_path(dir), "register", user, domain, password])
            .current_dir(dir);
        command
    }
}

/// ejabberd 23.01, started through the package's `ejabberdctl` with our own config dir:
/// the node's Erlang distribution listens on a port of its own (`ERL_DIST_PORT`, no
/// epmd) on loopback with a cookie of its own, and its resolver asks only our DNS
/// responder (`inetrc`).
mod ejabberd {
    use super::{command_as, free_port, path_str, quoted, PeerError, PeerOptions, PeerTls};
    use std::path::Path;
    use std::process::Command;

    pub(super) fn prepare(
        dir: &Path,
        opts: &PeerOptions,
        c2s: u16,
        s2s: u16,
        dns_port: u16,
    ) -> Result<(String, Command), PeerError> {
        for sub in ["spool", "logs"] {
            std::fs::create_dir(dir.join(sub)).map_err(PeerError::io("creating ejabberd's directories"))?;
        }
        let io = PeerError::io;
        // One file with the certificate and its key: ejabberd pairs them by itself.
        let (cert, key) = opts.tls.cert_and_key();
        let pem = format!(
            "{}{}",
            std::fs::read_to_string(cert).map_err(io("reading the certificate"))?,
            std::fs::read_to_string(key).map_err(io("reading the key"))?
        );
        let certfile = dir.join("tls/server.pem");
        std::fs::write(&certfile, pem).map_err(io("writing ejabberd's certificate"))?;
        // Verified: the CA for the certificates we check (ca_file, also what ejabberd
        // checks its own certificate against) and no dialback module, so an outgoing
        // link verifies the remote's certificate and an incoming one is offered SASL
        // EXTERNAL only. Unverified: mod_s2s_dialback, which also turns off the
        // certificate check of outgoing links.
        let (trust, dialback) = match &opts.tls {
            PeerTls::Verified { ca, .. } => (format!("ca_file: {0}\ns2s_cafile: {0}\n", quoted(path_str(ca))), ""),
            PeerTls::Unverified { .. } => (String::new(), "  mod_s2s_dialback: {}\n"),
        };
        let config = format!(
            r#"# A test peer; written by tests/it/common/peers.rs.
hosts:
  - {domain}
loglevel: debug
hide_sensitive_log_data: false
certfiles:
  - {certfile}
{trust}
s2s_use_starttls: required
# Only our DNS responder is asked (inetrc); it answers at once, but nothing waits long.
s2s_dns_timeout: 2
s2s_dns_retries: 1
outgoing_s2s_families:
  - ipv4
outgoing_s2s_timeout: 10
# After a failed connection ejabberd bounces stanzas to that domain for a random delay
# up to this many seconds (300 by default).
s2s_max_retry_delay: 1

listen:
  -
    port: {c2s}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    # Offered, not required: test clients log in over plain TCP.
    starttls: true
    max_stanza_size: 262144
    shaper: none
    access: c2s
  -
    port: {s2s}
    ip: "127.0.0.1"
    module: ejabberd_s2s_in
    max_stanza_size: 524288

auth_method: internal
shaper_rules:
  c2s_shaper: none
  s2s_shaper: none
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  muc_create:
    allow: all

modules:
  mod_caps: {{}}
  mod_carboncopy: {{}}
  mod_disco: {{}}
  mod_mam:
    default: always
  mod_muc:
    access_create: muc_create
    default_room_options:
      mam: true
  mod_offline: {{}}
  mod_ping: {{}}
  mod_pubsub: {{}}
  mod_roster: {{}}
  mod_version: {{}}
{dialback}"#,
            domain = quoted(&opts.domain),
            certfile = quoted(path_str(&certfile)),
        );
        std::fs::write(dir.join("ejabberd.yml"), config).map_err(io("writing ejabberd.yml"))?;
        let cookie: String = (0..24).map(|_| char::from(b'a' + rand::random::<u8>() % 26)).collect();
        let ctl_cfg = format!(
            "# Read by ejabberdctl (a shell script); written by tests/it/common/peers.rs.\n\
             ERL_DIST_PORT={dist}\n\
             INET_DIST_INTERFACE=127.0.0.1\n\
             ERL_OPTIONS=\"-setcookie {cookie} -env ERL_CRASH_DUMP_BYTES 0\"\n",
            dist = free_port()
        );
        std::fs::write(dir.join("ejabberdctl.cfg"), ctl_cfg).map_err(io("writing ejabberdctl.cfg"))?;
        // Read by the Erlang resolver (ejabberdctl points ERL_INETRC at the config dir):
        // no /etc/resolv.conf, only our responder. resolv_conf first: setting it clears
        // the name servers given before it.
        let inetrc = format!("{{resolv_conf, \"\"}}.\n{{nameserver, {{127,0,0,1}}, {dns_port}}}.\n");
        std::fs::write(dir.join("inetrc"), inetrc).map_err(io("writing inetrc"))?;
        // Unique on this machine: the test process and a port only one of its peers has.
        let node = format!("meerkat-peer-{}-{s2s}@localhost", std::process::id());
        let command = ctl(dir, &node, &["foreground"]);
        Ok((node, command))
    }

    /// `ejabberdctl` with the peer's config dir, logs, spool and node name. HOME is the
    /// peer's dir: Erlang would otherwise look for a cookie file in the user's home.
    pub(super) fn ctl(dir: &Path, node: &str, args: &[&str]) -> Command {
        let mut command = command_as("ejabberd", "/usr/sbin/ejabberdctl");
        command
            .arg("--config-dir")
            .arg(dir)
            .arg("--logs")
            .arg(dir.join("logs"))
            .arg("--spool")
            .arg(dir.join("spool"))
            .args(["--node", node])
            .args(args)
            .env("HOME", dir)
            .current_dir(dir);
        command
    }
}

/// The DNS responder of an ejabberd peer: answers SRV questions for
/// `_xmpp-server._tcp.<name>` with 127.0.0.1 and the port of `name`'s route, every other
/// question with NXDOMAIN at once (ejabberd then gives up on the name, where a real
/// resolver on a closed network would make it wait for timeouts).
mod dns {
    use super::route_of;
    use std::io::{self, Write as _};
    use std::net::UdpSocket;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::thread::JoinHandle;
    use std::time::Duration;

    const SRV: u16 = 33;
    const CLASS_IN: u16 = 1;
    const NXDOMAIN: u16 = 3;
    const SERVICE: &str = "_xmpp-server._tcp.";

    pub(super) struct Responder {
        port: u16,
        stop: Arc<AtomicBool>,
        thread: Option<JoinHandle<()>>,
    }

    impl Responder {
        /// Starts answering on a free UDP port of 127.0.0.1; each question and its answer
        /// go to `log`.
        pub(super) fn start(routes: Vec<(String, u16)>, log: PathBuf) -> io::Result<Responder> {
            let socket = UdpSocket::bind("127.0.0.1:0")?;
            // Short, so that the thread sees `stop` soon after the peer is dropped.
            socket.set_read_timeout(Some(Duration::from_millis(200)))?;
            let port = socket.local_addr()?.port();
            let mut log = std::fs::File::create(log)?;
            let stop = Arc::new(AtomicBool::new(false));
            let stopped = stop.clone();
            let thread = std::thread::Builder::new()
                .name(format!("peer-dns-{port}"))
                .spawn(move || {
                    let mut buf = [0u8; 512];
                    while !stopped.load(Ordering::Relaxed) {
                        let Ok((len, from)) = socket.recv_from(&mut buf) else {
                            continue;
                        };
                        if let Some((reply, note)) = answer(&buf[..len], &routes) {
                            let _ = writeln!(log, "{note}");
                            let _ = socket.send_to(&reply, from);
                        }
                    }
                })?;
            Ok(Responder {
                port,
                stop,
                thread: Some(thread),
            })
        }

        pub(super) fn port(&self) -> u16 {
            self.port
        }
    }

    impl Drop for Responder {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Relaxed);
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }

    fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
        Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
    }

    /// The reply to `query` and a line for the log; `None` for what is no question.
    fn answer(query: &[u8], routes: &[(String, u16)]) -> Option<(Vec<u8>, String)> {
        let flags = u16_at(query, 2)?;
        if flags & 0x8000 != 0 || u16_at(query, 4)? != 1 {
            return None;
        }
        // The question: labels up to the root, then type and class.
        let mut at = 12;
        let mut labels = Vec::new();
        loop {
            let len = usize::from(*query.get(at)?);
            if len == 0 {
                break;
            }
            if len > 63 {
                return None;
            }
            labels.push(String::from_utf8_lossy(query.get(at + 1..at + 1 + len)?).to_ascii_lowercase());
            at += 1 + len;
        }
        let name = labels.join(".");
        let qtype = u16_at(query, at + 1)?;
        let qclass = u16_at(query, at + 3)?;
        let question = &query[12..at + 5];
        let port = match name.strip_prefix(SERVICE) {
            Some(domain) if qtype == SRV && qclass == CLASS_IN => route_of(routes, domain),
            _ => None,
        };
        // Response, authoritative, recursion available; opcode and RD as asked.
        let mut flags = 0x8000 | (flags & 0x7900) | 0x0400 | 0x0080;
        if port.is_none() {
            flags |= NXDOMAIN;
        }
        let mut reply = Vec::with_capacity(128);
        reply.extend_from_slice(&query[0..2]);
        reply.extend_from_slice(&flags.to_be_bytes());
        reply.extend_from_slice(&1u16.to_be_bytes());
        reply.extend_from_slice(&u16::from(port.is_some()).to_be_bytes());
        reply.extend_from_slice(&[0, 0, 0, 0]);
        reply.extend_from_slice(question);
        let note = match port {
            None => format!("{name} type {qtype}: NXDOMAIN"),
            Some(port) => {
                // Target "127.0.0.1": the address itself, which getaddrinfo takes as it is.
                let mut rdata = Vec::new();
                rdata.extend_from_slice(&[0, 0, 0, 0]); // priority, weight
                rdata.extend_from_slice(&port.to_be_bytes());
                for label in ["127", "0", "0", "1"] {
                    rdata.push(label.len() as u8);
                    rdata.extend_from_slice(label.as_bytes());
                }
                rdata.push(0);
                reply.extend_from_slice(&[0xc0, 0x0c]); // the question's name
                reply.extend_from_slice(&SRV.to_be_bytes());
                reply.extend_from_slice(&CLASS_IN.to_be_bytes());
                reply.extend_from_slice(&0u32.to_be_bytes()); // TTL 0: never cached
                reply.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
                reply.extend_from_slice(&rdata);
                format!("{name} SRV: 127.0.0.1 port {port}")
            }
        };
        Some((reply, note))
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn srv_questions_for_routed_domains_and_their_subdomains_get_the_route() {
            let routes = vec![("meerkat.test".to_owned(), 5999)];
            let query = |name: &str, qtype: u16| {
                let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
                for label in name.split('.') {
                    q.push(label.len() as u8);
                    q.extend_from_slice(label.as_bytes());
                }
                q.push(0);
                q.extend_from_slice(&qtype.to_be_bytes());
                q.extend_from_slice(&1u16.to_be_bytes());
                q
            };
            for name in [
                "_xmpp-server._tcp.meerkat.test",
                "_xmpp-server._tcp.conference.Meerkat.Test",
            ] {
                let (reply, note) = super::answer(&query(name, super::SRV), &routes).expect("an answer");
                assert_eq!(&reply[0..2], &[0x12, 0x34]);
                assert_eq!(reply[3] & 0x0f, 0, "{note}");
                assert_eq!(&reply[6..8], &[0, 1], "one answer");
                assert!(note.ends_with("port 5999"), "{note}");
            }
            for (name, qtype) in [
                ("_xmpp-server._tcp.elsewhere.test", super::SRV),
                ("_xmpps-server._tcp.meerkat.test", super::SRV),
                ("meerkat.test", 1),
                ("_xmpp-server._tcp.notmeerkat.test", super::SRV),
            ] {
                let (reply, note) = super::answer(&query(name, qtype), &routes).expect("an answer");
                assert_eq!(reply[3] & 0x0f, super::NXDOMAIN as u8, "{note}");
                assert_eq!(&reply[6..8], &[0, 0], "no answer");
            }
        }
    }
}

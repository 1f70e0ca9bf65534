//! A JavaScript XMPP client library driven from a test: `node client.mjs <args>` in the
//! library's directory under tests/ (xmpp.js over WebSocket, Strophe.js over BOSH), told
//! what to do in JSON lines on its stdin and reporting what happens in JSON lines on its
//! stdout. The process is killed when the value is dropped.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One of the client programs: where it lives and what it needs installed.
pub struct Library {
    /// The directory under tests/ holding `client.mjs` and its `package.json`.
    pub dir: &'static str,
    /// A package in its node_modules that shows `npm ci` ran.
    pub package: &'static str,
    /// The library's name, for messages.
    pub name: &'static str,
    /// The transport it speaks, for messages.
    pub transport: &'static str,
}

/// xmpp.js (`@xmpp/client`), over WebSocket (tests/ws-client/client.mjs).
pub const XMPP_JS: Library = Library {
    dir: "ws-client",
    package: "@xmpp/client",
    name: "xmpp.js",
    transport: "WebSocket",
};

/// Strophe.js, its Node build, over BOSH (tests/bosh-client/client.mjs).
pub const STROPHE_JS: Library = Library {
    dir: "bosh-client",
    package: "strophe.js",
    name: "Strophe.js",
    transport: "BOSH",
};

/// One client process.
pub struct NodeClient {
    child: Child,
    stdin: ChildStdin,
    events: mpsc::Receiver<Value>,
    transport: &'static str,
}

impl NodeClient {
    /// Starts `library`'s client with `args` (what its `client.mjs` takes).
    pub fn start(library: &Library, args: &[&str]) -> Self {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join(library.dir);
        assert!(
            dir.join("node_modules").join(library.package).exists(),
            "{} is not installed: run `make test` (or `npm ci` in tests/{})",
            library.name,
            library.dir
        );
        let mut child = Command::new("node")
            .arg("client.mjs")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node is installed");
        let stdout = child.stdout.take().unwrap();
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        NodeClient {
            child,
            stdin,
            events,
            transport: library.transport,
        }
    }

    /// The next event matching `want`; panics after ten seconds.
    pub fn expect(&self, mut want: impl FnMut(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(v) if want(&v) => return v,
                Ok(_) => continue,
                Err(e) => panic!("no expected event from the {} client: {e}", self.transport),
            }
        }
    }

    /// [`NodeClient::expect`] from async code, without stalling the runtime's other
    /// clients (needs the multi-threaded runtime).
    pub async fn expect_async(&self, want: impl FnMut(&Value) -> bool + Send) -> Value {
        tokio::task::block_in_place(|| self.expect(want))
    }

    /// Sends the client one command.
    pub fn command(&mut self, cmd: Value) {
        writeln!(self.stdin, "{cmd}").unwrap();
        self.stdin.flush().unwrap();
    }
}

impl Drop for NodeClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Matches the events named `name`.
pub fn event(name: &'static str) -> impl FnMut(&Value) -> bool {
    move |v| v["event"] == name
}

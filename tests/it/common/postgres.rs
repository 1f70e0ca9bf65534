//! A private PostgreSQL server for tests: its own data directory under the temp dir, a
//! free loopback port (below the ephemeral range: see `free_port`), no password (trust
//! on loopback only), started by the test process and stopped when it ends.
//!
//! Uses only `std`, so both the library's unit tests (the storage contract) and the
//! integration tests share this one file. The binaries come from Debian's `postgresql`
//! package (`make test` installs it when missing); as root the server runs as the
//! `postgres` user, since PostgreSQL refuses to run as root.

#![allow(dead_code)] // each user needs its own subset

use std::collections::BTreeSet;
use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

pub struct PrivatePostgres {
    bin: PathBuf,
    root: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

/// The directory of the newest installed PostgreSQL's programs.
fn bin_dir() -> io::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("MEERKAT_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): `make test-services` installs it",
        )
    })
}

fn is_root() -> bool {
    // `id -u` rather than libc: this file depends on std alone.
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// A loopback port nobody listens on right now, for a server that is told its port
/// before it starts; never the same port twice in one process (tests start servers in
/// parallel, and a port picked for one and not yet bound must not go to another).
///
/// Taken below the kernel's ephemeral range: a port from that range, free when checked,
/// can be handed to any socket bound to port 0 or to any outgoing connection before the
/// server binds it (a federation test once failed with "Address already in use" that
/// way). Below the range only another explicit choice can take it. The search starts at
/// a place that depends on the process, so that two test processes rarely meet.
pub fn free_port() -> u16 {
    const SPAN: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let fresh = |port: u16| GIVEN.lock().unwrap_or_else(|p| p.into_inner()).insert(port);
    let low = ephemeral_low();
    if low > SPAN + 1_024 {
        let from = low - SPAN;
        let start = std::process::id().wrapping_mul(97) % SPAN;
        for _ in 0..SPAN {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let port = (from + (start + n) % SPAN) as u16;
            if TcpListener::bind(("127.0.0.1", port)).is_ok() && fresh(port) {
                return port;
            }
        }
    }
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("binding an ephemeral loopback port");
        if fresh(port) {
            return port;
        }
    }
}

/// The first port of the kernel's ephemeral range (Linux's default when unreadable).
fn ephemeral_low() -> u32 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

fn check(what: &str, out: io::Result<std::process::Output>) -> io::Result<()> {
    let out = out?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

impl PrivatePostgres {
    /// Creates a cluster in a new temp directory and starts it. A watchdog stops the
    /// server and removes the directory once this process is gone, however it ends.
    pub fn start() -> io::Result<Self> {
        let bin = bin_dir()?;
        let as_postgres_user = is_root();
        let root = std::env::temp_dir().join(format!("meerkat-pg-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&root)?;
        let pg = PrivatePostgres {
            bin,
            root,
            port: free_port(),
            as_postgres_user,
        };
        if as_postgres_user {
            check("chown", Command::new("chown").arg("postgres:").arg(&pg.root).output())?;
        }
        check(
            "initdb",
            pg.command("initdb")
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "-D"])
                .arg(pg.data())
                .output(),
        )?;
        pg.spawn_watchdog()?;
        pg.resume()?;
        Ok(pg)
    }

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    /// A program of the PostgreSQL installation, run as `postgres` when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut cmd = if self.as_postgres_user {
            let mut c = Command::new("setpriv");
            c.args(["--reuid", "postgres", "--regid", "postgres", "--init-groups"])
                .arg(path);
            c
        } else {
            Command::new(path)
        };
        cmd.current_dir(&self.root).stdin(Stdio::null());
        cmd
    }

    fn spawn_watchdog(&self) -> io::Result<()> {
        let stop = format!(
            "{} -D '{}' stop -m immediate >/dev/null 2>&1",
            self.bin.join("pg_ctl").display(),
            self.data().display()
        );
        let stop = if self.as_postgres_user {
            format!("setpriv --reuid postgres --regid postgres --init-groups {stop}")
        } else {
            stop
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop}; rm -rf '{root}'",
            pid = std::process::id(),
            root = self.root.display()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(())
    }

    /// Starts the server (again) on its port; returns once it accepts connections.
    pub fn resume(&self) -> io::Result<()> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k '{}' -c fsync=off -c max_connections=300 -c shared_buffers=64MB",
            self.port,
            self.root.display()
        );
        check(
            "pg_ctl start",
            self.command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-l"])
                .arg(self.root.join("postgres.log"))
                .args(["-w", "-t", "60", "-o", &options, "start"])
                .output(),
        )
    }

    /// Stops the server: `fast` disconnects clients and shuts down cleanly, `immediate`
    /// is a crash (recovery runs at the next start).
    pub fn stop(&self, mode: &str) -> io::Result<()> {
        check(
            "pg_ctl stop",
            self.command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-w", "-t", "60", "-m", mode, "stop"])
                .output(),
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The connection URL of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs one SQL command as the superuser, through `psql`.
    pub fn sql(&self, db: &str, statement: &str) -> io::Result<()> {
        check(
            "psql",
            self.command("psql")
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres"])
                .args(["-p", &self.port.to_string(), "-d", db, "-c", statement])
                .output(),
        )
    }

    /// A new, empty database; its URL.
    pub fn fresh_database(&self) -> io::Result<String> {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let name = format!("t{}", NEXT.fetch_add(1, Ordering::Relaxed));
        self.sql("postgres", &format!("CREATE DATABASE {name}"))?;
        Ok(self.url(&name))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("postgres.log")).unwrap_or_default()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// One private server shared by every test of this process (started at first use).
pub fn shared() -> &'static PrivatePostgres {
    static SERVER: OnceLock<PrivatePostgres> = OnceLock::new();
    SERVER.get_or_init(|| {
        PrivatePostgres::start().unwrap_or_else(|e| panic!("starting a private PostgreSQL for the tests: {e}"))
    })
}

/// How long a test waits for a server it restarted.
pub const RESTART_TIMEOUT: Duration = Duration::from_secs(60);

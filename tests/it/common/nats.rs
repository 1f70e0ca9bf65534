//! A private nats-server for one test: on a free loopback port, stopped and started
//! again on the same port by the test, killed when the test's value is dropped (and by a
//! watchdog should the test process die first).

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct PrivateNats {
    port: u16,
    child: Mutex<Option<Child>>,
}

fn binary() -> &'static str {
    ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("nats-server")
}

impl PrivateNats {
    /// Starts nats-server on a free port; returns once it accepts connections.
    pub fn start() -> PrivateNats {
        let nats = PrivateNats {
            port: super::postgres::free_port(),
            child: Mutex::new(None),
        };
        nats.resume();
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) on its port.
    pub fn resume(&self) {
        let child = Command::new(binary())
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server (the Makefile's `services` target installs it)");
        let pid = child.id();
        // Gone with the test process, whatever ends it.
        let _ = Command::new("sh")
            .args([
                "-c",
                &format!(
                    "while kill -0 {} 2>/dev/null; do sleep 0.5; done; kill -9 {pid} 2>/dev/null",
                    std::process::id()
                ),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        *self.child.lock().unwrap() = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not listen within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (every node loses its connection at once).
    pub fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.stop();
    }
}

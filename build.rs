//! Keeps `generated/` in step with `api/*.yaml`.
//!
//! `generated/spec-hashes.txt` records the SHA-256 of each spec `generated/` was made from
//! (written by `api/generate.sh`). When a spec no longer matches:
//! - with the pinned generator installed (`make generate` puts it in `.tools/`) and Java on
//!   the PATH, the code is regenerated here. Cargo may already have compiled the generated
//!   crates in this same run (a path dependency builds before or beside this script), so if
//!   their Rust code changed the build stops and asks to be run again: the new trait is then
//!   what gets compiled. If only their docs changed, the build goes on.
//! - without the generator, the build stops with the one command to run.
//!
//! Either way an edited yaml never compiles silently against a stale trait.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

const SPECS: [&str; 2] = ["admin", "client"];
const GENERATOR: &str = "openapi-generator 7.26.0 rust-server";

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    for spec in SPECS {
        println!("cargo:rerun-if-changed=api/{spec}.yaml");
    }
    println!("cargo:rerun-if-changed=generated/spec-hashes.txt");
    println!("cargo:rerun-if-changed=api/generate.sh");

    let expected = expected_stamp(&root);
    let recorded = std::fs::read_to_string(root.join("generated/spec-hashes.txt")).unwrap_or_default();
    if recorded == expected {
        return;
    }

    let generator = root.join(".tools/venv/bin/openapi-generator-cli");
    let java = Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !generator.exists() || !java {
        fail(
            "api/*.yaml changed since generated/ was made, and the pinned generator is not \
             installed here.\n\nRun:  make generate\n",
        );
    }

    let before = rust_sources_digest(&root.join("generated"));
    let status = Command::new("sh")
        .arg(root.join("api/generate.sh"))
        .current_dir(&root)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        fail("regenerating generated/ from api/*.yaml failed (see above).\n\nRun:  make generate\n");
    }
    let after = rust_sources_digest(&root.join("generated"));
    if before != after {
        fail(
            "api/*.yaml changed, so generated/ was regenerated and its Rust code changed.\n\
             This build may have compiled the old generated crates already; run the same \
             build command again to compile against the new trait.\n",
        );
    }
    println!("cargo:warning=generated/ was regenerated from api/*.yaml (documentation only)");
}

fn fail(message: &str) -> ! {
    eprintln!("\nerror: {message}");
    std::process::exit(1);
}

/// The text `api/spec-hashes.sh` prints.
fn expected_stamp(root: &Path) -> String {
    let mut out = format!("{GENERATOR}\n");
    for spec in SPECS {
        let bytes = std::fs::read(root.join(format!("api/{spec}.yaml"))).unwrap_or_default();
        out.push_str(&format!("{}  api/{spec}.yaml\n", hex(&Sha256::digest(&bytes))));
    }
    out
}

/// A digest over every file that affects compilation of the generated crates.
fn rust_sources_digest(dir: &Path) -> String {
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        let name = f.to_string_lossy();
        if name.ends_with(".rs") || name.ends_with("Cargo.toml") {
            h.update(name.as_bytes());
            h.update(std::fs::read(&f).unwrap_or_default());
        }
    }
    hex(&h.finalize())
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

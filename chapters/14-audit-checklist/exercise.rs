//! Exercise 14: a release script to audit. It uploads each crate from a
//! thread of its own, through an uploader process, and prints what the
//! uploads said.
//!
//! Run:   cargo run --example ch14-exercise
//! Check: cargo test --test book -- --ignored exercise_14
use std::process::Command;
use std::sync::mpsc;
use std::thread;

/// Each crate, and the shell script that stands in for its uploader.
const CRATES: [(&str, &str); 5] = [
    ("core", "echo uploaded core 1.2.0"),
    (
        "macros",
        "echo 'registry: macros 0.3.0 already exists' >&2; exit 2",
    ),
    ("cli", "echo 'uploading cli...' >&2; kill -9 $$"),
    ("docs", "echo uploaded docs 1.2.0"),
    // The mirror's upload hangs, in `sleep`, a child of `sh`.
    (
        "mirror",
        "echo 'uploading mirror...' >&2; sleep 4; echo uploaded mirror 1.2.0",
    ),
];

fn main() {
    let (said, heard) = mpsc::channel();
    for (name, script) in CRATES {
        let said = said.clone();
        thread::spawn(move || {
            let output = Command::new("sh")
                .args(["-c", script])
                .output()
                .expect("sh runs");
            let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            if !stdout.is_empty() {
                let _ = said.send(format!("{name}: {stdout}"));
            }
        });
    }
    drop(said);
    for line in heard {
        println!("{line}");
    }
}

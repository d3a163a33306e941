//! Exercise 14, a solution: every crate gets an outcome, every uploader's
//! ending is read, and the failures decide the exit status.
//!
//! Run: cargo run --example ch14-solution
use std::process::{Command, ExitCode};

use no_silent_failures::outcome::Tally;
use no_silent_failures::process::{Exit, tail};
use no_silent_failures::runner::Runner;

/// Each crate, and the shell script that stands in for its uploader.
const CRATES: [(&str, &str); 4] = [
    ("core", "echo uploaded core 1.2.0"),
    (
        "macros",
        "echo 'registry: macros 0.3.0 already exists' >&2; exit 2",
    ),
    ("cli", "echo 'uploading cli...' >&2; kill -9 $$"),
    ("docs", "echo uploaded docs 1.2.0"),
];

#[derive(Debug)]
struct UploadFailed(String);

impl std::fmt::Display for UploadFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UploadFailed {}

/// Runs one uploader; only an exit with code 0 that said something counts.
fn upload(script: &str) -> Result<String, UploadFailed> {
    let output = Command::new("sh")
        .args(["-c", script])
        .output()
        .map_err(|error| UploadFailed(format!("cannot start sh: {error}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    match Exit::of(output.status) {
        Exit::Code(0) if !stdout.is_empty() => Ok(stdout),
        exit => Err(UploadFailed(format!(
            "uploader {exit}: {}",
            tail(&output.stderr, 1).trim_end()
        ))),
    }
}

fn main() -> ExitCode {
    // One outcome per crate, in order, panics included.
    let outcomes = Runner::new().run(CRATES.to_vec(), |&(_, script)| upload(script));
    for outcome in &outcomes {
        let name = outcome.input.0;
        match &outcome.result {
            Ok(said) => println!("{name}: {said}"),
            Err(failure) => eprintln!("error: {name}: {failure}"),
        }
    }
    if Tally::of(&outcomes).failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

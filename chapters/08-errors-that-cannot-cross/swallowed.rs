//! Chapter 8, swallowed: the worker's error cannot be serialized, so what
//! reaches the parent is the serialization failure, not the error.
//!
//! Run: `cargo run --example ch8`
use std::process::Stdio;

use no_silent_failures::process::Exit;
use no_silent_failures::worker;

include!("sheets.rs");

// ANCHOR: work
fn work() {
    let sheet = std::env::args().nth(1).unwrap_or_default();
    let result = validate(&sheet);
    let json = serde_json::to_string(&result).expect("results always serialize");
    println!("{json}");
}
// ANCHOR_END: work

fn main() {
    worker::guard(&[("validate", work)]);

    // ANCHOR: collect
    for sheet in SHEETS {
        let output = worker::command("validate")
            .expect("the path of this program")
            .arg(sheet)
            .stderr(Stdio::piped())
            .output()
            .expect("running a worker");
        if Exit::of(output.status).is_success() {
            println!(
                "{sheet}: {}",
                String::from_utf8_lossy(&output.stdout).trim()
            );
        } else {
            // The panic message is the second line of the hook's output.
            let stderr = String::from_utf8_lossy(&output.stderr);
            let message = stderr.lines().nth(2).unwrap_or_default();
            println!("{sheet}: worker crashed: {message}");
        }
    }
    // ANCHOR_END: collect
}

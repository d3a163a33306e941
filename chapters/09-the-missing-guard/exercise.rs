//! Exercise 9: a checksum tool that hashes each file in a worker process.
//! The parent is async; so is the worker's checksum library.
//!
//! Run:   cargo run --example ch9-exercise
//! Check: cargo test --test book -- --ignored exercise_09
use no_silent_failures::worker;

const FILES: [&str; 2] = ["report.pdf", "photo.jpg"];

/// Only a safety net for the exercise: stops the runaway at 3 generations.
const DEPTH_VAR: &str = "EXERCISE9_DEPTH";

/// An async checksum, as a library might offer it: a toy one, of the name.
async fn checksum_of(name: &str) -> u32 {
    tokio::task::yield_now().await;
    name.bytes().map(u32::from).sum()
}

/// Runs in a worker: the checksum of the file name given as argument. The
/// worker is not async, so it starts a small runtime of its own.
fn checksum() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let sum = runtime.block_on(checksum_of(&name));
    println!("{name} {sum}");
}

#[tokio::main]
async fn main() {
    let depth: u32 = std::env::var(DEPTH_VAR).map_or(0, |d| d.parse().unwrap_or(0));
    let files = if depth < 3 { &FILES[..] } else { &[] };
    let mut started = 0;
    for file in files {
        let output = worker::command("checksum")
            .unwrap()
            .arg(file)
            .env(DEPTH_VAR, (depth + 1).to_string())
            .output()
            .unwrap();
        started += 1;
        let text = String::from_utf8_lossy(&output.stdout);
        started += text
            .lines()
            .find_map(|l| l.strip_prefix("started "))
            .and_then(|rest| rest.split(' ').next()?.parse::<u32>().ok())
            .unwrap_or(0);
    }
    println!("started {started} workers");
    worker::guard(&[("checksum", checksum)]);
}

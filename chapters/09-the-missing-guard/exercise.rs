//! Exercise 9: a checksum tool that hashes each file in a worker process.
//!
//! Run:   cargo run --example ch9-exercise
//! Check: cargo test --test exercises -- --ignored exercise_09
use no_silent_failures::worker;

const FILES: [&str; 2] = ["report.pdf", "photo.jpg"];

/// Only a safety net for the exercise: stops the runaway at 3 generations.
const DEPTH_VAR: &str = "EXERCISE9_DEPTH";

/// Runs in a worker: a toy checksum of the file name given as argument.
fn checksum() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let sum: u32 = name.bytes().map(u32::from).sum();
    println!("{name} {sum}");
}

fn main() {
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

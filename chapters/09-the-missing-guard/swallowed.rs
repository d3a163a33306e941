//! Chapter 9, swallowed: the program starts itself as a worker, and `main`
//! does ask whether it is the worker, but only after the parent's code.
//! Every worker runs that code first and starts workers of its own.
//!
//! Run: `cargo run --example ch9`
use std::process::Stdio;

use no_silent_failures::worker;

include!("tasks.rs");

/// The demo's safety net, not part of the lesson: stop after three
/// generations, so the runaway is bounded.
const DEPTH_VAR: &str = "CH9_DEPTH";
const MAX_DEPTH: u32 = 3;

fn main() {
    let depth: u32 = std::env::var(DEPTH_VAR).map_or(0, |d| d.parse().unwrap_or(0));
    let tasks = if depth < MAX_DEPTH { &TASKS[..] } else { &[] };
    // ANCHOR: main
    let mut started = 0;
    for task in tasks {
        let output = worker::command("count")
            .expect("the path of this program")
            .arg(task)
            .env(DEPTH_VAR, (depth + 1).to_string())
            .stderr(Stdio::inherit())
            .output()
            .expect("running a worker");
        // Each "worker" ran this very function, and reports what it started.
        started += 1 + started_by(&String::from_utf8_lossy(&output.stdout));
    }
    println!("started {started} worker processes");

    // The worker check, too late: every worker has already run the loop.
    worker::guard(&[("count", count_words)]);
    // ANCHOR_END: main
}

/// The count in a "started N worker processes" line.
fn started_by(output: &str) -> u32 {
    output
        .lines()
        .find_map(|line| line.strip_prefix("started "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

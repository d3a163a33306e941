//! Chapter 6, swallowed: each job runs in a child process; the parent waits
//! for every child, but never looks at how it ended or what it said.
//!
//! Run: `cargo run --example ch6`
use std::process::Stdio;

use no_silent_failures::worker;

include!("jobs.rs");

fn main() {
    // In a child, run the job and exit; chapter 9 explains why this is first.
    worker::guard(&[("job", run_job)]);

    // ANCHOR: spawn
    let children: Vec<_> = JOBS
        .iter()
        .map(|job| {
            worker::command("job")
                .expect("the path of this program")
                .arg(job)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawning a child")
        })
        .collect();

    let mut results = Vec::new();
    for child in children {
        // Waits, and collects stdout and stderr; looks only at stdout.
        let output = child.wait_with_output().expect("waiting for a child");
        if let Ok(value) = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse::<u32>()
        {
            results.push(value);
        }
    }
    println!("all {} jobs finished; results: {results:?}", JOBS.len());
    // ANCHOR_END: spawn
}

//! Chapter 9, fixed: the worker-mode guard is the first line of `main`. A
//! worker runs its job and exits; it never reaches the parent's code.
//!
//! Run: `cargo run --example ch9-fixed`
use std::io::BufReader;
use std::process::ExitCode;

use no_silent_failures::process::{Exit, last_words};
use no_silent_failures::worker;

include!("tasks.rs");

// ANCHOR: main
fn main() -> ExitCode {
    // First, before anything else: workers go to their job and exit here.
    worker::guard(&[("count", count_words)]);

    let mut started = 0;
    let mut failed = false;
    for task in TASKS {
        let output = worker::command("count")
            .expect("the path of this program")
            .arg(task)
            .output()
            .expect("running a worker");
        started += 1;
        let mut noise = Vec::new();
        let frame = worker::read_frame(&mut BufReader::new(&output.stdout[..]), &mut noise)
            .expect("reading from memory");
        match frame.and_then(|json| serde_json::from_str::<usize>(&json).ok()) {
            Some(words) if output.status.success() => {
                println!(
                    "{task:?}: {words} word{}",
                    if words == 1 { "" } else { "s" }
                )
            }
            _ => {
                failed = true;
                let exit = Exit::of(output.status);
                eprintln!("error: {task:?}: worker {exit} without a count");
                for line in last_words(&output.stderr, 3)
                    .lines()
                    .filter(|l| !l.is_empty())
                {
                    eprintln!("  stderr: {line}");
                }
            }
        }
    }
    println!("started {started} worker processes");
    // ANCHOR_END: main
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

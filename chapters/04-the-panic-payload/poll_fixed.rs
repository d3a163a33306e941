//! Chapter 4, `JoinHandle::is_finished`, fixed: `is_finished` says only
//! that a thread ended; `join` says how. A job still running at the
//! deadline is a failure, reported as such.
//!
//! Run: `cargo run --example ch4-poll-fixed`
use std::process::ExitCode;

use no_silent_failures::panic::message;

include!("poll_jobs.rs");

fn main() -> ExitCode {
    let (_hold, held) = mpsc::channel();
    let jobs = start(held);
    wait_for(&jobs);
    // ANCHOR: report
    let mut failures = Vec::new();
    for (name, job) in jobs {
        if !job.is_finished() {
            // Joining it would wait for ever; std cannot stop it either.
            let limit = LIMIT.as_millis();
            failures.push(format!(
                "{name}: still running after {limit}ms, left running"
            ));
            continue;
        }
        // Finished, so `join` does not block: it gives the value or the panic.
        match job.join() {
            Ok(value) => println!("{name}: done: {value}"),
            Err(payload) => {
                failures.push(format!("{name}: panicked: {}", message(payload.as_ref())))
            }
        }
    }
    for failure in &failures {
        eprintln!("error: {failure}");
    }
    // ANCHOR_END: report
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

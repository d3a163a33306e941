//! Chapter 4, swallowed: the supervisor joins every job, but reads the
//! panic payload as if it were always a `&str`.
//!
//! Run: `cargo run --example ch4`
use std::thread;

include!("jobs.rs");

fn main() {
    let mut done = 0;
    // ANCHOR: supervise
    for (name, job) in JOBS {
        // One job at a time, each on its own thread so a panic stays in it.
        let outcome = thread::Builder::new()
            .name(format!("job-{name}"))
            .spawn(job)
            .expect("spawning a thread")
            .join();
        match outcome {
            Ok(()) => done += 1,
            Err(payload) => {
                let reason = payload
                    .downcast_ref::<&str>()
                    .copied()
                    .unwrap_or("unknown error");
                println!("job {name} failed: {reason}");
            }
        }
    }
    // ANCHOR_END: supervise
    println!("{done} of {} jobs done", JOBS.len());
}

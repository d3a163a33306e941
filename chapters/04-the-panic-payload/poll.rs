//! Chapter 4, `JoinHandle::is_finished`, swallowed: a finished thread is
//! taken for a successful one, and a hung one for news, not a failure.
//!
//! Run: `cargo run --example ch4-poll`
include!("poll_jobs.rs");

fn main() {
    let (_hold, held) = mpsc::channel();
    let jobs = start(held);
    wait_for(&jobs);
    // ANCHOR: report
    for (name, job) in &jobs {
        if job.is_finished() {
            println!("{name}: done");
        } else {
            println!("{name}: still running, left in the background");
        }
    }
    // ANCHOR_END: report
}

// The jobs both polling programs start. Shared with `include!`.
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long the supervisor waits for the whole batch. `compact` and
/// `reindex` end within microseconds; half a second leaves them room on a
/// loaded machine, and only `vacuum` ever uses it all.
const LIMIT: Duration = Duration::from_millis(500);

/// Starts three jobs: one returns, one panics, one waits for a message
/// that never comes (`hold` is kept by `main` until it exits).
fn start(hold: mpsc::Receiver<()>) -> Vec<(&'static str, JoinHandle<u32>)> {
    vec![
        ("compact", thread::spawn(|| 12)),
        ("reindex", thread::spawn(|| panic!("index 3 is corrupt"))),
        (
            "vacuum",
            thread::spawn(move || {
                let _ = hold.recv();
                0
            }),
        ),
    ]
}

// ANCHOR: wait
/// Polls until every job has finished or `LIMIT` has passed. std has no
/// `join_timeout`, and nothing to wait on for "any of these threads", so
/// this looks at `is_finished` every millisecond.
fn wait_for(jobs: &[(&str, JoinHandle<u32>)]) {
    let deadline = Instant::now() + LIMIT;
    while Instant::now() < deadline && !jobs.iter().all(|(_, job)| job.is_finished()) {
        thread::park_timeout(Duration::from_millis(1));
    }
}
// ANCHOR_END: wait

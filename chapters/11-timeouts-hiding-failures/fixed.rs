//! Chapter 11, fixed: a hung check, a crashed check and a failed check each
//! get their own outcome.
//!
//! Run: `cargo run --example ch11-fixed`
use std::process::ExitCode;
use std::sync::{Mutex, mpsc};

use no_silent_failures::runner::Runner;

include!("checks.rs");
include!("report.rs");

fn main() -> ExitCode {
    // The disk check hangs: it waits for an answer that never comes.
    let (_never_sent, never_received) = mpsc::channel::<()>();
    let never_received = Mutex::new(never_received);
    let check_disk = move || -> Result<(), CheckError> {
        let _ = never_received.lock().map(|waiting| waiting.recv());
        Ok(())
    };

    // ANCHOR: run
    let names = vec!["database", "cache", "queue", "disk"];
    let outcomes = Runner::new().run_with_timeout(names, LIMIT, move |name| match *name {
        "database" => check_database(),
        "cache" => check_cache(),
        "queue" => check_queue(),
        _ => check_disk(),
    });
    // ANCHOR_END: run
    report(&outcomes)
}

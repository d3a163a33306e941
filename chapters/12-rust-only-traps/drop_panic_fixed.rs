//! Chapter 12, fixed: a destructor never panics. It records a failed
//! rollback for the report instead, noting whether it ran while a panic
//! was unwinding (`thread::panicking()`), when a panic would abort.
//!
//! Run: `cargo run --example ch12-drop-fixed`
use std::process::ExitCode;
use std::sync::Mutex;

use no_silent_failures::panic::catch;

include!("transaction.rs");

/// Rollback failures, kept for the report: a destructor has no caller to
/// return an error to.
static ROLLBACK_FAILURES: Mutex<Vec<String>> = Mutex::new(Vec::new());

// ANCHOR: drop
impl Drop for Transaction {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if let Err(error) = self.roll_back() {
            // Never panic in a destructor: during unwinding that aborts.
            // Record the failure, and whether a panic was unwinding.
            let during = if std::thread::panicking() {
                " (while a panic was unwinding)"
            } else {
                ""
            };
            ROLLBACK_FAILURES
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(format!("{error}{during}"));
        }
    }
}
// ANCHOR_END: drop

fn main() -> ExitCode {
    let mut failed = false;
    // ANCHOR: import
    for batch in BATCHES {
        match catch(|| import(batch)) {
            Ok(rows) => println!("batch {batch}: imported {rows} rows"),
            Err(panic) => {
                failed = true;
                eprintln!("error: batch {batch}: {panic}");
            }
        }
        let rollbacks = std::mem::take(&mut *ROLLBACK_FAILURES.lock().unwrap());
        for error in rollbacks {
            failed = true;
            eprintln!("error: batch {batch}: {error}");
        }
    }
    // ANCHOR_END: import
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

//! Chapter 11, fixed, tokio edition: the library's task runner keeps a
//! timeout (`Elapsed`) and a crash (`JoinError`) apart.
//!
//! Run: `cargo run --example ch11-tokio-fixed`
use std::process::ExitCode;

use no_silent_failures::tasks::run_tasks;

include!("checks.rs");
include!("report.rs");

#[tokio::main]
async fn main() -> ExitCode {
    // ANCHOR: run
    let names = vec!["database", "cache", "queue", "disk"];
    let outcomes = run_tasks(names, Some(LIMIT), |name| async move {
        match name {
            "database" => check_database(),
            "cache" => check_cache(),
            "queue" => check_queue(),
            // Awaits something that never completes.
            _ => std::future::pending().await,
        }
    })
    .await;
    // ANCHOR_END: run
    report(&outcomes)
}

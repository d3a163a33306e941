//! Chapter 11, fixed, tokio edition: the library's task runner keeps a
//! timeout (`Elapsed`) and a crash (`JoinError`) apart.
//!
//! Run: `cargo run --example ch11-tokio-fixed`
use std::process::ExitCode;

use no_silent_failures::failure::Failure;
use no_silent_failures::tasks::run_tasks;

include!("checks.rs");

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
    let mut unhealthy = 0;
    for outcome in &outcomes {
        let name = outcome.input;
        match &outcome.result {
            Ok(()) => println!("{name}: healthy"),
            Err(failure) => {
                unhealthy += 1;
                let kind = match failure {
                    Failure::TimedOut(_) => "hung (liveness)",
                    Failure::Panicked(_) => "crashed (a bug)",
                    _ => "failed (correctness)",
                };
                println!("{name}: {kind}: {failure}");
            }
        }
    }
    // ANCHOR_END: run
    if unhealthy == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

//! Chapter 11, swallowed, tokio edition: `timeout(LIMIT, handle)` has two
//! ways to fail, and both are reported as a timeout.
//!
//! Run: `cargo run --example ch11-tokio`
use tokio::time::timeout;

include!("checks.rs");

#[tokio::main]
async fn main() {
    // ANCHOR: run
    let handles = vec![
        ("database", tokio::spawn(async { check_database() })),
        ("cache", tokio::spawn(async { check_cache() })),
        ("queue", tokio::spawn(async { check_queue() })),
        // The disk check awaits something that never completes.
        ("disk", tokio::spawn(std::future::pending())),
    ];
    for (name, handle) in handles {
        match timeout(LIMIT, handle).await {
            Ok(Ok(Ok(()))) => println!("{name}: healthy"),
            Ok(Ok(Err(error))) => println!("{name}: unhealthy: {error}"),
            // Err(Elapsed) and Ok(Err(JoinError)), lumped together.
            _ => println!("{name}: timed out, will retry"),
        }
    }
    // ANCHOR_END: run
}

//! Chapter 12, a lock that never poisons, swallowed: tokio's `Mutex` is
//! simply unlocked when a task panics while holding it, and the next task
//! carries on from the half-done update.
//!
//! Run: `cargo run --example ch12-tokio-lock`
use std::sync::Arc;

use tokio::sync::Mutex;

include!("ledger.rs");

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let ledger = Arc::new(Mutex::new(Ledger::new()));
    // ANCHOR: serve
    for (request, transfer) in TRANSFERS.into_iter().enumerate() {
        let ledger = Arc::clone(&ledger);
        let handled = tokio::spawn(async move {
            // No `PoisonError` to handle: `lock` always succeeds.
            let mut ledger = ledger.lock().await;
            ledger.apply(transfer);
        })
        .await;
        if handled.is_err() {
            println!("request {request}: 500 internal error");
        }
    }
    println!("balances: {:?}", ledger.lock().await.balances);
    // ANCHOR_END: serve
}

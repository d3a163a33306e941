//! Chapter 12, a lock that never poisons, fixed: update a copy and store
//! it only when the whole update succeeded, so a panic leaves the shared
//! state as it was; and report the panic.
//!
//! Run: `cargo run --example ch12-tokio-lock-fixed`
use std::process::ExitCode;
use std::sync::Arc;

use no_silent_failures::panic::message;
use tokio::sync::Mutex;

include!("ledger.rs");

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let ledger = Arc::new(Mutex::new(Ledger::new()));
    let mut failed = false;
    // ANCHOR: serve
    for (request, transfer) in TRANSFERS.into_iter().enumerate() {
        let ledger = Arc::clone(&ledger);
        let handled = tokio::spawn(async move {
            let mut shared = ledger.lock().await;
            // Work on a copy: a panic in `apply` leaves `shared` untouched.
            let mut next = Ledger {
                balances: shared.balances.clone(),
            };
            next.apply(transfer);
            *shared = next;
        })
        .await;
        match handled {
            Ok(()) => println!("request {request}: ok"),
            Err(error) => {
                failed = true;
                let why = match error.try_into_panic() {
                    Ok(payload) => format!("panicked: {}", message(payload.as_ref())),
                    Err(error) => error.to_string(),
                };
                eprintln!("error: request {request}: {why}");
            }
        }
    }
    println!("balances: {:?}", ledger.lock().await.balances);
    // ANCHOR_END: serve
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

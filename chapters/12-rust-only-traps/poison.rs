//! Chapter 12, swallowed: a request panics halfway through updating shared
//! state; later requests shrug off the poisoned lock and use the half-done
//! update.
//!
//! Run: `cargo run --example ch12`
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

include!("ledger.rs");

fn main() {
    let ledger = Arc::new(Mutex::new(Ledger::new()));
    // ANCHOR: serve
    for (request, transfer) in TRANSFERS.into_iter().enumerate() {
        let ledger = Arc::clone(&ledger);
        // One thread per request, as a server would: a panicking request
        // must not take the others down.
        let handled = thread::spawn(move || {
            // "The data is still there, just use it."
            let mut ledger = ledger.lock().unwrap_or_else(PoisonError::into_inner);
            ledger.apply(transfer);
        })
        .join();
        if handled.is_err() {
            println!("request {request}: 500 internal error");
        }
    }
    let ledger = ledger.lock().unwrap_or_else(PoisonError::into_inner);
    println!("balances: {:?}", ledger.balances);
    // ANCHOR_END: serve
}

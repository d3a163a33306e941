//! Chapter 12, `Mutex::clear_poison`, swallowed: the poison is cleared, and
//! nothing is repaired. Later requests, and every later check of
//! `is_poisoned`, see a healthy ledger that lost 30.
//!
//! Run: `cargo run --example ch12-clear-poison`
use std::sync::{Arc, Mutex};
use std::thread;

include!("ledger.rs");

fn main() {
    let ledger = Arc::new(Mutex::new(Ledger::new()));
    // ANCHOR: serve
    for (request, transfer) in TRANSFERS.into_iter().enumerate() {
        let ledger = Arc::clone(&ledger);
        let handled = thread::spawn(move || {
            let mut books = ledger.lock().unwrap_or_else(|poisoned| {
                // "Handled": the flag is cleared, the data left as it is.
                ledger.clear_poison();
                poisoned.into_inner()
            });
            books.apply(transfer);
        })
        .join();
        if handled.is_err() {
            println!("request {request}: 500 internal error");
        }
    }
    println!("poisoned: {}", ledger.is_poisoned());
    println!("balances: {:?}", ledger.lock().unwrap().balances);
    // ANCHOR_END: serve
}

//! Chapter 12, `Mutex::clear_poison`, fixed: repair first, then clear. The
//! ledger keeps the balances of the last update that finished; a poisoned
//! lock puts them back before the poison is cleared, and says so.
//!
//! Run: `cargo run --example ch12-clear-poison-fixed`
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread;

use no_silent_failures::panic::catch;

include!("ledger.rs");

/// The ledger, and its balances as the last finished update left them.
struct Books {
    ledger: Ledger,
    committed: Vec<i64>,
}

fn main() -> ExitCode {
    let ledger = Ledger::new();
    let committed = ledger.balances.clone();
    let books = Arc::new(Mutex::new(Books { ledger, committed }));
    let mut failed = false;
    // ANCHOR: serve
    for (request, transfer) in TRANSFERS.into_iter().enumerate() {
        let books = Arc::clone(&books);
        let handled = thread::spawn(move || {
            catch(|| {
                let mut repaired = false;
                let mut guard = books.lock().unwrap_or_else(|poisoned| {
                    let mut guard = poisoned.into_inner();
                    // Undo the half-done update, and only then clear.
                    guard.ledger.balances = guard.committed.clone();
                    books.clear_poison();
                    repaired = true;
                    guard
                });
                guard.ledger.apply(transfer);
                guard.committed = guard.ledger.balances.clone();
                repaired
            })
        })
        .join()
        .expect("the request thread catches its own panics");
        match handled {
            Ok(false) => println!("request {request}: ok"),
            Ok(true) => println!("request {request}: ok, on books restored after a panic"),
            Err(panic) => {
                failed = true;
                eprintln!("error: request {request}: {panic}");
            }
        }
    }
    let books = books.lock().expect("the last request left the lock clean");
    println!("balances: {:?}", books.ledger.balances);
    // ANCHOR_END: serve
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

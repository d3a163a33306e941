//! Chapter 12, fixed: a poisoned lock is a failure to report, not a
//! nuisance to unwrap around.
//!
//! Run: `cargo run --example ch12-fixed`
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread;

use no_silent_failures::panic::catch;

include!("ledger.rs");

fn main() -> ExitCode {
    let ledger = Arc::new(Mutex::new(Ledger::new()));
    let mut failed = false;
    // ANCHOR: serve
    for (request, transfer) in TRANSFERS.into_iter().enumerate() {
        let ledger = Arc::clone(&ledger);
        let handled = thread::spawn(move || {
            // The lock is taken *inside* `catch`, so a panic unwinds through
            // the guard and poisons the mutex, as it should.
            catch(|| {
                // A poisoned lock means an update stopped halfway: refuse.
                let mut ledger = ledger
                    .lock()
                    .map_err(|_| "refused: an earlier request panicked while holding the ledger")?;
                ledger.apply(transfer);
                Ok::<(), &str>(())
            })
        })
        .join()
        .expect("the request thread catches its own panics");
        let outcome = match handled {
            Ok(Ok(())) => "ok".to_owned(),
            Ok(Err(refused)) => refused.to_owned(),
            Err(panic) => panic.to_string(),
        };
        if outcome == "ok" {
            println!("request {request}: ok");
        } else {
            failed = true;
            eprintln!("error: request {request}: {outcome}");
        }
    }
    // ANCHOR_END: serve
    match ledger.lock() {
        Ok(ledger) => println!("balances: {:?}", ledger.balances),
        Err(_) => {
            failed = true;
            eprintln!("error: balances: not shown, the ledger is poisoned");
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

//! Chapter 12, swallowed: a destructor that panics while a panic is already
//! unwinding. Rust aborts the process; `catch_unwind` never returns.
//!
//! Run: `cargo run --example ch12-drop`
use std::panic::catch_unwind;

include!("transaction.rs");

// ANCHOR: drop
impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.committed {
            self.roll_back().expect("rollback must succeed");
        }
    }
}
// ANCHOR_END: drop

fn main() {
    // ANCHOR: import
    for batch in BATCHES {
        // Any panic is caught here, so one bad batch cannot stop the import.
        match catch_unwind(|| import(batch)) {
            Ok(rows) => println!("batch {batch}: imported {rows} rows"),
            Err(_) => println!("batch {batch}: failed, skipped"),
        }
    }
    println!("import finished");
    // ANCHOR_END: import
}

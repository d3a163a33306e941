//! Chapter 2, `AssertUnwindSafe`, swallowed: a batch panics halfway
//! through updating totals it shares by `&mut`. The batch is skipped, and
//! its half-done update stays in the totals.
//!
//! Run: `cargo run --example ch2-unwind`
use std::panic::{AssertUnwindSafe, catch_unwind};

include!("totals.rs");

// ANCHOR: add
fn add_batch(totals: &mut Totals, batch: &[&str]) {
    for line in batch {
        totals.orders += 1;
        totals.units += units(line);
    }
}
// ANCHOR_END: add

fn main() {
    // ANCHOR: catch
    let mut totals = Totals::default();
    for (name, batch) in BATCHES {
        // `&mut Totals` is not `UnwindSafe`, so `catch_unwind` refuses the
        // closure; `AssertUnwindSafe` makes it accept it.
        let added = catch_unwind(AssertUnwindSafe(|| add_batch(&mut totals, batch)));
        match added {
            Ok(()) => println!("batch {name}: imported"),
            Err(_) => println!("batch {name}: skipped"),
        }
    }
    println!("totals: {} orders, {} units", totals.orders, totals.units);
    // ANCHOR_END: catch
}

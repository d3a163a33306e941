//! Chapter 2, `AssertUnwindSafe`, fixed: each batch computes totals of its
//! own inside `catch_unwind`, and they are added only when the whole batch
//! succeeded. No `&mut` crosses the catch, so no assertion is needed.
//!
//! Run: `cargo run --example ch2-unwind-fixed`
use std::panic::catch_unwind;
use std::process::ExitCode;

use no_silent_failures::panic::message;
use rayon::prelude::*;

include!("totals.rs");

// ANCHOR: batch
fn batch_totals(batch: &[&str]) -> Totals {
    Totals {
        orders: batch.len(),
        units: batch.par_iter().map(|line| units(line)).sum(),
    }
}
// ANCHOR_END: batch

fn main() -> ExitCode {
    // ANCHOR: catch
    let mut totals = Totals::default();
    let mut failed = false;
    for (name, batch) in BATCHES {
        // The closure holds only `&[&str]`, which is `UnwindSafe`.
        match catch_unwind(|| batch_totals(batch)) {
            Ok(batch) => {
                println!("batch {name}: imported {} orders", batch.orders);
                totals.orders += batch.orders;
                totals.units += batch.units;
            }
            Err(payload) => {
                failed = true;
                eprintln!(
                    "error: batch {name}: panicked: {}",
                    message(payload.as_ref())
                );
            }
        }
    }
    println!("totals: {} orders, {} units", totals.orders, totals.units);
    // ANCHOR_END: catch
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

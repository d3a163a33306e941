//! Chapter 2, `panic_fuse`, fixed: one outcome per charge, so the report
//! says which cards were charged and which one failed, and why.
//!
//! Run: `cargo run --example ch2-fuse-fixed`
use std::panic::catch_unwind;
use std::process::ExitCode;

use no_silent_failures::panic::message;
use rayon::prelude::*;

include!("charges.rs");

fn main() -> ExitCode {
    // ANCHOR: outcomes
    let outcomes: Vec<_> = CHARGES
        .par_iter()
        .map(|&c| catch_unwind(|| charge(c)))
        .collect();
    let mut failed = 0;
    for ((customer, _, _), outcome) in CHARGES.iter().zip(outcomes) {
        match outcome {
            Ok(cents) => println!("{customer}: charged {cents} cents"),
            Err(payload) => {
                failed += 1;
                eprintln!(
                    "error: {customer:?}: panicked: {}",
                    message(payload.as_ref())
                );
            }
        }
    }
    // ANCHOR_END: outcomes
    let mut bank = BANK.lock().expect("no panic while the bank is locked");
    bank.sort();
    println!("the bank's statement: {}", bank.join(", "));
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

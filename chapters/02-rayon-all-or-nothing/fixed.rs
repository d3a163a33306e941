//! Chapter 2, fixed: one outcome per line, kept in input order, then split
//! into the orders that parsed and the lines that did not, with the reason.
//!
//! Run: `cargo run --example ch2-fixed [SKU:QTY:CENTS...]`
use std::panic::catch_unwind;
use std::process::ExitCode;

use no_silent_failures::panic::message;
use rayon::prelude::*;

include!("orders.rs");

// ANCHOR: import
/// Why a line was not imported.
enum Rejected {
    Invalid(BadOrder),
    Panicked(String),
}

fn import(batch: &[String]) -> Vec<Result<Order, Rejected>> {
    batch
        .par_iter()
        .map(|line| match catch_unwind(|| parse_order(line)) {
            Ok(Ok(order)) => Ok(order),
            Ok(Err(invalid)) => Err(Rejected::Invalid(invalid)),
            Err(payload) => Err(Rejected::Panicked(message(payload.as_ref()))),
        })
        // Collecting into a Vec of Results keeps every line, in order.
        .collect()
}
// ANCHOR_END: import

fn main() -> ExitCode {
    let (mut imported, mut rejected) = (0, 0);
    // ANCHOR: report
    for (name, batch) in batches_from_args() {
        let outcomes = import(&batch);
        let good = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        println!("batch {name}: imported {good} of {} orders", batch.len());
        for (row, (line, outcome)) in batch.iter().zip(&outcomes).enumerate() {
            match outcome {
                Ok(order) => println!(
                    "  row {row}: {} x{} at {} cents",
                    order.sku, order.quantity, order.unit_cents
                ),
                Err(Rejected::Invalid(why)) => {
                    eprintln!("error: {line:?}: {name} row {row}: {why}")
                }
                Err(Rejected::Panicked(why)) => {
                    eprintln!("error: {line:?}: {name} row {row}: panicked: {why}")
                }
            }
        }
        imported += good;
        rejected += batch.len() - good;
    }
    // ANCHOR_END: report
    println!("done: {imported} orders imported, {rejected} rejected");
    if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

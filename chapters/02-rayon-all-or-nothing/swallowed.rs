//! Chapter 2, swallowed: a parallel import that keeps nothing when one line
//! is bad, and says nothing about why.
//!
//! Run: `cargo run --example ch2 [SKU:QTY:CENTS...]`
use rayon::prelude::*;

include!("orders.rs");

// ANCHOR: import
fn import(batch: &[String]) -> Vec<Order> {
    batch
        .par_iter()
        .map(|line| parse_order(line))
        // All or nothing: the first error seen stops the collect, and every
        // order parsed so far is dropped with it.
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_default()
}
// ANCHOR_END: import

fn main() {
    let mut imported = 0;
    // ANCHOR: batches
    for (name, batch) in batches_from_args() {
        // One bad batch must not stop the importer, so a panic is contained.
        let orders = std::panic::catch_unwind(|| import(&batch)).unwrap_or_default();
        println!("batch {name}: imported {} orders", orders.len());
        imported += orders.len();
    }
    // ANCHOR_END: batches
    println!("done: {imported} orders imported");
}

//! Chapter 2, `panic_fuse`, swallowed: the batch panics, so the importer
//! reports that nothing was charged, while the cards before the panic were.
//!
//! Run: `cargo run --example ch2-fuse`
use std::panic::catch_unwind;

use rayon::prelude::*;

include!("charges.rs");

fn main() {
    // One thread, so the run is the same every time.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool starts");
    // ANCHOR: fuse
    let batch = pool.install(|| {
        catch_unwind(|| {
            // The fuse stops rayon starting more charges after a panic.
            CHARGES.par_iter().panic_fuse().for_each(|&c| {
                charge(c);
            })
        })
    });
    match batch {
        Ok(()) => println!("batch charged"),
        Err(_) => println!("batch failed: nothing charged, retry it tomorrow"),
    }
    // ANCHOR_END: fuse
    let bank = BANK.lock().expect("no panic while the bank is locked");
    println!("the bank's statement: {}", bank.join(", "));
}

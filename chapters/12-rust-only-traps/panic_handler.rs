//! Chapter 12, rayon's `panic_handler`, swallowed: a handler that does
//! nothing stops the abort, and the panicking job's file simply goes
//! missing from the report.
//!
//! Run: `cargo run --example ch12-panic-handler`
use std::sync::mpsc;

include!("sizes.rs");

fn main() {
    // ANCHOR: pool
    let pool = rayon::ThreadPoolBuilder::new()
        // "No more aborts": a spawned job's panic comes here, and stops.
        .panic_handler(|_payload| {})
        .build()
        .expect("a pool starts");
    // ANCHOR_END: pool
    // ANCHOR: spawn
    let (sizes, received) = mpsc::channel();
    for (index, name) in FILES.into_iter().enumerate() {
        let sizes = sizes.clone();
        pool.spawn(move || {
            let size = file_size(name);
            sizes.send((index, size)).expect("main receives every size");
        });
    }
    drop(sizes);
    let mut reported: Vec<(usize, u64)> = received.into_iter().collect();
    reported.sort();
    for (index, size) in &reported {
        println!("{:?}: {size} bytes", FILES[*index]);
    }
    println!("{} sizes reported", reported.len());
    // ANCHOR_END: spawn
}

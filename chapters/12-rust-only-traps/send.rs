//! Chapter 12, swallowed: `let _ = tx.send(..)` after the receiver has
//! gone. The producer believes every record was delivered.
//!
//! Run: `cargo run --example ch12-send`
use std::sync::mpsc;
use std::thread;

include!("records.rs");

fn main() {
    // ANCHOR: send
    // A rendezvous channel: each send waits until the collector takes it.
    let (records, received) = mpsc::sync_channel::<&str>(0);
    let collector = thread::spawn(move || store_all(received));

    for record in RECORDS {
        let _ = records.send(record);
    }
    drop(records);
    println!("producer: sent {} records", RECORDS.len());
    let stored = collector.join().unwrap().unwrap_or_default();
    println!("collector: stored {} records", stored.len());
    // ANCHOR_END: send
}

//! Chapter 1, `thread::scope`: the scope waits for its threads, and when
//! one of them panicked, it panics too, with a payload of its own.
//!
//! Run: `cargo run --example ch1-scope [READING...]`
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;

const DEFAULT_READINGS: [&str; 3] = ["12", "n/a", "5"];

fn parse_reading(raw: &str) -> u32 {
    raw.parse().expect("a reading is a whole number")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let readings: Vec<String> = if args.is_empty() {
        DEFAULT_READINGS.map(String::from).to_vec()
    } else {
        args
    };

    // ANCHOR: scope
    let total = AtomicU32::new(0);
    // Every thread spawned on `scope` is joined before `scope` returns.
    thread::scope(|scope| {
        for raw in &readings {
            let total = &total;
            scope.spawn(move || total.fetch_add(parse_reading(raw), Ordering::Relaxed));
        }
    });
    println!("total = {}", total.into_inner());
    // ANCHOR_END: scope
}

//! Chapter 1, swallowed: one worker thread panics, and `main` never hears of it.
//!
//! Run: `cargo run --example ch1 [READING...]`
use std::sync::mpsc;
use std::thread;

const DEFAULT_READINGS: [&str; 6] = ["12", "7", "30", "n/a", "5", "9"];

// ANCHOR: parse
fn parse_reading(raw: &str) -> u32 {
    raw.parse().expect("a reading is a whole number")
}
// ANCHOR_END: parse

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let readings: Vec<String> = if args.is_empty() {
        DEFAULT_READINGS.map(String::from).to_vec()
    } else {
        args
    };

    // ANCHOR: spawn
    let (results, received) = mpsc::channel();
    for raw in readings {
        let results = results.clone();
        thread::spawn(move || {
            let value = parse_reading(&raw);
            results.send(value).expect("main is still receiving");
        });
    }
    // The loop below ends once every worker has dropped its sender:
    // when it finishes its work, or when a panic unwinds it.
    drop(results);

    let values: Vec<u32> = received.iter().collect();
    let total: u32 = values.iter().sum();
    println!("summed {} readings: total = {total}", values.len());
    // ANCHOR_END: spawn
}

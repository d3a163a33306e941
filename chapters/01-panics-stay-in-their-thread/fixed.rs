//! Chapter 1, fixed: keep every `JoinHandle`, join every one, and report
//! each panic next to the input that caused it.
//!
//! Run: `cargo run --example ch1-fixed [READING...]`
use std::process::ExitCode;
use std::thread;

use no_silent_failures::panic::message;

const DEFAULT_READINGS: [&str; 6] = ["12", "7", "30", "n/a", "5", "9"];

fn parse_reading(raw: &str) -> u32 {
    raw.parse().expect("a reading is a whole number")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let readings: Vec<String> = if args.is_empty() {
        DEFAULT_READINGS.map(String::from).to_vec()
    } else {
        args
    };

    // ANCHOR: join
    let workers: Vec<_> = readings
        .into_iter()
        .map(|raw| {
            let input = raw.clone();
            (input, thread::spawn(move || parse_reading(&raw)))
        })
        .collect();

    let mut values = Vec::new();
    let mut failures = Vec::new();
    for (index, (input, worker)) in workers.into_iter().enumerate() {
        match worker.join() {
            Ok(value) => values.push(value),
            // `join` hands back the panic payload; chapter 4 looks inside it.
            Err(payload) => failures.push((index, input, message(payload.as_ref()))),
        }
    }
    // ANCHOR_END: join

    // ANCHOR: report
    let total: u32 = values.iter().sum();
    println!("summed {} readings: total = {total}", values.len());
    if failures.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "error: {} of {} readings failed",
        failures.len(),
        values.len() + failures.len()
    );
    for (index, input, message) in &failures {
        eprintln!("  reading #{index} {input:?}: worker panicked: {message}");
    }
    ExitCode::FAILURE
    // ANCHOR_END: report
}

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

    let (mut total, mut summed) = (0_u32, 0);
    let mut failures = Vec::new();
    for (input, worker) in workers {
        match worker.join() {
            // A sum can overflow too: checked, it fails one reading, not all.
            Ok(value) => match total.checked_add(value) {
                Some(sum) => (total, summed) = (sum, summed + 1),
                None => failures.push((input, format!("{total} + {value} overflows u32"))),
            },
            // `join` hands back the panic payload; chapter 4 looks inside it.
            Err(payload) => {
                let reason = format!("worker panicked: {}", message(payload.as_ref()));
                failures.push((input, reason));
            }
        }
    }
    // ANCHOR_END: join

    // ANCHOR: report
    println!("summed {summed} readings: total = {total}");
    for (input, reason) in &failures {
        eprintln!("error: {input:?}: {reason}");
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
    // ANCHOR_END: report
}

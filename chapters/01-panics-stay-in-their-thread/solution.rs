//! Exercise 1, a solution: keep each handle with its log's name, join them
//! all, and report every panic.
//!
//! Run: cargo run --example ch1-solution
use std::process::ExitCode;
use std::thread;

use no_silent_failures::panic::message;

const LOGS: [(&str, &str); 3] = [
    (
        "api.log",
        "12:00 INFO start\n12:01 ERROR timeout\n12:02 ERROR refused\n",
    ),
    ("short.log", "12:00 INFO start\nERROR\n"),
    ("db.log", "12:00 ERROR disk full\n"),
];

/// Counts the lines whose level, the second field, is ERROR.
fn count_errors(log: &str) -> usize {
    log.lines()
        .filter(|line| line.split(' ').nth(1).expect("every line has a level") == "ERROR")
        .count()
}

fn main() -> ExitCode {
    let scanners: Vec<_> = LOGS
        .into_iter()
        .map(|(name, log)| (name, thread::spawn(move || count_errors(log))))
        .collect();
    let mut failed = false;
    for (name, scanner) in scanners {
        match scanner.join() {
            Ok(errors) => println!("{name}: {errors} errors"),
            Err(payload) => {
                failed = true;
                eprintln!("error: {name}: {}", message(payload.as_ref()));
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

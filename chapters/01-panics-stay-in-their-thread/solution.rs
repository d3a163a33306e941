//! Exercise 1, a solution: name each scanner thread after its log, keep
//! each handle, join them all, and report every panic with the thread's
//! name, so that the hook's line and the report can be matched up.
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
    let mut failed = false;
    let mut scanners = Vec::new();
    for (name, log) in LOGS {
        // `Builder::spawn`, unlike `thread::spawn`, returns the error of a
        // thread that could not be started instead of panicking.
        match thread::Builder::new()
            .name(format!("scan-{name}"))
            .spawn(move || count_errors(log))
        {
            Ok(scanner) => scanners.push((name, scanner)),
            Err(error) => {
                failed = true;
                eprintln!("error: {name}: cannot start a scanner: {error}");
            }
        }
    }
    for (name, scanner) in scanners {
        // The handle knows its thread's name: read it before `join`
        // consumes the handle.
        let thread = scanner.thread().name().unwrap_or("<unnamed>").to_owned();
        match scanner.join() {
            Ok(errors) => {
                let plural = if errors == 1 { "" } else { "s" };
                println!("{name}: {errors} error{plural}");
            }
            Err(payload) => {
                failed = true;
                eprintln!(
                    "error: {name}: thread '{thread}' panicked: {}",
                    message(payload.as_ref())
                );
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

//! Exercise 1: a log scanner. One thread per log counts its ERROR lines.
//!
//! Run:   cargo run --example ch1-exercise
//! Check: cargo test --test book -- --ignored exercise_01
use std::sync::mpsc;
use std::thread;

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

fn main() {
    let (counts, received) = mpsc::channel();
    for (name, log) in LOGS {
        let counts = counts.clone();
        thread::spawn(move || counts.send((name, count_errors(log))).unwrap());
    }
    drop(counts);
    for (name, errors) in received {
        let plural = if errors == 1 { "" } else { "s" };
        println!("{name}: {errors} error{plural}");
    }
}

//! Exercise 4: a maintenance runner. Each task runs on its own thread; the
//! runner logs the ones that fail.
//!
//! Run:   cargo run --example ch4-exercise
//! Check: cargo test --test book -- --ignored exercise_04
use std::thread;

/// The storage crate panics with a value of its own type, not a string.
#[derive(Debug)]
struct QuotaExceeded {
    used: u8,
}

impl std::fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "disk quota exceeded at {}%", self.used)
    }
}

fn vacuum() {}

fn backup() {
    std::panic::panic_any(QuotaExceeded { used: 98 });
}

fn rotate() {
    panic!("log rotation is disabled");
}

const TASKS: [(&str, fn()); 3] = [("vacuum", vacuum), ("backup", backup), ("rotate", rotate)];

fn main() {
    for (name, task) in TASKS {
        if let Err(payload) = thread::spawn(task).join() {
            println!("{name} failed: {payload:?}");
        }
    }
    println!("maintenance done");
}

//! Exercise 4: a maintenance runner. Each task runs on its own thread; the
//! runner logs the ones that fail.
//!
//! Run:   cargo run --example ch4-exercise
//! Check: cargo test --test exercises -- --ignored exercise_04
use std::thread;

fn vacuum() {}

fn backup() {
    let used = 98;
    panic!("disk quota exceeded at {used}%");
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

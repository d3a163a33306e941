//! Exercise 4, a solution: capture each panic where it happens, with its
//! message and location, and report it.
//!
//! Run: cargo run --example ch4-solution
use std::process::ExitCode;
use std::thread;

use no_silent_failures::panic::catch;

fn vacuum() {}

fn backup() {
    let used = 98;
    panic!("disk quota exceeded at {used}%");
}

fn rotate() {
    panic!("log rotation is disabled");
}

const TASKS: [(&str, fn()); 3] = [("vacuum", vacuum), ("backup", backup), ("rotate", rotate)];

fn main() -> ExitCode {
    let mut failed = false;
    for (name, task) in TASKS {
        let outcome = thread::spawn(move || catch(task))
            .join()
            .expect("catch stops every panic");
        match outcome {
            Ok(()) => println!("{name}: done"),
            Err(panic) => {
                failed = true;
                eprintln!("error: {name}: {panic}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

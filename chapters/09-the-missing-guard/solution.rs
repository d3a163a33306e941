//! Exercise 9, a solution: the guard is the first line of main.
//!
//! Run: cargo run --example ch9-solution
use std::process::ExitCode;

use no_silent_failures::process::Exit;
use no_silent_failures::worker;

const FILES: [&str; 2] = ["report.pdf", "photo.jpg"];

/// Runs in a worker: a toy checksum of the file name given as argument.
fn checksum() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let sum: u32 = name.bytes().map(u32::from).sum();
    println!("{name} {sum}");
}

fn main() -> ExitCode {
    worker::guard(&[("checksum", checksum)]);
    let mut started = 0;
    let mut failed = false;
    for file in FILES {
        let output = worker::command("checksum")
            .expect("this program's path")
            .arg(file)
            .output()
            .expect("running a worker");
        started += 1;
        let exit = Exit::of(output.status);
        if exit.is_success() {
            print!("{}", String::from_utf8_lossy(&output.stdout));
        } else {
            failed = true;
            eprintln!("error: {file}: worker {exit}");
        }
    }
    println!("started {started} workers");
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

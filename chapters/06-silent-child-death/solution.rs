//! Exercise 6, a solution: wait for every child and read how it ended.
//!
//! Run: cargo run --example ch6-solution
use std::process::{ExitCode, Stdio};

use no_silent_failures::process::Exit;
use no_silent_failures::worker;

const FILES: [&str; 4] = ["cat.png", "broken.png", "huge.png", "dog.png"];

/// Runs in the child: converts the file named by the first argument.
fn convert() {
    match std::env::args().nth(1).unwrap_or_default().as_str() {
        "broken.png" => std::process::abort(), // a crash in the decoder
        "huge.png" => std::process::exit(3),   // "out of memory", its own way
        _ => println!("converted"),
    }
}

fn main() -> ExitCode {
    worker::guard(&[("convert", convert)]);
    let mut failed = false;
    for file in FILES {
        let output = worker::command("convert")
            .expect("this program's path")
            .arg(file)
            .stderr(Stdio::inherit())
            .output()
            .expect("running the converter");
        let exit = Exit::of(output.status);
        if exit.is_success() && output.stdout.starts_with(b"converted") {
            println!("{file}: converted");
        } else {
            failed = true;
            eprintln!("error: {file}: converter {exit}");
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

//! Exercise 6: an image converter. Each file is converted by a child
//! process (this program again, as a worker).
//!
//! Run:   cargo run --example ch6-exercise
//! Check: cargo test --test book -- --ignored exercise_06
use std::time::Duration;

use no_silent_failures::worker;

const FILES: [&str; 5] = ["cat.png", "broken.png", "huge.png", "slow.png", "dog.png"];

/// Runs in the child: converts the file named by the first argument.
fn convert() {
    match std::env::args().nth(1).unwrap_or_default().as_str() {
        "broken.png" => std::process::abort(), // a crash in the decoder
        "huge.png" => std::process::exit(3),   // "out of memory", its own way
        // Stuck on a network share: it answers, but far too late, and
        // logs when it does.
        "slow.png" => {
            std::thread::sleep(Duration::from_secs(3));
            eprintln!("convert: slow.png: converted, at last");
            println!("converted");
        }
        _ => println!("converted"),
    }
}

fn main() {
    worker::guard(&[("convert", convert)]);
    for file in FILES {
        let _ = worker::command("convert").unwrap().arg(file).status();
        println!("{file}: converted");
    }
}

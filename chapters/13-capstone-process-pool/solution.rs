//! Exercise 13, a solution: the library's pool gives every file exactly one
//! outcome.
//!
//! Run: cargo run --example ch13-solution
use std::process::ExitCode;

use no_silent_failures::pool::{self, Config, ProcessPool};
use no_silent_failures::worker;

const FILES: [&str; 6] = ["a.txt", "b.txt", "locked.db", "c.txt", "d.txt", "e.txt"];

/// The hash of a file's name; locked.db makes its worker abort.
fn hash(file: String) -> Result<u64, std::io::Error> {
    if file == "locked.db" {
        std::process::abort();
    }
    Ok(file
        .bytes()
        .fold(7, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))))
}

fn hasher() {
    pool::serve(hash);
}

fn main() -> ExitCode {
    worker::guard(&[("hash", hasher)]);
    let mut pool = ProcessPool::new(Config::new("hash").workers(2)).expect("this program's path");
    let files: Vec<String> = FILES.map(String::from).to_vec();
    let mut failed = false;
    for outcome in pool.run::<String, u64>(files) {
        match outcome.result {
            Ok(hash) => println!("{} {hash}", outcome.input),
            Err(failure) => {
                failed = true;
                eprintln!("error: {}: {failure}", outcome.input);
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

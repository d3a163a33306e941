//! Exercise 5, a solution: one outcome per page, and a report of them all.
//!
//! Run: cargo run --example ch5-solution
use std::process::ExitCode;

use no_silent_failures::outcome::Tally;
use no_silent_failures::runner::Runner;

const PATHS: [&str; 5] = ["/index", "/missing", "/about", "/crash", "/contact"];

/// Pretends to fetch a page and returns its size in bytes.
fn fetch(path: &str) -> Result<usize, std::io::Error> {
    match path {
        "/missing" => Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "404 not found",
        )),
        "/crash" => panic!("handler bug while rendering {path}"),
        _ => Ok(path.len() * 100),
    }
}

fn main() -> ExitCode {
    let outcomes = Runner::new().run(PATHS.to_vec(), |path| fetch(path));
    for outcome in &outcomes {
        match &outcome.result {
            Ok(bytes) => println!("{}: {bytes} bytes", outcome.input),
            Err(failure) => eprintln!("error: {}: {failure}", outcome.input),
        }
    }
    let tally = Tally::of(&outcomes);
    println!("{tally}");
    if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

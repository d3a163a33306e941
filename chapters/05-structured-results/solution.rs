//! Exercise 5, a solution: one outcome per page, from the runner; a page
//! that times out is tried again, at most three times in all; and every
//! failure says how many tries it took.
//!
//! Run: cargo run --example ch5-solution
use std::io::{Error, ErrorKind};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering};

use no_silent_failures::outcome::Tally;
use no_silent_failures::runner::Runner;

const PATHS: [&str; 7] = [
    "/index", "/missing", "/about", "/flaky", "/crash", "/down", "/contact",
];

/// How often /flaky has been asked for.
static FLAKY_TRIES: AtomicU32 = AtomicU32::new(0);

/// Pretends to fetch a page and returns its size in bytes. /flaky times
/// out the first time only; /down times out every time.
fn fetch(path: &str) -> Result<usize, Error> {
    match path {
        "/missing" => Err(Error::new(ErrorKind::NotFound, "404 not found")),
        "/crash" => panic!("handler bug while rendering {path}"),
        "/flaky" if FLAKY_TRIES.fetch_add(1, Ordering::Relaxed) == 0 => {
            Err(Error::new(ErrorKind::TimedOut, "gateway timed out"))
        }
        "/down" => Err(Error::new(ErrorKind::TimedOut, "gateway timed out")),
        _ => Ok(path.len() * 100),
    }
}

/// Tries in all, first one included.
const MAX_TRIES: u32 = 3;

fn tries(n: u32) -> String {
    if n == 1 {
        "1 try".to_owned()
    } else {
        format!("{n} tries")
    }
}

/// The last error of a page, and how many tries it took to get there.
#[derive(Debug)]
struct GaveUp {
    tries: u32,
    last: Error,
}

impl std::fmt::Display for GaveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "gave up after {}", tries(self.tries))
    }
}

impl std::error::Error for GaveUp {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.last)
    }
}

/// Fetches `path`, trying again only when it timed out: a 404 stays a 404,
/// and a panic is a bug, not bad luck.
fn fetch_with_retries(path: &str) -> Result<(usize, u32), GaveUp> {
    let mut tried = 0;
    loop {
        tried += 1;
        match fetch(path) {
            Ok(bytes) => return Ok((bytes, tried)),
            Err(error) if error.kind() == ErrorKind::TimedOut && tried < MAX_TRIES => continue,
            Err(last) => return Err(GaveUp { tries: tried, last }),
        }
    }
}

fn main() -> ExitCode {
    let outcomes = Runner::new().run(PATHS.to_vec(), |path| fetch_with_retries(path));
    for outcome in &outcomes {
        match &outcome.result {
            Ok((bytes, tried)) => {
                println!("{}: {bytes} bytes ({})", outcome.input, tries(*tried))
            }
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

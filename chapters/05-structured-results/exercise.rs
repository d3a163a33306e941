//! Exercise 5: a site crawler. Pages are fetched in parallel; the crawler
//! keeps what worked.
//!
//! Run:   cargo run --example ch5-exercise
//! Check: cargo test --test book -- --ignored exercise_05
use std::io::{Error, ErrorKind};
use std::panic::catch_unwind;
use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

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

fn main() {
    let pages: Vec<(&str, usize)> = PATHS
        .par_iter()
        .filter_map(|&path| Some((path, catch_unwind(|| fetch(path)).ok()?.ok()?)))
        .collect();
    for (path, bytes) in &pages {
        println!("{path}: {bytes} bytes");
    }
    println!("crawled {} pages", pages.len());
}

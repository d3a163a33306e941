//! Exercise 5: a site crawler. Pages are fetched in parallel; the crawler
//! keeps what worked.
//!
//! Run:   cargo run --example ch5-exercise
//! Check: cargo test --test exercises -- --ignored exercise_05
use std::panic::catch_unwind;

use rayon::prelude::*;

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

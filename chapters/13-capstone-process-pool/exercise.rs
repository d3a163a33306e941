//! Exercise 13: a file hasher on a naive process pool of its own. The
//! files are cut into chunks of three, and each chunk goes to a fresh
//! worker process, which hashes its files one after the other.
//!
//! Run:   cargo run --example ch13-exercise
//! Check: cargo test --test book -- --ignored exercise_13
use std::io::{BufRead, Write};
use std::process::Stdio;

use no_silent_failures::worker;

const FILES: [&str; 7] = [
    "a.txt",
    "locked.db",
    "b.txt",
    "c.txt",
    "d.txt",
    "e.txt",
    "f.txt",
];

/// How many files one worker hashes.
const CHUNK: usize = 3;

/// The hash of a file's name; locked.db makes its worker abort.
fn hash(file: &str) -> u64 {
    if file == "locked.db" {
        std::process::abort();
    }
    file.bytes()
        .fold(7, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
}

/// Runs in a worker: hashes each file named on stdin, one line each.
fn hasher() {
    for file in std::io::stdin().lock().lines().map_while(Result::ok) {
        println!("{file} {}", hash(&file));
    }
}

fn main() {
    worker::guard(&[("hash", hasher)]);
    // One worker per chunk, all at once.
    let workers: Vec<_> = FILES
        .chunks(CHUNK)
        .map(|chunk| {
            let mut worker = worker::command("hash")
                .unwrap()
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut files = worker.stdin.take().unwrap();
            for file in chunk {
                let _ = writeln!(files, "{file}");
            }
            // `files` is dropped here: the worker sees the end of its chunk.
            worker
        })
        .collect();
    for worker in workers {
        let output = worker.wait_with_output().unwrap();
        print!("{}", String::from_utf8_lossy(&output.stdout));
    }
}

//! Exercise 13: a file hasher on a pool of two worker processes, naive
//! style: tasks dealt out up front, results read until the workers are done.
//!
//! Run:   cargo run --example ch13-exercise
//! Check: cargo test --test exercises -- --ignored exercise_13
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use no_silent_failures::worker;

const FILES: [&str; 6] = ["a.txt", "b.txt", "locked.db", "c.txt", "d.txt", "e.txt"];

/// The hash of a file's name; locked.db makes its worker abort.
fn hash(file: &str) -> u64 {
    if file == "locked.db" {
        std::process::abort();
    }
    file.bytes()
        .fold(7, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
}

fn hasher() {
    for file in std::io::stdin().lock().lines().map_while(Result::ok) {
        println!("{file} {}", hash(&file));
    }
}

fn main() {
    worker::guard(&[("hash", hasher)]);
    let mut workers: Vec<_> = (0..2)
        .map(|_| {
            let mut command = worker::command("hash").unwrap();
            command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (index, file) in FILES.iter().enumerate() {
        let _ = writeln!(workers[index % 2].stdin.as_mut().unwrap(), "{file}");
    }
    for worker in &mut workers {
        drop(worker.stdin.take());
        for line in BufReader::new(worker.stdout.take().unwrap())
            .lines()
            .map_while(Result::ok)
        {
            println!("{line}");
        }
        let _ = worker.wait();
    }
}

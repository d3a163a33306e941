//! Chapter 13, swallowed: a naive pool. Tasks are dealt out to two workers
//! up front, fire and forget; results are read until the workers' output
//! ends. Whatever a dead worker had not done yet is simply not there.
//!
//! Run: `cargo run --example ch13 [TASK...]`
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use no_silent_failures::worker;

include!("tasks.rs");

/// The naive worker: one input per line in, one `INPUT=VALUE` line out.
fn naive_worker() {
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        if let Ok(value) = run_task(line.clone()) {
            println!("{line}={value}");
        }
    }
}

fn main() {
    worker::guard(&[("task", naive_worker)]);
    let inputs = inputs_from_args();

    // ANCHOR: pool
    let mut workers: Vec<_> = (0..2)
        .map(|_| {
            worker::command("task")
                .expect("this program's path")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("starting a worker")
        })
        .collect();
    // Deal the tasks out, round robin, and forget them.
    for (index, input) in inputs.iter().enumerate() {
        let stdin = workers[index % 2].stdin.as_mut().expect("piped stdin");
        let _ = writeln!(stdin, "{input}");
    }
    let mut results = Vec::new();
    for worker in &mut workers {
        drop(worker.stdin.take());
        let stdout = BufReader::new(worker.stdout.take().expect("piped stdout"));
        // Ends when the worker's stdout closes: when it is done, or dead.
        for line in stdout.lines().map_while(Result::ok) {
            if let Some((input, value)) = line.split_once('=') {
                results.push(format!("{input}: {value}"));
            }
        }
        let _ = worker.wait();
    }
    // ANCHOR_END: pool
    results.sort();
    for result in &results {
        println!("{result}");
    }
    println!("pool finished: {} results", results.len());
}

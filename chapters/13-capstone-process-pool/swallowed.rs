//! Chapter 13, swallowed: a naive pool. Tasks are dealt out to two workers
//! up front, fire and forget; the parent waits for one answer per task, and
//! when answers stop coming it takes that for the end. Whatever a dead
//! worker had not done yet is simply not there.
//!
//! Run: `cargo run --example ch13 [TASK...]`
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

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

/// How long the parent waits for the next answer before it stops waiting.
const PATIENCE: Duration = Duration::from_millis(300);

fn main() {
    worker::guard(&[("task", naive_worker)]);
    let inputs = inputs_from_args();

    // ANCHOR: pool
    let (answer, answers) = mpsc::channel();
    let mut workers = Vec::new();
    for _ in 0..2 {
        let mut child = worker::command("task")
            .expect("this program's path")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting a worker");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let answer = answer.clone();
        thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = answer.send(line);
            }
        });
        workers.push(child);
    }
    // Deal the tasks out, round robin, and forget them.
    for (index, input) in inputs.iter().enumerate() {
        let stdin = workers[index % 2].stdin.as_mut().expect("piped stdin");
        let _ = writeln!(stdin, "{input}");
    }
    for worker in &mut workers {
        drop(worker.stdin.take()); // no more tasks: a worker that is done exits
    }
    // One answer per task. `answer` is still held here, so a task that
    // will never be answered makes `recv` wait forever; only the patience
    // ends the wait, and the loop takes silence for the end.
    let mut results = Vec::new();
    while results.len() < inputs.len() {
        let Ok(line) = answers.recv_timeout(PATIENCE) else {
            break;
        };
        if let Some((input, value)) = line.split_once('=') {
            results.push(format!("{input}: {value}"));
        }
    }
    for worker in &mut workers {
        let _ = worker.kill();
        let _ = worker.wait();
    }
    // ANCHOR_END: pool
    results.sort();
    for result in &results {
        println!("{result}");
    }
    println!("pool finished: {} results", results.len());
}

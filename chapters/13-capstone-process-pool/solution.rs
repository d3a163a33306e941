//! Exercise 13, a solution: the same naive pool, with exact blame. A
//! worker answers for each file in order, so when it dies, the first file
//! of its chunk without an answer is the one that killed it; the files
//! after that one never ran, and go to a fresh worker.
//!
//! Run: cargo run --example ch13-solution
use std::io::{BufRead, Write};
use std::process::{ExitCode, Stdio};
use std::thread;

use no_silent_failures::process::Exit;
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
    let mut out = std::io::stdout().lock();
    for file in std::io::stdin().lock().lines().map_while(Result::ok) {
        let hash = hash(&file);
        // Flushed before the next file starts: an answer still in a buffer
        // dies with the worker, and the blame would fall on the wrong file.
        if writeln!(out, "{file} {hash}")
            .and_then(|()| out.flush())
            .is_err()
        {
            return; // The parent stopped listening.
        }
    }
}

/// Runs `files` on one fresh worker, in order. Returns the answers it gave,
/// in order, and how it ended.
fn run_worker(files: &[&str]) -> Result<(Vec<u64>, Exit), String> {
    let mut worker = worker::command("hash")
        .map_err(|e| format!("cannot find this program: {e}"))?
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start a worker: {e}"))?;
    let mut stdin = worker.stdin.take().expect("stdin is piped");
    // A write that fails means the worker is already gone; how it ended
    // says why, so the error itself is not needed.
    let _written = files.iter().try_for_each(|file| writeln!(stdin, "{file}"));
    drop(stdin);
    let output = worker
        .wait_with_output()
        .map_err(|e| format!("cannot wait for a worker: {e}"))?;
    // Answers are taken only in order and only for the right file: a line
    // that does not fit ends the answers.
    let answers = output
        .stdout
        .lines()
        .map_while(Result::ok)
        .zip(files)
        .map_while(|(line, file)| line.strip_prefix(&format!("{file} "))?.parse().ok())
        .collect();
    Ok((answers, Exit::of(output.status)))
}

/// Every file of one chunk, with its hash or why there is none; and any
/// failure of a worker that no file is to blame for.
fn run_chunk(number: usize, chunk: &[&'static str]) -> (Vec<Result<u64, String>>, Vec<String>) {
    let mut outcomes = Vec::with_capacity(chunk.len());
    let mut unblamed = Vec::new();
    // Each round settles at least one file, so this ends.
    while outcomes.len() < chunk.len() {
        let left = &chunk[outcomes.len()..];
        match run_worker(left) {
            Ok((answers, exit)) => {
                let answered = answers.len();
                outcomes.extend(answers.into_iter().map(Ok));
                if answered < left.len() {
                    // The first file without an answer was running when the
                    // worker ended; the rest never started.
                    outcomes.push(Err(format!(
                        "chunk {number}, file {} of {}: worker {exit} while hashing it",
                        outcomes.len() + 1,
                        chunk.len()
                    )));
                } else if !exit.is_success() {
                    // Every answer came, then the worker died: no file is to
                    // blame, and none lost, but it is a failure all the same.
                    unblamed.push(format!(
                        "chunk {number}: worker {exit} after its last answer"
                    ));
                }
            }
            // No worker to run them: every file left fails for that reason.
            Err(why) => outcomes.extend(left.iter().map(|_| Err(why.clone()))),
        }
    }
    (outcomes, unblamed)
}

fn main() -> ExitCode {
    worker::guard(&[("hash", hasher)]);
    // One thread per chunk, each driving its chunk's workers.
    let (mut outcomes, mut unblamed) = (Vec::new(), Vec::new());
    thread::scope(|scope| {
        let chunks: Vec<_> = FILES
            .chunks(CHUNK)
            .enumerate()
            .map(|(index, chunk)| scope.spawn(move || run_chunk(index + 1, chunk)))
            .collect();
        for chunk in chunks {
            let (files, workers) = chunk.join().expect("run_chunk does not panic");
            outcomes.extend(files);
            unblamed.extend(workers);
        }
    });
    let mut failed = !unblamed.is_empty();
    for problem in &unblamed {
        eprintln!("error: {problem}");
    }
    for (file, outcome) in FILES.iter().zip(&outcomes) {
        match outcome {
            Ok(hash) => println!("{file} {hash}"),
            Err(why) => {
                failed = true;
                eprintln!("error: {file}: {why}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

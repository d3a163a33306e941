//! Exercise 7, a solution: each worker gets its own stdout and sends one
//! frame; every text is accounted for, with its worker's exit status; and
//! a worker killed from outside (`SIGKILL`) is tried once more.
//!
//! Run: cargo run --example ch7-solution
use std::io::BufReader;
use std::process::ExitCode;

use no_silent_failures::process::{Exit, last_words};
use no_silent_failures::worker;

const TEXTS: [(&str, &str); 4] = [
    ("a.txt", "one two three"),
    ("empty.txt", ""),
    ("big.txt", "six seven eight nine"),
    ("b.txt", "four five"),
];

/// Which try this worker is, as its parent says in this variable (1 when
/// it says nothing).
const TRY_VAR: &str = "EXERCISE7_TRY";

/// Runs in the child: counts the words of the text named by the argument.
fn count() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let (_, text) = TEXTS.iter().find(|(n, _)| *n == name).unwrap();
    let try_number: u32 = std::env::var(TRY_VAR).map_or(1, |n| n.parse().unwrap_or(1));
    if name == "big.txt" && try_number == 1 {
        // The machine is short of memory, and the kernel's out-of-memory
        // killer picks this worker, the first time only.
        kill_self();
    }
    let words = text.split_whitespace().count();
    assert!(words > 0, "no words in {name}");
    worker::send(&words).expect("the parent is reading");
}

/// Tries in all for a text whose worker was killed from outside.
const MAX_TRIES: u32 = 2;

/// Runs one worker for `name`: its count, or how it ended without one.
fn run_worker(name: &str, try_number: u32) -> Result<usize, (Exit, String)> {
    let output = worker::command("count")
        .expect("this program's path")
        .arg(name)
        .env(TRY_VAR, try_number.to_string())
        .output()
        .expect("running a worker");
    let mut noise = Vec::new();
    let frame = worker::read_frame(&mut BufReader::new(&output.stdout[..]), &mut noise)
        .expect("reading from memory");
    let words = frame.and_then(|json| serde_json::from_str::<usize>(&json).ok());
    match (Exit::of(output.status), words) {
        (exit, Some(words)) if exit.is_success() => Ok(words),
        (exit, _) => Err((exit, last_words(&output.stderr, 3))),
    }
}

fn main() -> ExitCode {
    worker::guard(&[("count", count)]);
    let mut failed = false;
    for (name, _) in TEXTS {
        let mut try_number = 1;
        let outcome = loop {
            match run_worker(name, try_number) {
                // Killed by SIGKILL: the out-of-memory killer, or an
                // operator, not the text's fault. Worth one more try. A
                // panic is the text's own failure, and would fail again.
                Err((Exit::Signal(9), _)) if try_number < MAX_TRIES => try_number += 1,
                outcome => break outcome,
            }
        };
        match outcome {
            Ok(words) => println!("{name} {words} word{}", if words == 1 { "" } else { "s" }),
            Err((exit, stderr)) => {
                failed = true;
                let tries = if try_number == 1 {
                    "1 try".to_owned()
                } else {
                    format!("{try_number} tries")
                };
                eprintln!("error: {name}: worker {exit} without a count ({tries})");
                // Its own account of why, a panic's message and location.
                for line in stderr.lines().filter(|l| !l.is_empty()) {
                    eprintln!("  stderr: {line}");
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

include!("../shared/kill_self.rs");

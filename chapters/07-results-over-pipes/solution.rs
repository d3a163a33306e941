//! Exercise 7, a solution: each worker gets its own stdout and sends one
//! frame; every text is accounted for, with its worker's exit status.
//!
//! Run: cargo run --example ch7-solution
use std::io::BufReader;
use std::process::ExitCode;

use no_silent_failures::process::{Exit, last_words};
use no_silent_failures::worker;

const TEXTS: [(&str, &str); 3] = [
    ("a.txt", "one two three"),
    ("empty.txt", ""),
    ("b.txt", "four five"),
];

/// Runs in the child: counts the words of the text named by the argument.
fn count() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let (_, text) = TEXTS.iter().find(|(n, _)| *n == name).unwrap();
    let words = text.split_whitespace().count();
    assert!(words > 0, "no words in {name}");
    worker::send(&words).expect("the parent is reading");
}

fn main() -> ExitCode {
    worker::guard(&[("count", count)]);
    let mut failed = false;
    for (name, _) in TEXTS {
        let output = worker::command("count")
            .expect("this program's path")
            .arg(name)
            .output()
            .expect("running a worker");
        let mut noise = Vec::new();
        let frame = worker::read_frame(&mut BufReader::new(&output.stdout[..]), &mut noise)
            .expect("reading from memory");
        let words = frame.and_then(|json| serde_json::from_str::<usize>(&json).ok());
        match (Exit::of(output.status), words) {
            (exit, Some(words)) if exit.is_success() => println!("{name} {words} words"),
            (exit, _) => {
                failed = true;
                eprintln!("error: {name}: worker {exit} without a count");
                // Its own account of why, a panic's message and location.
                for line in last_words(&output.stderr, 3)
                    .lines()
                    .filter(|l| !l.is_empty())
                {
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

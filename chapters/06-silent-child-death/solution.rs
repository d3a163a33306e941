//! Exercise 6, a solution: wait for every child, but no longer than a
//! deadline; kill one that overruns it, and read how each one ended.
//!
//! Run: cargo run --example ch6-solution
use std::io::Read;
use std::process::{ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use no_silent_failures::process::Exit;
use no_silent_failures::worker;

const FILES: [&str; 5] = ["cat.png", "broken.png", "huge.png", "slow.png", "dog.png"];

/// How long one conversion may take.
const DEADLINE: Duration = Duration::from_secs(1);

/// Runs in the child: converts the file named by the first argument.
fn convert() {
    match std::env::args().nth(1).unwrap_or_default().as_str() {
        "broken.png" => std::process::abort(), // a crash in the decoder
        "huge.png" => std::process::exit(3),   // "out of memory", its own way
        // Stuck on a network share: it answers, but far too late, and
        // logs when it does.
        "slow.png" => {
            std::thread::sleep(Duration::from_secs(3));
            eprintln!("convert: slow.png: converted, at last");
            println!("converted");
        }
        _ => println!("converted"),
    }
}

/// Converts one file in a child, and says why when it did not.
fn convert_in_child(file: &str) -> Result<(), String> {
    let mut child = worker::command("convert")
        .map_err(|e| format!("cannot find this program: {e}"))?
        .arg(file)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the converter: {e}"))?;
    let started = Instant::now();
    // std has no `wait` with a timeout: ask with `try_wait` until the child
    // has ended or the deadline has passed.
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < DEADLINE => thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                // Kill it, then wait for it: a killed child not waited for
                // stays behind as a zombie.
                let killed = child.kill().and_then(|()| child.wait());
                return Err(match killed {
                    Ok(_) => format!("timed out after {}ms; killed it", DEADLINE.as_millis()),
                    Err(e) => format!("timed out, and could not be killed: {e}"),
                });
            }
            Err(e) => return Err(format!("cannot wait for the converter: {e}")),
        }
    };
    let mut said = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout
            .read_to_string(&mut said)
            .map_err(|e| format!("cannot read the converter's output: {e}"))?;
    }
    let exit = Exit::of(status);
    // Success means both: a clean exit *and* the word it promised.
    if exit.is_success() && said.starts_with("converted") {
        Ok(())
    } else {
        Err(format!("converter {exit}"))
    }
}

fn main() -> ExitCode {
    worker::guard(&[("convert", convert)]);
    let mut failed = false;
    for file in FILES {
        match convert_in_child(file) {
            Ok(()) => println!("{file}: converted"),
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

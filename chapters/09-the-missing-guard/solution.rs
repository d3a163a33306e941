//! Exercise 9, a solution: the guard is the first line of a `main` that is
//! not async. `#[tokio::main]` starts its runtime before the first line of
//! `main`, so a worker would run its role inside the parent's runtime, and
//! the role's own `block_on` would panic. The runtime is started by hand,
//! after the guard.
//!
//! Run: cargo run --example ch9-solution
use std::process::ExitCode;

use no_silent_failures::process::Exit;
use no_silent_failures::worker;

const FILES: [&str; 2] = ["report.pdf", "photo.jpg"];

/// An async checksum, as a library might offer it: a toy one, of the name.
async fn checksum_of(name: &str) -> u32 {
    tokio::task::yield_now().await;
    name.bytes().map(u32::from).sum()
}

/// Runs in a worker: the checksum of the file name given as argument. The
/// worker is not async, so it starts a small runtime of its own.
fn checksum() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let sum = runtime.block_on(checksum_of(&name));
    println!("{name} {sum}");
}

fn main() -> ExitCode {
    // Before anything else, the runtime included.
    worker::guard(&[("checksum", checksum)]);
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(parent()),
        Err(error) => {
            eprintln!("error: runtime: cannot start: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn parent() -> ExitCode {
    // Each worker is waited for on a blocking thread, all at once.
    let workers: Vec<_> = FILES
        .into_iter()
        .map(|file| {
            let worker = tokio::task::spawn_blocking(move || {
                worker::command("checksum")?.arg(file).output()
            });
            (file, worker)
        })
        .collect();
    let mut started = 0;
    let mut failed = false;
    for (file, worker) in workers {
        match worker.await {
            Ok(Ok(output)) => {
                started += 1;
                let exit = Exit::of(output.status);
                if exit.is_success() {
                    print!("{}", String::from_utf8_lossy(&output.stdout));
                } else {
                    failed = true;
                    eprintln!("error: {file}: worker {exit}");
                }
            }
            Ok(Err(error)) => {
                failed = true;
                eprintln!("error: {file}: cannot run a worker: {error}");
            }
            Err(join_error) => {
                failed = true;
                eprintln!("error: {file}: {join_error}");
            }
        }
    }
    println!("started {started} workers");
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

//! Exercise 11, a solution: the runner keeps a crash and a hang apart.
//!
//! Run: cargo run --example ch11-solution
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use no_silent_failures::runner::Runner;

const ARCHIVES: [&str; 3] = ["mon.tar", "tue.tar", "wed.tar"];

fn verify(archive: &str) -> Result<(), std::io::Error> {
    match archive {
        "tue.tar" => panic!("corrupt header in {archive}"),
        "wed.tar" => {
            let (_sender, never) = mpsc::channel::<()>();
            let _ = never.recv_timeout(Duration::from_secs(3600));
            Ok(())
        }
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let outcomes =
        Runner::new()
            .run_with_timeout(ARCHIVES.to_vec(), Duration::from_millis(100), |a| verify(a));
    let mut failed = false;
    for outcome in &outcomes {
        match &outcome.result {
            Ok(()) => println!("{}: verified", outcome.input),
            Err(failure) => {
                failed = true;
                eprintln!("error: {}: {failure}", outcome.input);
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

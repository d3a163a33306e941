//! Chapter 13, fixed: the library's process pool. Every input gets exactly
//! one outcome, whatever its worker does.
//!
//! Run: `cargo run --example ch13-fixed [TASK...]`
//! Tasks: `square N`, `panic`, `panic-twice`, `abort`, `kill`, `exit0`,
//! `exit N`, `hang`, `slow MS`, `noise N`, `big N` (a result of N MiB),
//! `env NAME`, `stdin`, `forge`, `spam`, `flood`, `orphan`.
use std::process::ExitCode;
use std::time::Duration;

use no_silent_failures::failure::Failure;
use no_silent_failures::outcome::Tally;
use no_silent_failures::pool::{self, Config, ProcessPool};
use no_silent_failures::worker;

include!("tasks.rs");

fn pool_worker() {
    pool::serve(run_task);
}

fn main() -> ExitCode {
    worker::guard(&[("task", pool_worker)]);

    // ANCHOR: run
    let config = Config::new("task")
        .workers(2)
        .chunk_size(4)
        .timeout(Duration::from_millis(500));
    let mut pool = ProcessPool::new(config).expect("this program's path");
    let mut reported = 0;
    let outcomes =
        pool.run_with_progress::<String, String>(inputs_from_args(), |_, _| reported += 1);
    // ANCHOR_END: run

    // ANCHOR: report
    for (index, outcome) in outcomes.iter().enumerate() {
        match &outcome.result {
            Ok(value) if value.len() > 40 => {
                println!("#{index} {:?}: {} bytes", outcome.input, value.len())
            }
            Ok(value) => println!("#{index} {:?}: {value}", outcome.input),
            Err(failure) => {
                eprintln!("error: {:?}: {failure}", outcome.input);
                if let Failure::Died(death) = failure {
                    for line in death.stderr_tail.lines().filter(|l| !l.is_empty()) {
                        eprintln!("    stderr: {line}");
                    }
                }
            }
        }
    }
    let tally = Tally::of(&outcomes);
    let outcomes = if reported == 1 { "outcome" } else { "outcomes" };
    println!("{tally}; {reported} {outcomes} reported as they came");
    // ANCHOR_END: report
    if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

//! Chapter 6, fixed: every child waited, its exit status classified (code
//! or signal), and its stderr's last lines kept with the failure.
//!
//! Run: `cargo run --example ch6-fixed`
use std::process::{ExitCode, Stdio};

use no_silent_failures::failure::Failure;
use no_silent_failures::process::{Death, Exit, last_words};
use no_silent_failures::report::ErrorReport;
use no_silent_failures::worker;

include!("jobs.rs");

fn main() -> ExitCode {
    worker::guard(&[("job", run_job)]);

    // ANCHOR: spawn
    let children: Vec<_> = JOBS
        .iter()
        .map(|job| {
            let child = worker::command("job")
                .expect("the path of this program")
                .arg(job)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawning a child");
            (job, child)
        })
        .collect();
    // ANCHOR_END: spawn

    // ANCHOR: classify
    let mut failed = 0;
    for (job, child) in children {
        let output = child.wait_with_output().expect("waiting for a child");
        let exit = Exit::of(output.status);
        let value = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse::<u32>();
        // Success means both: a clean exit *and* the result it promised.
        let outcome: Result<u32, Failure<ErrorReport>> = match (exit, value) {
            (Exit::Code(0), Ok(value)) => Ok(value),
            (exit, _) => Err(Failure::Died(Box::new(Death {
                exit,
                stderr_tail: last_words(&output.stderr, 3),
            }))),
        };
        match outcome {
            Ok(value) => println!("{job}: {value}"),
            Err(failure) => {
                failed += 1;
                eprintln!("error: {job}: {failure}");
                if let Failure::Died(death) = &failure {
                    for line in death.stderr_tail.lines() {
                        eprintln!("  stderr: {line}");
                    }
                }
            }
        }
    }
    // ANCHOR_END: classify
    println!(
        "{} of {} jobs succeeded, {failed} failed",
        JOBS.len() - failed,
        JOBS.len()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

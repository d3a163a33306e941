//! Chapter 3, fixed: keep every handle, join every one, and report each
//! returned error and each panic with the input it belongs to.
//!
//! Run: `cargo run --example ch3-fixed [RECIPIENT...]`
use std::process::ExitCode;
use std::thread;

use no_silent_failures::panic::message;

include!("notify.rs");

fn main() -> ExitCode {
    let recipients = recipients_from_args();
    // ANCHOR: join
    let workers: Vec<_> = recipients
        .iter()
        .map(|recipient| {
            let input = recipient.clone();
            (recipient, thread::spawn(move || deliver(&input)))
        })
        .collect();

    // Failures are printed after every worker has ended, so they never
    // interleave with a panic message still being written by the hook.
    let mut failures = Vec::new();
    for (recipient, worker) in workers {
        match worker.join() {
            Ok(Ok(())) => println!("sent to {recipient:?}"),
            Ok(Err(error)) => {
                failures.push(format!("{recipient:?}: returned: {error}"));
            }
            Err(payload) => {
                failures.push(format!(
                    "{recipient:?}: panicked: {}",
                    message(payload.as_ref())
                ));
            }
        }
    }
    for failure in &failures {
        eprintln!("error: {failure}");
    }
    // ANCHOR_END: join
    let sent = recipients.len() - failures.len();
    println!("sent {sent} of {} notifications", recipients.len());
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

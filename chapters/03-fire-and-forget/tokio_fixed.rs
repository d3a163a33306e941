//! Chapter 3, fixed, tokio edition: await every handle and tell a returned
//! error, a panic and a cancellation apart.
//!
//! Run: `cargo run --example ch3-tokio-fixed [RECIPIENT...]`
use std::process::ExitCode;

use no_silent_failures::panic::message;

include!("notify.rs");

#[tokio::main]
async fn main() -> ExitCode {
    let recipients = recipients_from_args();
    // ANCHOR: join
    let tasks: Vec<_> = recipients
        .iter()
        .map(|recipient| {
            let input = recipient.clone();
            (recipient, tokio::spawn(async move { deliver(&input) }))
        })
        .collect();

    // Failures are printed after every worker has ended, so they never
    // interleave with a panic message still being written by the hook.
    let mut failures = Vec::new();
    for (recipient, task) in tasks {
        match task.await {
            Ok(Ok(())) => println!("sent to {recipient:?}"),
            Ok(Err(error)) => {
                failures.push(format!("{recipient:?}: returned: {error}"));
            }
            Err(join_error) if join_error.is_panic() => {
                let payload = join_error.into_panic();
                failures.push(format!(
                    "{recipient:?}: panicked: {}",
                    message(payload.as_ref())
                ));
            }
            Err(join_error) => {
                failures.push(format!("{recipient:?}: {join_error}"));
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

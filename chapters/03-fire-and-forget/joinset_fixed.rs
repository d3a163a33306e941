//! Chapter 3, tokio `JoinSet`, fixed: drain the set to the end, name each
//! outcome's input by its task id, and tell a returned error, a panic and
//! a cancellation apart.
//!
//! Run: `cargo run --example ch3-joinset-fixed`
use std::collections::HashMap;
use std::process::ExitCode;

use no_silent_failures::panic::message;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

include!("notify.rs");

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut recipients = vec!["ops@example.org".to_owned()];
    recipients.extend(recipients_from_args());
    let (reply, replied) = oneshot::channel::<()>();
    // ANCHOR: spawn
    let mut set = JoinSet::new();
    // `spawn` returns an `AbortHandle`; its id names the task's input.
    let slow = set.spawn(async move {
        let _ = replied.await;
        deliver("ops@example.org")
    });
    let mut inputs = HashMap::from([(slow.id(), 0)]);
    for (index, recipient) in recipients.iter().enumerate().skip(1) {
        let input = recipient.clone();
        let task = set.spawn(async move { deliver(&input) });
        inputs.insert(task.id(), index);
    }
    // ANCHOR_END: spawn
    // ANCHOR: drain
    let mut outcomes: Vec<Option<Result<(), String>>> = vec![None; recipients.len()];
    while let Some(joined) = set.join_next_with_id().await {
        let (id, outcome) = match joined {
            Ok((id, Ok(()))) => (id, Ok(())),
            Ok((id, Err(error))) => (id, Err(format!("returned: {error}"))),
            Err(error) if error.is_panic() => {
                let id = error.id();
                let payload = error.into_panic();
                (id, Err(format!("panicked: {}", message(payload.as_ref()))))
            }
            Err(error) if error.is_cancelled() => (error.id(), Err("cancelled".into())),
            Err(error) => (error.id(), Err(error.to_string())),
        };
        outcomes[inputs[&id]] = Some(outcome);
        // Every delivery but the slow one is in: stop waiting for it.
        if set.len() == 1 {
            slow.abort();
        }
    }
    // ANCHOR_END: drain
    drop(reply);
    // ANCHOR: report
    let mut failed = 0;
    for (recipient, outcome) in recipients.iter().zip(&outcomes) {
        match outcome.as_ref().expect("the set was drained") {
            Ok(()) => println!("sent to {recipient:?}"),
            Err(failure) => {
                failed += 1;
                eprintln!("error: {recipient:?}: {failure}");
            }
        }
    }
    // ANCHOR_END: report
    println!(
        "sent {} of {} notifications",
        recipients.len() - failed,
        recipients.len()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

//! Exercise 11, a solution: a crash and a hang kept apart, and a hung
//! verification stopped and joined, not left behind. std cannot stop a
//! thread from outside; this one is asked to stop, and is waited for.
//!
//! Run: cargo run --example ch11-solution
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use no_silent_failures::panic::message;

const ARCHIVES: [&str; 3] = ["mon.tar", "tue.tar", "wed.tar"];

/// How long a verification may take.
const LIMIT: Duration = Duration::from_millis(200);

/// Verifies an archive. Reading wed.tar hangs (a stuck network mount)
/// until the other end of `stop` hangs up; then it gives up, and says how
/// far it got.
fn verify(archive: &str, stop: &mpsc::Receiver<()>) -> Result<(), String> {
    match archive {
        "tue.tar" => panic!("corrupt header in {archive}"),
        "wed.tar" => match stop.recv_timeout(Duration::from_secs(3600)) {
            Err(RecvTimeoutError::Disconnected) => {
                Err(format!("gave up on {archive} after 3 of 40 blocks"))
            }
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let mut verifiers = Vec::new();
    for archive in ARCHIVES {
        let (answer, answered) = mpsc::channel();
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            // The verifier may have given up on this answer: that is fine.
            let _ = answer.send(verify(archive, &stopped));
        });
        verifiers.push((archive, answered, stop, thread));
    }
    let mut failures = Vec::new();
    for (archive, answered, stop, thread) in verifiers {
        let reason = match answered.recv_timeout(LIMIT) {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(format!("invalid: {error}")),
            // The thread ended without answering: it panicked, and `join`
            // has its payload.
            Err(RecvTimeoutError::Disconnected) => Some(match thread.join() {
                Err(payload) => format!("panicked: {}", message(payload.as_ref())),
                Ok(()) => "ended without an answer".to_owned(),
            }),
            // Still running: hang up on it, which tells it to stop, and
            // wait for it to end. Its last word is its answer, sent as it
            // gave up: only a verifier that was stopped and waited for can
            // report it.
            Err(RecvTimeoutError::Timeout) => {
                drop(stop);
                let ended = match thread.join() {
                    Ok(()) => match answered.try_recv() {
                        Ok(Err(error)) => format!("stopped it: {error}"),
                        other => format!("stopped it, and it answered {other:?}"),
                    },
                    Err(payload) => format!("stopped it; it panicked: {}", message(&*payload)),
                };
                Some(format!("timed out after {}ms; {ended}", LIMIT.as_millis()))
            }
        };
        match reason {
            None => println!("{archive}: verified"),
            Some(reason) => failures.push(format!("error: {archive}: {reason}")),
        }
    }
    for failure in &failures {
        eprintln!("{failure}");
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

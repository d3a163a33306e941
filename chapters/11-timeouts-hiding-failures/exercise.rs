//! Exercise 11: a backup verifier. Each archive is verified on its own
//! thread, with 200 ms to answer.
//!
//! Run:   cargo run --example ch11-exercise
//! Check: cargo test --test book -- --ignored exercise_11
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

const ARCHIVES: [&str; 3] = ["mon.tar", "tue.tar", "wed.tar"];

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

fn main() {
    let mut answers = Vec::new();
    for archive in ARCHIVES {
        let (answer, answered) = mpsc::channel();
        let (stop, stopped) = mpsc::channel::<()>();
        thread::spawn(move || {
            let _ = answer.send(verify(archive, &stopped));
        });
        answers.push((archive, answered, stop));
    }
    for (archive, answered, _stop) in answers {
        match answered.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(())) => println!("{archive}: verified"),
            Ok(Err(error)) => println!("{archive}: invalid: {error}"),
            Err(_) => println!("{archive}: timed out, will retry tonight"),
        }
    }
}

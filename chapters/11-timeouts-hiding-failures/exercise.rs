//! Exercise 11: a backup verifier. Each archive is verified on its own
//! thread, with 100 ms to answer.
//!
//! Run:   cargo run --example ch11-exercise
//! Check: cargo test --test exercises -- --ignored exercise_11
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const ARCHIVES: [&str; 3] = ["mon.tar", "tue.tar", "wed.tar"];

fn verify(archive: &str) -> Result<(), String> {
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

fn main() {
    let mut answers = Vec::new();
    for archive in ARCHIVES {
        let (answer, answered) = mpsc::channel();
        thread::spawn(move || {
            let _ = answer.send(verify(archive));
        });
        answers.push((archive, answered));
    }
    for (archive, answered) in answers {
        match answered.recv_timeout(Duration::from_millis(100)) {
            Ok(Ok(())) => println!("{archive}: verified"),
            Ok(Err(error)) => println!("{archive}: invalid: {error}"),
            Err(_) => println!("{archive}: timed out, will retry tonight"),
        }
    }
}

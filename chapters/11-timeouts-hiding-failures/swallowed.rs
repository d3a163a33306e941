//! Chapter 11, swallowed: every way of not hearing back is called a
//! timeout, so a crashed check reads like a slow one.
//!
//! Run: `cargo run --example ch11`
use std::sync::mpsc;
use std::thread;

include!("checks.rs");

type Check = Box<dyn FnOnce() -> Result<(), CheckError> + Send>;

fn main() {
    // The disk check hangs: it waits for an answer that never comes.
    let (_never_sent, never_received) = mpsc::channel::<()>();
    let check_disk = move || -> Result<(), CheckError> {
        let _ = never_received.recv();
        Ok(())
    };

    // ANCHOR: run
    let mut answers = Vec::new();
    let checks: Vec<(&str, Check)> = vec![
        ("database", Box::new(check_database)),
        ("cache", Box::new(check_cache)),
        ("queue", Box::new(check_queue)),
        ("disk", Box::new(check_disk)),
    ];
    for (name, check) in checks {
        let (answer, answered) = mpsc::channel();
        thread::spawn(move || {
            let _ = answer.send(check());
        });
        answers.push((name, answered));
    }
    for (name, answered) in answers {
        match answered.recv_timeout(LIMIT) {
            Ok(Ok(())) => println!("{name}: healthy"),
            Ok(Err(error)) => println!("{name}: unhealthy: {error}"),
            // Timeout and Disconnected, lumped together.
            Err(_) => println!("{name}: timed out, will retry"),
        }
    }
    // ANCHOR_END: run
}

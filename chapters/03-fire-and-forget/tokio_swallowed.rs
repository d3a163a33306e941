//! Chapter 3, swallowed, tokio edition: tasks spawned and their
//! `JoinHandle`s dropped.
//!
//! Run: `cargo run --example ch3-tokio [RECIPIENT...]`
use tokio::sync::mpsc;

include!("notify.rs");

#[tokio::main]
async fn main() {
    let recipients = recipients_from_args();
    // ANCHOR: spawn
    let (alive, mut all_ended) = mpsc::channel::<()>(1);
    for recipient in &recipients {
        let recipient = recipient.clone();
        let alive = alive.clone();
        // Dropping a tokio JoinHandle detaches the task. Tokio catches the
        // task's panic, and with no handle left, drops it, like the task's
        // returned value, as soon as the task ends.
        tokio::spawn(async move {
            let _alive = alive;
            deliver(&recipient)
        });
    }
    drop(alive);
    // `None` once every task has ended and dropped its sender.
    let _ = all_ended.recv().await;
    println!("sent {} notifications", recipients.len());
    // ANCHOR_END: spawn
}

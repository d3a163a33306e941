//! Chapter 3, swallowed: threads spawned and their handles dropped. An `Err`
//! returned by a worker vanishes; a panic leaves one line on stderr.
//!
//! Run: `cargo run --example ch3 [RECIPIENT...]`
use std::sync::mpsc;
use std::thread;

include!("notify.rs");

fn main() {
    let recipients = recipients_from_args();
    // ANCHOR: spawn
    // Each worker holds a clone of `alive`; the channel closes once every
    // worker has ended, however it ended.
    let (alive, all_ended) = mpsc::channel::<()>();
    for recipient in &recipients {
        let recipient = recipient.clone();
        let alive = alive.clone();
        // The JoinHandle is dropped right here: the thread is detached, and
        // whatever `deliver` returns goes with it.
        thread::spawn(move || {
            let _alive = alive;
            deliver(&recipient)
        });
    }
    drop(alive);
    // Returns Err(RecvError) once the last worker is gone.
    let _ = all_ended.recv();
    println!("sent {} notifications", recipients.len());
    // ANCHOR_END: spawn
}

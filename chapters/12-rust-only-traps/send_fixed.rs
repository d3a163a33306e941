//! Chapter 12, fixed: a failed send means the receiver is gone. Stop, say
//! which records were not delivered, and ask the collector why.
//!
//! Run: `cargo run --example ch12-send-fixed`
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;

include!("records.rs");

fn main() -> ExitCode {
    // ANCHOR: send
    let (records, received) = mpsc::sync_channel::<&str>(0);
    let collector = thread::spawn(move || store_all(received));

    let mut undelivered = Vec::new();
    for record in RECORDS {
        // `send` fails only when the receiver has been dropped, and hands
        // the record back.
        if let Err(mpsc::SendError(record)) = records.send(record) {
            undelivered.push(record);
        }
    }
    drop(records);
    let delivered = RECORDS.len() - undelivered.len();
    println!(
        "producer: delivered {delivered} of {} records",
        RECORDS.len()
    );
    let collected = collector.join().expect("the collector does not panic");
    // ANCHOR_END: send
    match collected {
        Ok(stored) if undelivered.is_empty() => {
            println!("collector: stored {} records", stored.len());
            ExitCode::SUCCESS
        }
        Ok(stored) => {
            println!("collector: stored {} records", stored.len());
            println!("error: not delivered: {undelivered:?}");
            ExitCode::FAILURE
        }
        Err(why) => {
            println!("error: collector stopped: {why}");
            println!("error: not delivered: {undelivered:?}");
            ExitCode::FAILURE
        }
    }
}

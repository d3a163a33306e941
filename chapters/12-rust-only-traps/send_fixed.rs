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
            for record in undelivered {
                eprintln!("error: {record}: not delivered");
            }
            ExitCode::FAILURE
        }
        Err(why) => {
            eprintln!("error: collector: stopped: {why}");
            for record in undelivered {
                eprintln!("error: {record}: not delivered, the collector had stopped");
            }
            ExitCode::FAILURE
        }
    }
}

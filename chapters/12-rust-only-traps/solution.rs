//! Exercise 12, a solution: a failed send hands the job back; keep those,
//! and ask the printer why it stopped.
//!
//! Run: cargo run --example ch12-solution
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;

const JOBS: [&str; 5] = [
    "invoice.pdf",
    "memo.txt",
    "photo.raw",
    "letter.pdf",
    "map.png",
];

/// Prints jobs until one has a format it does not know.
fn printer(jobs: mpsc::Receiver<&'static str>) -> Result<usize, String> {
    let mut printed = 0;
    for job in jobs {
        if job.ends_with(".raw") {
            return Err(format!("cannot print {job}: unknown format"));
        }
        printed += 1;
    }
    Ok(printed)
}

fn main() -> ExitCode {
    let (jobs, received) = mpsc::sync_channel(0);
    let printer = thread::spawn(move || printer(received));
    let mut undelivered = Vec::new();
    for job in JOBS {
        if let Err(mpsc::SendError(job)) = jobs.send(job) {
            undelivered.push(job);
        }
    }
    drop(jobs);
    let printed = printer.join().expect("the printer does not panic");
    let mut failed = !undelivered.is_empty();
    match printed {
        Ok(count) => println!("printed {count}"),
        Err(why) => {
            failed = true;
            eprintln!("error: printer: {why}");
        }
    }
    for job in undelivered {
        eprintln!("error: {job}: not delivered, the printer had stopped");
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

//! Exercise 12: a print spooler. The producer sends jobs to a printer
//! thread, which stops at the first job it cannot print.
//!
//! Run:   cargo run --example ch12-exercise
//! Check: cargo test --test exercises -- --ignored exercise_12
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

fn main() {
    let (jobs, received) = mpsc::sync_channel(0);
    let printer = thread::spawn(move || printer(received));
    for job in JOBS {
        let _ = jobs.send(job);
    }
    drop(jobs);
    let printed = printer.join().unwrap().unwrap_or(0);
    println!("spooled {} jobs, printed {printed}", JOBS.len());
}

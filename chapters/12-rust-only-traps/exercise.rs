//! Exercise 12: a print spooler. The producer sends jobs to a printer
//! thread, which stops at the first job it cannot print.
//!
//! Run:   cargo run --example ch12-exercise
//! Check: cargo test --test book -- --ignored exercise_12
use std::sync::mpsc;
use std::thread;

const JOBS: [&str; 6] = [
    "invoice.pdf",
    "memo.txt",
    "photo.raw",
    "letter.pdf",
    "scan.raw",
    "map.png",
];

/// Prints jobs until one has a format it does not know; then it stops,
/// and says which job and why.
fn printer(jobs: mpsc::Receiver<&'static str>) -> Result<usize, (&'static str, String)> {
    let mut printed = 0;
    for job in jobs {
        if job.ends_with(".raw") {
            return Err((job, "unknown format".to_owned()));
        }
        println!("printed {job}");
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

//! Exercise 12, a solution: a failed send hands the job back. Ask the
//! printer why it stopped, start a fresh one, and send the job again; but
//! restart it once at most, and report every job it never received.
//!
//! Run: cargo run --example ch12-solution
use std::collections::VecDeque;
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};

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

/// How often a stopped printer is started again. A printer that keeps
/// stopping needs a person, not a loop.
const MAX_RESTARTS: usize = 1;

type Printer = (
    mpsc::SyncSender<&'static str>,
    JoinHandle<Result<usize, (&'static str, String)>>,
);

fn start() -> Printer {
    let (jobs, received) = mpsc::sync_channel(0);
    (jobs, thread::spawn(move || printer(received)))
}

/// Waits for a printer that has stopped or finished, and says why it
/// stopped, if it failed.
fn stopped(printer: JoinHandle<Result<usize, (&'static str, String)>>) -> Option<String> {
    match printer.join() {
        Ok(Ok(_)) => None,
        Ok(Err((job, why))) => Some(format!("error: {job}: {why}")),
        Err(_) => Some("error: printer: panicked".to_owned()),
    }
}

fn main() -> ExitCode {
    let mut failures = Vec::new();
    let mut queue: VecDeque<&'static str> = JOBS.into();
    let mut current = Some(start());
    let mut restarts = 0;
    while let Some(job) = queue.pop_front() {
        let Some((jobs, _)) = &current else {
            failures.push(format!(
                "error: {job}: not delivered: the printer stopped again, \
                 and its restarts are used up ({MAX_RESTARTS} allowed)"
            ));
            continue;
        };
        // The channel is a rendezvous: a send succeeds only once the
        // printer has taken the job, and fails once it has stopped.
        let Err(mpsc::SendError(job)) = jobs.send(job) else {
            continue;
        };
        let (_, printer) = current.take().expect("a printer was running");
        failures.extend(stopped(printer));
        if restarts < MAX_RESTARTS {
            restarts += 1;
            current = Some(start());
        }
        // Back at the front: to the new printer, or into the report.
        queue.push_front(job);
    }
    if let Some((jobs, printer)) = current {
        drop(jobs);
        failures.extend(stopped(printer));
    }
    for failure in &failures {
        eprintln!("{failure}");
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

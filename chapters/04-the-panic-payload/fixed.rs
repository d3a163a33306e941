//! Chapter 4, fixed: each job captures its own panic (message, location,
//! thread; a backtrace with `--backtrace`) and sends it home; the supervisor
//! waits for all of them, but no longer than a deadline.
//!
//! Run: `cargo run --example ch4-fixed [--backtrace]`
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use no_silent_failures::panic::{Panic, catch, catch_with_backtrace};

include!("jobs.rs");

type Work = Box<dyn FnOnce() + Send>;

/// How long the supervisor waits for all jobs together.
const DEADLINE: Duration = Duration::from_millis(200);

fn main() -> ExitCode {
    let with_backtrace = std::env::args().any(|arg| arg == "--backtrace");

    // A fifth job never finishes: it waits for a message no one sends.
    // `never_sent` stays alive until main returns, so the wait is real.
    let (never_sent, never_received) = mpsc::channel::<()>();
    let mut jobs: Vec<(&str, Work)> = JOBS
        .into_iter()
        .map(|(name, job)| (name, Box::new(job) as Work))
        .collect();
    jobs.push((
        "sync",
        Box::new(move || {
            let _ = never_received.recv();
        }),
    ));
    let names: Vec<&str> = jobs.iter().map(|(name, _)| *name).collect();

    // ANCHOR: spawn
    let (reports, received) = mpsc::channel::<(usize, Result<(), Panic>)>();
    for (index, (name, job)) in jobs.into_iter().enumerate() {
        let reports = reports.clone();
        thread::Builder::new()
            .name(format!("job-{name}"))
            .spawn(move || {
                let outcome = if with_backtrace {
                    catch_with_backtrace(job)
                } else {
                    catch(job)
                };
                // The supervisor may have stopped waiting; that is fine.
                let _ = reports.send((index, outcome));
            })
            .expect("spawning a thread");
    }
    drop(reports);
    // ANCHOR_END: spawn

    // ANCHOR: wait
    // std has no `join_timeout`: wait on the channel instead, with one
    // deadline for the whole batch.
    let deadline = Instant::now() + DEADLINE;
    let mut outcomes: Vec<Option<Result<(), Panic>>> = names.iter().map(|_| None).collect();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match received.recv_timeout(left) {
            Ok((index, outcome)) => outcomes[index] = Some(outcome),
            // Every job has reported, or the deadline passed.
            Err(RecvTimeoutError::Disconnected | RecvTimeoutError::Timeout) => break,
        }
    }
    // ANCHOR_END: wait

    // ANCHOR: report
    let mut failed = 0;
    for (name, outcome) in names.iter().zip(&outcomes) {
        match outcome {
            Some(Ok(())) => println!("job {name}: ok"),
            Some(Err(panic)) => {
                failed += 1;
                eprintln!("error: {name}: {panic}");
                if let Some(backtrace) = &panic.backtrace {
                    eprintln!("{backtrace}");
                }
            }
            None => {
                failed += 1;
                eprintln!(
                    "error: {name}: no outcome within {}ms; its thread is still running",
                    DEADLINE.as_millis()
                );
            }
        }
    }
    // ANCHOR_END: report
    drop(never_sent);
    println!("{} of {} jobs done", names.len() - failed, names.len());
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

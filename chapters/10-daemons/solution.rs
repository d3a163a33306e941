//! Exercise 10, a solution: the exporter is owned by main, and shut down
//! with a deadline. Each metric is flushed as it is exported, so a stuck
//! exporter cannot take finished work down with it; whatever it has not
//! exported by the deadline is reported, and main does not wait for it.
//! Printing and counting share one lock, which main takes at the deadline:
//! a metric is reported exported or not exported, never both.
//!
//! Run: cargo run --example ch10-solution
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

const METRICS: [&str; 4] = ["cpu=0.7", "mem=512", "gpu=n/a", "disk=0.9"];

/// How long main waits for the exporter to finish, once it is told to.
const SHUTDOWN: Duration = Duration::from_secs(1);

/// Pretends to send a metric to the collector, which has stopped answering
/// by the time the third one comes: that call takes three seconds.
fn push(metric: &str) {
    if metric.starts_with("gpu") {
        thread::sleep(Duration::from_secs(3));
    }
}

/// What the exporter has printed, and whether main still listens.
#[derive(Default)]
struct Progress {
    exported: usize,
    /// Set by main at the deadline: from then on the exporter prints nothing.
    closed: bool,
}

fn main() -> ExitCode {
    let (metrics, received) = mpsc::channel::<String>();
    let progress = Arc::new(Mutex::new(Progress::default()));
    let exporter = thread::spawn({
        let progress = Arc::clone(&progress);
        move || -> std::io::Result<()> {
            let mut out = BufWriter::new(std::io::stdout());
            for metric in received {
                push(&metric);
                // Printed and counted under the lock main takes to report.
                let mut progress = progress.lock().unwrap_or_else(PoisonError::into_inner);
                if progress.closed {
                    break; // main has reported this one as not exported
                }
                writeln!(out, "exported {metric}")?;
                // Out now, not when the buffer fills or the thread ends:
                // this thread may never end.
                out.flush()?;
                progress.exported += 1;
            }
            Ok(())
        }
    });
    for metric in METRICS {
        metrics
            .send(metric.to_owned())
            .expect("the exporter is running");
    }
    // No more metrics: the exporter ends once it has exported these.
    drop(metrics);

    // `join` has no timeout; `is_finished` says whether it would block.
    let deadline = Instant::now() + SHUTDOWN;
    while !exporter.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    // What is exported now is final: the rest is reported, once.
    let done = {
        let mut progress = progress.lock().unwrap_or_else(PoisonError::into_inner);
        progress.closed = true;
        progress.exported
    };
    let mut failed = false;
    for metric in &METRICS[done..] {
        failed = true;
        eprintln!(
            "error: {metric}: not exported within {}ms of the shutdown",
            SHUTDOWN.as_millis()
        );
    }
    // An exporter that has ended, or is past its last metric, is joined: a
    // failed write or a panic is reported too. One still stuck in `push`
    // ends with the process.
    if done == METRICS.len() || exporter.is_finished() {
        match exporter.join() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                failed = true;
                eprintln!("error: exporter: {error}");
            }
            Err(_) => {
                failed = true;
                eprintln!("error: exporter: panicked");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

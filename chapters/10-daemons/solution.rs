//! Exercise 10, a solution: the exporter is owned by main, and shut down
//! with a deadline. Each metric is flushed as it is exported, so a stuck
//! exporter cannot take finished work down with it; whatever it has not
//! exported by the deadline is reported, and main does not wait for it.
//!
//! Run: cargo run --example ch10-solution
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

const METRICS: [&str; 4] = ["cpu=0.7", "mem=512", "gpu=n/a", "disk=0.9"];

/// How long main waits for the exporter to finish, once it is told to.
const SHUTDOWN: Duration = Duration::from_millis(300);

/// Pretends to send a metric to the collector, which has stopped answering
/// by the time the third one comes: that call takes two seconds.
fn push(metric: &str) {
    if metric.starts_with("gpu") {
        thread::sleep(Duration::from_secs(2));
    }
}

fn main() -> ExitCode {
    let (metrics, received) = mpsc::channel::<String>();
    // How many metrics are out: the exporter counts, main reads.
    let exported = Arc::new(AtomicUsize::new(0));
    let exporter = thread::spawn({
        let exported = Arc::clone(&exported);
        move || -> std::io::Result<()> {
            let mut out = BufWriter::new(std::io::stdout());
            for metric in received {
                push(&metric);
                writeln!(out, "exported {metric}")?;
                // Out now, not when the buffer fills or the thread ends:
                // this thread may never end.
                out.flush()?;
                exported.fetch_add(1, Ordering::SeqCst);
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
    if exporter.is_finished() {
        return match exporter.join() {
            Ok(Ok(())) => ExitCode::SUCCESS,
            Ok(Err(error)) => {
                eprintln!("error: exporter: {error}");
                ExitCode::FAILURE
            }
            Err(_) => {
                eprintln!("error: exporter: panicked");
                ExitCode::FAILURE
            }
        };
    }
    // Still running: report what it has not done. It ends with the process.
    let done = exported.load(Ordering::SeqCst);
    for metric in &METRICS[done..] {
        eprintln!(
            "error: {metric}: not exported: the exporter was still busy after {}ms",
            SHUTDOWN.as_millis()
        );
    }
    ExitCode::FAILURE
}

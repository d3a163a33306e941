//! Exercise 10, a solution: the exporter is owned by main, shut down, and
//! joined, so its buffer is flushed and a write error is reported.
//!
//! Run: cargo run --example ch10-solution
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;

fn main() -> ExitCode {
    let (metrics, received) = mpsc::channel::<String>();
    let exporter = thread::spawn(move || {
        let mut out = BufWriter::new(std::io::stdout());
        for metric in received {
            writeln!(out, "exported {metric}")?;
        }
        out.flush()
    });
    for metric in ["cpu=0.7", "mem=512", "disk=0.9"] {
        metrics
            .send(metric.to_owned())
            .expect("the exporter is running");
    }
    drop(metrics);
    match exporter.join().expect("the exporter does not panic") {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: exporter: {error}");
            ExitCode::FAILURE
        }
    }
}

//! Exercise 10: a metrics exporter. A background thread sends each metric
//! to a collector, and writes what it exported through a buffer.
//!
//! Run:   cargo run --example ch10-exercise
//! Check: cargo test --test book -- --ignored exercise_10
use std::io::{BufWriter, Write};
use std::sync::{Mutex, OnceLock, mpsc};
use std::thread;
use std::time::Duration;

const METRICS: [&str; 4] = ["cpu=0.7", "mem=512", "gpu=n/a", "disk=0.9"];

/// Pretends to send a metric to the collector, which has stopped answering
/// by the time the third one comes: that call takes three seconds.
fn push(metric: &str) {
    if metric.starts_with("gpu") {
        thread::sleep(Duration::from_secs(3));
    }
}

static EXPORTER: OnceLock<Mutex<mpsc::Sender<String>>> = OnceLock::new();

fn export(metric: &str) {
    let sender = EXPORTER.get_or_init(|| {
        let (sender, metrics) = mpsc::channel::<String>();
        thread::spawn(move || {
            let mut out = BufWriter::new(std::io::stdout());
            for metric in metrics {
                push(&metric);
                writeln!(out, "exported {metric}").unwrap();
            }
        });
        Mutex::new(sender)
    });
    sender.lock().unwrap().send(metric.to_owned()).unwrap();
}

fn main() {
    for metric in METRICS {
        export(metric);
    }
}

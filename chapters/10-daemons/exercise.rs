//! Exercise 10: a metrics exporter. A background thread writes each metric
//! through a buffer.
//!
//! Run:   cargo run --example ch10-exercise
//! Check: cargo test --test exercises -- --ignored exercise_10
use std::io::{BufWriter, Write};
use std::sync::{Mutex, OnceLock, mpsc};
use std::thread;

static EXPORTER: OnceLock<Mutex<mpsc::Sender<String>>> = OnceLock::new();

fn export(metric: &str) {
    let sender = EXPORTER.get_or_init(|| {
        let (sender, metrics) = mpsc::channel::<String>();
        thread::spawn(move || {
            let mut out = BufWriter::new(std::io::stdout());
            for metric in metrics {
                writeln!(out, "exported {metric}").unwrap();
            }
        });
        Mutex::new(sender)
    });
    sender.lock().unwrap().send(metric.to_owned()).unwrap();
}

fn main() {
    for metric in ["cpu=0.7", "mem=512", "disk=0.9"] {
        export(metric);
    }
}

//! Chapter 10, fixed: every background thread is shut down and joined,
//! and every child is waited for, before `main` returns.
//!
//! Run: `cargo run --example ch10-fixed`
use std::io::{BufWriter, Write};
use std::process::{ExitCode, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};

use no_silent_failures::process::Exit;
use no_silent_failures::worker;

include!("archive.rs");

// ANCHOR: audit
/// An audit log owned by `main`, not a static: it can be shut down.
struct AuditLog {
    events: mpsc::Sender<String>,
    writer: JoinHandle<std::io::Result<()>>,
}

impl AuditLog {
    fn start() -> Self {
        let (events, received) = mpsc::channel::<String>();
        let writer = thread::spawn(move || {
            let mut log = BufWriter::new(std::io::stdout());
            for event in received {
                writeln!(log, "audit: {event}")?;
            }
            // Flush explicitly: an error here is reported, not dropped.
            log.flush()
        });
        AuditLog { events, writer }
    }

    fn record(&self, event: String) {
        self.events
            .send(event)
            .expect("the audit thread is running");
    }

    /// Closes the channel, waits for the thread to write everything, and
    /// reports how that went.
    fn shut_down(self) -> std::io::Result<()> {
        drop(self.events);
        self.writer.join().expect("the audit thread does not panic")
    }
}
// ANCHOR_END: audit

fn main() -> ExitCode {
    worker::guard(&[("compress", compress)]);

    // ANCHOR: main
    let log = AuditLog::start();
    let mut compressor = worker::command("compress")
        .expect("the path of this program")
        .stdin(Stdio::piped())
        .spawn()
        .expect("starting the compressor");
    let mut names = compressor.stdin.take().expect("piped stdin");
    for file in FILES {
        log.record(format!("archived {file}"));
        writeln!(names, "{file}").unwrap();
    }
    // Closing its stdin is the compressor's signal to finish; then reap it.
    drop(names);
    let exit = Exit::of(compressor.wait().expect("waiting for the compressor"));
    let logged = log.shut_down();
    // ANCHOR_END: main

    println!("archive done; compressor {exit}");
    let mut failed = false;
    if !exit.is_success() {
        failed = true;
        eprintln!("error: compressor: {exit}");
    }
    if let Err(error) = logged {
        failed = true;
        eprintln!("error: audit log: incomplete: {error}");
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

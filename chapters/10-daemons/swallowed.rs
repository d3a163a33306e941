//! Chapter 10, swallowed: `main` returns while a background thread still
//! holds unflushed output and a child process is still working.
//!
//! Run: `cargo run --example ch10`
use std::io::{BufWriter, Write};
use std::process::Stdio;
use std::sync::{Mutex, OnceLock, mpsc};
use std::thread;

use no_silent_failures::worker;

include!("archive.rs");

// ANCHOR: audit
/// A global audit log, written by a background thread through a buffer.
static AUDIT: OnceLock<Mutex<mpsc::Sender<String>>> = OnceLock::new();

fn audit(event: &str) {
    let sender = AUDIT.get_or_init(|| {
        let (sender, events) = mpsc::channel::<String>();
        thread::spawn(move || {
            let mut log = BufWriter::new(std::io::stdout());
            for event in events {
                writeln!(log, "audit: {event}").unwrap();
            }
            // Reached only when every sender is gone. A static is never
            // dropped, so this loop never ends and the buffer is never flushed.
        });
        Mutex::new(sender)
    });
    sender.lock().unwrap().send(event.to_owned()).unwrap();
}
// ANCHOR_END: audit

// The lint is right: this is the trap the chapter shows (chapter 14 has
// the lints that catch it).
#[allow(clippy::zombie_processes)]
fn main() {
    worker::guard(&[("compress", compress)]);

    // ANCHOR: main
    let mut compressor = worker::command("compress")
        .expect("the path of this program")
        .stdin(Stdio::piped())
        .spawn()
        .expect("starting the compressor");
    let mut names = compressor.stdin.take().expect("piped stdin");
    for file in FILES {
        audit(&format!("archived {file}"));
        writeln!(names, "{file}").unwrap();
    }
    println!("archive done");
    // Returning ends the process: the audit thread dies with its buffer, and
    // the compressor (never waited) outlives us.
    // ANCHOR_END: main
}

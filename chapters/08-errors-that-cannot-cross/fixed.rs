//! Chapter 8, fixed: the worker turns whatever went wrong into an
//! `ErrorReport` (strings only, always serializable) before it crosses.
//!
//! Run: `cargo run --example ch8-fixed`
use std::io::BufReader;
use std::process::{ExitCode, Stdio};

use no_silent_failures::panic::catch;
use no_silent_failures::process::{Exit, last_words};
use no_silent_failures::report::ErrorReport;
use no_silent_failures::worker;

include!("sheets.rs");

// ANCHOR: work
fn work() {
    let sheet = std::env::args().nth(1).unwrap_or_default();
    let report: Result<u32, ErrorReport> = match catch(|| validate(&sheet)) {
        Ok(Ok(rows)) => Ok(rows),
        Ok(Err(error)) => Err(ErrorReport::from_error(&error)),
        Err(panic) => Err(ErrorReport::from_panic(&panic)),
    };
    worker::send(&report).expect("the parent is reading");
}
// ANCHOR_END: work

fn main() -> ExitCode {
    worker::guard(&[("validate", work)]);

    let mut failed = 0;
    // ANCHOR: collect
    for sheet in SHEETS {
        let output = worker::command("validate")
            .expect("the path of this program")
            .arg(sheet)
            .stderr(Stdio::piped())
            .output()
            .expect("running a worker");
        let mut noise = Vec::new();
        let frame = worker::read_frame(&mut BufReader::new(&output.stdout[..]), &mut noise)
            .expect("reading from memory");
        let received = frame.and_then(|json| serde_json::from_str(&json).ok());
        match (Exit::of(output.status), received) {
            (exit, Some(Ok::<u32, ErrorReport>(rows))) if exit.is_success() => {
                println!("{sheet}: {rows} rows")
            }
            (exit, Some(Err(report))) if exit.is_success() => {
                failed += 1;
                match report.kind.as_str() {
                    "panic" => eprintln!("error: {sheet}: {report}"),
                    kind => eprintln!("error: {sheet}: returned {kind}: {report}"),
                }
            }
            (exit, _) => {
                failed += 1;
                eprintln!("error: {sheet}: worker {exit} without a result");
                // Its last words, if it had any: a panic's message, say.
                for line in last_words(&output.stderr, 3)
                    .lines()
                    .filter(|l| !l.is_empty())
                {
                    eprintln!("  stderr: {line}");
                }
            }
        }
    }
    // ANCHOR_END: collect
    println!(
        "{} of {} sheets succeeded, {failed} failed",
        SHEETS.len() - failed,
        SHEETS.len()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

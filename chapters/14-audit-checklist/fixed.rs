//! Chapter 14, fixed: the same run, and a report that accounts for every
//! entry: each failure with its input and its reason, and exit status 1.
//!
//! Run: `cargo run --example ch14-fixed [NAME:MIB...]`
use std::process::ExitCode;

use no_silent_failures::outcome::Tally;
use no_silent_failures::runner::Runner;

include!("backups.rs");

fn main() -> ExitCode {
    let entries = entries_from_args();
    let outcomes = Runner::new().run(entries, |entry| back_up(entry));
    // ANCHOR: report
    for outcome in &outcomes {
        match &outcome.result {
            Ok(mib) => println!("{}: {mib} MiB", outcome.input),
            Err(failure) => eprintln!("error: {}: {failure}", outcome.input),
        }
    }
    let tally = Tally::of(&outcomes);
    println!("{tally}");
    // ANCHOR_END: report
    if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

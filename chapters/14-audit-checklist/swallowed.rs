//! Chapter 14, swallowed: the library's runner gives every backup an
//! outcome, and the report reads only the values.
//!
//! Run: `cargo run --example ch14 [NAME:MIB...]`
use no_silent_failures::outcome::Outcome;
use no_silent_failures::runner::Runner;

include!("backups.rs");

fn main() {
    let entries = entries_from_args();
    let outcomes = Runner::new().run(entries, |entry| back_up(entry));
    // ANCHOR: report
    // `filter_map` keeps the values and drops everything else: a failed
    // backup is not counted, not printed, and leaves the exit status at 0.
    let copied: Vec<u64> = outcomes
        .iter()
        .filter_map(Outcome::value)
        .copied()
        .collect();
    let total: u64 = copied.iter().sum();
    println!("backed up {} entries, {total} MiB", copied.len());
    // ANCHOR_END: report
}

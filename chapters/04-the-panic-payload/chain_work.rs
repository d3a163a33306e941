// The work both hook-chaining programs do, and the log line their hook
// writes. Shared with `include!`.
use std::panic::PanicHookInfo;
use std::process::ExitCode;
use std::thread;

use no_silent_failures::panic::{catch, message};

fn parse_reading(raw: &str) -> u32 {
    raw.parse().expect("a reading is a whole number")
}

// ANCHOR: log
/// One line per panic, for the log: which thread, where, and what.
fn log_panic(info: &PanicHookInfo<'_>) {
    let thread = thread::current();
    let name = thread.name().unwrap_or("<unnamed>");
    let at = info
        .location()
        .map(|l| format!(" at {l}"))
        .unwrap_or_default();
    eprintln!("error: thread '{name}': panicked{at}: {}", message(info.payload()));
}
// ANCHOR_END: log

// ANCHOR: work
fn work() -> ExitCode {
    // Nobody catches this thread's panic: the hook is its only report.
    let worker = thread::Builder::new()
        .name("reading n/a".into())
        .spawn(|| parse_reading("n/a"))
        .expect("a thread starts");
    let uncaught = worker.join().is_err();
    // A panic `catch` captures never reaches the hook: report it here.
    let caught = catch(|| parse_reading("x"));
    if let Err(panic) = &caught {
        eprintln!("error: \"x\": {panic}");
    }
    if uncaught || caught.is_err() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
// ANCHOR_END: work

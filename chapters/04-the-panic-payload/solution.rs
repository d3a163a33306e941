//! Exercise 4, a solution: a panic hook of its own records where each task
//! panicked; the task's thread catches the payload and downcasts it to the
//! types it knows, `QuotaExceeded` among them.
//!
//! Run: cargo run --example ch4-solution
use std::cell::Cell;
use std::panic::{self, PanicHookInfo};
use std::process::ExitCode;
use std::thread;

use no_silent_failures::panic::message;

/// The storage crate panics with a value of its own type, not a string.
#[derive(Debug)]
struct QuotaExceeded {
    used: u8,
}

impl std::fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "disk quota exceeded at {}%", self.used)
    }
}

fn vacuum() {}

fn backup() {
    std::panic::panic_any(QuotaExceeded { used: 98 });
}

fn rotate() {
    panic!("log rotation is disabled");
}

const TASKS: [(&str, fn()); 3] = [("vacuum", vacuum), ("backup", backup), ("rotate", rotate)];

/// Threads whose panics the runner reports itself.
const TASK_THREAD: &str = "maintenance-task";

thread_local! {
    /// Where this thread last panicked: the hook sees it, `join` does not.
    static PANICKED_AT: Cell<Option<String>> = const { Cell::new(None) };
}

fn main() -> ExitCode {
    // Chain to the hook that was there before, for every panic that is not
    // a task's: this runner takes over only what it reports.
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
        if thread::current().name() == Some(TASK_THREAD) {
            let at = info.location().map(ToString::to_string);
            PANICKED_AT.with(|cell| cell.set(at));
        } else {
            previous(info);
        }
    }));

    let mut failed = false;
    for (name, task) in TASKS {
        let outcome = thread::Builder::new()
            .name(TASK_THREAD.to_owned())
            .spawn(move || {
                // Caught on the task's own thread, where the hook left the
                // location: the payload and the place travel home together.
                panic::catch_unwind(task).map_err(|payload| {
                    // `message` reads only `&str` and `String`; a payload of
                    // another type needs code that knows the type.
                    let reason = match payload.downcast_ref::<QuotaExceeded>() {
                        Some(quota) => quota.to_string(),
                        None => message(payload.as_ref()),
                    };
                    let at = PANICKED_AT
                        .with(Cell::take)
                        .unwrap_or_else(|| "an unknown place".to_owned());
                    format!("panicked at {at}: {reason}")
                })
            })
            .map(thread::JoinHandle::join);
        match outcome {
            Ok(Ok(Ok(()))) => println!("{name}: done"),
            Ok(Ok(Err(why))) => {
                failed = true;
                eprintln!("error: {name}: {why}");
            }
            // The closure catches every panic, so `join` never sees one;
            // but a thread may fail to start.
            Ok(Err(_)) => {
                failed = true;
                eprintln!("error: {name}: its thread panicked outside the task");
            }
            Err(error) => {
                failed = true;
                eprintln!("error: {name}: cannot start its thread: {error}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

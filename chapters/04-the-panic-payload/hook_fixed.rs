//! Chapter 4, fixed: install your own hook before the first `catch`. The
//! library's hook then chains to it: captures keep their location and
//! print nothing, and panics outside `catch` still reach your hook.
//!
//! Run: `cargo run --example ch4-hook-fixed`
use std::process::ExitCode;
use std::thread;

use no_silent_failures::panic::{Panic, catch, message};

fn parse_reading(raw: &str) -> u32 {
    raw.parse().expect("a reading is a whole number")
}

fn report(input: &str, outcome: Result<u32, Panic>) {
    match outcome {
        Ok(value) => println!("{input:?}: {value}"),
        Err(panic) => eprintln!("error: {input:?}: {panic}"),
    }
}

fn main() -> ExitCode {
    // ANCHOR: first
    // The application's hook comes first...
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        eprintln!("app hook: panicked{at}: {}", message(info.payload()));
    }));
    // ...and the library's, installed by the first `catch`, chains to it.
    report("n/a", catch(|| parse_reading("n/a")));
    report("x", catch(|| parse_reading("x")));
    // A panic outside any `catch` still goes to the application's hook.
    let outside = thread::spawn(|| parse_reading("?")).join();
    report(
        "?",
        outside.map_err(|payload| Panic::from_payload(payload.as_ref())),
    );
    // ANCHOR_END: first
    ExitCode::FAILURE
}

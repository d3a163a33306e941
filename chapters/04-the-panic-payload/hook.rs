//! Chapter 4: a hook installed after the library's replaces it. `catch`
//! still stops the panic, but keeps only the payload: no location, no
//! thread. And the new hook prints the panic that `catch` was meant to keep
//! quiet.
//!
//! Run: `cargo run --example ch4-hook`
use std::process::ExitCode;

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
    // ANCHOR: replace
    // The first `catch` installs the library's hook.
    report("n/a", catch(|| parse_reading("n/a")));
    // Later, other code (a logger, a crate) installs a hook of its own.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        eprintln!("app hook: panicked{at}: {}", message(info.payload()));
    }));
    report("x", catch(|| parse_reading("x")));
    // ANCHOR_END: replace
    ExitCode::FAILURE
}

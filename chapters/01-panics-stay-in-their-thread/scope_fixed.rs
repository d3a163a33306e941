//! Chapter 1, `thread::scope`, fixed: join the scoped handles yourself, so
//! each panic's payload comes back with its input.
//!
//! Run: `cargo run --example ch1-scope-fixed [READING...]`
use std::process::ExitCode;
use std::thread;

use no_silent_failures::panic::message;

const DEFAULT_READINGS: [&str; 3] = ["12", "n/a", "5"];

fn parse_reading(raw: &str) -> u32 {
    raw.parse().expect("a reading is a whole number")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let readings: Vec<String> = if args.is_empty() {
        DEFAULT_READINGS.map(String::from).to_vec()
    } else {
        args
    };

    // ANCHOR: scope
    let (total, failures) = thread::scope(|scope| {
        let workers: Vec<_> = readings
            .iter()
            .map(|raw| (raw, scope.spawn(move || parse_reading(raw))))
            .collect();
        let (mut total, mut failures) = (0_u32, Vec::new());
        // A handle joined here is not joined again by the scope, which then
        // has no panic of its own to raise.
        for (raw, worker) in workers {
            match worker.join() {
                Ok(value) => match total.checked_add(value) {
                    Some(sum) => total = sum,
                    None => failures.push(format!("{raw:?}: {total} + {value} overflows u32")),
                },
                Err(payload) => failures.push(format!(
                    "{raw:?}: worker panicked: {}",
                    message(payload.as_ref())
                )),
            }
        }
        (total, failures)
    });
    println!("total = {total}");
    for failure in &failures {
        eprintln!("error: {failure}");
    }
    // ANCHOR_END: scope
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

//! Chapter 12, fixed: every `rayon::spawn` job catches its own panic and
//! sends an outcome, so nothing reaches rayon's abort.
//!
//! Run: `cargo run --example ch12-rayon-spawn-fixed`
use std::process::ExitCode;
use std::sync::mpsc;

use no_silent_failures::panic::catch;

include!("sizes.rs");

fn main() -> ExitCode {
    // ANCHOR: spawn
    let (outcomes, received) = mpsc::channel();
    for (index, name) in FILES.into_iter().enumerate() {
        let outcomes = outcomes.clone();
        rayon::spawn(move || {
            // This send cannot fail: `main` keeps the receiver until every
            // sender is gone, this one included. If it ever did, `expect`
            // would panic outside `catch`, and rayon would abort: loudly.
            outcomes
                .send((index, catch(|| file_size(name))))
                .expect("main receives until every job has sent");
        });
    }
    drop(outcomes);

    let mut by_index: Vec<_> = received.into_iter().collect();
    by_index.sort_by_key(|(index, _)| *index);
    let mut failed = 0;
    for (index, outcome) in by_index {
        match outcome {
            Ok(size) => println!("{:?}: {size} bytes", FILES[index]),
            Err(panic) => {
                failed += 1;
                eprintln!("error: {:?}: {panic}", FILES[index]);
            }
        }
    }
    // ANCHOR_END: spawn
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

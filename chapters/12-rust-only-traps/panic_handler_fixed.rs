//! Chapter 12, rayon's `panic_handler`, fixed: the handler passes each
//! payload on, and `main` counts what came back, so a job that panicked
//! is named by the size it never sent.
//!
//! Run: `cargo run --example ch12-panic-handler-fixed`
use std::process::ExitCode;
use std::sync::mpsc;

use no_silent_failures::panic::message;

include!("sizes.rs");

fn main() -> ExitCode {
    // ANCHOR: pool
    let (panics, panicked) = mpsc::channel();
    let pool = rayon::ThreadPoolBuilder::new()
        .panic_handler(move |payload| {
            // Only the payload arrives: not the job, not its input. And the
            // handler must not panic itself: rayon would abort.
            let _ = panics.send(message(payload.as_ref()));
        })
        .build()
        .expect("a pool starts");
    // ANCHOR_END: pool
    let (sizes, received) = mpsc::channel();
    for (index, name) in FILES.into_iter().enumerate() {
        let sizes = sizes.clone();
        pool.spawn(move || {
            let size = file_size(name);
            sizes.send((index, size)).expect("main receives every size");
        });
    }
    drop(sizes);
    // ANCHOR: report
    let mut sizes: Vec<Option<u64>> = vec![None; FILES.len()];
    for (index, size) in received {
        sizes[index] = Some(size);
    }
    let mut failures = Vec::new();
    for (name, size) in FILES.iter().zip(&sizes) {
        match size {
            Some(size) => println!("{name:?}: {size} bytes"),
            None => failures.push(format!("{name:?}: no size came back")),
        }
    }
    // One payload per job that sent nothing; which payload is whose, the
    // handler cannot say.
    for _ in 0..failures.len() {
        let why = panicked.recv().expect("the pool keeps its handler");
        failures.push(format!("a rayon job: panicked: {why}"));
    }
    for failure in &failures {
        eprintln!("error: {failure}");
    }
    // ANCHOR_END: report
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

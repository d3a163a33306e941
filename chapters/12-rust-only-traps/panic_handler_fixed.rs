//! Chapter 12, rayon's `panic_handler`, fixed: the handler passes each
//! payload on, and `main` counts what came back, so a job that panicked
//! is named by the size it never sent.
//!
//! Run: `cargo run --example ch12-panic-handler-fixed [NAME...]`
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
    // The four files, or the names given as arguments.
    let files: Vec<String> = match std::env::args().skip(1).collect::<Vec<_>>() {
        args if args.is_empty() => FILES.map(String::from).to_vec(),
        args => args,
    };
    let (sizes, received) = mpsc::channel();
    for (index, name) in files.iter().cloned().enumerate() {
        let sizes = sizes.clone();
        pool.spawn(move || {
            let size = file_size(&name);
            sizes.send((index, size)).expect("main receives every size");
        });
    }
    drop(sizes);
    // ANCHOR: report
    let mut sizes: Vec<Option<u64>> = vec![None; files.len()];
    for (index, size) in received {
        sizes[index] = Some(size);
    }
    let mut missing = Vec::new();
    for (name, size) in files.iter().zip(&sizes) {
        match size {
            Some(size) => println!("{name:?}: {size} bytes"),
            None => missing.push(name),
        }
    }
    // One payload per job that sent nothing; which payload is whose, the
    // handler cannot say. With one job missing, it is that job's.
    let payloads: Vec<String> = missing
        .iter()
        .map(|_| panicked.recv().expect("the pool keeps its handler"))
        .collect();
    if let ([name], [why]) = (&missing[..], &payloads[..]) {
        eprintln!("error: {name:?}: panicked: {why}");
    } else {
        for name in &missing {
            eprintln!("error: {name:?}: no size came back");
        }
        for why in &payloads {
            eprintln!("error: one of them: panicked: {why}");
        }
    }
    // ANCHOR_END: report
    if missing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

//! Chapter 12, swallowed: a panic in a `rayon::spawn` job with no panic
//! handler aborts the whole process, buffered report and all.
//!
//! Run: `cargo run --example ch12-rayon-spawn`
use std::io::{BufWriter, Write};
use std::sync::mpsc;

include!("sizes.rs");

fn main() {
    // ANCHOR: spawn
    let (sizes, received) = mpsc::channel();
    for (index, name) in FILES.into_iter().enumerate() {
        let sizes = sizes.clone();
        rayon::spawn(move || {
            let _ = sizes.send((index, file_size(name)));
        });
    }

    let mut report = BufWriter::new(std::io::stdout().lock());
    // One answer per file is expected; the fourth never comes.
    for _ in FILES {
        let (index, size) = received.recv().expect("main holds a sender");
        writeln!(report, "{}: {size} bytes", FILES[index]).unwrap();
    }
    writeln!(report, "all sizes reported").unwrap();
    // ANCHOR_END: spawn
}

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
    drop(sizes);

    let mut report = BufWriter::new(std::io::stdout().lock());
    for (index, size) in received {
        writeln!(report, "{}: {size} bytes", FILES[index]).unwrap();
    }
    writeln!(report, "all sizes reported").unwrap();
    // ANCHOR_END: spawn
}

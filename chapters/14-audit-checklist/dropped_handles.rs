// Chapter 14: the two ways to drop a JoinHandle, and the rustc lints (both
// allow-by-default) that see them. Compiled by tests/book/ch14.rs with
// `-W unused_results -W let_underscore_drop`.
use std::thread;

fn main() {
    // A statement: the handle is an unused result.
    thread::spawn(|| println!("detached"));
    // `let _`: the handle is dropped at once, destructor and all.
    let _ = thread::spawn(|| println!("detached too"));
}

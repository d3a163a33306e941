//! Chapter 10, swallowed, tokio edition: tasks spawned, and `main` returns
//! without waiting. The runtime shuts down and drops them.
//!
//! Run: `cargo run --example ch10-tokio`

include!("uploads.rs");

// ANCHOR: main
#[tokio::main(flavor = "current_thread")]
async fn main() {
    for file in FILES {
        tokio::spawn(upload(file));
    }
    println!("queued {} uploads", FILES.len());
    // Returning drops the runtime, and with it every task not yet finished.
}
// ANCHOR_END: main

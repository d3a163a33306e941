//! Chapter 10, fixed, tokio edition: every task goes into a `JoinSet`, and
//! `main` waits for the set to drain before it returns.
//!
//! Run: `cargo run --example ch10-tokio-fixed`
use std::collections::HashMap;
use std::process::ExitCode;

use tokio::task::JoinSet;

include!("uploads.rs");

// ANCHOR: main
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut uploads = JoinSet::new();
    // Which file each task uploads, so that a failure can name it.
    let mut file_of = HashMap::new();
    for file in FILES {
        file_of.insert(uploads.spawn(upload(file)).id(), file);
    }
    println!("queued {} uploads", FILES.len());
    let mut failed = 0;
    let mut uploaded = Vec::new();
    while let Some(joined) = uploads.join_next_with_id().await {
        match joined {
            Ok((_, Ok(file))) => uploaded.push(file),
            Ok((id, Err(error))) => {
                failed += 1;
                eprintln!("error: {}: upload failed: {error}", file_of[&id]);
            }
            Err(join_error) => {
                failed += 1;
                eprintln!("error: {}: {join_error}", file_of[&join_error.id()]);
            }
        }
    }
    // Tasks finish in any order; report in the order they were queued.
    uploaded.sort_by_key(|file| FILES.iter().position(|f| f == file));
    println!("uploaded {uploaded:?}");
    println!(
        "{} of {} uploads finished",
        FILES.len() - failed,
        FILES.len()
    );
    // ANCHOR_END: main
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

//! Exercise 3, a solution: keep every handle and tell the three outcomes apart.
//!
//! Run: cargo run --example ch3-solution
use std::process::ExitCode;
use std::thread;

use no_silent_failures::panic::message;

const HOOKS: [&str; 4] = [
    "https://ci.example/build",
    "http://legacy.example/notify",
    "",
    "https://chat.example/post",
];

/// Pretends to post a webhook. Only https is allowed; an empty URL is a bug.
fn post(url: &str) -> Result<(), String> {
    assert!(!url.is_empty(), "webhook URL is empty");
    if !url.starts_with("https://") {
        return Err(format!("refusing plain http for {url}"));
    }
    Ok(())
}

fn main() -> ExitCode {
    let senders: Vec<_> = HOOKS
        .into_iter()
        .map(|url| (url, thread::spawn(move || post(url))))
        .collect();
    let mut failures = Vec::new();
    for (url, sender) in senders {
        match sender.join() {
            Ok(Ok(())) => println!("posted {url}"),
            Ok(Err(error)) => failures.push(format!("error: {url}: {error}")),
            Err(payload) => failures.push(format!(
                "error: {url}: panicked: {}",
                message(payload.as_ref())
            )),
        }
    }
    for failure in &failures {
        eprintln!("{failure}");
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

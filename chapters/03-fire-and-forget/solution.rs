//! Exercise 3, a solution: keep every handle, give the whole dispatch one
//! deadline, cancel what is still running then, and tell the four endings
//! apart: posted, refused, panicked, cancelled.
//!
//! Run: cargo run --example ch3-solution
use std::process::ExitCode;
use std::time::Duration;

use no_silent_failures::panic::message;
use tokio::time::Instant;

const HOOKS: [&str; 5] = [
    "https://ci.example/build",
    "http://legacy.example/notify",
    "",
    "https://slow.example/hook",
    "https://chat.example/post",
];

/// How long the whole dispatch may take.
const DEADLINE: Duration = Duration::from_secs(1);

/// Pretends to post a webhook. Only https is allowed; an empty URL is a
/// bug; the slow endpoint takes five seconds to answer.
async fn post(url: &str) -> Result<(), String> {
    assert!(!url.is_empty(), "webhook URL is empty");
    if !url.starts_with("https://") {
        return Err(format!("refusing plain http for {url}"));
    }
    if url.contains("slow") {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let deadline = Instant::now() + DEADLINE;
    let tasks: Vec<_> = HOOKS
        .into_iter()
        .map(|url| (url, tokio::spawn(post(url))))
        .collect();
    let mut failures = Vec::new();
    for (url, mut task) in tasks {
        // Wait no later than the deadline. A task still running then is
        // aborted, and awaited once more: its handle then says it was
        // cancelled, so every task has ended before main reports.
        let ended = match tokio::time::timeout_at(deadline, &mut task).await {
            Ok(ended) => ended,
            Err(_elapsed) => {
                task.abort();
                task.await
            }
        };
        match ended {
            Ok(Ok(())) => println!("posted {url}"),
            Ok(Err(error)) => failures.push(format!("error: {url}: {error}")),
            Err(join_error) if join_error.is_panic() => failures.push(format!(
                "error: {url}: panicked: {}",
                message(join_error.into_panic().as_ref())
            )),
            Err(join_error) if join_error.is_cancelled() => failures.push(format!(
                "error: {url}: timed out after {}ms, and cancelled",
                DEADLINE.as_millis()
            )),
            Err(join_error) => failures.push(format!("error: {url}: {join_error}")),
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

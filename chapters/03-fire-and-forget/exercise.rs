//! Exercise 3: a webhook dispatcher. Each webhook is posted by a tokio task
//! of its own.
//!
//! Run:   cargo run --example ch3-exercise
//! Check: cargo test --test book -- --ignored exercise_03
use std::time::Duration;

const HOOKS: [&str; 5] = [
    "https://ci.example/build",
    "http://legacy.example/notify",
    "",
    "https://slow.example/hook",
    "https://chat.example/post",
];

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
async fn main() {
    for url in HOOKS {
        tokio::spawn(post(url));
    }
    println!("dispatched {} webhooks", HOOKS.len());
}

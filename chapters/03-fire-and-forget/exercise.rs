//! Exercise 3: a webhook dispatcher. Each webhook is sent on its own thread.
//!
//! Run:   cargo run --example ch3-exercise
//! Check: cargo test --test exercises -- --ignored exercise_03
use std::sync::mpsc;
use std::thread;

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

fn main() {
    let (alive, all_ended) = mpsc::channel::<()>();
    for url in HOOKS {
        let alive = alive.clone();
        thread::spawn(move || {
            let _alive = alive;
            post(url)
        });
    }
    drop(alive);
    let _ = all_ended.recv();
    println!("dispatched {} webhooks", HOOKS.len());
}

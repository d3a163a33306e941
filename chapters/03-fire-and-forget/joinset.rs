//! Chapter 3, tokio `JoinSet`, swallowed: a `while let Some(Ok(..))` loop
//! stops at the first task that panicked, and the dropped set cancels the
//! task still running, without a word.
//!
//! Run: `cargo run --example ch3-joinset`
use tokio::sync::oneshot;
use tokio::task::JoinSet;

include!("notify.rs");

// One thread, so the tasks run, and end, in the order they were spawned.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let recipients = recipients_from_args();
    // A slow delivery: it waits for a reply that only comes at the end.
    let (reply, replied) = oneshot::channel::<()>();
    // ANCHOR: drain
    let mut set = JoinSet::new();
    set.spawn(async move {
        let _ = replied.await;
        deliver("ops@example.org")
    });
    for recipient in recipients {
        set.spawn(async move { deliver(&recipient) });
    }

    let mut sent = 0;
    // Reads outcomes until the first task that did not end normally.
    while let Some(Ok(delivered)) = set.join_next().await {
        match delivered {
            Ok(()) => sent += 1,
            Err(error) => eprintln!("error: {error}"),
        }
    }
    // Dropping the set aborts every task still in it.
    drop(set);
    println!(
        "sent {sent} notification{}",
        if sent == 1 { "" } else { "s" }
    );
    // ANCHOR_END: drain
    drop(reply);
}

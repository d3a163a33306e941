//! Chapter 3, tokio: a task whose `JoinHandle` is gone loses its output the
//! moment it ends. Tokio drops the returned error and the panic payload at
//! once; each says so in its `Drop`, while `main` is still running.
//!
//! Run: `cargo run --example ch3-tokio-dropped`
use tokio::sync::{mpsc, oneshot};

/// A task's output that prints when, and on which thread, it is dropped, and tells `main`.
struct Loud {
    what: &'static str,
    gone: mpsc::UnboundedSender<()>,
}

impl Drop for Loud {
    fn drop(&mut self) {
        let thread = std::thread::current();
        let on = thread.name().unwrap_or("<unnamed>");
        println!("dropped on thread '{on}': {}", self.what);
        self.gone.send(()).expect("main waits for every drop");
    }
}

/// Waits for the next output to be dropped. The time limit only turns a
/// wait that would never end into a failure; a drop arrives at once.
async fn dropped_within(dropped: &mut mpsc::UnboundedReceiver<()>) {
    let limit = std::time::Duration::from_secs(10);
    if tokio::time::timeout(limit, dropped.recv()).await.is_err() {
        eprintln!("main: an output was not dropped within {limit:?}");
        std::process::exit(2);
    }
}

#[tokio::main]
async fn main() {
    let (gone, mut dropped) = mpsc::unbounded_channel();
    let (start_returning, returning_may_start) = oneshot::channel::<()>();
    let (start_panicking, panicking_may_start) = oneshot::channel::<()>();
    let returns = tokio::spawn({
        let gone = gone.clone();
        async move {
            returning_may_start.await.expect("main starts the task");
            Err::<(), Loud>(Loud {
                what: "the error the task returned",
                gone,
            })
        }
    });
    let panics = tokio::spawn(async move {
        panicking_may_start.await.expect("main starts the task");
        std::panic::panic_any(Loud {
            what: "the task's panic payload",
            gone,
        })
    });
    // ANCHOR: drop
    drop((returns, panics));
    println!("main: both handles dropped, the tasks not yet ended");
    // One task at a time, so the lines come in a fixed order.
    start_returning.send(()).expect("the task is waiting");
    dropped_within(&mut dropped).await;
    start_panicking.send(()).expect("the task is waiting");
    dropped_within(&mut dropped).await;
    println!("main: still running, and both outputs are already gone");
    // ANCHOR_END: drop
}

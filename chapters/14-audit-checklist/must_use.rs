// Compiled by tests/book/ch14.rs: a handle type of your own, marked #[must_use],
// turns "spawned and forgotten" into a compiler warning.
use std::thread::{self, JoinHandle};

/// The only way this program starts background work.
#[must_use = "a task's outcome is lost unless it is joined"]
struct TaskHandle<T>(JoinHandle<T>);

fn start<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> TaskHandle<T> {
    TaskHandle(thread::spawn(work))
}

fn main() {
    start(|| 1 + 1);
    let kept = start(|| 2 + 2);
    println!("{:?}", kept.0.join());
}

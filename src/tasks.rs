//! The tokio counterpart of [`crate::runner`]: spawn one task per input on a
//! [`tokio::task::JoinSet`] and get back exactly one [`Outcome`] per input,
//! in input order.
//!
//! Each task's future is made and polled inside [`crate::panic::catch`], so
//! a panic, also one in the closure before it returns its future, arrives
//! with its message and location and prints nothing. A task aborted or lost
//! to a runtime shutdown gets [`Failure::Cancelled`].
//!
//! # Time limits
//!
//! With a limit, a task's clock starts at its first poll, and a task whose
//! result comes later than the limit gets [`Failure::TimedOut`], never its
//! value, however it spent the time:
//!
//! - A task suspended at an `.await` when its timer fires is polled once
//!   more (tokio's `Timeout` polls the future it wraps before it looks at
//!   the timer), then dropped there. In that last poll it may get past its
//!   `.await` and run code after it; its result is still a timeout.
//! - A task that blocks its thread without awaiting cannot be stopped. On a
//!   multi-thread runtime, `run_tasks` stops waiting for it at its limit
//!   and returns without it, as the thread runner does with a stuck
//!   thread: the task is aborted, so it is dropped at its next `.await`, or,
//!   if it never awaits again, runs to its end on the worker thread it
//!   holds, and its result is dropped. A runtime's `Drop` waits for such a
//!   task; `Runtime::shutdown_background` does not. On a current-thread
//!   runtime the blocked task holds the only thread: nothing else runs,
//!   `run_tasks` included, until it returns, and then it is timed out.
//! - A task that has not started waits for a free worker thread: while
//!   blocked tasks hold every one, it cannot start, and `run_tasks` waits.
//!
//! Any limit works, `Duration::MAX` included: a deadline past what an
//! `Instant` holds is none.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::{AbortHandle, Id, JoinError, JoinSet};
use tokio::time::Instant;

use crate::failure::Failure;
use crate::outcome::Outcome;
use crate::panic::{Panic, catch};

/// A future that turns a panic during any poll of `inner` into
/// [`Failure::Panicked`], and a returned `Err` into [`Failure::Returned`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use no_silent_failures::tasks::CatchPanic;
/// let outcome = CatchPanic::new(async { panic!("in a future") as Result<(), std::io::Error> }).await;
/// assert_eq!(outcome.unwrap_err().panic().unwrap().message, "in a future");
/// # }
/// ```
pub struct CatchPanic<F> {
    inner: Pin<Box<F>>,
}

impl<F> CatchPanic<F> {
    /// Wraps `inner`.
    pub fn new(inner: F) -> Self {
        CatchPanic {
            inner: Box::pin(inner),
        }
    }
}

impl<F, T, E> Future for CatchPanic<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<T, Failure<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        let polled: Result<Poll<Result<T, E>>, Panic> = catch(|| inner.poll(cx));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(Ok(value))) => Poll::Ready(Ok(value)),
            Ok(Poll::Ready(Err(error))) => Poll::Ready(Err(Failure::Returned(error))),
            Err(panic) => Poll::Ready(Err(Failure::Panicked(Box::new(panic)))),
        }
    }
}

/// Spawns `task(input)` for every input on the current tokio runtime and
/// waits for all of them, or, with `limit`, for each one until its limit
/// has passed (see [Time limits](self#time-limits)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use no_silent_failures::tasks::run_tasks;
/// let outcomes = run_tasks(vec![1_u64, 2, 3], Some(Duration::from_millis(50)), |n| async move {
///     match n {
///         2 => panic!("two"),
///         3 => std::future::pending().await, // never completes
///         _ => Ok::<_, std::io::Error>(n * 10),
///     }
/// })
/// .await;
/// assert_eq!(outcomes[0].value(), Some(&10));
/// assert_eq!(outcomes[1].failure().unwrap().panic().unwrap().message, "two");
/// assert!(outcomes[2].failure().unwrap().is_timeout());
/// # }
/// ```
///
/// # Panics
///
/// If called outside a tokio runtime.
#[must_use = "the outcomes are the only record of which inputs failed"]
pub async fn run_tasks<I, T, E, F, Fut>(
    inputs: Vec<I>,
    limit: Option<Duration>,
    task: F,
) -> Vec<Outcome<I, T, E>>
where
    I: Clone,
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let mut set = JoinSet::new();
    let mut index_of = HashMap::new();
    let mut results: Vec<Option<Result<T, Failure<E>>>> = inputs.iter().map(|_| None).collect();
    let mut settled = 0;
    let mut tasks: Vec<Option<(Arc<Progress>, AbortHandle)>> =
        inputs.iter().map(|_| None).collect();
    // Rung by a task at its first poll and at any poll past its limit.
    let news = Arc::new(Notify::new());
    for (index, input) in inputs.iter().enumerate() {
        // The closure itself may panic before it returns a future: that
        // is this input's outcome, and the others carry on.
        let future = match catch(|| task(input.clone())) {
            Ok(future) => future,
            Err(panic) => {
                results[index] = Some(Err(Failure::Panicked(Box::new(panic))));
                settled += 1;
                continue;
            }
        };
        let guarded = CatchPanic::new(future);
        let progress = Arc::new(Progress::default());
        let handle = match limit {
            None => set.spawn(guarded),
            Some(limit) => {
                let started = Arc::clone(&progress);
                let timed = async move {
                    let result = tokio::time::timeout(limit, guarded).await;
                    // Late is late: `Timeout` polls the task once more when
                    // its timer fires, and a task that blocked its thread
                    // comes back whenever it likes.
                    let at = started.started.get().copied();
                    match result {
                        Ok(result) if at.is_some_and(|at| at.elapsed() < limit) => result,
                        _ => Err(Failure::TimedOut(limit)),
                    }
                };
                set.spawn(Watched {
                    inner: Box::pin(timed),
                    progress: Arc::clone(&progress),
                    limit,
                    news: Arc::clone(&news),
                })
            }
        };
        index_of.insert(handle.id(), index);
        tasks[index] = Some((progress, handle));
    }

    // A clock of its own, on a thread of its own, for tasks that block the
    // runtime's worker threads and with them its timers.
    let clock = limit.and_then(|_| Clock::start());
    loop {
        if let Some(limit) = limit {
            // A task inside a poll past its limit blocks its thread, or
            // makes its last poll, whose result would be late: either way
            // it is timed out now, and dropped at its next `.await`. One
            // that waits at an `.await` is left to its own timer, which
            // drops it there.
            for (task, result) in tasks.iter().zip(results.iter_mut()) {
                let Some((progress, handle)) = task else {
                    continue;
                };
                if result.is_none() && progress.blocking_past(limit) {
                    handle.abort();
                    *result = Some(Err(Failure::TimedOut(limit)));
                    settled += 1;
                }
            }
        }
        if settled == results.len() {
            break;
        }
        let deadline = limit.and_then(|limit| {
            tasks
                .iter()
                .zip(&results)
                .filter(|(_, result)| result.is_none())
                .filter_map(|(task, _)| task.as_ref()?.0.deadline(limit))
                .filter(|&deadline| deadline > Instant::now())
                .min()
        });
        if let (Some(clock), Some(deadline)) = (&clock, deadline) {
            clock.wake_at(deadline);
        }
        let rung = async {
            match (&clock, deadline) {
                (_, None) => std::future::pending().await,
                (Some(clock), Some(deadline)) => tokio::select! {
                    () = clock.rang.notified() => {}
                    () = tokio::time::sleep_until(deadline) => {}
                },
                (None, Some(deadline)) => tokio::time::sleep_until(deadline).await,
            }
        };
        tokio::select! {
            biased;
            joined = set.join_next_with_id() => {
                let Some(joined) = joined else { break };
                let (index, result) = joined_result(joined, &index_of);
                // A task given up on already has its outcome.
                if results[index].is_none() {
                    results[index] = Some(result);
                    settled += 1;
                }
            }
            () = news.notified() => {}
            () = rung => {}
        }
    }
    crate::outcome::pair(inputs, results)
}

/// How far a task with a time limit has got.
#[derive(Default)]
struct Progress {
    /// When it was first polled.
    started: OnceLock<Instant>,
    /// Whether it is inside a poll now.
    polling: AtomicBool,
}

impl Progress {
    fn deadline(&self, limit: Duration) -> Option<Instant> {
        self.started.get()?.checked_add(limit)
    }

    fn blocking_past(&self, limit: Duration) -> bool {
        let past = self
            .deadline(limit)
            .is_some_and(|end| Instant::now() >= end);
        past && self.polling.load(Ordering::SeqCst)
    }
}

/// A task under a time limit, whose polls `run_tasks` can see.
struct Watched<F> {
    inner: Pin<Box<F>>,
    progress: Arc<Progress>,
    limit: Duration,
    news: Arc<Notify>,
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let first = self.progress.started.get().is_none();
        let at = *self.progress.started.get_or_init(Instant::now);
        self.progress.polling.store(true, Ordering::SeqCst);
        if first || at.elapsed() >= self.limit {
            self.news.notify_one();
        }
        let polled = self.inner.as_mut().poll(cx);
        self.progress.polling.store(false, Ordering::SeqCst);
        polled
    }
}

/// What a joined task ended with, and which input it ran.
fn joined_result<T, E>(
    joined: Result<(Id, Result<T, Failure<E>>), JoinError>,
    index_of: &HashMap<Id, usize>,
) -> (usize, Result<T, Failure<E>>) {
    match joined {
        Ok((id, result)) => (index_of[&id], result),
        // The wrapper catches panics inside the task, so a JoinError here
        // is a cancellation, or a panic outside the wrapper.
        Err(error) => {
            let index = index_of[&error.id()];
            let failure = if error.is_panic() {
                let payload = error.into_panic();
                let panic = Panic::from_payload(payload.as_ref());
                crate::panic::drop_payload(payload);
                Failure::Panicked(Box::new(panic))
            } else {
                Failure::Cancelled
            };
            (index, Err(failure))
        }
    }
}

/// A thread that rings at the deadline it was last given, until dropped.
struct Clock {
    deadlines: std::sync::mpsc::Sender<std::time::Instant>,
    rang: Arc<Notify>,
}

impl Clock {
    /// `None` if no thread can be started: tokio's timers alone then.
    fn start() -> Option<Clock> {
        let (deadlines, set) = std::sync::mpsc::channel::<std::time::Instant>();
        let rang = Arc::new(Notify::new());
        let ring = Arc::clone(&rang);
        let thread = std::thread::Builder::new()
            .name("run_tasks clock".to_owned())
            .spawn(move || {
                let mut next = None;
                loop {
                    let heard = match next {
                        Some(at) => set.recv_timeout(at - std::time::Instant::now().min(at)),
                        None => set.recv().map_err(|_| RecvTimeoutError::Disconnected),
                    };
                    match heard {
                        Ok(at) => next = Some(at),
                        Err(RecvTimeoutError::Timeout) => {
                            ring.notify_one();
                            next = None;
                        }
                        // `run_tasks` is done.
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            });
        thread.ok().map(|_| Clock { deadlines, rang })
    }

    fn wake_at(&self, deadline: Instant) {
        let _ = self.deadlines.send(deadline.into_std());
    }
}

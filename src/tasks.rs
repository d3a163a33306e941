//! The tokio counterpart of [`crate::runner`]: spawn one task per input on a
//! [`tokio::task::JoinSet`] and get back exactly one [`Outcome`] per input,
//! in input order.
//!
//! Each task's future is made and polled inside [`crate::panic::catch`], so
//! a panic, also one in the closure before it returns its future, arrives
//! with its message and location and prints nothing. A task that outlives
//! the time limit is dropped where it is suspended when the timer fires
//! (the `.await` it is waiting in), and gets [`Failure::TimedOut`]; one
//! that blocks its thread without awaiting cannot be interrupted (that is
//! chapter 11's warning). Any limit works, `Duration::MAX` included: tokio
//! treats a deadline past what an `Instant` holds as none. A task aborted or lost to
//! a runtime shutdown gets [`Failure::Cancelled`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::task::JoinSet;

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
/// waits for all of them. With `limit`, each task gets at most that long.
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
    for (index, input) in inputs.iter().enumerate() {
        // The closure itself may panic before it returns a future: that
        // is this input's outcome, and the others carry on.
        let future = match catch(|| task(input.clone())) {
            Ok(future) => future,
            Err(panic) => {
                results[index] = Some(Err(Failure::Panicked(Box::new(panic))));
                continue;
            }
        };
        let guarded = CatchPanic::new(future);
        let handle = set.spawn(async move {
            match limit {
                Some(limit) => tokio::time::timeout(limit, guarded)
                    .await
                    .unwrap_or(Err(Failure::TimedOut(limit))),
                None => guarded.await,
            }
        });
        index_of.insert(handle.id(), index);
    }

    while let Some(joined) = set.join_next_with_id().await {
        let (id, result) = match joined {
            Ok((id, result)) => (id, result),
            // The wrapper catches panics inside the task, so a JoinError
            // here is a cancellation, or a panic outside the wrapper.
            Err(error) => {
                let id = error.id();
                let failure = if error.is_panic() {
                    let payload = error.into_panic();
                    let panic = Panic::from_payload(payload.as_ref());
                    crate::panic::drop_payload(payload);
                    Failure::Panicked(Box::new(panic))
                } else {
                    Failure::Cancelled
                };
                (id, Err(failure))
            }
        };
        results[index_of[&id]] = Some(result);
    }
    crate::outcome::pair(inputs, results)
}

//! Why a task produced no value.
//!
//! The article's advice is to keep "a raised exception" and "a timeout"
//! apart, because one is a correctness failure and the other a liveness
//! failure. Rust has more ways for a task to fail, and [`Failure`] keeps
//! every one of them apart.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::panic::Panic;
use crate::process::Death;
use crate::report::ErrorReport;

/// Why a task produced no value. `E` is the error type the task returns.
///
/// ```
/// use std::time::Duration;
/// use no_silent_failures::failure::Failure;
///
/// let hung: Failure<std::io::Error> = Failure::TimedOut(Duration::from_millis(50));
/// assert_eq!(hung.to_string(), "timed out after 50ms");
/// assert!(hung.is_timeout());
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Failure<E> {
    /// The task ran to the end and returned `Err`.
    Returned(E),
    /// The task panicked. Boxed, so that an `Outcome` stays small in the
    /// common case where nothing failed.
    Panicked(Box<Panic>),
    /// The task did not finish within its time limit. It may still be
    /// running: a thread cannot be stopped from outside.
    TimedOut(Duration),
    /// The task was cancelled before it finished (a tokio task that was
    /// aborted, or whose runtime shut down).
    Cancelled,
    /// The process running the task ended without delivering a result:
    /// it exited early, or was killed.
    Died(Box<Death>),
    /// The process pool could not carry the task to a worker, or its result
    /// back: no worker could be started or none serves this run's types,
    /// the input or the result could not be serialized or deserialized
    /// (its serde impl returned an error or panicked), it was over the
    /// size limit, or the channel broke. The report's `kind` says which.
    /// Kept apart from [`Failure::Returned`]: the task did not fail; the
    /// pool failed to carry it, and it may not have run at all.
    Undelivered(Box<ErrorReport>),
}

impl<E> Failure<E> {
    /// The returned error, if that is what this failure is.
    ///
    /// ```
    /// use no_silent_failures::failure::Failure;
    /// let failure: Failure<&str> = Failure::Returned("no such file");
    /// assert_eq!(failure.returned(), Some(&"no such file"));
    /// ```
    pub fn returned(&self) -> Option<&E> {
        match self {
            Failure::Returned(error) => Some(error),
            _ => None,
        }
    }

    /// The captured panic, if that is what this failure is.
    ///
    /// ```
    /// use no_silent_failures::{failure::Failure, panic::catch};
    /// let panic = catch(|| panic!("boom")).unwrap_err();
    /// let failure: Failure<()> = Failure::Panicked(Box::new(panic));
    /// assert_eq!(failure.panic().unwrap().message, "boom");
    /// ```
    pub fn panic(&self) -> Option<&Panic> {
        match self {
            Failure::Panicked(panic) => Some(panic),
            _ => None,
        }
    }

    /// The report of why the pool could not carry the task, if that is
    /// what this failure is.
    ///
    /// ```
    /// use no_silent_failures::failure::Failure;
    /// assert!(Failure::<()>::Cancelled.undelivered().is_none());
    /// ```
    pub fn undelivered(&self) -> Option<&ErrorReport> {
        match self {
            Failure::Undelivered(report) => Some(report),
            _ => None,
        }
    }

    /// Whether the task ran out of time (a liveness failure, not a crash).
    ///
    /// ```
    /// use no_silent_failures::failure::Failure;
    /// assert!(!Failure::<()>::Cancelled.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Failure::TimedOut(_))
    }
}

impl<E: Error> fmt::Display for Failure<E> {
    /// One line: what kind of failure, then its details. A returned error is
    /// followed by its whole `source()` chain, joined with `: `.
    ///
    /// ```
    /// use no_silent_failures::failure::Failure;
    /// let inner = std::io::Error::other("disk full");
    /// let outer = std::io::Error::new(std::io::ErrorKind::Other, inner);
    /// let failure = Failure::Returned(outer);
    /// assert_eq!(failure.to_string(), "returned an error: disk full");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Returned(error) => {
                write!(f, "returned an error: {error}")?;
                let mut cause = error.source();
                while let Some(error) = cause {
                    write!(f, ": {error}")?;
                    cause = error.source();
                }
                Ok(())
            }
            Failure::Panicked(panic) => write!(f, "{panic}"),
            Failure::TimedOut(after) => write!(f, "timed out after {after:?}"),
            Failure::Cancelled => f.write_str("cancelled before it finished"),
            Failure::Died(death) => write!(f, "{death} before delivering a result"),
            Failure::Undelivered(report) => {
                write!(f, "not carried by the pool: {}", report.message)?;
                match &report.location {
                    Some(location) => write!(f, " (at {location})"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl<E: Error> Error for Failure<E> {}

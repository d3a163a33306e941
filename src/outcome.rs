//! One outcome per input.
//!
//! The article's structured-result pattern, in Rust: every input comes back
//! paired with what happened to it, a value or a [`Failure`]. Nothing is
//! dropped, so a report built from outcomes can account for every input.

use std::error::Error;
use std::fmt;

use crate::failure::Failure;

/// What happened to one input: its value, or why there is none.
///
/// ```
/// use no_silent_failures::{failure::Failure, outcome::Outcome};
/// let good: Outcome<&str, u32, std::num::ParseIntError> = Outcome {
///     input: "12",
///     result: Ok(12),
/// };
/// let bad = Outcome {
///     input: "x",
///     result: "x".parse::<u32>().map_err(Failure::Returned),
/// };
/// assert_eq!(good.to_string(), r#""12": ok: 12"#);
/// assert_eq!(bad.to_string(), r#""x": returned an error: invalid digit found in string"#);
/// ```
#[derive(Debug)]
pub struct Outcome<I, T, E> {
    /// The input this outcome belongs to.
    pub input: I,
    /// The value the task produced, or why it produced none.
    pub result: Result<T, Failure<E>>,
}

impl<I, T, E> Outcome<I, T, E> {
    /// Whether the task produced a value.
    ///
    /// ```
    /// use no_silent_failures::outcome::Outcome;
    /// let outcome: Outcome<(), u8, std::io::Error> = Outcome { input: (), result: Ok(1) };
    /// assert!(outcome.is_ok());
    /// ```
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }

    /// The value, if there is one.
    ///
    /// ```
    /// use no_silent_failures::outcome::Outcome;
    /// let outcome: Outcome<(), u8, std::io::Error> = Outcome { input: (), result: Ok(1) };
    /// assert_eq!(outcome.value(), Some(&1));
    /// ```
    pub fn value(&self) -> Option<&T> {
        self.result.as_ref().ok()
    }

    /// The failure, if there is one.
    ///
    /// ```
    /// use no_silent_failures::{failure::Failure, outcome::Outcome};
    /// let outcome: Outcome<(), u8, std::io::Error> = Outcome {
    ///     input: (),
    ///     result: Err(Failure::Cancelled),
    /// };
    /// assert!(matches!(outcome.failure(), Some(Failure::Cancelled)));
    /// ```
    pub fn failure(&self) -> Option<&Failure<E>> {
        self.result.as_ref().err()
    }
}

impl<I: fmt::Debug, T: fmt::Debug, E: Error> fmt::Display for Outcome<I, T, E> {
    /// `INPUT: ok: VALUE` or `INPUT: FAILURE`, inputs and values in `Debug`
    /// form so that an empty string or a stray space stays visible.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.result {
            Ok(value) => write!(f, "{:?}: ok: {value:?}", self.input),
            Err(failure) => write!(f, "{:?}: {failure}", self.input),
        }
    }
}

/// Pairs each input with its settled result. An input whose result never
/// arrived (which the runners rule out) is marked cancelled, not dropped:
/// the count of outcomes always equals the count of inputs.
pub(crate) fn pair<I, T, E>(
    inputs: Vec<I>,
    results: Vec<Option<Result<T, Failure<E>>>>,
) -> Vec<Outcome<I, T, E>> {
    inputs
        .into_iter()
        .zip(results)
        .map(|(input, result)| Outcome {
            input,
            result: result.unwrap_or(Err(Failure::Cancelled)),
        })
        .collect()
}

/// Counts of a batch of outcomes, for a one-line summary.
///
/// ```
/// use no_silent_failures::outcome::{Outcome, Tally};
/// let outcomes: Vec<Outcome<u8, u8, std::io::Error>> = vec![
///     Outcome { input: 1, result: Ok(1) },
///     Outcome { input: 2, result: Err(no_silent_failures::failure::Failure::Cancelled) },
/// ];
/// let tally = Tally::of(&outcomes);
/// assert_eq!((tally.succeeded, tally.failed), (1, 1));
/// assert_eq!(tally.to_string(), "1 of 2 succeeded, 1 failed");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    /// Outcomes with a value.
    pub succeeded: usize,
    /// Outcomes with a failure.
    pub failed: usize,
}

impl Tally {
    /// Counts `outcomes`.
    pub fn of<I, T, E>(outcomes: &[Outcome<I, T, E>]) -> Self {
        let succeeded = outcomes.iter().filter(|o| o.is_ok()).count();
        Tally {
            succeeded,
            failed: outcomes.len() - succeeded,
        }
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} succeeded, {} failed",
            self.succeeded,
            self.succeeded + self.failed,
            self.failed
        )
    }
}

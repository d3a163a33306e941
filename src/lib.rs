//! # No Silent Failures
//!
//! The small library that the workbook's chapters build up and then use.
//! Each piece is introduced by the chapter whose failure mode motivates it:
//!
//! - [`panic`](mod@panic) (chapter 4): turn a panic into data — message, location,
//!   thread and, on request, a backtrace — without the default hook's noise.
//! - [`outcome`] and [`failure`] (chapter 5): one [`outcome::Outcome`] per
//!   input, holding a value or a [`failure::Failure`] that keeps returned
//!   errors, panics, timeouts and cancellations apart.
//! - [`runner`] (chapter 5): map a task over inputs on a pool of threads
//!   and get exactly one outcome per input, in order; with a per-task time
//!   limit when asked (chapter 11).
//! - [`tasks`] (chapter 11): the same for tokio tasks.
//! - [`process`] (chapter 6): how a child process ended, exit code or
//!   signal, with the tail of its stderr.
//! - [`worker`] (chapters 7 and 9): re-executing the current program as a
//!   worker behind a guard, and a result channel on its stdout that the
//!   worker's own prints cannot corrupt.
//! - [`report`] (chapter 8): an error report that survives serialization.
//! - [`pool`] (chapter 13): a pool of worker processes that gives every
//!   task exactly one outcome, whatever its worker does.
//!
//! The book lives in `chapters/`; run `mdbook serve` at the repository root
//! to read it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod failure;
pub mod outcome;
pub mod panic;
pub mod pool;
pub mod process;
pub mod report;
pub mod runner;
pub mod tasks;
pub mod worker;

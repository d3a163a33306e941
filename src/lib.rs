//! # No Silent Failures
//!
//! The small library that the workbook's chapters build up and then use.
//! Each piece is introduced by the chapter whose failure mode motivates it:
//!
//! - [`panic`](mod@panic) (chapter 4): turn a panic into data — message, location,
//!   thread and, on request, a backtrace — without the default hook's noise.
//!
//! The book lives in `chapters/`; run `mdbook serve` at the repository root
//! to read it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod panic;

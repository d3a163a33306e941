//! An error report that survives a process boundary.
//!
//! A `Box<dyn Error>` cannot be sent to another process: it is a pointer to
//! a value of a type the other side may not even have. What *can* cross is
//! what the error says: its kind, its message, the messages of its causes,
//! and where it happened. [`ErrorReport`] keeps exactly that, and
//! serializes with serde.

use std::error::Error;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::panic::{Location, Panic};

/// What an error said, as plain data.
///
/// ```
/// use no_silent_failures::report::ErrorReport;
/// let error = "12x".parse::<u32>().unwrap_err();
/// let report = ErrorReport::from_error(&error);
/// assert_eq!(report.kind, "core::num::error::ParseIntError");
/// let json = serde_json::to_string(&report).unwrap();
/// let back: ErrorReport = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, report);
/// assert_eq!(back.to_string(), "invalid digit found in string");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// The error's type name, or `"panic"` for a panic.
    pub kind: String,
    /// The error's own message (`Display`).
    pub message: String,
    /// The messages of its `source()` chain, outermost first.
    pub causes: Vec<String>,
    /// Where it happened, when known (panics).
    pub location: Option<Location>,
    /// A rendered backtrace, when one was captured.
    pub backtrace: Option<String>,
}

impl ErrorReport {
    /// A report of why the pool could not carry `what` (an input, a
    /// result) to or from a worker: `kind` is `"serialization"`,
    /// `"deserialization"`, `"protocol"`, `"spawn"` or `"handshake"`.
    pub(crate) fn undelivered(
        kind: &str,
        what: &str,
        detail: impl fmt::Display,
        location: Option<Location>,
    ) -> Self {
        let message = match kind {
            "serialization" => format!("{what} could not be serialized: {detail}"),
            "deserialization" => format!("{what} could not be deserialized: {detail}"),
            _ => format!("{what}: {detail}"),
        };
        ErrorReport {
            kind: kind.to_owned(),
            message,
            causes: Vec::new(),
            location,
            backtrace: None,
        }
    }

    /// A report of `error` and its whole `source()` chain.
    pub fn from_error<E: Error + 'static>(error: &E) -> Self {
        let mut report = Self::from_dyn_error(error);
        report.kind = std::any::type_name::<E>().to_owned();
        report
    }

    /// A report of an error known only as `dyn Error`: the type name is not
    /// available, so `kind` is `"dyn Error"`.
    ///
    /// ```
    /// use no_silent_failures::report::ErrorReport;
    /// let error: Box<dyn std::error::Error> = "plain message".into();
    /// assert_eq!(ErrorReport::from_dyn_error(error.as_ref()).message, "plain message");
    /// ```
    pub fn from_dyn_error(error: &(dyn Error + 'static)) -> Self {
        let mut causes = Vec::new();
        let mut next = error.source();
        while let Some(cause) = next {
            causes.push(cause.to_string());
            next = cause.source();
        }
        ErrorReport {
            kind: "dyn Error".to_owned(),
            message: error.to_string(),
            causes,
            location: None,
            backtrace: None,
        }
    }

    /// A report of a captured panic.
    ///
    /// ```
    /// use no_silent_failures::{panic::catch, report::ErrorReport};
    /// let panic = catch(|| panic!("lost")).unwrap_err();
    /// let report = ErrorReport::from_panic(&panic);
    /// assert_eq!((report.kind.as_str(), report.message.as_str()), ("panic", "lost"));
    /// assert!(report.location.is_some());
    /// ```
    pub fn from_panic(panic: &Panic) -> Self {
        ErrorReport {
            kind: "panic".to_owned(),
            message: panic.message.clone(),
            causes: Vec::new(),
            location: panic.location.clone(),
            backtrace: panic
                .backtrace
                .as_ref()
                .map(|trace| trace.as_str().to_owned()),
        }
    }
}

impl fmt::Display for ErrorReport {
    /// The message, then each cause, joined with `: `. A panic reads like
    /// the library's `Panic`: `panicked at FILE:LINE:COL: MESSAGE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == "panic" {
            f.write_str("panicked")?;
            if let Some(location) = &self.location {
                write!(f, " at {location}")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)?;
        for cause in &self.causes {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

impl Error for ErrorReport {}

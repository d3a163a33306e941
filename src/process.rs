//! How a child process ended, told plainly.
//!
//! `ExitStatus::success()` answers one question. A parent that wants to
//! report a dead worker needs more: did it exit with a code, and which one,
//! or was it killed by a signal, and which one? And what did it say on
//! stderr before it went?

use std::fmt;
use std::process::ExitStatus;

use serde::{Deserialize, Serialize};

/// How a process ended.
///
/// ```
/// use no_silent_failures::process::Exit;
/// assert_eq!(Exit::Code(101).to_string(), "exited with code 101");
/// assert_eq!(Exit::Signal(9).to_string(), "killed by signal 9 (SIGKILL)");
/// assert!(Exit::Code(0).is_success());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Exit {
    /// Exited on its own, with this code. A Rust program that panics on its
    /// main thread exits with 101.
    Code(i32),
    /// Killed by this signal (unix only): 6 is `abort()`, 9 is `SIGKILL`
    /// (the OOM killer, `kill -9`).
    Signal(i32),
}

impl Exit {
    /// Classifies a finished process's status.
    ///
    /// ```
    /// use no_silent_failures::process::Exit;
    /// let status = std::process::Command::new("sh").args(["-c", "exit 3"]).status().unwrap();
    /// assert_eq!(Exit::of(status), Exit::Code(3));
    /// ```
    pub fn of(status: ExitStatus) -> Self {
        if let Some(code) = status.code() {
            return Exit::Code(code);
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(signal) = status.signal() {
                return Exit::Signal(signal);
            }
        }
        unreachable!("a finished process has an exit code or, on unix, a signal")
    }

    /// Whether the process exited with code 0.
    pub fn is_success(self) -> bool {
        self == Exit::Code(0)
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Exit::Code(code) => write!(f, "exited with code {code}"),
            Exit::Signal(signal) => match signal_name(signal) {
                Some(name) => write!(f, "killed by signal {signal} ({name})"),
                None => write!(f, "killed by signal {signal}"),
            },
        }
    }
}

/// The conventional name of a signal number, for the signals a dead worker
/// is likely to show. Numbers follow Linux and macOS, which agree on these.
///
/// ```
/// use no_silent_failures::process::signal_name;
/// assert_eq!(signal_name(6), Some("SIGABRT"));
/// assert_eq!(signal_name(64), None);
/// ```
pub fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return None,
    })
}

/// A worker process that ended without delivering its result.
///
/// ```
/// use no_silent_failures::process::{Death, Exit};
/// let death = Death { exit: Exit::Code(101), stderr_tail: "boom\n".into() };
/// assert_eq!(death.to_string(), "worker exited with code 101");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Death {
    /// How it ended.
    pub exit: Exit,
    /// The last lines it wrote to stderr (see [`tail`]).
    pub stderr_tail: String,
}

impl fmt::Display for Death {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "worker {}", self.exit)
    }
}

/// The last `lines` lines of `output`, as text, each ending in a newline.
/// Enough to show a panic message, without flooding a report.
///
/// ```
/// use no_silent_failures::process::tail;
/// assert_eq!(tail(b"one\ntwo\nthree\n", 2), "two\nthree\n");
/// assert_eq!(tail(b"no newline", 5), "no newline\n");
/// assert_eq!(tail(b"", 5), "");
/// ```
pub fn tail(output: &[u8], lines: usize) -> String {
    let text = String::from_utf8_lossy(output);
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    all[start..]
        .iter()
        .map(|line| format!("{line}\n"))
        .collect()
}

/// What a dead worker said last about its death: the standard panic hook's
/// report of its last panic (the `thread '...' panicked at FILE:LINE:COL:`
/// line and the message), without the backtrace or the note after it; or,
/// when it printed no panic, the last `lines` lines of `output`. Unlike a
/// plain [`tail`], the panic's location survives a backtrace, which a
/// worker prints when it inherits `RUST_BACKTRACE=1`.
///
/// ```
/// use no_silent_failures::process::last_words;
/// let stderr = b"working\n\nthread 'main' (7) panicked at src/main.rs:3:5:\n\
///     boom\nstack backtrace:\n   0: main\nnote: Some details are omitted\n";
/// assert_eq!(
///     last_words(stderr, 2),
///     "thread 'main' (7) panicked at src/main.rs:3:5:\nboom\n"
/// );
/// assert_eq!(last_words(b"one\ntwo\nthree\n", 2), "two\nthree\n");
/// ```
pub fn last_words(output: &[u8], lines: usize) -> String {
    let text = String::from_utf8_lossy(output);
    let all: Vec<&str> = text.lines().collect();
    let Some(start) = all
        .iter()
        .rposition(|line| line.starts_with("thread '") && line.contains(" panicked at "))
    else {
        return tail(output, lines);
    };
    let end = all[start + 1..]
        .iter()
        .position(|line| {
            *line == "stack backtrace:" || line.starts_with("note: run with `RUST_BACKTRACE")
        })
        .map_or(all.len(), |at| start + 1 + at);
    all[start..end]
        .iter()
        .map(|line| format!("{line}\n"))
        .collect()
}

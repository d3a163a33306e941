//! Workers: this same program, started again in a worker role.
//!
//! Rust has no `fork`-and-carry-on: to run work in another process, a
//! program starts another process, and the simplest program to start is
//! itself ([`std::env::current_exe`]). That child runs the same `main`, so
//! `main` must first ask "am I a worker?" and, if so, do the worker's job
//! and exit without ever reaching the parent's code. [`guard`] is that
//! question (chapter 9 shows what happens without it); [`command`] starts a
//! worker.
//!
//! A worker sends results home as *frames* on its stdout ([`send`]): one
//! line each, starting with [`FRAME_MARKER`]. Anything else the worker
//! prints is not a frame, so its own `println!`s cannot corrupt the results;
//! [`read_frame`] sets them aside as noise.

use std::io::{self, BufRead, Write};
use std::process::Command;

use serde::Serialize;

/// The environment variable that marks a process as a worker; its value is
/// the worker's role.
pub const ROLE_VAR: &str = "NO_SILENT_FAILURES_ROLE";

/// The exit code of a worker started with a role [`guard`] does not know.
pub const UNKNOWN_ROLE_EXIT: i32 = 64;

/// What starts a frame on a worker's stdout: an ASCII record separator and
/// a tag that ordinary output does not contain.
pub const FRAME_MARKER: &str = "\u{1e}nsf-frame ";

/// Call first thing in `main`. In a parent process it returns at once. In a
/// worker it runs the function registered for the worker's role and exits
/// with status 0 when that function returns; it never returns to `main`.
/// A panic in the worker function ends the worker as a panic in `main`
/// would, with status 101.
///
/// ```no_run
/// fn count_words() {
///     // ... the worker's job ...
/// }
///
/// fn main() {
///     no_silent_failures::worker::guard(&[("count", count_words)]);
///     // Only the parent gets here.
///     let status = no_silent_failures::worker::command("count")
///         .unwrap()
///         .status()
///         .unwrap();
///     assert!(status.success());
/// }
/// ```
pub fn guard(roles: &[(&str, fn())]) {
    let Some(role) = std::env::var_os(ROLE_VAR) else {
        return;
    };
    let role = role.to_string_lossy();
    match roles.iter().find(|(name, _)| **name == *role) {
        Some((_, work)) => {
            work();
            // Results that cannot leave are missed by the parent, which
            // counts what arrives (chapter 7); nothing more to tell here.
            let _ = io::stdout().flush();
            std::process::exit(0);
        }
        None => {
            let known: Vec<&str> = roles.iter().map(|(name, _)| *name).collect();
            eprintln!("unknown worker role {role:?} (this program knows {known:?})");
            std::process::exit(UNKNOWN_ROLE_EXIT);
        }
    }
}

/// The role this process was started in, or `None` in the parent.
///
/// ```
/// // Tests run as parents.
/// assert_eq!(no_silent_failures::worker::role(), None);
/// ```
pub fn role() -> Option<String> {
    std::env::var_os(ROLE_VAR).map(|role| role.to_string_lossy().into_owned())
}

/// A [`Command`] that starts this program again as a worker in `role`.
/// Add arguments, pipes and environment as for any command.
///
/// ```
/// let command = no_silent_failures::worker::command("count").unwrap();
/// assert_eq!(command.get_program(), std::env::current_exe().unwrap());
/// ```
///
/// # Errors
///
/// When the path of the current executable cannot be found.
pub fn command(role: &str) -> io::Result<Command> {
    let mut command = Command::new(std::env::current_exe()?);
    command.env(ROLE_VAR, role);
    Ok(command)
}

/// Writes `value` as one frame on this process's stdout, and flushes.
///
/// ```
/// no_silent_failures::worker::send(&("word count", 42)).unwrap();
/// ```
///
/// # Errors
///
/// When `value` cannot be serialized, or stdout cannot be written (the
/// parent closed it).
pub fn send<T: Serialize>(value: &T) -> io::Result<()> {
    let json = serde_json::to_string(value)?;
    let mut stdout = io::stdout().lock();
    stdout.write_all(FRAME_MARKER.as_bytes())?;
    stdout.write_all(json.as_bytes())?;
    stdout.write_all(b"\n")?;
    stdout.flush()
}

/// Reads up to and including the next frame from a worker's stdout, and
/// returns the frame's JSON text, or `None` at end of output. Every other
/// byte read on the way is appended to `noise`. A frame that follows a
/// partial line (a `print!` without a newline) is still found: the text
/// before the marker goes to `noise`.
///
/// ```
/// use no_silent_failures::worker::{FRAME_MARKER, read_frame};
/// let output = format!("hello\nno newline{FRAME_MARKER}[1,2]\n{FRAME_MARKER}\"x\"\n");
/// let mut reader = output.as_bytes();
/// let mut noise = Vec::new();
/// assert_eq!(read_frame(&mut reader, &mut noise).unwrap().as_deref(), Some("[1,2]"));
/// assert_eq!(read_frame(&mut reader, &mut noise).unwrap().as_deref(), Some("\"x\""));
/// assert_eq!(read_frame(&mut reader, &mut noise).unwrap(), None);
/// assert_eq!(noise, b"hello\nno newline");
/// ```
///
/// # Errors
///
/// When reading fails.
pub fn read_frame(reader: &mut impl BufRead, noise: &mut Vec<u8>) -> io::Result<Option<String>> {
    let marker = FRAME_MARKER.as_bytes();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let found = line
            .windows(marker.len())
            .position(|window| window == marker);
        match found {
            Some(start) => {
                noise.extend_from_slice(&line[..start]);
                let body = &line[start + marker.len()..];
                let body = body.strip_suffix(b"\n").unwrap_or(body);
                return Ok(Some(match std::str::from_utf8(body) {
                    Ok(text) => text.to_owned(),
                    Err(_) => String::from_utf8_lossy(body).into_owned(),
                }));
            }
            None => noise.extend_from_slice(&line),
        }
    }
}

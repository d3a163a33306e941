//! A worker's stderr, split by task for its death reports.
//!
//! Before it sends a frame of results, a worker writes a *mark* on its
//! stderr: bytes the pool chose for that worker and told it on the private
//! channel, so no task prints them by chance. Everything between two marks
//! was written while the tasks of those frames ran. When a worker dies,
//! the pool has had some number of marked frames from it, and the stretch
//! after that many marks is what its unanswered tasks wrote: in exact mode,
//! the one it blames alone.
//!
//! A frame sent because its batch filled up has no mark (its kind says
//! so): on tiny tasks, a mark before each was two in five of a run's
//! writes. After one, the stretch holds answered tasks' lines as well,
//! and the pool blames nobody on it: see [`blame`](super::blame::blame).

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::sync::Mutex;

/// How many bytes of each stretch are kept.
const KEPT: usize = 8 * 1024;

/// A read shorter than this is not a flood: the reader lets more gather.
const SMALL_READ: usize = 4096;

/// How long the reader lets a trickle of stderr gather before it reads.
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

/// How many of the latest stretches are kept.
const STRETCHES: usize = 4;

/// A mark no task writes by chance: a control character, then 16 random
/// hex digits, then another.
pub(super) fn new_mark() -> Vec<u8> {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    format!("\x1e{:016x}\x1e", hasher.finish()).into_bytes()
}

/// The latest stretches of a worker's stderr, as they are read.
#[derive(Default)]
pub(super) struct Stretches {
    /// (how many marks came before it, its last [`KEPT`] bytes).
    latest: VecDeque<(u64, Vec<u8>)>,
}

impl Stretches {
    fn push(&mut self, bytes: &[u8]) {
        if self.latest.is_empty() {
            self.latest.push_back((0, Vec::new()));
        }
        let (_, last) = self.latest.back_mut().expect("one at least");
        last.extend_from_slice(bytes);
        let excess = last.len().saturating_sub(KEPT);
        last.drain(..excess);
    }

    fn mark(&mut self) {
        self.push(b"");
        let marks = self.latest.back().map_or(0, |(marks, _)| marks + 1);
        self.latest.push_back((marks, Vec::new()));
        if self.latest.len() > STRETCHES {
            self.latest.pop_front();
        }
    }

    /// What was written after `marks` marks; nothing if that stretch is
    /// not there (the marks went elsewhere: a task moved fd 2), rather
    /// than another task's lines.
    pub(super) fn after(&self, marks: u64) -> &[u8] {
        self.latest
            .iter()
            .find(|(seen, _)| *seen == marks)
            .map_or(&[], |(_, bytes)| bytes.as_slice())
    }
}

/// Reads `stream` to its end, splitting it at each `mark`.
pub(super) fn split(mut stream: impl Read, mark: &[u8], stretches: &Mutex<Stretches>) {
    let mut buffer = [0; 8192];
    // Bytes read and not yet placed: they may be the start of a mark.
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let read = match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        pending.extend_from_slice(&buffer[..read]);
        {
            let mut stretches = stretches
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            loop {
                match find(&pending, mark) {
                    Some(at) => {
                        stretches.push(&pending[..at]);
                        stretches.mark();
                        pending.drain(..at + mark.len());
                    }
                    None => {
                        let placed = pending.len().saturating_sub(mark.len() - 1);
                        stretches.push(&pending[..placed]);
                        pending.drain(..placed);
                        break;
                    }
                }
            }
        }
        if read < SMALL_READ {
            // Not a flood: let marks and lines gather for a moment, rather
            // than wake for each. Nothing waits on this thread but the end
            // of the stream, which a worker's death report reads to.
            std::thread::sleep(GATHER);
        }
    }
    stretches
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(&pending);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut from = 0;
    while let Some(offset) = haystack[from..].iter().position(|&b| b == first) {
        let at = from + offset;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        if haystack.len() - at < needle.len() {
            return None;
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_is_split_at_marks_however_it_is_read() {
        let mark = new_mark();
        assert_eq!(mark.len(), 18);
        // A stray separator byte and half a mark are a task's text.
        let mut stream = b"first \x1e task\n".to_vec();
        stream.extend_from_slice(&mark[..5]);
        stream.extend_from_slice(&mark);
        stream.extend_from_slice(b"second, half a line");
        stream.extend_from_slice(&mark);
        stream.extend_from_slice(b"third task\n");
        // Read a byte at a time, every mark is split.
        struct ByteAtATime<'a>(&'a [u8]);
        impl Read for ByteAtATime<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let Some((&first, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = first;
                self.0 = rest;
                Ok(1)
            }
        }
        for reader in [
            Box::new(stream.as_slice()) as Box<dyn Read>,
            Box::new(ByteAtATime(&stream)),
        ] {
            let stretches = Mutex::new(Stretches::default());
            split(reader, &mark, &stretches);
            let stretches = stretches.into_inner().unwrap();
            let mut first = b"first \x1e task\n".to_vec();
            first.extend_from_slice(&mark[..5]);
            assert_eq!(stretches.after(0), first);
            assert_eq!(stretches.after(1), b"second, half a line");
            assert_eq!(stretches.after(2), b"third task\n");
            assert_eq!(stretches.after(9), b"");
        }
        assert_ne!(new_mark(), new_mark());
    }

    #[test]
    fn each_stretch_keeps_its_last_8_kib_and_the_last_four_stretches_are_kept() {
        let mut stretches = Stretches::default();
        stretches.push(&vec![b'a'; 10_000]);
        stretches.push(b"end");
        let first = stretches.after(0);
        assert_eq!(first.len(), 8 * 1024);
        assert!(first.ends_with(b"aend"));
        for n in 1..=6u8 {
            stretches.mark();
            stretches.push(&[n]);
        }
        // Six marks: stretches 3 to 6 are kept, the older ones are gone.
        assert_eq!(stretches.after(3), [3]);
        assert_eq!(stretches.after(6), [6]);
        assert_eq!(stretches.after(2), b"");
    }
}

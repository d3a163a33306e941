//! The worker's side of the pool: [`serve`].

use std::any::Any;
use std::error::Error;
use std::fs::File;
use std::io::{self, Write};
use std::mem::ManuallyDrop;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::wire::{self, FRAME_BYTES, Frame, Hello, Items, Received, Refused, Setup, kind};
use crate::panic::CaptureScope;
use crate::report::ErrorReport;

/// The exit status of a worker that could not talk to its pool: its stdin
/// was not a pool's channel, or the pool sent something else than the
/// protocol's frames.
pub const NO_CHANNEL_EXIT: i32 = 70;

/// Runs in a worker: announces the task function's types to the pool, then
/// reads chunks of tasks from the pool's channel, runs `task` on each and
/// sends the results home, until the pool goes away. A panic in `task` is
/// caught and sent as an [`ErrorReport`] of kind `"panic"`; a returned
/// error is sent as its report. An input that does not deserialize, or a
/// result that does not serialize or is over
/// [`MAX_ITEM_BYTES`](super::MAX_ITEM_BYTES), fails alone, as
/// [`Failure::Undelivered`](crate::failure::Failure::Undelivered), and
/// the task is not run (for an input) or its value is lost (for a result).
///
/// The pool's channel arrives as this process's stdin and stdout. `serve`
/// takes them over and puts `/dev/null` in their place, so that a task (or
/// any process it starts) that reads stdin reads nothing, and one that
/// writes on stdout or stderr cannot reach the results. Every panic in this process
/// is also written to stderr, where the pool keeps the last lines of each
/// task for its death report: a panic while panicking, or in a result's
/// `Drop`, ends the worker, and its report still names the panic.
///
/// Ends the process when the channel closes, even in the middle of a task:
/// the pool closes it only to end the worker, and a parent that dies
/// closes it too, so nobody is left to read the results. Before it exits,
/// it kills its process group (the pool starts each worker in a group of
/// its own), so that processes its tasks started end with it. Exits with
/// [`NO_CHANNEL_EXIT`] if stdin and stdout are not a pool's channel.
pub fn serve<I, T, E>(task: impl Fn(I) -> Result<T, E>)
where
    I: DeserializeOwned,
    T: Serialize,
    E: Error + 'static,
{
    end_with_the_pool();
    let (from_pool, mut channel, setup) = match take_channel() {
        Ok(taken) => taken,
        Err(error) => broken(format!(
            "stdin and stdout are not a pool's channel: {error}"
        )),
    };
    let hello = Hello {
        role: crate::worker::role().unwrap_or_default(),
        input: std::any::type_name::<I>().to_owned(),
        output: std::any::type_name::<T>().to_owned(),
    };
    if channel
        .write_all(&Frame::single(kind::HELLO, &hello))
        .is_err()
    {
        end_of_pool();
    }
    let chunks = chunks_from(from_pool);
    let scope = CaptureScope::enter_echoing();
    let mut results = Results {
        frame: Frame::new(kind::RESULTS),
        // Never closed by this process, only by its end: a panic that
        // unwinds out of `serve` (a result's `Drop`) must not close the
        // channel before the process has exited, or the pool, seeing the
        // end of the channel, would kill the worker and report the kill
        // instead of the exit.
        channel: ManuallyDrop::new(channel),
        stderr_mark: setup.stderr_mark,
    };
    let flush_due = ticker(Duration::from_micros(setup.flush_us));
    for chunk in chunks {
        let mut batch = Batch {
            inputs: chunk.items(),
            // In exact mode, each result is sent at once.
            exact: chunk.kind == kind::EXACT_CHUNK,
            flush_due: &flush_due,
            results: &mut results,
            stage: Stage::Input,
        };
        let mut send = None;
        loop {
            if let Some(marked) = send.take() {
                batch.results.send(marked);
            }
            // One catch for a batch of tasks, not one for each, which would
            // cost more than a tiny task.
            match scope.catch_payload(|| batch.run(&task)) {
                Ok(Some(marked)) => send = Some(marked),
                Ok(None) => break,
                Err(payload) => {
                    batch.panicked(payload, &scope);
                    send = batch.send_due();
                }
            }
        }
        if let Err(error) = batch.inputs.finish() {
            broken(error);
        }
        results.send(true);
    }
}

/// Where in a task's life a panic struck.
#[derive(Clone, Copy)]
enum Stage {
    Input,
    Task,
    Result,
    /// The result's `Drop`, once it is in the frame.
    Drop,
}

/// The tasks of one chunk, run between sends of results.
struct Batch<'a, 'c> {
    inputs: Items<'c>,
    exact: bool,
    flush_due: &'a AtomicBool,
    results: &'a mut Results,
    /// How far the task running now got: a panic fails that task alone.
    stage: Stage,
}

impl Batch<'_, '_> {
    /// Runs tasks until the results are due to go home (`Some`: with a
    /// mark or without) or the chunk is done (`None`).
    #[inline]
    fn run<I, T, E>(&mut self, task: &impl Fn(I) -> Result<T, E>) -> Option<bool>
    where
        I: DeserializeOwned,
        T: Serialize,
        E: Error + 'static,
    {
        while let Some(item) = self.inputs.next_item() {
            let (tag, bytes) = item.unwrap_or_else(|error| broken(error));
            let frame = &mut self.results.frame;
            self.stage = Stage::Input;
            match wire::decode::<I>(tag, bytes, "the input") {
                Err(report) => frame.push_undelivered(&report),
                Ok(input) => {
                    self.stage = Stage::Task;
                    match task(input) {
                        Ok(value) => {
                            self.stage = Stage::Result;
                            let pushed = frame.push_value_uncaught(&value, "the result");
                            if let Err(Refused(report)) = pushed {
                                frame.push_undelivered(&report);
                            }
                            if std::mem::needs_drop::<T>() {
                                self.stage = Stage::Drop;
                                drop(value);
                            }
                        }
                        Err(error) => {
                            let report = ErrorReport::from_error(&error);
                            // Dropped before the report goes in: a panic in
                            // its `Drop` is the task's, and leaves no report
                            // behind it.
                            drop(error);
                            frame.push_report(&report);
                        }
                    }
                }
            }
            if let Some(marked) = self.send_due() {
                return Some(marked);
            }
        }
        None
    }

    /// Whether the results go home now, and if so whether with a mark.
    #[inline]
    fn send_due(&self) -> Option<bool> {
        // The chunk's last batch waits for the end of the chunk, where it
        // goes with a mark.
        let full = self.results.frame.payload_len() >= FRAME_BYTES && !self.inputs.is_done();
        // Reading a flag, not the clock: cheaper than a tiny task.
        if self.exact || full || self.flush_due.load(Ordering::Relaxed) {
            self.flush_due.store(false, Ordering::Relaxed);
            // A batch that filled up goes without a mark: on tiny tasks,
            // a mark before each was two in five of a run's writes.
            Some(self.exact || !full)
        } else {
            None
        }
    }

    /// Fails the task that panicked with what the panic says, and where,
    /// in place of whatever it had put in the frame: a task adds one item
    /// to the frame, and items count only once they are whole, so what
    /// follows the last whole item is that task's.
    #[cold]
    fn panicked(&mut self, payload: Box<dyn Any + Send>, scope: &CaptureScope) {
        if let Stage::Drop = self.stage {
            // A panic in a result's `Drop` ends the worker, which blames
            // this task, and the hook has written it on stderr for the
            // death report.
            std::panic::resume_unwind(payload);
        }
        let panic = scope.recover(payload);
        let frame = &mut self.results.frame;
        frame.cut_partial();
        match self.stage {
            Stage::Input => frame.push_undelivered(&wire::deserialize_panicked("the input", panic)),
            Stage::Task => frame.push_report(&ErrorReport::from_panic(&panic)),
            Stage::Result | Stage::Drop => {
                frame.push_undelivered(&wire::serialize_panicked("the result", panic))
            }
        }
    }
}

/// Takes the pool's channel from stdin, puts `/dev/null` there instead,
/// and reads the pool's [`Setup`].
fn take_channel() -> io::Result<(File, File, Setup)> {
    // Copies of fds 0 and 1 that processes started by tasks do not inherit
    // (std duplicates with close-on-exec).
    let from_pool = File::from(io::stdin().as_fd().try_clone_to_owned()?);
    let to_pool = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    rustix::stdio::dup2_stdin(File::open("/dev/null")?)?;
    rustix::stdio::dup2_stdout(File::options().write(true).open("/dev/null")?)?;
    // Unbuffered: a buffer could take in the first chunk as well.
    match wire::read_frame(&mut &from_pool)? {
        Some(frame) if frame.kind == kind::SETUP => Ok((from_pool, to_pool, frame.single()?)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the pool's first frame is not a setup",
        )),
    }
}

/// The chunks arriving on the channel, read by a thread of its own so that
/// the end of the channel is seen while a task runs. The process ends
/// there: see [`serve`].
fn chunks_from(channel: File) -> mpsc::Receiver<Received> {
    // Unbounded: a reader that waited for room would stop reading, and
    // miss the end of the channel. The pool bounds what it sends: about two
    // chunks' worth of tasks at a time.
    let (arrived, chunks) = mpsc::channel();
    thread::spawn(move || {
        loop {
            // Unbuffered: a chunk is read straight into its own bytes.
            match wire::read_frame(&mut &channel) {
                Ok(Some(chunk)) if matches!(chunk.kind, kind::CHUNK | kind::EXACT_CHUNK) => {
                    if arrived.send(chunk).is_err() {
                        return;
                    }
                }
                Ok(Some(_)) => broken("a frame that is not a chunk"),
                Err(error) if error.kind() == io::ErrorKind::InvalidData => broken(error),
                Ok(None) | Err(_) => end_of_pool(),
            }
        }
    });
    chunks
}

/// Makes sure this worker ends when its pool's process dies, even while
/// it is stopped (`SIGSTOP`, `SIGTSTP`): it then kills its group.
///
/// A running worker sees the end of its channel at once; a stopped one
/// runs no thread. The kernel's orphaned-group rule (`SIGHUP`, then
/// `SIGCONT`, to a group with a stopped member that loses its last parent
/// outside it) does not do the job: it applies only when no process of
/// the same session adopts the worker, and here it reached the stopped
/// worker alone, whose `SIGHUP` killed it before it could end the rest.
/// So the worker asks the kernel for a `SIGCONT` when its parent dies
/// (Linux's and FreeBSD's parent-death signal). Linux sends it before it
/// applies the orphaned-group rule, which then finds nothing stopped.
/// macOS has no parent-death signal: there, a stopped worker is left to
/// that rule.
fn end_with_the_pool() {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    {
        use rustix::process::{Signal, getppid, set_parent_process_death_signal};
        let pool = getppid();
        // `SIGCONT`, not `SIGKILL`: the signal also comes when the thread
        // that started the worker ends, which a live pool survives, and a
        // `SIGCONT` to a running process does nothing.
        if set_parent_process_death_signal(Some(Signal::CONT)).is_ok() && getppid() != pool {
            // The parent died before the signal was asked for.
            end_of_pool();
        }
    }
}

/// The pool is gone, or ended this worker: so does everything this
/// worker's tasks started, if the worker leads a process group of its own
/// (as the pool starts it).
fn end_of_pool() -> ! {
    use rustix::process::{Signal, getpgrp, getpid, kill_current_process_group};
    if getpgrp() == getpid() {
        let _ = kill_current_process_group(Signal::KILL);
    }
    std::process::exit(0);
}

/// The channel carries something that is not the protocol.
fn broken(error: impl std::fmt::Display) -> ! {
    // Not `eprintln!`, which panics if a task has broken stderr.
    let _ = writeln!(io::stderr(), "pool worker: {error}");
    std::process::exit(NO_CHANNEL_EXIT);
}

/// A flag that a thread of its own raises every `interval`, but not more
/// than once a millisecond: a zero interval would keep a core spinning.
fn ticker(interval: Duration) -> Arc<AtomicBool> {
    let interval = interval.max(Duration::from_millis(1));
    let due = Arc::new(AtomicBool::new(false));
    let raise = Arc::clone(&due);
    // Not synchronisation: a metronome. It ends with the process.
    thread::spawn(move || {
        loop {
            thread::sleep(interval);
            raise.store(true, Ordering::Relaxed);
        }
    });
    due
}

/// A worker's results on their way home: a frame being filled, and the
/// channel.
struct Results {
    frame: Frame,
    channel: ManuallyDrop<File>,
    /// Written on stderr before each frame but one whose batch filled up:
    /// the pool splits stderr there, so that each death report shows what
    /// its own task wrote.
    stderr_mark: Vec<u8>,
}

impl Results {
    /// Sends the frame, if it holds anything: `marked`, after a mark on
    /// stderr, which ends the stretch of stderr its tasks wrote.
    fn send(&mut self, marked: bool) {
        if self.frame.is_empty() {
            return;
        }
        if marked {
            // One write, shorter than a pipe's atomic size: it cannot be
            // interleaved with what other threads or processes write.
            let _ = io::stderr().lock().write_all(&self.stderr_mark);
            self.frame.set_kind(kind::RESULTS);
        } else {
            self.frame.set_kind(kind::UNMARKED_RESULTS);
        }
        if self.frame.send(&mut *self.channel).is_err() {
            end_of_pool();
        }
    }
}

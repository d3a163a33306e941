//! Step 6 of chapter 13, a private channel, on the pool's side: starting
//! a worker with its pipes, the threads that work them, and the decoding
//! of its frames of results. The worker's side is [`serve`](fn@super::serve).

use std::any::Any;
use std::io::{self, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{ChildStdout, Stdio};
use std::sync::{Arc, Mutex, RwLock, mpsc};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use serde::de::DeserializeOwned;

use super::ledger::InFlight;
use super::wire::{self, Frame, Hello, kind};
use super::{ProcessPool, Settled, Worker, stderr};
use crate::failure::Failure;
use crate::panic::CaptureScope;
use crate::report::ErrorReport;
use crate::worker;

/// What a worker's reader threads tell the pool.
pub(super) enum Event {
    /// The worker said what it serves.
    Hello(Hello),
    /// A frame of results, decoded by the run's [`Decode`] function, and
    /// whether a mark on the worker's stderr came before it.
    Frame(Box<dyn Any + Send>, bool),
    /// The channel carried something that is not the protocol.
    Broken(String),
    /// The worker closed its channel: it has exited, or is exiting.
    Closed,
}

impl ProcessPool {
    /// The program the workers run, for messages.
    pub(super) fn program_name(&self) -> String {
        match &self.config.program {
            Some(program) => program.display().to_string(),
            None => std::env::current_exe()
                .map_or_else(|_| "this program".to_owned(), |p| p.display().to_string()),
        }
    }

    pub(super) fn spawn(&mut self) -> io::Result<()> {
        let mut command = match &self.config.program {
            Some(program) => std::process::Command::new(program),
            None => worker::command(&self.config.role)?,
        };
        // The caller's variables first, so that they cannot unset the role.
        command
            .envs(self.config.env.iter().map(|(key, value)| (key, value)))
            .env(worker::ROLE_VAR, &self.config.role)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command.spawn()?;
        let id = self.next_worker;
        self.next_worker += 1;
        let (done, threads_done) = mpsc::channel();
        let mark = stderr::new_mark();
        let setup = Frame::single(
            kind::SETUP,
            &wire::Setup {
                stderr_mark: mark.clone(),
                flush_us: self
                    .config
                    .flush_for_workers()
                    .as_micros()
                    .min(u64::MAX.into()) as u64,
            },
        );
        let (chunks, to_write) = mpsc::channel::<Vec<u8>>();
        let events = self.events.clone();
        let decode = Arc::clone(&self.decode);
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let mut to_worker = child.stdin.take().expect("piped stdin");
        let from_worker = child.stdout.take().expect("piped stdout");
        let stretches = Arc::new(Mutex::new(stderr::Stretches::default()));
        let kept = Arc::clone(&stretches);
        let threads = [
            pipe_thread(&done, move || {
                for frame in std::iter::once(setup).chain(to_write) {
                    if to_worker.write_all(&frame).is_err() {
                        return; // the worker is gone
                    }
                }
            }),
            pipe_thread(&done, move || {
                read_channel(id, from_worker, &events, &decode)
            }),
            pipe_thread(&done, move || stderr::split(stderr_pipe, &mark, &kept)),
        ];
        if let Some(Err(error)) = threads.iter().find(|thread| thread.is_err()) {
            // No thread, no worker: the ones that started end with it.
            let error = io::Error::new(error.kind(), error.to_string());
            let group = rustix::process::Pid::from_child(&child);
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            let _ = child.kill();
            let _ = child.wait();
            return Err(error);
        }
        let threads = threads.into_iter().filter_map(Result::ok).collect();

        self.workers.insert(
            id,
            Worker {
                child,
                chunks: Some(chunks),
                hello: None,
                in_flight: InFlight::default(),
                exact: false,
                last_progress: Instant::now(),
                frames: 0,
                marks: 0,
                own_stderr: true,
                stderr: stretches,
                notes: Vec::new(),
                threads,
                threads_done,
            },
        );
        Ok(())
    }
}

/// Reads a worker's side of the channel: its hello, then frames of
/// results, each decoded here, until the channel closes or breaks.
fn read_channel(
    id: u64,
    channel: ChildStdout,
    events: &mpsc::Sender<(u64, Event)>,
    decode: &RwLock<Decode>,
) {
    // A panic here, outside the catch around each result (a result's
    // `Drop`, say), must still tell the pool, or the worker's tasks would
    // wait for ever.
    let read = crate::panic::catch(|| read_frames(id, channel, events, decode));
    if let Err(panic) = read {
        let why = format!("the pool's reader thread {panic}");
        let _ = events.send((id, Event::Broken(why)));
    }
}

/// [`read_channel`]'s work.
fn read_frames(
    id: u64,
    channel: ChildStdout,
    events: &mpsc::Sender<(u64, Event)>,
    decode: &RwLock<Decode>,
) {
    // A panicking `Deserialize` of a result fails that result alone.
    let scope = CaptureScope::enter(false);
    let mut reader = BufReader::with_capacity(64 * 1024, channel);
    let mut said_hello = false;
    let event = loop {
        let frame = match wire::read_frame(&mut reader) {
            Ok(Some(frame)) => frame,
            Ok(None) => break Event::Closed,
            Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                break Event::Broken(error.to_string());
            }
            // A read error on the pipe: the worker is gone.
            Err(_) => break Event::Closed,
        };
        let event = match (said_hello, frame.kind) {
            (false, kind::HELLO) => match frame.single::<Hello>() {
                Ok(hello) => {
                    said_hello = true;
                    Event::Hello(hello)
                }
                Err(error) => break Event::Broken(error.to_string()),
            },
            (true, kind @ (kind::RESULTS | kind::UNMARKED_RESULTS)) => {
                let decode = *decode
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match decode(frame, &scope) {
                    Ok(results) => Event::Frame(results, kind == kind::RESULTS),
                    Err(error) => break Event::Broken(error.to_string()),
                }
            }
            (_, kind) => {
                break Event::Broken(format!("pool protocol: a frame of kind {kind} out of turn"));
            }
        };
        if events.send((id, event)).is_err() {
            return;
        }
    };
    let _ = events.send((id, event));
}

/// Drops what a worker sent that nobody will use. Results are the caller's
/// type, whose `Drop` may panic: that must not take the run down.
pub(super) fn discard(event: Event) {
    let _ = crate::panic::catch(move || drop(event));
}

/// Starts a thread that works one of a worker's pipes, and holds a clone of
/// `done` until it finishes.
fn pipe_thread(
    done: &mpsc::Sender<()>,
    work: impl FnOnce() + Send + 'static,
) -> io::Result<JoinHandle<()>> {
    let done = done.clone();
    thread::Builder::new()
        .name("pool".to_owned())
        .spawn(move || {
            work();
            drop(done);
        })
}

/// Decodes a frame of results in a reader thread, into a
/// `Vec<Settled<T>>`.
pub(super) type Decode = fn(wire::Received, &CaptureScope) -> io::Result<Box<dyn Any + Send>>;

pub(super) fn decode<T: DeserializeOwned + Send + 'static>(
    frame: wire::Received,
    scope: &CaptureScope,
) -> io::Result<Box<dyn Any + Send>> {
    let mut items = frame.items();
    let mut results: Vec<Settled<T>> = Vec::with_capacity(frame.count());
    // One catch for the frame, not one per result, which would cost more
    // than a tiny task: a `Deserialize` that panics fails its own result,
    // and the rest are read in a catch of their own.
    loop {
        let read = scope.catch_payload(|| -> io::Result<()> {
            while let Some(item) = items.next_item() {
                let (tag, bytes) = item?;
                results.push(if wire::is_report(tag) {
                    match wire::report(tag, bytes) {
                        Ok(report) => Err(failure_of(report)),
                        Err(undelivered) => Err(Failure::Undelivered(undelivered)),
                    }
                } else {
                    wire::decode::<T>(tag, bytes, "the result").map_err(Failure::Undelivered)
                });
            }
            Ok(())
        });
        match read {
            Ok(read) => break read?,
            Err(payload) => results.push(Err(Failure::Undelivered(Box::new(
                wire::deserialize_panicked("the result", scope.recover(payload)),
            )))),
        }
    }
    items.finish()?;
    Ok(Box::new(results))
}

/// The failure for a report that came home from a worker.
fn failure_of(report: Box<ErrorReport>) -> Failure<Box<ErrorReport>> {
    if report.kind == "panic" {
        let report = *report;
        Failure::Panicked(Box::new(crate::panic::Panic {
            message: report.message,
            location: report.location,
            thread: None,
            backtrace: report.backtrace.map(crate::panic::Trace::from),
        }))
    } else {
        Failure::Returned(report)
    }
}

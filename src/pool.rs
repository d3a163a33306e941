//! A pool of worker processes that never loses a task (chapter 13).
//!
//! Every input given to [`ProcessPool::run`] gets exactly one [`Outcome`],
//! in input order: its value, the error it returned, its panic (message and
//! location), the death of the worker that was running it (exit code or
//! signal, and the last lines that task wrote on stderr), a timeout, or,
//! when the pool could not carry it to a worker or its result back,
//! [`Failure::Undelivered`] with the reason. A worker that dies or hangs is
//! replaced and the pool carries on. Every worker, with every process its
//! tasks started, is killed and reaped when the pool is dropped, also while
//! unwinding from a panic; and a worker ends by itself when the pool's
//! process dies, so a parent killed outright leaves no worker running.
//!
//! The workers are this same program, started again through
//! [`crate::worker::guard`]; the role's function calls [`serve`] with the
//! task function:
//!
//! ```no_run
//! use no_silent_failures::{pool, worker};
//!
//! fn square(n: u64) -> Result<u64, std::io::Error> {
//!     Ok(n * n)
//! }
//!
//! fn pool_worker() {
//!     pool::serve(square);
//! }
//!
//! fn main() {
//!     worker::guard(&[("square", pool_worker)]);
//!     let mut pool = pool::ProcessPool::new(pool::Config::new("square")).unwrap();
//!     let outcomes = pool.run::<u64, u64>(vec![1, 2, 3]);
//!     assert_eq!(outcomes[2].value(), Some(&9));
//! }
//! ```
//!
//! # The channel
//!
//! Tasks and results travel on a private channel: two pipes, handed to the
//! worker as its stdin and stdout, which [`serve`] takes over at once,
//! putting `/dev/null` in their place. Nothing else holds them: the
//! worker's copies are closed on `exec`, so a program a task starts does
//! not inherit them (a bare `fork` without `exec` does: its child then
//! holds the channel, and a death shows at the timeout instead of at
//! once). A task may read stdin (it reads nothing), print any bytes on
//! stdout (which goes to `/dev/null`) or stderr (which the pool reads for
//! death reports), and start processes that write there for ever: none of
//! it reaches a result.
//!
//! The other choices were a socket with a name, in a private directory,
//! which leaves a file behind when the parent is killed; a descriptor
//! passed as fd 3, which needs `unsafe` code between `fork` and `exec`;
//! and a socket pair as stdin, which works the same way as the two pipes
//! but measured slower here (a small write on a socket costs more than on
//! a pipe, and exact mode makes one per task).
//!
//! # The handshake
//!
//! The pool first tells a new worker how to mark its stderr; the worker
//! answers with a [`Hello`]: its role and the types its task function
//! takes and returns, as `std::any::type_name` spells them. Only then does
//! it get tasks. A run whose `run::<I, T>` types are not the worker's fails
//! at once, every input with [`Failure::Undelivered`] of kind
//! `"handshake"`; so does a run whose first worker ends (an unknown role,
//! say) or stays silent for the timeout before it says hello. In a pool
//! whose workers have served, a start that comes to nothing is retried,
//! up to three in a row; then the run starts no more workers, and carries
//! on with those it has. Types must match by
//! name: a struct that serializes like a `String` is not a `String`.
//!
//! # How tasks travel
//!
//! The parent writes *chunks* of tasks to a worker. The worker runs them
//! one after another and sends results back in frames, several results
//! per frame for throughput. It sends a frame when its chunk is done, when
//! the frame reaches [`FRAME_BYTES`], and whenever the flush interval
//! ([`Config::flush_interval`]) has passed since the last one, so the
//! parent sees progress even from a slow chunk.
//!
//! Tasks and results travel in [postcard], a compact binary serde format:
//! a few bytes and nanoseconds per tiny task. A plain value (a number, a
//! `bool`, a `char`, `()`, or a newtype around one) skips even that and
//! travels as its little-endian bytes. Like every format that does not
//! describe itself, postcard cannot carry types that need
//! `deserialize_any`: `serde_json::Value`, `#[serde(untagged)]` enums,
//! `#[serde(flatten)]` fields. Each item's length is known (in its tag
//! or the bytes after it, or, in a frame of plain values of one width, in
//! the frame's header), so an input or a result whose serde impl fails
//! (returns an error, panics) fails alone, as [`Failure::Undelivered`] with serde's message or the
//! panic's message and location; so does one over [`MAX_ITEM_BYTES`].
//!
//! # Failures inside a chunk
//!
//! When a worker dies or shows no progress for the timeout, the parent
//! kills its process group (the worker and whatever its tasks started),
//! reaps it, and looks at the tasks it was sent and did not answer. A
//! worker sends the last results of a chunk before it starts the next, so
//! the tasks of every chunk after the oldest one owed never started: they
//! go back to the queue as they were. Results travel in batches, so the
//! first task owed is not necessarily the one to blame. A single task owed
//! in that oldest chunk is; several are queued again, in *exact mode*,
//! where a worker sends each result as soon as it has it. There, the first
//! unanswered task of a dead or stuck worker is the one to blame; it gets
//! the failure, and the tasks after it, which never started, go back to
//! the queue. Tasks are
//! therefore run **at least once**: a task whose result was lost with its
//! worker runs again. Tasks should be safe to repeat.
//!
//! # Processes and groups
//!
//! Each worker leads a process group of its own, so Ctrl-C in a terminal
//! reaches the parent alone; the workers end because the parent did. A
//! worker ends when its channel closes (the parent died, in any state),
//! and kills its group as it goes; a worker that is stopped (`SIGSTOP`)
//! when the parent dies is ended by the kernel, which sends `SIGHUP` to a
//! stopped process group left without a parent outside it. A process a
//! task starts in a group or session of its own (`setsid`) escapes all
//! this, as it escapes a terminal's Ctrl-C.

mod config;
mod raw;
mod serve;
mod stderr;
mod wire;

use std::any::Any;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{self, BufReader, Write};
use std::ops::Range;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Stdio};
use std::sync::{Arc, Mutex, RwLock, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::failure::Failure;
use crate::outcome::Outcome;
use crate::panic::CaptureScope;
use crate::process::{Death, Exit, tail};
use crate::report::ErrorReport;
use crate::worker;
pub use config::Config;
pub use serve::{NO_CHANNEL_EXIT, serve};
use wire::{CHUNK_BYTES, Frame, Refused, kind};
pub use wire::{FRAME_BYTES, Hello, MAX_ITEM_BYTES};

/// How long ending a worker waits for its stderr to close after it exits.
const PIPES_GRACE: Duration = Duration::from_millis(200);

/// How many lines of stderr are shown in a [`Death`]: enough for a panic
/// while panicking (three lines of std's after the first panic's own).
const STDERR_LINES: usize = 10;

/// What the pool settles for each task.
type Settled<T> = Result<T, Failure<Box<ErrorReport>>>;

/// What a worker's reader threads tell the pool.
enum Event {
    /// The worker said what it serves.
    Hello(Hello),
    /// A frame of results, decoded by the run's [`Decode`] function.
    Frame(Box<dyn Any + Send>),
    /// The channel carried something that is not the protocol.
    Broken(String),
    /// The worker closed its channel: it has exited, or is exiting.
    Closed,
}

/// One running worker.
struct Worker {
    child: Child,
    /// Chunks for the thread that writes them to the channel, so that a
    /// worker too busy to read never blocks the pool.
    chunks: Option<mpsc::Sender<Vec<u8>>>,
    /// What it serves, once it has said so.
    hello: Option<Hello>,
    /// The tasks sent and not yet answered, in the order it runs them.
    in_flight: InFlight,
    /// Whether it runs its chunk in exact mode; it then gets no other
    /// chunk until this one is done.
    exact: bool,
    /// When it last showed progress (was started, said hello, was given a
    /// chunk, or sent a frame).
    last_progress: Instant,
    /// How many frames of results it has sent: its stderr's stretch after
    /// that many marks belongs to its first unanswered task.
    frames: u64,
    stderr: Arc<Mutex<stderr::Stretches>>,
    /// Lines of the pool's own for its death report.
    notes: Vec<String>,
    /// The threads that work its channel and its stderr.
    threads: Vec<JoinHandle<()>>,
    /// Disconnected once all of those threads have finished.
    threads_done: mpsc::Receiver<()>,
}

impl Worker {
    /// Kills the worker's process group, reaps the worker, and says how it
    /// ended.
    fn end(mut self) -> Death {
        // Even a worker whose channel has closed is killed: it is almost
        // always exiting, but one that closed it and carried on would keep
        // `wait` waiting for ever. A kill does not change the status of a
        // process that has exited and is not yet reaped, and until it is
        // reaped its process group's id cannot be taken by another. The pool
        // stops writing to the channel only after the kill, so that the
        // worker's own exit at the end of the channel cannot take the
        // kill's place in the report.
        let group = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        // And the worker itself, should it have left its group.
        let _ = self.child.kill();
        drop(self.chunks.take());
        let exit = self.child.wait().map(Exit::of).unwrap_or(Exit::Code(-1));
        // The threads end when the channel and stderr close, which a
        // process that left the group may put off for as long as it lives:
        // past a grace period they are left to end on their own.
        let deadline = Instant::now() + PIPES_GRACE;
        let pipes_closed = loop {
            match self
                .threads_done
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(()) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => break true,
                Err(mpsc::RecvTimeoutError::Timeout) => break false,
            }
        };
        if pipes_closed {
            for thread in self.threads.drain(..) {
                // A thread that panicked has printed its message already;
                // the tasks it carried are owed by this worker and get
                // their outcomes from the caller.
                let _ = thread.join();
            }
        } else {
            self.notes.push(
                "pool: the worker's stderr stayed open after it ended: a process it started holds it"
                    .to_owned(),
            );
        }
        let stretches = self
            .stderr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut stderr_tail = tail(stretches.after(self.frames), STDERR_LINES);
        for note in &self.notes {
            stderr_tail.push_str(note);
            stderr_tail.push('\n');
        }
        Death { exit, stderr_tail }
    }
}

/// A pool of worker processes. See the [module documentation](self).
///
/// Returned errors arrive as boxed [`ErrorReport`]s, so that an outcome
/// stays small when, as usually, nothing failed.
pub struct ProcessPool {
    config: Config,
    workers: HashMap<u64, Worker>,
    next_worker: u64,
    events: mpsc::Sender<(u64, Event)>,
    received: mpsc::Receiver<(u64, Event)>,
    /// How the reader threads decode frames for the current run: they
    /// decode while the pool settles, and the pool's thread has enough to do.
    decode: Arc<RwLock<Decode>>,
    /// Whether a worker of this pool has said hello with the right types.
    served: bool,
    /// How many new workers in a row, this run, ended before they sent a
    /// result.
    failed_starts: u32,
    /// Why this run starts no more workers, once it has given up on them.
    no_more_starts: Option<ErrorReport>,
}

/// How many new workers in a row may end before they send a result, in a
/// pool whose workers have served before, before a run starts no more.
const FAILED_STARTS: u32 = 3;

/// What a run needs its workers to serve.
struct Wanted {
    input: &'static str,
    output: &'static str,
}

impl Wanted {
    /// Why a worker that said `hello` cannot serve this run, if it cannot.
    fn refusal(&self, hello: &Hello) -> Option<ErrorReport> {
        (hello.input != self.input || hello.output != self.output).then(|| {
            ErrorReport::undelivered(
                "handshake",
                "this run",
                format!(
                    "it needs a worker for {} -> {}, and the workers of role {:?} serve {} -> {}",
                    self.input, self.output, hello.role, hello.input, hello.output
                ),
                None,
            )
        })
    }
}

impl ProcessPool {
    /// A pool with no workers yet; they start on the first [`run`](Self::run).
    ///
    /// # Errors
    ///
    /// When the config cannot work (no workers, chunks of no tasks, a zero
    /// timeout: [`io::ErrorKind::InvalidInput`]), or the path of the
    /// current program cannot be found.
    pub fn new(config: Config) -> io::Result<Self> {
        config.check()?;
        if config.program.is_none() {
            std::env::current_exe()?;
        }
        let (events, received) = mpsc::channel();
        Ok(ProcessPool {
            config,
            workers: HashMap::new(),
            next_worker: 0,
            events,
            received,
            decode: Arc::new(RwLock::new(decode::<()>)),
            served: false,
            failed_starts: 0,
            no_more_starts: None,
        })
    }

    /// How many workers this pool has started, replacements included: a
    /// number that keeps growing means workers keep dying.
    pub fn workers_started(&self) -> u64 {
        self.next_worker
    }

    /// How many workers have said hello and take tasks now: a new worker
    /// takes none until it has (see the [module documentation](self)).
    pub fn ready_workers(&self) -> usize {
        self.workers.values().filter(|w| w.hello.is_some()).count()
    }

    /// The process ids of the workers running now.
    pub fn worker_pids(&self) -> Vec<u32> {
        self.workers.values().map(|w| w.child.id()).collect()
    }

    /// Runs every input on the pool, and returns one outcome per input, in
    /// input order.
    #[must_use = "the outcomes are the only record of which inputs failed"]
    pub fn run<I, T>(&mut self, inputs: Vec<I>) -> Vec<Outcome<I, T, Box<ErrorReport>>>
    where
        I: Serialize,
        T: DeserializeOwned + Send + 'static,
    {
        self.run_with_progress(inputs, |_, _| {})
    }

    /// Like [`run`](Self::run), and calls `progress(index, result)` for each
    /// input as soon as its outcome is known, in completion order.
    #[must_use = "the outcomes are the only record of which inputs failed"]
    pub fn run_with_progress<I, T>(
        &mut self,
        inputs: Vec<I>,
        progress: impl FnMut(usize, &Settled<T>),
    ) -> Vec<Outcome<I, T, Box<ErrorReport>>>
    where
        I: Serialize,
        T: DeserializeOwned + Send + 'static,
    {
        // A run abandoned by a panic (in `progress`, say) leaves workers
        // busy with its tasks; their results belong to nobody now.
        let abandoned: Vec<u64> = self
            .workers
            .iter()
            .filter(|(_, w)| !w.in_flight.is_empty())
            .map(|(&id, _)| id)
            .collect();
        for id in abandoned {
            self.workers.remove(&id).expect("listed above").end();
        }
        self.settle_between_runs();
        self.failed_starts = 0;
        self.no_more_starts = None;
        *self
            .decode
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = decode::<T>;
        let wanted = Wanted {
            input: std::any::type_name::<I>(),
            output: std::any::type_name::<T>(),
        };
        let mut queue = Queue {
            again: VecDeque::new(),
            next_fresh: 0,
            count: inputs.len() as u64,
        };
        let mut ledger = Ledger::new(inputs, progress);
        // Workers from an earlier run said what they serve already.
        let refusal = self
            .workers
            .values()
            .find_map(|w| w.hello.as_ref().and_then(|hello| wanted.refusal(hello)));
        if let Some(refusal) = refusal {
            ledger.settle_unsent(queue.drain().map(|task| (task, refusal.clone())).collect());
        }

        while !ledger.is_complete() {
            // Every event that has arrived is handled before any chunk
            // goes out: a worker whose death is known gets no new task.
            if let Ok((id, event)) = self.received.try_recv() {
                self.handle(id, event, &wanted, &mut ledger, &mut queue);
                continue;
            }
            let unsent = self.dispatch(&mut queue, |task| ledger.input(task));
            ledger.settle_unsent(unsent);
            if ledger.is_complete() {
                // The last tasks were never sent: no event is coming.
                break;
            }
            let event = match self.next_deadline() {
                Some(deadline) if deadline <= Instant::now() => {
                    self.end_stuck(&mut ledger, &mut queue);
                    continue;
                }
                Some(deadline) => self
                    .received
                    .recv_timeout(deadline.saturating_duration_since(Instant::now())),
                None => self
                    .received
                    .recv()
                    .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            };
            match event {
                Ok((id, event)) => self.handle(id, event, &wanted, &mut ledger, &mut queue),
                // The loop looks at what arrived meanwhile before it calls
                // anyone stuck.
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    unreachable!("the pool holds a sender of its own channel")
                }
            }
        }
        ledger.into_outcomes()
    }

    /// Settles what one event from worker `id` says.
    fn handle<I, T: Send + 'static, P: FnMut(usize, &Settled<T>)>(
        &mut self,
        id: u64,
        event: Event,
        wanted: &Wanted,
        ledger: &mut Ledger<I, T, P>,
        queue: &mut Queue,
    ) {
        let Some(worker) = self.workers.get_mut(&id) else {
            // From a worker already ended: what it sent belongs to nobody.
            discard(event);
            return;
        };
        match event {
            Event::Hello(hello) => {
                worker.last_progress = Instant::now();
                let refusal = wanted.refusal(&hello);
                worker.hello = Some(hello);
                match refusal {
                    None => self.served = true,
                    Some(refusal) => {
                        // Every worker of this role would say the same.
                        self.workers.remove(&id).expect("found above").end();
                        let unsent = queue.drain().map(|task| (task, refusal.clone()));
                        ledger.settle_unsent(unsent.collect());
                    }
                }
            }
            Event::Frame(frame) => {
                worker.last_progress = Instant::now();
                worker.frames += 1;
                // A worker that delivers is a start that worked.
                self.failed_starts = 0;
                let mut results = match frame.downcast::<Vec<Settled<T>>>() {
                    Ok(results) => *results,
                    // Decoded for another run's type. Workers of an
                    // abandoned run are ended before the next starts, so
                    // this cannot happen; if it did, the tasks would get
                    // the broken channel's failure.
                    Err(other) => {
                        discard(Event::Frame(other));
                        let worker = self.workers.remove(&id).expect("found above");
                        self.broken(worker, "a frame decoded for another run", ledger, queue);
                        return;
                    }
                };
                // Results come in the order the worker was sent the tasks,
                // which it holds as runs of consecutive tasks.
                while !results.is_empty() {
                    let Some(run) = worker.in_flight.take_run(results.len()) else {
                        discard(Event::Frame(Box::new(results)));
                        let worker = self.workers.remove(&id).expect("found above");
                        self.broken(worker, "more results than tasks", ledger, queue);
                        return;
                    };
                    let rest = results.split_off((run.end - run.start) as usize);
                    ledger.settle_run(run.start, results);
                    results = rest;
                }
            }
            Event::Broken(why) => {
                let worker = self.workers.remove(&id).expect("found above");
                self.broken(worker, &why, ledger, queue);
            }
            Event::Closed => {
                let worker = self.workers.remove(&id).expect("found above");
                self.bury(worker, ledger, queue);
            }
        }
    }

    /// Ends a worker that died, or closed its channel, and fails or
    /// requeues the tasks it owed.
    fn bury<I, T, P: FnMut(usize, &Settled<T>)>(
        &mut self,
        worker: Worker,
        ledger: &mut Ledger<I, T, P>,
        queue: &mut Queue,
    ) {
        let unfinished = worker.in_flight.unfinished();
        let exact = worker.exact;
        let said_hello = worker.hello.is_some();
        let delivered = worker.frames > 0;
        let death = worker.end();
        if !said_hello || (!delivered && unfinished.is_empty()) {
            // A start that came to nothing: no task of it to blame.
            let when = if said_hello {
                "before its first task"
            } else {
                "before it said hello"
            };
            let mut why = format!("a new worker {} {when}", death.exit);
            if let Some(last) = death.stderr_tail.lines().last() {
                why.push_str(&format!("; its stderr: {last}"));
            }
            self.not_started(why, ledger, queue);
            return;
        }
        blame(unfinished, exact, queue, |task| {
            let death = Box::new(death.clone());
            ledger.settle(task, Err(Failure::Died(death)));
        });
    }

    /// Ends a worker whose channel broke, and fails every task it owed:
    /// which of them the broken frame was for cannot be known.
    fn broken<I, T, P: FnMut(usize, &Settled<T>)>(
        &mut self,
        worker: Worker,
        why: &str,
        ledger: &mut Ledger<I, T, P>,
        queue: &mut Queue,
    ) {
        let unfinished = worker.in_flight.tasks();
        let said_hello = worker.hello.is_some();
        let death = worker.end();
        let why = format!("{why}; the worker was ended ({})", death.exit);
        if !said_hello {
            self.not_started(why, ledger, queue);
            return;
        }
        let report = ErrorReport::undelivered("protocol", "the worker's channel", why, None);
        ledger.settle_unsent(
            unfinished
                .into_iter()
                .map(|t| (t, report.clone()))
                .collect(),
        );
    }

    /// A new worker ended, or broke its channel, or said nothing for the
    /// timeout, before it said hello or took a task. In a pool whose
    /// workers have served before, that may be one bad start (a worker
    /// killed from outside, a slow machine): the next pass starts another,
    /// and the run gives up after [`FAILED_STARTS`] such starts in a row.
    /// Giving up, or a first start that fails in a pool that has never
    /// served, means no more starts this run: the workers there are carry
    /// on, and with none left, the waiting tasks fail with `why`.
    fn not_started<I, T, P: FnMut(usize, &Settled<T>)>(
        &mut self,
        why: String,
        ledger: &mut Ledger<I, T, P>,
        queue: &mut Queue,
    ) {
        self.failed_starts += 1;
        if self.served && self.failed_starts < FAILED_STARTS {
            return;
        }
        let report = ErrorReport::undelivered("handshake", "this run", why, None);
        if self.ready_workers() == 0 {
            ledger.settle_unsent(queue.drain().map(|task| (task, report.clone())).collect());
        }
        self.no_more_starts = Some(report);
    }

    /// Handles what arrived from workers between runs: a worker that died
    /// idle is ended now, before a task of the new run is sent to it.
    fn settle_between_runs(&mut self) {
        while let Ok((id, event)) = self.received.try_recv() {
            match event {
                Event::Hello(hello) => {
                    if let Some(worker) = self.workers.get_mut(&id) {
                        worker.hello = Some(hello);
                    }
                }
                Event::Closed | Event::Broken(_) => {
                    if let Some(worker) = self.workers.remove(&id) {
                        worker.end();
                    }
                }
                stale @ Event::Frame(_) => discard(stale),
            }
        }
    }

    /// When the first worker that owes something (tasks, or its hello) runs
    /// out of time; `None` for no deadline, also when a timeout too long
    /// for an `Instant` has no deadline to speak of.
    fn next_deadline(&self) -> Option<Instant> {
        let timeout = self.config.timeout?;
        self.workers
            .values()
            .filter(|w| w.owes())
            .filter_map(|w| w.last_progress.checked_add(timeout))
            .min()
    }

    /// Ends the workers that owe something and showed no progress for the
    /// timeout, and fails or requeues what they owed.
    fn end_stuck<I, T, P: FnMut(usize, &Settled<T>)>(
        &mut self,
        ledger: &mut Ledger<I, T, P>,
        queue: &mut Queue,
    ) {
        let Some(timeout) = self.config.timeout else {
            return;
        };
        let now = Instant::now();
        let stuck: Vec<u64> = self
            .workers
            .iter()
            .filter(|(_, w)| {
                w.owes()
                    && w.last_progress
                        .checked_add(timeout)
                        .is_some_and(|deadline| now >= deadline)
            })
            .map(|(&id, _)| id)
            .collect();
        for id in stuck {
            let worker = self.workers.remove(&id).expect("listed above");
            if worker.has_exited() {
                // Dead, though its channel has not shown it: a process it
                // forked without `exec` holds the channel.
                self.bury(worker, ledger, queue);
                continue;
            }
            if worker.hello.is_none() {
                let death = worker.end();
                let why = format!(
                    "a new worker said nothing for {timeout:?}, and {}",
                    death.exit
                );
                self.not_started(why, ledger, queue);
                continue;
            }
            let unfinished = worker.in_flight.unfinished();
            let exact = worker.exact;
            worker.end();
            blame(unfinished, exact, queue, |task| {
                ledger.settle(task, Err(Failure::TimedOut(timeout)));
            });
        }
    }

    /// Starts workers as needed and gives every hungry one that has said
    /// hello a chunk, with each task's input found by `input`. Returns the
    /// tasks that cannot be sent, with why: their inputs could not be
    /// serialized, or no worker could be started to run them.
    fn dispatch<'a, I: Serialize + 'a>(
        &mut self,
        queue: &mut Queue,
        input: impl Fn(u64) -> &'a I,
    ) -> Vec<(u64, ErrorReport)> {
        let mut unsent = Vec::new();
        // A worker that died idle, its end not yet read from the channel
        // (a process it forked may hold the channel for ever): ended now,
        // so that no task is sent to it and a new worker takes its place.
        let dead: Vec<u64> = self
            .workers
            .iter()
            .filter(|(_, w)| w.hello.is_some() && w.in_flight.is_empty() && w.has_exited())
            .map(|(&id, _)| id)
            .collect();
        for id in dead {
            self.workers.remove(&id).expect("listed above").end();
        }
        if let Some(report) = &self.no_more_starts
            && self.workers.is_empty()
        {
            unsent.extend(queue.drain().map(|task| (task, report.clone())));
        }
        while !queue.is_empty()
            && self.workers.len() < self.config.workers
            && self.no_more_starts.is_none()
        {
            if let Err(error) = self.spawn() {
                if self.workers.is_empty() {
                    // Nothing could ever run these tasks: waiting would
                    // hang, and a panic would lose the outcomes in hand.
                    let report = ErrorReport::undelivered(
                        "spawn",
                        &format!("cannot start a worker process ({})", self.program_name()),
                        error,
                        None,
                    );
                    unsent.extend(queue.drain().map(|task| (task, report.clone())));
                }
                // Otherwise the workers there are carry on, and the next
                // pass tries again.
                break;
            }
        }
        // One scope for every input: a panicking `Serialize` fails its own
        // input, and entering a scope per input would cost more than a
        // tiny task.
        let scope = CaptureScope::enter(false);
        // A worker takes chunks while it is idle, or, to stay busy while
        // its results travel home and the next chunk travels out, while it
        // has at most one chunk of ordinary tasks left. Exact-mode tasks go
        // only to an idle worker, and nothing else joins them there.
        // Chunks go round the workers, one each per pass, so that a short
        // queue is shared.
        let chunk_size = self.config.chunk_size_for(queue.count as usize);
        let mut given = true;
        while given {
            given = false;
            for worker in self.workers.values_mut() {
                if worker.hello.is_none() {
                    continue;
                }
                let idle = worker.in_flight.is_empty();
                if !(idle || (!worker.exact && worker.in_flight.len() <= chunk_size)) {
                    continue;
                }
                let Some(exact) = queue.next_is_exact() else {
                    break;
                };
                if exact && !idle {
                    continue;
                }
                let mut frame = Frame::new(if exact {
                    kind::EXACT_CHUNK
                } else {
                    kind::CHUNK
                });
                // A task is serialized each time it is sent: its input may be
                // sent again, and stays with the run meanwhile. Whether it
                // could be is the answer.
                let mut encode = |frame: &mut Frame, task: u64| match frame.push_value(
                    input(task),
                    "the input",
                    &scope,
                ) {
                    Ok(()) => true,
                    Err(Refused(report)) => {
                        unsent.push((task, *report));
                        false
                    }
                };
                let mut room = chunk_size;
                while let Some(&(task, mode)) = queue.again.front() {
                    if mode != exact || room == 0 || frame.payload_len() >= CHUNK_BYTES {
                        break;
                    }
                    if encode(&mut frame, task) {
                        worker.in_flight.push(task..task + 1);
                    }
                    queue.again.pop_front();
                    room -= 1;
                }
                if !exact && room > 0 && queue.again.is_empty() {
                    // Recorded a run at a time: per task, the bookkeeping
                    // would cost as much as the encoding.
                    let fresh = queue.take_fresh(room);
                    let mut run_start = fresh.start;
                    let mut end = fresh.end;
                    let mut next = fresh.start;
                    // One catch for the chunk, not one per input, which
                    // would cost more than a tiny task; after a panicking
                    // `Serialize`, the rest go on in a catch of their own.
                    while next < end {
                        let current = Cell::new(next);
                        let filled = scope.catch_payload(|| {
                            for task in next..end {
                                if frame.payload_len() >= CHUNK_BYTES {
                                    // Full: the rest waits for the next chunk.
                                    return Some(task);
                                }
                                current.set(task);
                                let pushed = frame.push_value_uncaught(input(task), "the input");
                                if let Err(Refused(report)) = pushed {
                                    unsent.push((task, *report));
                                    worker.in_flight.push(run_start..task);
                                    run_start = task + 1;
                                }
                            }
                            None
                        });
                        match filled {
                            Ok(Some(full_at)) => {
                                end = full_at;
                                break;
                            }
                            Ok(None) => break,
                            Err(payload) => {
                                let task = current.get();
                                frame.cut_partial();
                                let panic = scope.recover(payload);
                                unsent.push((task, wire::serialize_panicked("the input", panic)));
                                worker.in_flight.push(run_start..task);
                                run_start = task + 1;
                                next = task + 1;
                            }
                        }
                    }
                    worker.in_flight.push(run_start..end.max(run_start));
                    queue.give_back(end);
                }
                worker.in_flight.end_chunk();
                if frame.is_empty() {
                    // Every input of it failed to serialize.
                    given = true;
                    continue;
                }
                if idle {
                    worker.exact = exact;
                    worker.last_progress = Instant::now();
                }
                // A chunk that cannot be written means the worker is gone; its
                // Closed event is on its way, and will requeue or blame these
                // tasks.
                if let Some(chunks) = &worker.chunks {
                    let _ = chunks.send(frame.finish());
                }
                given = true;
            }
        }
        unsent
    }

    /// The program the workers run, for messages.
    fn program_name(&self) -> String {
        match &self.config.program {
            Some(program) => program.display().to_string(),
            None => std::env::current_exe()
                .map_or_else(|_| "this program".to_owned(), |p| p.display().to_string()),
        }
    }

    fn spawn(&mut self) -> io::Result<()> {
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
                stderr: stretches,
                notes: Vec::new(),
                threads,
                threads_done,
            },
        );
        Ok(())
    }
}

impl Worker {
    /// Whether the worker process has exited, found without reaping it: a
    /// process that is not reaped keeps its group's id from being taken.
    fn has_exited(&self) -> bool {
        use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT | WaitIdOptions::NOHANG;
        let worker = WaitId::Pid(Pid::from_child(&self.child));
        matches!(waitid(worker, options), Ok(Some(_)))
    }

    /// Whether the pool waits on it: for results, or for its hello.
    fn owes(&self) -> bool {
        self.hello.is_none() || !self.in_flight.is_empty()
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
            (true, kind::RESULTS) => {
                let decode = *decode
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match decode(frame, &scope) {
                    Ok(results) => Event::Frame(results),
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
fn discard(event: Event) {
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
type Decode = fn(wire::Received, &CaptureScope) -> io::Result<Box<dyn Any + Send>>;

fn decode<T: DeserializeOwned + Send + 'static>(
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

/// The tasks of a run that wait for a worker: those queued again after a
/// failure, then the fresh ones, in input order.
struct Queue {
    /// (task, exact): a task queued again after a failure runs in exact mode.
    again: VecDeque<(u64, bool)>,
    next_fresh: u64,
    count: u64,
}

impl Queue {
    fn is_empty(&self) -> bool {
        self.again.is_empty() && self.next_fresh == self.count
    }

    /// Whether the next task runs in exact mode; `None` when none waits.
    fn next_is_exact(&self) -> Option<bool> {
        match self.again.front() {
            Some(&(_, exact)) => Some(exact),
            None => (self.next_fresh < self.count).then_some(false),
        }
    }

    /// Takes every waiting task.
    fn drain(&mut self) -> impl Iterator<Item = u64> {
        let again: Vec<u64> = self.again.drain(..).map(|(task, _)| task).collect();
        let fresh = self.take_fresh(usize::MAX);
        again.into_iter().chain(fresh)
    }

    /// Puts the fresh tasks from `first` on back, after taking more than
    /// a chunk could hold.
    fn give_back(&mut self, first: u64) {
        self.next_fresh = self.next_fresh.min(first);
    }

    /// Takes up to `most` fresh tasks.
    fn take_fresh(&mut self, most: usize) -> Range<u64> {
        let start = self.next_fresh;
        self.next_fresh = start.saturating_add(most as u64).min(self.count);
        start..self.next_fresh
    }
}

/// A run's results, kept as they settle; the first result for a task is
/// the one that counts, and is reported to `progress`.
///
/// Results arrive a frame at a time, for runs of consecutive tasks, from
/// several workers at once. Once every task before a run has settled, the
/// run is paired with its inputs: a settled task's input is never sent
/// again. Pairing as the run goes, rather than all at the end, does the
/// work while the workers still compute.
struct Ledger<I, T, P> {
    /// The outcomes of the first tasks, all settled, in input order.
    outcomes: Vec<Outcome<I, T, Box<ErrorReport>>>,
    /// The inputs of the other tasks, from `outcomes.len()` on.
    inputs: std::vec::IntoIter<I>,
    /// Settled runs that wait for an earlier task, by their first task.
    waiting: BTreeMap<usize, Vec<Settled<T>>>,
    settled: Vec<bool>,
    unsettled: usize,
    progress: P,
}

impl<I, T, P: FnMut(usize, &Settled<T>)> Ledger<I, T, P> {
    fn new(inputs: Vec<I>, progress: P) -> Self {
        let count = inputs.len();
        Ledger {
            outcomes: Vec::with_capacity(count),
            inputs: inputs.into_iter(),
            waiting: BTreeMap::new(),
            settled: vec![false; count],
            unsettled: count,
            progress,
        }
    }

    fn is_complete(&self) -> bool {
        self.unsettled == 0
    }

    /// The input of a task that has not settled.
    fn input(&self, task: u64) -> &I {
        let paired = self.outcomes.len();
        &self.inputs.as_slice()[task as usize - paired]
    }

    fn settle(&mut self, task: u64, result: Settled<T>) {
        self.settle_run(task, vec![result]);
    }

    /// Settles the consecutive tasks from `first` on with `results`.
    fn settle_run(&mut self, first: u64, results: Vec<Settled<T>>) {
        let first = first as usize;
        let tasks = first..first + results.len();
        if self.settled[tasks.clone()].contains(&true) {
            // Some have settled already: keep the others, one by one.
            for (task, result) in tasks.zip(results) {
                if !self.settled[task] {
                    self.settle_run(task as u64, vec![result]);
                }
            }
            return;
        }
        self.settled[tasks.clone()].fill(true);
        self.unsettled -= results.len();
        for (task, result) in tasks.zip(&results) {
            (self.progress)(task, result);
        }
        self.waiting.insert(first, results);
        while let Some(results) = self.waiting.remove(&self.outcomes.len()) {
            // `results` leads the zip: a zip pulls from its first iterator
            // before it finds the second one empty, and an input pulled
            // that way would be lost.
            self.outcomes.extend(
                results
                    .into_iter()
                    .zip(self.inputs.by_ref())
                    .map(|(result, input)| Outcome { input, result }),
            );
        }
    }

    /// Settles the tasks that the pool could not carry.
    fn settle_unsent(&mut self, unsent: Vec<(u64, ErrorReport)>) {
        for (task, report) in unsent {
            self.settle(task, Err(Failure::Undelivered(Box::new(report))));
        }
    }

    /// Every input with its result, once all have settled.
    fn into_outcomes(self) -> Vec<Outcome<I, T, Box<ErrorReport>>> {
        debug_assert!(self.is_complete() && self.waiting.is_empty());
        self.outcomes
    }
}

/// The tasks a worker was sent and has not answered, in the order it runs
/// them, as runs of consecutive tasks: a chunk of fresh tasks is one run.
#[derive(Default)]
struct InFlight {
    runs: VecDeque<Range<u64>>,
    count: usize,
    /// How many tasks of each chunk sent are still owed, oldest first.
    /// A worker sends the last results of a chunk before it starts the
    /// next, so only the oldest chunk owed can hold a task that started.
    chunks: VecDeque<usize>,
    /// Tasks pushed since the last [`end_chunk`](Self::end_chunk).
    open: usize,
}

impl InFlight {
    /// Adds the consecutive tasks of `run`, sent after all the others.
    fn push(&mut self, run: Range<u64>) {
        if run.is_empty() {
            return;
        }
        let tasks = (run.end - run.start) as usize;
        self.count += tasks;
        self.open += tasks;
        match self.runs.back_mut() {
            Some(last) if last.end == run.start => last.end = run.end,
            _ => self.runs.push_back(run),
        }
    }

    /// Marks the end of a chunk: the tasks pushed since the last call
    /// travel in one frame.
    fn end_chunk(&mut self) {
        if self.open > 0 {
            self.chunks.push_back(std::mem::take(&mut self.open));
        }
    }

    fn len(&self) -> usize {
        self.count
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Takes the first run's first tasks, at most `most` of them.
    fn take_run(&mut self, most: usize) -> Option<Range<u64>> {
        let first = self.runs.front_mut()?;
        let end = first.end.min(first.start + most as u64);
        let taken = first.start..end;
        first.start = end;
        if first.is_empty() {
            self.runs.pop_front();
        }
        let mut settled = (taken.end - taken.start) as usize;
        self.count -= settled;
        while settled > 0 {
            match self.chunks.front_mut() {
                Some(owed) if *owed <= settled => {
                    settled -= *owed;
                    self.chunks.pop_front();
                }
                Some(owed) => {
                    *owed -= settled;
                    settled = 0;
                }
                // Tasks of a chunk not yet ended: only in the middle of
                // `dispatch`, which settles nothing.
                None => {
                    self.open -= settled;
                    settled = 0;
                }
            }
        }
        Some(taken)
    }

    /// Every task, in order.
    fn tasks(&self) -> Vec<u64> {
        self.runs.iter().cloned().flatten().collect()
    }

    /// Every task, in order, split into those of the oldest chunk owed,
    /// which may have started, and the rest, which cannot have.
    fn unfinished(&self) -> Unfinished {
        let mut tasks = self.tasks();
        let oldest = self.chunks.front().map_or(tasks.len(), |&owed| owed);
        let never_started = tasks.split_off(oldest.min(tasks.len()));
        Unfinished {
            may_have_started: tasks,
            never_started,
        }
    }
}

/// The tasks a worker owed when it ended.
struct Unfinished {
    /// The tasks of its oldest chunk, in order: one of them, or none, was
    /// running.
    may_have_started: Vec<u64>,
    /// The tasks of later chunks, which it had not begun.
    never_started: Vec<u64>,
}

impl Unfinished {
    fn is_empty(&self) -> bool {
        self.may_have_started.is_empty() && self.never_started.is_empty()
    }
}

/// After a worker ended owing `unfinished` tasks: decides which task gets
/// the failure (through `fail`) and which go back to the front of the
/// queue, in the order they were sent.
///
/// Tasks of later chunks than the oldest one owed never started: they go
/// back as ordinary tasks. In exact mode every earlier result has arrived,
/// so the first unfinished task is the one to blame, and the rest never
/// started either. Otherwise a single task of the oldest chunk is the one
/// to blame, and several go back in exact mode, where the one to blame
/// shows itself.
fn blame(unfinished: Unfinished, exact: bool, queue: &mut Queue, mut fail: impl FnMut(u64)) {
    let Unfinished {
        may_have_started,
        never_started,
    } = unfinished;
    for &task in never_started.iter().rev() {
        queue.again.push_front((task, false));
    }
    match (exact, may_have_started.as_slice()) {
        (_, []) => {}
        (true, [first, not_started @ ..]) => {
            for &task in not_started.iter().rev() {
                queue.again.push_front((task, false));
            }
            fail(*first);
        }
        (false, [task]) => fail(*task),
        (false, tasks) => {
            for &task in tasks.iter().rev() {
                queue.again.push_front((task, true));
            }
        }
    }
}

impl Drop for ProcessPool {
    /// Kills and reaps every worker, with its process group, so that none
    /// outlives the pool, also when the pool is dropped during a panic.
    fn drop(&mut self) {
        for (_, worker) in self.workers.drain() {
            worker.end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_tasks_come_back_in_the_order_they_were_sent() {
        let mut in_flight = InFlight::default();
        // A task queued again, then a chunk of fresh ones sent in two
        // runs (an input between them could not be serialized), and an
        // empty run.
        for run in [7..8, 2..3, 3..4, 5..5, 4..5] {
            in_flight.push(run);
        }
        assert_eq!(in_flight.len(), 4);
        assert_eq!(in_flight.take_run(3), Some(7..8));
        assert_eq!(in_flight.take_run(1), Some(2..3));
        assert_eq!(in_flight.tasks(), [3, 4]);
        assert_eq!(in_flight.take_run(5), Some(3..5));
        assert!(in_flight.is_empty());
        assert_eq!(in_flight.take_run(1), None);
    }

    #[test]
    fn only_the_oldest_chunk_owed_can_hold_a_task_that_started() {
        let mut in_flight = InFlight::default();
        // Two chunks: 0..3 (sent in two runs), then 3..5.
        in_flight.push(0..2);
        in_flight.push(2..3);
        in_flight.end_chunk();
        in_flight.push(3..5);
        in_flight.end_chunk();
        in_flight.end_chunk();
        let split = |in_flight: &InFlight| {
            let unfinished = in_flight.unfinished();
            (unfinished.may_have_started, unfinished.never_started)
        };
        assert_eq!(split(&in_flight), (vec![0, 1, 2], vec![3, 4]));
        assert_eq!(in_flight.take_run(2), Some(0..2));
        assert_eq!(split(&in_flight), (vec![2], vec![3, 4]));
        // Results that span the end of a chunk.
        assert_eq!(in_flight.take_run(2), Some(2..4));
        assert_eq!(split(&in_flight), (vec![4], vec![]));
    }

    #[test]
    fn blame_falls_on_a_task_that_may_have_started_and_later_chunks_go_back_as_they_were() {
        let blamed = |may_have_started: Vec<u64>, never_started: Vec<u64>, exact: bool| {
            let mut queue = Queue {
                again: VecDeque::from([(9, false)]),
                next_fresh: 0,
                count: 0,
            };
            let mut failed = Vec::new();
            let unfinished = Unfinished {
                may_have_started,
                never_started,
            };
            blame(unfinished, exact, &mut queue, |task| failed.push(task));
            (failed, Vec::from(queue.again))
        };
        // Several may have started: they are run again one result at a
        // time, and the later chunk as it was.
        assert_eq!(
            blamed(vec![1, 2], vec![3, 4], false),
            (
                vec![],
                vec![(1, true), (2, true), (3, false), (4, false), (9, false)]
            )
        );
        assert_eq!(
            blamed(vec![1], vec![3], false),
            (vec![1], vec![(3, false), (9, false)])
        );
        // In exact mode the first is the one.
        assert_eq!(
            blamed(vec![1, 2], vec![], true),
            (vec![1], vec![(2, false), (9, false)])
        );
        assert_eq!(blamed(vec![], vec![], false), (vec![], vec![(9, false)]));
    }

    #[cfg(unix)]
    #[test]
    fn a_run_is_dealt_in_chunks_of_the_size_picked_for_it() {
        // `cat` stands in for the workers, taken as having said hello: it
        // echoes chunks, which the pool never reads, so what was sent stays
        // owed.
        let config = Config::new("none").program("cat").workers(2);
        let mut pool = ProcessPool::new(config).unwrap();
        pool.spawn().unwrap();
        pool.spawn().unwrap();
        for worker in pool.workers.values_mut() {
            worker.hello = Some(Hello {
                role: "none".into(),
                input: "u64".into(),
                output: "u64".into(),
            });
        }
        let inputs: Vec<u64> = (0..100).collect();
        let mut queue = Queue {
            again: VecDeque::new(),
            next_fresh: 0,
            count: 100,
        };
        let unsent = pool.dispatch(&mut queue, |task| &inputs[task as usize]);
        assert!(unsent.is_empty());
        // Chunks of 13 (100 tasks over 4 times 2 workers, rounded up), two
        // for each worker: one to run, one to start on next.
        let owed: Vec<usize> = pool.workers.values().map(|w| w.in_flight.len()).collect();
        assert_eq!(owed, [26, 26]);
        assert_eq!(queue.next_fresh, 52);
        // And each worker knows where its first chunk ends.
        for worker in pool.workers.values() {
            let unfinished = worker.in_flight.unfinished();
            assert_eq!(unfinished.may_have_started.len(), 13);
            assert_eq!(unfinished.never_started.len(), 13);
        }
    }

    #[test]
    fn the_ledger_keeps_the_first_result_and_lines_outcomes_up_with_inputs() {
        let mut reported = Vec::new();
        let inputs = vec!['a', 'b', 'c', 'd', 'e'];
        let mut ledger = Ledger::new(inputs, |task, result: &Settled<u32>| {
            reported.push((task, result.as_ref().ok().copied()));
        });
        ledger.settle_run(3, vec![Ok(30), Ok(40)]);
        ledger.settle(0, Ok(0));
        // Task 0 is paired with its input; the unsettled ones keep theirs.
        assert_eq!(ledger.outcomes.len(), 1);
        assert_eq!((*ledger.input(1), *ledger.input(2)), ('b', 'c'));
        ledger.settle(1, Err(Failure::TimedOut(Duration::from_secs(1))));
        // A late frame for tasks 0 to 2: tasks 0 and 1 have settled already.
        ledger.settle_run(0, vec![Ok(99), Ok(10), Ok(20)]);
        assert!(ledger.is_complete());
        let outcomes = ledger.into_outcomes();

        let inputs: Vec<char> = outcomes.iter().map(|o| o.input).collect();
        assert_eq!(inputs, ['a', 'b', 'c', 'd', 'e']);
        let values: Vec<Option<u32>> = outcomes.iter().map(|o| o.value().copied()).collect();
        assert_eq!(values, [Some(0), None, Some(20), Some(30), Some(40)]);
        assert!(outcomes[1].result.as_ref().unwrap_err().is_timeout());
        assert_eq!(
            reported,
            [
                (3, Some(30)),
                (4, Some(40)),
                (0, Some(0)),
                (1, None),
                (2, Some(20))
            ]
        );
    }
}

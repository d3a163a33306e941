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
//! [`crate::worker::guard`]; the role's function calls [`serve`](fn@serve) with the
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
//! worker as its stdin and stdout, which [`serve`](fn@serve) takes over at once,
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
//! the queue. A single task owed goes back in exact mode too when its
//! worker died right after a batch that went home without a mark on
//! stderr (a full one): run again, its death report shows its own lines.
//! Tasks are therefore run **at least once**: a task whose result was lost
//! with its worker runs again. Tasks should be safe to repeat.
//!
//! # Processes and groups
//!
//! Each worker leads a process group of its own, so Ctrl-C in a terminal
//! reaches the parent alone; the workers end because the parent did. When
//! the pool's process dies, however it dies, each worker kills its group
//! (itself and every process its tasks started there) and so ends: a
//! running worker, or one blocked in a task or in writing a result, sees
//! its channel close; a stopped one (`SIGSTOP`, `SIGTSTP`) is first woken
//! by the `SIGCONT` it asked the kernel to send when its parent dies
//! (Linux's parent-death signal). The tests allow two seconds for all of
//! it; it takes a few milliseconds. The kernel's own rule for a stopped
//! group that loses its parent is no help: it applies only when nobody in
//! the same session adopts the group, and on some kernels it sends
//! `SIGHUP` to the stopped worker alone, which then dies without ending
//! the rest. macOS has no parent-death signal, so there a stopped worker
//! is left to that rule. A process a task starts in a group or session of
//! its own (`setsid`, `setpgid`) escapes all this, as it escapes a
//! terminal's Ctrl-C.
//!
//! # The contract
//!
//! Each promise, and the test in this crate's repository that proves it
//! (chapter 13 shows the same table):
//!
//! | Promise | Proved by |
//! |---|---|
#![doc = include_str!("../chapters/13-capstone-process-pool/contract-rows.md")]

// The parts chapter 13 builds, one file each:
// - `ledger`: step 2, one owner per task (the queue, what each worker owes,
//   the results as they settle);
// - `reap`: step 3, ending and reaping a worker, and how it ended;
// - `deadline`: step 4, timeouts;
// - `blame`: step 5, exact blame for the tasks a worker owed;
// - `channel`: step 6, the private channel on the pool's side (`serve` is
//   the worker's side), with `wire` for its frames and `raw` for plain
//   values;
// - `dispatch`: chunks dealt to the workers;
// - `stderr`: each task's own stretch of its worker's stderr;
// - `config`: a config that cannot misbehave.
mod blame;
mod channel;
mod config;
mod deadline;
mod dispatch;
mod ledger;
mod raw;
mod reap;
mod serve;
mod stderr;
mod wire;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::process::Child;
use std::sync::{Arc, Mutex, RwLock, mpsc};
use std::thread::JoinHandle;
use std::time::Instant;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::failure::Failure;
use crate::outcome::Outcome;
use crate::report::ErrorReport;
use channel::{Decode, Event, decode, discard};
pub use config::Config;
use ledger::{InFlight, Ledger, Queue};
pub use serve::{NO_CHANNEL_EXIT, serve};
pub use wire::{FRAME_BYTES, Hello, MAX_ITEM_BYTES};

/// What the pool settles for each task.
type Settled<T> = Result<T, Failure<Box<ErrorReport>>>;

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
    /// How many frames of results it has sent.
    frames: u64,
    /// How many of them came after a mark on its stderr: the stretch after
    /// that many marks is what it wrote since.
    marks: u64,
    /// Whether that stretch is its unanswered tasks' own: true until a
    /// frame without a mark (a batch that filled up) comes, and again
    /// after the next frame with one.
    own_stderr: bool,
    stderr: Arc<Mutex<stderr::Stretches>>,
    /// Lines of the pool's own for its death report.
    notes: Vec<String>,
    /// The threads that work its channel and its stderr.
    threads: Vec<JoinHandle<()>>,
    /// Disconnected once all of those threads have finished.
    threads_done: mpsc::Receiver<()>,
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
            Event::Frame(frame, marked) => {
                worker.last_progress = Instant::now();
                worker.frames += 1;
                worker.marks += u64::from(marked);
                worker.own_stderr = marked;
                // A worker that delivers is a start that worked.
                self.failed_starts = 0;
                let mut results = match frame.downcast::<Vec<Settled<T>>>() {
                    Ok(results) => *results,
                    // Decoded for another run's type. Workers of an
                    // abandoned run are ended before the next starts, so
                    // this cannot happen; if it did, the tasks would get
                    // the broken channel's failure.
                    Err(other) => {
                        discard(Event::Frame(other, marked));
                        let worker = self.workers.remove(&id).expect("found above");
                        self.broken(worker, "a frame decoded for another run", ledger, queue);
                        return;
                    }
                };
                // Results come in the order the worker was sent the tasks,
                // which it holds as runs of consecutive tasks.
                while !results.is_empty() {
                    let Some(run) = worker.in_flight.take_run(results.len()) else {
                        discard(Event::Frame(Box::new(results), marked));
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
                stale @ Event::Frame(..) => discard(stale),
            }
        }
    }
}

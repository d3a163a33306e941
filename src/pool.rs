//! A pool of worker processes that never loses a task (chapter 13).
//!
//! Every input given to [`ProcessPool::run`] gets exactly one [`Outcome`],
//! in input order: its value, the error it returned, its panic (message and
//! location), the death of the worker that was running it (exit code or
//! signal, and the tail of what the worker wrote on stderr while running
//! that task's chunk), or a timeout. A worker that
//! dies or hangs is replaced and the pool carries on. Every worker is killed
//! and reaped when the pool is dropped, also while unwinding from a panic;
//! and a worker ends by itself when its stdin closes, even in the middle of
//! a task, so a parent killed outright leaves no worker running.
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
//! # How tasks travel
//!
//! The parent writes *chunks* of tasks to a worker's stdin. The worker runs
//! them one after another and sends results back as frames on its stdout,
//! batching several results per frame for throughput. It sends a batch when
//! its chunk is done, when the batch reaches [`FRAME_BYTES`], and whenever
//! [`Config::flush_interval`] has passed since the last one, so the parent
//! sees progress even from a slow chunk. A bounded batch also fits in the
//! pipe, so the parent decodes one while the worker fills the next, and a
//! worker that dies loses at most one batch of finished work.
//!
//! Tasks and results travel in [postcard], a compact binary serde format:
//! a few bytes and nanoseconds per tiny task. A plain value (a number, a
//! `bool`, a `char`, `()`, or a newtype around one) skips even that and
//! travels as its little-endian bytes: postcard's varints cost more to
//! write and read than a tiny task costs to run. Like every format that
//! does not describe itself, postcard cannot carry types that need
//! `deserialize_any`: `serde_json::Value`, `#[serde(untagged)]` enums,
//! `#[serde(flatten)]` fields. Use plain derived types for inputs and
//! results. Results are framed like chapter 7's, behind a marker, so a
//! task's own prints cannot corrupt them; unlike chapter 7's, the frame
//! carries its length and any bytes. Neither tasks nor results carry ids:
//! a worker answers in the order it was sent its tasks.
//!
//! The worker's task function and the run's types must agree:
//! `serve(task)` with `task: fn(I) -> Result<T, E>` serves `run::<I, T>`. A
//! frame of results that does not decode as `T` ends its worker, and its
//! tasks fail with that death, whose stderr tail says what happened; none of
//! that frame's values is used. A mismatch that happens to decode (a struct
//! of small `u32`s read as one of `u64`s) cannot be noticed.
//!
//! # Failures inside a chunk
//!
//! When a worker dies or shows no progress for [`Config::timeout`], the
//! parent kills it (if needed) and reaps it, and looks at the tasks it was
//! sent and did not answer. Results travel in batches, so the first of
//! those is not necessarily the one to blame: they are queued again, in
//! *exact mode*, where a worker sends each result as soon as it has it.
//! There, the first unanswered task of a dead or stuck worker is the one to
//! blame; it gets the failure, and the tasks after it, which never started,
//! go back to the queue. Tasks are therefore run **at least once**: a task
//! whose result was lost with its worker runs again. Tasks should be safe to
//! repeat.
//!
//! A task that starts a process of its own, which outlives the worker, can
//! keep the worker's stdout open: no end of file then announces the
//! worker's death, and the pool finds it at the timeout instead. It reports
//! a death all the same, and does not wait for that process to let go.
//!
//! Tasks must not read stdin: it carries the worker's tasks. What they print
//! on stdout or stderr is harmless: it is not a frame, and is set aside.

mod raw;
mod wire;

use std::any::Any;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::error::Error;
use std::ffi::OsString;
use std::fmt::Display;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::ops::Range;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
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
use wire::{Frame, RESULT_MARKER};

/// The environment variable that tells a worker its flush interval, in
/// microseconds.
const FLUSH_VAR: &str = "NO_SILENT_FAILURES_FLUSH_US";

/// The payload size at which a worker sends its batch of results without
/// waiting for the end of the chunk. A quarter of a Linux pipe's default
/// 64 KiB: a frame of small results goes into the pipe in one write.
pub const FRAME_BYTES: usize = 16 * 1024;

/// The exit status of a worker whose stdin does not carry chunks of its
/// task's inputs: the pool and the worker disagree about the input type.
///
/// A worker that ends with this status, or with
/// [`worker::UNKNOWN_ROLE_EXIT`], before sending any result, is taken as a
/// sign that every worker of this configuration will: the run's remaining
/// tasks all get that death at once, instead of one new worker dying for
/// each of them. (A task that itself exits with one of these two statuses,
/// first thing in a new worker, is taken for the same.)
pub const NOT_A_CHUNK_EXIT: i32 = 65;

/// How many bytes of a worker's stderr are kept for its death report.
const STDERR_KEPT: usize = 8 * 1024;

/// How long ending a worker waits for its pipes to close after it exits.
const PIPES_GRACE: Duration = Duration::from_millis(200);

/// How many lines of that are shown in a [`Death`].
const STDERR_LINES: usize = 5;

/// How a [`ProcessPool`] runs its workers.
///
/// ```
/// use std::time::Duration;
/// use no_silent_failures::pool::Config;
/// let config = Config::new("square")
///     .workers(4)
///     .timeout(Duration::from_secs(5));
/// // Chunks sized for each run, as `Pool.map` sizes them.
/// assert_eq!(config.chunk_size_for(100_000), 6250);
/// assert_eq!(config.chunk_size_for(10), 1);
/// assert_eq!(config.chunk_size(100).chunk_size_for(100_000), 100);
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// The worker role, as registered with [`crate::worker::guard`].
    pub role: String,
    /// The program to start; `None` for this program.
    pub program: Option<std::path::PathBuf>,
    /// How many workers run at once.
    pub workers: usize,
    /// How many tasks go to a worker at a time; `None` to size the chunks
    /// for each run (see [`Config::chunk_size_for`]).
    pub chunk_size: Option<usize>,
    /// How long a worker may show no progress before it is killed and its
    /// task counted as timed out.
    pub timeout: Duration,
    /// How often a busy worker sends what it has finished.
    pub flush_interval: Duration,
    /// Environment variables set for every worker, beside what it inherits;
    /// they cannot change the worker's role.
    pub env: Vec<(OsString, OsString)>,
}

impl Config {
    /// Workers in `role`, one per core, chunks sized for each run, a 60 s
    /// timeout.
    pub fn new(role: &str) -> Self {
        Config {
            role: role.to_owned(),
            program: None,
            workers: thread::available_parallelism().map_or(1, |n| n.get()),
            chunk_size: None,
            timeout: Duration::from_secs(60),
            flush_interval: Duration::from_millis(20),
            env: Vec::new(),
        }
    }

    /// Sets the number of workers (at least 1).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Sets the chunk size (at least 1) for every run.
    pub fn chunk_size(mut self, chunk_size: usize) -> Self {
        self.chunk_size = Some(chunk_size.max(1));
        self
    }

    /// The chunk size for a run of `tasks` tasks: the one set, or else
    /// Python's `Pool.map` rule, the tasks over four times the workers,
    /// rounded up. Four chunks per worker share uneven work out; fewer,
    /// bigger chunks cost fewer round trips, which tiny tasks need.
    pub fn chunk_size_for(&self, tasks: usize) -> usize {
        self.chunk_size
            .unwrap_or_else(|| tasks.div_ceil(4 * self.workers.max(1)).max(1))
    }

    /// Sets the timeout; the flush interval becomes a quarter of it, at most
    /// 20 ms.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.flush_interval = (timeout / 4).min(Duration::from_millis(20));
        self
    }

    /// Sets an environment variable for every worker the pool starts: a
    /// temporary directory of their own, say, or `RUST_BACKTRACE`.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Starts workers from `program` instead of this program (for tests and
    /// benchmarks whose own binary cannot be a worker).
    pub fn program(mut self, program: impl Into<std::path::PathBuf>) -> Self {
        self.program = Some(program.into());
        self
    }
}

/// What the pool settles for each task.
type Settled<T> = Result<T, Failure<Box<ErrorReport>>>;

/// Runs in a worker: reads chunks of tasks from stdin, runs `task` on each,
/// and sends the results home, until stdin closes. A panic in `task` is
/// caught and sent as an [`ErrorReport`] of kind `"panic"`; a returned
/// error is sent as its report; a result that cannot be serialized is sent
/// as a report of kind `"serialization"`.
///
/// Ends the process, with status 0, when the parent closes stdin, even in
/// the middle of a task: the pool closes a worker's stdin only to end it,
/// and a parent that dies closes it too, so nobody is left to read the
/// results, and a task that never ends must not keep its worker alive
/// without a parent. Exits with status [`NOT_A_CHUNK_EXIT`] if what arrives
/// on stdin is not a chunk of this task's inputs.
pub fn serve<I, T, E>(task: fn(I) -> Result<T, E>)
where
    I: DeserializeOwned,
    T: Serialize,
    E: Error + 'static,
{
    let flush_every = std::env::var(FLUSH_VAR)
        .ok()
        .and_then(|us| us.parse().ok())
        .map_or(Duration::from_millis(20), Duration::from_micros);
    let mut results = match Results::new() {
        Ok(results) => results,
        Err(error) => {
            eprintln!("pool worker: cannot write to stdout: {error}");
            std::process::exit(70);
        }
    };
    let scope = CaptureScope::enter(false);
    let flush_due = ticker(flush_every);
    for chunk in chunks_from_stdin() {
        // In exact mode, each result is sent at once.
        let exact = chunk.flags & wire::EXACT != 0;
        let mut inputs = chunk.items();
        while let Some(input) = inputs.next_value::<I>() {
            let input = input.unwrap_or_else(|error| not_a_chunk(error));
            match scope.catch(|| task(input)) {
                Ok(Ok(value)) => results.frame.push_result::<T>(Ok(&value)),
                Ok(Err(error)) => results
                    .frame
                    .push_result::<T>(Err(&ErrorReport::from_error(&error))),
                Err(panic) => results
                    .frame
                    .push_result::<T>(Err(&ErrorReport::from_panic(&panic))),
            }
            let full = results.frame.payload_len() >= FRAME_BYTES;
            // Reading a flag, not the clock: cheaper than a tiny task.
            if exact || full || flush_due.load(Ordering::Relaxed) {
                flush_due.store(false, Ordering::Relaxed);
                results.send();
            }
        }
        if let Err(error) = inputs.finish() {
            not_a_chunk(error);
        }
        results.send();
    }
}

/// The chunks arriving on stdin, read by a thread of its own so that the
/// end of stdin is seen while a task runs. The process exits there: see
/// [`serve`].
fn chunks_from_stdin() -> mpsc::Receiver<wire::Received> {
    // One chunk waiting beside the one running is all the read-ahead a
    // worker needs.
    let (arrived, chunks) = mpsc::sync_channel(1);
    thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        while let Ok(Some(chunk)) = wire::read_frame(&mut stdin, b"") {
            if arrived.send(chunk).is_err() {
                return;
            }
        }
        std::process::exit(0);
    });
    chunks
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

fn not_a_chunk(error: impl Display) -> ! {
    eprintln!("pool worker: not a chunk of tasks: {error}");
    std::process::exit(NOT_A_CHUNK_EXIT);
}

/// A worker's results on their way home: a frame being filled, and the
/// worker's stdout.
struct Results {
    frame: Frame,
    /// Stdout without Rust's line buffering, so that a frame leaves in one
    /// write, whatever newlines its bytes contain.
    stdout: File,
}

impl Results {
    fn new() -> io::Result<Self> {
        #[cfg(unix)]
        let stdout = std::os::fd::AsFd::as_fd(&io::stdout()).try_clone_to_owned()?;
        #[cfg(windows)]
        let stdout =
            std::os::windows::io::AsHandle::as_handle(&io::stdout()).try_clone_to_owned()?;
        Ok(Results {
            frame: Frame::new(RESULT_MARKER, 0),
            stdout: File::from(stdout),
        })
    }

    /// Sends the frame, if it holds anything.
    fn send(&mut self) {
        if self.frame.is_empty() {
            return;
        }
        // Holding stdout's lock keeps a task's other threads from printing
        // into the middle of the frame.
        let _printing = io::stdout().lock();
        if self.frame.send(&mut self.stdout).is_err() {
            // The parent is gone: nobody is waiting for anything.
            std::process::exit(0);
        }
    }
}

/// What a worker's reader threads tell the pool.
enum Event {
    /// A frame of results, decoded by the run's [`Decode`] function.
    Frame(Box<dyn Any + Send>),
    /// The worker closed its stdout: it has exited, or is exiting.
    Closed,
}

/// One running worker.
struct Worker {
    child: Child,
    /// Chunks for the thread that writes them to the worker's stdin, so
    /// that a worker too busy to read never blocks the pool.
    chunks: Option<mpsc::Sender<Vec<u8>>>,
    /// The tasks sent and not yet answered, in the order it runs them.
    in_flight: InFlight,
    /// Whether it runs its chunk in exact mode; it then gets no other
    /// chunk until this one is done.
    exact: bool,
    /// When it last showed progress (was given a chunk, or sent a frame).
    last_progress: Instant,
    /// Whether it has sent a frame of results.
    answered: bool,
    stderr_kept: Arc<Mutex<VecDeque<u8>>>,
    /// The threads that write its stdin and read its stdout and stderr.
    threads: Vec<JoinHandle<()>>,
    /// Disconnected once all of those threads have finished.
    threads_done: mpsc::Receiver<()>,
}

impl Worker {
    /// Adds a line of the pool's own to what its death report shows.
    fn note(&mut self, line: &str) {
        let mut kept = self
            .stderr_kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.extend(line.as_bytes());
        kept.push_back(b'\n');
    }

    /// Kills the worker if it still runs, reaps it, and says how it ended.
    fn end(mut self) -> Death {
        // Even a worker whose stdout has closed is killed: it is almost
        // always exiting, but one that closed it and carried on would keep
        // `wait` waiting for ever. A kill does not change the status of a
        // process that is already exiting. Its stdin closes after the kill,
        // so that the worker's own exit at the end of stdin cannot take the
        // kill's place in the report.
        let _ = self.child.kill();
        drop(self.chunks.take());
        let exit = self.child.wait().map(Exit::of).unwrap_or(Exit::Code(-1));
        // The pipes' threads end when the pipes close, which a process the
        // worker started may put off for as long as it lives: past a grace
        // period they are left to end on their own.
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
                // A pipe thread that panicked has printed its message
                // already; the tasks it carried are owed by this worker
                // and get their outcomes from the caller.
                let _ = thread.join();
            }
        } else {
            self.note("pool: the worker's pipes stayed open after it ended: a process it started holds them");
        }
        let kept = self
            .stderr_kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (front, back) = kept.as_slices();
        Death {
            exit,
            stderr_tail: tail(&[front, back].concat(), STDERR_LINES),
        }
    }
}

/// A pool of worker processes. See the [module documentation](self).
///
/// Returned errors arrive as boxed [`ErrorReport`]s, so that an outcome
/// stays small when, as usually, nothing failed. A task that never reached
/// a worker gets [`Failure::Returned`] too, with a report whose `kind` says
/// why: `"serialization"` when its input could not be written, `"spawn"`
/// when no worker process could be started to run it.
pub struct ProcessPool {
    config: Config,
    workers: HashMap<u64, Worker>,
    next_worker: u64,
    events: mpsc::Sender<(u64, Event)>,
    received: mpsc::Receiver<(u64, Event)>,
    /// How the reader threads decode frames for the current run: they
    /// decode while the pool settles, and the pool's thread has enough to do.
    decode: Arc<RwLock<Decode>>,
}

impl ProcessPool {
    /// A pool with no workers yet; they start on the first [`run`](Self::run).
    ///
    /// # Errors
    ///
    /// When the path of the current program cannot be found.
    pub fn new(config: Config) -> io::Result<Self> {
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
        })
    }

    /// How many workers this pool has started, replacements included: a
    /// number that keeps growing means workers keep dying.
    pub fn workers_started(&self) -> u64 {
        self.next_worker
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
        *self
            .decode
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = decode::<T>;
        let mut queue = Queue {
            again: VecDeque::new(),
            next_fresh: 0,
            count: inputs.len() as u64,
        };
        let mut ledger = Ledger::new(inputs, progress);

        while !ledger.is_complete() {
            let unsent = self.dispatch(&mut queue, |task| ledger.input(task));
            ledger.settle_unsent(unsent);
            if ledger.is_complete() {
                // The last tasks were never sent: no event is coming.
                break;
            }
            let deadline = self
                .workers
                .values()
                .filter(|w| !w.in_flight.is_empty())
                .map(|w| w.last_progress + self.config.timeout)
                .min();
            let event = match deadline {
                Some(deadline) => self
                    .received
                    .recv_timeout(deadline.saturating_duration_since(Instant::now())),
                None => self
                    .received
                    .recv()
                    .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            };
            match event {
                Ok((id, Event::Frame(frame))) => {
                    let Some(worker) = self.workers.get_mut(&id) else {
                        continue; // from a worker already ended
                    };
                    worker.last_progress = Instant::now();
                    worker.answered = true;
                    let (results, mut misfit) = match frame.downcast::<Decoded<T>>() {
                        Ok(frame) => (frame.results, frame.misfit),
                        // Decoded for another run's type. Workers of an
                        // abandoned run are ended before the next starts,
                        // so this should not happen; if it does, the
                        // worker is ended like a misfit.
                        Err(_) => (Vec::new(), true),
                    };
                    // Results come in the order the worker was sent the
                    // tasks, which it holds as runs of consecutive tasks.
                    let mut results = results;
                    while !results.is_empty() {
                        let Some(run) = worker.in_flight.take_run(results.len()) else {
                            misfit = true;
                            break;
                        };
                        let rest = results.split_off((run.end - run.start) as usize);
                        ledger.settle_run(run.start, results);
                        results = rest;
                    }
                    if misfit {
                        // Not this run's result type: the worker's role
                        // serves another task function. Ending the worker
                        // fails its tasks, with this on record.
                        let mut worker = self.workers.remove(&id).expect("found above");
                        worker.note(&format!(
                            "pool: a result from this worker is not a {}",
                            std::any::type_name::<T>()
                        ));
                        let unfinished = worker.in_flight.tasks();
                        let death = worker.end();
                        for task in unfinished {
                            let death = Box::new(death.clone());
                            ledger.settle(task, Err(Failure::Died(death)));
                        }
                    }
                }
                Ok((id, Event::Closed)) => {
                    if let Some(worker) = self.workers.remove(&id) {
                        bury(worker, &mut ledger, &mut queue);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    let stuck: Vec<u64> = self
                        .workers
                        .iter()
                        .filter(|(_, w)| {
                            !w.in_flight.is_empty() && now >= w.last_progress + self.config.timeout
                        })
                        .map(|(&id, _)| id)
                        .collect();
                    for id in stuck {
                        let mut worker = self.workers.remove(&id).expect("listed above");
                        if let Ok(Some(_)) = worker.child.try_wait() {
                            // Dead, though its stdout never closed: a
                            // process it started holds it.
                            bury(worker, &mut ledger, &mut queue);
                            continue;
                        }
                        let unfinished = worker.in_flight.tasks();
                        let exact = worker.exact;
                        worker.end();
                        let timeout = self.config.timeout;
                        blame(unfinished, exact, &mut queue, |task| {
                            ledger.settle(task, Err(Failure::TimedOut(timeout)));
                        });
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    unreachable!("the pool holds a sender of its own channel")
                }
            }
        }
        ledger.into_outcomes()
    }

    /// Starts workers as needed and gives every hungry one a chunk, with
    /// each task's input found by `input`. Returns the tasks that cannot be
    /// sent, with why: their inputs could not be serialized, or no worker
    /// could be started to run them.
    fn dispatch<'a, I: Serialize + 'a>(
        &mut self,
        queue: &mut Queue,
        input: impl Fn(u64) -> &'a I,
    ) -> Vec<(u64, ErrorReport)> {
        let mut unsent = Vec::new();
        while !queue.is_empty() && self.workers.len() < self.config.workers {
            if let Err(error) = self.spawn() {
                if self.workers.is_empty() {
                    // Nothing could ever run these tasks: waiting would
                    // hang, and a panic would lose the outcomes in hand.
                    let report = ErrorReport::not_started(&self.program_name(), &error);
                    unsent.extend(queue.drain().map(|task| (task, report.clone())));
                }
                // Otherwise the workers there are carry on, and the next
                // pass tries again.
                break;
            }
        }
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
                let mut frame = Frame::new(b"", if exact { wire::EXACT } else { 0 });
                // A task is serialized each time it is sent: its input may be
                // sent again, and stays with the run meanwhile. Whether it
                // could be is the answer.
                let mut encode = |task: u64| match frame.push_value(input(task)) {
                    Ok(()) => true,
                    Err(error) => {
                        unsent.push((task, ErrorReport::serialization("the input", error)));
                        false
                    }
                };
                let mut room = chunk_size;
                while let Some(&(task, mode)) = queue.again.front() {
                    if mode != exact || room == 0 {
                        break;
                    }
                    if encode(task) {
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
                    for task in fresh.clone() {
                        if !encode(task) {
                            worker.in_flight.push(run_start..task);
                            run_start = task + 1;
                        }
                    }
                    worker.in_flight.push(run_start..fresh.end);
                }
                if idle {
                    worker.exact = exact;
                    worker.last_progress = Instant::now();
                }
                if idle && worker.answered {
                    // A death report should show what these tasks wrote, not
                    // what earlier ones did. (What a new worker wrote before
                    // its first chunk stays: it may say why it cannot serve.)
                    worker
                        .stderr_kept
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .clear();
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
        // The caller's variables first, so that they cannot unset the role
        // or the pool's own settings.
        let mut child = command
            .envs(self.config.env.iter().map(|(key, value)| (key, value)))
            .env(worker::ROLE_VAR, &self.config.role)
            .env(
                FLUSH_VAR,
                self.config.flush_interval.as_micros().to_string(),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let id = self.next_worker;
        self.next_worker += 1;
        let (done, threads_done) = mpsc::channel();

        let mut stdin = child.stdin.take().expect("piped stdin");
        let (chunks, to_write) = mpsc::channel::<Vec<u8>>();
        let writer = pipe_thread(&done, move || {
            for chunk in to_write {
                if stdin.write_all(&chunk).is_err() {
                    return; // the worker is gone
                }
            }
        });

        let stdout = child.stdout.take().expect("piped stdout");
        let events = self.events.clone();
        let decode = Arc::clone(&self.decode);
        let frames = pipe_thread(&done, move || {
            let mut reader = BufReader::with_capacity(64 * 1024, stdout);
            // Bytes between frames are a task's own prints: skipped.
            while let Ok(Some(frame)) = wire::read_frame(&mut reader, RESULT_MARKER) {
                let decode = *decode
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if events.send((id, Event::Frame(decode(frame)))).is_err() {
                    return;
                }
            }
            let _ = events.send((id, Event::Closed));
        });

        let stderr = child.stderr.take().expect("piped stderr");
        let stderr_kept = Arc::new(Mutex::new(VecDeque::new()));
        let kept = Arc::clone(&stderr_kept);
        let errors = pipe_thread(&done, move || keep_tail(stderr, &kept));

        self.workers.insert(
            id,
            Worker {
                child,
                chunks: Some(chunks),
                in_flight: InFlight::default(),
                exact: false,
                last_progress: Instant::now(),
                answered: false,
                stderr_kept,
                threads: vec![writer, frames, errors],
                threads_done,
            },
        );
        Ok(())
    }
}

/// Starts a thread that works one of a worker's pipes, and holds a clone of
/// `done` until it finishes.
fn pipe_thread(done: &mpsc::Sender<()>, work: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    let done = done.clone();
    thread::spawn(move || {
        work();
        drop(done);
    })
}

/// Decodes a frame of results in a reader thread, into a [`Decoded`].
type Decode = fn(wire::Received) -> Box<dyn Any + Send>;

/// A frame of results, decoded.
struct Decoded<T> {
    results: Vec<Settled<T>>,
    /// Whether the frame held something else than results of type `T`
    /// (`results` is then empty).
    misfit: bool,
}

fn decode<T: DeserializeOwned + Send + 'static>(frame: wire::Received) -> Box<dyn Any + Send> {
    let mut items = frame.items();
    let mut results = Vec::with_capacity(frame.count());
    let mut misfit = false;
    while let Some(result) = items.next_result::<T>() {
        match result {
            Ok(result) => results.push(result.map_err(failure_of)),
            Err(_) => {
                misfit = true;
                break;
            }
        }
    }
    misfit |= items.finish().is_err();
    if misfit {
        // Bytes of another type can decode as wrong values before they
        // fail to decode: none of the frame's results can be trusted.
        results.clear();
    }
    Box::new(Decoded { results, misfit })
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

    /// Settles the tasks that could not be sent to a worker.
    fn settle_unsent(&mut self, unsent: Vec<(u64, ErrorReport)>) {
        for (task, report) in unsent {
            self.settle(task, Err(Failure::Returned(Box::new(report))));
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
}

impl InFlight {
    /// Adds the consecutive tasks of `run`, sent after all the others.
    fn push(&mut self, run: Range<u64>) {
        if run.is_empty() {
            return;
        }
        self.count += (run.end - run.start) as usize;
        match self.runs.back_mut() {
            Some(last) if last.end == run.start => last.end = run.end,
            _ => self.runs.push_back(run),
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
        self.count -= (taken.end - taken.start) as usize;
        Some(taken)
    }

    /// Every task, in order.
    fn tasks(&self) -> Vec<u64> {
        self.runs.iter().cloned().flatten().collect()
    }
}

/// Ends a worker that died, or closed its stdout, and fails or requeues
/// the tasks it owed.
fn bury<I, T, P: FnMut(usize, &Settled<T>)>(
    worker: Worker,
    ledger: &mut Ledger<I, T, P>,
    queue: &mut Queue,
) {
    let unfinished = worker.in_flight.tasks();
    let exact = worker.exact;
    let answered = worker.answered;
    let death = worker.end();
    let mut fail = |task| {
        let death = Box::new(death.clone());
        ledger.settle(task, Err(Failure::Died(death)));
    };
    let misconfigured = matches!(
        death.exit,
        Exit::Code(worker::UNKNOWN_ROLE_EXIT | NOT_A_CHUNK_EXIT)
    );
    if misconfigured && !answered {
        // Its replacements would die the same way.
        unfinished.into_iter().for_each(&mut fail);
        queue.drain().for_each(fail);
    } else {
        blame(unfinished, exact, queue, fail);
    }
}

/// After a worker ended with `unfinished` tasks, in the order it runs them:
/// decides which task gets the failure (through `fail`) and which go back
/// to the front of the queue.
///
/// In exact mode every earlier result has arrived, so the first unfinished
/// task is the one to blame, and the rest never started: they go back as
/// ordinary tasks. Otherwise a single unfinished task is the one to blame,
/// and several go back in exact mode, where the one to blame shows itself.
fn blame(unfinished: Vec<u64>, exact: bool, queue: &mut Queue, mut fail: impl FnMut(u64)) {
    match (exact, unfinished.as_slice()) {
        (_, []) => {}
        (true, [first, never_started @ ..]) => {
            fail(*first);
            for &task in never_started.iter().rev() {
                queue.again.push_front((task, false));
            }
        }
        (false, [task]) => fail(*task),
        (false, tasks) => {
            for &task in tasks.iter().rev() {
                queue.again.push_front((task, true));
            }
        }
    }
}

/// Reads `stream` to its end, keeping the last [`STDERR_KEPT`] bytes.
fn keep_tail(mut stream: impl Read, kept: &Mutex<VecDeque<u8>>) {
    let mut buffer = [0; 4096];
    while let Ok(read) = stream.read(&mut buffer) {
        if read == 0 {
            return;
        }
        let mut kept = kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.extend(&buffer[..read]);
        let excess = kept.len().saturating_sub(STDERR_KEPT);
        kept.drain(..excess);
    }
}

impl Drop for ProcessPool {
    /// Kills and reaps every worker, so that none outlives the pool, also
    /// when the pool is dropped during a panic.
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

    #[cfg(unix)]
    #[test]
    fn a_run_is_dealt_in_chunks_of_the_size_picked_for_it() {
        // `cat` stands in for the workers: it takes chunks and sends back
        // nothing that looks like a result, so what was sent stays owed.
        let config = Config::new("none").program("cat").workers(2);
        let mut pool = ProcessPool::new(config).unwrap();
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

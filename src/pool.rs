//! A pool of worker processes that never loses a task (chapter 13).
//!
//! Every input given to [`ProcessPool::run`] gets exactly one [`Outcome`],
//! in input order: its value, the error it returned, its panic (message and
//! location), the death of the worker that was running it (exit code or
//! signal, and the tail of what the worker wrote on stderr while running
//! that task's chunk), or a timeout. A worker that
//! dies or hangs is replaced and the pool carries on. Every worker is killed
//! and reaped when the pool is dropped, also while unwinding from a panic.
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
//! The parent writes *chunks* of tasks to a worker's stdin, one JSON line
//! each. The worker runs them one after another and sends results back as
//! frames on its stdout ([`crate::worker::send`]), batching several results
//! per frame for throughput. It sends a batch when its chunk is done, and
//! whenever [`Config::flush_interval`] has passed since the last one, so the
//! parent sees progress even from a slow chunk.
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
//! Tasks must not read stdin: it carries the worker's tasks. What they print
//! on stdout or stderr is harmless: it is not a frame, and is set aside.

use std::collections::{HashMap, VecDeque};
use std::error::Error;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Mutex, mpsc};
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

/// The environment variable that tells a worker its flush interval, in
/// microseconds.
const FLUSH_VAR: &str = "NO_SILENT_FAILURES_FLUSH_US";

/// How many bytes of a worker's stderr are kept for its death report.
const STDERR_KEPT: usize = 8 * 1024;

/// How many lines of that are shown in a [`Death`].
const STDERR_LINES: usize = 5;

/// How a [`ProcessPool`] runs its workers.
///
/// ```
/// use std::time::Duration;
/// let config = no_silent_failures::pool::Config::new("square")
///     .workers(4)
///     .chunk_size(100)
///     .timeout(Duration::from_secs(5));
/// assert_eq!(config.workers, 4);
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// The worker role, as registered with [`crate::worker::guard`].
    pub role: String,
    /// The program to start; `None` for this program.
    pub program: Option<std::path::PathBuf>,
    /// How many workers run at once.
    pub workers: usize,
    /// How many tasks go to a worker at a time.
    pub chunk_size: usize,
    /// How long a worker may show no progress before it is killed and its
    /// task counted as timed out.
    pub timeout: Duration,
    /// How often a busy worker sends what it has finished.
    pub flush_interval: Duration,
}

impl Config {
    /// Workers in `role`, one per core, chunks of 64 tasks, a 60 s timeout.
    pub fn new(role: &str) -> Self {
        Config {
            role: role.to_owned(),
            program: None,
            workers: thread::available_parallelism().map_or(1, |n| n.get()),
            chunk_size: 64,
            timeout: Duration::from_secs(60),
            flush_interval: Duration::from_millis(20),
        }
    }

    /// Sets the number of workers (at least 1).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Sets the chunk size (at least 1).
    pub fn chunk_size(mut self, chunk_size: usize) -> Self {
        self.chunk_size = chunk_size.max(1);
        self
    }

    /// Sets the timeout; the flush interval becomes a quarter of it, at most
    /// 20 ms.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.flush_interval = (timeout / 4).min(Duration::from_millis(20));
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

/// One result as a worker sends it: the task's id and its result.
type Sent<T> = (u64, Result<T, ErrorReport>);

/// Runs in a worker: reads chunks of tasks from stdin, runs `task` on each,
/// and sends the results home, until stdin closes. A panic in `task` is
/// caught and sent as an [`ErrorReport`] of kind `"panic"`; a returned
/// error is sent as its report; a result that cannot be serialized is sent
/// as a report saying so.
///
/// Returns when the parent closes stdin. Exits the process with status 65
/// if a line on stdin is not a chunk of this task's inputs.
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
    let scope = CaptureScope::enter(false);
    let mut batch = Batch::default();
    let mut last_flush = Instant::now();
    for line in io::stdin().lock().lines() {
        let Ok(line) = line else { return };
        // (exact, tasks): in exact mode, each result is sent at once.
        let (exact, chunk): (bool, Vec<(u64, I)>) = match serde_json::from_str(&line) {
            Ok(chunk) => chunk,
            Err(error) => {
                eprintln!("pool worker: not a chunk of tasks: {error}");
                std::process::exit(65);
            }
        };
        for (id, input) in chunk {
            let result: Result<T, ErrorReport> = match scope.catch(|| task(input)) {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(error)) => Err(ErrorReport::from_error(&error)),
                Err(panic) => Err(ErrorReport::from_panic(&panic)),
            };
            batch.push(id, &result);
            if exact || last_flush.elapsed() >= flush_every {
                batch.send();
                last_flush = Instant::now();
            }
        }
        batch.send();
        last_flush = Instant::now();
    }
}

/// A frame of results being built: the marker, then a JSON array.
#[derive(Default)]
struct Batch {
    frame: Vec<u8>,
}

impl Batch {
    fn push<T: Serialize>(&mut self, id: u64, result: &Result<T, ErrorReport>) {
        if self.frame.is_empty() {
            self.frame
                .extend_from_slice(worker::FRAME_MARKER.as_bytes());
            self.frame.push(b'[');
        } else {
            self.frame.push(b',');
        }
        let start = self.frame.len();
        if let Err(error) = serde_json::to_writer(&mut self.frame, &(id, result)) {
            // A value serde cannot write becomes an error for this task,
            // not a torn frame.
            self.frame.truncate(start);
            let report = ErrorReport {
                kind: "serialization".to_owned(),
                message: format!("the result could not be serialized: {error}"),
                causes: Vec::new(),
                location: None,
                backtrace: None,
            };
            serde_json::to_writer(&mut self.frame, &(id, Err::<(), _>(report)))
                .expect("a report of strings serializes");
        }
    }

    /// Sends the frame, if it holds anything.
    fn send(&mut self) {
        if self.frame.is_empty() {
            return;
        }
        self.frame.extend_from_slice(b"]\n");
        let mut stdout = io::stdout().lock();
        if stdout
            .write_all(&self.frame)
            .and_then(|()| stdout.flush())
            .is_err()
        {
            // The parent is gone: nobody is waiting for anything.
            std::process::exit(0);
        }
        self.frame.clear();
    }
}

/// What a worker's reader threads tell the pool.
enum Event {
    /// A frame of results.
    Frame(String),
    /// The worker closed its stdout: it has exited, or is exiting.
    Closed,
}

/// One running worker.
struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Ids of the tasks sent and not yet answered, in the order it runs them.
    in_flight: VecDeque<u64>,
    /// Whether it runs its chunk in exact mode; it then gets no other
    /// chunk until this one is done.
    exact: bool,
    /// When it last showed progress (was given a chunk, or sent a frame).
    last_progress: Instant,
    stderr_kept: Arc<Mutex<VecDeque<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

impl Worker {
    /// Kills the worker if it still runs, reaps it, and says how it ended.
    fn end(mut self, kill: bool) -> Death {
        drop(self.stdin.take());
        if kill {
            let _ = self.child.kill();
        }
        let exit = self.child.wait().map(Exit::of).unwrap_or(Exit::Code(-1));
        for reader in self.readers.drain(..) {
            let _ = reader.join();
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
/// stays small when, as usually, nothing failed.
pub struct ProcessPool {
    config: Config,
    workers: HashMap<u64, Worker>,
    next_worker: u64,
    events: mpsc::Sender<(u64, Event)>,
    received: mpsc::Receiver<(u64, Event)>,
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
        })
    }

    /// The process ids of the workers running now.
    pub fn worker_pids(&self) -> Vec<u32> {
        self.workers.values().map(|w| w.child.id()).collect()
    }

    /// Runs every input on the pool, and returns one outcome per input, in
    /// input order.
    pub fn run<I, T>(&mut self, inputs: Vec<I>) -> Vec<Outcome<I, T, Box<ErrorReport>>>
    where
        I: Serialize,
        T: DeserializeOwned,
    {
        self.run_with_progress(inputs, |_, _| {})
    }

    /// Like [`run`](Self::run), and calls `progress(index, result)` for each
    /// input as soon as its outcome is known, in completion order.
    pub fn run_with_progress<I, T>(
        &mut self,
        inputs: Vec<I>,
        mut progress: impl FnMut(usize, &Settled<T>),
    ) -> Vec<Outcome<I, T, Box<ErrorReport>>>
    where
        I: Serialize,
        T: DeserializeOwned,
    {
        let count = inputs.len();
        // Serialized once: a task may be sent more than once.
        let encoded: Vec<String> = inputs
            .iter()
            .map(|input| serde_json::to_string(input).expect("inputs serialize"))
            .collect();
        let mut results: Vec<Option<Settled<T>>> = (0..count).map(|_| None).collect();
        let mut settled = 0;
        // (task, exact): a task queued again after a failure runs in exact mode.
        let mut pending: VecDeque<(u64, bool)> = (0..count as u64).map(|id| (id, false)).collect();

        let mut settle = |results: &mut Vec<Option<Settled<T>>>,
                          settled: &mut usize,
                          id: u64,
                          result: Settled<T>| {
            let slot = &mut results[id as usize];
            if slot.is_none() {
                progress(id as usize, &result);
                *slot = Some(result);
                *settled += 1;
            }
        };

        while settled < count {
            self.dispatch(&mut pending, &encoded);
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
                Ok((id, Event::Frame(json))) => {
                    let Some(worker) = self.workers.get_mut(&id) else {
                        continue; // from a worker already ended
                    };
                    worker.last_progress = Instant::now();
                    let Ok(batch) = serde_json::from_str::<Vec<Sent<T>>>(&json) else {
                        continue; // torn by a dying worker: its death follows
                    };
                    for (task, result) in batch {
                        // Results come in the order the worker runs them.
                        if worker.in_flight.front() == Some(&task) {
                            worker.in_flight.pop_front();
                        } else {
                            worker.in_flight.retain(|&t| t != task);
                        }
                        let result = result.map_err(|report| {
                            if report.kind == "panic" {
                                Failure::Panicked(Box::new(crate::panic::Panic {
                                    message: report.message,
                                    location: report.location,
                                    thread: None,
                                    backtrace: report.backtrace,
                                }))
                            } else {
                                Failure::Returned(Box::new(report))
                            }
                        });
                        settle(&mut results, &mut settled, task, result);
                    }
                }
                Ok((id, Event::Closed)) => {
                    if let Some(worker) = self.workers.remove(&id) {
                        let unfinished: Vec<u64> = worker.in_flight.iter().copied().collect();
                        let exact = worker.exact;
                        let death = worker.end(false);
                        blame(unfinished, exact, &mut pending, |task| {
                            settle(
                                &mut results,
                                &mut settled,
                                task,
                                Err(Failure::Died(Box::new(death.clone()))),
                            )
                        });
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
                        let worker = self.workers.remove(&id).expect("listed above");
                        let unfinished: Vec<u64> = worker.in_flight.iter().copied().collect();
                        let exact = worker.exact;
                        worker.end(true);
                        let timeout = self.config.timeout;
                        blame(unfinished, exact, &mut pending, |task| {
                            settle(
                                &mut results,
                                &mut settled,
                                task,
                                Err(Failure::TimedOut(timeout)),
                            )
                        });
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    unreachable!("the pool holds a sender of its own channel")
                }
            }
        }

        // The loop above ends only when every input is settled.
        crate::outcome::pair(inputs, results)
    }

    /// Starts workers as needed and gives every idle one a chunk.
    fn dispatch(&mut self, pending: &mut VecDeque<(u64, bool)>, encoded: &[String]) {
        while !pending.is_empty() && self.workers.len() < self.config.workers {
            match self.spawn() {
                Ok(()) => {}
                Err(error) => panic!("cannot start a pool worker: {error}"),
            }
        }
        // A worker takes a chunk when it is idle, or, to stay busy while the
        // parent reads its results, when it has at most one chunk of
        // ordinary tasks left. Exact-mode tasks go only to an idle worker,
        // and nothing else joins them there.
        let chunk_size = self.config.chunk_size;
        let hungry: Vec<u64> = self
            .workers
            .iter()
            .filter(|(_, w)| {
                w.in_flight.is_empty() || (!w.exact && w.in_flight.len() <= chunk_size)
            })
            .map(|(&id, _)| id)
            .collect();
        for id in hungry {
            let worker = self.workers.get_mut(&id).expect("listed above");
            let idle = worker.in_flight.is_empty();
            let Some(&(_, exact)) = pending.front() else {
                return;
            };
            if exact && !idle {
                continue;
            }
            let mut chunk = Vec::new();
            while chunk.len() < chunk_size {
                match pending.front() {
                    Some(&(task, mode)) if mode == exact => {
                        chunk.push(task);
                        pending.pop_front();
                    }
                    _ => break,
                }
            }
            let mut line = String::with_capacity(chunk.len() * 16 + 8);
            line.push_str(if exact { "[true,[" } else { "[false,[" });
            for (n, &task) in chunk.iter().enumerate() {
                if n > 0 {
                    line.push(',');
                }
                line.push('[');
                line.push_str(&task.to_string());
                line.push(',');
                line.push_str(&encoded[task as usize]);
                line.push(']');
            }
            line.push_str("]]\n");
            if idle {
                worker.exact = exact;
                worker.last_progress = Instant::now();
                // A death report should show what these tasks wrote.
                worker
                    .stderr_kept
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clear();
            }
            worker.in_flight.extend(chunk);
            // A write that fails means the worker is gone; its Closed event
            // is on its way, and will requeue or blame these tasks.
            if let Some(stdin) = worker.stdin.as_mut() {
                let _ = stdin
                    .write_all(line.as_bytes())
                    .and_then(|()| stdin.flush());
            }
        }
    }

    fn spawn(&mut self) -> io::Result<()> {
        let mut command = match &self.config.program {
            Some(program) => {
                let mut command = std::process::Command::new(program);
                command.env(worker::ROLE_VAR, &self.config.role);
                command
            }
            None => worker::command(&self.config.role)?,
        };
        let mut child = command
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

        let stdout = child.stdout.take().expect("piped stdout");
        let events = self.events.clone();
        let frames = thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut noise = Vec::new();
            while let Ok(Some(frame)) = worker::read_frame(&mut reader, &mut noise) {
                noise.clear(); // a task's own prints: not results
                if events.send((id, Event::Frame(frame))).is_err() {
                    return;
                }
            }
            let _ = events.send((id, Event::Closed));
        });

        let stderr = child.stderr.take().expect("piped stderr");
        let stderr_kept = Arc::new(Mutex::new(VecDeque::new()));
        let kept = Arc::clone(&stderr_kept);
        let errors = thread::spawn(move || keep_tail(stderr, &kept));

        let stdin = child.stdin.take();
        self.workers.insert(
            id,
            Worker {
                child,
                stdin,
                in_flight: VecDeque::new(),
                exact: false,
                last_progress: Instant::now(),
                stderr_kept,
                readers: vec![frames, errors],
            },
        );
        Ok(())
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
fn blame(
    unfinished: Vec<u64>,
    exact: bool,
    pending: &mut VecDeque<(u64, bool)>,
    mut fail: impl FnMut(u64),
) {
    match (exact, unfinished.as_slice()) {
        (_, []) => {}
        (true, [first, never_started @ ..]) => {
            fail(*first);
            for &task in never_started.iter().rev() {
                pending.push_front((task, false));
            }
        }
        (false, [task]) => fail(*task),
        (false, tasks) => {
            for &task in tasks.iter().rev() {
                pending.push_front((task, true));
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
            worker.end(true);
        }
    }
}

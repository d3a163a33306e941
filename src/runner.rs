//! Map a task over inputs on a pool of threads, and get back exactly one
//! [`Outcome`] per input, in input order, whatever the tasks do.
//!
//! Two ways to run:
//!
//! - [`Runner::run`] runs on rayon. Panics are captured per input with
//!   [`crate::panic::catch`], so one panic costs one outcome, not the batch.
//!   It cannot time tasks out: a task that never returns holds its rayon
//!   thread, and `run` waits for it.
//! - [`Runner::run_with_timeout`] runs on threads of its own and watches the
//!   clock. A task that outlives the time limit gets a
//!   [`Failure::TimedOut`] outcome, and a fresh thread takes its place so the
//!   other inputs go on. The stuck thread cannot be stopped (std has no way
//!   to), so it is left behind; whatever it returns later is ignored. A
//!   task whose answer took longer than the limit is timed out too, even if
//!   the answer came before the runner noticed: never a late `Ok`.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::failure::Failure;
use crate::outcome::Outcome;
use crate::panic::CaptureScope;

/// Runs tasks in parallel and returns one outcome per input.
///
/// ```
/// use no_silent_failures::runner::Runner;
/// let outcomes = Runner::new().run(vec!["1", "x", "3"], |s| s.parse::<u32>());
/// let values: Vec<_> = outcomes.iter().map(|o| o.value().copied()).collect();
/// assert_eq!(values, [Some(1), None, Some(3)]);
/// assert!(outcomes[1].failure().unwrap().returned().is_some());
/// ```
#[derive(Debug, Default)]
pub struct Runner {
    pool: Option<rayon::ThreadPool>,
    threads: Option<usize>,
    backtraces: bool,
}

fn run_one<I, T, E>(
    scope: &CaptureScope,
    task: impl Fn(&I) -> Result<T, E>,
    input: &I,
) -> Result<T, Failure<E>> {
    // catch_unwind directly rather than `scope.catch`: the large `Panic` is
    // only built, and boxed, on the panic path.
    match std::panic::catch_unwind(AssertUnwindSafe(|| task(input))) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(Failure::Returned(error)),
        Err(payload) => Err(Failure::Panicked(Box::new(scope.recover(payload)))),
    }
}

impl Runner {
    /// A runner on rayon's global pool, without backtraces.
    ///
    /// ```
    /// let runner = no_silent_failures::runner::Runner::new();
    /// assert_eq!(runner.run(vec![2], |n| Ok::<_, std::io::Error>(n * 2))[0].value(), Some(&4));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs on a pool of exactly `threads` threads of its own.
    ///
    /// ```
    /// let runner = no_silent_failures::runner::Runner::new().threads(2);
    /// assert_eq!(runner.run(vec![1, 2, 3], |n| Ok::<_, std::io::Error>(*n)).len(), 3);
    /// ```
    ///
    /// # Panics
    ///
    /// If `threads` is 0, or the threads cannot be spawned.
    pub fn threads(mut self, threads: usize) -> Self {
        assert!(threads > 0, "a runner needs at least one thread");
        self.pool = Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|_| "runner".to_owned())
                .build()
                .expect("spawning the runner's threads"),
        );
        self.threads = Some(threads);
        self
    }

    /// Records a backtrace with every captured panic.
    ///
    /// ```
    /// use no_silent_failures::runner::Runner;
    /// let outcomes = Runner::new().backtraces(true).run(vec![()], |_| -> Result<(), std::io::Error> {
    ///     panic!("with a backtrace")
    /// });
    /// let panic = outcomes[0].failure().unwrap().panic().unwrap();
    /// assert!(panic.backtrace.is_some());
    /// ```
    pub fn backtraces(mut self, on: bool) -> Self {
        self.backtraces = on;
        self
    }

    /// Runs `task` on every input on rayon, and returns one outcome per
    /// input, in input order. A panic becomes [`Failure::Panicked`] for that
    /// input only, and prints nothing.
    ///
    /// ```
    /// use no_silent_failures::runner::Runner;
    /// let outcomes = Runner::new().run((0..100).collect(), |&n| {
    ///     assert!(n != 42, "no 42s");
    ///     Ok::<_, std::io::Error>(n)
    /// });
    /// assert_eq!(outcomes.len(), 100);
    /// assert_eq!(outcomes[42].failure().unwrap().panic().unwrap().message, "no 42s");
    /// assert!(outcomes.iter().enumerate().all(|(i, o)| o.input == i as i32));
    /// ```
    ///
    /// The outcomes are `#[must_use]`: a run whose outcomes nobody reads is
    /// a warning (here made an error, so that this example fails to compile).
    /// The error is a lint's, which has no error code for `compile_fail` to
    /// check, so the example after it is the control: the same lines with
    /// the outcomes bound compile.
    ///
    /// ```compile_fail
    /// #![deny(unused_must_use)]
    /// use no_silent_failures::runner::Runner;
    /// Runner::new().run(vec![1, 2], |&n: &u32| Ok::<_, std::io::Error>(n));
    /// ```
    ///
    /// ```
    /// #![deny(unused_must_use)]
    /// use no_silent_failures::runner::Runner;
    /// let _outcomes = Runner::new().run(vec![1, 2], |&n: &u32| Ok::<_, std::io::Error>(n));
    /// ```
    #[must_use = "the outcomes are the only record of which inputs failed"]
    pub fn run<I, T, E, F>(&self, inputs: Vec<I>, task: F) -> Vec<Outcome<I, T, E>>
    where
        I: Send,
        T: Send,
        E: Send,
        F: Fn(&I) -> Result<T, E> + Sync,
    {
        let backtraces = self.backtraces;
        let work = || {
            inputs
                .into_par_iter()
                // One capture scope per piece of work rayon hands a thread,
                // not one per input: catching then costs no more than
                // catch_unwind when nothing panics.
                .map_init(
                    || CaptureScope::enter(backtraces),
                    |scope, input| Outcome {
                        result: run_one(scope, &task, &input),
                        input,
                    },
                )
                .collect()
        };
        match &self.pool {
            Some(pool) => pool.install(work),
            None => work(),
        }
    }

    /// Runs `task` on every input on threads of the runner's own, giving each
    /// task at most `limit` from the moment it starts. Returns one outcome
    /// per input, in input order. The inputs are cloned once, for the
    /// worker threads, which may outlive this call.
    ///
    /// ```
    /// use std::time::Duration;
    /// use no_silent_failures::runner::Runner;
    /// let (_never_sent, never_received) = std::sync::mpsc::channel::<()>();
    /// let never_received = std::sync::Mutex::new(never_received);
    /// let outcomes = Runner::new().run_with_timeout(
    ///     vec![1, 2],
    ///     Duration::from_millis(50),
    ///     move |&n| {
    ///         if n == 2 {
    ///             let _ = never_received.lock().unwrap().recv(); // hangs
    ///         }
    ///         Ok::<_, std::io::Error>(n)
    ///     },
    /// );
    /// assert_eq!(outcomes[0].value(), Some(&1));
    /// assert!(outcomes[1].failure().unwrap().is_timeout());
    /// ```
    #[must_use = "the outcomes are the only record of which inputs failed"]
    pub fn run_with_timeout<I, T, E, F>(
        &self,
        inputs: Vec<I>,
        limit: Duration,
        task: F,
    ) -> Vec<Outcome<I, T, E>>
    where
        I: Clone + Send + Sync + 'static,
        T: Send + 'static,
        E: Send + 'static,
        F: Fn(&I) -> Result<T, E> + Send + Sync + 'static,
    {
        let count = inputs.len();
        let threads = self
            .threads
            .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
            .min(count.max(1));
        // A stuck thread keeps its copy of the inputs for as long as it
        // lives; the outcomes keep the originals.
        let shared = Arc::new(Shared {
            inputs: inputs.clone(),
            next: AtomicUsize::new(0),
            task,
            backtraces: self.backtraces,
        });
        let (events, received) = mpsc::channel();
        // What each thread runs: an input's index, or `RETIRED` once the
        // thread is abandoned at a timeout.
        let mut current: Vec<Arc<AtomicUsize>> = Vec::new();
        let spawn_worker = |current: &mut Vec<Arc<AtomicUsize>>| {
            let shared = Arc::clone(&shared);
            let events = events.clone();
            let worker = current.len();
            let running = Arc::new(AtomicUsize::new(IDLE));
            current.push(Arc::clone(&running));
            thread::Builder::new()
                .name("runner".to_owned())
                .spawn(move || shared.work(worker, &running, &events))
                .expect("spawning a runner thread");
        };
        for _ in 0..threads {
            spawn_worker(&mut current);
        }

        let mut results: Vec<Option<Result<T, Failure<E>>>> = (0..count).map(|_| None).collect();
        let mut settled = 0;
        // worker -> (input index, when it started)
        let mut running: HashMap<usize, (usize, Instant)> = HashMap::new();
        while settled < count {
            // A limit too long for an `Instant` is no deadline at all.
            let next_deadline = running
                .values()
                .filter_map(|&(_, started)| started.checked_add(limit))
                .min();
            let event = match next_deadline {
                Some(deadline) => {
                    received.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                }
                None => received
                    .recv()
                    .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            };
            match event {
                Ok(Event::Started { worker, index, at }) => {
                    running.insert(worker, (index, at));
                }
                Ok(Event::Finished {
                    worker,
                    index,
                    result,
                    took,
                }) => {
                    running.remove(&worker);
                    // A late answer from a task already timed out is ignored:
                    // each input gets exactly one outcome. An answer that
                    // took longer than the limit, which this loop had no
                    // time to notice, is a timeout all the same.
                    if results[index].is_none() {
                        let result = if took > limit {
                            Err(Failure::TimedOut(limit))
                        } else {
                            result
                        };
                        results[index] = Some(result);
                        settled += 1;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    let expired: Vec<usize> = running
                        .iter()
                        .filter(|&(_, &(_, started))| {
                            started.checked_add(limit).is_some_and(|end| now >= end)
                        })
                        .map(|(&worker, _)| worker)
                        .collect();
                    for worker in expired {
                        let (index, _) = running.remove(&worker).expect("listed above");
                        // The thread is retired only if it still runs this
                        // input; if it has just finished it, its answer is
                        // on its way and it carries on.
                        let retired = current[worker]
                            .compare_exchange(index, RETIRED, Ordering::AcqRel, Ordering::Acquire)
                            .is_ok();
                        if !retired {
                            continue;
                        }
                        if results[index].is_none() {
                            results[index] = Some(Err(Failure::TimedOut(limit)));
                            settled += 1;
                        }
                        // The stuck thread keeps its slot; give the others a new one.
                        spawn_worker(&mut current);
                    }
                }
                // Every worker catches its task's panics and reports each task
                // it starts, so this cannot happen; if it ever did, the inputs
                // without an outcome are marked, not dropped.
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        drop(events);

        crate::outcome::pair(inputs, results)
    }
}

/// What a runner thread runs when it runs nothing.
const IDLE: usize = usize::MAX - 1;
/// What it runs once abandoned at a timeout: nothing more, ever.
const RETIRED: usize = usize::MAX;

struct Shared<I, F> {
    inputs: Vec<I>,
    next: AtomicUsize,
    task: F,
    backtraces: bool,
}

enum Event<T, E> {
    Started {
        worker: usize,
        index: usize,
        at: Instant,
    },
    Finished {
        worker: usize,
        index: usize,
        result: Result<T, Failure<E>>,
        /// How long the task ran.
        took: Duration,
    },
}

impl<I, F> Shared<I, F> {
    /// Runs inputs until none is left, or until the thread is retired: a
    /// thread abandoned at a timeout takes no new input when it finally
    /// finishes, so no more tasks run at once than there are live threads.
    fn work<T, E>(&self, worker: usize, running: &AtomicUsize, events: &mpsc::Sender<Event<T, E>>)
    where
        F: Fn(&I) -> Result<T, E>,
    {
        let scope = CaptureScope::enter(self.backtraces);
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(input) = self.inputs.get(index) else {
                return;
            };
            running.store(index, Ordering::Release);
            let at = Instant::now();
            if events.send(Event::Started { worker, index, at }).is_err() {
                return;
            }
            let result = run_one(&scope, &self.task, input);
            if events
                .send(Event::Finished {
                    worker,
                    index,
                    result,
                    took: at.elapsed(),
                })
                .is_err()
            {
                return;
            }
            // Sent before this check: if the runner retired the thread
            // first, it settled the input as timed out and ignores this
            // late answer; if not, it takes this answer.
            if running
                .compare_exchange(index, IDLE, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                return;
            }
        }
    }
}

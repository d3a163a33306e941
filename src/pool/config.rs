//! How a pool runs its workers: [`Config`], checked by
//! [`ProcessPool::new`](super::ProcessPool::new).

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// How a [`ProcessPool`](super::ProcessPool) runs its workers. Built with
/// its methods; [`ProcessPool::new`](super::ProcessPool::new) refuses one
/// that cannot work (no workers, empty chunks, a zero timeout).
///
/// ```
/// use std::time::Duration;
/// use no_silent_failures::pool::{Config, ProcessPool};
/// let config = Config::new("square")
///     .workers(4)
///     .timeout(Duration::from_secs(5));
/// // Chunks sized for each run, as `Pool.map` sizes them.
/// assert_eq!(config.chunk_size_for(100_000), 6250);
/// assert_eq!(config.chunk_size_for(10), 1);
/// assert_eq!(config.clone().chunk_size(100).chunk_size_for(100_000), 100);
/// assert_eq!(config.get_timeout(), Some(Duration::from_secs(5)));
/// // No timeout at all is a choice of its own.
/// assert_eq!(config.no_timeout().get_timeout(), None);
/// // A pool of no workers would wait for ever: refused up front.
/// let refused = ProcessPool::new(Config::new("square").workers(0)).err().unwrap();
/// assert_eq!(refused.to_string(), "a pool needs at least one worker");
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(super) role: String,
    pub(super) program: Option<PathBuf>,
    pub(super) workers: usize,
    pub(super) chunk_size: Option<usize>,
    pub(super) timeout: Option<Duration>,
    pub(super) flush_interval: Option<Duration>,
    pub(super) env: Vec<(OsString, OsString)>,
}

/// The flush interval when nothing else is said.
const FLUSH_INTERVAL: Duration = Duration::from_millis(20);

impl Config {
    /// Workers in `role`, one per core, chunks sized for each run, a 60 s
    /// timeout.
    pub fn new(role: &str) -> Self {
        Config {
            role: role.to_owned(),
            program: None,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            chunk_size: None,
            timeout: Some(Duration::from_secs(60)),
            flush_interval: None,
            env: Vec::new(),
        }
    }

    /// Sets how many workers run at once (at least 1, or
    /// [`ProcessPool::new`](super::ProcessPool::new) refuses the config).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers;
        self
    }

    /// Sets how many tasks go to a worker at a time, for every run (at
    /// least 1). Without it, chunks are sized for each run: see
    /// [`Config::chunk_size_for`].
    pub fn chunk_size(mut self, chunk_size: usize) -> Self {
        self.chunk_size = Some(chunk_size);
        self
    }

    /// The chunk size for a run of `tasks` tasks: the one set, or else
    /// Python's `Pool.map` rule, the tasks over four times the workers,
    /// rounded up. Four chunks per worker share uneven work out; fewer,
    /// bigger chunks cost fewer round trips, which tiny tasks need.
    pub fn chunk_size_for(&self, tasks: usize) -> usize {
        self.chunk_size
            .unwrap_or_else(|| tasks.div_ceil(self.workers.max(1).saturating_mul(4)))
            .max(1)
    }

    /// Sets how long a worker may show no progress (no result, no sign of
    /// life) before it is killed and its task counted as timed out. Any
    /// `Duration` works, `Duration::MAX` included; a zero one is refused by
    /// [`ProcessPool::new`](super::ProcessPool::new).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No timeout: a task may run as long as it likes, and a new worker
    /// may take as long as it likes to say hello. A hung task then hangs
    /// its run, so choose this only for tasks that are known to end.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// The timeout set, if any.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Sets how often a busy worker sends what it has finished: it looks
    /// after each task, and sends if this long has passed since it last
    /// did, so that a chunk of slow tasks still shows progress. 20 ms
    /// unless set; never more than a quarter of the timeout, so that a
    /// worker that finishes tasks is never taken for a stuck one; never
    /// less than a millisecond.
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = Some(interval);
        self
    }

    /// The flush interval the workers get.
    pub(super) fn flush_for_workers(&self) -> Duration {
        let interval = self.flush_interval.unwrap_or(FLUSH_INTERVAL);
        match self.timeout {
            Some(timeout) => interval.min(timeout / 4),
            None => interval,
        }
        .max(Duration::from_millis(1))
    }

    /// Sets an environment variable for every worker the pool starts: a
    /// temporary directory of their own, say, or `RUST_BACKTRACE`. It
    /// cannot change the worker's role.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Starts workers from `program` instead of this program (for tests and
    /// benchmarks whose own binary cannot be a worker).
    pub fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = Some(program.into());
        self
    }

    /// Checks that the config can work.
    pub(super) fn check(&self) -> io::Result<()> {
        let refuse = |why: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, why));
        if self.workers == 0 {
            return refuse("a pool needs at least one worker");
        }
        if self.chunk_size == Some(0) {
            return refuse("a chunk needs at least one task");
        }
        if self.timeout == Some(Duration::ZERO) {
            return refuse("a zero timeout would time out every task: use no_timeout() for none");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flush_interval_is_clamped_to_a_quarter_of_the_timeout_and_a_millisecond() {
        let config = Config::new("x");
        assert_eq!(config.flush_for_workers(), FLUSH_INTERVAL);
        let short = config.clone().timeout(Duration::from_millis(40));
        assert_eq!(short.flush_for_workers(), Duration::from_millis(10));
        let slow = config
            .clone()
            .flush_interval(Duration::from_secs(3600))
            .timeout(Duration::from_secs(10));
        assert_eq!(slow.flush_for_workers(), Duration::from_millis(2500));
        let unlimited = config
            .clone()
            .flush_interval(Duration::from_secs(3600))
            .no_timeout();
        assert_eq!(unlimited.flush_for_workers(), Duration::from_secs(3600));
        let zero = config.flush_interval(Duration::ZERO);
        assert_eq!(zero.flush_for_workers(), Duration::from_millis(1));
    }
}

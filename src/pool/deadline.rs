//! Step 4 of chapter 13, timeouts: when the pool next runs out of
//! patience with a worker, and ending the workers that showed no progress
//! for the timeout.

use std::time::Instant;

use super::blame::blame;
use super::ledger::{Ledger, Queue};
use super::{ProcessPool, Settled, Worker};
use crate::failure::Failure;

impl ProcessPool {
    /// When the first worker that owes something (tasks, or its hello) runs
    /// out of time; `None` for no deadline, also when a timeout too long
    /// for an `Instant` has no deadline to speak of.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let timeout = self.config.timeout?;
        self.workers
            .values()
            .filter(|w| w.owes())
            .filter_map(|w| w.last_progress.checked_add(timeout))
            .min()
    }

    /// Ends the workers that owe something and showed no progress for the
    /// timeout, and fails or requeues what they owed.
    pub(super) fn end_stuck<I, T, P: FnMut(usize, &Settled<T>)>(
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
            // A timeout shows no stderr: whose it is does not matter.
            blame(unfinished, exact, true, queue, |task| {
                ledger.settle(task, Err(Failure::TimedOut(timeout)));
            });
        }
    }
}

impl Worker {
    /// Whether the pool waits on it: for results, or for its hello.
    fn owes(&self) -> bool {
        self.hello.is_none() || !self.in_flight.is_empty()
    }
}

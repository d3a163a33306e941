//! Step 5 of chapter 13, exact blame: what the tasks a worker owed get
//! when it dies, breaks its channel or never starts, and which of them is
//! to blame.

use super::ledger::{Ledger, Queue};
use super::{ProcessPool, Settled, Worker};
use crate::failure::Failure;
use crate::report::ErrorReport;

/// How many new workers in a row may end before they send a result, in a
/// pool whose workers have served before, before a run starts no more.
const FAILED_STARTS: u32 = 3;

impl ProcessPool {
    /// Ends a worker that died, or closed its channel, and fails or
    /// requeues the tasks it owed.
    pub(super) fn bury<I, T, P: FnMut(usize, &Settled<T>)>(
        &mut self,
        worker: Worker,
        ledger: &mut Ledger<I, T, P>,
        queue: &mut Queue,
    ) {
        let unfinished = worker.in_flight.unfinished();
        let exact = worker.exact;
        let own_stderr = worker.own_stderr;
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
        blame(unfinished, exact, own_stderr, queue, |task| {
            let death = Box::new(death.clone());
            ledger.settle(task, Err(Failure::Died(death)));
        });
    }

    /// Ends a worker whose channel broke, and fails every task it owed:
    /// which of them the broken frame was for cannot be known.
    pub(super) fn broken<I, T, P: FnMut(usize, &Settled<T>)>(
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
    pub(super) fn not_started<I, T, P: FnMut(usize, &Settled<T>)>(
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
}

/// The tasks a worker owed when it ended.
pub(super) struct Unfinished {
    /// The tasks of its oldest chunk, in order: one of them, or none, was
    /// running.
    pub(super) may_have_started: Vec<u64>,
    /// The tasks of later chunks, which it had not begun.
    pub(super) never_started: Vec<u64>,
}

impl Unfinished {
    pub(super) fn is_empty(&self) -> bool {
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
///
/// The failure shows what the worker wrote on stderr since its last mark:
/// unless that is `own_stderr`, the blamed task's alone, even a task
/// known to be the one goes back in exact mode, to fail with its own.
pub(super) fn blame(
    unfinished: Unfinished,
    exact: bool,
    own_stderr: bool,
    queue: &mut Queue,
    mut fail: impl FnMut(u64),
) {
    let Unfinished {
        may_have_started,
        never_started,
    } = unfinished;
    for &task in never_started.iter().rev() {
        queue.again.push_front((task, false));
    }
    match (exact, may_have_started.as_slice()) {
        (_, []) => {}
        (true, [first, not_started @ ..]) if own_stderr => {
            for &task in not_started.iter().rev() {
                queue.again.push_front((task, false));
            }
            fail(*first);
        }
        (false, [task]) if own_stderr => fail(*task),
        (_, tasks) => {
            for &task in tasks.iter().rev() {
                queue.again.push_front((task, true));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    #[test]
    fn blame_falls_on_a_task_that_may_have_started_and_later_chunks_go_back_as_they_were() {
        let blamed_if =
            |may_have_started: Vec<u64>, never_started: Vec<u64>, exact: bool, own_stderr: bool| {
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
                blame(unfinished, exact, own_stderr, &mut queue, |task| {
                    failed.push(task)
                });
                (failed, Vec::from(queue.again))
            };
        let blamed = |may_have_started, never_started, exact| {
            blamed_if(may_have_started, never_started, exact, true)
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
        // A stderr that is not the blamed task's own: the one to blame runs
        // again in exact mode, to fail with its own.
        assert_eq!(
            blamed_if(vec![1], vec![3], false, false),
            (vec![], vec![(1, true), (3, false), (9, false)])
        );
        assert_eq!(
            blamed_if(vec![1, 2], vec![], true, false),
            (vec![], vec![(1, true), (2, true), (9, false)])
        );
    }
}

//! Step 2 of chapter 13, one owner per task: the tasks that wait for a
//! worker ([`Queue`]), the tasks each worker owes ([`InFlight`]), and the
//! run's results as they settle ([`Ledger`]).

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;

use super::Settled;
use super::blame::Unfinished;
use crate::failure::Failure;
use crate::outcome::Outcome;
use crate::report::ErrorReport;

/// The tasks of a run that wait for a worker: those queued again after a
/// failure, then the fresh ones, in input order.
pub(super) struct Queue {
    /// (task, exact): a task queued again after a failure runs in exact mode.
    pub(super) again: VecDeque<(u64, bool)>,
    pub(super) next_fresh: u64,
    pub(super) count: u64,
}

impl Queue {
    pub(super) fn is_empty(&self) -> bool {
        self.again.is_empty() && self.next_fresh == self.count
    }

    /// Whether the next task runs in exact mode; `None` when none waits.
    pub(super) fn next_is_exact(&self) -> Option<bool> {
        match self.again.front() {
            Some(&(_, exact)) => Some(exact),
            None => (self.next_fresh < self.count).then_some(false),
        }
    }

    /// Takes every waiting task.
    pub(super) fn drain(&mut self) -> impl Iterator<Item = u64> {
        let again: Vec<u64> = self.again.drain(..).map(|(task, _)| task).collect();
        let fresh = self.take_fresh(usize::MAX);
        again.into_iter().chain(fresh)
    }

    /// Puts the fresh tasks from `first` on back, after taking more than
    /// a chunk could hold.
    pub(super) fn give_back(&mut self, first: u64) {
        self.next_fresh = self.next_fresh.min(first);
    }

    /// Takes up to `most` fresh tasks.
    pub(super) fn take_fresh(&mut self, most: usize) -> Range<u64> {
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
pub(super) struct Ledger<I, T, P> {
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
    pub(super) fn new(inputs: Vec<I>, progress: P) -> Self {
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

    pub(super) fn is_complete(&self) -> bool {
        self.unsettled == 0
    }

    /// The input of a task that has not settled.
    pub(super) fn input(&self, task: u64) -> &I {
        let paired = self.outcomes.len();
        &self.inputs.as_slice()[task as usize - paired]
    }

    pub(super) fn settle(&mut self, task: u64, result: Settled<T>) {
        self.settle_run(task, vec![result]);
    }

    /// Settles the consecutive tasks from `first` on with `results`.
    pub(super) fn settle_run(&mut self, first: u64, results: Vec<Settled<T>>) {
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
    pub(super) fn settle_unsent(&mut self, unsent: Vec<(u64, ErrorReport)>) {
        for (task, report) in unsent {
            self.settle(task, Err(Failure::Undelivered(Box::new(report))));
        }
    }

    /// Every input with its result, once all have settled.
    pub(super) fn into_outcomes(self) -> Vec<Outcome<I, T, Box<ErrorReport>>> {
        debug_assert!(self.is_complete() && self.waiting.is_empty());
        self.outcomes
    }
}

/// The tasks a worker was sent and has not answered, in the order it runs
/// them, as runs of consecutive tasks: a chunk of fresh tasks is one run.
#[derive(Default)]
pub(super) struct InFlight {
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
    pub(super) fn push(&mut self, run: Range<u64>) {
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
    pub(super) fn end_chunk(&mut self) {
        if self.open > 0 {
            self.chunks.push_back(std::mem::take(&mut self.open));
        }
    }

    pub(super) fn len(&self) -> usize {
        self.count
    }

    pub(super) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Takes the first run's first tasks, at most `most` of them.
    pub(super) fn take_run(&mut self, most: usize) -> Option<Range<u64>> {
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
    pub(super) fn tasks(&self) -> Vec<u64> {
        self.runs.iter().cloned().flatten().collect()
    }

    /// Every task, in order, split into those of the oldest chunk owed,
    /// which may have started, and the rest, which cannot have.
    pub(super) fn unfinished(&self) -> Unfinished {
        let mut tasks = self.tasks();
        let oldest = self.chunks.front().map_or(tasks.len(), |&owed| owed);
        let never_started = tasks.split_off(oldest.min(tasks.len()));
        Unfinished {
            may_have_started: tasks,
            never_started,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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
        assert!(!in_flight.unfinished().is_empty());
        assert_eq!(in_flight.take_run(1), Some(4..5));
        assert!(in_flight.unfinished().is_empty());

        // A chunk of nothing (every input of it failed to serialize) is no
        // chunk: when the first is answered in full, the next is the oldest.
        let mut in_flight = InFlight::default();
        in_flight.push(0..3);
        in_flight.end_chunk();
        in_flight.end_chunk();
        in_flight.push(3..5);
        in_flight.end_chunk();
        assert_eq!(in_flight.take_run(3), Some(0..3));
        assert_eq!(split(&in_flight), (vec![3, 4], vec![]));
        let only_later = Unfinished {
            may_have_started: Vec::new(),
            never_started: vec![7],
        };
        assert!(!only_later.is_empty());

        // Part of a long chunk answered: the rest of it is still owed.
        let mut in_flight = InFlight::default();
        in_flight.push(0..5);
        in_flight.end_chunk();
        in_flight.push(5..7);
        in_flight.end_chunk();
        assert_eq!(in_flight.take_run(2), Some(0..2));
        assert_eq!(split(&in_flight), (vec![2, 3, 4], vec![5, 6]));

        // Results for a chunk not yet ended count against it.
        let mut in_flight = InFlight::default();
        in_flight.push(0..3);
        assert_eq!(in_flight.take_run(1), Some(0..1));
        in_flight.end_chunk();
        in_flight.push(3..5);
        in_flight.end_chunk();
        assert_eq!(split(&in_flight), (vec![1, 2], vec![3, 4]));
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

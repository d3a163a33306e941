//! Dealing chunks of tasks to the workers, starting workers as needed:
//! each worker is sent its next chunk before it finishes the one it has
//! (chapter 13, "Throughput, progress and cleanup").

use std::cell::Cell;
use std::time::Instant;

use serde::Serialize;

use super::ProcessPool;
use super::ledger::Queue;
use super::wire::{self, CHUNK_BYTES, Frame, Refused, kind};
use crate::panic::CaptureScope;
use crate::report::ErrorReport;

impl ProcessPool {
    /// Starts workers as needed and gives every hungry one that has said
    /// hello a chunk, with each task's input found by `input`. Returns the
    /// tasks that cannot be sent, with why: their inputs could not be
    /// serialized, or no worker could be started to run them.
    pub(super) fn dispatch<'a, I: Serialize + 'a>(
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
                    frame.reserve_for(fresh.end - fresh.start);
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
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use crate::pool::{Config, Hello};

    use super::*;

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
}

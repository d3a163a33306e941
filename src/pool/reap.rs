//! Step 3 of chapter 13, reaping: ending a worker (its process group
//! killed, the worker reaped) and saying how it ended, as a [`Death`].

use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{ProcessPool, Worker};
use crate::process::{Death, Exit, tail};

/// How long ending a worker waits for its stderr to close after it exits.
const PIPES_GRACE: Duration = Duration::from_millis(200);

/// How many lines of stderr are shown in a [`Death`]: enough for a panic
/// while panicking (three lines of std's after the first panic's own).
const STDERR_LINES: usize = 10;

impl Worker {
    /// Kills the worker's process group, reaps the worker, and says how it
    /// ended.
    pub(super) fn end(mut self) -> Death {
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
        let mut stderr_tail = tail(stretches.after(self.marks), STDERR_LINES);
        for note in &self.notes {
            stderr_tail.push_str(note);
            stderr_tail.push('\n');
        }
        Death { exit, stderr_tail }
    }

    /// Whether the worker process has exited, found without reaping it: a
    /// process that is not reaped keeps its group's id from being taken.
    pub(super) fn has_exited(&self) -> bool {
        use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT | WaitIdOptions::NOHANG;
        let worker = WaitId::Pid(Pid::from_child(&self.child));
        matches!(waitid(worker, options), Ok(Some(_)))
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

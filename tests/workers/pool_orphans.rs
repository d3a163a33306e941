//! Chapter 13's pool when its parent dies without dropping it: a `SIGKILL`
//! leaves no destructor to run, and a worker busy with a task that never
//! ends would run on without a parent. The worker must end anyway, with
//! the process its task started, in whatever state the parent's death
//! finds it: running a task, stopped (`SIGSTOP`, `SIGTSTP`), blocked
//! writing a result nobody reads, or stopped where no kernel rule wakes it
//! (its new parent is a subreaper of the same session, so its group is not
//! orphaned and gets no `SIGHUP`/`SIGCONT` from the kernel).
//!
//! This program is the parent, the adopter and the worker as well as the
//! test.
use crate::common;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use no_silent_failures::pool::{self, Config, ProcessPool};
use no_silent_failures::worker;

/// How long after the parent's death the worker and its task's process
/// may take to end: what the pool's documentation promises.
const ENDS_WITHIN: Duration = Duration::from_secs(2);

/// How long the test waits for a step it causes itself (a task starting, a
/// process stopping) before it calls the step failed.
const STEP_LIMIT: Duration = Duration::from_secs(20);

/// The size of the result a task returns in the blocked-writing cases:
/// far beyond any pipe's buffer, so that the worker blocks writing it.
const BIG_RESULT: usize = 8 << 20;

/// The worker's task. `hang DIR` starts a process that sleeps for ten
/// minutes, with the FIFO `DIR/announce` as its stdout, says on that FIFO
/// which processes hold it (the worker and the sleeper), and never ends.
/// `big DIR` does the same, then waits for a line on the FIFO `DIR/go` and
/// returns a result of [`BIG_RESULT`] bytes. Any other input is filler.
fn announce(input: String) -> Result<String, std::io::Error> {
    let Some((what, dir)) = input.split_once(' ') else {
        return Ok(String::new()); // one of the big inputs queued behind
    };
    let dir = Path::new(dir);
    let mut announce = OpenOptions::new().write(true).open(dir.join("announce"))?;
    // The sleeper holds the FIFO too: its end of file, at the test's end,
    // says that both processes have ended.
    let sleeper = Command::new("sleep")
        .arg("600")
        .stdout(announce.try_clone()?)
        .spawn()?;
    writeln!(announce, "{} {}", std::process::id(), sleeper.id())?;
    if what == "big" {
        let mut go = String::new();
        BufReader::new(File::open(dir.join("go"))?).read_line(&mut go)?;
        return Ok("x".repeat(BIG_RESULT));
    }
    loop {
        thread::park();
    }
}

/// The parent: a pool of one worker, with a timeout that the test never
/// reaches, running one task (`ARG1`). With `queued` as `ARG2`, also inputs
/// of over a MiB each behind it, so that the worker is sent more chunks
/// than it can hold; with `thread`, the worker is started by a thread that
/// ends before the task is sent. The test kills it mid-run.
fn parent() {
    let task = std::env::args().nth(1).expect("the task");
    let how = std::env::args().nth(2).unwrap_or_default();
    let mut inputs = vec![task];
    if how == "queued" {
        inputs.extend((0..12).map(|_| "x".repeat(1_100_000)));
    }
    let config = Config::new("announce")
        .workers(1)
        .chunk_size(16)
        .timeout(Duration::from_secs(600));
    let mut pool = ProcessPool::new(config).expect("this program's path");
    if how == "thread" {
        pool = thread::spawn(move || {
            let filler = pool.run::<String, String>(vec![String::new()]);
            assert!(filler[0].is_ok(), "{filler:?}");
            pool
        })
        .join()
        .unwrap();
    }
    let outcomes = pool.run::<String, String>(inputs);
    eprintln!("the hanging task ended: {}", outcomes.len());
}

/// A subreaper in the parent's session: it starts the parent with its own
/// arguments, prints the parent's id, adopts the parent's orphans, and
/// reaps everything once its stdin closes.
fn adopter() {
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
        .expect("Linux lets a process become a subreaper");
    let mut parent = worker::command("parent")
        .unwrap()
        .args(std::env::args().skip(1))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    println!("{}", parent.id());
    std::io::stdout().flush().unwrap();
    std::io::stdin().read_to_end(&mut Vec::new()).unwrap();
    parent.wait().unwrap();
    while rustix::process::wait(rustix::process::WaitOptions::empty()).is_ok() {}
}

/// What the worker is doing when its parent is killed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    /// Running a task that never ends.
    Running,
    /// The same, with more chunks sent than it has read.
    ChunksQueued,
    /// Stopped by this signal.
    Stopped(&'static str),
    /// Stopped by `SIGSTOP`, and adopted by a subreaper of the same
    /// session when the parent dies: no orphaned-group signal comes.
    StoppedAndAdopted,
    /// Stopped by `SIGSTOP`, having been started by a thread of the
    /// parent that has ended since (which Linux counts as a parent's death).
    StoppedAfterItsStarterEnded,
    /// Blocked writing a result, which the stopped parent does not read.
    BlockedWriting,
    /// The same, and stopped by `SIGSTOP` too.
    BlockedWritingAndStopped,
}

fn a_worker_ends_when_its_parent_is_killed_mid_task() {
    killed_parent_leaves_nothing_running(State::Running);
}

fn a_worker_with_chunks_queued_ends_when_its_parent_is_killed() {
    killed_parent_leaves_nothing_running(State::ChunksQueued);
}

fn a_worker_stopped_by_sigstop_ends_when_its_parent_is_killed() {
    killed_parent_leaves_nothing_running(State::Stopped("STOP"));
}

fn a_worker_stopped_by_sigtstp_ends_when_its_parent_is_killed() {
    killed_parent_leaves_nothing_running(State::Stopped("TSTP"));
}

fn a_stopped_worker_ends_when_a_subreaper_of_its_session_adopts_it() {
    killed_parent_leaves_nothing_running(State::StoppedAndAdopted);
}

fn a_stopped_worker_whose_starting_thread_ended_ends_when_its_parent_is_killed() {
    killed_parent_leaves_nothing_running(State::StoppedAfterItsStarterEnded);
}

fn a_worker_blocked_writing_a_result_ends_when_its_parent_is_killed() {
    killed_parent_leaves_nothing_running(State::BlockedWriting);
}

fn a_stopped_worker_blocked_writing_ends_when_its_parent_is_killed() {
    killed_parent_leaves_nothing_running(State::BlockedWritingAndStopped);
}

/// The state letter of each thread of `pid` (`R`, `S`, `T`, ...), from /proc.
fn thread_states(pid: u32) -> Vec<String> {
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    threads
        .filter_map(Result::ok)
        .filter_map(|thread| std::fs::read_to_string(thread.path().join("stat")).ok())
        .filter_map(|stat| {
            let (_, rest) = stat.rsplit_once(')')?;
            Some(rest.split_whitespace().next()?.to_owned())
        })
        .collect()
}

/// Whether every thread of `pid` is stopped: a signal that stops a
/// process takes a moment to land on each of its threads.
fn all_stopped(pid: u32) -> bool {
    let states = thread_states(pid);
    !states.is_empty() && states.iter().all(|state| state == "T")
}

/// Whether a thread of `pid` waits in the kernel's pipe write. /proc's
/// `wchan` names where a sleeping thread waits (`pipe_write`, or
/// `anon_pipe_write` on newer kernels); where it is hidden (`0`), the
/// answer is `None`.
fn blocked_writing(pid: u32) -> Option<bool> {
    let threads = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut seen = false;
    for thread in threads.filter_map(Result::ok) {
        let wchan = std::fs::read_to_string(thread.path().join("wchan")).unwrap_or_default();
        if wchan.contains("pipe_write") {
            return Some(true);
        }
        seen |= !wchan.is_empty() && wchan != "0";
    }
    seen.then_some(false)
}

/// Waits, up to [`STEP_LIMIT`], until `done` holds, checking it again each
/// millisecond: the kernel tells nobody when a process stops or blocks.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + STEP_LIMIT;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what}: not after {STEP_LIMIT:?}"
        );
        thread::sleep(Duration::from_millis(1)); // polling, not ordering
    }
}

fn signal(signal: &str, pid: u32) {
    assert_cmd::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .assert()
        .success();
}

/// A scratch directory with the task's FIFOs, removed when dropped.
struct Fifos(PathBuf);

impl Fifos {
    fn new(state: State) -> Fifos {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("pool-orphans-{}-{state:?}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for fifo in ["announce", "go"] {
            assert_cmd::Command::new("mkfifo")
                .arg(dir.join(fifo))
                .assert()
                .success();
        }
        Fifos(dir)
    }
}

impl Drop for Fifos {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts the parent, or an [`adopter`] that starts it; returns the
/// parent's id and the process the test started.
fn start_parent(task: &str, state: State) -> (u32, Child) {
    let mut command = worker::command(if state == State::StoppedAndAdopted {
        "adopter"
    } else {
        "parent"
    })
    .unwrap();
    command
        .arg(task)
        .args(match state {
            State::ChunksQueued => Some("queued"),
            State::StoppedAfterItsStarterEnded => Some("thread"),
            _ => None,
        })
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if state != State::StoppedAndAdopted {
        let parent = command.spawn().unwrap();
        return (parent.id(), parent);
    }
    let mut adopter = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(adopter.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let pid = line
        .trim()
        .parse()
        .expect("the adopter prints the parent's id");
    // The adopter's stdin stays open until the test closes it.
    (pid, adopter)
}

fn killed_parent_leaves_nothing_running(state: State) {
    let fifos = Fifos::new(state);
    let blocked = matches!(
        state,
        State::BlockedWriting | State::BlockedWritingAndStopped
    );
    let task = format!(
        "{} {}",
        if blocked { "big" } else { "hang" },
        fifos.0.display()
    );
    let (parent_pid, mut started) = start_parent(&task, state);

    // Opening a FIFO waits for its writer, and its end of file waits for
    // every writer to close it, which the worker and the sleeper do only by
    // ending. A thread of its own waits, so that the test can give up.
    let (announced, pids) = mpsc::channel();
    let (closed, all_ended) = mpsc::channel();
    let announce = fifos.0.join("announce");
    thread::spawn(move || {
        let mut reader = BufReader::new(File::open(announce).unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let pids: Vec<u32> = line
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .collect();
        announced.send((pids[0], pids[1])).unwrap();
        reader.read_to_end(&mut Vec::new()).unwrap();
        closed.send(()).unwrap();
    });
    let (worker_pid, sleeper_pid) = pids
        .recv_timeout(STEP_LIMIT)
        .expect("the worker never started its task");

    if blocked {
        signal("STOP", parent_pid);
        wait_until("the parent stopping", || all_stopped(parent_pid));
        writeln!(
            File::options()
                .write(true)
                .open(fifos.0.join("go"))
                .unwrap(),
            "go"
        )
        .unwrap();
        wait_until("the worker blocking on its write", || {
            blocked_writing(worker_pid) != Some(false)
        });
    }
    match state {
        State::Stopped(how) => signal(how, worker_pid),
        State::StoppedAndAdopted
        | State::StoppedAfterItsStarterEnded
        | State::BlockedWritingAndStopped => signal("STOP", worker_pid),
        State::Running | State::ChunksQueued | State::BlockedWriting => {}
    }
    if matches!(
        state,
        State::Stopped(_)
            | State::StoppedAndAdopted
            | State::StoppedAfterItsStarterEnded
            | State::BlockedWritingAndStopped
    ) {
        wait_until("the worker stopping", || all_stopped(worker_pid));
    }

    signal("KILL", parent_pid);
    let ended_in_time = all_ended.recv_timeout(ENDS_WITHIN).is_ok();
    let survivors: Vec<u32> = [worker_pid, sleeper_pid]
        .into_iter()
        .filter(|&pid| !common::ended(pid))
        .collect();
    // Leave nothing running, then fail.
    common::kill(&[worker_pid, sleeper_pid]);
    drop(started.stdin.take());
    started.wait().unwrap();
    assert!(
        ended_in_time,
        "{state:?}: {survivors:?} of the worker {worker_pid} and the process \
         {sleeper_pid} its task started were still running {ENDS_WITHIN:?} after \
         their parent was killed"
    );
}

/// The parent, the adopter, and the pool's workers.
pub const ROLES: &[(&str, fn())] = &[
    ("parent", parent),
    ("adopter", adopter),
    ("announce", || pool::serve(announce)),
];

pub const CHECKS: &[(&str, fn())] = &[
    (
        "a_worker_ends_when_its_parent_is_killed_mid_task",
        a_worker_ends_when_its_parent_is_killed_mid_task,
    ),
    (
        "a_worker_with_chunks_queued_ends_when_its_parent_is_killed",
        a_worker_with_chunks_queued_ends_when_its_parent_is_killed,
    ),
    (
        "a_worker_stopped_by_sigstop_ends_when_its_parent_is_killed",
        a_worker_stopped_by_sigstop_ends_when_its_parent_is_killed,
    ),
    (
        "a_worker_stopped_by_sigtstp_ends_when_its_parent_is_killed",
        a_worker_stopped_by_sigtstp_ends_when_its_parent_is_killed,
    ),
    (
        "a_stopped_worker_ends_when_a_subreaper_of_its_session_adopts_it",
        a_stopped_worker_ends_when_a_subreaper_of_its_session_adopts_it,
    ),
    (
        "a_stopped_worker_whose_starting_thread_ended_ends_when_its_parent_is_killed",
        a_stopped_worker_whose_starting_thread_ended_ends_when_its_parent_is_killed,
    ),
    (
        "a_worker_blocked_writing_a_result_ends_when_its_parent_is_killed",
        a_worker_blocked_writing_a_result_ends_when_its_parent_is_killed,
    ),
    (
        "a_stopped_worker_blocked_writing_ends_when_its_parent_is_killed",
        a_stopped_worker_blocked_writing_ends_when_its_parent_is_killed,
    ),
];

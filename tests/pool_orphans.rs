//! Chapter 13's pool when its parent dies without dropping it: a `SIGKILL`
//! leaves no destructor to run, and a worker busy with a task that never
//! ends would run on without a parent. The worker must end anyway, also
//! when it is stopped (`SIGSTOP`), and so must the process its task
//! started.
//!
//! Without libtest's harness, like `pool_values`: this program is the
//! parent and the worker as well as the test, so `worker::guard` runs first
//! in `main`, and libtest-mimic runs the test.
mod common;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use no_silent_failures::pool::{self, Config, ProcessPool};
use no_silent_failures::worker;

/// The worker's task: start a process that sleeps for ten minutes, say so
/// through the FIFO at `fifo`, with this process's id and the sleeper's,
/// and then never end, holding the FIFO open for as long as the process
/// lives.
fn announce_and_hang(fifo: String) -> Result<(), std::io::Error> {
    if !fifo.starts_with('/') {
        return Ok(()); // one of the big inputs queued behind
    }
    let sleeper = Command::new("sleep").arg("600").spawn()?;
    let mut fifo = OpenOptions::new().write(true).open(fifo)?;
    writeln!(fifo, "{} {}", std::process::id(), sleeper.id())?;
    loop {
        thread::park();
    }
}

/// The parent: a pool of one worker, with a timeout that the test never
/// reaches, running one task that hangs; with a second argument, also
/// inputs of over a MiB each behind it, so that the worker is sent more
/// chunks than it can hold. The test kills it mid-run.
fn parent() {
    let fifo = std::env::args().nth(1).expect("the FIFO's path");
    let mut inputs = vec![fifo];
    if std::env::args().nth(2).is_some() {
        inputs.extend((0..12).map(|_| "x".repeat(1_100_000)));
    }
    let config = Config::new("hang")
        .workers(1)
        .chunk_size(16)
        .timeout(Duration::from_secs(600));
    let mut pool = ProcessPool::new(config).expect("this program's path");
    let outcomes = pool.run::<String, ()>(inputs);
    eprintln!("the hanging task ended: {outcomes:?}");
}

/// How long the test waits for a step before it calls the step failed.
const LIMIT: Duration = Duration::from_secs(20);

fn a_worker_ends_when_its_parent_is_killed_mid_task() {
    killed_parent_leaves_nothing_running(false, false);
}

fn a_stopped_worker_ends_when_its_parent_is_killed() {
    killed_parent_leaves_nothing_running(true, false);
}

fn a_worker_with_chunks_queued_ends_when_its_parent_is_killed() {
    killed_parent_leaves_nothing_running(false, true);
}

/// Whether every thread of `pid` is stopped (state `T` in /proc).
fn all_stopped(pid: u32) -> bool {
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    threads.filter_map(Result::ok).all(|thread| {
        std::fs::read_to_string(thread.path().join("stat")).is_ok_and(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                == Some("T")
        })
    })
}

/// Whether `pid` ends within [`LIMIT`].
fn ends_within_limit(pid: u32) -> bool {
    let deadline = std::time::Instant::now() + LIMIT;
    while !common::ended(pid) {
        if std::time::Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10)); // polling, not ordering
    }
    true
}

fn killed_parent_leaves_nothing_running(stop_the_worker: bool, chunks_queued: bool) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "pool-orphans-{}-{stop_the_worker}-{chunks_queued}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("hanging");
    assert_cmd::Command::new("mkfifo")
        .arg(&fifo)
        .assert()
        .success();

    let mut parent = worker::command("parent")
        .unwrap()
        .arg(&fifo)
        .args(chunks_queued.then_some("big inputs queued"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Opening a FIFO waits for its writer, and its end of file waits for
    // every writer to close it, which the worker does only by ending. A
    // thread of its own waits, so that the test can give up.
    let (started, worker_started) = mpsc::channel();
    let (ended, worker_ended) = mpsc::channel();
    let reading = fifo.clone();
    thread::spawn(move || {
        let mut reader = BufReader::new(File::open(reading).unwrap());
        let mut pid = String::new();
        reader.read_line(&mut pid).unwrap();
        let pids: Vec<u32> = pid.split_whitespace().map(|p| p.parse().unwrap()).collect();
        started.send((pids[0], pids[1])).unwrap();
        reader.read_to_end(&mut Vec::new()).unwrap();
        ended.send(()).unwrap();
    });

    let pids = worker_started.recv_timeout(LIMIT);
    if let (true, Ok((worker_pid, _))) = (stop_the_worker, &pids) {
        assert_cmd::Command::new("kill")
            .args(["-STOP", &worker_pid.to_string()])
            .assert()
            .success();
        // The kernel ends a stopped group that loses its parent, if it is
        // stopped by then: a `SIGSTOP` takes a moment to land on every
        // thread of the worker, and only then is the worker stopped.
        let deadline = std::time::Instant::now() + LIMIT;
        while !all_stopped(*worker_pid) && std::time::Instant::now() < deadline {
            thread::yield_now();
        }
    }
    parent.kill().unwrap();
    parent.wait().unwrap();
    let (outlived, sleeper_outlived) = match &pids {
        Ok((worker_pid, sleeper_pid)) => {
            let outlived = worker_ended.recv_timeout(LIMIT).is_err();
            let sleeper_outlived = !ends_within_limit(*sleeper_pid);
            // Leave nothing running, then fail.
            common::kill(&[*worker_pid, *sleeper_pid]);
            (outlived, sleeper_outlived)
        }
        Err(_) => (false, false),
    };
    std::fs::remove_file(&fifo).unwrap();
    std::fs::remove_dir(&dir).unwrap();
    let (worker_pid, sleeper_pid) = pids.expect("the worker never started its task");
    assert!(
        !outlived,
        "worker {worker_pid} (stopped: {stop_the_worker}) was still running {LIMIT:?} after \
         its parent was killed"
    );
    assert!(
        !sleeper_outlived,
        "the process {sleeper_pid} its task started outlived the killed parent"
    );
}

fn main() -> std::process::ExitCode {
    worker::guard(&[
        ("parent", parent),
        ("hang", || pool::serve(announce_and_hang)),
    ]);
    common::run_checks(&[
        (
            "a_worker_ends_when_its_parent_is_killed_mid_task",
            a_worker_ends_when_its_parent_is_killed_mid_task,
        ),
        (
            "a_stopped_worker_ends_when_its_parent_is_killed",
            a_stopped_worker_ends_when_its_parent_is_killed,
        ),
        (
            "a_worker_with_chunks_queued_ends_when_its_parent_is_killed",
            a_worker_with_chunks_queued_ends_when_its_parent_is_killed,
        ),
    ])
}

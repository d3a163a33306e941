//! Chapter 13's pool when its parent dies without dropping it: a `SIGKILL`
//! leaves no destructor to run, and a worker busy with a task that never
//! ends would run on without a parent. The worker must end anyway.
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

/// The worker's task: say so through the FIFO at `fifo`, with this
/// process's id, and then never end, holding the FIFO open for as long as
/// the process lives.
fn announce_and_hang(fifo: String) -> Result<(), std::io::Error> {
    let mut fifo = OpenOptions::new().write(true).open(fifo)?;
    writeln!(fifo, "{}", std::process::id())?;
    loop {
        thread::park();
    }
}

/// The parent: a pool of one worker, with a timeout that the test never
/// reaches, running one task that hangs. The test kills it mid-run.
fn parent() {
    let fifo = std::env::args().nth(1).expect("the FIFO's path");
    let config = Config::new("hang")
        .workers(1)
        .timeout(Duration::from_secs(600));
    let mut pool = ProcessPool::new(config).expect("this program's path");
    let outcomes = pool.run::<String, ()>(vec![fifo]);
    eprintln!("the hanging task ended: {outcomes:?}");
}

/// How long the test waits for a step before it calls the step failed.
const LIMIT: Duration = Duration::from_secs(20);

fn a_worker_ends_when_its_parent_is_killed_mid_task() {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pool-orphans-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("hanging");
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(
        made.as_ref().is_ok_and(|s| s.success()),
        "mkfifo failed: {made:?}"
    );

    let mut parent = worker::command("parent")
        .unwrap()
        .arg(&fifo)
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
        started.send(pid.trim().parse::<u32>().unwrap()).unwrap();
        reader.read_to_end(&mut Vec::new()).unwrap();
        ended.send(()).unwrap();
    });

    let worker_pid = worker_started.recv_timeout(LIMIT);
    parent.kill().unwrap();
    parent.wait().unwrap();
    let outlived = match &worker_pid {
        Ok(pid) => {
            let outlived = worker_ended.recv_timeout(LIMIT).is_err();
            if outlived {
                // Leave nothing running, then fail.
                common::kill(&[*pid]);
            }
            outlived
        }
        Err(_) => false,
    };
    std::fs::remove_file(&fifo).unwrap();
    std::fs::remove_dir(&dir).unwrap();
    let worker_pid = worker_pid.expect("the worker never started its task");
    assert!(
        !outlived,
        "worker {worker_pid} was still running its task {LIMIT:?} after its parent was killed"
    );
}

fn main() -> std::process::ExitCode {
    worker::guard(&[
        ("parent", parent),
        ("hang", || pool::serve(announce_and_hang)),
    ]);
    common::run_checks(&[(
        "a_worker_ends_when_its_parent_is_killed_mid_task",
        a_worker_ends_when_its_parent_is_killed_mid_task,
    )])
}

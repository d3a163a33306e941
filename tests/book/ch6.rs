//! Chapter 6: a child process that dies, and a parent that does not look.
use crate::common;

use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::common::{example_binary, line_of, run};
use no_silent_failures::process::{Exit, tail};
use no_silent_failures::worker::ROLE_VAR;
use predicates::str::{contains, starts_with};

const JOBS: &str = "chapters/06-silent-child-death/jobs.rs";

#[test]
fn swallowed_run_exits_0_with_four_of_five_results_missing() {
    let run = run("ch6", &[]);
    snapshot!("ch6-swallowed", run);
    run.assert()
        .code(0)
        .stdout("all 5 jobs finished; results: [42]\n")
        // The panic message was captured with the child's stderr and
        // dropped.
        .stderr("");
}

#[cfg(unix)]
#[test]
fn fixed_run_classifies_every_death() {
    let run = run("ch6-fixed", &[]);
    snapshot!("ch6-fixed", run);
    let line = line_of(JOBS, "panic!(\"checksum mismatch");
    run.assert()
        .code(1)
        .stdout("resize: 42\n1 of 5 jobs succeeded, 4 failed\n")
        .stderr(format!(
            "error: checksum: worker exited with code 101 before delivering a result\n\
             \x20 stderr: thread 'main' ([tid]) panicked at {JOBS}:{line}:23:\n\
             \x20 stderr: checksum mismatch in block 7\n\
             error: upload: worker killed by signal 6 (SIGABRT) before delivering a result\n\
             error: index: worker killed by signal 9 (SIGKILL) before delivering a result\n\
             error: thumbnail: worker exited with code 0 before delivering a result\n"
        ));
}

/// The demo's self-kill never fails quietly: when `kill` cannot be run (no
/// `sh` on an empty PATH), the worker says why and aborts, rather than
/// carrying on as if it had been killed.
#[cfg(unix)]
#[test]
fn a_worker_that_cannot_kill_itself_says_why_and_aborts() {
    let run = common::run_program(
        &example_binary("ch6"),
        "ch6 worker index, with an empty PATH",
        &["index"],
        &[(ROLE_VAR, "job"), ("PATH", "")],
    );
    assert_eq!(run.ending, common::Ending::Signal(6), "{}", run.render());
    run.assert()
        .interrupted()
        .stderr(starts_with("kill_self: could not run `sh -c kill`: "));
}

#[test]
fn a_child_whose_stderr_pipe_is_never_read_blocks_once_the_pipe_is_full() {
    // The chatty job writes about 1 MiB to stderr. Nobody reads the pipe, so
    // the child blocks in write() when the pipe is full, and never exits.
    let mut child = std::process::Command::new(example_binary("ch6"))
        .env(ROLE_VAR, "job")
        .arg("chatty")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (exited, exit_seen) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait().unwrap();
        let _ = exited.send(());
        status
    });
    // However long we wait, it cannot finish: 300 ms proves nothing about
    // speed, only that it is stuck rather than done.
    assert_eq!(
        exit_seen.recv_timeout(Duration::from_millis(300)),
        Err(mpsc::RecvTimeoutError::Timeout)
    );
    // Reading the pipe unblocks it; then it is reaped.
    let mut drained = Vec::new();
    std::io::Read::read_to_end(&mut stderr, &mut drained).unwrap();
    assert_eq!(drained.len(), "log line\n".len() * 128 * 1024);
    assert!(waiter.join().unwrap().success());
}

#[test]
fn exit_statuses_classify_as_code_or_signal() {
    let status = |script: &str| {
        std::process::Command::new("sh")
            .args(["-c", script])
            .status()
            .unwrap()
    };
    assert_eq!(Exit::of(status("exit 0")), Exit::Code(0));
    assert_eq!(Exit::of(status("exit 101")), Exit::Code(101));
    #[cfg(unix)]
    {
        assert_eq!(Exit::of(status("kill -ABRT $$")), Exit::Signal(6));
        assert_eq!(
            Exit::of(status("kill -KILL $$")).to_string(),
            "killed by signal 9 (SIGKILL)"
        );
    }
    assert_eq!(tail(b"a\nb\nc\nd\n", 3), "b\nc\nd\n");
}

#[test]
fn in_python_a_crashed_process_prints_its_traceback_and_exits_1() {
    let Some(run) = common::python("chapters/06-silent-child-death/process_crash.py") else {
        return;
    };
    snapshot!("ch6-python", run);
    // Non-zero, as the article says, but the traceback is not lost: it goes
    // to the inherited stderr.
    run.assert()
        .code(0)
        .stdout("exitcode: 1\nkilled child's exitcode: -9\n")
        .stderr("RuntimeError: checksum mismatch in block 7\n");
    run.assert_unabridged()
        .stderr(contains("Traceback (most recent call last)"))
        .stderr(contains("in crasher"));
}

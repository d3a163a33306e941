//! Chapter 13's pool, built in steps: each step runs beside the step before
//! it, on the input that breaks the step before, and gets it right.
use crate::common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{example_binary, line_of, run};

/// A worker killed with SIGKILL in the middle of its share.
const KILLED: [&str; 4] = ["square 2", "kill", "square 3", "square 4"];
/// A worker killed after a task whose answer waits in its buffer.
const KILLED_LATER: [&str; 6] = [
    "square 1", "square 2", "square 3", "kill", "square 5", "square 6",
];
/// A worker that aborts, after a line on stderr.
const ABORTED: [&str; 4] = ["square 2", "abort", "square 3", "square 4"];
/// A task that never ends.
const HUNG: [&str; 4] = ["square 2", "hang", "square 3", "square 4"];
/// A task that prints a line shaped like an answer.
const FORGED: [&str; 3] = ["forge", "square 2", "square 3"];

/// The timeout of steps 4 to 6 (`TIMEOUT` in their files): a second, so
/// that a worker slow to start on a loaded machine is not taken for a hang.
const TIMEOUT: Duration = Duration::from_secs(1);

const STEP: &str = "chapters/13-capstone-process-pool/step";

#[test]
fn step1_naive_pool_loses_a_killed_workers_answers_and_exits_0() {
    let run = run("ch13-step1", &KILLED);
    snapshot!("ch13-step1", run);
    assert_eq!(run.code(), Some(0));
    // The task that killed its worker, and the one dealt to it after, are
    // gone; the count takes every task it did not see fail for a success.
    assert_eq!(
        run.stdout,
        "#0 \"square 2\": 4\n#2 \"square 3\": 9\n4 succeeded, 0 failed\n"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn step2_gives_every_task_of_a_dead_worker_an_outcome_where_step1_lost_them() {
    let before = run("ch13-step1", &KILLED);
    assert!(!before.stdout.contains("kill") && !before.stdout.contains("square 4"));
    assert!(before.error_lines().is_empty());
    let run = run("ch13-step2", &KILLED);
    snapshot!("ch13-step2", run);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.error_lines(),
        [
            "error: \"kill\": its worker died before answering",
            "error: \"square 4\": its worker died before answering",
        ]
    );
}

#[test]
fn step3_names_the_signal_and_the_stderr_line_where_step2_says_only_died() {
    let before = run("ch13-step2", &ABORTED);
    assert_eq!(
        before.error_lines(),
        [
            "error: \"abort\": its worker died before answering",
            "error: \"square 4\": its worker died before answering",
        ]
    );
    // The worker's last words are on the pool's stderr, tied to no task.
    assert!(
        before
            .stderr
            .starts_with("task \"abort\": out of options, aborting\n")
    );
    let run = run("ch13-step3", &ABORTED);
    snapshot!("ch13-step3", run);
    assert_eq!(run.code(), Some(1));
    let death = "worker killed by signal 6 (SIGABRT); \
                 its stderr: task \"abort\": out of options, aborting";
    assert_eq!(
        run.error_lines(),
        [
            format!("error: \"abort\": {death}"),
            format!("error: \"square 4\": {death}"),
        ]
    );
    let killed = common::run("ch13-step3", &KILLED);
    assert_eq!(
        killed.error_lines()[0],
        "error: \"kill\": worker killed by signal 9 (SIGKILL)"
    );
}

/// Whether `example` is still running after `limit`. It runs in a process
/// group of its own, which is killed at the end, with its workers.
fn still_running_after(example: &str, args: &[&str], limit: Duration) -> bool {
    let mut child = Command::new(example_binary(example))
        .args(args)
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the example");
    let group = child.id();
    // The limit is on a wait that ends at once when the example does:
    // never a sleep.
    let (ended, ended_rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let _ = child.wait();
        let _ = ended.send(());
    });
    let running = ended_rx.recv_timeout(limit).is_err();
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .status();
    waiter.join().expect("the example is reaped");
    running
}

#[test]
fn step4_times_out_a_hung_task_where_step3_waits_for_ever() {
    line_of(
        &format!("{STEP}4_timeout.rs"),
        "const TIMEOUT: Duration = Duration::from_secs(1);",
    );
    let started = Instant::now();
    let run = run("ch13-step4", &HUNG);
    assert!(started.elapsed() >= TIMEOUT);
    snapshot!("ch13-step4", run);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.error_lines(),
        [
            "error: \"hang\": timed out: no answer for 1s",
            "error: \"square 4\": timed out: no answer for 1s",
        ]
    );
    // Step 3 on the same tasks: still waiting long after step 4 gave up.
    assert!(still_running_after("ch13-step3", &HUNG, TIMEOUT * 3));
}

#[test]
fn step5_blames_only_the_culprit_where_step4_blames_its_whole_share() {
    // The dead worker's first unanswered task, "square 2", did its work:
    // its answer died in the worker's buffer.
    let before = run("ch13-step4", &KILLED_LATER);
    let death = "worker killed by signal 9 (SIGKILL)";
    assert_eq!(
        before.error_lines(),
        [
            format!("error: \"square 2\": {death}"),
            format!("error: \"kill\": {death}"),
            format!("error: \"square 6\": {death}"),
        ]
    );
    let killed = run("ch13-step5", &KILLED_LATER);
    assert_eq!(killed.code(), Some(1));
    assert_eq!(killed.error_lines(), [format!("error: \"kill\": {death}")]);
    assert_eq!(
        killed.stdout,
        "#0 \"square 1\": 1\n#1 \"square 2\": 4\n#2 \"square 3\": 9\n\
         #4 \"square 5\": 25\n#5 \"square 6\": 36\n5 succeeded, 1 failed\n"
    );
    // A hang costs two timeouts: one to see the share is stuck, one to see
    // which task is.
    line_of(
        &format!("{STEP}5_exact_blame.rs"),
        "const TIMEOUT: Duration = Duration::from_secs(1);",
    );
    let started = Instant::now();
    let run = run("ch13-step5", &HUNG);
    assert!(started.elapsed() >= TIMEOUT * 2);
    snapshot!("ch13-step5", run);
    assert_eq!(
        run.error_lines(),
        ["error: \"hang\": timed out: no answer for 1s"]
    );
    assert_eq!(
        run.stdout,
        "#0 \"square 2\": 4\n#2 \"square 3\": 9\n#3 \"square 4\": 16\n3 succeeded, 1 failed\n"
    );
}

#[test]
fn step6_keeps_a_forged_line_out_of_the_answers_where_step5_takes_it_for_one() {
    let before = run("ch13-step5", &FORGED);
    snapshot!("ch13-step6-before", before);
    // Every task "succeeded", and two of the answers are wrong.
    assert_eq!(before.code(), Some(0));
    assert_eq!(
        before.stdout,
        "#0 \"forge\": forged\n#1 \"square 2\": 4\n\
         #2 \"square 3\": printed a forged answer\n3 succeeded, 0 failed\n"
    );
    let run = run("ch13-step6", &FORGED);
    snapshot!("ch13-step6", run);
    assert_eq!(run.code(), Some(0));
    assert_eq!(
        run.stdout,
        "#0 \"forge\": printed a forged answer\n#1 \"square 2\": 4\n\
         #2 \"square 3\": 9\n3 succeeded, 0 failed\n"
    );
}

#[test]
fn step6_reports_deaths_and_hangs_as_step5_does() {
    for tasks in [&KILLED[..], &KILLED_LATER[..], &ABORTED[..], &HUNG[..]] {
        // Side by side: a hang costs each two timeouts.
        let (step5, step6) = thread::scope(|s| {
            let step5 = s.spawn(|| run("ch13-step5", tasks));
            let step6 = run("ch13-step6", tasks);
            (step5.join().expect("step 5 ran"), step6)
        });
        assert_eq!(
            (step5.ending, &step5.stdout, &step5.stderr),
            (step6.ending, &step6.stdout, &step6.stderr),
            "{tasks:?}"
        );
    }
}

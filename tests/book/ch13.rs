//! Chapter 13: the capstone process pool, against a naive one and Python.
use crate::common;

use std::time::{Duration, Instant};

use crate::common::{example_binary, gone, line_of, run, within};
use no_silent_failures::failure::Failure;
use no_silent_failures::pool::{Config, ProcessPool};
use no_silent_failures::process::Exit;
use no_silent_failures::worker::UNKNOWN_ROLE_EXIT;
use predicates::str::{ends_with, starts_with};

const TASKS: &str = "chapters/13-capstone-process-pool/tasks.rs";
const SWALLOWED: &str = "chapters/13-capstone-process-pool/swallowed.rs";

/// How long the naive pool waits for an answer (`PATIENCE` in swallowed.rs).
const NAIVE_PATIENCE: Duration = Duration::from_millis(300);

#[test]
fn swallowed_run_stalls_then_exits_0_with_six_of_eight_results_missing() {
    // The program's patience is the one this test expects.
    line_of(
        SWALLOWED,
        "const PATIENCE: Duration = Duration::from_millis(300);",
    );
    let started = Instant::now();
    let run = run("ch13", &[]);
    // The six missing answers stall the receiving loop until its patience
    // runs out: a lower bound, so no timing can make it flaky.
    assert!(started.elapsed() >= NAIVE_PATIENCE);
    snapshot!("ch13-swallowed", run);
    run.assert()
        .code(0)
        .stdout("square 12: 144\nsquare 7: 49\npool finished: 2 results\n");
}

#[test]
fn swallowed_pool_answers_all_only_when_nothing_fails_and_ends_even_on_a_hang() {
    run("ch13", &["square 2", "square 3", "square 4"])
        .assert()
        .stdout("square 2: 4\nsquare 3: 9\nsquare 4: 16\npool finished: 3 results\n");
    // With every worker alive, a returned error still goes missing.
    run("ch13", &["square 2", "square x", "square 3"])
        .assert()
        .code(0)
        .stdout("square 2: 4\nsquare 3: 9\npool finished: 2 results\n");
    // A hung task costs one patience, and the hung worker is killed.
    let started = Instant::now();
    let run_hang = run("ch13", &["square 2", "hang", "square 3"]);
    assert!(started.elapsed() >= NAIVE_PATIENCE);
    run_hang
        .assert()
        .code(0)
        .stdout("square 2: 4\nsquare 3: 9\npool finished: 2 results\n");
}

#[cfg(unix)]
#[test]
fn fixed_run_gives_every_input_exactly_one_outcome() {
    let run = run("ch13-fixed", &[]);
    snapshot!("ch13-fixed", run);
    let line = line_of(TASKS, "panic!(\"task {input:?} panicked\")");
    run.assert()
        .code(1)
        .stdout(
            "#0 \"square 7\": 49\n\
             #3 \"square 12\": 144\n\
             #7 \"noise 5\": 5\n\
             3 of 8 succeeded, 5 failed; 8 outcomes reported as they came\n",
        )
        // Failures on stderr, each `error: INPUT: REASON`, a death with the
        // lines its own task wrote on stderr.
        .stderr(format!(
            "error: \"square x\": returned an error: \"x\" is not a number\n\
             error: \"panic\": panicked at {TASKS}:{line}:25: task \"panic\" panicked\n\
             error: \"abort\": worker killed by signal 6 (SIGABRT) before delivering a result\n\
             \x20   stderr: task \"abort\": out of options, aborting\n\
             error: \"kill\": worker killed by signal 9 (SIGKILL) before delivering a result\n\
             error: \"exit0\": worker exited with code 0 before delivering a result\n"
        ));
}

#[test]
fn fixed_run_times_out_a_hang_and_brings_an_8_mib_result_home_whole() {
    // The run the chapter suggests trying.
    let started = Instant::now();
    let run = run("ch13-fixed", &["square 3", "hang", "big 8", "square 4"]);
    // Two timeouts of 500 ms: the stuck chunk, then the culprit alone.
    assert!(started.elapsed() >= Duration::from_secs(1));
    run.assert()
        .code(1)
        .stdout(
            "#0 \"square 3\": 9\n\
             #2 \"big 8\": 8388608 bytes\n\
             #3 \"square 4\": 16\n\
             3 of 4 succeeded, 1 failed; 4 outcomes reported as they came\n",
        )
        .stderr("error: \"hang\": timed out after 500ms\n");
}

fn pool(timeout: Duration) -> ProcessPool {
    pool_of(2, 3, timeout)
}

fn pool_of(workers: usize, chunk_size: usize, timeout: Duration) -> ProcessPool {
    ProcessPool::new(common::ch13_workers(workers, chunk_size, timeout)).unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn a_pool_dropped_while_unwinding_kills_and_reaps_its_workers() {
    let mut pids = Vec::new();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut pool = pool(Duration::from_secs(10));
        let outcomes = pool.run::<String, String>(vec!["square 2".into(), "square 3".into()]);
        assert_eq!(outcomes.len(), 2);
        pids = pool.worker_pids();
        // The caller panics with the pool alive.
        no_silent_failures::panic::catch(|| panic!("the caller fails")).unwrap_err();
        std::panic::resume_unwind(Box::new("the caller fails"));
    }));
    assert!(unwound.is_err());
    assert_eq!(pids.len(), 2);
    assert!(
        pids.iter().all(|&pid| gone(pid)),
        "workers {pids:?} outlived the pool"
    );
}

#[test]
fn a_hung_task_times_out_and_the_pool_carries_on() {
    let timeout = Duration::from_millis(300);
    let inputs: Vec<String> = ["square 2", "hang", "square 3", "square 4"]
        .map(String::from)
        .to_vec();
    let started = Instant::now();
    let outcomes = within("a run with a hung task", move || {
        pool(timeout).run::<String, String>(inputs)
    });
    // One timeout to see that the chunk is stuck, one in exact mode to see
    // which task is.
    assert!(started.elapsed() >= 2 * timeout);
    let shown: Vec<String> = outcomes
        .iter()
        .map(|o| match &o.result {
            Ok(value) => value.clone(),
            Err(failure) => failure.to_string(),
        })
        .collect();
    assert_eq!(shown, ["4", "timed out after 300ms", "9", "16"]);
}

#[test]
fn a_timeout_ends_the_stuck_worker_and_not_one_that_shows_progress() {
    // One worker hangs; the other runs chunks of one task of 300 ms back
    // to back, sending a result after each, so that it has always shown
    // progress well within the timeout. When the hang's timeout comes,
    // the busy worker owes a task too: ending it as well would fail that
    // task with a timeout it never had.
    let timeout = Duration::from_secs(1);
    let mut inputs = vec!["hang".to_owned()];
    inputs.extend(std::iter::repeat_n("slow 300".to_owned(), 8));
    let outcomes = within("a run with a hang beside a busy worker", move || {
        pool_of(2, 1, timeout).run::<String, String>(inputs)
    });
    assert!(outcomes[0].result.as_ref().is_err_and(|f| f.is_timeout()));
    for outcome in &outcomes[1..] {
        assert_eq!(
            outcome.value().map(String::as_str),
            Some("300 ms of work"),
            "{:?}",
            outcome.result
        );
    }
}

#[test]
fn a_worker_that_owes_nothing_is_never_timed_out() {
    // One chunk of four tasks of 400 ms keeps one worker busy for longer
    // than the timeout, with a result after each; the other has one quick
    // task or none, then waits. Waiting for work is no hang: both workers
    // are still there when the run ends.
    let timeout = Duration::from_secs(1);
    let mut inputs: Vec<String> = std::iter::repeat_n("slow 400".to_owned(), 4).collect();
    inputs.push("square 1".into());
    let (outcomes, pids) = within("a run with an idle worker", move || {
        let mut pool = pool_of(2, 4, timeout);
        (pool.run::<String, String>(inputs), pool.worker_pids())
    });
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    assert_eq!(pids.len(), 2);
}

#[test]
fn a_hung_workers_next_chunk_goes_back_untouched() {
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let (outcomes, workers) = within("a run with a hung task", move || {
        let mut pool = pool_of(1, 1, timeout);
        let outcomes = pool.run::<String, String>(vec!["hang".into(), "square 2".into()]);
        (outcomes, pool.workers_started())
    });
    // The one worker was sent both one-task chunks at once (it holds its
    // next chunk before it finishes the first), so when it hangs it owes
    // two tasks. Only the first chunk can have started: the hang is
    // blamed at the first timeout, and "square 2" goes to a new worker as
    // it was. Were both taken for tasks that may have started, they would
    // go back in exact mode, and a third worker would hang again.
    assert!(started.elapsed() >= timeout, "{:?}", started.elapsed());
    assert!(outcomes[0].result.as_ref().is_err_and(|f| f.is_timeout()));
    assert_eq!(outcomes[1].value().map(String::as_str), Some("4"));
    assert_eq!(workers, 2);
}

#[test]
fn a_full_batch_of_results_comes_home_before_its_chunk_ends() {
    let timeout = Duration::from_secs(10);
    // No batch is sent for the time that has passed: only for its size.
    let config = common::ch13_workers(1, 5000, timeout).flush_interval(Duration::from_secs(3600));
    let mut pool = ProcessPool::new(config).unwrap();
    // Some 40 KiB of results, then a task that never ends: one chunk.
    let mut inputs: Vec<String> = (0..4000).map(|n| format!("square {n}")).collect();
    inputs.push("hang".into());
    // Sent only at the end of the chunk, the first result would come after
    // the hang's timeout, from exact mode.
    let first_result_after = first_result_after(&mut pool, inputs);
    assert!(first_result_after < timeout, "{first_result_after:?}");
}

/// How long `inputs` take to bring their first result home; the run is
/// abandoned there (a panic in its progress callback).
fn first_result_after(pool: &mut ProcessPool, inputs: Vec<String>) -> Duration {
    let started = Instant::now();
    let mut first_result_after = None;
    let stopped = no_silent_failures::panic::catch(|| {
        pool.run_with_progress::<String, String>(inputs, |_, _| {
            first_result_after = Some(started.elapsed());
            panic!("seen one: enough");
        })
    });
    assert!(stopped.is_err());
    first_result_after.expect("a result came")
}

#[cfg(target_os = "linux")]
#[test]
fn a_process_a_dead_task_left_behind_ends_with_its_worker_and_delays_nothing() {
    let timeout = Duration::from_secs(20);
    let started = Instant::now();
    let outcomes = within("a run with an orphan", move || {
        pool(timeout).run::<String, String>(vec!["orphan".into(), "square 2".into()])
    });
    let elapsed = started.elapsed();
    let Err(Failure::Died(death)) = &outcomes[0].result else {
        panic!("expected a death, got {:?}", outcomes[0].result);
    };
    // The process the task left behind, which holds the worker's stderr.
    let orphan: Vec<u32> = death
        .stderr_tail
        .lines()
        .filter_map(|line| line.strip_prefix("started process ")?.parse().ok())
        .collect();
    assert_eq!(orphan.len(), 1, "{death:?}");
    let ended = common::ends_soon(orphan[0]);
    common::kill(&orphan);
    // It was in the worker's process group, killed with it.
    assert!(ended, "the orphan {orphan:?} outlived its worker");
    assert_eq!(death.exit, Exit::Signal(9));
    assert_eq!(outcomes[1].value().map(String::as_str), Some("4"));
    // The private channel closed with the worker: the death was seen at
    // once, not at the timeout.
    assert!(elapsed < timeout / 2, "{elapsed:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn processes_left_writing_on_stdout_and_stderr_cannot_touch_the_results() {
    let timeout = Duration::from_secs(20);
    // Two `yes` at full speed on the worker's stdout and stderr, a process
    // that writes there until it is killed, and a frame forged on stdout;
    // then results of a few MiB, which once shared stdout with them.
    let mut inputs: Vec<String> = ["flood", "spam", "forge", "square 3"]
        .map(String::from)
        .to_vec();
    inputs.extend((0..6).map(|_| "big 2".to_owned()));
    inputs.push("stdin".into());
    let (outcomes, spammer) = within("a run beside a flood", move || {
        let mut pool = pool_of(1, 20, timeout);
        let outcomes = pool.run::<String, String>(inputs);
        let spammer: u32 = outcomes[1].value().unwrap().parse().unwrap();
        assert!(
            !common::ended(spammer),
            "the spammer should live as long as its worker"
        );
        (outcomes, spammer)
    });
    let values: Vec<&str> = outcomes
        .iter()
        .map(|o| o.value().unwrap().as_str())
        .collect();
    assert_eq!(
        values[..4],
        ["flooding", values[1], "printed a forged frame", "9"]
    );
    for big in &values[4..10] {
        assert!(big.len() == 2 << 20 && big.bytes().all(|b| b == b'x'));
    }
    assert_eq!(values[10], "read 0 bytes from stdin");
    // Dropping the pool ended the worker's process group.
    assert!(
        common::ends_soon(spammer),
        "the spammer {spammer} outlived the pool"
    );
}

#[test]
fn a_task_that_exits_with_any_status_is_a_death_of_its_own() {
    // 64 and 65 were the statuses of a worker that could not serve; a
    // task's exit says nothing about its worker now.
    for code in [64, 65, 70] {
        let inputs = vec![format!("exit {code}"), "square 5".into()];
        let outcomes = within("a run with an exit", move || {
            pool_of(1, 2, Duration::from_secs(20)).run::<String, String>(inputs)
        });
        assert!(
            matches!(&outcomes[0].result, Err(Failure::Died(d)) if d.exit == Exit::Code(code)),
            "{:?}",
            outcomes[0].result
        );
        assert_eq!(outcomes[1].value().map(String::as_str), Some("25"));
    }
}

#[test]
fn a_death_report_shows_its_own_tasks_stderr_and_a_first_panic() {
    let inputs: Vec<String> = ["noise 1", "abort", "noise 2", "panic-twice"]
        .map(String::from)
        .to_vec();
    let outcomes = within("a run with deaths", move || {
        pool_of(1, 4, Duration::from_secs(20)).run::<String, String>(inputs)
    });
    let Err(Failure::Died(abort)) = &outcomes[1].result else {
        panic!("{:?}", outcomes[1].result);
    };
    assert_eq!(
        abort.stderr_tail,
        "task \"abort\": out of options, aborting\n"
    );
    let Err(Failure::Died(twice)) = &outcomes[3].result else {
        panic!("{:?}", outcomes[3].result);
    };
    let line = line_of(
        TASKS,
        "panic!(\"task {input:?} panicked first\\nover three\\nlines\")",
    );
    // The first panic, all three lines of it, before what std prints as
    // the second one aborts the process.
    assert!(
        twice.stderr_tail.starts_with(&format!(
            "panicked in thread 'main' at {TASKS}:{line}:13: task \"panic-twice\" panicked first\n\
             over three\nlines\n"
        )),
        "{}",
        twice.stderr_tail
    );
    assert!(
        !twice.stderr_tail.contains("a warning on stderr"),
        "{}",
        twice.stderr_tail
    );
    assert_eq!(twice.exit, Exit::Signal(6));
}

#[test]
fn a_death_after_a_batch_sent_without_a_mark_still_shows_only_its_own_stderr() {
    // "big 1" fills a batch, which goes home at once and without a mark on
    // stderr; "abort", the chunk's last task, dies after it. The stderr
    // since the last mark holds "noise 1"'s warning too, so the pool runs
    // "abort" again, in exact mode, before it blames it.
    // No batch goes home for the time that has passed, which would put a
    // mark after "noise 1" and hide its warning from this test.
    let config = common::ch13_workers(1, 3, Duration::from_secs(20))
        .flush_interval(Duration::from_secs(3600));
    let inputs: Vec<String> = ["noise 1", "big 1", "abort"].map(String::from).to_vec();
    let (outcomes, started) = within("a run with a death after a full batch", move || {
        let mut pool = ProcessPool::new(config).unwrap();
        (pool.run::<String, String>(inputs), pool.workers_started())
    });
    assert_eq!(outcomes[1].value().map(String::len), Some(1 << 20));
    let Err(Failure::Died(abort)) = &outcomes[2].result else {
        panic!("{:?}", outcomes[2].result);
    };
    assert_eq!(
        abort.stderr_tail,
        "task \"abort\": out of options, aborting\n"
    );
    assert_eq!(started, 2, "a second worker, for the run in exact mode");
}

#[test]
fn a_death_after_a_batch_sent_with_a_mark_is_blamed_without_running_again() {
    // Batches that go home on the flush timer, and a chunk's last batch
    // even when it is full, come after a mark: the stderr since is the
    // next task's own, and a death there is blamed at once, on the worker
    // that ran it. A batch without a mark would make the pool run "abort"
    // again, in exact mode, on a second worker.
    let timed = common::ch13_workers(1, 2, Duration::from_secs(20))
        .flush_interval(Duration::from_millis(1));
    let last_of_its_chunk = common::ch13_workers(1, 1, Duration::from_secs(20))
        .flush_interval(Duration::from_secs(3600));
    for (config, first) in [(timed, "slow 200"), (last_of_its_chunk, "big 1")] {
        let inputs: Vec<String> = vec![first.into(), "abort".into()];
        let (outcomes, started) = within("a run with a death after a batch", move || {
            let mut pool = ProcessPool::new(config).unwrap();
            (pool.run::<String, String>(inputs), pool.workers_started())
        });
        assert!(
            outcomes[0].result.is_ok(),
            "{first}: {:?}",
            outcomes[0].result
        );
        let Err(Failure::Died(abort)) = &outcomes[1].result else {
            panic!("{first}: {:?}", outcomes[1].result);
        };
        assert_eq!(
            abort.stderr_tail, "task \"abort\": out of options, aborting\n",
            "{first}"
        );
        assert_eq!(started, 1, "after {first}");
    }
}

#[test]
fn a_hang_after_a_batch_sent_without_a_mark_times_out_without_running_again() {
    // "big 1" fills a batch, which goes home without a mark; "hang" is then
    // the one task its chunk owes. A timeout shows no stderr, so it is
    // blamed at the first timeout, not run again in exact mode on a second
    // worker.
    let inputs: Vec<String> = ["big 1", "hang"].map(String::from).to_vec();
    let (outcomes, started) = within("a run with a hang after a full batch", move || {
        let mut pool = pool_of(1, 2, Duration::from_millis(300));
        (pool.run::<String, String>(inputs), pool.workers_started())
    });
    assert_eq!(outcomes[0].value().map(String::len), Some(1 << 20));
    assert!(outcomes[1].result.as_ref().is_err_and(|f| f.is_timeout()));
    assert_eq!(started, 1);
}

#[test]
fn a_task_that_breaks_stderr_breaks_nothing_else() {
    // After this task, every write on the worker's stderr fails: the
    // pool's marks, and the hook's copy of the next task's panic.
    let inputs: Vec<String> = ["stderr-full", "panic", "square 3"]
        .map(String::from)
        .to_vec();
    let outcomes = within("a run with stderr full", move || {
        pool_of(1, 3, Duration::from_secs(20)).run::<String, String>(inputs)
    });
    assert_eq!(
        outcomes[0].value().map(String::as_str),
        Some("stderr is full")
    );
    assert!(
        outcomes[1].failure().and_then(Failure::panic).is_some(),
        "{:?}",
        outcomes[1].result
    );
    assert_eq!(outcomes[2].value().map(String::as_str), Some("9"));
}

#[cfg(target_os = "linux")]
#[test]
fn a_worker_that_leaves_its_group_is_still_ended() {
    // The task moves the worker out of the group the pool kills; the
    // pool kills the worker itself too, or it would wait for ever.
    let timeout = Duration::from_millis(300);
    let outcomes = within("a run whose worker leaves its group", move || {
        pool_of(1, 1, timeout).run::<String, String>(vec!["leave-group".into(), "square 2".into()])
    });
    assert!(
        outcomes[0].failure().is_some_and(Failure::is_timeout),
        "{:?}",
        outcomes[0].result
    );
    assert_eq!(outcomes[1].value().map(String::as_str), Some("4"));
}

/// How many threads of `pid` are listed in /proc.
#[cfg(target_os = "linux")]
fn threads_left(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |threads| threads.count())
}

#[cfg(target_os = "linux")]
#[test]
fn a_worker_that_died_idle_is_not_blamed_for_the_next_task() {
    let mut pool = pool_of(1, 1, Duration::from_secs(20));
    let first = pool.run::<String, String>(vec!["square 2".into()]);
    assert_eq!(first[0].value().map(String::as_str), Some("4"));
    let idle = pool.worker_pids();
    common::kill(&idle);
    // Dead as its parent sees it: every thread gone, not only the first
    // (a killed process's main thread shows as a zombie while its other
    // threads still exit, and only then can it be waited for).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(common::ended(idle[0]) && threads_left(idle[0]) <= 1) {
        assert!(Instant::now() < deadline, "the killed worker never ended");
        std::thread::yield_now();
    }
    // Its end may not have been read from its channel yet; the next run's
    // task must go to a new worker all the same.
    let (next, started) = within("a run after an idle death", move || {
        (
            pool.run::<String, String>(vec!["square 3".into()]),
            pool.workers_started(),
        )
    });
    assert_eq!(
        next[0].value().map(String::as_str),
        Some("9"),
        "{:?}",
        next[0].result
    );
    assert_eq!(started, 2);
}

#[cfg(unix)]
#[test]
fn a_worker_program_that_breaks_the_protocol_fails_the_run_at_once() {
    // Not a pool worker at all: it writes garbage on the channel.
    let script = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("not-a-worker-{}.sh", std::process::id()));
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf 'garbage garbage garbage'\nsleep 5\n",
    )
    .unwrap();
    let made = std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status();
    assert!(made.is_ok_and(|s| s.success()));
    let config = Config::new("task")
        .program(&script)
        .workers(2)
        .timeout(Duration::from_secs(20));
    let (outcomes, started) = within("a run on a program that is not a worker", move || {
        let mut pool = ProcessPool::new(config).unwrap();
        (
            pool.run::<String, String>(vec!["square 2".into(); 10]),
            pool.workers_started(),
        )
    });
    std::fs::remove_file(&script).unwrap();
    for outcome in &outcomes {
        let report = outcome.failure().and_then(Failure::undelivered);
        assert_eq!(
            report.map(|r| r.kind.as_str()),
            Some("handshake"),
            "{:?}",
            outcome.result
        );
    }
    // Not one new worker after another, for ever.
    assert!(started <= 2, "{started} workers started");
}

#[test]
fn a_config_that_cannot_work_is_refused_and_any_timeout_works() {
    let refused = |config: Config| ProcessPool::new(config).err().map(|e| e.to_string());
    let config = || common::ch13_workers(1, 1, Duration::from_secs(1));
    assert_eq!(
        refused(config().workers(0)).as_deref(),
        Some("a pool needs at least one worker")
    );
    assert_eq!(
        refused(config().chunk_size(0)).as_deref(),
        Some("a chunk needs at least one task")
    );
    assert!(refused(config().timeout(Duration::ZERO)).is_some_and(|e| e.contains("zero timeout")));
    // No deadline can overflow an `Instant`, and no timeout is a choice.
    for config in [config().timeout(Duration::MAX), config().no_timeout()] {
        let outcomes = within("a run with no deadline", move || {
            ProcessPool::new(config)
                .unwrap()
                .run::<String, String>(vec!["square 4".into(), "square x".into()])
        });
        assert_eq!(outcomes[0].value().map(String::as_str), Some("16"));
        assert!(outcomes[1].failure().and_then(Failure::returned).is_some());
    }
}

#[test]
fn a_slow_chunk_shows_progress_on_the_flush_timer() {
    let timeout = Duration::from_secs(10);
    // Two tasks that finish, the second after 50 ms, then one that never
    // does, in one chunk. The worker looks at the flush timer after each
    // task: only the timer sends the first two results before the chunk
    // ends. (A result that waits behind the hang itself, with no task
    // finishing after it, comes home only when the hang is found.)
    let mut pool = ProcessPool::new(common::ch13_workers(1, 5, timeout)).unwrap();
    let inputs: Vec<String> = ["square 2", "slow 50", "hang"].map(String::from).to_vec();
    let first_result_after = first_result_after(&mut pool, inputs);
    assert!(first_result_after < timeout, "{first_result_after:?}");
}

#[test]
fn progress_is_reported_once_per_input() {
    let mut pool = pool(Duration::from_secs(10));
    let mut seen = Vec::new();
    let inputs: Vec<String> = (0..20).map(|n| format!("square {n}")).collect();
    let outcomes = pool.run_with_progress::<String, String>(inputs, |index, _| seen.push(index));
    seen.sort_unstable();
    assert_eq!(seen, (0..20).collect::<Vec<_>>());
    assert_eq!(outcomes[19].value().map(String::as_str), Some("361"));
}

#[test]
fn workers_get_the_variables_set_for_them_but_keep_their_role() {
    let config = common::ch13_workers(1, 2, Duration::from_secs(10))
        .env("GREETING", "hello")
        .env(no_silent_failures::worker::ROLE_VAR, "someone-else");
    let told = ProcessPool::new(config)
        .unwrap()
        .run::<String, String>(vec![
            "env GREETING".to_owned(),
            format!("env {}", no_silent_failures::worker::ROLE_VAR),
        ]);
    let told: Vec<_> = told.iter().map(|o| o.value().map(String::as_str)).collect();
    assert_eq!(told, [Some("hello"), Some("task")]);
}

#[test]
fn a_run_of_other_types_than_the_workers_serve_fails_at_the_handshake() {
    let mut pool = pool(Duration::from_secs(10));
    let inputs: Vec<String> = vec!["square 2".into(), "square 3".into()];
    // The workers answer with strings; this run expects numbers. It fails
    // whether its workers are new, or were started by an earlier run.
    let (outcomes, mut pool) = within("a run of the wrong type", move || {
        (pool.run::<String, u64>(inputs), pool)
    });
    let warm = pool.run::<String, String>(vec!["square 5".into()]);
    assert_eq!(warm[0].value().map(String::as_str), Some("25"));
    let again = pool.run::<String, u64>(vec!["square 6".into()]);
    for outcome in outcomes.iter().chain(&again) {
        let report = outcome
            .failure()
            .and_then(Failure::undelivered)
            .unwrap_or_else(|| panic!("{:?}: {:?}", outcome.input, outcome.result));
        assert_eq!(report.kind, "handshake");
        assert_eq!(
            report.message,
            "this run: it needs a worker for alloc::string::String -> u64, and the workers \
             of role \"task\" serve alloc::string::String -> alloc::string::String"
        );
    }
    // The pool carries on with the right types.
    let right = pool.run::<String, String>(vec!["square 7".into()]);
    assert_eq!(right[0].value().map(String::as_str), Some("49"));
}

#[test]
fn a_run_abandoned_by_a_panic_leaves_the_pool_usable() {
    let mut pool = pool(Duration::from_secs(10));
    let inputs: Vec<String> = (0..50).map(|n| format!("square {n}")).collect();
    let abandoned = no_silent_failures::panic::catch(|| {
        pool.run_with_progress::<String, String>(inputs.clone(), |index, _| {
            assert!(index > 1000, "the caller's progress callback fails");
        })
    });
    assert!(abandoned.is_err());
    // The next run gets its own results, none left over from the last.
    let inputs: Vec<String> = (100..150).map(|n| format!("square {n}")).collect();
    let outcomes = pool.run::<String, String>(inputs);
    let values: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| o.value().map(String::as_str))
        .collect();
    let squares: Vec<String> = (100..150u32).map(|n| (n * n).to_string()).collect();
    assert_eq!(values, squares);
}

#[test]
fn workers_that_cannot_serve_fail_the_run_at_once_instead_of_one_by_one() {
    let mut pool = ProcessPool::new(
        Config::new("no-such-role")
            .program(example_binary("ch13-fixed"))
            .workers(2)
            .chunk_size(3),
    )
    .unwrap();
    let inputs: Vec<String> = (0..500).map(|n| format!("square {n}")).collect();
    let (outcomes, pool) = within("a run with no role", move || {
        (pool.run::<String, String>(inputs), pool)
    });
    assert_eq!(outcomes.len(), 500);
    for outcome in &outcomes {
        let report = outcome
            .failure()
            .and_then(Failure::undelivered)
            .unwrap_or_else(|| panic!("{:?}: {:?}", outcome.input, outcome.result));
        assert_eq!(report.kind, "handshake");
        assert!(
            report.message.starts_with(&format!(
                "this run: a new worker exited with code {UNKNOWN_ROLE_EXIT} before it said \
                 hello; its stderr: unknown worker role \"no-such-role\""
            )),
            "{}",
            report.message
        );
    }
    // Not one replacement per task.
    assert_eq!(pool.workers_started(), 2);
}

#[test]
fn a_worker_that_cannot_be_started_fails_every_task_instead_of_the_caller() {
    let missing = "/no-such-directory/no-such-worker";
    let (outcomes, started) = within("a run with no worker", move || {
        let mut pool = ProcessPool::new(Config::new("task").program(missing).workers(2)).unwrap();
        let inputs: Vec<String> = vec!["square 2".into(), "square 3".into()];
        (pool.run::<String, String>(inputs), pool.workers_started())
    });
    assert_eq!(outcomes.len(), 2);
    for outcome in &outcomes {
        let report = outcome
            .failure()
            .and_then(Failure::undelivered)
            .unwrap_or_else(|| panic!("{:?}: {:?}", outcome.input, outcome.result));
        assert_eq!(report.kind, "spawn");
        assert!(
            report.message.starts_with(&format!(
                "cannot start a worker process ({missing}): No such file or directory"
            )),
            "{}",
            report.message
        );
    }
    assert_eq!(started, 0);
}

/// A file that is removed when this is dropped, also when a test fails.
struct RemovedOnDrop(std::path::PathBuf);

impl Drop for RemovedOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(unix)]
#[test]
fn a_pool_that_cannot_replace_a_worker_carries_on_with_the_one_it_has() {
    // A copy of the worker program, removed once both workers run: no
    // replacement can start after that.
    let copy =
        RemovedOnDrop(std::env::temp_dir().join(format!("nsf-ch13-worker-{}", std::process::id())));
    std::fs::copy(example_binary("ch13-fixed"), &copy.0).unwrap();
    let mut pool =
        ProcessPool::new(common::ch13_workers(2, 1, Duration::from_secs(10)).program(&copy.0))
            .unwrap();
    // Until both have said hello: a worker that has not takes no task,
    // and a run can end before its hello is read.
    let mut pool = within("a warm-up", move || {
        while pool.ready_workers() < 2 {
            let warm_up = pool.run::<String, String>(vec!["square 1".into(); 2]);
            assert!(warm_up.iter().all(|o| o.is_ok()));
        }
        pool
    });
    drop(copy);

    // One-task chunks, two to each worker: the first worker gets both
    // killers, the second both squares. The first killer is blamed at
    // once: the second had not started, and goes back. No replacement
    // starts, so the second worker runs it after its squares and dies of
    // it too.
    let inputs: Vec<String> = ["kill", "square 2", "kill", "square 4"]
        .map(String::from)
        .to_vec();
    let (outcomes, started, next_run) = within("a run whose program vanished", move || {
        let outcomes = pool.run::<String, String>(inputs);
        let started = pool.workers_started();
        (
            outcomes,
            started,
            pool.run::<String, String>(vec!["square 5".into()]),
        )
    });
    // Had the first failed start ended the run, the killers would be
    // start failures, not deaths.
    for killer in [0, 2] {
        assert!(
            matches!(&outcomes[killer].result, Err(Failure::Died(death)) if death.exit == Exit::Signal(9)),
            "{outcomes:?}"
        );
    }
    assert_eq!(
        outcomes[1].value().map(String::as_str),
        Some("4"),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[3].value().map(String::as_str), Some("16"));
    assert_eq!(started, 2);
    // With no worker left, the next run's task fails for want of one.
    let report = next_run[0].failure().and_then(Failure::undelivered);
    assert_eq!(
        report.map(|r| r.kind.as_str()),
        Some("spawn"),
        "{next_run:?}"
    );
}

#[test]
fn in_python_a_pool_whose_worker_is_killed_waits_forever() {
    let Some(run) = common::python("chapters/13-capstone-process-pool/pool_sigkill.py") else {
        return;
    };
    snapshot!("ch13-python-pool", run);
    run.assert().stdout(
        "no results after 300 ms: the map waits for a task that will never finish\n\
         a task submitted afterwards is answered: 16\n\
         and the map is still waiting: True\n",
    );
}

#[test]
fn in_python_an_executor_whose_worker_is_killed_breaks_for_good() {
    let Some(run) = common::python("chapters/13-capstone-process-pool/executor_broken.py") else {
        return;
    };
    snapshot!("ch13-python-executor", run);
    run.assert()
        .stdout(starts_with("killed task: BrokenProcessPool: "))
        .stdout(ends_with(
            "next task: BrokenProcessPool (the whole executor is unusable)\n",
        ));
}

//! Chapter 11: a timeout must not hide a crash.
use crate::common;

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use crate::common::{line_of, run};
use no_silent_failures::failure::Failure;
use no_silent_failures::tasks::run_tasks;
use predicates::str::{contains, is_match};
use proptest::prelude::*;

const CHECKS: &str = "chapters/11-timeouts-hiding-failures/checks.rs";

fn assert_swallowed(example: &str) {
    let run = run(example, &[]);
    snapshot!(format!("{example}-swallowed"), run);
    let line = line_of(CHECKS, "if depths[0] > 1000");
    run.assert()
        .code(0)
        .stdout(
            "database: healthy\n\
             cache: unhealthy: connection refused\n\
             queue: timed out, will retry\n\
             disk: timed out, will retry\n",
        )
        // The queue check did not time out: it crashed, and only the hook
        // says so.
        .stderr(contains(format!("panicked at {CHECKS}:{line}:")));
}

fn assert_fixed(example: &str) {
    let run = run(example, &[]);
    snapshot!(example, run);
    let line = line_of(CHECKS, "if depths[0] > 1000");
    // Captured panics print nothing of their own: stderr holds the report,
    // three lines, the crash's with its thread between start and end.
    let report = format!(
        r"\A{}\n{}[^\n]*{}\n{}\n?\z",
        regex::escape("error: cache: failed (correctness): returned an error: connection refused"),
        regex::escape("error: queue: crashed (a bug): panicked"),
        regex::escape(&format!(
            "at {CHECKS}:{line}:14: index out of bounds: the len is 0 but the index is 0"
        )),
        regex::escape("error: disk: hung (liveness): timed out after 100ms"),
    );
    run.assert()
        .code(1)
        .stdout("database: healthy\n1 of 4 checks healthy\n")
        .stderr(is_match(report).unwrap());
}

#[test]
fn std_swallowed_run_calls_a_crash_a_timeout() {
    assert_swallowed("ch11");
}

#[test]
fn tokio_swallowed_run_calls_a_crash_a_timeout() {
    assert_swallowed("ch11-tokio");
}

#[test]
fn std_fixed_run_keeps_hung_crashed_and_failed_apart() {
    assert_fixed("ch11-fixed");
}

#[test]
fn tokio_fixed_run_keeps_hung_crashed_and_failed_apart() {
    assert_fixed("ch11-tokio-fixed");
}

#[test]
fn recv_timeout_says_disconnected_when_the_sender_died_and_timeout_when_it_hangs() {
    // A worker that panics before it sends drops its sender as it unwinds:
    // the receiver hears Disconnected at once, long before the
    // (deliberately huge) limit, and `join` has the panic.
    let (answer, answered) = mpsc::channel::<u32>();
    let crashed = thread::spawn(move || {
        let _answer = answer;
        let depths: Vec<u32> = Vec::new();
        depths[0]
    });
    assert_eq!(
        answered.recv_timeout(Duration::from_secs(600)),
        Err(RecvTimeoutError::Disconnected)
    );
    let payload = crashed.join().expect_err("the worker panicked");
    assert_eq!(
        no_silent_failures::panic::message(payload.as_ref()),
        "index out of bounds: the len is 0 but the index is 0"
    );

    // A worker that is alive but silent: Timeout.
    let (_alive, silent) = mpsc::channel::<u32>();
    assert_eq!(
        silent.recv_timeout(Duration::from_millis(10)),
        Err(RecvTimeoutError::Timeout)
    );
}

#[tokio::test]
async fn tokio_timeout_wraps_a_join_error_in_ok_and_a_hang_in_elapsed() {
    let limit = Duration::from_secs(600);
    let crashed = tokio::spawn(async {
        // Captured so the test output stays clean; the task still panics.
        let panic = no_silent_failures::panic::catch(|| panic!("crash")).unwrap_err();
        std::panic::resume_unwind(Box::new(panic.message))
    });
    let joined = tokio::time::timeout(limit, crashed).await;
    assert!(joined.expect("not a timeout").unwrap_err().is_panic());

    let hung = tokio::spawn(std::future::pending::<()>());
    let waited = tokio::time::timeout(Duration::from_millis(10), hung).await;
    assert!(waited.is_err(), "Elapsed");
}

/// A timed-out task is dropped where it is suspended, once the timer fires:
/// here it waits on a future that never completes, so it has no "next
/// `.await`", and still its locals are dropped before `run_tasks` returns
/// (on this current-thread runtime), and the code after the wait never
/// runs: a future that is never ready cannot get past its `.await` in the
/// timer's last poll.
#[tokio::test]
async fn a_timed_out_task_is_dropped_where_it_waits_and_never_resumes() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct NotesItsDrop(Arc<AtomicBool>);
    impl Drop for NotesItsDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let resumed = Arc::new(AtomicBool::new(false));
    let (task_dropped, task_resumed) = (Arc::clone(&dropped), Arc::clone(&resumed));
    let outcomes = run_tasks(vec![()], Some(Duration::from_millis(20)), move |()| {
        let noted = NotesItsDrop(Arc::clone(&task_dropped));
        let resumed = Arc::clone(&task_resumed);
        async move {
            let _noted = noted;
            std::future::pending::<()>().await;
            resumed.store(true, Ordering::SeqCst);
            Ok::<(), std::io::Error>(())
        }
    })
    .await;
    assert!(outcomes[0].failure().is_some_and(|f| f.is_timeout()));
    assert!(
        dropped.load(Ordering::SeqCst),
        "the task's locals are dropped"
    );
    assert!(!resumed.load(Ordering::SeqCst), "the task never runs again");
}

/// A future that is ready on its second poll but never asks to be woken:
/// nothing polls it again until the timer fires.
struct ReadyWhenPolledAgain(bool);

impl std::future::Future for ReadyWhenPolledAgain {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            std::task::Poll::Pending
        }
    }
}

/// tokio's `Timeout` polls the future it wraps once more when its timer
/// fires, before it looks at the timer: a task ready by then comes back
/// `Ok` from `timeout`, after the limit, and the code after its `.await`
/// runs. `run_tasks` still calls it a timeout. (On this current-thread
/// runtime that last poll ends before `run_tasks` looks again, so the code
/// after the `.await` has run by the time it returns.)
#[tokio::test]
async fn a_task_that_is_ready_only_when_its_timer_fires_is_timed_out_though_it_ran_on() {
    let limit = Duration::from_millis(20);
    let late = tokio::time::timeout(limit, ReadyWhenPolledAgain(false)).await;
    assert_eq!(
        late,
        Ok(()),
        "tokio's timeout gives the late task its value"
    );

    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let ran_on = Arc::new(AtomicBool::new(false));
    let noted = Arc::clone(&ran_on);
    let outcomes = run_tasks(vec![()], Some(limit), move |()| {
        let noted = Arc::clone(&noted);
        async move {
            ReadyWhenPolledAgain(false).await;
            noted.store(true, Ordering::SeqCst);
            Ok::<u32, std::io::Error>(1)
        }
    })
    .await;
    assert!(
        ran_on.load(Ordering::SeqCst),
        "the code after the .await ran"
    );
    assert!(
        matches!(outcomes[0].result, Err(Failure::TimedOut(l)) if l == limit),
        "{:?}",
        outcomes[0].result
    );
}

/// A task that blocks its thread, and the gate that lets it go. It notes
/// whether its code ran on after the block.
fn blocking_task(
    gate: &std::sync::Arc<std::sync::Mutex<mpsc::Receiver<()>>>,
    ran_on: &std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> impl std::future::Future<Output = Result<u32, std::io::Error>> + Send + use<> {
    let (gate, ran_on) = (std::sync::Arc::clone(gate), std::sync::Arc::clone(ran_on));
    async move {
        // Blocks the worker thread, without an `.await`.
        let _ = gate.lock().unwrap().recv();
        ran_on.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(1)
    }
}

/// On a multi-thread runtime, `run_tasks` returns at the limit of a task
/// that blocks its thread, while the task still blocks (the gate opens only
/// afterwards), with one worker thread or more: its own clock rings when
/// the blocked workers cannot drive tokio's timers.
#[test]
fn on_a_multi_thread_runtime_a_blocked_task_is_timed_out_and_run_tasks_returns_on_time() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    for workers in [1, 2] {
        let (open, gate) = mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        let ran_on = Arc::new(AtomicBool::new(false));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_time()
            .build()
            .unwrap();
        // One quick task beside the blocked one, where a worker is free.
        let inputs: Vec<u32> = if workers == 1 { vec![0] } else { vec![0, 7] };
        let (task_gate, task_ran_on) = (Arc::clone(&gate), Arc::clone(&ran_on));
        let (results, runtime) = common::within("run_tasks beside a blocked task", move || {
            let outcomes = runtime.block_on(run_tasks(
                inputs,
                Some(Duration::from_millis(50)),
                move |n| {
                    let blocked = blocking_task(&task_gate, &task_ran_on);
                    async move { if n == 0 { blocked.await } else { Ok(n) } }
                },
            ));
            let results: Vec<Result<u32, String>> = outcomes
                .into_iter()
                .map(|outcome| outcome.result.map_err(|f| f.to_string()))
                .collect();
            (results, runtime)
        });
        assert_eq!(
            results[0],
            Err("timed out after 50ms".to_owned()),
            "{workers} workers"
        );
        if workers == 2 {
            assert_eq!(results[1], Ok(7));
        }
        assert!(!ran_on.load(Ordering::SeqCst), "it is still blocked");
        // What becomes of it: it holds its worker until it returns. Shutting
        // down in the background does not wait for it; it runs on and ends.
        runtime.shutdown_background();
        open.send(()).unwrap();
        while !ran_on.load(Ordering::SeqCst) {
            thread::yield_now();
        }
    }
}

/// On a current-thread runtime the blocked task holds the only thread:
/// `run_tasks` waits for it to return, and then times it out, late.
#[test]
fn on_a_current_thread_runtime_a_blocked_task_is_timed_out_when_it_returns() {
    let limit = Duration::from_millis(20);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let outcomes = runtime.block_on(run_tasks(vec![()], Some(limit), move |()| async move {
        // The behaviour under test, not a synchronisation: a task that
        // blocks its thread for longer than its limit.
        thread::sleep(limit * 5);
        Ok::<u32, std::io::Error>(1)
    }));
    assert!(started.elapsed() >= limit * 5);
    assert!(
        matches!(outcomes[0].result, Err(Failure::TimedOut(l)) if l == limit),
        "{:?}",
        outcomes[0].result
    );
}

/// The thread runner: an answer that took longer than the limit is a
/// timeout, also when it reached the runner before the runner saw the
/// deadline pass. With a limit shorter than any task takes, every outcome
/// is a timeout, never an `Ok`.
#[test]
fn the_thread_runner_times_out_every_task_that_took_longer_than_its_limit() {
    let outcomes = no_silent_failures::runner::Runner::new()
        .threads(2)
        .run_with_timeout((0..200).collect(), Duration::from_nanos(1), |&n: &u32| {
            Ok::<u32, std::io::Error>(n)
        });
    let late: Vec<_> = outcomes.iter().filter(|o| o.value().is_some()).collect();
    assert!(late.is_empty(), "{} late answers came back Ok", late.len());
    assert!(
        outcomes
            .iter()
            .all(|o| o.failure().is_some_and(|f| f.is_timeout()))
    );
}

mod report {
    #![allow(dead_code)] // the checks themselves are the programs' business
    include!("../../chapters/11-timeouts-hiding-failures/checks.rs");
    include!("../../chapters/11-timeouts-hiding-failures/report.rs");

    pub fn kind_of<E>(failure: &Failure<E>) -> &'static str {
        kind(failure)
    }
}

/// The fixed programs' report names each kind of failure in words of its
/// own: none of them is filed under another's name.
#[test]
fn the_report_names_every_kind_of_failure_apart() {
    use no_silent_failures::process::{Death, Exit};
    let panic = no_silent_failures::panic::catch(|| panic!("a bug")).unwrap_err();
    let failures: Vec<Failure<std::io::Error>> = vec![
        Failure::Returned(std::io::Error::other("refused")),
        Failure::Panicked(Box::new(panic)),
        Failure::TimedOut(Duration::from_millis(100)),
        Failure::Cancelled,
        Failure::Died(Box::new(Death {
            exit: Exit::Signal(9),
            stderr_tail: String::new(),
        })),
        Failure::Undelivered(Box::new(no_silent_failures::report::ErrorReport {
            kind: "serialization".to_owned(),
            message: "the input could not be serialized".to_owned(),
            causes: Vec::new(),
            location: None,
            backtrace: None,
        })),
    ];
    let kinds: Vec<&str> = failures.iter().map(report::kind_of).collect();
    let distinct: std::collections::BTreeSet<&str> = kinds.iter().copied().collect();
    assert_eq!(distinct.len(), kinds.len(), "{kinds:?}");
    assert_eq!(kinds[0], "failed (correctness)");
    assert!(!kinds.contains(&"failed (a kind this report does not know)"));
}

#[derive(Clone, Debug)]
enum Behaviour {
    Ok(u32),
    ReturnErr,
    Panic(u32),
    Hang,
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    prop_oneof![
        4 => any::<u32>().prop_map(Behaviour::Ok),
        1 => Just(Behaviour::ReturnErr),
        1 => any::<u32>().prop_map(Behaviour::Panic),
        1 => Just(Behaviour::Hang),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::cases(32), ..ProptestConfig::default() })]

    /// The tokio runner: one outcome per input, in order, of the right kind.
    /// A task's time limit starts at its first poll, so a task that
    /// completes on that poll can never be timed out by a slow machine.
    #[test]
    fn run_tasks_gives_one_outcome_per_input_of_the_right_kind(
        behaviours in prop::collection::vec(behaviour(), 0..24)
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        let inputs: Vec<(usize, Behaviour)> = behaviours.iter().cloned().enumerate().collect();
        let outcomes = runtime.block_on(run_tasks(inputs, Some(Duration::from_millis(20)), |(_, b)| async move {
            match b {
                Behaviour::Ok(value) => Ok(value),
                Behaviour::ReturnErr => Err(std::io::Error::other("refused")),
                Behaviour::Panic(n) => panic!("task panic {n}"),
                Behaviour::Hang => std::future::pending().await,
            }
        }));
        prop_assert_eq!(outcomes.len(), behaviours.len());
        for (index, (outcome, behaviour)) in outcomes.iter().zip(&behaviours).enumerate() {
            prop_assert_eq!(outcome.input.0, index);
            match (behaviour, &outcome.result) {
                (Behaviour::Ok(expected), Ok(value)) => prop_assert_eq!(value, expected),
                (Behaviour::ReturnErr, Err(Failure::Returned(error))) => {
                    prop_assert_eq!(error.to_string(), "refused")
                }
                (Behaviour::Panic(n), Err(Failure::Panicked(panic))) => {
                    prop_assert_eq!(&panic.message, &format!("task panic {n}"));
                    prop_assert_eq!(panic.location.as_ref().map(|l| l.file.as_str()), Some("tests/book/ch11.rs"));
                }
                (Behaviour::Hang, Err(Failure::TimedOut(limit))) => {
                    prop_assert_eq!(*limit, Duration::from_millis(20))
                }
                (behaviour, result) => prop_assert!(false, "{behaviour:?} gave {result:?}"),
            }
        }
    }
}

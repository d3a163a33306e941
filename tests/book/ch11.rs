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
    // A worker that panics drops its sender: the receiver hears Disconnected
    // at once, long before the (deliberately huge) limit.
    let (answer, answered) = mpsc::channel::<u32>();
    let crashed = thread::spawn(move || {
        let _answer = answer;
        no_silent_failures::panic::catch(|| panic!("crash")).ok();
    });
    assert_eq!(
        answered.recv_timeout(Duration::from_secs(600)),
        Err(RecvTimeoutError::Disconnected)
    );
    crashed.join().unwrap();

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
/// `.await`", and still its locals are dropped before `run_tasks` returns,
/// and the code after the wait never runs.
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

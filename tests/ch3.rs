//! Chapter 3: a dropped `JoinHandle` (std or tokio) takes the outcome with it.
mod common;

use common::{line_of, run};
use predicates::prelude::*;
use predicates::str::{contains, ends_with};
use proptest::prelude::*;

const NOTIFY: &str = "chapters/03-fire-and-forget/notify.rs";

fn assert_swallowed(example: &str) {
    let run = run(example, &[]);
    snapshot!(format!("{example}-swallowed"), run);

    let line = line_of(NOTIFY, "assert!(!recipient.is_empty()");
    run.assert()
        .code(0)
        .stdout("sent 4 notifications\n")
        // The returned Err for bob vanished without a trace.
        .stderr(contains("bob").not().and(contains("no @").not()))
        // The panic for the empty recipient reached only the hook.
        .stderr(contains(format!("panicked at {NOTIFY}:{line}:")))
        .stderr(contains("panicked at").count(1));
}

fn assert_fixed(example: &str) {
    let run = run(example, &[]);
    snapshot!(example, run);

    run.assert()
        .code(1)
        .stdout(
            "sent to \"ana@example.org\"\nsent to \"eve@example.org\"\nsent 2 of 4 notifications\n",
        )
        .stderr(ends_with(
            "error: \"bob.example.org\": returned: cannot deliver to \"bob.example.org\": no @ in address\n\
             error: \"\": panicked: recipient must not be empty\n",
        ));
}

#[test]
fn std_swallowed_run_exits_0_and_the_returned_error_leaves_no_trace() {
    assert_swallowed("ch3");
}

#[test]
fn tokio_swallowed_run_exits_0_and_the_returned_error_leaves_no_trace() {
    assert_swallowed("ch3-tokio");
}

#[test]
fn std_fixed_run_reports_the_error_and_the_panic_with_their_inputs() {
    assert_fixed("ch3-fixed");
}

#[test]
fn tokio_fixed_run_reports_the_error_and_the_panic_with_their_inputs() {
    assert_fixed("ch3-tokio-fixed");
}

fn recipient() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,6}@[a-z]{1,6}\\.org",
        "[a-z]{1,6}\\.[a-z]{1,6}\\.org",
        Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::cases(8), ..ProptestConfig::default() })]

    #[test]
    fn swallowed_always_claims_success_and_fixed_reports_each_failure(
        recipients in prop::collection::vec(recipient(), 1..7)
    ) {
        let args: Vec<&str> = recipients.iter().map(String::as_str).collect();
        let expected: Vec<String> = recipients
            .iter()
            .filter_map(|r| {
                if r.is_empty() {
                    Some("error: \"\": panicked: recipient must not be empty".to_owned())
                } else if !r.contains('@') {
                    Some(format!("error: {r:?}: returned: cannot deliver to {r:?}: no @ in address"))
                } else {
                    None
                }
            })
            .collect();
        for (swallowed, fixed) in [("ch3", "ch3-fixed"), ("ch3-tokio", "ch3-tokio-fixed")] {
            let quiet = run(swallowed, &args);
            quiet
                .assert()
                .try_code(0)?
                .try_stdout(format!("sent {} notifications\n", recipients.len()))?
                .try_stderr(contains("no @").not())?;

            let loud = run(fixed, &args);
            loud.assert().try_code(if expected.is_empty() { 0 } else { 1 })?;
            let reported = loud.error_lines();
            prop_assert_eq!(reported, expected.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}

const DROPPED: &str = "chapters/03-fire-and-forget/tokio_dropped.rs";

#[test]
fn tokio_drops_a_detached_tasks_output_and_panic_as_soon_as_the_task_ends() {
    let run = run("ch3-tokio-dropped", &[]);
    snapshot!("ch3-tokio-dropped", run);

    let line = line_of(DROPPED, "std::panic::panic_any(Loud");
    run.assert()
        .code(0)
        // Both outputs are dropped on the runtime's thread, before main goes
        // on.
        .stdout(
            "main: both handles dropped, the tasks not yet ended\n\
             dropped on thread 'tokio-rt-worker': the error the task returned\n\
             dropped on thread 'tokio-rt-worker': the task's panic payload\n\
             main: still running, and both outputs are already gone\n",
        )
        // The panic reached the hook, which cannot read a payload that is
        // not a string.
        .stderr(contains(format!(
            "thread 'tokio-rt-worker' ([tid]) panicked at {DROPPED}:{line}:9:\nBox<dyn Any>\n"
        )));
}

#[test]
fn an_awaited_handle_brings_the_output_and_the_payload_to_main() {
    let run = run("ch3-tokio-dropped-fixed", &[]);
    snapshot!("ch3-tokio-dropped-fixed", run);

    run.assert()
        .code(1)
        .stdout(
            "dropped on thread 'main': the error the task returned\n\
             dropped on thread 'main': the task's panic payload\n\
             main: both outputs reached main\n",
        )
        .stderr(ends_with(
            "error: returns: returned: the error the task returned\n\
             error: panics: panicked: the task's panic payload\n",
        ));
}

#[test]
fn in_python_apply_async_without_get_prints_nothing_and_exits_0() {
    let Some(run) = common::python("chapters/03-fire-and-forget/apply_async.py") else {
        return;
    };
    snapshot!("ch3-python", run);
    run.assert()
        .code(0)
        .stdout("sent 4 notifications\n")
        .stderr("");
}

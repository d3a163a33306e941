//! Chapter 1: a panic unwinds only its own thread.
use crate::common;

use crate::common::{line_of, run};
use predicates::prelude::*;
use predicates::str::{contains, ends_with};
use proptest::prelude::*;

const DIR: &str = "chapters/01-panics-stay-in-their-thread";

#[test]
fn swallowed_run_exits_0_with_a_reading_missing() {
    let run = run("ch1", &[]);
    snapshot!("ch1-swallowed", run);

    let line = line_of(&format!("{DIR}/swallowed.rs"), ".expect(\"a reading");
    run.assert()
        // main exits as if all went well.
        .code(0)
        // Six readings went in; the sum covers five and says nothing of the
        // sixth.
        .stdout("summed 5 readings: total = 63\n")
        // The only trace is the panic hook's line on stderr. It names the
        // source line, but not the input that caused it.
        .stderr(contains(format!("panicked at {DIR}/swallowed.rs:{line}:")))
        .stderr(contains("n/a").not())
        .stdout(contains("n/a").not());
}

#[test]
fn fixed_run_names_the_input_the_message_and_the_location() {
    let run = run("ch1-fixed", &[]);
    snapshot!("ch1-fixed", run);

    let line = line_of(&format!("{DIR}/fixed.rs"), ".expect(\"a reading");
    run.assert()
        .code(1)
        .stdout("summed 5 readings: total = 63\n")
        .stderr(ends_with(
            "error: \"n/a\": worker panicked: a reading is a whole number: \
             ParseIntError { kind: InvalidDigit }\n",
        ))
        .stderr(contains(format!("panicked at {DIR}/fixed.rs:{line}:")));
}

/// A reading: either a number the workers can parse, or junk that panics.
fn reading() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..10_000).prop_map(|n| n.to_string()),
        prop::sample::select(vec!["n/a", "", "-4", "7.5", "12x", "NaN"]).prop_map(String::from),
    ]
}

/// The `error: "INPUT": worker panicked: ...` lines of a fixed run: the
/// inputs it reports as failed, in the order it reports them.
fn reported_failures(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("error: "))
        .map(|rest| {
            let input = rest.split_once(": worker panicked: ").expect("reason").0;
            input.trim_matches('"').to_owned()
        })
        .collect()
}

proptest! {
    // Each case starts two processes; a few cases cover the claim.
    #![proptest_config(ProptestConfig { cases: common::cases(12), ..ProptestConfig::default() })]

    #[test]
    fn swallowed_always_exits_0_and_fixed_names_exactly_the_bad_readings(
        readings in prop::collection::vec(reading(), 1..8)
    ) {
        let args: Vec<&str> = readings.iter().map(String::as_str).collect();
        let good: Vec<u32> = readings.iter().filter_map(|r| r.parse().ok()).collect();
        let bad: Vec<String> = readings
            .iter()
            .filter(|r| r.parse::<u32>().is_err())
            .cloned()
            .collect();
        let summary = format!(
            "summed {} readings: total = {}\n",
            good.len(),
            good.iter().sum::<u32>()
        );

        let swallowed = run("ch1", &args);
        swallowed.assert().try_code(0)?.try_stdout(summary.clone())?;

        let fixed = run("ch1-fixed", &args);
        fixed
            .assert()
            .try_code(if bad.is_empty() { 0 } else { 1 })?
            .try_stdout(summary)?;
        prop_assert_eq!(reported_failures(&fixed.stderr), bad);
    }
}

#[test]
fn fixed_run_reports_a_sum_that_overflows_and_keeps_the_other_readings() {
    let run = run("ch1-fixed", &["4294967295", "1", "n/a", "0"]);
    snapshot!("ch1-fixed-overflow", run);

    run.assert()
        .code(1)
        // The reading that does not fit is one failure; the others still
        // count.
        .stdout("summed 2 readings: total = 4294967295\n")
        // main itself did not panic.
        .stderr(contains("thread 'main'").not());
    let errors = run.error_lines();
    assert_eq!(
        errors,
        [
            "error: \"1\": 4294967295 + 1 overflows u32",
            "error: \"n/a\": worker panicked: a reading is a whole number: \
             ParseIntError { kind: InvalidDigit }",
        ]
    );
}

#[test]
fn a_scope_panics_with_a_payload_of_its_own_and_the_message_stays_in_the_hook() {
    let run = run("ch1-scope", &[]);
    snapshot!("ch1-scope", run);

    let scope = line_of(&format!("{DIR}/scope.rs"), "thread::scope(|scope|");
    let expect = line_of(&format!("{DIR}/scope.rs"), ".expect(\"a reading");
    run.assert()
        // `scope` joined the threads, then panicked on main: exit status 101.
        .code(101)
        .stdout("")
        .stderr(contains(format!(
            "thread 'main' ([tid]) panicked at {DIR}/scope.rs:{scope}:5:\n\
             a scoped thread panicked\n"
        )))
        // The worker's own message reached the hook, once, and nothing else.
        .stderr(contains("a reading is a whole number").count(1))
        .stderr(contains(format!(
            "thread '<unnamed>' ([tid]) panicked at {DIR}/scope.rs:{expect}:17:\n\
             a reading is a whole number"
        )));
}

#[test]
fn a_scope_whose_handles_are_joined_reports_each_panic_with_its_input() {
    let run = run("ch1-scope-fixed", &[]);
    snapshot!("ch1-scope-fixed", run);

    run.assert()
        .code(1)
        .stdout("total = 17\n")
        .stderr(contains("a scoped thread panicked").not())
        .stderr(ends_with(
            "error: \"n/a\": worker panicked: a reading is a whole number: \
             ParseIntError { kind: InvalidDigit }\n",
        ));
}

#[test]
fn in_python_a_thread_that_raises_is_printed_and_main_exits_0() {
    let Some(run) = common::python(&format!("{DIR}/thread_raises.py")) else {
        return;
    };
    snapshot!("ch1-python", run);
    run.assert()
        .code(0)
        .stdout("summed 5 readings: total = 63\n")
        // The last line of stderr (the traceback before it names CPython's
        // own files).
        .stderr(predicates::str::starts_with(
            "ValueError: invalid literal for int()",
        ));
}

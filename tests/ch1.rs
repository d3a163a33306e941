//! Chapter 1: a panic unwinds only its own thread.
mod common;

use common::{line_of, run};
use proptest::prelude::*;

const DIR: &str = "chapters/01-panics-stay-in-their-thread";

#[test]
fn swallowed_run_exits_0_with_a_reading_missing() {
    let run = run("ch1", &[]);
    snapshot!("ch1-swallowed", run);

    assert_eq!(run.code(), Some(0), "main exits as if all went well");
    // Six readings went in; the sum covers five and says nothing of the sixth.
    assert_eq!(run.stdout, "summed 5 readings: total = 63\n");
    // The only trace is the panic hook's line on stderr. It names the source
    // line, but not the input that caused it.
    let line = line_of(&format!("{DIR}/swallowed.rs"), ".expect(\"a reading");
    assert!(
        run.stderr
            .contains(&format!("panicked at {DIR}/swallowed.rs:{line}:")),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("n/a") && !run.stdout.contains("n/a"));
}

#[test]
fn fixed_run_names_the_input_the_message_and_the_location() {
    let run = run("ch1-fixed", &[]);
    snapshot!("ch1-fixed", run);

    assert_eq!(run.code(), Some(1));
    assert_eq!(run.stdout, "summed 5 readings: total = 63\n");
    assert!(run.stderr.ends_with(
        "error: \"n/a\": worker panicked: a reading is a whole number: \
         ParseIntError { kind: InvalidDigit }\n"
    ));
    let line = line_of(&format!("{DIR}/fixed.rs"), ".expect(\"a reading");
    assert!(
        run.stderr
            .contains(&format!("panicked at {DIR}/fixed.rs:{line}:"))
    );
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
        prop_assert_eq!(swallowed.code(), Some(0));
        prop_assert_eq!(&swallowed.stdout, &summary);

        let fixed = run("ch1-fixed", &args);
        prop_assert_eq!(fixed.code(), Some(if bad.is_empty() { 0 } else { 1 }));
        prop_assert_eq!(&fixed.stdout, &summary);
        prop_assert_eq!(reported_failures(&fixed.stderr), bad);
    }
}

#[test]
fn fixed_run_reports_a_sum_that_overflows_and_keeps_the_other_readings() {
    let run = run("ch1-fixed", &["4294967295", "1", "n/a", "0"]);
    snapshot!("ch1-fixed-overflow", run);

    assert_eq!(run.code(), Some(1));
    // The reading that does not fit is one failure; the others still count.
    assert_eq!(run.stdout, "summed 2 readings: total = 4294967295\n");
    let errors = run.error_lines();
    assert_eq!(
        errors,
        [
            "error: \"1\": 4294967295 + 1 overflows u32",
            "error: \"n/a\": worker panicked: a reading is a whole number: \
             ParseIntError { kind: InvalidDigit }",
        ]
    );
    // main itself did not panic.
    assert!(!run.stderr.contains("thread 'main'"), "{}", run.stderr);
}

#[test]
fn a_scope_panics_with_a_payload_of_its_own_and_the_message_stays_in_the_hook() {
    let run = run("ch1-scope", &[]);
    snapshot!("ch1-scope", run);

    // `scope` joined the threads, then panicked on main: exit status 101.
    assert_eq!(run.code(), Some(101));
    assert_eq!(run.stdout, "");
    let line = line_of(&format!("{DIR}/scope.rs"), "thread::scope(|scope|");
    assert!(
        run.stderr.contains(&format!(
            "thread 'main' ([tid]) panicked at {DIR}/scope.rs:{line}:5:\n\
             a scoped thread panicked\n"
        )),
        "{}",
        run.stderr
    );
    // The worker's own message reached the hook, once, and nothing else.
    assert_eq!(run.stderr.matches("a reading is a whole number").count(), 1);
    let line = line_of(&format!("{DIR}/scope.rs"), ".expect(\"a reading");
    assert!(run.stderr.contains(&format!(
        "thread '<unnamed>' ([tid]) panicked at {DIR}/scope.rs:{line}:17:\n\
         a reading is a whole number"
    )));
}

#[test]
fn a_scope_whose_handles_are_joined_reports_each_panic_with_its_input() {
    let run = run("ch1-scope-fixed", &[]);
    snapshot!("ch1-scope-fixed", run);

    assert_eq!(run.code(), Some(1));
    assert_eq!(run.stdout, "total = 17\n");
    assert!(!run.stderr.contains("a scoped thread panicked"));
    assert!(run.stderr.ends_with(
        "error: \"n/a\": worker panicked: a reading is a whole number: \
         ParseIntError { kind: InvalidDigit }\n"
    ));
}

#[test]
fn in_python_a_thread_that_raises_is_printed_and_main_exits_0() {
    let Some(run) = common::python(&format!("{DIR}/thread_raises.py")) else {
        return;
    };
    snapshot!("ch1-python", run);
    assert_eq!(run.code(), Some(0));
    assert_eq!(run.stdout, "summed 5 readings: total = 63\n");
    assert!(
        run.stderr
            .starts_with("ValueError: invalid literal for int()")
    );
}

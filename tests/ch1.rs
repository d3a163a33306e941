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
    assert!(run.stderr.contains("error: 1 of 6 readings failed\n"));
    assert!(run.stderr.contains(
        "  reading #3 \"n/a\": worker panicked: a reading is a whole number: \
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

/// The `reading #I "INPUT"` pairs a fixed run reports as failed.
fn reported_failures(stderr: &str) -> Vec<(usize, String)> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("  reading #"))
        .map(|rest| {
            let (index, rest) = rest.split_once(' ').expect("index then input");
            let input = rest.split_once(": worker panicked").expect("reason").0;
            (index.parse().unwrap(), input.trim_matches('"').to_owned())
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
        let bad: Vec<(usize, String)> = readings
            .iter()
            .enumerate()
            .filter(|(_, r)| r.parse::<u32>().is_err())
            .map(|(i, r)| (i, r.clone()))
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

//! Chapter 5: structured results, and the library's runner.
use crate::common;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::common::{line_of, run};
use no_silent_failures::failure::Failure;
use no_silent_failures::panic::NON_STRING_PAYLOAD;
use no_silent_failures::runner::Runner;
use predicates::prelude::*;
use predicates::str::contains;
use proptest::prelude::*;

const QUOTES: &str = "chapters/05-structured-results/quotes.rs";

#[test]
fn swallowed_run_exits_0_with_three_of_five_lines_gone() {
    let run = run("ch5", &[]);
    snapshot!("ch5-swallowed", run);
    run.assert()
        .code(0)
        .stdout("loaded 2 quotes, total 2240 cents\n")
        // Neither returned error is mentioned anywhere.
        .stderr(contains("BOLT").not().and(contains("GEAR").not()));
}

#[test]
fn fixed_run_accounts_for_every_line() {
    let run = run("ch5-fixed", &[]);
    snapshot!("ch5-fixed", run);
    let assert_line = line_of(QUOTES, "assert!(!symbol.is_empty()");
    run.assert()
        .code(1)
        .stdout(
            "row 0: ACME at 1250 cents\nrow 3: ZINC at 990 cents\n\
             total 2240 cents; 2 of 5 succeeded, 3 failed\n",
        )
        .stderr(format!(
            "error: row 1 \"BOLT=abc\": returned an error: bad price in \"BOLT=abc\": invalid digit found in string\n\
             error: row 2 \"=300\": panicked at {QUOTES}:{assert_line}:5: empty symbol in \"=300\"\n\
             error: row 4 \"GEAR 410\": returned an error: no '=' in \"GEAR 410\"\n"
        ));
}

/// A sum that does not fit is one more failure, reported; every row is
/// still accounted for.
#[test]
fn fixed_run_reports_a_total_that_overflows_and_keeps_every_row() {
    let run = run("ch5-fixed", &["BIG=4294967295", "ONE=1", "BAD=x"]);
    run.assert()
        .code(1)
        .stdout(
            "row 0: BIG at 4294967295 cents\nrow 1: ONE at 1 cents\n\
             total unknown; 2 of 3 succeeded, 1 failed\n",
        )
        .stderr(
            "error: row 2 \"BAD=x\": returned an error: bad price in \"BAD=x\": invalid digit found in string\n\
             error: total: the prices add up to more than 4294967295 cents\n",
        );
}

/// What a generated task does.
#[derive(Clone, Debug)]
enum Behaviour {
    Ok(u32),
    ReturnErr(String),
    PanicStr,
    PanicString(u32),
    PanicAny(u32),
    Hang,
}

fn behaviour(with_hangs: bool) -> BoxedStrategy<Behaviour> {
    let common = prop_oneof![
        4 => any::<u32>().prop_map(Behaviour::Ok),
        1 => "[a-z ]{0,12}".prop_map(Behaviour::ReturnErr),
        1 => Just(Behaviour::PanicStr),
        1 => any::<u32>().prop_map(Behaviour::PanicString),
        1 => any::<u32>().prop_map(Behaviour::PanicAny),
    ];
    if with_hangs {
        prop_oneof![8 => common, 1 => Just(Behaviour::Hang)].boxed()
    } else {
        common.boxed()
    }
}

/// Runs one behaviour. `Hang` blocks until the test releases `gate`.
fn perform(behaviour: &Behaviour, gate: &RwLock<()>) -> Result<u32, std::io::Error> {
    match behaviour {
        Behaviour::Ok(value) => Ok(*value),
        Behaviour::ReturnErr(text) => Err(std::io::Error::other(text.clone())),
        Behaviour::PanicStr => panic!("a literal panic"),
        Behaviour::PanicString(n) => panic!("formatted panic {n}"),
        Behaviour::PanicAny(n) => std::panic::panic_any(*n),
        Behaviour::Hang => {
            drop(gate.read());
            Ok(0)
        }
    }
}

/// Checks that `outcome` is exactly what `behaviour` should produce.
fn check(
    behaviour: &Behaviour,
    result: &Result<u32, Failure<std::io::Error>>,
) -> Result<(), TestCaseError> {
    match (behaviour, result) {
        (Behaviour::Ok(expected), Ok(value)) => prop_assert_eq!(value, expected),
        (Behaviour::ReturnErr(text), Err(Failure::Returned(error))) => {
            prop_assert_eq!(&error.to_string(), text)
        }
        (Behaviour::PanicStr, Err(Failure::Panicked(panic))) => {
            prop_assert_eq!(&panic.message, "a literal panic");
            prop_assert_eq!(
                panic.location.as_ref().map(|l| l.file.as_str()),
                Some("tests/book/ch5.rs")
            );
        }
        (Behaviour::PanicString(n), Err(Failure::Panicked(panic))) => {
            prop_assert_eq!(&panic.message, &format!("formatted panic {n}"))
        }
        (Behaviour::PanicAny(_), Err(Failure::Panicked(panic))) => {
            prop_assert_eq!(&panic.message, NON_STRING_PAYLOAD)
        }
        (Behaviour::Hang, Err(Failure::TimedOut(_))) => {}
        (behaviour, result) => prop_assert!(false, "{behaviour:?} gave {result:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::cases(64), ..ProptestConfig::default() })]

    #[test]
    fn run_gives_one_outcome_per_input_in_order_of_the_right_kind(
        behaviours in prop::collection::vec(behaviour(false), 0..40),
        threads in 1usize..5,
    ) {
        let gate = RwLock::new(());
        let inputs: Vec<(usize, Behaviour)> = behaviours.iter().cloned().enumerate().collect();
        let outcomes = Runner::new().threads(threads).run(inputs, |(_, b)| perform(b, &gate));
        prop_assert_eq!(outcomes.len(), behaviours.len());
        for (index, (outcome, behaviour)) in outcomes.iter().zip(&behaviours).enumerate() {
            prop_assert_eq!(outcome.input.0, index);
            check(behaviour, &outcome.result)?;
        }
    }
}

proptest! {
    // Cases with a hang wait out the time limit, so there are few of them.
    #![proptest_config(ProptestConfig { cases: common::cases(10), ..ProptestConfig::default() })]

    #[test]
    fn run_with_timeout_also_keeps_hangs_apart(
        behaviours in prop::collection::vec(behaviour(true), 0..16),
        threads in 1usize..4,
    ) {
        let gate = Arc::new(RwLock::new(()));
        let held = gate.write().unwrap();
        let task_gate = Arc::clone(&gate);
        let inputs: Vec<(usize, Behaviour)> = behaviours.iter().cloned().enumerate().collect();
        let outcomes = Runner::new()
            .threads(threads)
            .run_with_timeout(inputs, Duration::from_millis(100), move |(_, b)| perform(b, &task_gate));
        // Release the hung tasks so their threads end with the test.
        drop(held);
        prop_assert_eq!(outcomes.len(), behaviours.len());
        for (index, (outcome, behaviour)) in outcomes.iter().zip(&behaviours).enumerate() {
            prop_assert_eq!(outcome.input.0, index);
            check(behaviour, &outcome.result)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::cases(8), ..ProptestConfig::default() })]

    /// The process-level half of the claim: captured panics print nothing.
    #[test]
    fn fixed_program_reports_every_line_and_no_hook_output_leaks(
        lines in prop::collection::vec(
            prop_oneof!["[A-Z]{1,4}=[0-9]{1,4}", "[A-Z]{1,4}=[a-z]{1,3}", "=[0-9]{1,3}", "[A-Z]{1,4}"],
            1..8,
        )
    ) {
        let args: Vec<&str> = lines.iter().map(String::as_str).collect();
        let run = run("ch5-fixed", &args);
        let failed = run.stderr.lines().count();
        let succeeded = run.stdout.lines().filter(|l| l.starts_with("row ")).count();
        prop_assert_eq!(failed + succeeded, lines.len());
        run.assert()
            .try_stderr(contains("([tid]) panicked").not())?
            .try_stderr(contains("RUST_BACKTRACE").not())?
            .try_code(if failed == 0 { 0 } else { 1 })?;
    }
}

#[test]
fn in_python_a_base_exception_escapes_the_structured_worker_and_its_task_is_never_failed() {
    let Some(run) = common::python("chapters/05-structured-results/safe_worker.py") else {
        return;
    };
    snapshot!("ch5-python", run);
    // The control task ran after the worker died, on its replacement, and
    // after every result but the lost one had come back (one worker, tasks
    // in order): the map is not slow, it is waiting for a task nobody runs.
    run.assert().code(0).stdout(
        "a task sent after the map finished: ('CHECK=1', 1, None)\n\
         the pool replaced its worker: True\n\
         the map is still waiting: True\n\
         and no error says which input was lost\n",
    );
}

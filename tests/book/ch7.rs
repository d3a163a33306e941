//! Chapter 7: results sent back over a pipe, and the ones that never come.
use crate::common;

use crate::common::{line_of, run};
use predicates::prelude::*;
use predicates::str::{contains, ends_with};
use proptest::prelude::*;

const PARTS: &str = "chapters/07-results-over-pipes/parts.rs";

#[test]
fn swallowed_run_exits_0_and_two_orders_silently_vanish() {
    let run = run("ch7", &[]);
    snapshot!("ch7-swallowed", run);
    run.assert()
        .code(0)
        .stdout(
            "gear:4: 25 boxes\nbolt:x: rejected: bad quantity \"x\"\naxle:8: 12 boxes\nall workers done\n",
        )
        // Neither nut:0 nor belt:huge appears on stdout; only the panic's
        // hook line on stderr hints that something happened.
        .stdout(contains("nut").not().and(contains("belt").not()));
}

#[cfg(unix)]
#[test]
fn fixed_run_accounts_for_every_order() {
    let run = run("ch7-fixed", &[]);
    snapshot!("ch7-fixed", run);
    let panic_line = line_of(PARTS, "Ok(100 / quantity)");
    run.assert()
        .code(1)
        .stdout(
            "gear:4: 25 boxes\n\
             axle:8: 12 boxes\n\
             5 lines of worker output set aside (not results)\n\
             2 of 5 orders succeeded, 3 failed\n",
        )
        .stderr(format!(
            "error: bolt:x: returned an error: bad quantity \"x\"\n\
             error: nut:0: worker exited with code 101 before delivering a result\n\
             \x20 stderr: thread 'main' ([tid]) panicked at {PARTS}:{panic_line}:8:\n\
             \x20 stderr: attempt to divide by zero\n\
             error: belt:huge: worker killed by signal 6 (SIGABRT) before delivering a result\n"
        ));
}

/// A worker that sends a whole result and then crashes has not delivered
/// it: the fixed parent trusts a frame only from a worker that exited 0,
/// and passes on the crash's message and location. The swallowed parent
/// prints the result as if nothing happened.
#[cfg(unix)]
#[test]
fn a_result_sent_just_before_a_crash_does_not_count() {
    let panic_line = line_of(PARTS, "panic!(\"cleanup failed");
    run("ch7-fixed", &["clip:!4"])
        .assert()
        .code(1)
        .stderr(format!(
            "error: clip:!4: worker exited with code 101 before delivering a result\n\
         \x20 stderr: thread 'main' ([tid]) panicked at {PARTS}:{panic_line}:9:\n\
         \x20 stderr: cleanup failed after sending the result for clip:!4\n"
        ));
    run("ch7", &["clip:!4"])
        .assert()
        .code(0)
        .stdout("clip:!4: 25 boxes\nall workers done\n");
}

/// A reader's `RUST_BACKTRACE=1` reaches the workers, which then print a
/// backtrace after the panic message: the fixed parent still passes on the
/// location and the message, not the last frames.
#[cfg(unix)]
#[test]
fn a_dead_workers_panic_survives_its_backtrace() {
    let fixed = common::run_with_env("ch7-fixed", &["nut:0"], &[("RUST_BACKTRACE", "1")]);
    let panic_line = line_of(PARTS, "Ok(100 / quantity)");
    fixed.assert().stderr(format!(
        "error: nut:0: worker exited with code 101 before delivering a result\n\
         \x20 stderr: thread 'main' ([tid]) panicked at {PARTS}:{panic_line}:8:\n\
         \x20 stderr: attempt to divide by zero\n"
    ));
}

/// What a worker does with its order.
#[derive(Clone, Debug)]
enum Behaviour {
    Boxes(u32),
    ReturnErr,
    Panic,
    Abort,
    Killed,
    ExitZeroEarly,
    HalfLineThenBoxes(u32),
    /// Sends a whole result, then panics: the result must not count.
    BoxesThenPanic(u32),
}

impl Behaviour {
    fn order(&self, index: usize) -> String {
        let quantity = match self {
            Behaviour::Boxes(n) => n.to_string(),
            Behaviour::ReturnErr => "x".to_owned(),
            Behaviour::Panic => "0".to_owned(),
            Behaviour::Abort => "huge".to_owned(),
            Behaviour::Killed => "oom".to_owned(),
            Behaviour::ExitZeroEarly => "skip".to_owned(),
            Behaviour::HalfLineThenBoxes(n) => format!("~{n}"),
            Behaviour::BoxesThenPanic(n) => format!("!{n}"),
        };
        format!("part{index}:{quantity}")
    }

    /// The line ch7-fixed must print for this order: on stdout for a
    /// result, on stderr for a failure.
    fn expected(&self, order: &str) -> String {
        let died = |how: &str| format!("error: {order}: worker {how} before delivering a result");
        match self {
            Behaviour::Boxes(n) | Behaviour::HalfLineThenBoxes(n) => match 100 / n {
                1 => format!("{order}: 1 box"),
                boxes => format!("{order}: {boxes} boxes"),
            },
            Behaviour::ReturnErr => {
                format!("error: {order}: returned an error: bad quantity \"x\"")
            }
            Behaviour::Panic | Behaviour::BoxesThenPanic(_) => died("exited with code 101"),
            Behaviour::Abort => died("killed by signal 6 (SIGABRT)"),
            Behaviour::Killed => died("killed by signal 9 (SIGKILL)"),
            Behaviour::ExitZeroEarly => died("exited with code 0"),
        }
    }

    /// The panic ch7-fixed must pass on from the worker's stderr: its
    /// location in `parts.rs` and its message.
    fn panic(&self, order: &str) -> Option<(String, String)> {
        match self {
            Behaviour::Panic => Some((
                format!("{PARTS}:{}:8", line_of(PARTS, "Ok(100 / quantity)")),
                "attempt to divide by zero".to_owned(),
            )),
            Behaviour::BoxesThenPanic(_) => Some((
                format!("{PARTS}:{}:9", line_of(PARTS, "panic!(\"cleanup failed")),
                format!("cleanup failed after sending the result for {order}"),
            )),
            _ => None,
        }
    }

    fn succeeds(&self) -> bool {
        matches!(self, Behaviour::Boxes(_) | Behaviour::HalfLineThenBoxes(_))
    }
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    prop_oneof![
        3 => (1u32..500).prop_map(Behaviour::Boxes),
        1 => Just(Behaviour::ReturnErr),
        1 => Just(Behaviour::Panic),
        1 => Just(Behaviour::Abort),
        1 => Just(Behaviour::Killed),
        1 => Just(Behaviour::ExitZeroEarly),
        1 => (1u32..500).prop_map(Behaviour::HalfLineThenBoxes),
        1 => (1u32..500).prop_map(Behaviour::BoxesThenPanic),
    ]
}

proptest! {
    // Each case starts up to twelve processes.
    #![proptest_config(ProptestConfig { cases: common::cases(8), ..ProptestConfig::default() })]

    #[cfg(unix)]
    #[test]
    fn every_order_gets_exactly_one_outcome_of_the_right_kind(
        behaviours in prop::collection::vec(behaviour(), 1..6)
    ) {
        let orders: Vec<String> = behaviours.iter().enumerate().map(|(i, b)| b.order(i)).collect();
        let args: Vec<&str> = orders.iter().map(String::as_str).collect();

        let fixed = run("ch7-fixed", &args);
        let mut results = fixed.stdout.lines();
        // Each failure's line, with the worker's stderr lines after it.
        let mut failures = Vec::new();
        for line in fixed.stderr.lines() {
            match line.strip_prefix("  stderr: ") {
                Some(said) => {
                    let last: &mut (&str, Vec<&str>) =
                        failures.last_mut().expect("a failure line comes first");
                    last.1.push(said);
                }
                None => failures.push((line, Vec::new())),
            }
        }
        let mut failures = failures.into_iter();
        for (behaviour, order) in behaviours.iter().zip(&orders) {
            let expected = behaviour.expected(order);
            if behaviour.succeeds() {
                prop_assert_eq!(results.next(), Some(expected.as_str()));
                continue;
            }
            let (line, said) = failures.next().expect("a line for every failure");
            prop_assert_eq!(line, expected);
            if let Some((location, message)) = behaviour.panic(order) {
                let panicked = format!("thread 'main' ([tid]) panicked at {location}:");
                prop_assert_eq!(said.first().copied(), Some(panicked.as_str()));
                prop_assert_eq!(said.get(1).copied(), Some(message.as_str()));
            }
        }
        prop_assert!(failures.next().is_none(), "{}", fixed.stderr);
        let failed = behaviours.iter().filter(|b| !b.succeeds()).count();
        fixed.assert().try_code(if failed == 0 { 0 } else { 1 })?;

        // The swallowed parent always exits 0 and prints only what arrived
        // whole, a result sent just before a crash included: a result glued
        // to a half line of the worker's own output is not valid JSON, and
        // is skipped like the noise around it.
        let swallowed = run("ch7", &args);
        swallowed.assert().try_code(0)?;
        let arrived = behaviours
            .iter()
            .filter(|b| {
                matches!(
                    b,
                    Behaviour::Boxes(_) | Behaviour::ReturnErr | Behaviour::BoxesThenPanic(_)
                )
            })
            .count();
        prop_assert_eq!(swallowed.stdout.lines().count(), arrived + 1);
    }
}

#[test]
fn in_python_a_worker_that_dies_before_put_leaves_a_shorter_queue() {
    let Some(run) = common::python("chapters/07-results-over-pipes/queue_results.py") else {
        return;
    };
    snapshot!("ch7-python", run);
    run.assert()
        .code(0)
        .stdout(ends_with("3 results\n"))
        .stdout(contains("belt").not());
}

#[test]
fn in_python_joining_before_draining_blocks_on_a_large_result() {
    let Some(run) = common::python("chapters/07-results-over-pipes/queue_join_deadlock.py") else {
        return;
    };
    snapshot!("ch7-python-join", run);
    // Both joins wait the same 500 ms after the worker's put() returned:
    // the control, with a small result, has ended by then, so the worker
    // with the large one is not slow but blocked until the queue is read.
    run.assert().stdout(
        "small result: alive after join: False; after draining: alive False, got 1024 bytes\n\
         large result: alive after join: True; after draining: alive False, got 1048576 bytes\n",
    );
}

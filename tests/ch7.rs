//! Chapter 7: results sent back over a pipe, and the ones that never come.
mod common;

use common::run;
use proptest::prelude::*;

#[test]
fn swallowed_run_exits_0_and_two_orders_silently_vanish() {
    let run = run("ch7", &[]);
    snapshot!("ch7-swallowed", run);
    assert_eq!(run.code(), Some(0));
    assert_eq!(
        run.stdout,
        "gear:4: 25 boxes\nbolt:x: rejected: bad quantity \"x\"\naxle:8: 12 boxes\nall workers done\n"
    );
    // Neither nut:0 nor belt:huge appears on stdout; only the panic's hook
    // line on stderr hints that something happened.
    assert!(!run.stdout.contains("nut") && !run.stdout.contains("belt"));
}

#[cfg(unix)]
#[test]
fn fixed_run_accounts_for_every_order() {
    let run = run("ch7-fixed", &[]);
    snapshot!("ch7-fixed", run);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stdout,
        "gear:4: 25 boxes\n\
         bolt:x: returned an error: bad quantity \"x\"\n\
         nut:0: worker exited with code 101 before delivering a result\n\
         axle:8: 12 boxes\n\
         belt:huge: worker killed by signal 6 (SIGABRT) before delivering a result\n\
         5 lines of worker output set aside (not results)\n\
         error: 3 of 5 orders failed\n"
    );
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
        };
        format!("part{index}:{quantity}")
    }

    /// The line ch7-fixed must print for this order.
    fn expected(&self, order: &str) -> String {
        let died = |how: &str| format!("{order}: worker {how} before delivering a result");
        match self {
            Behaviour::Boxes(n) | Behaviour::HalfLineThenBoxes(n) => {
                format!("{order}: {} boxes", 100 / n)
            }
            Behaviour::ReturnErr => format!("{order}: returned an error: bad quantity \"x\""),
            Behaviour::Panic => died("exited with code 101"),
            Behaviour::Abort => died("killed by signal 6 (SIGABRT)"),
            Behaviour::Killed => died("killed by signal 9 (SIGKILL)"),
            Behaviour::ExitZeroEarly => died("exited with code 0"),
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
        let lines: Vec<&str> = fixed.stdout.lines().collect();
        for (index, (behaviour, order)) in behaviours.iter().zip(&orders).enumerate() {
            prop_assert_eq!(lines[index], behaviour.expected(order));
        }
        let failed = behaviours.iter().filter(|b| !b.succeeds()).count();
        prop_assert_eq!(fixed.code(), Some(if failed == 0 { 0 } else { 1 }));

        // The swallowed parent always exits 0 and prints only what arrived
        // whole: a result glued to a half line of the worker's own output
        // is not valid JSON, and is skipped like the noise around it.
        let swallowed = run("ch7", &args);
        prop_assert_eq!(swallowed.code(), Some(0));
        let arrived = behaviours
            .iter()
            .filter(|b| matches!(b, Behaviour::Boxes(_) | Behaviour::ReturnErr))
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
    assert_eq!(run.code(), Some(0));
    assert!(run.stdout.ends_with("3 results\n"));
    assert!(!run.stdout.contains("belt"));
}

#[test]
fn in_python_joining_before_draining_blocks_on_a_large_result() {
    let Some(run) = common::python("chapters/07-results-over-pipes/queue_join_deadlock.py") else {
        return;
    };
    snapshot!("ch7-python-join", run);
    assert_eq!(
        run.stdout,
        "alive after join: True\nafter draining: alive False, got 1048576 bytes\n"
    );
}

//! Chapter 4: getting the panic back whole.
use crate::common;

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;

use crate::common::{line_of, run, run_with_env};
use no_silent_failures::panic::{NON_STRING_PAYLOAD, catch, catch_with_backtrace, message};
use predicates::prelude::*;
use predicates::str::{contains, ends_with};
use proptest::prelude::*;

const JOBS: &str = "chapters/04-the-panic-payload/jobs.rs";
const PAGE: &str = "chapters/04-the-panic-payload/README.md";

#[test]
fn swallowed_run_exits_0_and_logs_unknown_error_for_two_of_three_panics() {
    let run = run("ch4", &[]);
    snapshot!("ch4-swallowed", run);

    let mut assert = run
        .assert()
        .code(0)
        .stdout(
            "job checksum failed: checksum mismatch\n\
             job upload failed: unknown error\n\
             job index failed: unknown error\n\
             1 of 4 jobs done\n",
        )
        // The formatted message existed: only the hook saw it.
        .stderr(contains("upload of report.pdf failed with status 503"));
    // So did every location.
    for needle in [
        "panic!(\"checksum",
        "panic!(\"upload",
        "panic_any(JobAborted",
    ] {
        let line = line_of(JOBS, needle);
        assert = assert
            .stderr(contains(format!("panicked at {JOBS}:{line}:")))
            .stdout(contains(format!("{JOBS}:{line}")).not());
    }
}

#[test]
fn fixed_run_reports_message_location_and_thread_and_bounds_the_wait() {
    let run = run("ch4-fixed", &[]);
    snapshot!("ch4-fixed", run);

    let mut assert = run
        .assert()
        .code(1)
        .stdout("job resize: ok\n1 of 5 jobs done\n")
        .stderr(ends_with(
            "error: sync: no outcome within 200ms; its thread is still running\n",
        ))
        // Captured panics print nothing of their own: no hook line at all.
        .stderr(contains("([tid]) panicked at").not());
    for (job, needle, message) in [
        ("checksum", "panic!(\"checksum", "checksum mismatch"),
        (
            "upload",
            "panic!(\"upload",
            "upload of report.pdf failed with status 503",
        ),
        ("index", "panic_any(JobAborted", NON_STRING_PAYLOAD),
    ] {
        let line = line_of(JOBS, needle);
        assert = assert.stderr(contains(format!(
            "error: {job}: panicked in thread 'job-{job}' at {JOBS}:{line}:5: {message}\n"
        )));
    }
}

#[test]
fn fixed_run_with_backtrace_shows_the_panicking_function() {
    // The backtrace is captured on request, whatever RUST_BACKTRACE says.
    let run = run_with_env("ch4-fixed", &["--backtrace"], &[("RUST_BACKTRACE", "0")]);
    let mut assert = run
        .assert()
        .code(1)
        .stdout(ends_with("1 of 5 jobs done\n"))
        .stderr(contains("upload_report"));
    // Naming the frames waits until main prints them: it takes about as
    // long as the deadline, and no job may miss the deadline because of it.
    for job in ["checksum", "upload", "index"] {
        assert = assert.stderr(contains(format!(
            "error: {job}: panicked in thread 'job-{job}'"
        )));
    }
    common::run("ch4-fixed", &[])
        .assert()
        .stderr(contains("upload_report").not());
}

const HOOK: &str = "chapters/04-the-panic-payload/hook.rs";
const HOOK_FIXED: &str = "chapters/04-the-panic-payload/hook_fixed.rs";
const PARSE_ERROR: &str = "a reading is a whole number: ParseIntError { kind: InvalidDigit }";

#[test]
fn a_hook_set_after_the_first_catch_loses_the_location_and_prints() {
    let run = run("ch4-hook", &[]);
    snapshot!("ch4-hook", run);

    let line = line_of(HOOK, ".expect(\"a reading");
    // Before the new hook, the capture has message, thread and location.
    // After it, the new hook prints the panic `catch` was given, and the
    // capture keeps only the payload's message.
    run.assert().code(1).stdout("").stderr(format!(
        "error: \"n/a\": panicked in thread 'main' at {HOOK}:{line}:17: {PARSE_ERROR}\n\
         app hook: panicked at {HOOK}:{line}:17: {PARSE_ERROR}\n\
         error: \"x\": panicked: {PARSE_ERROR}\n"
    ));
}

#[test]
fn a_hook_set_before_the_first_catch_is_chained_to_and_the_location_kept() {
    let run = run("ch4-hook-fixed", &[]);
    snapshot!("ch4-hook-fixed", run);

    let line = line_of(HOOK_FIXED, ".expect(\"a reading");
    let at = format!("panicked in thread 'main' at {HOOK_FIXED}:{line}:17: {PARSE_ERROR}");
    run.assert().code(1).stderr(format!(
        "error: \"n/a\": {at}\n\
         error: \"x\": {at}\n\
         app hook: panicked at {HOOK_FIXED}:{line}:17: {PARSE_ERROR}\n\
         error: \"?\": panicked: {PARSE_ERROR}\n"
    ));
}

#[test]
fn join_hands_back_only_the_payload() {
    let payload = thread::spawn(|| panic!("{} went wrong", "something"))
        .join()
        .unwrap_err();
    // No location, no backtrace: just a Box<dyn Any + Send>.
    assert_eq!(format!("{payload:?}"), "Any { .. }");
    assert_eq!(message(payload.as_ref()), "something went wrong");
}

/// How a generated task panics.
#[derive(Clone, Debug)]
enum Payload {
    Literal,
    Formatted(String),
    NotAString(u64),
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        Just(Payload::Literal),
        "[ -~]{0,40}".prop_map(Payload::Formatted),
        any::<u64>().prop_map(Payload::NotAString),
    ]
}

fn panic_with(payload: &Payload) -> u32 {
    match payload {
        Payload::Literal => panic!("a literal message"),
        Payload::Formatted(text) => panic!("formatted: {text}"),
        Payload::NotAString(value) => std::panic::panic_any(*value),
    }
}

fn expected_message(payload: &Payload) -> String {
    match payload {
        Payload::Literal => "a literal message".to_owned(),
        Payload::Formatted(text) => format!("formatted: {text}"),
        Payload::NotAString(_) => NON_STRING_PAYLOAD.to_owned(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::cases(64), ..ProptestConfig::default() })]

    /// Many threads panic at the same moment, each inside its own `catch`:
    /// every one gets its own message and a location in this file.
    #[test]
    fn concurrent_captures_never_mix_up_their_panics(
        payloads in prop::collection::vec(payload(), 1..6)
    ) {
        let start = Arc::new(Barrier::new(payloads.len()));
        let workers: Vec<_> = payloads
            .iter()
            .cloned()
            .enumerate()
            .map(|(index, payload)| {
                let start = Arc::clone(&start);
                thread::Builder::new()
                    .name(format!("worker-{index}"))
                    .spawn(move || {
                        start.wait();
                        catch(|| panic_with(&payload))
                    })
                    .unwrap()
            })
            .collect();
        for (index, (worker, payload)) in workers.into_iter().zip(&payloads).enumerate() {
            let panic = worker.join().expect("catch returns, it does not unwind").unwrap_err();
            prop_assert_eq!(&panic.message, &expected_message(payload));
            prop_assert_eq!(panic.thread, Some(format!("worker-{index}")));
            let location = panic.location.expect("the hook saw a location");
            prop_assert_eq!(location.file, "tests/book/ch4.rs");
            prop_assert_eq!(panic.backtrace, None);
        }
    }
}

#[test]
fn nested_catches_record_into_the_innermost() {
    let outer = catch(|| {
        let inner = catch(|| panic!("inner"));
        assert_eq!(inner.unwrap_err().message, "inner");
        panic!("outer")
    });
    let outer: Result<(), _> = outer;
    assert_eq!(outer.unwrap_err().message, "outer");
}

#[test]
fn a_backtrace_is_recorded_only_when_asked_for() {
    let with = catch_with_backtrace(|| panic!("x")).unwrap_err();
    assert!(
        with.backtrace
            .is_some_and(|b| b.as_str().contains("tests/book/ch4.rs"))
    );
    let without = catch(|| panic!("x")).unwrap_err();
    assert_eq!(without.backtrace, None);
}

#[test]
fn in_python_get_reraises_with_the_worker_traceback_as_text() {
    let Some(run) = common::python("chapters/04-the-panic-payload/get_traceback.py") else {
        return;
    };
    snapshot!("ch4-python", run);
    run.assert().code(0).stdout(
        "type: RuntimeError\n\
         message: upload of report.pdf failed with status 503\n\
         cause type: RemoteTraceback\n\
         worker frame in cause: True\n",
    );
}

/// One row of the payload table on the chapter page: how the panic is
/// raised, as the page writes it, and a function that raises it so.
const PAYLOADS: &[(&str, fn())] = &[
    ("`panic!(\"literal\")`", || panic!("literal")),
    ("`assert!(c, \"literal\")`", || {
        assert!(black_box(false), "literal")
    }),
    ("`unreachable!()`", || {
        if black_box(true) {
            unreachable!()
        }
    }),
    ("`todo!()`", || {
        if black_box(true) {
            todo!()
        }
    }),
    ("`Option::unwrap()` on `None`", || {
        black_box(black_box(None::<u8>).unwrap());
    }),
    ("arithmetic overflow (debug build)", || {
        black_box(black_box(u8::MAX) + 1);
    }),
    ("division by zero", || {
        black_box(1 / black_box(0_u8));
    }),
    ("`panic!(\"{x}\")`", || {
        let x = black_box(7);
        panic!("{x}")
    }),
    ("`Option::expect(\"literal\")` on `None`", || {
        black_box(black_box(None::<u8>).expect("literal"));
    }),
    ("`Result::unwrap()` on `Err`", || {
        black_box(black_box("x").parse::<u8>().unwrap());
    }),
    ("`Result::expect(\"literal\")` on `Err`", || {
        black_box(black_box("x").parse::<u8>().expect("literal"));
    }),
    ("an index out of bounds", || {
        black_box([1, 2][black_box(5)]);
    }),
    ("`std::panic::panic_any(value)`", || {
        std::panic::panic_any(7_u8)
    }),
];

/// The rows of the page's payload table: (raised with, payload type).
fn payload_table() -> Vec<(String, String)> {
    let page = std::fs::read_to_string(common::root().join(PAGE)).unwrap();
    let table = page
        .split_once("| raised with | payload type |\n|---|---|\n")
        .expect("the page has the payload table")
        .1;
    table
        .lines()
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
            let [raised, payload] = cells[..] else {
                panic!("a row has two cells: {line}")
            };
            (raised.trim().to_owned(), payload.trim().to_owned())
        })
        .collect()
}

#[test]
fn every_row_of_the_payload_table_holds() {
    // Inside a capture scope, so the hook records instead of printing.
    let _quiet = no_silent_failures::panic::CaptureScope::enter(false);
    let rows = payload_table();
    assert_eq!(
        rows.iter()
            .map(|(raised, _)| raised.as_str())
            .collect::<Vec<_>>(),
        PAYLOADS
            .iter()
            .map(|(raised, _)| *raised)
            .collect::<Vec<_>>(),
        "the test raises exactly the table's rows, in its order"
    );
    for ((raised, payload_type), (_, raise)) in rows.iter().zip(PAYLOADS) {
        let payload = std::panic::catch_unwind(raise).unwrap_err();
        let actual = if payload.is::<&'static str>() {
            "`&'static str`"
        } else if payload.is::<String>() {
            "`String`"
        } else if payload.is::<u8>() {
            "the type of `value`"
        } else {
            "something else"
        };
        assert_eq!(actual, payload_type, "{raised}");
        if payload_type != "the type of `value`" {
            assert_ne!(message(payload.as_ref()), NON_STRING_PAYLOAD, "{raised}");
        }
    }
}

// --- tools (issue 23) ---

const CHAIN: &str = "chapters/04-the-panic-payload/chain_work.rs";
const POLL: &str = "chapters/04-the-panic-payload/poll_jobs.rs";

/// Runs `example` with `RUST_BACKTRACE=1`, as an operator chasing a crash
/// would, and shows it that way.
fn run_with_backtrace(example: &str) -> common::Run {
    common::run_program(
        &common::example_binary(example),
        &format!("RUST_BACKTRACE=1 cargo run --example {example}"),
        &[],
        &[("RUST_BACKTRACE", "1")],
    )
}

#[test]
fn a_hook_that_replaces_the_default_loses_its_report_and_the_backtrace() {
    let run = run_with_backtrace("ch4-chain");
    snapshot!("ch4-chain-swallowed", run);
    let line = line_of(CHAIN, ".expect(\"a reading");
    // The log line, and main's report of the caught panic: nothing else.
    assert_eq!(
        run.stderr,
        format!(
            "error: thread 'reading n/a': panicked at {CHAIN}:{line}:17: \
             a reading is a whole number: ParseIntError {{ kind: InvalidDigit }}\n\
             error: \"x\": panicked in thread 'main' at {CHAIN}:{line}:17: \
             a reading is a whole number: ParseIntError {{ kind: InvalidDigit }}\n"
        )
    );
}

#[test]
fn a_hook_chained_with_take_hook_keeps_the_default_report_and_the_backtrace() {
    let run = run_with_backtrace("ch4-chain-fixed");
    snapshot!("ch4-chain-fixed", run);
    let line = line_of(CHAIN, ".expect(\"a reading");
    let log = format!("error: thread 'reading n/a': panicked at {CHAIN}:{line}:17:");
    let default = format!("thread 'reading n/a' ([tid]) panicked at {CHAIN}:{line}:17:\n");
    let (log_at, default_at) = (run.stderr.find(&log), run.stderr.find(&default));
    assert!(log_at.is_some() && default_at.is_some(), "{}", run.stderr);
    assert!(log_at < default_at, "the log line comes first");
    assert!(run.stderr.contains("stack backtrace:\n"), "{}", run.stderr);
    // The panic `catch` captured reached neither hook: it is reported once,
    // by main, and the default hook never printed it.
    assert_eq!(run.stderr.matches("\"x\"").count(), 1);
    assert!(!run.stderr.contains("thread 'main' ([tid]) panicked"));
    // One panic went to the hooks: the log line and the default report.
    assert_eq!(run.stderr.matches("panicked at").count(), 2);
}

#[test]
fn is_finished_is_true_for_a_thread_that_panicked() {
    let run = run("ch4-poll", &[]);
    snapshot!("ch4-poll-swallowed", run);
    assert_eq!(run.code(), Some(0));
    assert_eq!(
        run.stdout,
        "compact: done\nreindex: done\nvacuum: still running, left in the background\n"
    );
    let line = line_of(POLL, "panic!(\"index 3 is corrupt\")");
    assert!(
        run.stderr.contains(&format!(
            "panicked at {POLL}:{line}:38:\nindex 3 is corrupt\n"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn polling_is_finished_against_a_deadline_then_joining_tells_every_ending_apart() {
    let run = run("ch4-poll-fixed", &[]);
    snapshot!("ch4-poll-fixed", run);
    assert_eq!(run.code(), Some(1));
    assert_eq!(run.stdout, "compact: done: 12\n");
    assert_eq!(
        run.error_lines(),
        [
            "error: reindex: panicked: index 3 is corrupt",
            "error: vacuum: still running after 500ms, left running",
        ]
    );
}

#[test]
fn a_finished_handle_joins_at_once_and_join_alone_says_whether_it_panicked() {
    common::within("polling two threads", || {
        let ok = thread::spawn(|| 7);
        let panics = thread::spawn(|| {
            let _quiet = no_silent_failures::panic::CaptureScope::enter(false);
            panic!("reindex failed")
        });
        // A poll, not a sleep: the loop ends when both have ended.
        while !(ok.is_finished() && panics.is_finished()) {
            thread::yield_now();
        }
        assert_eq!(ok.join().ok(), Some(7));
        let payload = panics.join().expect_err("finished, and by a panic");
        assert_eq!(message(payload.as_ref()), "reindex failed");
    });
}

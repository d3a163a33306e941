//! Chapter 4: getting the panic back whole.
mod common;

use std::sync::{Arc, Barrier};
use std::thread;

use common::{line_of, run, run_with_env};
use no_silent_failures::panic::{NON_STRING_PAYLOAD, catch, catch_with_backtrace, message};
use proptest::prelude::*;

const JOBS: &str = "chapters/04-the-panic-payload/jobs.rs";

#[test]
fn swallowed_run_exits_0_and_logs_unknown_error_for_two_of_three_panics() {
    let run = run("ch4", &[]);
    snapshot!("ch4-swallowed", run);

    assert_eq!(run.code(), Some(0));
    assert_eq!(
        run.stdout,
        "job checksum failed: checksum mismatch\n\
         job upload failed: unknown error\n\
         job index failed: unknown error\n\
         1 of 4 jobs done\n"
    );
    // The formatted message existed: only the hook saw it.
    assert!(
        run.stderr
            .contains("upload of report.pdf failed with status 503")
    );
    // So did every location.
    for needle in [
        "panic!(\"checksum",
        "panic!(\"upload",
        "panic_any(JobAborted",
    ] {
        let line = line_of(JOBS, needle);
        assert!(run.stderr.contains(&format!("panicked at {JOBS}:{line}:")));
        assert!(!run.stdout.contains(&format!("{JOBS}:{line}")));
    }
}

#[test]
fn fixed_run_reports_message_location_and_thread_and_bounds_the_wait() {
    let run = run("ch4-fixed", &[]);
    snapshot!("ch4-fixed", run);

    assert_eq!(run.code(), Some(1));
    assert_eq!(run.stdout, "job resize: ok\n");
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
        let expected =
            format!("job {job}: panicked in thread 'job-{job}' at {JOBS}:{line}:5: {message}\n");
        assert!(run.stderr.contains(&expected), "missing {expected:?}");
    }
    assert!(run.stderr.contains("job sync: no outcome within 200ms"));
    // Captured panics print nothing of their own: no hook line at all.
    assert!(
        !run.stderr.contains("([tid]) panicked at"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.ends_with("error: 4 of 5 jobs failed\n"));
}

#[test]
fn fixed_run_with_backtrace_shows_the_panicking_function() {
    // The backtrace is captured on request, whatever RUST_BACKTRACE says.
    let run = run_with_env("ch4-fixed", &["--backtrace"], &[("RUST_BACKTRACE", "0")]);
    assert_eq!(run.code(), Some(1));
    // Naming the frames waits until main prints them: it takes about as
    // long as the deadline, and no job may miss the deadline because of it.
    for job in ["checksum", "upload", "index"] {
        let line = format!("job {job}: panicked in thread 'job-{job}'");
        assert!(run.stderr.contains(&line), "{}", run.stderr);
    }
    assert!(run.stderr.ends_with("error: 4 of 5 jobs failed\n"));
    assert!(run.stderr.contains("upload_report"), "{}", run.stderr);
    let without = common::run("ch4-fixed", &[]);
    assert!(!without.stderr.contains("upload_report"));
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
            prop_assert_eq!(location.file, "tests/ch4.rs");
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
            .is_some_and(|b| b.as_str().contains("tests/ch4.rs"))
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
    assert_eq!(run.code(), Some(0));
    assert_eq!(
        run.stdout,
        "type: RuntimeError\n\
         message: upload of report.pdf failed with status 503\n\
         cause type: RemoteTraceback\n\
         worker frame in cause: True\n"
    );
}

#[test]
fn which_panics_carry_a_str_and_which_a_string() {
    // Inside a capture scope, so the hook records instead of printing.
    let scope = no_silent_failures::panic::CaptureScope::enter(false);
    let payload = |work: fn()| {
        let _ = &scope;
        std::panic::catch_unwind(work).unwrap_err()
    };
    assert!(payload(|| panic!("literal")).is::<&str>());
    assert!(payload(|| panic!("{}", 1 + 1)).is::<String>());
    assert!(
        payload(|| {
            std::hint::black_box(std::hint::black_box(None::<u8>).expect("an expect"));
        })
        .is::<String>()
    );
    assert!(
        payload(|| {
            std::hint::black_box("x".parse::<u8>().unwrap());
        })
        .is::<String>()
    );
    assert!(
        payload(|| {
            std::hint::black_box([1, 2][std::hint::black_box(5)]);
        })
        .is::<String>()
    );
    assert!(payload(|| std::panic::panic_any(7_u8)).is::<u8>());
}

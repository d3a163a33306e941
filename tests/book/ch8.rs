//! Chapter 8: errors that cannot cross a thread or a process boundary.
use crate::common;

use std::error::Error;
use std::fmt;

use crate::common::{line_of, run};
use no_silent_failures::panic::{Location, NON_STRING_PAYLOAD};
use no_silent_failures::report::ErrorReport;
use predicates::prelude::*;
use predicates::str::{contains, starts_with};
use proptest::prelude::*;

const DIR: &str = "chapters/08-errors-that-cannot-cross";

#[test]
fn swallowed_run_reports_the_serializer_and_the_hook_instead_of_the_errors() {
    let run = run("ch8", &[]);
    snapshot!("ch8-swallowed", run);
    run.assert()
        .code(0)
        .stdout(
            "q1: {\"Ok\":12}\n\
             q2: worker crashed: results always serialize: Error(\"key must be a string\", line: 0, column: 0)\n\
             q3: worker crashed: Box<dyn Any>\n",
        )
        // The two bad cells, and who held the lock, are nowhere.
        .stdout(contains("n/a").not().and(contains("ana").not()));
}

#[test]
fn fixed_run_brings_back_the_error_and_the_panic_location() {
    let run = run("ch8-fixed", &[]);
    snapshot!("ch8-fixed", run);
    let line = line_of(&format!("{DIR}/sheets.rs"), "panic_any(SheetLocked");
    run.assert()
        .code(1)
        .stdout("q1: 12 rows\n1 of 3 sheets succeeded, 2 failed\n")
        .stderr(format!(
            "error: q2: returned ch8_fixed::GridError: 2 bad cells: (3, 4) \"n/a\" is not a number; (9, 1) date before 1900;\n\
             error: q3: panicked at {DIR}/sheets.rs:{line}:17: {NON_STRING_PAYLOAD}\n"
        ));
}

#[test]
fn an_error_holding_an_rc_does_not_compile_as_a_thread_result() {
    let (compile, _) = common::rustc(&format!("{DIR}/not_send.rs"), &[]);
    // It must not compile.
    compile.assert().code(1).stderr(starts_with(
        "error[E0277]: `Rc<String>` cannot be sent between threads safely",
    ));
    snapshot!("ch8-not-send", compile);
}

fn report() -> impl Strategy<Value = ErrorReport> {
    (
        "[a-zA-Z:_]{1,30}",
        any::<String>(),
        prop::collection::vec(any::<String>(), 0..5),
        prop::option::of(("[a-z/_.]{1,20}", 1u32..10_000, 1u32..200)),
        prop::option::of(any::<String>()),
    )
        .prop_map(|(kind, message, causes, location, backtrace)| ErrorReport {
            kind,
            message,
            causes,
            location: location.map(|(file, line, column)| Location { file, line, column }),
            backtrace,
        })
}

/// An error whose `source()` is the next one in a chain of messages.
#[derive(Debug)]
struct Chained {
    message: String,
    source: Option<Box<Chained>>,
}

impl fmt::Display for Chained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for Chained {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

// ANCHOR: roundtrip
proptest! {
    #[test]
    fn any_report_survives_a_round_trip_through_json(report in report()) {
        let json = serde_json::to_string(&report).unwrap();
        let back: ErrorReport = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, report);
    }
// ANCHOR_END: roundtrip

    #[test]
    fn a_report_keeps_every_message_of_the_chain_in_order(
        messages in prop::collection::vec(any::<String>(), 1..8)
    ) {
        let chain = messages.iter().rev().fold(None, |source, message| {
            Some(Box::new(Chained { message: message.clone(), source }))
        }).unwrap();
        let report = ErrorReport::from_error(&*chain);
        prop_assert_eq!(&report.message, &messages[0]);
        prop_assert_eq!(&report.causes, &messages[1..].to_vec());
        prop_assert_eq!(report.to_string(), messages.join(": "));
    }
}

#[test]
fn in_python_an_unpicklable_exception_arrives_as_a_pickling_error() {
    let Some(run) = common::python("chapters/08-errors-that-cannot-cross/unpicklable.py") else {
        return;
    };
    snapshot!("ch8-python", run);
    run.assert()
        .stdout("type: MaybeEncodingError\nmentions bad cells: False\nmentions pickling: True\n");
}

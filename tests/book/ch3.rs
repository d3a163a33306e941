//! Chapter 3: a dropped `JoinHandle` (std or tokio) takes the outcome with it.
use crate::common;

use crate::common::{line_of, run};
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

// --- tools (issue 23) ---

#[test]
fn a_while_let_ok_loop_stops_at_the_first_panic_and_its_dropped_set_cancels_the_rest() {
    let run = run("ch3-joinset", &[]);
    snapshot!("ch3-joinset-swallowed", run);
    assert_eq!(run.code(), Some(0));
    // ana counted, bob's error printed, then the panic ended the loop:
    // eve's outcome was never read, and ops' task was cancelled unseen
    // (both checked on their own below).
    assert_eq!(run.stdout, "sent 1 notification\n");
    assert_eq!(
        run.error_lines(),
        ["error: cannot deliver to \"bob.example.org\": no @ in address"]
    );
    assert!(!run.stderr.contains("eve") && !run.stderr.contains("ops"));
    assert!(run.stderr.contains("recipient must not be empty"));
}

#[test]
fn a_task_spawned_after_the_panicking_one_ran_and_its_outcome_stays_unread() {
    // `ch3-joinset`'s shape on its one-thread runtime: ana, the panic, eve.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let eve_ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut set = tokio::task::JoinSet::new();
        set.spawn(async {});
        set.spawn(async {
            let _quiet = no_silent_failures::panic::CaptureScope::enter(false);
            panic!("recipient must not be empty")
        });
        let ran = std::sync::Arc::clone(&eve_ran);
        set.spawn(async move { ran.store(true, std::sync::atomic::Ordering::SeqCst) });
        let mut read = 0;
        while let Some(Ok(())) = set.join_next().await {
            read += 1;
        }
        assert_eq!(read, 1, "the loop stopped at the panic");
        // The runtime ran every task before `main` was polled again.
        assert!(eve_ran.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(set.len(), 1, "eve's outcome is still in the set, unread");
    });
}

#[test]
fn a_drained_join_set_names_each_input_and_keeps_error_panic_and_cancellation_apart() {
    let run = run("ch3-joinset-fixed", &[]);
    snapshot!("ch3-joinset-fixed", run);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stdout,
        "sent to \"ana@example.org\"\nsent to \"eve@example.org\"\nsent 2 of 5 notifications\n"
    );
    assert_eq!(
        run.error_lines(),
        [
            "error: \"ops@example.org\": cancelled",
            "error: \"bob.example.org\": returned: cannot deliver to \"bob.example.org\": \
             no @ in address",
            "error: \"\": panicked: recipient must not be empty",
        ]
    );
}

#[test]
fn dropping_a_join_set_aborts_the_tasks_still_in_it() {
    common::within("a JoinSet dropped with a task waiting", || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (mut reply, replied) = tokio::sync::oneshot::channel::<()>();
            let mut set = tokio::task::JoinSet::new();
            let task = set.spawn(async move {
                let _ = replied.await;
            });
            tokio::task::yield_now().await;
            assert!(!task.is_finished(), "the task waits for its reply");
            drop(set);
            // The aborted task's future is dropped, its receiver with it.
            reply.closed().await;
        });
    });
}

#[test]
fn an_aborted_task_comes_back_as_a_cancelled_join_error() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        let handle = set.spawn(std::future::pending::<()>());
        handle.abort();
        let error = set.join_next().await.unwrap().unwrap_err();
        assert!(error.is_cancelled() && !error.is_panic());
        assert_eq!(error.id(), handle.id());
        // `abort_all` ends the same way.
        set.spawn(std::future::pending::<()>());
        set.abort_all();
        assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    });
}

#[test]
fn a_task_cut_short_by_the_runtime_s_shutdown_is_a_cancelled_join_error() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let handle = runtime.spawn(std::future::pending::<()>());
    drop(runtime);
    // A second runtime, only to await the handle the first one left.
    let error = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(handle)
        .unwrap_err();
    assert!(error.is_cancelled() && !error.is_panic());
}

/// One file of the tokio release this crate builds against, as cargo
/// unpacked it.
fn tokio_source(file: &str) -> String {
    let lock = std::fs::read_to_string(common::root().join("Cargo.lock")).unwrap();
    let version = lock
        .split("[[package]]")
        .find(|package| package.contains("name = \"tokio\"\n"))
        .and_then(|package| package.split("version = \"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("tokio is in Cargo.lock");
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo")
        });
    let registry = home.join("registry/src");
    let dir = std::fs::read_dir(&registry)
        .unwrap()
        .map(|entry| entry.unwrap().path().join(format!("tokio-{version}")))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| panic!("tokio {version} is not unpacked under {registry:?}"));
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// Whether `item` (the start of its declaration) sits inside a
/// `cfg_unstable! { .. }` block of `source`: after the block's opening
/// brace, and before the brace that closes it.
fn inside_cfg_unstable(source: &str, item: &str) -> bool {
    let at = source.find(item).unwrap_or_else(|| panic!("no {item}"));
    let Some(block) = source[..at].rfind("cfg_unstable! {") else {
        return false;
    };
    let mut depth = 0;
    for (offset, c) in source[block..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => return at < block + offset,
            '}' => depth -= 1,
            _ => {}
        }
    }
    false
}

#[test]
fn tokio_s_runtime_wide_panic_policy_exists_only_under_tokio_unstable() {
    let builder = tokio_source("src/runtime/builder.rs");
    assert!(inside_cfg_unstable(
        &builder,
        "pub fn unhandled_panic(&mut self"
    ));
    assert!(inside_cfg_unstable(&builder, "pub enum UnhandledPanic"));
    // And it refuses every runtime but the current-thread one.
    let method = &builder[builder.find("pub fn unhandled_panic(&mut self").unwrap()..];
    let body = &method[..method.find("\n        }\n").unwrap()];
    assert!(
        body.contains(
            "if !matches!(self.kind, Kind::CurrentThread) \
             && matches!(behavior, UnhandledPanic::ShutdownRuntime)"
        ),
        "{body}"
    );
    assert!(body.contains("panic!(\"UnhandledPanic::ShutdownRuntime is only supported"));
    // A stable method, for contrast.
    assert!(!inside_cfg_unstable(
        &builder,
        "pub fn enable_all(&mut self"
    ));
    let macros = tokio_source("src/macros/cfg.rs");
    let unstable = macros.split("macro_rules! cfg_unstable {").nth(1).unwrap();
    let definition = &unstable[..unstable.find("macro_rules!").unwrap_or(unstable.len())];
    assert!(
        definition.contains("#[cfg(tokio_unstable)]"),
        "{definition}"
    );
}

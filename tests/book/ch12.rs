//! Chapter 12: traps with no Python counterpart.
use crate::common;

use std::sync::{Arc, Mutex};

use crate::common::{Ending, line_of, run, run_program};
use no_silent_failures::panic::catch;
use predicates::str::contains;

const DIR: &str = "chapters/12-rust-only-traps";
const SIGABRT: i32 = 6;

#[test]
fn poison_swallowed_serves_half_updated_state_and_exits_0() {
    let run = run("ch12", &[]);
    snapshot!("ch12-swallowed", run);
    run.assert()
        .code(0)
        // Three accounts of 100 each; the balances add up to 270: request
        // 2's 30 was debited and never credited.
        .stdout("request 2: 500 internal error\nbalances: [85, 90, 95]\n");
}

#[test]
fn poison_fixed_refuses_the_poisoned_ledger() {
    let run = run("ch12-fixed", &[]);
    snapshot!("ch12-fixed", run);
    let line = line_of(&format!("{DIR}/ledger.rs"), "self.balances[to] += amount");
    run.assert()
        .code(1)
        .stdout("request 0: ok\nrequest 1: ok\n")
        .stderr(format!(
            "error: request 2: panicked at {DIR}/ledger.rs:{line}:22: index out of bounds: the len is 3 but the index is 7\n\
             error: request 3: refused: an earlier request panicked while holding the ledger\n\
             error: balances: not shown, the ledger is poisoned\n"
        ));
}

#[test]
fn catching_a_panic_inside_the_guard_scope_prevents_poisoning() {
    let shared = Arc::new(Mutex::new(vec![0]));
    // Caught while the guard is alive: the guard drops normally, no poison,
    // and the half-done update is silently kept.
    {
        let mut guard = shared.lock().unwrap();
        guard.push(1);
        let _ = catch(|| panic!("mid-update"));
    }
    assert!(!shared.is_poisoned());
    // Caught outside: the guard drops during unwinding and poisons.
    let _ = catch(|| {
        let _guard = shared.lock().unwrap();
        panic!("mid-update");
    });
    assert!(shared.is_poisoned());
}

#[test]
fn rayon_spawn_swallowed_aborts_and_loses_the_buffered_report() {
    let run = run("ch12-rayon-spawn", &[]);
    snapshot!("ch12-rayon-spawn-swallowed", run);
    assert_eq!(run.ending, Ending::Signal(SIGABRT));
    run.assert()
        .interrupted()
        // However many sizes `main` had received by then sit in its buffer,
        // and the abort discards them with the process: no size was printed.
        .stdout("")
        .stderr(contains("Rayon: detected unexpected panic; aborting"));
}

#[test]
fn rayon_spawn_fixed_reports_every_file() {
    let run = run("ch12-rayon-spawn-fixed", &[]);
    snapshot!("ch12-rayon-spawn-fixed", run);
    let line = line_of(&format!("{DIR}/sizes.rs"), ".expect(\"a file name");
    run.assert()
        .code(1)
        .stdout("\"a.txt\": 9700 bytes\n\"b.txt\": 9800 bytes\n\"d.txt\": 10000 bytes\n")
        .stderr(format!(
            "error: \"\": panicked at {DIR}/sizes.rs:{line}:37: a file name is never empty\n"
        ));
}

#[test]
fn drop_swallowed_aborts_and_the_later_batches_never_run() {
    let run = run("ch12-drop", &[]);
    snapshot!("ch12-drop-swallowed", run);
    assert_eq!(run.ending, Ending::Signal(SIGABRT));
    run.assert()
        .interrupted()
        .stdout("batch monday: imported 3 rows\n")
        .stderr(contains("panic in a destructor during cleanup"));
}

#[test]
fn drop_fixed_reports_both_failures_and_carries_on() {
    let run = run("ch12-drop-fixed", &[]);
    snapshot!("ch12-drop-fixed", run);
    let line = line_of(&format!("{DIR}/transaction.rs"), "panic!(\"row 17");
    run.assert()
        .code(1)
        .stdout("batch monday: imported 3 rows\nbatch wednesday: imported 3 rows\n")
        // The destructor ran while tuesday's panic unwound, and knew it.
        .stderr(format!(
            "error: batch tuesday: panicked in thread 'main' at {DIR}/transaction.rs:{line}:9: row 17 of tuesday is malformed\n\
             error: batch tuesday: rollback of tuesday failed: connection lost (while a panic was unwinding)\n"
        ));
}

#[test]
fn send_swallowed_claims_every_record_sent() {
    let run = run("ch12-send", &[]);
    snapshot!("ch12-send-swallowed", run);
    run.assert()
        .code(0)
        .stdout("producer: sent 5 records\ncollector: stored 0 records\n")
        .stderr("");
}

#[test]
fn send_fixed_names_the_undelivered_records_and_the_reason() {
    let run = run("ch12-send-fixed", &[]);
    snapshot!("ch12-send-fixed", run);
    run.assert()
        .code(1)
        .stdout("producer: delivered 3 of 5 records\n")
        .stderr(
            "error: collector: stopped: malformed record \"id 3\"\n\
             error: id=4: not delivered, the collector had stopped\n\
             error: id=5: not delivered, the collector had stopped\n",
        );
}

#[test]
fn under_panic_abort_catch_unwind_catches_nothing() {
    let (compile, binary) = common::rustc(&format!("{DIR}/abort_demo.rs"), &["-C", "panic=abort"]);
    compile.assert().success();
    let run = run_program(
        binary.path(),
        &format!("rustc -C panic=abort {DIR}/abort_demo.rs && ./abort_demo"),
        &[],
        &[],
    );
    snapshot!("ch12-abort", run);
    assert_eq!(run.ending, Ending::Signal(SIGABRT));
    run.assert()
        .interrupted()
        // catch_unwind never returned.
        .stdout("")
        .stderr(contains("a panic in a panic=abort build"));
}

#[test]
fn a_rayon_panic_handler_prevents_the_abort_but_only_sees_the_payload() {
    let (payloads, received) = std::sync::mpsc::channel();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .panic_handler(move |payload| {
            let _ = payloads.send(no_silent_failures::panic::message(payload.as_ref()));
        })
        .build()
        .unwrap();
    pool.spawn(|| {
        let _scope = no_silent_failures::panic::CaptureScope::enter(false);
        panic!("job 3 failed");
    });
    // The process is still here; the handler got the message, and nothing
    // that says which job it was beyond what the message itself says.
    assert_eq!(
        received.recv_timeout(std::time::Duration::from_secs(10)),
        Ok("job 3 failed".to_owned())
    );
}

#[test]
fn a_successful_send_on_a_buffered_channel_means_queued_not_handled() {
    let (records, received) = std::sync::mpsc::channel::<&str>();
    // The receiver is alive, so the send succeeds: the record is queued...
    assert!(records.send("id=1").is_ok());
    // ...and dropped unread with the receiver. Only the next send can tell.
    drop(received);
    assert!(records.send("id=2").is_err());
}

// --- tools (issue 23) ---

#[test]
fn a_tokio_mutex_never_poisons_so_the_half_done_update_is_kept_silently() {
    let run = run("ch12-tokio-lock", &[]);
    snapshot!("ch12-tokio-lock-swallowed", run);
    assert_eq!(run.code(), Some(0));
    // As with `into_inner` on a poisoned std lock: 270, not 300.
    assert_eq!(
        run.stdout,
        "request 2: 500 internal error\nbalances: [85, 90, 95]\n"
    );
}

#[test]
fn updating_a_copy_under_a_tokio_mutex_keeps_the_books_whole_and_reports_the_panic() {
    let run = run("ch12-tokio-lock-fixed", &[]);
    snapshot!("ch12-tokio-lock-fixed", run);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stdout,
        "request 0: ok\nrequest 1: ok\nrequest 3: ok\nbalances: [85, 90, 125]\n"
    );
    assert_eq!(
        run.error_lines(),
        ["error: request 2: panicked: index out of bounds: the len is 3 but the index is 7"]
    );
}

/// Runs `work` with its panic recorded, not printed, and lets it unwind.
fn quietly(work: impl FnOnce()) {
    let _quiet = no_silent_failures::panic::CaptureScope::enter(false);
    work();
}

#[test]
fn a_tokio_mutex_held_by_a_panicking_task_is_unlocked_with_the_update_half_done() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let shared = Arc::new(tokio::sync::Mutex::new(vec![0]));
        let task = tokio::spawn({
            let shared = Arc::clone(&shared);
            async move {
                let mut guard = shared.lock().await;
                guard.push(1);
                quietly(|| panic!("mid-update"));
            }
        });
        assert!(task.await.unwrap_err().is_panic());
        // No poison to report: the lock is free, the push is there.
        assert_eq!(*shared.try_lock().expect("unlocked"), [0, 1]);
    });
}

#[test]
fn clear_poison_clears_the_flag_and_repairs_nothing() {
    let run = run("ch12-clear-poison", &[]);
    snapshot!("ch12-clear-poison-swallowed", run);
    assert_eq!(run.code(), Some(0));
    assert_eq!(
        run.stdout,
        "request 2: 500 internal error\npoisoned: false\nbalances: [85, 90, 95]\n"
    );
}

#[test]
fn restoring_the_last_finished_update_before_clear_poison_keeps_the_books_whole() {
    let run = run("ch12-clear-poison-fixed", &[]);
    snapshot!("ch12-clear-poison-fixed", run);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stdout,
        "request 0: ok\nrequest 1: ok\nrequest 3: ok, on books restored after a panic\n\
         balances: [85, 90, 125]\n"
    );
    let line = line_of(&format!("{DIR}/ledger.rs"), "self.balances[to] += amount");
    assert_eq!(
        run.error_lines(),
        [format!(
            "error: request 2: panicked at {DIR}/ledger.rs:{line}:22: \
             index out of bounds: the len is 3 but the index is 7"
        )]
    );
}

/// Builds `file` (in this chapter's folder) with `-C panic=abort` and runs it.
fn run_abort_build(file: &str) -> common::Run {
    let (compile, binary) = common::rustc(&format!("{DIR}/{file}.rs"), &["-C", "panic=abort"]);
    assert_eq!(compile.code(), Some(0), "{}", compile.stderr);
    run_program(
        binary.path(),
        &format!("rustc -C panic=abort {DIR}/{file}.rs && ./{file}"),
        &[],
        &[],
    )
}

#[test]
fn under_panic_abort_a_bufwriter_s_lines_are_lost_with_the_process() {
    let run = run_abort_build("abort_flush");
    snapshot!("ch12-abort-flush-swallowed", run);
    assert_eq!(run.ending, Ending::Signal(SIGABRT));
    // Records 1 and 2 were written, into the buffer; no destructor flushed
    // it. The `print!` without a newline sat in stdout's line buffer.
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("an id is a number"));
}

#[test]
fn under_panic_abort_the_hook_writes_the_crash_report_and_flushed_lines_survive() {
    let run = run_abort_build("abort_flush_fixed");
    snapshot!("ch12-abort-flush-fixed", run);
    assert_eq!(run.ending, Ending::Signal(SIGABRT));
    assert_eq!(run.stdout, "stored record 1\nstored record 2\n");
    let line = line_of(&format!("{DIR}/abort_flush_fixed.rs"), ".expect(\"an id is");
    assert!(
        run.stderr.starts_with(&format!(
            "error: \"id=x\": panicked at {DIR}/abort_flush_fixed.rs:{line}:35: \
             an id is a number: ParseIntError {{ kind: InvalidDigit }}\n"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn a_do_nothing_panic_handler_stops_the_abort_and_the_file_goes_missing() {
    let run = run("ch12-panic-handler", &[]);
    snapshot!("ch12-panic-handler-swallowed", run);
    assert_eq!(run.code(), Some(0));
    assert_eq!(
        run.stdout,
        "\"a.txt\": 9700 bytes\n\"b.txt\": 9800 bytes\n\"d.txt\": 10000 bytes\n3 sizes reported\n"
    );
    assert!(run.error_lines().is_empty());
}

#[test]
fn a_panic_handler_that_passes_payloads_on_lets_main_name_the_missing_file() {
    let run = run("ch12-panic-handler-fixed", &[]);
    snapshot!("ch12-panic-handler-fixed", run);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stdout,
        "\"a.txt\": 9700 bytes\n\"b.txt\": 9800 bytes\n\"d.txt\": 10000 bytes\n"
    );
    // One job sent nothing and one payload came: it is that job's.
    assert_eq!(
        run.error_lines(),
        ["error: \"\": panicked: a file name is never empty"]
    );
}

#[test]
fn with_two_jobs_missing_the_handler_s_payloads_cannot_be_matched_to_them() {
    let run = run("ch12-panic-handler-fixed", &["", "x", ""]);
    assert_eq!(run.code(), Some(1));
    assert_eq!(run.stdout, "\"x\": 12000 bytes\n");
    assert_eq!(
        run.error_lines(),
        [
            "error: \"\": no size came back",
            "error: \"\": no size came back",
            "error: one of them: panicked: a file name is never empty",
            "error: one of them: panicked: a file name is never empty",
        ]
    );
}

#[test]
fn a_rayon_panic_handler_sees_spawned_jobs_only_and_join_par_iter_and_scope_panic_in_the_caller() {
    use rayon::prelude::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    let (payloads, handled) = std::sync::mpsc::channel();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .panic_handler(move |payload| {
            let _ = payloads.send(no_silent_failures::panic::message(payload.as_ref()));
        })
        .build()
        .unwrap();
    let quiet = || no_silent_failures::panic::CaptureScope::enter(false);
    let in_caller = |work: &(dyn Fn() + Sync)| {
        let caught = pool.install(|| catch_unwind(AssertUnwindSafe(work)));
        no_silent_failures::panic::message(caught.expect_err("it panics").as_ref())
    };
    let join = || {
        rayon::join(
            || {
                let _quiet = quiet();
                panic!("in join")
            },
            || (),
        );
    };
    assert_eq!(in_caller(&join), "in join");
    let par_iter = || {
        (0..4).into_par_iter().for_each(|i| {
            let _quiet = quiet();
            assert!(i != 3, "in par_iter");
        })
    };
    assert_eq!(in_caller(&par_iter), "in par_iter");
    let scope = || {
        rayon::scope(|s| {
            s.spawn(|_| {
                let _quiet = quiet();
                panic!("in scope")
            })
        })
    };
    assert_eq!(in_caller(&scope), "in scope");
    pool.spawn(move || {
        let _quiet = quiet();
        panic!("in spawn")
    });
    // The first payload the handler got is the spawned job's: none of the
    // three before it reached the handler.
    assert_eq!(
        handled.recv_timeout(common::HANG_LIMIT),
        Ok("in spawn".to_owned())
    );
}

#[test]
fn a_rayon_panic_handler_also_gets_the_panic_of_a_start_handler() {
    let (payloads, handled) = std::sync::mpsc::channel();
    let _pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .start_handler(|_| {
            let _quiet = no_silent_failures::panic::CaptureScope::enter(false);
            panic!("in start handler")
        })
        .panic_handler(move |payload| {
            let _ = payloads.send(no_silent_failures::panic::message(payload.as_ref()));
        })
        .build()
        .unwrap();
    assert_eq!(
        handled.recv_timeout(common::HANG_LIMIT),
        Ok("in start handler".to_owned())
    );
}

#[test]
fn a_tokio_rwlock_written_by_a_panicking_task_is_unlocked_too() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let shared = Arc::new(tokio::sync::RwLock::new(vec![0]));
        let task = tokio::spawn({
            let shared = Arc::clone(&shared);
            async move {
                let mut guard = shared.write().await;
                guard.push(1);
                quietly(|| panic!("mid-update"));
            }
        });
        assert!(task.await.unwrap_err().is_panic());
        assert_eq!(*shared.try_write().expect("unlocked"), [0, 1]);
    });
}

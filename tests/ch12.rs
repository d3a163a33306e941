//! Chapter 12: traps with no Python counterpart.
mod common;

use std::sync::{Arc, Mutex};

use common::{Ending, line_of, run, run_program};
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

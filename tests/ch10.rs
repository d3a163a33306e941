//! Chapter 10: work that dies with `main`.
mod common;

use common::{kill, run, run_leaving_orphans};

#[test]
fn swallowed_run_loses_the_audit_log_and_leaves_the_compressor_behind() {
    let (run, survivors) = run_leaving_orphans("ch10");
    // The compressor may still be on its way out; it is not ours to reap.
    kill(&survivors);
    snapshot!("ch10-swallowed", run);
    assert_eq!(run.code(), Some(0));
    // Three audit lines were written into the buffer; none reached stdout.
    assert_eq!(run.stdout, "archive done\n");
    // The compressor finished on its own, after its parent had declared
    // the archive done without it.
    assert_eq!(run.stderr, "compressor: compressed 3 files\n");
}

#[test]
fn fixed_run_flushes_the_log_and_reaps_the_compressor() {
    let run = run("ch10-fixed", &[]);
    snapshot!("ch10-fixed", run);
    assert_eq!(run.code(), Some(0));
    assert_eq!(
        run.stdout,
        "audit: archived jan.csv\naudit: archived feb.csv\naudit: archived mar.csv\n\
         archive done; compressor exited with code 0\n"
    );
    // The harness has already checked that no process of this run survives.
    assert_eq!(run.stderr, "compressor: compressed 3 files\n");
}

#[test]
fn tokio_swallowed_run_drops_every_upload() {
    let run = run("ch10-tokio", &[]);
    snapshot!("ch10-tokio-swallowed", run);
    assert_eq!(run.code(), Some(0));
    assert_eq!(run.stdout, "queued 3 uploads\n");
}

#[test]
fn tokio_fixed_run_waits_for_every_upload() {
    let run = run("ch10-tokio-fixed", &[]);
    snapshot!("ch10-tokio-fixed", run);
    assert_eq!(run.code(), Some(0));
    assert_eq!(
        run.stdout,
        "queued 3 uploads\nuploaded [\"jan.csv\", \"feb.csv\", \"mar.csv\"]\n3 of 3 uploads finished\n"
    );
}

#[test]
fn a_runtime_shutdown_drops_unfinished_tasks_and_runs_their_destructors() {
    struct Dropped(std::sync::mpsc::Sender<()>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }
    let (dropped, seen) = std::sync::mpsc::channel();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.spawn(async move {
        let _guard = Dropped(dropped);
        std::future::pending::<()>().await;
    });
    // Let the task start, and stop at its await.
    runtime.block_on(tokio::task::yield_now());
    drop(runtime);
    // The task never finished, but it was dropped, destructor and all.
    assert_eq!(seen.try_recv(), Ok(()));
}

#[test]
fn a_thread_scope_waits_for_its_threads_and_panics_with_a_payload_of_its_own() {
    let finished = std::sync::atomic::AtomicBool::new(false);
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        std::thread::scope(|scope| {
            scope.spawn(|| {
                // Unwinds with this payload without running the hook, so
                // the test prints nothing.
                std::panic::resume_unwind(Box::new(String::from("the scoped thread's own")));
            });
            scope.spawn(|| finished.store(true, std::sync::atomic::Ordering::SeqCst));
        });
    }));
    // The scope ended only after both threads, and then panicked itself.
    assert!(finished.load(std::sync::atomic::Ordering::SeqCst));
    let payload = unwound.unwrap_err();
    // Not the thread's payload, re-raised: a new `&'static str` of the scope's.
    assert!(!payload.is::<String>());
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"a scoped thread panicked")
    );
}

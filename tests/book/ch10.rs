//! Chapter 10: work that dies with `main`.
use crate::common;

use crate::common::run;

/// Makes this test process the "child subreaper" of everything it starts
/// (Linux's `PR_SET_CHILD_SUBREAPER`): a process whose parent exits is
/// handed to this process rather than to init, and stays listed among its
/// children, as a zombie once it ends, until this process reaps it. So an
/// orphan can be seen whenever the test looks, however fast it ran.
#[cfg(target_os = "linux")]
fn adopt_orphans() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Any process id turns the flag on; rustix wraps the prctl safely.
        let this = rustix::process::getpid();
        rustix::process::set_child_subreaper(Some(this))
            .expect("prctl(PR_SET_CHILD_SUBREAPER) failed");
    });
}

/// The children of this process that run `program` (by the name the
/// kernel keeps for it, `comm` in /proc/PID/stat, cut to 15 bytes), each
/// with its state letter: `Z` for a zombie. Unlike /proc/PID/environ,
/// which is empty for a zombie, the stat line is there until the reaping.
#[cfg(target_os = "linux")]
fn children_running(program: &str) -> Vec<(u32, char)> {
    let comm: String = program.chars().take(15).collect();
    common::children()
        .into_iter()
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ...`
            let (head, rest) = stat.rsplit_once(')')?;
            let name = head.split_once('(')?.1;
            let state = rest.split_whitespace().next()?.chars().next()?;
            (name == comm).then_some((pid, state))
        })
        .collect()
}

/// Reaps a child of this process (ending it first if it still runs).
#[cfg(target_os = "linux")]
fn reap(pid: u32) {
    unsafe extern "C" {
        fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
    }
    common::kill(&[pid]);
    let mut status = 0;
    // SAFETY: `status` is a valid place for the exit status.
    let reaped = unsafe { waitpid(pid as i32, &mut status, 0) };
    assert_eq!(reaped, pid as i32, "waitpid({pid}) failed");
}

#[test]
#[cfg(target_os = "linux")]
fn swallowed_run_loses_the_audit_log_and_leaves_the_compressor_behind() {
    adopt_orphans();
    let (run, _) = common::run_leaving_orphans("ch10");
    // The compressor outlived the archiver: it was handed to this process,
    // and is still its child (running, or a zombie once it has finished).
    let orphans = children_running("ch10");
    for &(pid, _) in &orphans {
        reap(pid);
    }
    assert_eq!(orphans.len(), 1, "the compressor outlives its parent");
    snapshot!("ch10-swallowed", run);
    run.assert()
        .code(0)
        // Three audit lines were written into the buffer; none reached
        // stdout.
        .stdout("archive done\n")
        // The compressor finished on its own, after its parent had declared
        // the archive done without it.
        .stderr("compressor: compressed 3 files\n");
}

#[test]
#[cfg(target_os = "linux")]
fn fixed_run_flushes_the_log_and_reaps_the_compressor() {
    adopt_orphans();
    let run = run("ch10-fixed", &[]);
    // Had the archiver exited without reaping its compressor, running or a
    // zombie, the compressor would now be a child of this process.
    let orphans = children_running("ch10-fixed");
    for &(pid, _) in &orphans {
        reap(pid);
    }
    assert_eq!(orphans, [], "the archiver reaps its compressor");
    snapshot!("ch10-fixed", run);
    run.assert()
        .code(0)
        .stdout(
            "audit: archived jan.csv\naudit: archived feb.csv\naudit: archived mar.csv\n\
             archive done; compressor exited with code 0\n",
        )
        .stderr("compressor: compressed 3 files\n");
}

#[test]
fn tokio_swallowed_run_drops_every_upload() {
    let run = run("ch10-tokio", &[]);
    snapshot!("ch10-tokio-swallowed", run);
    run.assert().code(0).stdout("queued 3 uploads\n");
}

#[test]
fn tokio_fixed_run_waits_for_every_upload() {
    let run = run("ch10-tokio-fixed", &[]);
    snapshot!("ch10-tokio-fixed", run);
    run.assert().code(0).stdout(
        "queued 3 uploads\nuploaded [\"jan.csv\", \"feb.csv\", \"mar.csv\"]\n3 of 3 uploads finished\n",
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

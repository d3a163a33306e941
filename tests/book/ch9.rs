//! Chapter 9: the worker-mode check must come first in `main`.
use crate::common;

use crate::common::run;
use predicates::str::is_match;

#[test]
fn swallowed_run_starts_fourteen_processes_for_two_tasks() {
    let run = run("ch9", &[]);
    snapshot!("ch9-swallowed", run);
    run.assert()
        .code(0)
        // Two workers, each starting two, each starting two: 2 + 4 + 8, and
        // only the demo's depth cap stops it there.
        .stdout("started 14 worker processes\n");
}

#[test]
fn fixed_run_starts_one_process_per_task() {
    let run = run("ch9-fixed", &[]);
    snapshot!("ch9-fixed", run);
    run.assert().code(0).stdout(
        "\"alpha beta gamma\": 3 words\n\"delta epsilon\": 2 words\nstarted 2 worker processes\n",
    );
}

#[test]
fn a_worker_with_an_unknown_role_says_so_and_exits_64() {
    let binary = common::example_binary("ch9-fixed");
    let run = common::run_program(
        &binary,
        "ch9-fixed (as a worker with role \"bogus\")",
        &[],
        &[(no_silent_failures::worker::ROLE_VAR, "bogus")],
    );
    run.assert()
        .code(no_silent_failures::worker::UNKNOWN_ROLE_EXIT)
        // It never reached the parent's code.
        .stdout("")
        .stderr("unknown worker role \"bogus\" (this program knows [\"count\"])\n");
}

#[test]
fn in_python_without_the_guard_spawned_children_fail_and_the_map_stalls() {
    let Some(run) = common::python("chapters/09-the-missing-guard/no_guard.py") else {
        return;
    };
    let run = run.without_stderr();
    snapshot!("ch9-python", run);
    check_the_map_stalls(&run);
}

/// CPython 3.14's default on Linux re-imports the main module too (in the
/// fork server, which then forks the workers), so the same failure shows.
#[test]
fn in_python_the_forkserver_start_method_fails_the_same_way() {
    let script = "chapters/09-the-missing-guard/no_guard.py";
    let Some(run) = common::python_with_args(script, &["forkserver"]) else {
        return;
    };
    check_the_map_stalls(&run);
}

fn check_the_map_stalls(run: &common::Run) {
    // Each worker that ended wrote why before it did: at least the first
    // and its replacement. (One line at a time: the workers' lines may
    // interleave.)
    let bootstrapping = regex::escape("current process has finished its bootstrapping phase.\n");
    run.assert_unabridged()
        .code(0)
        .stdout(
            "a worker ended before running a task\n\
             the pool replaced it, and a replacement ended too\n\
             the map is still waiting: True\n",
        )
        .stderr(is_match(format!("(?s){bootstrapping}.*{bootstrapping}")).unwrap());
}

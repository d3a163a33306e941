//! The tests whose program is also their pool's workers: a pool started
//! here runs this same program again in a worker role, so `worker::guard`
//! must run first thing in `main`, as in the chapter's examples, and
//! libtest's harness cannot be used. libtest-mimic runs the checks, and
//! takes the test runner's arguments (`--list`, filters, `--exact`,
//! `--ignored`), so `cargo test` and `cargo nextest` treat this like any
//! other test binary. A check that must be alone in its process (it counts
//! the process's descriptors and children, or sets the panic hook) runs in
//! one of its own: [`common::in_own_process`].
#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod ch13_faults;
mod panic_hook;
mod pool_orphans;
mod pool_values;

use no_silent_failures::worker;

fn main() -> std::process::ExitCode {
    let roles = [
        ch13_faults::ROLES,
        panic_hook::ROLES,
        pool_orphans::ROLES,
        pool_values::ROLES,
    ]
    .concat();
    worker::guard(&roles);
    let mut checks = [panic_hook::CHECKS, pool_values::CHECKS].concat();
    if cfg!(target_os = "linux") {
        // Their hygiene checks read /proc, and the orphans' adopter is
        // Linux's subreaper.
        checks.extend(ch13_faults::CHECKS);
        checks.extend(pool_orphans::CHECKS);
    }
    common::run_checks(&checks)
}

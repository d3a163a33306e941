// The jobs both ch6 programs run in child processes. Shared with `include!`.

const JOBS: [&str; 5] = ["resize", "checksum", "upload", "index", "thumbnail"];

// ANCHOR: job
/// Runs in the child: the job named by the first argument. Prints its
/// result on stdout; every job but `resize` dies first, each its own way.
fn run_job() {
    let job = std::env::args().nth(1).unwrap_or_default();
    match job.as_str() {
        "resize" => {}
        // Exit code 101, with a message on stderr.
        "checksum" => panic!("checksum mismatch in block 7"),
        // SIGABRT, without a word.
        "upload" => std::process::abort(),
        // SIGKILL, as the kernel's out-of-memory killer would send it.
        "index" => kill_self(),
        // Exit code 0, before doing anything: "nothing to do".
        "thumbnail" => std::process::exit(0),
        // Writes far more to stderr than a pipe holds (see the tests).
        "chatty" => eprint!("{}", "log line\n".repeat(128 * 1024)),
        other => panic!("unknown job {other:?}"),
    }
    println!("42");
}
// ANCHOR_END: job

include!("../shared/kill_self.rs");

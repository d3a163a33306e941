//! Exercise 14, a solution: every crate gets an outcome, every uploader's
//! ending is read, an uploader gets a deadline, and one that overruns it is
//! killed with every process it started.
//!
//! Run: cargo run --example ch14-solution
use std::io::Read;
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use no_silent_failures::outcome::Tally;
use no_silent_failures::process::{Exit, tail};
use no_silent_failures::runner::Runner;

/// Each crate, and the shell script that stands in for its uploader.
const CRATES: [(&str, &str); 5] = [
    ("core", "echo uploaded core 1.2.0"),
    (
        "macros",
        "echo 'registry: macros 0.3.0 already exists' >&2; exit 2",
    ),
    ("cli", "echo 'uploading cli...' >&2; kill -9 $$"),
    ("docs", "echo uploaded docs 1.2.0"),
    // The mirror's upload hangs, in `sleep`, a child of `sh`.
    (
        "mirror",
        "echo 'uploading mirror...' >&2; sleep 4; echo uploaded mirror 1.2.0",
    ),
];

/// How long one upload may take.
const DEADLINE: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct UploadFailed(String);

impl std::fmt::Display for UploadFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UploadFailed {}

/// Starts `sh -c SCRIPT` as the leader of a process group of its own, so
/// that everything it starts can be killed with it.
fn start(script: &str) -> std::io::Result<Child> {
    let mut command = Command::new("sh");
    command
        .args(["-c", script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command.spawn()
}

/// Kills the uploader and every process in its group. Killing `sh` alone
/// would leave its `sleep` running, holding the pipes open.
fn kill_all(child: &mut Child) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use rustix::process::{Pid, Signal, kill_process_group};
        kill_process_group(Pid::from_child(child), Signal::KILL)?;
    }
    #[cfg(not(unix))]
    child.kill()?;
    Ok(())
}

/// Runs one uploader; only an exit with code 0 that said something counts.
fn upload(script: &str) -> Result<String, UploadFailed> {
    let mut child = start(script).map_err(|e| UploadFailed(format!("cannot start sh: {e}")))?;
    let started = Instant::now();
    // std has no `wait` with a timeout: ask until it ends or time is up.
    // (Scripts that say more than a pipe holds would need their pipes read
    // meanwhile; these say a line.)
    let timed_out = loop {
        match child.try_wait() {
            Ok(Some(_)) => break false,
            Ok(None) if started.elapsed() < DEADLINE => thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                kill_all(&mut child)
                    .map_err(|e| UploadFailed(format!("timed out; cannot kill it: {e}")))?;
                break true;
            }
            Err(e) => return Err(UploadFailed(format!("cannot wait for sh: {e}"))),
        }
    };
    // Reaped in every case, killed or not (`wait` after `try_wait` returns
    // the same status at once).
    let status = child
        .wait()
        .map_err(|e| UploadFailed(format!("cannot reap sh: {e}")))?;
    let (mut stdout, mut stderr) = (String::new(), Vec::new());
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout)
            .map_err(|e| UploadFailed(format!("reading its stdout: {e}")))?;
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_end(&mut stderr)
            .map_err(|e| UploadFailed(format!("reading its stderr: {e}")))?;
    }
    let said = tail(&stderr, 1).trim_end().to_owned();
    let stdout = stdout.trim().to_owned();
    if timed_out {
        return Err(UploadFailed(format!(
            "uploader timed out after {}ms, killed with its children: {said}",
            DEADLINE.as_millis()
        )));
    }
    match Exit::of(status) {
        Exit::Code(0) if !stdout.is_empty() => Ok(stdout),
        exit => Err(UploadFailed(format!("uploader {exit}: {said}"))),
    }
}

fn main() -> ExitCode {
    // One outcome per crate, in order, panics included.
    let outcomes = Runner::new().run(CRATES.to_vec(), |&(_, script)| upload(script));
    for outcome in &outcomes {
        let name = outcome.input.0;
        match &outcome.result {
            Ok(said) => println!("{name}: {said}"),
            Err(failure) => eprintln!("error: {name}: {failure}"),
        }
    }
    if Tally::of(&outcomes).failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

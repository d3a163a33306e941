//! The harness every chapter's tests share. `assert_cmd` runs each example
//! as a real process in a controlled environment; this module normalises
//! what it prints, snapshots that into the top-level `snapshots/` folder
//! the book includes, and hands it back to `assert_cmd`'s `Assert` so that
//! tests state the rest with `predicates`. What no crate does stays here:
//! the normalisation, the snapshot's layout, one build of every example,
//! a hang limit over a whole process tree, and the survivor checks.
#![allow(dead_code)] // each test file uses a different part of the harness

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output};
use std::sync::{OnceLock, mpsc};
use std::thread;
use std::time::Duration;

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use regex::Regex;

/// How many cases a property test runs: `PROPTEST_CASES` when set, so that
/// `PROPTEST_CASES=500 cargo test --test workers every_schedule_of_faults` soaks a property, or
/// else `default`, few enough to keep `cargo test` fast.
pub fn cases(default: u32) -> u32 {
    match std::env::var("PROPTEST_CASES") {
        Ok(cases) => cases
            .parse()
            .unwrap_or_else(|_| panic!("PROPTEST_CASES is not a number: {cases:?}")),
        Err(_) => default,
    }
}

/// Runs `checks` the way libtest runs tests, taking its arguments
/// (`--list`, filters, `--exact`, `--ignored`), for a test binary without
/// libtest's harness: one whose `main` must first let `worker::guard` turn
/// it into a worker. A check fails by panicking, as a test does.
pub fn run_checks(checks: &[(&str, fn())]) -> std::process::ExitCode {
    let trials = checks
        .iter()
        .map(|&(name, check)| {
            libtest_mimic::Trial::test(name, move || {
                check();
                Ok(())
            })
        })
        .collect();
    let mut arguments = libtest_mimic::Arguments::from_args();
    // libtest reads RUST_TEST_THREADS (see .cargo/config.toml); so does
    // this harness, unless `--test-threads` says otherwise.
    arguments.test_threads = arguments.test_threads.or_else(|| {
        std::env::var("RUST_TEST_THREADS")
            .ok()
            .and_then(|threads| threads.parse().ok())
    });
    libtest_mimic::run(&arguments, trials).exit_code()
}

/// Runs this test program again in `role` (which `worker::guard` in its
/// `main` knows), with its stdout and stderr, and fails unless it exits
/// with status 0: for a check that must be alone in its process, because
/// it counts the process's descriptors or children, or sets its panic hook.
pub fn in_own_process(role: &str) {
    let status = no_silent_failures::worker::command(role)
        .expect("this program's path")
        .stdin(std::process::Stdio::null())
        .status()
        .expect("this program starts again");
    assert!(
        status.success(),
        "the check in role {role:?} failed: {status}"
    );
}

/// A pool whose workers run chapter 13's `tasks.rs`, from the chapter's
/// fixed program.
pub fn ch13_workers(
    workers: usize,
    chunk_size: usize,
    timeout: Duration,
) -> no_silent_failures::pool::Config {
    no_silent_failures::pool::Config::new("task")
        .program(example_binary("ch13-fixed"))
        .workers(workers)
        .chunk_size(chunk_size)
        .timeout(timeout)
}

/// Environment variables that change what a Rust program prints or how it
/// schedules work. Every run starts with all of them removed.
const CONTROLLED_ENV: &[&str] = &[
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
    "RUST_LOG",
    "RUST_MIN_STACK",
    "RAYON_NUM_THREADS",
    "TOKIO_WORKER_THREADS",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
];

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// How a finished program ended: the library's own classification.
pub use no_silent_failures::process::Exit as Ending;

/// One finished run of an example, already normalised.
#[derive(Debug)]
pub struct Run {
    pub command: String,
    pub status: ExitStatus,
    pub ending: Ending,
    pub stdout: String,
    pub stderr: String,
    /// Only the last line of stderr is shown (Python runs: the rest names
    /// interpreter-internal files and lines that differ between versions).
    pub stderr_last_line_only: bool,
    /// All of stderr, normalised, even when the snapshot shows one line.
    pub stderr_full: String,
}

impl Run {
    /// `assert_cmd`'s assertions over what the snapshot shows: the exit
    /// status, stdout, and stderr (for a Python run, its last line).
    /// A failure names the command and prints the output it checked.
    pub fn assert(&self) -> Assert {
        self.assert_stderr(&self.stderr)
    }

    /// Like [`Run::assert`], over all of stderr: for runs whose snapshot
    /// shows only its last line, or none of it.
    pub fn assert_unabridged(&self) -> Assert {
        self.assert_stderr(&self.stderr_full)
    }

    fn assert_stderr(&self, stderr: &str) -> Assert {
        Assert::new(Output {
            status: self.status,
            stdout: self.stdout.clone().into_bytes(),
            stderr: stderr.as_bytes().to_vec(),
        })
        .append_context("command", self.command.clone())
    }

    pub fn code(&self) -> Option<i32> {
        match self.ending {
            Ending::Code(code) => Some(code),
            Ending::Signal(_) => None,
        }
    }

    /// The lines of stderr that report a failure: `error: INPUT: REASON`.
    pub fn error_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|line| line.starts_with("error: "))
            .collect()
    }

    /// The same run with stderr left out of the snapshot: for programs whose
    /// stderr interleaves several processes in no fixed order. Assertions
    /// can still read [`Run::stderr_full`].
    pub fn without_stderr(mut self) -> Self {
        self.stderr = "(not shown: several processes write to it in no fixed order)\n".to_owned();
        self.stderr_last_line_only = false;
        self
    }

    /// The text the snapshot (and so the book) shows. A section is left
    /// out when it is empty: a heading with nothing under it reads as
    /// output cut short.
    pub fn render(&self) -> String {
        let ending = match self.ending {
            Ending::Code(code) => format!("exit status: {code}"),
            // "killed by signal 6 (SIGABRT)"
            signal => signal.to_string(),
        };
        let mut shown = format!("$ {}\n{ending}\n", self.command);
        let stderr_heading = if self.stderr_last_line_only {
            "--- stderr (last line)"
        } else {
            "--- stderr"
        };
        for (heading, text) in [("--- stdout", &self.stdout), (stderr_heading, &self.stderr)] {
            if !text.is_empty() {
                shown.push_str(&format!("{heading}\n{}", with_final_newline(text)));
            }
        }
        shown
    }
}

fn with_final_newline(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}

/// Runs `cargo run --example NAME -- ARGS` the way a reader would, with
/// `RUST_BACKTRACE=0`.
pub fn run(example: &str, args: &[&str]) -> Run {
    run_with_env(example, args, &[])
}

/// Like [`run`], with extra environment variables set after the controlled
/// ones are cleared (for example `("RUST_BACKTRACE", "1")`).
pub fn run_with_env(example: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut shown = format!("cargo run --example {example}");
    if !args.is_empty() {
        shown.push_str(" --");
        for arg in args {
            shown.push(' ');
            shown.push_str(&shell_quote(arg));
        }
    }
    run_program(&example_binary(example), &shown, args, env)
}

/// Runs any program the way [`run`] runs an example, showing `shown` as
/// the command in the snapshot. Afterwards, checks that the program left no
/// process of its own running (see [`survivors`]).
pub fn run_program(binary: &Path, shown: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let (run, run_id) = run_tagged(binary, shown, args, env);
    let left = survivors(&run_id);
    assert!(
        left.is_empty(),
        "`{shown}` left processes running after it exited: {left:?}"
    );
    run
}

/// Runs an example that is *meant* to leave a child running after it
/// exits (chapter 10), and returns the run with the ids of the survivors
/// still alive, which the caller must end with [`kill`].
pub fn run_leaving_orphans(example: &str) -> (Run, Vec<u32>) {
    let shown = format!("cargo run --example {example}");
    let (run, run_id) = run_tagged(&example_binary(example), &shown, &[], &[]);
    (run, survivors(&run_id))
}

/// Every process started by one run carries this variable, with a value
/// unique to the run, so that its survivors can be found afterwards.
const RUN_TAG: &str = "NSF_TEST_RUN";

/// The processes still alive that carry `run_id` in their environment:
/// children (or grandchildren) that outlived the program that started them.
/// Linux only (it reads /proc); elsewhere, always empty.
pub fn survivors(run_id: &str) -> Vec<u32> {
    let needle = format!("{RUN_TAG}={run_id}\0");
    processes(|pid| {
        std::fs::read(format!("/proc/{pid}/environ"))
            .is_ok_and(|env| env.windows(needle.len()).any(|w| w == needle.as_bytes()))
    })
}

/// The children of this process, zombies included (a zombie keeps its
/// /proc entry until it is reaped). Linux only; elsewhere, always empty.
pub fn children() -> Vec<u32> {
    let me = std::process::id().to_string();
    processes(|pid| {
        // `pid (comm) state ppid ...`; comm may hold spaces and parens.
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                == Some(me.as_str())
        })
    })
}

/// Whether `pid` is gone for good: not running, and not a zombie either (a
/// zombie keeps its /proc entry until it is reaped). Linux only.
pub fn gone(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

/// Whether `pid` has ended: gone, or a zombie that its parent has not
/// reaped (an orphan's zombie waits for PID 1, which in some sandboxes
/// never reaps). Linux only.
pub fn ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| matches!(state, "Z" | "X")),
        Err(_) => true,
    }
}

/// Whether `pid` ends within a second or so: a process killed with
/// `SIGKILL` takes a moment to become a zombie. Linux only.
pub fn ends_soon(pid: u32) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while !ended(pid) {
        if std::time::Instant::now() > deadline {
            return false;
        }
        thread::yield_now();
    }
    true
}

/// The ids of the processes listed in /proc for which `keep` holds.
fn processes(keep: impl Fn(u32) -> bool) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| keep(pid))
        .collect()
}

/// How long a test lets a program or a pool run before calling it hung.
/// Far beyond what any of them needs: it only turns a hang into a failure.
pub const HANG_LIMIT: Duration = Duration::from_secs(60);

/// Runs `work` on a thread of its own and returns its value, or `None` if
/// it is still running after `limit` (it is then left running). A panic in
/// `work` carries on in the caller.
fn finished_within<T: Send + 'static>(
    limit: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (done, finished) = mpsc::channel();
    let working = thread::spawn(move || {
        let _ = done.send(work());
    });
    match finished.recv_timeout(limit) {
        Ok(value) => Some(value),
        Err(mpsc::RecvTimeoutError::Timeout) => None,
        Err(mpsc::RecvTimeoutError::Disconnected) => match working.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the thread sends its value before it ends"),
        },
    }
}

/// Runs `work`, and fails the test, naming `what`, if it is still running
/// after [`HANG_LIMIT`]: a hang becomes a failure instead of a test run that
/// never ends.
pub fn within<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    finished_within(HANG_LIMIT, work)
        .unwrap_or_else(|| panic!("{what} hung: still running after {HANG_LIMIT:?}"))
}

/// Runs `command` to its end with `assert_cmd`, stdout and stderr
/// captured and stdin at end of file; kills every process carrying `run_id`
/// and fails the test, naming it as `shown`, if it runs past [`HANG_LIMIT`].
/// (`assert_cmd`'s own timeout kills only the program, then waits for
/// pipes that one of its children may still hold open.)
fn output_within_limit(mut command: Command, shown: &str, run_id: &str) -> std::io::Result<Output> {
    command.env(RUN_TAG, run_id).write_stdin("");
    finished_within(HANG_LIMIT, move || command.output()).unwrap_or_else(|| {
        kill(&survivors(run_id));
        panic!("`{shown}` hung: killed after {HANG_LIMIT:?}")
    })
}

/// Ends the given processes with SIGKILL (via the `kill` utility).
pub fn kill(pids: &[u32]) {
    for pid in pids {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

/// A value unique to each run, for [`RUN_TAG`].
fn new_run_id() -> String {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{run}", std::process::id())
}

fn run_tagged(binary: &Path, shown: &str, args: &[&str], env: &[(&str, &str)]) -> (Run, String) {
    let run_id = new_run_id();
    let mut command = Command::new(binary);
    command.args(args).current_dir(root());
    for name in CONTROLLED_ENV {
        command.env_remove(name);
    }
    command.env("RUST_BACKTRACE", "0");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = output_within_limit(command, shown, &run_id)
        .unwrap_or_else(|e| panic!("could not run {}: {e}", binary.display()));
    (Run::of(shown, &output), run_id)
}

impl Run {
    /// A run of `shown` that ended with `output`, normalised.
    fn of(shown: &str, output: &Output) -> Run {
        let stderr = normalize(&String::from_utf8_lossy(&output.stderr));
        Run {
            command: shown.to_owned(),
            status: output.status,
            ending: Ending::of(output.status),
            stdout: normalize(&String::from_utf8_lossy(&output.stdout)),
            stderr: stderr.clone(),
            stderr_last_line_only: false,
            stderr_full: stderr,
        }
    }
}

/// A binary written by [`rustc`], in a directory of its own that is
/// removed when this is dropped.
pub struct Compiled(tempfile::TempDir, PathBuf);

impl Compiled {
    pub fn path(&self) -> &Path {
        &self.1
    }
}

/// Compiles `source` (a path relative to the root) with `rustc` and
/// `flags`, and returns the compile as a [`Run`] (the compiler's messages
/// on stderr, normalised) with the binary it wrote, if any.
pub fn rustc(source: &str, flags: &[&str]) -> (Run, Compiled) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a scratch directory");
    let path = dir
        .path()
        .join(Path::new(source).file_stem().expect("a file name"));
    let binary = Compiled(dir, path);
    let compiler = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(compiler)
        .args(["--edition", "2024", "--color", "never"])
        .args(flags)
        .arg("-o")
        .arg(binary.path())
        .arg(source)
        .current_dir(root())
        .output()
        .expect("rustc runs");
    let mut shown = String::from("rustc --edition 2024");
    for flag in flags {
        shown.push(' ');
        shown.push_str(flag);
    }
    (Run::of(&format!("{shown} {source}"), &output), binary)
}

/// Runs `python3 SCRIPT` (a path relative to the root), or returns `None`
/// after saying why when there is no `python3` on this machine. The run
/// shows the last line of stderr; [`Run::stderr_full`] has all of it.
pub fn python(script: &str) -> Option<Run> {
    python_with_args(script, &[])
}

/// Like [`python`], with arguments after the script's name.
pub fn python_with_args(script: &str, args: &[&str]) -> Option<Run> {
    let mut shown = format!("python3 {script}");
    for arg in args {
        shown.push(' ');
        shown.push_str(&shell_quote(arg));
    }
    let mut command = Command::new("python3");
    command
        .arg(script)
        .args(args)
        .current_dir(root())
        .env_remove("PYTHONSTARTUP")
        // multiprocessing's resource tracker may warn at exit, or not.
        .env("PYTHONWARNINGS", "ignore")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONHASHSEED", "0");
    let output = output_within_limit(command, &shown, &new_run_id());
    let output = match output {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipping the Python comparison: python3 is not installed");
            return None;
        }
        Err(error) => panic!("could not run {shown}: {error}"),
    };
    let mut run = Run::of(&shown, &output);
    let last_line = run.stderr.lines().rev().find(|l| !l.trim().is_empty());
    run.stderr = last_line.map(|l| format!("{l}\n")).unwrap_or_default();
    run.stderr_last_line_only = true;
    Some(run)
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Replaces what changes from run to run with stable placeholders:
/// thread ids, addresses, pids, absolute paths and measured durations.
pub fn normalize(text: &str) -> String {
    static RULES: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        let root = regex::escape(&root().display().to_string());
        [
            // Rust 1.95 names the OS thread id: `thread 'main' (6781) panicked`.
            (r"(thread '[^']*') \(\d+\)", "$1 ([tid])"),
            (r"ThreadId\(\d+\)", "ThreadId([n])"),
            (r"\b0x[0-9a-fA-F]{6,}\b", "[addr]"),
            (r"\bpid \d+", "pid [pid]"),
            (&format!("{root}/"), ""),
            (r"/[^\s:]*/\.cargo/registry/src/[^/]+/", "[cargo-registry]/"),
            (r"/rustc/[0-9a-f]+/", "[rustc]/"),
            // Line numbers inside the standard library change between
            // toolchains; the file name is enough.
            (r"(\[rustc\]/library/[^:\s]+):\d+:\d+", "$1:[line]"),
            // A forced backtrace (a panic while panicking prints one whatever
            // RUST_BACKTRACE says): keep the heading, drop the frames.
            (
                r"(?m)^stack backtrace:\n(?:[ \t]+\S.*\n)*",
                "stack backtrace:\n  [frames elided]\n",
            ),
            // Measured durations print with a fraction; configured ones
            // (a 200ms timeout) are whole numbers and stay as they are.
            (r"\b\d+\.\d+(ns|µs|us|ms|s)\b", "[duration]"),
        ]
        .into_iter()
        .map(|(pattern, replacement)| {
            (
                Regex::new(pattern).expect("normalisation rules are valid regexes"),
                replacement,
            )
        })
        .collect()
    });
    let mut text = text.to_owned();
    for (pattern, replacement) in rules {
        text = pattern.replace_all(&text, *replacement).into_owned();
    }
    text
}

/// Snapshots a [`Run`] as `snapshots/NAME.snap`, the file the book includes.
/// A macro rather than a function so the snapshot names the chapter's test
/// file as its source.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $run:expr) => {{
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path($crate::common::root().join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!($name, $run.render()));
    }};
}

/// The 1-based number of the only line in `file` (relative to the root)
/// that contains `needle`: how tests find the location a panic must name.
pub fn line_of(file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(root().join(file))
        .unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
    let hits: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains(needle))
        .map(|(index, _)| index + 1)
        .collect();
    assert_eq!(hits.len(), 1, "{needle:?} must occur once in {file}");
    hits[0]
}

/// The path of an example's binary, built first if needed.
///
/// `cargo test` builds every example before running tests, but
/// `cargo test --test book ch3::` does not, and an old binary could be left over
/// from before an edit. So the first call in each test process runs
/// `cargo build --examples`, unless every example binary is already newer
/// than every source file.
pub fn example_binary(example: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(build_examples);
    let binary = dir.join(format!("{example}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "example `{example}` was not built: is it declared in Cargo.toml?"
    );
    binary
}

fn build_examples() -> PathBuf {
    // This test binary lives in target/<profile>/deps/.
    let exe = std::env::current_exe().expect("the test binary knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live in target/<profile>/deps")
        .to_path_buf();
    let examples = profile_dir.join("examples");
    if examples_are_fresh(&examples) {
        return examples;
    }
    let release = profile_dir
        .file_name()
        .is_some_and(|name| name == "release");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--examples", "--quiet"])
        .current_dir(root());
    if release {
        build.arg("--release");
    }
    // On failure, the assertion prints cargo's messages.
    build.assert().success();
    examples
}

/// Whether every example binary is newer than every source it is built
/// from (the manifest, the lock file, `src/` and `chapters/`). Then the
/// build can be skipped; when in doubt, it is not.
fn examples_are_fresh(examples: &Path) -> bool {
    fn newest(path: &Path) -> Option<std::time::SystemTime> {
        let metadata = std::fs::metadata(path).ok()?;
        let mut latest = metadata.modified().ok()?;
        if metadata.is_dir() {
            for entry in std::fs::read_dir(path).ok()? {
                latest = latest.max(newest(&entry.ok()?.path())?);
            }
        }
        Some(latest)
    }
    let Ok(manifest) = std::fs::read_to_string(root().join("Cargo.toml")) else {
        return false;
    };
    let Ok(manifest) = manifest.parse::<toml::Table>() else {
        return false;
    };
    let sources = ["Cargo.toml", "Cargo.lock", "src", "chapters"]
        .iter()
        .map(|p| newest(&root().join(p)))
        .collect::<Option<Vec<_>>>()
        .and_then(|times| times.into_iter().max());
    let oldest_binary = manifest["example"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|example| {
            let name = example["name"].as_str().unwrap_or_default();
            let binary = examples.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
            std::fs::metadata(binary).and_then(|m| m.modified()).ok()
        })
        .collect::<Option<Vec<_>>>()
        .and_then(|times| times.into_iter().min());
    matches!((sources, oldest_binary), (Some(sources), Some(oldest)) if oldest > sources)
}

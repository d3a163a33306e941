//! Chapter 14: the audit checklist's checks, run for real.
use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::common::{Ending, Run, line_of, root, run};
use predicates::str::{contains, starts_with};
use proptest::prelude::*;

const BACKUPS: &str = "chapters/14-audit-checklist/backups.rs";

#[test]
fn swallowed_run_exits_0_and_says_nothing_of_two_failed_backups() {
    let run = run("ch14", &[]);
    snapshot!("ch14-swallowed", run);
    run.assert()
        .code(0)
        .stdout("backed up 3 entries, 422 MiB\n")
        // The runner caught the panic, so not even the panic hook spoke.
        .stderr("");
}

#[test]
fn fixed_run_reports_each_failure_with_its_input_and_reason() {
    let run = run("ch14-fixed", &[]);
    snapshot!("ch14-fixed", run);
    let line = line_of(BACKUPS, ".expect(\"the size is a number of MiB\")");
    run.assert()
        .code(1)
        .stdout("mail:120: 120 MiB\ncode:300: 300 MiB\nnotes:2: 2 MiB\n3 of 5 succeeded, 2 failed\n")
        .stderr(format!(
            "error: photos:lots: panicked at {BACKUPS}:{line}:33: \
             the size is a number of MiB: ParseIntError {{ kind: InvalidDigit }}\n\
             error: videos:4096: returned an error: videos holds 4096 MiB, over the 1024 MiB quota\n"
        ));
}

/// A backup entry, and whether it should fail.
fn entry() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        ("[a-z]{1,6}", 0u64..=1024).prop_map(|(name, mib)| (format!("{name}:{mib}"), false)),
        ("[a-z]{1,6}", 1025u64..1_000_000).prop_map(|(name, mib)| (format!("{name}:{mib}"), true)),
        ("[a-z]{1,6}", "[a-z]{0,3}").prop_map(|(name, size)| (format!("{name}:{size}"), true)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::cases(8), ..ProptestConfig::default() })]

    /// For any entries: the swallowed program always exits 0 and names no
    /// failure; the fixed one gives each entry its own line, each failure
    /// on stderr, and exits 1 exactly when something failed.
    #[test]
    fn only_the_fixed_program_accounts_for_every_entry(
        entries in prop::collection::vec(entry(), 1..8)
    ) {
        let args: Vec<&str> = entries.iter().map(|(entry, _)| entry.as_str()).collect();
        let failing: Vec<&str> = entries
            .iter()
            .filter(|(_, fails)| *fails)
            .map(|(entry, _)| entry.as_str())
            .collect();

        let swallowed = run("ch14", &args);
        let reported = format!("backed up {} entries, ", args.len() - failing.len());
        swallowed
            .assert()
            .try_code(0)?
            .try_stderr("")?
            .try_stdout(starts_with(reported))?;

        let fixed = run("ch14-fixed", &args);
        fixed.assert().try_code(if failing.is_empty() { 0 } else { 1 })?;
        let errors: Vec<&str> = fixed.stderr.lines().collect();
        prop_assert_eq!(errors.len(), failing.len(), "{}", fixed.stderr);
        for (line, entry) in errors.iter().zip(&failing) {
            let prefix = format!("error: {entry}: ");
            prop_assert!(line.starts_with(&prefix), "{}", line);
        }
        // One line per success, then the tally.
        prop_assert_eq!(fixed.stdout.lines().count(), args.len() - failing.len() + 1);
    }
}

// ANCHOR: program_template
/// Whether a program's run reports that `input` failed: a non-zero exit
/// status, and a line on stderr that names the input and the reason.
fn reports_failure(run: &Run, input: &str, reason: &str) -> Result<(), String> {
    if run.code() == Some(0) {
        return Err(format!("exit status 0, although {input:?} failed"));
    }
    let line = run
        .stderr
        .lines()
        .find(|line| line.contains(input))
        .ok_or_else(|| format!("no line on stderr names {input:?}"))?;
    if !line.contains(reason) {
        return Err(format!("{line:?} does not say {reason:?}"));
    }
    Ok(())
}

#[test]
fn a_program_fed_a_bad_input_says_so() {
    let run = run("ch14-fixed", &["mail:120", "photos:lots"]);
    reports_failure(&run, "photos:lots", "the size is a number").unwrap();
}
// ANCHOR_END: program_template

/// The template is a real check: pointed at the swallowed program, it fails.
#[test]
fn the_program_template_fails_on_the_swallowed_program() {
    let run = run("ch14", &["mail:120", "photos:lots"]);
    assert_eq!(
        reports_failure(&run, "photos:lots", "the size is a number"),
        Err("exit status 0, although \"photos:lots\" failed".to_owned())
    );
}

// ANCHOR: exit_status
/// The checklist's exit-status template: a child's result counts only when
/// it exited with code 0 and delivered; every other ending is a failure
/// that says how the child ended and what it said last.
#[cfg(unix)]
#[test]
fn every_way_a_child_can_end_is_told_apart() {
    use no_silent_failures::process::{Exit, tail};

    fn result_of(command: &mut Command) -> Result<String, String> {
        // `output` waits for the child and reads both pipes to the end.
        let output = command.output().map_err(|e| format!("cannot start: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        match Exit::of(output.status) {
            Exit::Code(0) if !stdout.is_empty() => Ok(stdout),
            Exit::Code(0) => Err("exited with code 0 and printed no result".to_owned()),
            exit => Err(format!("{exit}: {}", tail(&output.stderr, 1).trim_end())),
        }
    }
    let sh = |script: &str| {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    };

    assert_eq!(result_of(&mut sh("echo 42")), Ok("42".to_owned()));
    assert_eq!(
        result_of(&mut sh("exit 0")),
        Err("exited with code 0 and printed no result".to_owned())
    );
    assert_eq!(
        result_of(&mut sh("echo 'no such user' >&2; exit 3")),
        Err("exited with code 3: no such user".to_owned())
    );
    assert_eq!(
        result_of(&mut sh("echo 'out of memory' >&2; kill -9 $$")),
        Err("killed by signal 9 (SIGKILL): out of memory".to_owned())
    );
}
// ANCHOR_END: exit_status

/// The lints the checklist recommends, forced on so that an `#[allow]` in
/// the source cannot hide a hit.
const LINTS: &[&str] = &[
    "clippy::let_underscore_must_use",
    "clippy::let_underscore_future",
    "clippy::zombie_processes",
    "clippy::unused_result_ok",
    "unused_must_use",
    // rustc's, allow-by-default: any value dropped as a statement
    // (`thread::spawn(..);`), and `let _ =` on a value with a destructor.
    "unused_results",
    "let_underscore_drop",
];

/// The swallowed programs: every example whose name does not end in -fixed.
fn swallowed_examples() -> Vec<(String, String)> {
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    manifest["example"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["path"].as_str().unwrap().to_owned(),
            )
        })
        // Chapter 13's steps build a pool up, each fixing the one before:
        // only the first swallows, and `ch13` is that program already.
        .filter(|(name, _)| {
            !name.ends_with("-fixed")
                && !name.ends_with("-exercise")
                && !name.ends_with("-solution")
                && !name.contains("-step")
        })
        .collect()
}

/// Runs clippy over the examples with [`LINTS`] forced on, and returns
/// `(lint, file, line)` for every hit. Fails the test, saying why, when
/// clippy cannot run: a missing clippy must not pass for "no lint fired".
fn clippy_hits() -> &'static [Hit] {
    // One clippy run serves every test that asks.
    static HITS: std::sync::OnceLock<Result<Vec<Hit>, String>> = std::sync::OnceLock::new();
    match HITS.get_or_init(run_clippy) {
        Ok(hits) => hits,
        Err(why) => panic!(
            "cargo clippy did not run, so the chapter's lint checks cannot: {why}\n\
             (install it with `rustup component add clippy`)"
        ),
    }
}

/// A lint's hit: `(lint, file, line)`.
type Hit = (String, String, u64);

fn run_clippy() -> Result<Vec<Hit>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = assert_cmd::Command::new(cargo);
    command
        .args([
            "clippy",
            "--examples",
            "--quiet",
            "--message-format=json",
            "--",
        ])
        .current_dir(root());
    for lint in LINTS {
        command.args(["--force-warn", lint]);
    }
    let output = command
        .output()
        .map_err(|error| format!("cannot start cargo: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo clippy` ended with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        ));
    }
    let mut hits = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(code) = message["message"]["code"]["code"].as_str() else {
            continue;
        };
        let spans = message["message"]["spans"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for span in spans.iter().filter(|s| s["is_primary"] == true) {
            let file = span["file_name"].as_str().unwrap_or_default();
            // `chapters/06-x/../shared/kill_self.rs` names a shared file.
            let file = normalize_path(file);
            hits.push((
                code.to_owned(),
                file,
                span["line_start"].as_u64().unwrap_or(0),
            ));
        }
    }
    hits.sort();
    hits.dedup();
    Ok(hits)
}

fn normalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." => {}
            other => parts.push(other),
        }
    }
    parts.join("/")
}

// ANCHOR: clippy
#[test]
fn which_lints_fire_on_the_swallowed_programs() {
    let hits = clippy_hits();
    // For each swallowed program (in chapter order), the hits in its own
    // file and in the files it includes.
    let mut report = BTreeMap::new();
    for (name, path) in swallowed_examples() {
        let source = std::fs::read_to_string(root().join(&path)).unwrap();
        let chapter = Path::new(&path).parent().unwrap();
        let own = |file: &str| {
            let file = Path::new(file);
            file == Path::new(&path)
                || (file.parent() == Some(chapter)
                    && file
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| source.contains(&format!("include!(\"{n}\")"))))
        };
        let lines: Vec<String> = hits
            .iter()
            .filter(|(_, file, _)| own(file))
            .map(|(lint, file, line)| format!("  {lint} at {file}:{line}"))
            .collect();
        let number: u32 = name
            .trim_start_matches("ch")
            .split('-')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        report.insert((number, name), lines);
    }
    let report: Vec<(String, Vec<String>)> = report
        .into_iter()
        .map(|((_, name), lines)| (name, lines))
        .collect();
    let hits_of = |name: &str| {
        &report
            .iter()
            .find(|(n, _)| n == name)
            .expect("an example")
            .1
    };
    let mut text = String::new();
    for (name, lines) in &report {
        if lines.is_empty() {
            text.push_str(&format!("{name}: no lint fires\n"));
        } else {
            text.push_str(&format!("{name}:\n{}\n", lines.join("\n")));
        }
    }
    let shown = Run {
        command: format!(
            "cargo clippy --examples -- {}",
            LINTS
                .iter()
                .map(|l| format!("--force-warn {l}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        status: std::process::ExitStatus::default(),
        ending: Ending::Code(0),
        stdout: text,
        stderr: String::new(),
        stderr_last_line_only: false,
        stderr_full: String::new(),
    };
    snapshot!("ch14-clippy", shown);

    // `let _ = tx.send(..)` is caught...
    let send = line_of(
        "chapters/12-rust-only-traps/send.rs",
        "let _ = records.send(record)",
    );
    assert!(hits_of("ch12-send").contains(&format!(
        "  clippy::let_underscore_must_use at chapters/12-rust-only-traps/send.rs:{send}"
    )));
    // ...and so is a child never waited for...
    assert!(
        hits_of("ch10")
            .iter()
            .any(|l| l.contains("clippy::zombie_processes"))
    );
    // ...and so is a dropped JoinHandle, by rustc's `unused_results`.
    let spawn = line_of(
        "chapters/03-fire-and-forget/swallowed.rs",
        "thread::spawn(move || {",
    );
    assert!(hits_of("ch3").contains(&format!(
        "  unused_results at chapters/03-fire-and-forget/swallowed.rs:{spawn}"
    )));
    let spawn = line_of(
        "chapters/03-fire-and-forget/tokio_swallowed.rs",
        "tokio::spawn(async move {",
    );
    assert_eq!(
        hits_of("ch3-tokio"),
        &[format!(
            "  unused_results at chapters/03-fire-and-forget/tokio_swallowed.rs:{spawn}"
        )]
    );
    // Nor does reading only the values of a batch of outcomes.
    assert!(hits_of("ch14").is_empty());
}
// ANCHOR_END: clippy

/// Exercise 14's hint: the lints point at the release script's `let _ =`
/// on a send and at its dropped `JoinHandle`s; its two real losses (the
/// unread exit status, and silence for an upload that printed nothing)
/// pass every lint.
#[test]
fn in_exercise_14_clippy_points_only_at_the_ignored_send_and_the_spawn() {
    let hits = clippy_hits();
    let exercise = "chapters/14-audit-checklist/exercise.rs";
    let send = line_of(exercise, "let _ = said.send(") as u64;
    let spawn = line_of(exercise, "thread::spawn(move || {") as u64;
    let in_exercise: Vec<(&str, u64)> = hits
        .iter()
        .filter(|(_, file, _)| file == exercise)
        .map(|(lint, _, line)| (lint.as_str(), *line))
        .collect();
    assert_eq!(
        in_exercise,
        [
            ("clippy::let_underscore_must_use", send),
            ("let_underscore_drop", send),
            ("unused_results", spawn),
        ]
    );
}

/// rustc's allow-by-default lints see both ways of dropping a JoinHandle.
#[test]
fn rustc_lints_see_a_dropped_join_handle_both_ways() {
    let source = "chapters/14-audit-checklist/dropped_handles.rs";
    let (compile, _) = common::rustc(
        source,
        &["-W", "unused_results", "-W", "let_underscore_drop"],
    );
    compile.assert().success();
    let statement = line_of(source, "    thread::spawn(|| println!(\"detached\"));");
    let let_underscore = line_of(source, "let _ = thread::spawn(");
    let warnings: Vec<(&str, String)> = compile
        .stderr
        .lines()
        .zip(compile.stderr.lines().skip(1))
        .filter_map(|(warning, place)| {
            let what = warning.strip_prefix("warning: ")?;
            let place = place.trim_start().strip_prefix("--> ")?;
            Some((what, place.to_owned()))
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (
                "unused result of type `JoinHandle<()>`",
                format!("{source}:{statement}:5")
            ),
            (
                "non-binding let on a type that has a destructor",
                format!("{source}:{let_underscore}:5")
            ),
        ]
    );
    snapshot!("ch14-dropped-handles", compile);
}

/// Runs the checklist's `audit.sh` on `dir` and returns what it printed.
fn audit(dir: &Path) -> String {
    let assert = assert_cmd::Command::new("sh")
        .arg(root().join("chapters/14-audit-checklist/audit.sh"))
        .arg(dir)
        .current_dir(root())
        .assert()
        .success();
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

/// A scratch directory of files, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn with(name: &str, files: &[(&str, &str)]) -> Scratch {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()));
        for (file, text) in files {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _removed = std::fs::remove_dir_all(&self.0);
    }
}

/// Item 3's search lists every child the book's traps start, however they
/// are run: `.spawn()`, `.status()` and `.output()` alike.
#[test]
fn the_audit_finds_every_child_process_of_the_swallowed_programs() {
    let found = audit(Path::new("chapters"));
    for (file, needle) in [
        ("06-silent-child-death/swallowed.rs", ".spawn()"),
        ("06-silent-child-death/exercise.rs", ".status();"),
        ("08-errors-that-cannot-cross/swallowed.rs", ".output()"),
        ("09-the-missing-guard/swallowed.rs", ".output()"),
        ("14-audit-checklist/exercise.rs", ".output()"),
    ] {
        let file = format!("chapters/{file}");
        let line = line_of(&file, needle);
        assert!(
            found.contains(&format!("{file}:{line}:")),
            "{file}:{line} not found:\n{found}"
        );
    }
}

/// Item 6's search finds `panic = "abort"` in a workspace member's manifest
/// and in `.cargo/config.toml`, not only in the top manifest.
#[test]
fn the_audit_finds_panic_abort_in_a_member_and_in_cargo_config() {
    let project = Scratch::with(
        "abort-project",
        &[
            ("Cargo.toml", "[workspace]\nmembers = [\"tool\"]\n"),
            ("tool/Cargo.toml", "[profile.release]\npanic = \"abort\"\n"),
            (
                ".cargo/config.toml",
                "[build]\nrustflags = [\"-C\", \"panic=abort\"]\n",
            ),
        ],
    );
    let found = audit(&project.0);
    let dir = project.0.display();
    assert!(
        found.contains(&format!("{dir}/tool/Cargo.toml:2:")),
        "{found}"
    );
    assert!(
        found.contains(&format!("{dir}/.cargo/config.toml:2:")),
        "{found}"
    );
}

/// Item 6's other search finds the locks stepped around in chapter 12, and
/// not an unrelated `into_inner` (a `BufWriter`'s, here).
#[test]
fn the_audit_finds_poisoned_locks_stepped_around_and_nothing_unrelated() {
    let found = audit(Path::new("chapters"));
    let poison = "chapters/12-rust-only-traps/poison.rs";
    for line in [20, 28] {
        assert!(found.contains(&format!("{poison}:{line}:")), "{found}");
    }
    let project = Scratch::with(
        "into-inner",
        &[(
            "src/main.rs",
            "fn main() {\n    let file = writer.into_inner().unwrap();\n}\n",
        )],
    );
    let found = audit(&project.0);
    assert!(!found.contains("into_inner"), "{found}");
}

/// Item 6's sure check: a constant that does not compile under
/// `panic = "abort"`, wherever that setting comes from.
#[test]
fn an_unwind_only_program_does_not_build_with_panic_abort() {
    let source = "chapters/14-audit-checklist/unwind_only.rs";
    let (unwinding, _) = common::rustc(source, &[]);
    unwinding.assert().success();
    let (aborting, _) = common::rustc(source, &["-C", "panic=abort"]);
    aborting
        .assert()
        .code(1)
        .stderr(contains("this program catches panics"));
}

#[test]
fn a_must_use_handle_type_makes_a_forgotten_task_a_warning() {
    let source = "chapters/14-audit-checklist/must_use.rs";
    let (compile, _) = common::rustc(source, &[]);
    let line = line_of(source, "    start(|| 1 + 1);");
    compile
        .assert()
        .success()
        .stderr(starts_with(
            "warning: unused `TaskHandle` that must be used",
        ))
        .stderr(contains(format!("{source}:{line}:5")));
    snapshot!("ch14-must-use", compile);
}

// ANCHOR: template
/// The checklist's test template: make a worker fail on purpose, and assert
/// that the parent sees the failure, with its input and its reason.
#[test]
fn a_failing_worker_is_seen_by_the_parent() {
    use no_silent_failures::runner::Runner;

    let inputs = vec![1, 2, 3];
    let outcomes = Runner::new().run(inputs, |&n| {
        if n == 2 {
            panic!("worker for {n} failed on purpose");
        }
        Ok::<_, std::io::Error>(n * 10)
    });

    // Every input accounted for, in order...
    assert_eq!(outcomes.len(), 3);
    assert_eq!(outcomes[0].value(), Some(&10));
    assert_eq!(outcomes[2].value(), Some(&30));
    // ...and the failure arrives with its input and its message.
    assert_eq!(outcomes[1].input, 2);
    let panic = outcomes[1]
        .failure()
        .and_then(|f| f.panic())
        .expect("a panic");
    assert_eq!(panic.message, "worker for 2 failed on purpose");
}
// ANCHOR_END: template

// --- tools (issue 23) ---

// ANCHOR: hook_template
/// Whether `program`, run with `RUST_BACKTRACE=1`, still prints std's
/// panic report and its backtrace: whether every hook it sets chains to
/// the one before.
fn keeps_the_default_hook(program: &str) -> Result<(), String> {
    let run = common::run_with_env(program, &[], &[("RUST_BACKTRACE", "1")]);
    let report = regex::Regex::new(r"(?m)^thread '[^']*' \(\[tid\]\) panicked at ").unwrap();
    if report.is_match(&run.stderr) && run.stderr.contains("stack backtrace:") {
        Ok(())
    } else {
        Err(format!(
            "{program}: no panic report with a backtrace:\n{}",
            run.stderr
        ))
    }
}

#[test]
fn a_program_that_sets_a_panic_hook_still_prints_the_default_report() {
    keeps_the_default_hook("ch4-chain-fixed").unwrap();
}
// ANCHOR_END: hook_template

#[test]
fn the_hook_template_fails_on_a_hook_that_replaces_the_default() {
    let error = keeps_the_default_hook("ch4-chain").unwrap_err();
    assert!(error.starts_with("ch4-chain: no panic report"), "{error}");
}

//! Chapter 14: the audit checklist's checks, run for real.
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{Ending, Run, line_of, root};

/// The lints the checklist recommends, forced on so that an `#[allow]` in
/// the source cannot hide a hit.
const LINTS: &[&str] = &[
    "clippy::let_underscore_must_use",
    "clippy::let_underscore_future",
    "clippy::zombie_processes",
    "clippy::unused_result_ok",
    "unused_must_use",
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
        .filter(|(name, _)| {
            !name.ends_with("-fixed")
                && !name.ends_with("-exercise")
                && !name.ends_with("-solution")
        })
        .collect()
}

/// Runs clippy over the examples with [`LINTS`] forced on, and returns
/// `(lint, file, line)` for every hit. `None` when clippy is not installed.
fn clippy_hits() -> Option<Vec<(String, String, u64)>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
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
    let output = command.output().ok()?;
    if !output.status.success() {
        eprintln!(
            "skipping: cargo clippy is not available ({})",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .next()
                .unwrap_or("")
        );
        return None;
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
    Some(hits)
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
    let Some(hits) = clippy_hits() else { return };
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
    // ...but a dropped JoinHandle is not: no lint points at the spawn.
    let spawn = line_of(
        "chapters/03-fire-and-forget/swallowed.rs",
        "thread::spawn(move || {",
    );
    assert!(
        !hits_of("ch3")
            .iter()
            .any(|l| l.ends_with(&format!(":{spawn}")))
    );
    assert!(hits_of("ch3-tokio").is_empty());
}
// ANCHOR_END: clippy

#[test]
fn a_must_use_handle_type_makes_a_forgotten_task_a_warning() {
    let source = "chapters/14-audit-checklist/must_use.rs";
    let (compile, _) = common::rustc(source, &[]);
    assert_eq!(compile.code(), Some(0));
    let line = line_of(source, "    start(|| 1 + 1);");
    assert!(
        compile
            .stderr
            .starts_with("warning: unused `TaskHandle` that must be used")
    );
    assert!(compile.stderr.contains(&format!("{source}:{line}:5")));
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
